"""Tickets, messages and events as the tables keep them, and back: the one mapping between the
domain (tickets/model.py) and the items (tickets/dynamo.py), for the store and the privacy package."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from postdesk.clock import from_iso, to_iso
from postdesk.effects.keys import event_key
from postdesk.tickets.dynamo import AttachmentMap, CcOfferMap, LogItem, TicketItem
from postdesk.tickets.listing import index_keys
from postdesk.tickets.model import (
    AttachmentRef,
    CcOffer,
    Direction,
    MessageKind,
    SlaClocks,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)


@dataclass(frozen=True, slots=True)
class TicketUpdate:
    """Changes to a ticket as it was read (``before``): Ticket field names to their new values.
    Written only over that very version of the ticket, else :class:`ConcurrentUpdate`."""

    before: Ticket
    changes: Mapping[str, Any]

    def after(self) -> Ticket:
        return replace(self.before, **self.changes)


def expiry_of(update: TicketUpdate | None, expires_at: datetime | None) -> datetime | None:
    """The expiry the items of a write carry: the ticket's after ``update``, else ``expires_at``."""
    return update.after().expires_at if update is not None else expires_at


def epoch(moment: datetime) -> int:
    """A moment as DynamoDB's TTL reads it: whole seconds since the epoch."""
    return int(moment.timestamp())


