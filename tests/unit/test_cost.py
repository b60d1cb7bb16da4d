"""The cost model: its arithmetic on inputs small enough to check by hand, the DynamoDB request
units it works out from calls, and the section of docs/operations.md that shows its figure."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from postdesk_tools import cost

OPERATIONS = cost.REPO_ROOT / "docs" / "operations.md"
SECTION = "## What it costs per 1,000 mails"
MEMORY = {"ingest": 1024, "api_handler": 512, "survey": 256, "sla": 256, "search_index": 512}


def _section() -> str:
    text = OPERATIONS.read_text(encoding="utf-8")
    assert SECTION in text, f"{OPERATIONS} has no section {SECTION!r}"
    rest = text.split(SECTION, 1)[1]
    return rest.split("\n## ", 1)[0]


def test_the_document_shows_what_the_model_computes_from_the_committed_counts() -> None:
    model = cost.CostModel.load()
    section = _section()

    assert cost.markdown(model) in section, (
        "docs/operations.md is out of date: put the tables `python -m postdesk_tools.cost` prints "
        f"into its section {SECTION!r}"
    )
    assert f"About **${cost.total(model.per_thousand_mails()):.2f} per 1,000 inbound mails**" in section
    assert f"the test's life emits {model.custom_metrics}," in " ".join(section.split())
    assert "python -m postdesk_tools.cost" in section


def test_the_committed_counts_cover_every_path_of_the_mix() -> None:
    model = cost.CostModel.load()

    assert set(cost.MIX) <= set(model.paths) == set(cost.PATHS)
    assert sum(model.paths[name].mails_in * count for name, count in cost.MIX.items()) == 1000


def test_one_path_is_billed_line_by_line() -> None:
    usage = cost.PathUsage(
        mails_in=2,
        invocations={"ingest": 2, "api_handler": 3},
        http_requests=3,
        schedules_fired=1,
        recipients_sent=4,
        write_units=10,
        read_units=20,
        calls={
            "ingest": {"s3:GetObject": 2, "secretsmanager:GetSecretValue": 2, "dynamodb:GetItem": 7},
            cost.SES_RECEIPT: {"s3:PutObject": 2},
        },
    )

    lines = cost.bill(usage, MEMORY, retention_days=365, billed_ms={"ingest": 1000, "api_handler": 200})

    got = {(line.service, line.unit): (line.quantity, line.usd) for line in lines}
    expected = {
        ("Lambda", "requests"): (5, 5 * 0.20 / 1e6),
        # 2 x 1 s x 1 GB + 3 x 0.2 s x 0.5 GB
        ("Lambda", "GB-seconds"): (2.3, 2.3 * 0.0000166667),
        ("API Gateway", "REST requests"): (3, 3 * 3.50 / 1e6),
        ("DynamoDB", "write request units"): (10, 10 * 0.70675 / 1e6),
        ("DynamoDB", "read request units"): (20, 20 * 0.1415 / 1e6),
        ("S3", "PUT requests"): (2, 2 * 0.005 / 1000),
        ("S3", "GET requests"): (2, 2 * 0.0004 / 1000),
        # 2 mails of 100 KiB for a year: 200 / 1024**2 GiB for 12 months
        ("S3", "GB-months of raw mail (365 days)"): (200 / 1024**2 * 12, 200 / 1024**2 * 12 * 0.023),
        ("SES", "mails received"): (2, 2 * 0.10 / 1000),
        ("SES", "256 KB chunks received"): (2, 2 * 0.09 / 1000),
        ("SES", "recipients sent to"): (4, 4 * 0.10 / 1000),
        ("EventBridge Scheduler", "invocations"): (1, 1 * 1.00 / 1e6),
        ("Secrets Manager", "API calls"): (2, 2 * 0.05 / 10_000),
        # 5 invocations x 3,000 bytes
        ("CloudWatch Logs", "GB ingested"): (15_000 / 1024**3, 15_000 / 1024**3 * 0.57),
    }
    assert set(got) == set(expected)
    for key, (quantity, usd) in expected.items():
        assert got[key] == (pytest.approx(quantity), pytest.approx(usd)), key


def test_the_mix_scales_each_path_and_adds_up_the_same_lines() -> None:
    model = cost.CostModel(
        paths={
            "a": cost.PathUsage(mails_in=1, recipients_sent=1),
            "b": cost.PathUsage(http_requests=2, recipients_sent=3),
        },
        memory=MEMORY,
        retention_days=365,
    )

    lines = {(line.service, line.unit): line for line in model.per_thousand_mails({"a": 10, "b": 0.5})}

    assert lines[("SES", "recipients sent to")].quantity == pytest.approx(10 * 1 + 0.5 * 3)
    assert lines[("SES", "recipients sent to")].usd == pytest.approx(11.5 * 0.10 / 1000)
    assert lines[("API Gateway", "REST requests")].quantity == pytest.approx(1)
    assert lines[("SES", "mails received")].usd == pytest.approx(10 * 0.10 / 1000)
    assert cost.total(list(lines.values())) == pytest.approx(
        10 * cost.total(model.path_bill("a")) + 0.5 * cost.total(model.path_bill("b"))
    )


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),
        ({"N": "123.45"}, 4),  # 5 significant digits: 3 bytes, and 1
        ({"N": "-0.0100"}, 2),
        ({"B": b"\x00\x01"}, 2),
        ({"BOOL": True}, 1),
        ({"M": {"a": {"S": "xy"}}}, 7),  # 3, then the name, the value and 1 for the element
        ({"L": [{"BOOL": True}, {"NULL": True}]}, 7),
        ({"SS": ["ab", "c"]}, 3),
    ],
)
def test_attribute_sizes_follow_dynamodb(value: dict[str, object], size: int) -> None:
    assert cost.attribute_bytes(value) == size


def _item(table_key: str, size: int) -> dict[str, dict[str, str]]:
    """An item of about ``size`` bytes: its key ``pk`` and a filler attribute ``f``."""
    return {"pk": {"S": table_key}, "f": {"S": "x" * (size - len("pk") - len(table_key) - len("f"))}}


def test_request_units_of_writes_reads_and_transactions() -> None:
    units = cost.RequestUnits({"t": ["pk"]})

    units.add("PutItem", {"TableName": "t", "Item": _item("a", 1500)}, {})  # 2 KB: 2
    units.add("UpdateItem", {"TableName": "t", "Key": {"pk": {"S": "a"}}}, {})  # as last seen: 2
    units.add("UpdateItem", {"TableName": "t", "Key": {"pk": {"S": "never"}}}, {})  # 1 KB: 1
    units.add(
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": _item("b", 300)}},  # 2 x 1
                {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}}},  # 2 x 2
                {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "b"}}}},  # 2 x 1
            ]
        },
        {},
    )
    assert units.write == 2 + 2 + 1 + 2 + 4 + 2

    units.add("GetItem", {"TableName": "t", "Key": {}}, {"Item": _item("c", 5000)})  # eventual, 8 KB: 1
    units.add("GetItem", {"TableName": "t", "Key": {}, "ConsistentRead": True}, {})  # missing: 1
    units.add(
        "Query",
        {"TableName": "t", "ConsistentRead": True},
        {"Items": [_item("d", 3000), _item("e", 3000)]},
    )  # 6 KB together: 2
    units.add(
        "Query", {"TableName": "t", "IndexName": "i", "ConsistentRead": True}, {"Items": []}
    )  # an index is eventually consistent: 0.5
    units.add(
        "BatchGetItem",
        {"RequestItems": {"t": {"Keys": [{}, {}, {}]}}},
        {"Responses": {"t": [_item("f", 100)]}},
    )  # eventual: 0.5 for the one found, 0.5 for each of the two missing
    assert units.read == 1 + 1 + 2 + 0.5 + 1.5


def test_memory_comes_from_the_chalicefile_stage(tmp_path: Path) -> None:
    chalicefile = tmp_path / "chalicefile.json"
    functions = {name: {"lambda_memory_size": 128 * (i + 1)} for i, name in enumerate(cost.FUNCTIONS)}
    chalicefile.write_text(json.dumps({"stages": {"prod": {"lambda_functions": functions}}}))

    assert cost.memory_mb("prod", chalicefile) == {
        "ingest": 128,
        "api_handler": 256,
        "survey": 384,
        "sla": 512,
        "automations": 640,
        "search_index": 768,
    }


def test_the_command_prints_the_tables_of_a_counts_file(tmp_path: Path) -> None:
    calls = tmp_path / "calls.json"
    paths = {name: {"mails_in": 1 if name == cost.NEW_REQUEST else 0} for name in cost.PATHS}
    calls.write_text(json.dumps({"paths": paths, "custom_metrics": ["A [service=postdesk]"]}))
    out = io.StringIO()

    assert cost.main(["--calls", str(calls)], out) == 0

    printed = out.getvalue()
    # 700 new requests, each only received: 700 x (0.10 + 0.09) / 1000 plus their storage
    assert "| SES | mails received | 700 | 0.0700 |" in printed
    assert "| Secrets Manager | secret | 1 | 0.4000 |" in printed
    assert "| CloudWatch | custom metrics" in printed and "| 1 | 0.3000 |" in printed


def test_the_document_shows_the_fixed_costs_the_model_prints() -> None:
    model = cost.CostModel.load()

    assert cost.fixed_markdown(model) in _section(), (
        "docs/operations.md is out of date: put the fixed-cost table `python -m postdesk_tools.cost` "
        f"prints into its section {SECTION!r}"
    )


def test_the_user_pool_is_free_for_a_small_team_and_priced_per_agent_beyond() -> None:
    assert cost.cognito_per_month(25) == 0
    assert cost.cognito_per_month(10_000) == 0
    assert cost.cognito_per_month(10_100) == pytest.approx(100 * 0.015)
    # Single sign-on's free tier is 50 agents a month.
    assert cost.cognito_per_month(50, federated=True) == 0
    assert cost.cognito_per_month(200, federated=True) == pytest.approx(2.25)
    cognito = [line for line in cost.fixed_per_month(0) if line.service == "Cognito"]
    assert [(line.quantity, line.usd) for line in cognito] == [(cost.SMALL_TEAM_AGENTS, 0)]
