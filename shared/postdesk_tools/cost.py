"""What the stack costs per 1,000 inbound mails: the AWS API calls the tests count per ticket
(``docs/cost/api-calls.json``, written by ``tests/integration/test_api_calls.py``) priced at AWS's
list prices for eu-west-1.

    python -m postdesk_tools.cost [--calls FILE] [--stage prod]

prints the table docs/operations.md shows ("What it costs per 1,000 mails"); a test checks that the
document holds exactly what this prints for the committed counts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from postdesk_tools.provision import template

REPO_ROOT = Path(__file__).resolve().parents[2]
CALLS_FILE = REPO_ROOT / "docs" / "cost" / "api-calls.json"
CHALICEFILE = REPO_ROOT / "chalicefile.json"

# --- List prices, USD, Europe (Ireland) eu-west-1, on-demand, first volume tier, no free tier. -------
# As published on the pages named, mid-2025; check them there before relying on the figure.
PRICES_AS_OF = "2025-06"
# https://aws.amazon.com/lambda/pricing/ (x86, the architecture Chalice deploys)
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND = 0.0000166667
# https://aws.amazon.com/api-gateway/pricing/ (REST APIs, first 333 million requests a month)
API_GATEWAY_REST_PER_MILLION_REQUESTS = 3.50
# https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class): half of the former
# $1.4135 and $0.283, since the on-demand price cut of 1 November 2024.
DYNAMODB_PER_MILLION_WRITE_UNITS = 0.70675
DYNAMODB_PER_MILLION_READ_UNITS = 0.1415
# https://aws.amazon.com/s3/pricing/ (S3 Standard, first 50 TB a month)
S3_PER_THOUSAND_PUTS = 0.005
S3_PER_THOUSAND_GETS = 0.0004
S3_PER_GB_MONTH = 0.023
# https://aws.amazon.com/ses/pricing/ (pay as you go): receiving per mail and per 256 KB chunk of it,
# sending per recipient of each message
SES_PER_THOUSAND_MAILS_RECEIVED = 0.10
SES_PER_THOUSAND_CHUNKS_RECEIVED = 0.09
SES_PER_THOUSAND_RECIPIENTS_SENT = 0.10
# https://aws.amazon.com/eventbridge/pricing/ (Scheduler; its API calls cost nothing)
SCHEDULER_PER_MILLION_INVOCATIONS = 1.00
# https://aws.amazon.com/secrets-manager/pricing/
SECRETS_MANAGER_PER_TEN_THOUSAND_CALLS = 0.05
SECRETS_MANAGER_PER_SECRET_MONTH = 0.40
# https://aws.amazon.com/cloudwatch/pricing/ (Logs: standard ingestion; Metrics: first 10,000)
CLOUDWATCH_LOGS_PER_GB_INGESTED = 0.57
CLOUDWATCH_PER_CUSTOM_METRIC_MONTH = 0.30
CLOUDWATCH_PER_ALARM_MONTH = 0.10
CLOUDWATCH_PER_DASHBOARD_MONTH = 3.00
# https://aws.amazon.com/cognito/pricing/ (user pools; the Lite and Essentials plans): agents who
# sign in, refresh or change their password in a month are its monthly active users. The first
# 10,000 a month are free (an always-free tier), 50 of those who sign in through SAML or OIDC; beyond
# that each costs 0.0055 USD (Lite) or 0.015 USD (Essentials, the plan a new pool gets; federated
# users the same).
COGNITO_FREE_MONTHLY_ACTIVE_USERS = 10_000
COGNITO_FREE_FEDERATED_USERS = 50
COGNITO_ESSENTIALS_PER_MONTHLY_ACTIVE_USER = 0.015
# The team the fixed costs are stated for (docs/operations.md): its agents sign in every month.
SMALL_TEAM_AGENTS = 25

# --- What the tests cannot measure, stated. ---------------------------------------------------------
# Billed milliseconds per invocation, the initialisation included: at a few thousand mails a month
# most invocations start a container (about 1 s of imports and set-up, billed since August 2025).
# The API's requests come in sittings of several, so fewer of them start one.
BILLED_MS = {
    "ingest": 1500,
    "api_handler": 400,
    "survey": 1000,
    "sla": 1000,
    "automations": 1000,
    "search_index": 300,
}
# Log bytes per invocation: the desk's JSON lines and EMF metrics, plus Lambda's START, END and
# REPORT lines (about 350 bytes); the test checks that no invocation of the ticket's life writes more.
LOG_BYTES_PER_INVOCATION = 3000
# An average inbound mail (an HTML part, a signature image or two): one 256 KB chunk, kept in the
# bucket for the raw-mail lifecycle rule's days. Extracted attachments are not in the tests' mails.
MAIL_BYTES = 100 * 1024
CHUNKS_PER_MAIL = 1
DAYS_PER_MONTH = 365 / 12
GB = 1024**3
KB = 1024

# --- The paths of a ticket's life the test measures, and how often each comes per 1,000 mails. -----
SES_RECEIPT = "ses-receipt"  # SES's own S3 action storing the raw mail: a PUT, not a function
FUNCTIONS = ("ingest", "api_handler", "survey", "sla", "automations", "search_index")
NEW_REQUEST = "new_request"
CUSTOMER_REPLY = "customer_reply"
AGENT_ANSWER = "agent_answer"
SURVEY_MAIL = "survey_mail"
SURVEY_RATING = "survey_rating"
SLA_WARNING = "sla_warning"
AUTO_CLOSE = "auto_close"
OUT_OF_OFFICE = "out_of_office"
BOUNCE = "bounce"
SEARCH_INDEX = "search_index"
AGENT_SEARCH = "agent_search"
PATHS = {
    NEW_REQUEST: "a new request: ticket, acknowledgement, SLA timer",
    CUSTOMER_REPLY: "the customer's reply to the acknowledgement",
    AGENT_ANSWER: "an agent opens it from the list, replies, resolves (the console's 6 requests)",
    SURVEY_MAIL: "the survey schedule fires a day later: the survey mail",
    SURVEY_RATING: "the customer opens the survey link and submits a rating",
    SLA_WARNING: "an SLA timer fires: the warning on a ticket nobody answered yet",
    AUTO_CLOSE: "a week after its resolution the close timer fires: the ticket is closed",
    OUT_OF_OFFICE: "an out-of-office answering the agent's reply",
    BOUNCE: "a bounce from a remote mail server",
    SEARCH_INDEX: "the changes of one mail or one agent's action written to the search index (a segment)",
    AGENT_SEARCH: "an agent searches, typing: three requests",
}
# The paths that exist only because of search (docs/search.md).
SEARCH_PATHS = (SEARCH_INDEX, AGENT_SEARCH)
# The event source mappings' MaximumBatchingWindowInSeconds (infra/template.json) and the working
# day over which a desk of 1,000 mails a day changes its tickets.
SEARCH_BATCHING_SECONDS = 5
WORKING_SECONDS_PER_DAY = 10 * 3600


def search_batches(changes_per_thousand_mails: float, mails_per_day: float = 1000) -> float:
    """Index batches per 1,000 mails: a batch opens at a change and takes the changes of the next
    SEARCH_BATCHING_SECONDS (changes arriving at random over the working day)."""
    changes_per_second = changes_per_thousand_mails * mails_per_day / 1000 / WORKING_SECONDS_PER_DAY
    return changes_per_thousand_mails / (1 + changes_per_second * SEARCH_BATCHING_SECONDS)


# 1,000 inbound mails: 700 new requests and 300 customer replies. Each request is answered by an
# agent once, surveyed once and closed a week after its resolution; a quarter of the surveys are
# answered; one ticket in five is still unanswered at 75 % of its first-response target and gets a
# warning.
REQUESTS = 700
SEARCH_CHANGES = 1000 + 2 * REQUESTS + REQUESTS + REQUESTS / 4 + REQUESTS / 5 + REQUESTS
MIX = {
    NEW_REQUEST: REQUESTS,
    CUSTOMER_REPLY: 300,
    AGENT_ANSWER: REQUESTS,
    SURVEY_MAIL: REQUESTS,
    SURVEY_RATING: REQUESTS / 4,
    SLA_WARNING: REQUESTS / 5,
    AUTO_CLOSE: REQUESTS,
    # The index's batches: a change per mail in, per agent's reply and resolution, per survey sent
    # and answered, per warning and per close, joined by the mappings' batching window (search_batches).
    SEARCH_INDEX: search_batches(SEARCH_CHANGES),
    # One search per mail.
    AGENT_SEARCH: 1000,
}


# --- DynamoDB request units, from the calls themselves. ---------------------------------------------
def attribute_bytes(value: Mapping[str, Any]) -> int:
    """The size DynamoDB bills for one attribute value (low-level form, ``{"S": "..."}``)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").strip("0")
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(key.encode("utf-8")) + attribute_bytes(item) + 1 for key, item in inner.items())
    if kind == "L":
        return 3 + sum(attribute_bytes(item) + 1 for item in inner)
    if kind == "SS" or kind == "NS":
        return sum(attribute_bytes({kind[0]: item}) for item in inner)
    if kind == "BS":
        return sum(len(item) for item in inner)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_bytes(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_bytes(value) for name, value in item.items())


