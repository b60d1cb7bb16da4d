"""The pure parts of events out and webhooks: a log entry's public event (and what it leaves out),
the signature and its check, the Slack format, the back-off, the endpoints refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from postdesk.events.public import PUBLIC_TYPES, public_event, public_event_id
from postdesk.tickets.model import Status, Ticket, TicketEvent
from postdesk.webhooks.endpoints import EndpointRefused, check_address, check_url
from postdesk.webhooks.payloads import PayloadFormat, delivery_body, slack_message
from postdesk.webhooks.signature import signature_header, verify_signature, webhook_secret
from postdesk.workflows.webhooks import backoff, checked_events

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "events" / "ticket-event.v1.schema.json").read_text()
)
AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TICKET = Ticket(
    ref="K7Q2-M9XD",
    subject="Boots too small",
    requester_email="jane@customer.example",
    requester_name="Jane Doe",
    status=Status.OPEN,
    queue="orders",
    priority="high",
    language="en",
    created_at=AT,
    updated_at=AT,
    assignee="sam@example.com",
    tags=("vip",),
)


def test_a_status_change_becomes_a_versioned_event_without_the_customers_data() -> None:
    # Given an agent's status change in the log
    event = TicketEvent(
        TICKET.ref,
        AT,
        "status_changed",
        "edit:r1:status_changed",
        "sam@example.com",
        {"from": "new", "to": "open"},
    )

    # When it is made public
    public = public_event(event, TICKET, "https://desk.example.com")

    # Then it names its type, the change, the agent and the ticket's state, and validates
    assert public.detail_type == "ticket.status_changed"
    jsonschema.validate(public.detail, SCHEMA)
    assert public.detail["change"] == {"from": "new", "to": "open"}
    assert public.detail["actor"] == {"type": "agent", "email": "sam@example.com"}
    assert public.detail["ticket"]["assignee"] == "sam@example.com"
    assert public.detail["url"] == "https://desk.example.com/console#/tickets/K7Q2-M9XD"
    text = json.dumps(public.detail)
    assert "jane" not in text and "Boots" not in text
    # And its id is the same every time the entry is published
    assert (
        public.event_id
        == public_event_id(TICKET.ref, "edit:r1:status_changed")
        == public_event(event, TICKET).event_id
    )


def test_ids_subjects_and_addresses_in_a_change_stay_inside_the_desk() -> None:
    detail = {
        "into": "ABCD-EFGH",
        "subject": "Boots",
        "ses_message_id": "x",
        "cc": "a@b.example",
        "by": "jane@c.example",
    }
    public = public_event(TicketEvent(TICKET.ref, AT, "merged", "m1", "sam@example.com", detail), None)

    assert public.detail["change"] == {"into": "ABCD-EFGH"}
    assert public.detail["ticket"] is None and public.detail_type == "ticket.merged"
    jsonschema.validate(public.detail, SCHEMA)


def test_a_new_ticket_is_ticket_created_and_the_customer_is_an_actor_without_an_address() -> None:
    created = public_event(TicketEvent(TICKET.ref, AT, "ticket_created", "s1", "customer", {}), TICKET)
    assert created.detail_type == "ticket.created" and created.detail["actor"] == {"type": "customer"}
    sla = public_event(
        TicketEvent(TICKET.ref, AT, "sla_breached", "t1", "sla", {"target": "first_response"}), TICKET
    )
    assert sla.detail["actor"] == {"type": "system", "name": "sla"}
    assert {"ticket.created", "ticket.sla_breached", "ticket.assigned", "ticket.merged"} <= set(PUBLIC_TYPES)


def test_the_signature_is_the_hmac_of_the_timestamp_and_the_body_and_checks_both() -> None:
    secret, body = "whsec_test", b'{"type":"ticket.created"}'
    header = signature_header(secret, 1_700_000_000, body)

    expected = hmac.new(secret.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify_signature(secret, header, body, now=1_700_000_100)
    assert not verify_signature(secret, header, body + b" ", now=1_700_000_100)
    assert not verify_signature("whsec_other", header, body, now=1_700_000_100)
    # Too old: a delivery replayed by someone who caught it is refused.
    assert not verify_signature(secret, header, body, now=1_700_000_000 + 301)
    assert not verify_signature(secret, "v1=abc", body, now=1_700_000_000)


def test_a_webhooks_secret_depends_on_the_key_and_its_own_salt() -> None:
    first = webhook_secret(b"key", "wh_1", "salt")
    assert first.startswith("whsec_") and len(first) == 6 + 52
    assert first == webhook_secret(b"key", "wh_1", "salt")
    assert first != webhook_secret(b"key", "wh_1", "other") != webhook_secret(b"other", "wh_1", "salt")


def test_the_slack_format_is_a_message_slack_shows_with_its_special_characters_escaped() -> None:
    event = TicketEvent(TICKET.ref, AT, "tags_changed", "e1", "sam@example.com", {"to": "<b>&vip"})
    detail = public_event(event, TICKET, "https://desk.example.com").detail

    message = slack_message(detail)

    assert message["text"] == "Ticket K7Q2-M9XD: Tags changed by sam@example.com"
    section = message["blocks"][0]["text"]["text"]
    assert "<https://desk.example.com/console#/tickets/K7Q2-M9XD|K7Q2-M9XD>" in section
    assert section.endswith("Tags changed by sam@example.com, to &lt;b&gt;&amp;vip")
    assert {"type": "mrkdwn", "text": "*Priority*\nhigh"} in message["blocks"][1]["fields"]
    envelope = {"detail-type": "ticket.tags_changed", "detail": detail}
    assert json.loads(delivery_body(envelope, PayloadFormat.SLACK)) == message
    assert json.loads(delivery_body(envelope, PayloadFormat.JSON)) == {
        "type": "ticket.tags_changed",
        **detail,
    }


def test_a_slack_message_says_who_and_what_in_words_not_as_the_events_fields() -> None:
    cases = [
        (
            TicketEvent(
                TICKET.ref, AT, "priority_changed", "e2", "sam@example.com", {"from": "high", "to": "urgent"}
            ),
            "Priority changed by sam@example.com, from high to urgent",
        ),
        (
            TicketEvent(TICKET.ref, AT, "ack_sent", "e3", "system", {"language": "en"}),
            "Acknowledgement sent by the desk, language: en",
        ),
        (
            TicketEvent(TICKET.ref, AT, "customer_replied", "e4", "customer", {}),
            "Customer replied",
        ),
    ]
    for event, words in cases:
        message = slack_message(public_event(event, TICKET, "").detail)
        assert message["blocks"][0]["text"]["text"] == f"Ticket K7Q2-M9XD: {words}"
        assert "(system)" not in message["text"] and "_" not in message["text"]


def test_the_back_off_doubles_from_the_first_wait_up_to_an_hour() -> None:
    assert [backoff(n, 30) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/x", "https://93.184.215.14/hook", "https://hooks.example.com:8443/x"]
)
def test_public_https_endpoints_are_taken(url: str) -> None:
    assert check_url(url, allow_local=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://192.168.1.2/x",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/x",
        "https://metadata.internal/x",
        "https://intranet/x",
        "http://127.0.0.1:9000/x",
    ],
)
def test_private_and_plain_http_endpoints_are_refused(url: str) -> None:
    with pytest.raises(EndpointRefused):
        check_url(url, allow_local=False)


def test_the_local_stack_may_deliver_to_localhost_over_http_but_nowhere_private() -> None:
    assert check_url("http://127.0.0.1:9000/x", allow_local=True)
    assert check_url("http://localhost:9000/x", allow_local=True)
    with pytest.raises(EndpointRefused):
        check_url("http://10.0.0.1/x", allow_local=True)
    check_address("127.0.0.1", allow_local=True)
    with pytest.raises(EndpointRefused):
        check_address("10.1.2.3", allow_local=True)


def test_a_webhook_names_known_event_types_or_every_one() -> None:
    assert checked_events(["ticket.status_changed", "ticket.created", "ticket.created"]) == (
        "ticket.created",
        "ticket.status_changed",
    )
    assert checked_events(["*"]) == ("*",)


def test_the_api_spec_names_exactly_the_event_types_the_desk_publishes() -> None:
    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
    _every, named = spec["components"]["schemas"]["WebhookEvents"]["oneOf"]
    assert named["items"]["enum"] == list(PUBLIC_TYPES)
