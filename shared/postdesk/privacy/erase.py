"""The right to erasure (GDPR art. 17, CCPA's right to delete): every trace of a requester, found from
their address, removed.

Removed: the tickets they asked (their items in TicketsTable, and with them their entries in every
index of it), each ticket's whole log (messages and events), its Message-ID entries, its guards and
its pending schedules (surveys, SLA timers); in the mail bucket its raw mails, attachments and long
texts, the requester's exports and any unreadable SES notification naming the address; the
acknowledgement rate-limit counters and the guards of SES's mail feedback kept by hashes of the
address; and the address's suppression-list entry, unless ``keep_suppression`` asks to keep a suppression (the
person complained and must never be mailed again: the entry is a hash, not the address).

Kept: the per-day figures (counts without anyone in them), and everything outside the requester's
own tickets (a ticket someone else asked that names them keeps its text).

The order makes a run that stops half-way safe to repeat: schedules first (so nothing fires and
writes while the rest goes), then what the tickets lead to, then the logs, then the tickets
themselves (the way to everything else), and the address's own entries last. A second run finds
nothing and says so. Every run writes an audit record: when, who, how many of each; no address,
no hash of it and no ticket reference."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from postdesk.effects import keys
from postdesk.hygiene.suppressions import Reason
from postdesk.mail.recipients import normalize_address
from postdesk.observability import logger
from postdesk.privacy.audit import ERASURE, TICKET_DELETION, AuditRecord, new_record_id, operator_for_record
from postdesk.privacy.records import (
    UNREADABLE_FEEDBACK_PREFIX,
    PrivacyDesk,
    TicketRecords,
    each_at_once,
    exports_folder,
    mentions,
    records_of,
)

# Acknowledgement counters expire two days after their window at the most, and DynamoDB's TTL deletes
# an expired item within days: an erasure looks for the windows of the last week by name.
COUNTER_DAYS = 7


@dataclass(frozen=True, slots=True)
class ErasurePreview:
    """What an erasure of the address would remove, for the operator to confirm."""

    tickets: int
    messages: int
    suppression: bool


@dataclass(frozen=True, slots=True)
class ErasureReport:
    erasure_id: str
    at: datetime
    operator: str
    tickets: int = 0
    messages: int = 0
    events: int = 0
    message_ids: int = 0
    guards: int = 0
    counters: int = 0
    objects: int = 0
    exports: int = 0
    schedules: int = 0
    suppression_removed: bool = False
    suppression_kept: bool = False

    def counts(self) -> dict[str, int]:
        """How many of each were removed (the audit record keeps these)."""
        return {
            "tickets": self.tickets,
            "messages": self.messages,
            "events": self.events,
            "message_ids": self.message_ids,
            "guards": self.guards,
            "counters": self.counters,
            "objects": self.objects,
            "exports": self.exports,
            "schedules": self.schedules,
            "suppression_entries": int(self.suppression_removed),
        }

    @property
    def nothing_found(self) -> bool:
        return not any(self.counts().values()) and not self.suppression_kept


def preview(address: str, desk: PrivacyDesk) -> ErasurePreview:
    subject = normalize_address(address)
    records = records_of(address, desk)
    return ErasurePreview(
        tickets=len(records),
        messages=sum(len(r.thread) for r in records),
        suppression=desk.suppressions.entry(subject) is not None,
    )


def erase(
    address: str,
    desk: PrivacyDesk,
    operator: str,
    channel: str,
    keep_suppression: bool = False,
) -> ErasureReport:
    """Erase everything about ``address`` (see the module docstring) and record that it was done."""
    subject = normalize_address(address)
    now = desk.clock()
    erasure_id = new_record_id(now)
    records = records_of(address, desk)

    addresses = {subject}.union(*(r.acknowledged_addresses() for r in records))
    erased = _erase_tickets(records, desk, [keys.recipient_tag(a) for a in sorted(addresses)])
    unreadable = [
        key
        for key in desk.blobs.keys_under(UNREADABLE_FEEDBACK_PREFIX)
        if mentions(desk.blobs.get(key), subject)
    ]
    exports = desk.blobs.keys_under(exports_folder(desk.signing_key(), subject))
    desk.blobs.delete_keys([*unreadable, *exports])
    counters = desk.records.erase_counters(
        key for address in sorted(addresses) for key in keys.ack_rate_keys(address, now, COUNTER_DAYS)
    )

    removed = kept = False
    entry = desk.suppressions.entry(subject)
    if entry is not None and not (keep_suppression and entry.suppressed):
        # A soft-bounce count that suppresses nothing goes either way.
        removed = desk.suppressions.remove(subject)
    if keep_suppression:
        # Kept as it was, or written now: a hashed "do not contact" entry that every send checks.
        if entry is None or not entry.suppressed:
            desk.suppressions.suppress(subject, Reason.DO_NOT_CONTACT, now)
            removed = False
        kept = True

    report = ErasureReport(
        erasure_id=erasure_id,
        at=now,
        operator=operator_for_record(operator, subject),
        **{**asdict(erased), "objects": erased.objects + len(unreadable) + len(exports)},
        counters=counters,
        exports=len(exports),
        suppression_removed=removed,
        suppression_kept=kept,
    )
    _audit(report, ERASURE, channel, desk, kept_suppression=kept)
    logger.info("privacy erasure", extra={"erasure_id": erasure_id, **report.counts(), "kept": kept})
    return report


@dataclass(frozen=True, slots=True)
class _TicketsErased:
    tickets: int
    messages: int
    events: int
    message_ids: int
    guards: int
    objects: int
    schedules: int


def _erase_tickets(records: list[TicketRecords], desk: PrivacyDesk, owner_tags: list[str]) -> _TicketsErased:
    """Remove the tickets of ``records`` with everything they lead to, in the order that makes a run
    stopped half-way safe to repeat; ``owner_tags`` name the further owners whose guards go too."""
    refs = [r.ref for r in records]
    schedules = _erase_schedules(records, desk)
    objects = _erase_ticket_objects(records, desk)
    domain = desk.settings.support_domain
    message_ids = desk.records.erase_message_ids(
        (r.ref, message_id) for r in records for message_id in r.message_ids(domain)
    )
    guards = desk.records.erase_guards(
        key for found in each_at_once(desk.records.guard_keys, [*refs, *owner_tags]) for key in found
    )
    # The log as it was read, then the tickets, then whatever was written to a log while it went (a
    # mail arriving that very moment).
    known = [
        *((r.ref, message.key) for r in records for message in r.thread),
        *((r.ref, keys.event_key(event.at, event.event_id)) for r in records for event in r.events),
    ]
    desk.records.erase_log_items(known)
    desk.records.erase_tickets(refs)
    late = [
        (ref, sk)
        for ref, found in zip(refs, each_at_once(desk.records.log_keys, refs), strict=True)
        for sk in found
    ]
    desk.records.erase_log_items(late)
    messages = sum(1 for _, sk in (*known, *late) if sk.startswith("M#"))
    return _TicketsErased(
        tickets=len(refs),
        messages=messages,
        events=len(known) + len(late) - messages,
        message_ids=message_ids,
        guards=guards,
        objects=objects,
        schedules=schedules,
    )


def delete_ticket(records: TicketRecords, desk: PrivacyDesk, operator: str, channel: str) -> ErasureReport:
    """Remove one ticket with everything it leads to (its log, Message-ID entries, guards, schedules
    and objects), as an erasure does for each of a requester's tickets; the requester's other tickets
    and their address's own entries stay. Recorded in the audit table like an erasure."""
    now = desk.clock()
    erased = _erase_tickets([records], desk, [])
    report = ErasureReport(
        erasure_id=new_record_id(now),
        at=now,
        operator=operator_for_record(operator, records.ticket.requester_email),
        **asdict(erased),
    )
    _audit(report, TICKET_DELETION, channel, desk)
    logger.info("ticket deleted", extra={"erasure_id": report.erasure_id, **report.counts()})
    return report