@dataclass
class RequestUnits:
    """DynamoDB on-demand request units of a sequence of calls. A write costs one unit per KB of the
    item (rounded up), a read one per 4 KB (half for an eventually consistent one, and a query's
    items are summed before rounding), each item of a transaction twice as much. The size of an
    item is that of the call's item or answer; an update, delete or condition check carries no
    item, so it is priced at that item's size when last written or read in the same sequence (1 KB
    when never seen)."""

    key_attributes: Mapping[str, Sequence[str]]
    write: float = 0.0
    read: float = 0.0
    _sizes: dict[tuple[str, str], int] = field(default_factory=dict)

    def _key(self, table: str, item: Mapping[str, Any]) -> tuple[str, str]:
        names = self.key_attributes.get(table) or sorted(item)
        return table, json.dumps({name: item.get(name) for name in names}, sort_keys=True, default=str)

    def _seen(self, table: str, item: Mapping[str, Any]) -> int:
        size = item_bytes(item)
        self._sizes[self._key(table, item)] = size
        return size

    def _known(self, table: str, key: Mapping[str, Any]) -> int:
        return self._sizes.get(self._key(table, key), KB)

    def _writes(self, table: str, request: Mapping[str, Any]) -> int:
        size = self._seen(table, request["Item"]) if "Item" in request else self._known(table, request["Key"])
        return max(1, math.ceil(size / KB))

    def _reads(self, table: str, items: Sequence[Mapping[str, Any]], consistent: bool) -> float:
        total = sum(self._seen(table, item) for item in items)
        return max(1, math.ceil(total / (4 * KB))) * (1.0 if consistent else 0.5)

    def add(self, operation: str, params: Mapping[str, Any], response: Mapping[str, Any] | None) -> None:
        answer = response or {}
        table = str(params.get("TableName", ""))
        consistent = bool(params.get("ConsistentRead")) and "IndexName" not in params
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self.write += self._writes(table, params)
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    ((_, body),) = request.items()
                    self.write += self._writes(name, body)
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((_, body),) = entry.items()
                self.write += 2 * self._writes(body["TableName"], body)
        elif operation == "GetItem":
            item = answer.get("Item")
            self.read += self._reads(table, [item] if item else [], consistent)
        elif operation == "BatchGetItem":
            for name, request in params["RequestItems"].items():
                found = answer.get("Responses", {}).get(name, [])
                each = 1.0 if request.get("ConsistentRead") else 0.5
                self.read += sum(self._reads(name, [item], True) * each for item in found)
                self.read += max(0, len(request["Keys"]) - len(found)) * each
        elif operation == "TransactGetItems":
            for entry, found in zip(params["TransactItems"], answer.get("Responses", []), strict=False):
                item = found.get("Item")
                self.read += 2 * self._reads(entry["Get"]["TableName"], [item] if item else [], True)
        elif operation in ("Query", "Scan"):
            self.read += self._reads(table, answer.get("Items", []), consistent)


