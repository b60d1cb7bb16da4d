"""How long a closed ticket is kept, and carrying that to every item of it.

Tickets do not close by themselves: a ticket is closed when an agent closes it (PATCH status
``closed``, allowed only from resolved). A resolved ticket stays resolved, and is kept, until someone
closes it. The moment it is closed, the ticket gets ``expires_at`` = that moment +
``closed_ticket_days`` (POSTDESK_CLOSED_TICKET_RETENTION_DAYS, 730 by default), written with the
close itself; then every item of its log and every Message-ID entry of it get the same expiry.
DynamoDB's TTL deletes them some time after it, and the store returns none of them from that moment
on. Reopening (a customer's reply, an agent's reply or edit) clears the expiry on all of them again;
closing again starts the count anew.

Items written while the ticket is closed (a note, a survey, an out-of-office, a bounce) carry the
ticket's expiry as they are written. Raw mail, long bodies and attachments are not counted from
the close: the bucket's lifecycle rules delete them a fixed number of days after they were stored
(``raw_mail_days``, ``attachment_days``; see docs/operations.md, "Retention").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from postdesk.clock import to_iso
from postdesk.effects import keys
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket


def closed_until(closed_at: datetime, settings: Settings) -> datetime:
    """When a ticket closed at ``closed_at`` is forgotten."""
    return closed_at + timedelta(days=settings.retention.closed_ticket_days)


def ticket_message_ids(ref: str, thread: Sequence[ThreadMessage], domain: str) -> dict[str, Direction]:
    """Every Message-ID the desk indexed for this ticket, with the direction it was indexed under:
    the ids of the mails received (workflows/ingest.py), the ids SES gave our mail, the ticket's
    thread id, and our own ids of its acknowledgements, replies, surveys and forwards (ingest.py,
    reply.py, survey.py, forward.py derive them from the message's key, which is recorded here)."""
    ids: dict[str, Direction] = {keys.ticket_thread_id(ref, domain): Direction.OUTBOUND}
    for message in thread:
        # A forward and a third party's answer (internal) are indexed as internal: notes have no id.
        if message.message_id:
            ids.setdefault(message.message_id, message.direction)
        unique = message.key.split("#", 2)[-1]
        own: str | None = None
        if message.kind is MessageKind.ACKNOWLEDGEMENT and unique.startswith("ack-"):
            own = keys.ack_message_id(unique.removeprefix("ack-"), domain)
        elif message.kind is MessageKind.AGENT_REPLY and unique.startswith("reply-"):
            own = keys.reply_message_id(ref, unique.removeprefix("reply-"), domain)
        elif message.kind is MessageKind.SURVEY and unique.removeprefix("survey-").isdigit():
            own = keys.survey_message_id(ref, int(unique.removeprefix("survey-")), domain)
        elif message.kind is MessageKind.FORWARD and unique.startswith("forward-"):
            ids.setdefault(
                keys.forward_message_id(ref, unique.removeprefix("forward-"), domain), Direction.INTERNAL
            )
        if own is not None:
            ids.setdefault(own, Direction.OUTBOUND)
    return ids


def sync_retention(before: Ticket | None, after: Ticket, settings: Settings, ports: Ports) -> None:
    """After a written change: when it closed or reopened the ticket (its expiry moved), carry the
    expiry to the ticket's log and Message-ID entries. A failure is logged and counted, not raised
    (the change is written); closing the ticket again applies it again."""
    if before is None or before.expires_at == after.expires_at:
        return
    apply_retention(after, settings, ports)


def apply_retention(ticket: Ticket, settings: Settings, ports: Ports) -> None:
    """Give every log item and Message-ID entry of ``ticket`` the ticket's expiry (none when it is not
    closed). Idempotent: items that already carry it are not written again."""
    try:
        thread = ports.store.expire_log(ticket.ref, ticket.expires_at)
        entries = ticket_message_ids(ticket.ref, thread, settings.support_domain)
        written = ports.store.expire_message_ids(ticket.ref, entries, ticket.expires_at)
    except Exception:
        logger.exception("retention not applied", extra={"ref": ticket.ref})
        ports.metrics.count("RetentionNotApplied")
        return
    logger.info(
        "retention applied",
        extra={
            "ref": ticket.ref,
            "expires_at": to_iso(ticket.expires_at) if ticket.expires_at else None,
            "messages": len(thread),
            "message_ids": written,
        },
    )
