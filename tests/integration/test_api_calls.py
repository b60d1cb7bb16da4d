"""The AWS API calls of a ticket's life, counted per function through the entry points of
functions/app.py, and kept in docs/cost/api-calls.json: what the cost model prices
(``python -m postdesk_tools.cost``) and what each function's IAM role has to allow.

The life: a new request (ticket and acknowledgement), the customer's reply to the acknowledgement,
an agent who opens the ticket from the list, replies and resolves it (the requests the console
makes), the survey a day later, the customer's rating on the survey page. Then what an inbox also
gets: an out-of-office answering the agent's reply, a bounce, and an SLA warning on a ticket nobody
answered yet. Last, a week after its resolution, the close of the first ticket.

When the counts change, the test rewrites the file and fails once: review the difference, then
update the section "What it costs per 1,000 mails" of docs/operations.md with what the cost model
prints (a unit test compares the two)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from postdesk.aws.clients import client as aws_client
from postdesk_tools import cost
from postdesk_tools.provision import table_definitions
from tests.api_calls import ApiCall
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.life import FORM, Life, Tally, survey_links
from tests.mails import build_mail

DEMO_MAIL = cost.REPO_ROOT / "shared" / "postdesk_tools" / "demo_mail"
# What Lambda itself writes to the log group for each invocation: START, END and REPORT lines.
PLATFORM_LOG_BYTES = 350


def _counted(calls: list[ApiCall]) -> dict[str, dict[str, int]]:
    """Calls by label, then service:Operation (the test's own calls, labelled None, left out)."""
    counted: dict[str, Counter[str]] = {}
    for call in calls:
        if call.function is not None:
            counted.setdefault(call.function, Counter())[f"{call.service}:{call.operation}"] += 1
    return {label: dict(sorted(by_operation.items())) for label, by_operation in sorted(counted.items())}


def _custom_metrics(printed: str) -> list[str]:
    """Each metric of the EMF lines with its dimensions: one CloudWatch custom metric each."""
    metrics = set()
    for line in printed.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                named = ",".join(f"{name}={document[name]}" for name in dimensions)
                metrics.update(f"{metric['Name']} [{named}]" for metric in directive["Metrics"])
    return sorted(metrics)


def _key_attributes(prefix: str = "test") -> dict[str, list[str]]:
    return {
        f"{prefix}-{logical_id}": [key["AttributeName"] for key in properties["KeySchema"]]
        for logical_id, properties in table_definitions().items()
    }


def _document(life: Life, paths: dict[str, tuple[int, int, Tally]]) -> dict[str, Any]:
    """The counts of every path, in the form docs/cost/api-calls.json keeps them."""
    units = cost.RequestUnits(_key_attributes())
    per_call: list[tuple[float, float]] = []
    for call in life.recorder.calls:
        before = (units.write, units.read)
        if call.service == "dynamodb":
            units.add(call.operation, call.params, call.response)
        counted = call.function is not None
        per_call.append((units.write - before[0], units.read - before[1]) if counted else (0.0, 0.0))
    document: dict[str, Any] = {}
    for name, (start, end, tally) in paths.items():
        calls = life.recorder.calls[start:end]
        sends = [call for call in calls if call.function and call.operation == "SendRawEmail"]
        document[name] = {
            "what": cost.PATHS[name],
            "mails_in": tally.mails_in,
            "invocations": dict(sorted(tally.invocations.items())),
            "http_requests": tally.http_requests,
            "schedules_fired": tally.schedules_fired,
            "recipients_sent": sum(len(call.params["Destinations"]) for call in sends),
            "dynamodb_write_units": sum(write for write, _ in per_call[start:end]),
            "dynamodb_read_units": sum(read for _, read in per_call[start:end]),
            "calls": _counted(calls),
        }
    return document


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_tickets_life_in_api_calls(life: Life, desk: Desk, token: str) -> None:
    paths: dict[str, tuple[int, int, Tally]] = {}

    def done(name: str, start: int) -> list[ApiCall]:
        paths[name] = (start, len(life.recorder.calls), copy.deepcopy(life.tally))
        return [call for call in life.recorder.calls[start:] if call.function is not None]

    # A new request: the ticket, its acknowledgement, its SLA timer
    start, before = life.begin(), len(desk.sent())
    created = life.mail(build_mail(message_id="<first.4711@customer.example>"))
    calls = done(cost.NEW_REQUEST, start)
    assert created["new_ticket"] is True and created["ack"] == "sent"
    ref = created["ref"]
    (ack,) = life.sent_since(before)
    ingest_calls = [call for call in calls if call.function == "ingest"]
    # The raw mail, and the published articles the acknowledgement suggests from (once per container
    # and 30 s: each mail here comes to a cold container)
    s3_reads = [c for c in ingest_calls if c.service == "s3"]
    assert [c.operation for c in s3_reads] == ["GetObject", "GetObject"]
    assert s3_reads[1].params["Key"] == "knowledge/published.json"
    assert [c.operation for c in ingest_calls if c.service == "ses"] == ["SendRawEmail"]
    assert [c.operation for c in ingest_calls if c.service == "scheduler"] == ["CreateSchedule"]
    assert [c.operation for c in calls if c.function == cost.SES_RECEIPT] == ["PutObject"]

    # The search_index function writes the new ticket to the search index
    start = life.begin()
    assert life.index_changes() > 0
    calls = done(cost.SEARCH_INDEX, start)
    assert [c.operation for c in calls if c.service == "s3"] == ["GetObject", "PutObject", "PutObject"]

    # The customer answers the acknowledgement: the same ticket, and nothing is sent
    life.advance(timedelta(minutes=10))
    start, before = life.begin(), len(desk.sent())
    answer = life.mail(
        build_mail(
            subject=f"Re: {ack.message['Subject']}",
            body="One more detail: the delivery address is the office, not my home.\n\nJane",
            message_id="<second.4711@customer.example>",
            in_reply_to=str(ack.message["Message-ID"]),
            references=str(ack.message["Message-ID"]),
            to=str(ack.message["Reply-To"]),
        ),
        to=str(ack.message["Reply-To"].addresses[0].addr_spec),
    )
    calls = done(cost.CUSTOMER_REPLY, start)
    assert (answer["ref"], answer["matched_by"], answer["ack"]) == (
        ref,
        "signed reply address",
        "not a new ticket",
    )
    assert life.sent_since(before) == []
    assert [c.operation for c in calls if c.service in ("ses", "sesv2")] == []
    assert [c.operation for c in calls if c.function == "ingest" and c.service == "s3"] == ["GetObject"]

    # An hour later an agent opens it from the list, replies and resolves it, as the console does
    assert life.advance(timedelta(hours=1)) == []
    start, before = life.begin(), len(desk.sent())
    life.sitting()
    listing = body_of(life.http("get", "/tickets", headers=auth(token)))
    assert ref in [ticket["ref"] for ticket in listing["tickets"]]
    assert life.http("get", f"/tickets/{ref}", headers=auth(token)).status_code == 200
    replied = life.http(
        "post",
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": "0b7f3c1e-reply-1"},
        body=json.dumps(
            {"body": "Hello {{ customer.first_name }},\n\nyour boots left today.", "status": "pending"}
        ),
    )
    assert replied.status_code == 201, replied.body
    version = body_of(life.http("get", f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    resolved = life.http(
        "patch",
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": version, "status": "resolved"}),
    )
    assert resolved.status_code == 200, resolved.body
    assert body_of(life.http("get", f"/tickets/{ref}", headers=auth(token)))["ticket"]["status"] == "resolved"
    calls = done(cost.AGENT_ANSWER, start)
    (reply,) = life.sent_since(before)
    assert reply.recipients == {"jane.doe@customer.example"}
    assert [c.operation for c in calls if c.service == "ses"] == ["SendRawEmail"]
    assert "CreateSchedule" in [c.operation for c in calls if c.service == "scheduler"]

    # Later another agent looks for it by the order's number, typing (the index has the answer too)
    life.index_changes()
    start = life.begin()
    life.sitting()
    every_status = "new,open,pending,on-hold,resolved,closed"
    for typed in ("or", "order", "order 4711"):
        found = body_of(
            life.http(
                "get", "/tickets?" + urlencode({"q": typed, "status": every_status}), headers=auth(token)
            )
        )
    calls = done(cost.AGENT_SEARCH, start)
    assert [t["ref"] for t in found["tickets"]] == [ref]
    assert "Scan" not in [c.operation for c in calls]

    # The customer's out-of-office answers the reply: recorded on the ticket, nothing sent
    life.advance(timedelta(minutes=1))
    start, before = life.begin(), len(desk.sent())
    automatic = life.mail(
        build_mail(
            subject=f"Automatic reply: {reply.message['Subject']}",
            body="I am out of the office until Monday and will answer your mail then.",
            message_id="<ooo.4711@customer.example>",
            in_reply_to=str(reply.message["Message-ID"]),
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    calls = done(cost.OUT_OF_OFFICE, start)
    assert (automatic["ref"], automatic["verdict"], automatic["ack"]) == (
        ref,
        "auto_reply",
        "not a new ticket",
    )
    assert life.sent_since(before) == []
    assert desk.store.get_ticket(ref).status.value == "resolved"  # type: ignore[union-attr]

    # A bounce of some other mail: nothing sent
    start, before = life.begin(), len(desk.sent())
    bounce = (DEMO_MAIL / "04-bounce.eml").read_bytes().replace(b"\n", b"\r\n")
    bounced = life.mail(bounce, sender="")
    calls = done(cost.BOUNCE, start)
    assert (bounced["verdict"], bounced["ack"]) == ("bounce", "suppressed") and life.sent_since(before) == []
    assert [c.operation for c in calls if c.service == "ses"] == []

    # A day later the survey schedule fires: one survey mail
    start, before = life.begin(), len(desk.sent())
    fired = life.advance(timedelta(hours=24, minutes=1))
    calls = done(cost.SURVEY_MAIL, start)
    assert [(f.target, f.result["outcome"]) for f in fired] == [("survey", "sent")]
    (survey,) = life.sent_since(before)
    assert survey.message["Auto-Submitted"] == "auto-generated"
    assert [c.operation for c in calls if c.service == "ses"] == ["SendRawEmail"]

    # The customer clicks "5" and submits the page
    life.advance(timedelta(minutes=30))
    start = life.begin()
    life.sitting()
    link = survey_links(survey)[5]
    assert life.http("get", link).status_code == 200
    assert (
        life.http("post", link, headers=FORM, body=urlencode({"rating": "5", "comment": ""})).status_code
        == 200
    )
    done(cost.SURVEY_RATING, start)
    assert desk.store.get_ticket(ref).survey_rating == 5  # type: ignore[union-attr]

    # A week after its resolution the first ticket's close timer fires: closed, nothing sent
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    (close,) = [s["Name"] for s in listed if s["Name"].startswith(f"auto-{ref}-close-")]
    due = json.loads(scheduler.get_schedule(Name=close, GroupName=group)["Target"]["Input"])["due"]
    life.advance(datetime.fromisoformat(due) - timedelta(minutes=1) - life.now)
    start, before = life.begin(), len(desk.sent())
    fired = life.advance(timedelta(minutes=2))
    calls = done(cost.AUTO_CLOSE, start)
    assert [(f.target, f.result["outcome"]) for f in fired] == [("automations", "closed")]
    assert desk.store.get_ticket(ref).status.value == "closed"  # type: ignore[union-attr]
    assert life.sent_since(before) == [] and [c for c in calls if c.service == "ses"] == []

    # Another request nobody answers: its SLA timer fires at 75 % of the first-response target
    other = life.mail(
        build_mail(
            subject="Invoice 2026-118 charged twice",
            body="Hello,\n\nmy invoice 2026-118 was charged twice. Please refund one.\n\nLi",
            sender="Li Wei <li.wei@shop.example>",
            message_id="<invoice.118@shop.example>",
        ),
        sender="li.wei@shop.example",
    )["ref"]
    life.now = life.sla_due(other) - timedelta(minutes=1)
    start = life.begin()
    fired = life.advance(timedelta(minutes=2))
    done(cost.SLA_WARNING, start)
    assert [(f.target, f.result["outcome"]) for f in fired] == [("sla", "warned")]

    # No call of the whole life scans a table that grows with the mail (the agents table, a team's
    # agents and their notification settings, is read whole for who watches a queue); the only
    # calls that failed are the Message-ID index's first-writer-wins entries (the ticket's own id,
    # written again with the agent's reply)
    scanned = {c.params["TableName"] for c in life.recorder.calls if c.operation == "Scan"}
    assert scanned <= {desk.settings.tables.agents}, scanned
    failed = {(c.operation, c.params.get("TableName"), c.error) for c in life.recorder.calls if c.error}
    # and the search index's manifest read before it exists (NoSuchKey) or while it did not change
    # (304), and the close's delete of its own schedule, which Scheduler deleted once it fired
    assert failed <= {
        ("PutItem", desk.settings.tables.message_index, "ConditionalCheckFailedException"),
        ("GetObject", None, "NoSuchKey"),
        ("GetObject", None, "304"),
        ("DeleteSchedule", None, "ResourceNotFoundException"),
    }
    assert {c.function for c in life.recorder.calls} >= {
        "ingest",
        "api_handler",
        "survey",
        "sla",
        "automations",
        cost.SES_RECEIPT,
    }
    # The cost model's log assumption holds for every invocation
    assert max(written for _, written in life.log_bytes) + PLATFORM_LOG_BYTES <= cost.LOG_BYTES_PER_INVOCATION

    document = {
        "about": (
            "AWS API calls per path of a ticket's life, counted by tests/integration/test_api_calls.py; "
            "priced by python -m postdesk_tools.cost"
        ),
        "paths": _document(life, paths),
        "custom_metrics": _custom_metrics("".join(life.stdout)),
    }
    for usage in document["paths"].values():
        # The secret is read once per container at most (then cached)
        fetched = sum(ops.get("secretsmanager:GetSecretValue", 0) for ops in usage["calls"].values())
        assert fetched <= sum(usage["invocations"].values())
    text = json.dumps(document, indent=2) + "\n"
    committed = cost.CALLS_FILE.read_text(encoding="utf-8") if cost.CALLS_FILE.exists() else ""
    if text != committed:
        cost.CALLS_FILE.parent.mkdir(parents=True, exist_ok=True)
        cost.CALLS_FILE.write_text(text, encoding="utf-8")
    assert text == committed, (
        f"the API calls of a ticket's life changed: {cost.CALLS_FILE} is rewritten; review it and update "
        "docs/operations.md with `python -m postdesk_tools.cost`"
    )