# --- The model. -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PathUsage:
    """What one occurrence of a path uses, as the test counted it."""

    mails_in: int = 0
    invocations: Mapping[str, int] = field(default_factory=dict)
    http_requests: int = 0
    schedules_fired: int = 0
    recipients_sent: int = 0
    write_units: float = 0.0
    read_units: float = 0.0
    # API calls by label (a function, or SES_RECEIPT), then "service:Operation".
    calls: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def count(self, *operations: str) -> int:
        return sum(by_operation.get(name, 0) for by_operation in self.calls.values() for name in operations)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> PathUsage:
        return cls(
            mails_in=int(document.get("mails_in", 0)),
            invocations={str(k): int(v) for k, v in document.get("invocations", {}).items()},
            http_requests=int(document.get("http_requests", 0)),
            schedules_fired=int(document.get("schedules_fired", 0)),
            recipients_sent=int(document.get("recipients_sent", 0)),
            write_units=float(document.get("dynamodb_write_units", 0.0)),
            read_units=float(document.get("dynamodb_read_units", 0.0)),
            calls={
                str(label): {str(k): int(v) for k, v in by_operation.items()}
                for label, by_operation in document.get("calls", {}).items()
            },
        )


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the bill: what is counted, how much of it, what it costs (USD)."""

    service: str
    unit: str
    quantity: float
    usd: float

    @classmethod
    def priced(cls, service: str, unit: str, quantity: float, price: float, per: float = 1) -> Line:
        """A row whose cost is ``price`` for each ``per`` of ``quantity`` (per a million requests, say)."""
        return cls(service, unit, quantity, quantity * price / per)


def memory_mb(stage: str = "prod", chalicefile: Path = CHALICEFILE) -> dict[str, int]:
    """Each function's memory in the stage (chalicefile.json)."""
    config = json.loads(chalicefile.read_text(encoding="utf-8"))
    functions = config["stages"][stage]["lambda_functions"]
    return {name: int(functions[name]["lambda_memory_size"]) for name in FUNCTIONS}


