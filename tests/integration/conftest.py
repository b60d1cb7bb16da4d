"""Integration fixtures: the desk on in-process moto, provisioned from infra/template.json."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from postdesk import handlers, runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.auth import token_check
from postdesk.aws.clients import reset_clients
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.store import TicketStore
from postdesk.workflows.ingest import IngestResult, ingest
from postdesk_tools import moto_fit, schedules
from postdesk_tools.change_feed import ChangeFeed, deliver_changes
from postdesk_tools.local_stack import lambda_function
from postdesk_tools.provision import provision
from postdesk_tools.ses_events import new_ses_message_id, store_and_describe
from tests.api_calls import recording_api_calls
from tests.integration.life import Life

REGION = "eu-west-1"
SUPPORT = "support@example.com"
FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


@dataclass
class RecordingMetrics:
    counted: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    measured: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)

    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
        self.counted.append((name, dict(dimensions or {})))

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
        self.measured.append((name, seconds, dict(dimensions or {})))

    def total(self, name: str) -> int:
        return sum(1 for counted, _ in self.counted if counted == name)


@dataclass
class SentMail:
    source: str
    destinations: list[str]
    raw: bytes

    @property
    def recipients(self) -> set[str]:
        """Addresses it went to (moto appends the To/Cc of raw mail to the destinations we gave)."""
        return {parseaddr(destination)[1].lower() for destination in self.destinations}

    @property
    def message(self) -> Message:
        return message_from_bytes(self.raw, policy=default_policy)


class Desk:
    """The desk under test: deliver mail the way SES would, read what it stored and sent."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = TicketStore(settings.tables, settings.region)
        self.metrics = RecordingMetrics()
        self.clock_now = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
        self.change_feed = ChangeFeed(settings.region, (settings.tables.tickets, settings.tables.ticket_log))
        # The desk answers a couple of seconds after SES received the mail.
        self.ports = runtime.aws_ports(
            settings, self.metrics, clock=lambda: self.clock_now + timedelta(seconds=2)
        )

    def now(self) -> datetime:
        return self.clock_now + timedelta(seconds=2)

    def event(
        self,
        raw: bytes,
        *,
        envelope_sender: str = "jane.doe@customer.example",
        recipients: list[str] | None = None,
        ses_id: str | None = None,
        verdicts: dict[str, str] | None = None,
        received_at: datetime | None = None,
    ) -> dict[str, Any]:
        self.clock_now += timedelta(minutes=1)
        return store_and_describe(
            raw,
            bucket=self.settings.mail_bucket,
            prefix=self.settings.raw_mail_prefix,
            region=self.settings.region,
            recipients=recipients or [SUPPORT],
            envelope_sender=envelope_sender,
            ses_id=ses_id or new_ses_message_id(),
            received_at=received_at or self.clock_now,
            verdicts=verdicts,
        )

    def deliver(self, raw: bytes, ports: Ports | None = None, **event_options: Any) -> IngestResult:
        """SES stores the mail and invokes ingest: through the workflow with this desk's ports."""
        return self.deliver_event(self.event(raw, **event_options), ports)

    def deliver_event(self, event: dict[str, Any], ports: Ports | None = None) -> IngestResult:
        (delivery,) = handlers.deliveries_from_ses_event(event)
        return ingest(delivery, self.settings, ports or self.ports)

    def index_changes(self) -> int:
        """Hand what changed in the tickets and their logs to the ``search_index`` function, as the
        event source mappings do on AWS; the number of stream records handed on."""
        feed = self.change_feed
        total = 0
        index_for_search = lambda_function("search_index")
        while handed := deliver_changes(feed, index_for_search):
            total += handed
        return total

    def sent(self) -> list[SentMail]:
        backend = ses_backends[DEFAULT_ACCOUNT_ID][self.settings.region]
        return [
            SentMail(
                message.source,
                list(message.destinations),
                message.raw_data.encode("utf-8") if isinstance(message.raw_data, str) else message.raw_data,
            )
            for message in backend.sent_messages
        ]


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the desk's Logger writes during the test (its handler keeps the stdout it was
    created with, which pytest's capsys does not see)."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def moto_pool_keys(url: str) -> dict[str, Any]:
    """The user pool's public keys as moto's server would serve them at ``url``: an in-process moto
    serves no URL, and the tests never reach Cognito's own."""
    from moto.utilities.utils import load_resource

    assert url.endswith("/.well-known/jwks.json"), url
    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    # The moto the local stack runs: transactions one at a time (the tests that deliver one event from
    # several workers at once need that), rolled back item by item, no instance tracking.
    moto_fit.apply()
    token_check.use_keys_fetcher(moto_pool_keys)
    with mock_aws():
        reset_clients()
        provisioned = provision(REGION, "test", SUPPORT, "Example Support")
        for name, value in provisioned.environment.items():
            monkeypatch.setenv(name, value)
        runtime.reset_runtime()
        yield Desk(provisioned.settings)
    reset_clients()
    runtime.use_clock(None)
    token_check.use_keys_fetcher(None)


def chalice_app() -> Any:
    """The deployed Chalice app object (functions/app.py), imported as Chalice imports it."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    from app import app

    return app


@pytest.fixture
def client(desk: Desk) -> Iterator[Client]:
    """The HTTP API, called in-process through Chalice's test client."""
    with Client(chalice_app(), stage_name="dev", project_dir=str(FUNCTIONS_DIR)) as test_client:
        yield test_client


def _issue_token(desk: Desk, email: str, name: str, role: Role) -> str:
    _, token = AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        email, name, role, desk.clock_now
    )
    return token


@pytest.fixture
def life(
    desk: Desk,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    log_output: io.StringIO,
) -> Iterator[Life]:
    """The desk driven through functions/app.py as AWS drives it, every API call recorded and
    labelled with the function it ran for (tests/integration/life.py)."""
    with recording_api_calls() as recorder:
        driver = Life(desk, client, recorder, capsys, log_output)
        # The desk's clock is the test's; Scheduler invokes the functions of functions/app.py.
        runtime.use_clock(driver.clock)
        monkeypatch.setattr(
            schedules,
            "TARGETS",
            {
                name: lambda event, _context, name=name: driver.scheduled(name, event)
                for name in ("survey", "sla", "automations")
            },
        )
        yield driver


@pytest.fixture
def token(desk: Desk) -> str:
    """An agent's token (Sam Lee, role agent)."""
    return _issue_token(desk, "sam@example.com", "Sam Lee", Role.AGENT)


@pytest.fixture
def admin_token(desk: Desk) -> str:
    """An admin's token (Alex Admin)."""
    return _issue_token(desk, "alex@example.com", "Alex Admin", Role.ADMIN)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def body_of(response: Any) -> Any:
    return json.loads(response.body) if response.body else None
