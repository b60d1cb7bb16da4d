"""The words of the public event types are one table (events/public.py): GET /webhooks/event-types
serves it, the console shows it and Slack messages use it; every type the desk publishes to
"Every event" webhooks, mail_screened included, may be named in a subscription."""

from __future__ import annotations

import json
from pathlib import Path

from postdesk.events.public import EVENT_LABELS, PUBLIC_TYPES, event_label
from postdesk.webhooks.payloads import PayloadFormat, delivery_body

CONSOLE = Path(__file__).resolve().parents[2] / "shared" / "postdesk" / "console"


def test_mail_screened_can_be_named_and_every_type_has_words() -> None:
    assert "ticket.mail_screened" in PUBLIC_TYPES
    assert set(EVENT_LABELS) == set(PUBLIC_TYPES)
    assert EVENT_LABELS["ticket.status_changed"] == "Status changed"
    assert EVENT_LABELS["ticket.sla_warning"] == "SLA warning"
    assert EVENT_LABELS["ticket.mail_screened"] == "Mail screened"
    assert event_label("ticket.something_new") == "Something new"


def test_slack_messages_use_the_same_words() -> None:
    event = {
        "detail-type": "ticket.ack_sent",
        "detail": {"type": "ticket.ack_sent", "ref": "AB12-CD34", "change": {}},
    }
    message = json.loads(delivery_body(event, PayloadFormat.SLACK))
    assert EVENT_LABELS["ticket.ack_sent"] in message["text"]


def test_the_console_keeps_no_copy_of_the_words() -> None:
    script = (CONSOLE / "webhooks.js").read_text(encoding="utf-8")
    assert "SLA warning" not in script and "Acknowledgement sent" not in script
    assert "answer.labels" in script