def raw_mail_retention_days() -> int:
    """The days of the bucket's lifecycle rule for raw mail (infra/template.json): a number, or a
    parameter's default when the rule refers to one (RawMailRetentionDays)."""
    document = template()
    for resource in document["Resources"].values():
        if resource["Type"] != "AWS::S3::Bucket":
            continue
        for rule in resource["Properties"].get("LifecycleConfiguration", {}).get("Rules", []):
            if rule.get("Id") == "raw-mail":
                days = rule["ExpirationInDays"]
                if isinstance(days, dict) and "Ref" in days:
                    days = document["Parameters"][days["Ref"]]["Default"]
                return int(days)
    raise LookupError("no raw-mail lifecycle rule in infra/template.json")


def bill(
    usage: PathUsage,
    memory: Mapping[str, int],
    retention_days: int,
    billed_ms: Mapping[str, int] = BILLED_MS,
) -> list[Line]:
    """What one occurrence of ``usage`` costs, line by line."""
    invocations = sum(usage.invocations.values())
    gb_seconds = sum(
        count * billed_ms[name] / 1000 * memory[name] / 1024 for name, count in usage.invocations.items()
    )
    stored_gb_months = usage.mails_in * MAIL_BYTES / GB * retention_days / DAYS_PER_MONTH
    puts = usage.count("s3:PutObject", "s3:CopyObject", "s3:ListObjectsV2")
    gets = usage.count("s3:GetObject", "s3:HeadObject")
    secrets = usage.count("secretsmanager:GetSecretValue")
    log_gb = invocations * LOG_BYTES_PER_INVOCATION / GB
    chunks = usage.mails_in * CHUNKS_PER_MAIL
    return [
        Line.priced("Lambda", "requests", invocations, LAMBDA_PER_MILLION_REQUESTS, 1e6),
        Line.priced("Lambda", "GB-seconds", gb_seconds, LAMBDA_PER_GB_SECOND),
        Line.priced(
            "API Gateway", "REST requests", usage.http_requests, API_GATEWAY_REST_PER_MILLION_REQUESTS, 1e6
        ),
        Line.priced(
            "DynamoDB", "write request units", usage.write_units, DYNAMODB_PER_MILLION_WRITE_UNITS, 1e6
        ),
        Line.priced("DynamoDB", "read request units", usage.read_units, DYNAMODB_PER_MILLION_READ_UNITS, 1e6),
        Line.priced("S3", "PUT requests", puts, S3_PER_THOUSAND_PUTS, 1000),
        Line.priced("S3", "GET requests", gets, S3_PER_THOUSAND_GETS, 1000),
        Line.priced(
            "S3", f"GB-months of raw mail ({retention_days} days)", stored_gb_months, S3_PER_GB_MONTH
        ),
        Line.priced("SES", "mails received", usage.mails_in, SES_PER_THOUSAND_MAILS_RECEIVED, 1000),
        Line.priced("SES", "256 KB chunks received", chunks, SES_PER_THOUSAND_CHUNKS_RECEIVED, 1000),
        Line.priced(
            "SES", "recipients sent to", usage.recipients_sent, SES_PER_THOUSAND_RECIPIENTS_SENT, 1000
        ),
        Line.priced(
            "EventBridge Scheduler",
            "invocations",
            usage.schedules_fired,
            SCHEDULER_PER_MILLION_INVOCATIONS,
            1e6,
        ),
        Line.priced("Secrets Manager", "API calls", secrets, SECRETS_MANAGER_PER_TEN_THOUSAND_CALLS, 10_000),
        Line.priced("CloudWatch Logs", "GB ingested", log_gb, CLOUDWATCH_LOGS_PER_GB_INGESTED),
    ]


