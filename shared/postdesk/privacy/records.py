"""What the desk holds about one requester, found from their address: the tickets they asked
(the ``by-requester`` index), each with its thread and event log, and from those the objects in the
mail bucket, the Message-ID entries and the schedules that belong to them. Export and erasure both
start here, so they always agree on what "everything about an address" is."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from postdesk.aws.s3 import S3BlobStore
from postdesk.aws.scheduler import EventBridgeScheduler
from postdesk.clock import Clock
from postdesk.effects import keys
from postdesk.hygiene.suppressions import SuppressionList
from postdesk.mail.recipients import normalize_address
from postdesk.ports import Ports
from postdesk.privacy.audit import AuditLog
from postdesk.privacy.store import PrivacyStore
from postdesk.settings import Settings
from postdesk.signing import sign
from postdesk.sla.clocks import next_timer
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.store import TicketStore
from postdesk.workflows.lifecycle import next_lifecycle_timer
from postdesk.workflows.lifecycle import schedule_name as lifecycle_schedule_name
from postdesk.workflows.mail_feedback import UNREADABLE_PREFIX
from postdesk.workflows.retention import ticket_message_ids
from postdesk.workflows.sla import policy_of, timer_name
from postdesk.workflows.time_rules import rules_due

# Where exports wait for their download (the bucket's lifecycle rule deletes them after a day), one
# folder per requester, named by subject_id() so that an erasure finds them.
EXPORTS_PREFIX = "exports/"
# SES notifications the desk could not read are kept as they came; they may name anyone.
UNREADABLE_FEEDBACK_PREFIX = UNREADABLE_PREFIX
_SUBJECT_ID_LENGTH = 26


def stored_forms(address: str) -> list[str]:
    """Every form a requester's address may be stored in: lower case, as the store writes it; and,
    for items written before it lower-cased, the address as given and as the parser leaves it
    (domain lower-cased, local part as written)."""
    given = address.strip()
    local, _, domain = given.rpartition("@")
    return list(dict.fromkeys([given.lower(), given, f"{local}@{domain.lower()}"]))


def subject_id(key: bytes, address: str) -> str:
    """A name for the requester that says nothing without the desk's signing key: the folder their
    exports are filed under. (Exports made before the key was rotated are not found by it; the
    bucket deletes them within a day.)"""
    return sign(key, "privacy-subject", normalize_address(address), length=_SUBJECT_ID_LENGTH)


def exports_folder(key: bytes, address: str) -> str:
    return f"{EXPORTS_PREFIX}{subject_id(key, address)}/"


@dataclass(frozen=True, slots=True)
class PrivacyDesk:
    """What export and erasure work with."""

    settings: Settings
    store: TicketStore
    # What only export and erasure may read and delete.
    records: PrivacyStore
    blobs: S3BlobStore
    scheduler: EventBridgeScheduler
    suppressions: SuppressionList
    audit: AuditLog
    signing_key: Callable[[], bytes]
    clock: Clock


def privacy_desk(settings: Settings, ports: Ports, blobs: S3BlobStore | None = None) -> PrivacyDesk:
    return PrivacyDesk(
        settings=settings,
        store=ports.store,
        records=PrivacyStore(settings.tables, settings.region),
        blobs=blobs or S3BlobStore(settings.mail_bucket, settings.region),
        scheduler=EventBridgeScheduler(settings.region, settings.scheduling.group),
        suppressions=ports.suppressions,
        audit=AuditLog(settings.tables.audit, settings.region),
        signing_key=ports.signing_key,
        clock=ports.clock,
    )


@dataclass(frozen=True, slots=True)
class TicketRecords:
    """One ticket of the requester with its whole thread and event log."""

    ticket: Ticket
    thread: list[ThreadMessage]
    events: list[TicketEvent]

    @property
    def ref(self) -> str:
        return self.ticket.ref

    def raw_mail_keys(self) -> list[str]:
        return list(dict.fromkeys(m.raw_key for m in self.thread if m.raw_key))

    def attachment_keys(self) -> list[str]:
        return list(dict.fromkeys(a.key for m in self.thread for a in m.attachments))

    def body_keys(self) -> list[str]:
        return list(dict.fromkeys(m.text_key for m in self.thread if m.text_key))

    def object_prefixes(self, settings: Settings) -> list[str]:
        """The ticket's folders in the mail bucket (objects of a delivery that crashed before its
        message was written are there too)."""
        return [f"{settings.attachments_prefix}{self.ref}/", f"{settings.bodies_prefix}{self.ref}/"]

    def message_ids(self, domain: str) -> list[str]:
        """Every Message-ID the desk may have indexed for this ticket: the ids of its messages (the
        customer's own, and those SES gave our mail), its thread id, and our own ids of its
        acknowledgements (one per received mail), replies (one per reply request) and surveys (one
        per cycle). workflows/ingest.py, reply.py and survey.py write these; the ones its messages
        name are worked out where retention needs them too (workflows/retention.py)."""
        ids = list(ticket_message_ids(self.ref, self.thread, domain))
        # What a delivery or a send that stopped half-way may have indexed without writing its
        # message: an acknowledgement per received mail, a reply per request, a survey per cycle.
        ids.extend(
            keys.ack_message_id(m.ses_id, domain)
            for m in self.thread
            if m.direction is Direction.INBOUND and m.ses_id
        )
        ids.extend(
            keys.reply_message_id(self.ref, event.event_id.removeprefix("reply:"), domain)
            for event in self.events
            if event.kind == "agent_replied" and event.event_id.startswith("reply:")
        )
        ids.extend(
            keys.survey_message_id(self.ref, cycle, domain) for cycle in range(1, self.ticket.cycle + 1)
        )
        ids.extend(
            keys.forward_message_id(self.ref, event.detail.get("forward", ""), domain)
            for event in self.events
            if event.kind == "forwarded" and event.detail.get("forward")
        )
        return list(dict.fromkeys(ids))

    def acknowledged_addresses(self) -> set[str]:
        """Where the acknowledgements went (the envelope sender, which may differ from the From):
        the rate-limit counters are kept by these addresses."""
        return {
            address.lower()
            for m in self.thread
            if m.kind is MessageKind.ACKNOWLEDGEMENT
            for address in m.to
            if address
        }

    def schedule_names(self, settings: Settings) -> list[str]:
        """The schedules the ticket may have waiting, named as the workflows name them: a survey per
        resolution cycle (``survey-<ref>-<cycle>``) and the SLA timer of its clocks as they stand
        (``sla-<ref>-...``; a timer that moved was deleted when it moved), and likewise its next
        automatic step (``auto-<ref>-...``: a reminder, an auto-resolve, a close, a snooze's end) and
        its time rules' timer (``rules-<ref>-...``). Deriving the names needs no listing of the group
        (ListSchedules can only be granted on every resource)."""
        policy = policy_of(settings)
        names = [keys.survey_schedule(self.ref, cycle) for cycle in range(1, self.ticket.cycle + 1)]
        timer = next_timer(self.ticket, policy)
        if timer is not None:
            names.append(timer_name(self.ref, timer))
        step = next_lifecycle_timer(self.ticket, policy)
        if step is not None:
            names.append(lifecycle_schedule_name(self.ref, step))
        rules_at = rules_due(self.ticket, settings)
        if rules_at is not None:
            names.append(keys.rules_schedule(self.ref, rules_at))
        return names


# The reads and deletes of one requester's tickets go this many at a time, so that a requester with
# hundreds of tickets is exported and erased well within the API's 29 s (bench/bench_privacy.py),
# inside the connection pools' 10 connections (botocore's and PynamoDB's default).
PRIVACY_WORKERS = 8


def each_at_once[T, R](work: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``work`` on each of ``items``, PRIVACY_WORKERS at a time; the results in the items' order."""
    with ThreadPoolExecutor(max_workers=PRIVACY_WORKERS) as pool:
        return list(pool.map(work, items))


def records_of(address: str, desk: PrivacyDesk) -> list[TicketRecords]:
    """The requester's tickets, oldest first, each with its thread and log (``address`` as the
    operator gave it: every form it may be stored in is looked up)."""
    normalize_address(address)
    tickets: dict[str, Ticket] = {}
    for form in stored_forms(address):
        for ticket in desk.records.every_ticket_of_requester(form):
            tickets.setdefault(ticket.ref, ticket)
    ordered = sorted(tickets.values(), key=lambda ticket: (ticket.created_at, ticket.ref))
    return each_at_once(lambda ticket: TicketRecords(ticket, *desk.store.log(ticket.ref)), ordered)


def mentions(data: bytes, address: str) -> bool:
    """Whether ``data`` names ``address`` (in any case)."""
    return address.lower().encode("utf-8") in data.lower()