def _audit(
    report: ErasureReport, action: str, channel: str, desk: PrivacyDesk, kept_suppression: bool | None = None
) -> None:
    desk.audit.write(
        AuditRecord(
            action=action,
            record_id=report.erasure_id,
            at=report.at,
            operator=report.operator,
            channel=channel,
            counts=report.counts(),
            kept_suppression=kept_suppression,
        )
    )


def _erase_schedules(records: list[TicketRecords], desk: PrivacyDesk) -> int:
    """Delete the tickets' pending schedules; how many there were. One left behind by a crash fires
    into a ticket that is gone, which does nothing, and deletes itself."""
    names = [name for ticket in records for name in ticket.schedule_names(desk.settings)]
    return sum(each_at_once(desk.scheduler.delete, names))


def _erase_ticket_objects(records: list[TicketRecords], desk: PrivacyDesk) -> int:
    """Delete the raw mails, attachments and long texts of the tickets; how many there were."""

    def present(ticket: TicketRecords) -> set[str]:
        found: set[str] = set()
        for prefix in ticket.object_prefixes(desk.settings):
            found.update(desk.blobs.keys_under(prefix))
        for key in (*ticket.raw_mail_keys(), *ticket.attachment_keys(), *ticket.body_keys()):
            # The lifecycle rules may have removed it already: count what is there.
            if key not in found and key in desk.blobs.keys_under(key):
                found.add(key)
        return found

    doomed = set().union(*each_at_once(present, records))
    desk.blobs.delete_keys(doomed)
    return len(doomed)