def scaled(lines: Sequence[Line], factor: float) -> list[Line]:
    return [Line(line.service, line.unit, line.quantity * factor, line.usd * factor) for line in lines]


def combined(bills: Sequence[Sequence[Line]]) -> list[Line]:
    """Lines of the same service and unit added up, in the order of the first bill."""
    totals: dict[tuple[str, str], Line] = {}
    for lines in bills:
        for line in lines:
            key = (line.service, line.unit)
            before = totals.get(key)
            totals[key] = (
                line
                if before is None
                else Line(line.service, line.unit, before.quantity + line.quantity, before.usd + line.usd)
            )
    return list(totals.values())


@dataclass(frozen=True, slots=True)
class CostModel:
    paths: Mapping[str, PathUsage]
    memory: Mapping[str, int]
    retention_days: int
    custom_metrics: int = 0

    @classmethod
    def load(cls, calls_file: Path = CALLS_FILE, stage: str = "prod") -> CostModel:
        document = json.loads(calls_file.read_text(encoding="utf-8"))
        return cls(
            paths={name: PathUsage.from_json(path) for name, path in document["paths"].items()},
            memory=memory_mb(stage),
            retention_days=raw_mail_retention_days(),
            custom_metrics=len(document.get("custom_metrics", [])),
        )

    def path_bill(self, name: str) -> list[Line]:
        return bill(self.paths[name], self.memory, self.retention_days)

    def per_thousand_mails(self, mix: Mapping[str, float] = MIX) -> list[Line]:
        return combined([scaled(self.path_bill(name), count) for name, count in mix.items()])


def total(lines: Sequence[Line]) -> float:
    return sum(line.usd for line in lines)


def fixed_per_month(custom_metrics: int) -> list[Line]:
    """What the stack costs each month whatever the volume (infra/template.json's alarms and
    dashboards, the custom metrics the test's life emitted, the user pool for a small team)."""
    resources = template()["Resources"].values()
    alarms = sum(1 for resource in resources if resource["Type"] == "AWS::CloudWatch::Alarm")
    dashboards = sum(1 for resource in resources if resource["Type"] == "AWS::CloudWatch::Dashboard")
    return [
        Line.priced("Secrets Manager", "secret", 1, SECRETS_MANAGER_PER_SECRET_MONTH),
        Line.priced(
            "CloudWatch",
            "custom metrics (those of the test's life; each new dimension value adds one)",
            custom_metrics,
            CLOUDWATCH_PER_CUSTOM_METRIC_MONTH,
        ),
        Line.priced("CloudWatch", "alarms", alarms, CLOUDWATCH_PER_ALARM_MONTH),
        Line.priced(
            "CloudWatch",
            "dashboards (free within an account's first 3)",
            dashboards,
            CLOUDWATCH_PER_DASHBOARD_MONTH,
        ),
        Line(
            "Cognito",
            "agents signing in during the month, a team of "
            f"{SMALL_TEAM_AGENTS} (free up to {COGNITO_FREE_MONTHLY_ACTIVE_USERS:,}; "
            f"{COGNITO_FREE_FEDERATED_USERS} through single sign-on)",
            SMALL_TEAM_AGENTS,
            cognito_per_month(SMALL_TEAM_AGENTS),
        ),
    ]