def from_epoch(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value is not None else None


def stamped(item: LogItem, expires_at: datetime | None) -> LogItem:
    item.expires_at = epoch(expires_at) if expires_at else None
    return item


def sla_to_json(clocks: SlaClocks) -> str:
    """The SLA clocks as the ticket item keeps them: one small JSON attribute."""
    document = {
        name: to_iso(value)
        if isinstance(value, datetime)
        else list(value)
        if isinstance(value, tuple)
        else value
        for name, value in ((f.name, getattr(clocks, f.name)) for f in fields(clocks))
        if value not in (None, (), 0.0)
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def sla_from_json(text: str) -> SlaClocks:
    document: dict[str, Any] = json.loads(text)
    values: dict[str, Any] = {}
    for f in fields(SlaClocks):
        if f.name not in document:
            continue
        raw = document[f.name]
        if f.name in ("warned", "breached"):
            values[f.name] = tuple(raw)
        elif f.name == "resolution_used":
            values[f.name] = float(raw)
        else:
            values[f.name] = from_iso(raw)
    return SlaClocks(**values)


def stored_value(value: Any) -> Any:
    """A domain value as the ticket item stores it."""
    if isinstance(value, SlaClocks):
        return sla_to_json(value)
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, CcOffer):
        return offer_map(value)
    if isinstance(value, tuple):
        return [stored_value(element) for element in value]
    return value


def offer_map(offer: CcOffer) -> CcOfferMap:
    return CcOfferMap(
        address=offer.address, by_email=offer.by_email, by_name=offer.by_name, at=to_iso(offer.at)
    )


def offer_from_map(stored: CcOfferMap) -> CcOffer:
    return CcOffer(stored.address, stored.by_email, stored.by_name or "", from_iso(stored.at))


def update_actions(update: TicketUpdate) -> list[Action]:
    """The changed fields, the list-index keys they imply, and the next version."""
    after = update.after()
    stored = {name: stored_value(getattr(after, name)) for name in update.changes}
    if "requester_email" in stored:
        stored["requester_email"] = str(stored["requester_email"]).lower()
    if stored.get("expires_at") is not None and after.expires_at is not None:
        stored["expires_at"] = epoch(after.expires_at)
    stored.update(index_keys(after))
    stored["version"] = update.before.version + 1
    actions: list[Action] = []
    for name, value in stored.items():
        attribute = getattr(TicketItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def version_condition(before: Ticket) -> Condition:
    exists: Condition = TicketItem.ref.exists()
    same_version: Condition = TicketItem.version == before.version
    if not before.version:
        # Tickets written before versions existed have none: version 0.
        same_version = TicketItem.version.does_not_exist() | same_version
    combined: Condition = exists & same_version
    return combined


def item_from_ticket(ticket: Ticket) -> TicketItem:
    item = TicketItem(
        ref=ticket.ref,
        subject=ticket.subject,
        requester_email=ticket.requester_email.lower(),
        requester_name=ticket.requester_name,
        cc=list(ticket.cc),
        bcc=list(ticket.bcc) or None,
        cc_offered=[offer_map(offer) for offer in ticket.cc_offered] or None,
        cc_declined=list(ticket.cc_declined) or None,
        status=ticket.status.value,
        queue=ticket.queue,
        priority=ticket.priority,
        language=ticket.language,
        created_at=to_iso(ticket.created_at),
        updated_at=to_iso(ticket.updated_at),
        cycle=ticket.cycle,
        quarantine=ticket.quarantine,
        first_response_at=to_iso(ticket.first_response_at) if ticket.first_response_at else None,
        category=ticket.category,
        tags=list(ticket.tags),
        sentiment=ticket.sentiment,
        triage_confidence=ticket.triage_confidence,
        triage_explanation=ticket.triage_explanation,
        assignee=ticket.assignee,
        # A stored ticket starts at version 1, so 0 always means "never written".
        version=max(ticket.version, 1),
        resolved_at=to_iso(ticket.resolved_at) if ticket.resolved_at else None,
        survey_rating=ticket.survey_rating,
        survey_cycle=ticket.survey_cycle,
        survey_comment=ticket.survey_comment or None,
        survey_answered_at=to_iso(ticket.survey_answered_at) if ticket.survey_answered_at else None,
        follow_up=ticket.follow_up,
        sla=sla_to_json(ticket.sla) if ticket.sla else None,
        fingerprint=ticket.fingerprint or None,
        merged_into=ticket.merged_into,
        saved_replies=list(ticket.saved_replies) or None,
        suggested_articles=list(ticket.suggested_articles) or None,
        mailbox=ticket.mailbox,
        reminded_at=to_iso(ticket.reminded_at) if ticket.reminded_at else None,
        auto_resolved_cycle=ticket.auto_resolved_cycle,
        snoozed=ticket.snoozed or None,
        snoozed_until=to_iso(ticket.snoozed_until) if ticket.snoozed_until else None,
        active_at=to_iso(ticket.active_at) if ticket.active_at else None,
        rules_applied=list(ticket.rules_applied) or None,
    )
    for name, value in index_keys(ticket).items():
        setattr(item, name, value)
    return item


def ticket_from_item(item: TicketItem) -> Ticket:
    return Ticket(
        ref=item.ref,
        subject=item.subject,
        requester_email=item.requester_email,
        requester_name=item.requester_name or "",
        cc=tuple(item.cc or ()),
        bcc=tuple(item.bcc or ()),
        cc_offered=tuple(offer_from_map(stored) for stored in item.cc_offered or ()),
        cc_declined=tuple(item.cc_declined or ()),
        status=Status(item.status),
        queue=item.queue,
        priority=item.priority,
        language=item.language,
        created_at=from_iso(item.created_at),
        updated_at=from_iso(item.updated_at),
        cycle=int(item.cycle),
        quarantine=item.quarantine,
        first_response_at=from_iso(item.first_response_at) if item.first_response_at else None,
        waiting_since=from_iso(item.waiting_since) if item.waiting_since else None,
        category=item.category or "general",
        tags=tuple(item.tags or ()),
        sentiment=item.sentiment or "neutral",
        triage_confidence=float(item.triage_confidence or 0),
        triage_explanation=item.triage_explanation or "",
        assignee=item.assignee,
        version=int(item.version or 0),
        resolved_at=from_iso(item.resolved_at) if item.resolved_at else None,
        survey_rating=int(item.survey_rating) if item.survey_rating is not None else None,
        survey_cycle=int(item.survey_cycle) if item.survey_cycle is not None else None,
        survey_comment=item.survey_comment or "",
        survey_answered_at=from_iso(item.survey_answered_at) if item.survey_answered_at else None,
        follow_up=item.follow_up,
        sla=sla_from_json(item.sla) if item.sla else None,
        fingerprint=item.fingerprint or "",
        expires_at=from_epoch(item.expires_at),
        merged_into=item.merged_into,
        saved_replies=tuple(item.saved_replies or ()),
        suggested_articles=tuple(item.suggested_articles or ()),
        mailbox=item.mailbox,
        reminded_at=from_iso(item.reminded_at) if item.reminded_at else None,
        auto_resolved_cycle=int(item.auto_resolved_cycle) if item.auto_resolved_cycle is not None else None,
        snoozed=bool(item.snoozed),
        snoozed_until=from_iso(item.snoozed_until) if item.snoozed_until else None,
        active_at=from_iso(item.active_at) if item.active_at else None,
        rules_applied=tuple(item.rules_applied or ()),
    )


def item_from_message(message: ThreadMessage) -> LogItem:
    return LogItem(
        ref=message.ref,
        sk=message.key,
        kind=message.kind.value,
        at=to_iso(message.at),
        direction=message.direction.value,
        subject=message.subject,
        from_email=message.from_email,
        from_name=message.from_name,
        message_id=message.message_id,
        ses_id=message.ses_id,
        text=message.text,
        text_key=message.text_key,
        raw_key=message.raw_key,
        to=list(message.to) or None,
        cc=list(message.cc) or None,
        bcc=list(message.bcc) or None,
        attachments=[
            AttachmentMap(
                filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256, key=a.key
            )
            for a in message.attachments
        ]
        or None,
        screening=message.screening,
        visible_text=message.visible_text,
        has_html=message.has_html or None,
        attachments_not_extracted=message.attachments_not_extracted or None,
    )


def message_from_item(item: LogItem) -> ThreadMessage:
    return ThreadMessage(
        ref=item.ref,
        key=item.sk,
        direction=Direction(item.direction or Direction.INBOUND.value),
        kind=MessageKind(item.kind),
        at=from_iso(item.at),
        subject=item.subject or "",
        from_email=item.from_email or "",
        from_name=item.from_name or "",
        message_id=item.message_id,
        ses_id=item.ses_id,
        text=item.text,
        text_key=item.text_key,
        raw_key=item.raw_key,
        attachments=tuple(
            AttachmentRef(a.filename, a.content_type, int(a.size), a.sha256, a.key)
            for a in (item.attachments or ())
        ),
        to=tuple(item.to or ()),
        cc=tuple(item.cc or ()),
        bcc=tuple(item.bcc or ()),
        screening=item.screening,
        visible_text=item.visible_text,
        has_html=bool(item.has_html),
        attachments_not_extracted=int(item.attachments_not_extracted or 0),
    )


def item_from_event(event: TicketEvent) -> LogItem:
    return LogItem(
        ref=event.ref,
        sk=event_key(event.at, event.event_id),
        kind=event.kind,
        at=to_iso(event.at),
        actor=event.actor,
        detail=dict(event.detail) or None,
    )


def event_from_item(item: LogItem) -> TicketEvent:
    return TicketEvent(
        ref=item.ref,
        at=from_iso(item.at),
        kind=item.kind,
        event_id=item.sk.split("#", 2)[2],
        actor=item.actor or "system",
        detail={k: str(v) for k, v in (item.detail.as_dict() if item.detail else {}).items()},
    )
