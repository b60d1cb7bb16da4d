"""The ticket, the messages of its thread and the events of its log, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    # Waiting on someone other than the customer (a supplier, another team).
    ON_HOLD = "on-hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Lowest first; lists sorted by priority show the last one first.
PRIORITIES = ("low", "normal", "high", "urgent")

OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    # Notes agents leave for each other: never mailed.
    INTERNAL = "internal"


class MessageKind(StrEnum):
    CUSTOMER = "customer"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    QUARANTINED = "quarantined"
    ACKNOWLEDGEMENT = "acknowledgement"
    AGENT_REPLY = "agent_reply"
    NOTE = "note"
    SURVEY = "survey"
    # Mail to the team about a ticket: never to the customer, never part of the thread.
    TEAM_NOTICE = "team_notice"
    # Messages of the ticket an agent forwarded to a third party (a supplier, another team), with a
    # note; recorded as internal: the customer never sees it (workflows/forward.py).
    FORWARD = "forward"
    # A third party's answer to a forward, back on the ticket as internal (workflows/ingest.py).
    THIRD_PARTY = "third_party"


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """An attachment kept in S3; the ticket holds only this."""

    filename: str
    content_type: str
    size: int
    sha256: str
    key: str


@dataclass(frozen=True, slots=True)
class CcOffer:
    """An address someone on the thread copied on a later mail: offered to the agents for the Cc,
    never added by itself (workflows/copies.py)."""

    address: str
    # Who copied it (their address and name as their mail gave them), and when that mail came.
    by_email: str
    by_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SlaClocks:
    """The SLA clocks of a ticket's current cycle (``sla/clocks.py`` moves them and derives the due
    times). A clock run is named by its target and start ("next_response:<iso>"), so warnings and
    breaches are recorded once per run."""

    cycle_started: datetime
    # A customer has waited for our next answer since then (None: nobody waits on us).
    next_response_since: datetime | None = None
    # The resolution clock runs since then (None: paused while waiting on the customer, or stopped).
    resolution_since: datetime | None = None
    # Business seconds the resolution clock ran before ``resolution_since``.
    resolution_used: float = 0.0
    first_response_due: datetime | None = None
    next_response_due: datetime | None = None
    resolution_due: datetime | None = None
    warned: tuple[str, ...] = ()
    breached: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ticket:
    ref: str
    subject: str
    requester_email: str
    requester_name: str
    status: Status
    queue: str
    priority: str
    language: str
    created_at: datetime
    updated_at: datetime
    cc: tuple[str, ...] = ()
    # Who gets every mail of the thread without being named in it (lower case; never the requester,
    # never a Cc address). A reply's own Bcc is for that reply only, unless the agent keeps it here.
    bcc: tuple[str, ...] = ()
    # Addresses a customer copied on a later mail, waiting for an agent to add them or dismiss them.
    cc_offered: tuple[CcOffer, ...] = ()
    # Addresses the agents declined (an offer dismissed, or taken off the Cc or Bcc): never offered again.
    cc_declined: tuple[str, ...] = ()
    # Counts resolutions: each reopen starts a new cycle (surveys and timers are per cycle).
    cycle: int = 1
    # Why the ticket is kept out of the default queues (spam, virus, automatic mail), or None.
    quarantine: str | None = None
    first_response_at: datetime | None = None
    waiting_since: datetime | None = None
    # What triage decided, and why (shown to agents; the explanation names the rule or the model).
    category: str = "general"
    tags: tuple[str, ...] = ()
    sentiment: str = "neutral"
    triage_confidence: float = 0.0
    triage_explanation: str = ""
    # The agent (email) working the ticket, or None while nobody has taken it.
    assignee: str | None = None
    # Raised by every change; a writer that read version n may only write over version n.
    version: int = 0
    # When the current cycle was resolved (the survey goes out a delay after it).
    resolved_at: datetime | None = None
    # The customer's latest answer to a survey, and the cycle it answered.
    survey_rating: int | None = None
    survey_cycle: int | None = None
    survey_comment: str = ""
    survey_answered_at: datetime | None = None
    # Why the ticket needs a follow-up (a bad rating or comment), until an agent clears it.
    follow_up: str | None = None
    # The service-level clocks (None for quarantined tickets, which promise nothing).
    sla: SlaClocks | None = None
    # When the desk forgets the ticket (set when it is closed, cleared when it reopens): its items
    # carry this as their TTL, and from then on no read returns them (workflows/retention.py).
    expires_at: datetime | None = None
    # What the first mail said, reduced and hashed (triage/flood.py): a repeat of it from the same
    # sender within the hour joins this ticket. Empty for tickets an agent started.
    fingerprint: str = ""
    # Merged into that ticket (kept, closed and read-only; later mail to it lands there).
    merged_into: str | None = None
    # The saved replies its agents' replies were taken from (ids, sorted): their figures count this
    # ticket's resolutions, reopenings and survey answers (tickets/stats.py).
    saved_replies: tuple[str, ...] = ()
    # The help-center articles its acknowledgement links (slugs, set when the ticket is made): their
    # figures count this ticket's resolutions (deflections when no agent answered), reopenings and
    # ratings.
    suggested_articles: tuple[str, ...] = ()
    # The desk's address its first mail came to (mailboxes.py), lower case: its mail goes from there
    # under that address's brand. None for tickets from before the desk had several: the main one.
    mailbox: str | None = None
    # When the desk last reminded the customer of a ticket pending on them (workflows/lifecycle.py):
    # a reminder of the current wait when it is not before ``waiting_since``.
    reminded_at: datetime | None = None
    # The cycle the desk resolved by itself after its reminder (a reopen of it is counted).
    auto_resolved_cycle: int | None = None
    # Snoozed: on hold until ``snoozed_until`` (then open again, the assignee told) or until the
    # customer answers (``snoozed`` with no time). Any move of the status ends the snooze.
    snoozed: bool = False
    snoozed_until: datetime | None = None
    # When a person last acted on the ticket: the customer's mail, an agent's reply or change (notes
    # are found in the thread). Time rules count idle time from it; nothing automatic moves it.
    # None: ``updated_at`` stands for it (tickets from before it was kept).
    active_at: datetime | None = None
    # The time rules (triage/time_rules.py) applied since that activity: "<activity iso> <rule name>".
    rules_applied: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of a ticket's thread, inbound or outbound."""

    ref: str
    key: str
    direction: Direction
    kind: MessageKind
    at: datetime
    subject: str
    from_email: str
    from_name: str
    message_id: str | None
    # The SES id: of the receipt for inbound mail, of the send for outbound mail.
    ses_id: str | None
    text: str | None
    text_key: str | None
    raw_key: str | None
    attachments: tuple[AttachmentRef, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # Who an outbound mail went to without being named in it (agents see it; the mail does not).
    bcc: tuple[str, ...] = ()
    screening: str | None = None
    # The new text of the message without quoted history and signature (None: same as ``text``).
    visible_text: str | None = None
    # Whether the mail had an HTML part (agents can ask for it, sanitized).
    has_html: bool = False
    # Attachments the mail had beyond what was extracted: only its raw mail (``raw_key``) holds them.
    attachments_not_extracted: int = 0


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """An entry of the append-only log. ``event_id`` is derived from what caused it, so a retried
    delivery writes the same entry again instead of a second one."""

    ref: str
    at: datetime
    kind: str
    event_id: str
    actor: str = "system"
    detail: dict[str, str] = field(default_factory=dict)
