"""A ticket's life driven through the real entry points of functions/app.py, with every AWS API call
labelled by the function it ran for (the ``life`` fixture of conftest.py makes one per test).

The tests that use it: test_api_calls.py counts the calls of each path (the cost model's input),
test_least_privilege.py checks every call against the IAM role of its function."""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.aws.clients import client as aws_client
from postdesk_tools import cost
from postdesk_tools.schedules import FiredSchedule, fire_due_schedules
from tests.api_calls import ApiCallRecorder

if TYPE_CHECKING:
    from tests.integration.conftest import Desk, SentMail

# Tuesday 24 November 2026, 10:31 in Berlin: business hours of the shipped SLA policy.
START = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Tally:
    """What the harness saw besides API calls, since the start of a path."""

    mails_in: int = 0
    invocations: Counter[str] = field(default_factory=Counter)
    http_requests: int = 0
    schedules_fired: int = 0


class Life:
    """Drives the desk as AWS would: SES stores a mail and invokes ``ingest``; API Gateway calls
    ``api_handler``; Scheduler invokes ``survey`` and ``sla``; SNS invokes ``feedback``. Each
    event-driven invocation runs in a fresh container (settings, clients and the cached secret made
    again), as most do on a desk of a few thousand mails a month; the requests of one person's
    sitting share a container."""

    def __init__(
        self,
        desk: Desk,
        client: Client,
        recorder: ApiCallRecorder,
        capsys: pytest.CaptureFixture[str],
        log_output: io.StringIO,
    ) -> None:
        self.desk = desk
        self.client = client
        self.recorder = recorder
        self.capsys = capsys
        self.log_output = log_output
        self.now = START
        self.tally = Tally()
        self.log_bytes: list[tuple[str, int]] = []
        self.stdout: list[str] = []
        # The events SES invoked ingest with, in order.
        self.events: list[dict[str, Any]] = []

    def clock(self) -> datetime:
        return self.now

    def _run(self, function: str, invoke: Any) -> Any:
        """One invocation of ``function``, its calls labelled, its log bytes measured."""
        self.stdout.append(self.capsys.readouterr().out)
        logged = len(self.log_output.getvalue().encode("utf-8"))
        with self.recorder.function(function):
            result = invoke()
        printed = self.capsys.readouterr().out
        self.stdout.append(printed)
        written = len(self.log_output.getvalue().encode("utf-8")) - logged + len(printed.encode("utf-8"))
        self.log_bytes.append((function, written))
        self.tally.invocations[function] += 1
        return result

    def begin(self) -> int:
        """A path starts: what is counted from here on is its own."""
        self.tally = Tally()
        return len(self.recorder.calls)

    def advance(self, delta: timedelta) -> list[FiredSchedule]:
        """Time passes; the schedules due by then fire, as Scheduler fires them."""
        self.now += delta
        settings = self.desk.settings
        fired = fire_due_schedules(settings.region, settings.scheduling.group, self.now)
        self.tally.schedules_fired += len(fired)
        return fired

    def mail(self, raw: bytes, sender: str = "jane.doe@customer.example", to: str = "") -> dict[str, Any]:
        """SES receives the mail: its S3 action stores it, its Lambda action invokes ingest."""
        with self.recorder.function(cost.SES_RECEIPT):
            event = self.desk.event(
                raw,
                envelope_sender=sender,
                recipients=[to or self.desk.settings.support_address],
                received_at=self.now,
            )
        self.tally.mails_in += 1
        self.events.append(event)
        return self.deliver(event)

    def deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        """Lambda invokes ingest with the event SES made (again, when it retries one)."""
        runtime.reset_runtime()
        (result,) = self._run(
            "ingest", lambda: self.client.lambda_.invoke("ingest", event).payload["results"]
        )
        return dict(result)

    def scheduled(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        return self.invoke(function, event)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        """An event-driven invocation of ``function`` (Scheduler's, SNS's), in a fresh container."""
        runtime.reset_runtime()
        return dict(self._run(function, lambda: self.client.lambda_.invoke(function, event).payload))

    def index_changes(self) -> int:
        """Lambda's event source mappings hand the tables' changes to ``search_index`` (reading the
        streams with its role); the number of records handed on."""
        feed = self.desk.change_feed
        feed.stream_arns()  # given to the mappings by the template, not looked up by them
        total = 0
        while True:
            with self.recorder.function("search_index"):
                records, moved = feed.read()
            if not records:
                return total
            self.invoke("search_index", {"Records": records})
            feed.advance(moved)
            total += len(records)

    def sitting(self) -> None:
        """Someone new at the API: a container of its own."""
        runtime.reset_runtime()

    def http(self, method: str, path: str, **options: Any) -> Any:
        self.tally.http_requests += 1
        return self._run("api_handler", lambda: getattr(self.client.http, method)(path, **options))

    def sent_since(self, before: int) -> list[SentMail]:
        return self.desk.sent()[before:]

    def sla_due(self, ref: str) -> datetime:
        """When the SLA timer of ``ref`` that waits in Scheduler fires (the test's own reads)."""
        scheduler = aws_client("scheduler", self.desk.settings.region)
        group = self.desk.settings.scheduling.group
        schedules = scheduler.list_schedules(GroupName=group)["Schedules"]
        (timer,) = [s["Name"] for s in schedules if ref in s["Name"]]
        payload = json.loads(scheduler.get_schedule(Name=timer, GroupName=group)["Target"]["Input"])
        return datetime.fromisoformat(payload["at"].replace("Z", "+00:00"))


def survey_links(mail: SentMail) -> dict[int, str]:
    """The path of each rating's link in a survey mail, by rating."""
    text = mail.message.get_body(preferencelist=("plain",))
    assert text is not None
    links = [word for word in text.get_content().split() if "/survey/" in word]
    return {int(urlsplit(link).path.split(".")[2]): urlsplit(link).path for link in links}