def cognito_per_month(agents: int, federated: bool = False) -> float:
    """What the user pool costs in a month when ``agents`` sign in (all through single sign-on when
    ``federated``), in the Essentials plan a new pool gets."""
    free = COGNITO_FREE_FEDERATED_USERS if federated else COGNITO_FREE_MONTHLY_ACTIVE_USERS
    return max(0, agents - free) * COGNITO_ESSENTIALS_PER_MONTHLY_ACTIVE_USER


def _quantity(value: float) -> str:
    if float(value).is_integer() or value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.1f}"
    return f"{value:.4f}"


def _row(line: Line) -> str:
    return f"| {line.service} | {line.unit} | {_quantity(line.quantity)} | {line.usd:.4f} |"


def markdown(model: CostModel, mix: Mapping[str, float] = MIX) -> str:
    """The tables of docs/operations.md: the bill of 1,000 mails of the mix, then each path's own."""
    lines = model.per_thousand_mails(mix)
    paths = [
        f"| {PATHS.get(name, name)} | {_quantity(mix[name]) if name in mix else '–'} "
        f"| {1000 * total(model.path_bill(name)):.4f} |"
        for name in model.paths
    ]
    memory = ", ".join(f"`{name}` {model.memory[name]} MB" for name in FUNCTIONS)
    billed = ", ".join(f"`{name}` {BILLED_MS[name]} ms" for name in FUNCTIONS)
    rows = [
        "| service | what is counted | per 1,000 mails | USD |",
        "| --- | --- | ---: | ---: |",
        *(_row(line) for line in lines),
        f"| **total** | | | **{total(lines):.2f}** |",
        "",
        f"Lambda memory (chalicefile.json): {memory}; billed per invocation: {billed}.",
        "",
        "| path of a ticket's life (each measured by the test) | times per 1,000 mails | USD per 1,000 |",
        "| --- | ---: | ---: |",
        *paths,
        "",
        _search_sentence(model, mix),
    ]
    return "\n".join(rows) + "\n"


def _search_sentence(model: CostModel, mix: Mapping[str, float]) -> str:
    """What search adds (its paths; the index's storage, a few MB, is left out)."""
    per_thousand = sum(
        total(model.path_bill(name)) * mix[name] for name in SEARCH_PATHS if name in model.paths
    )
    per_month_at_a_thousand_a_day = per_thousand * DAYS_PER_MONTH
    return (
        f"Search adds {per_thousand:.4f} USD per 1,000 mails: at 1,000 mails a day, "
        f"{per_month_at_a_thousand_a_day:.2f} USD a month (docs/search.md)."
    )


def fixed_markdown(model: CostModel) -> str:
    """What is paid each month whatever the volume, for the template as it is now."""
    fixed = fixed_per_month(model.custom_metrics)
    rows = [
        "| each month, whatever the volume | what is counted | how many | USD |",
        "| --- | --- | ---: | ---: |",
        *(_row(line) for line in fixed),
        f"| **total** | | | **{total(fixed):.2f}** |",
    ]
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m postdesk_tools.cost", description="what the stack costs per 1,000 inbound mails"
    )
    parser.add_argument(
        "--calls",
        type=Path,
        default=CALLS_FILE,
        help="the counted API calls (default docs/cost/api-calls.json)",
    )
    parser.add_argument("--stage", default="prod", help="the chalicefile.json stage of the memory sizes")
    arguments = parser.parse_args(argv)
    model = CostModel.load(arguments.calls, arguments.stage)
    (out or sys.stdout).write(markdown(model) + "\n" + fixed_markdown(model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
