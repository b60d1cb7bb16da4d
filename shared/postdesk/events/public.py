"""What the desk tells the world about its tickets: each entry of a ticket's log (a TicketEvent) becomes
one public event on the stack's EventBridge bus, versioned and documented (docs/events.md, the JSON
Schema in docs/events/). Pure: the log entry and the ticket in, the event out.

What a public event carries is chosen for subscribers outside the desk: the ticket's reference, its
state (status, priority, queue, category, assignee, tags, language) and the change in words the log
holds. Never the customer's address, name or words: a subject, a message, an address a customer wrote
are kept out (a subscriber that needs them asks the API with a token)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from postdesk.clock import to_iso
from postdesk.tickets.model import Ticket, TicketEvent

SOURCE = "postdesk"
SCHEMA_VERSION = 1
# What a public event's type starts with; the log's kind follows ("ticket.status_changed").
TYPE_PREFIX = "ticket."

# Log kinds whose public name differs from "ticket.<kind>".
_RENAMED = {"ticket_created": "ticket.created"}

# Detail keys that only identify something inside the desk (storage keys, SES ids, saved reply ids):
# they mean nothing outside it. The console's history hides the same ones (history.js ID_DETAILS).
_ID_KEY = re.compile(r"(^|_)(id|key|ses_message_id|message_id|raw_key|name|first_delivery|event_id)$")
# Detail keys that hold what a customer wrote or who a mail went to.
_PERSONAL_KEYS = frozenset({"subject", "cc", "bcc", "recipient", "recipients", "address", "comment", "text"})
# Kinds whose details name agents by address: agents are the desk's own people, not customers.
_AGENT_ADDRESS_KINDS = frozenset({"assigned", "unassigned", "assignee_changed"})

# What a webhook subscriber may name (docs/events/README and the console's list): every kind the
# workflows write, by their public names. Kinds added later are published as well (a subscription to
# "*" gets them); naming one in a subscription needs it here.
PUBLIC_TYPES = (
    "ticket.created",
    "ticket.customer_replied",
    "ticket.agent_replied",
    "ticket.note_added",
    "ticket.status_changed",
    "ticket.resolved",
    "ticket.reopened",
    "ticket.assigned",
    "ticket.unassigned",
    "ticket.assignee_changed",
    "ticket.priority_changed",
    "ticket.queue_changed",
    "ticket.category_changed",
    "ticket.tags_changed",
    "ticket.subject_changed",
    "ticket.cc_changed",
    "ticket.bcc_changed",
    "ticket.merged",
    "ticket.merged_in",
    "ticket.split",
    "ticket.split_from",
    "ticket.forwarded",
    "ticket.third_party_answered",
    "ticket.escalated",
    "ticket.sla_warning",
    "ticket.sla_breached",
    "ticket.first_response",
    "ticket.next_response",
    "ticket.survey_sent",
    "ticket.survey_answered",
    "ticket.survey_rating_changed",
    "ticket.follow_up_needed",
    "ticket.follow_up_done",
    "ticket.quarantined",
    "ticket.released",
    "ticket.mail_bounced",
    "ticket.mail_complained",
    "ticket.ack_sent",
    "ticket.mail_screened",
)

# Event types whose words are not their names' (what people say is shorter, or an abbreviation).
_LABELS_BY_HAND = {
    "ticket.sla_warning": "SLA warning",
    "ticket.sla_breached": "SLA breached",
    "ticket.ack_sent": "Acknowledgement sent",
    "ticket.cc_changed": "Cc changed",
    "ticket.bcc_changed": "Bcc changed",
    "ticket.mail_screened": "Mail screened",
}


def event_label(type_name: str) -> str:
    """The words of an event type, as the console and Slack messages show it: "ticket.status_changed"
    → "Status changed"; a type not listed (one added later) by the same rule."""
    if type_name in _LABELS_BY_HAND:
        return _LABELS_BY_HAND[type_name]
    words = type_name.removeprefix(TYPE_PREFIX).replace("_", " ")
    return words[:1].upper() + words[1:]


# Every public type's words (GET /webhooks/event-types serves them: the one table).
EVENT_LABELS = {type_name: event_label(type_name) for type_name in PUBLIC_TYPES}


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """One event as PutEvents takes it: its type (EventBridge's ``detail-type``) and its detail."""

    detail_type: str
    detail: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.detail["event_id"])


def public_type(kind: str) -> str:
    return _RENAMED.get(kind, TYPE_PREFIX + kind)


def public_event_id(ref: str, log_event_id: str) -> str:
    """The event's id for subscribers: the same for the same log entry every time it is published
    (a stream record handed on twice, a replay), so they can drop what they have seen."""
    digest = hashlib.sha256(f"{ref}\x1f{log_event_id}".encode()).hexdigest()[:32]
    return f"evt_{digest}"


def _shown_change(kind: str, detail: Mapping[str, str]) -> dict[str, str]:
    change = {}
    for key, value in sorted(detail.items()):
        if _ID_KEY.search(key) or key in _PERSONAL_KEYS:
            continue
        if "@" in value and kind not in _AGENT_ADDRESS_KINDS:
            continue
        change[key] = value[:500]
    return change


def ticket_state(ticket: Ticket) -> dict[str, Any]:
    """The ticket's fields a subscriber may read (docs/events.md, "ticket")."""
    return {
        "ref": ticket.ref,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "queue": ticket.queue,
        "category": ticket.category,
        "assignee": ticket.assignee,
        "tags": list(ticket.tags),
        "language": ticket.language,
        "cycle": ticket.cycle,
        "created_at": to_iso(ticket.created_at),
        "updated_at": to_iso(ticket.updated_at),
        "merged_into": ticket.merged_into,
    }


def public_event(event: TicketEvent, ticket: Ticket | None, console_url: str = "") -> PublicEvent:
    """The public event of a log entry; ``ticket`` as it is when published (None: gone meanwhile,
    erased or expired, and the event says only its reference)."""
    detail: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "event_id": public_event_id(event.ref, event.event_id),
        "type": public_type(event.kind),
        "at": to_iso(event.at),
        "ref": event.ref,
        "actor": _actor(event.actor),
        "change": _shown_change(event.kind, event.detail),
        "ticket": ticket_state(ticket) if ticket is not None else None,
        "url": f"{console_url}/console#/tickets/{event.ref}" if console_url else None,
    }
    return PublicEvent(detail_type=public_type(event.kind), detail=detail)


def _actor(actor: str) -> dict[str, str]:
    """Who made the change: an agent (by address: agents are the desk's own), the customer, or the desk."""
    if "@" in actor:
        return {"type": "agent", "email": actor}
    if actor == "customer":
        return {"type": "customer"}
    return {"type": "system", "name": actor or "system"}
