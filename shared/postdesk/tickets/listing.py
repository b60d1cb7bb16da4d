"""Ticket lists without scans: which index partitions a filter reads, and the keys that put a ticket
in them.

Every ticket sits in one partition of each list index: by its status, by (assignee, status) and by
(queue, status). Quarantined tickets sit under the pseudo-status ``quarantine`` so they stay out of
every default list. Each partition is sorted two ways: by ``waiting_since`` (oldest waiting first)
and by ``priority_waiting`` (highest priority first, then oldest). A list over several statuses
reads one partition per status and merges them in order; the most selective filter given picks the
index, and the remaining filters are applied inside those partitions.

Two sparse indexes hold only the tickets that need something: ``follow-up`` (a bad survey answer)
and ``sla-due`` (open work with an SLA clock running, sorted by the earliest due time). The views
"Due soon" and "Breached" are ranges of ``sla-due`` relative to now, so a ticket moves from one to
the other as time passes, without a write.

"Snoozed" reads the on-hold partitions, keeps the snoozed tickets and orders them by when they wake
(:func:`wake_order`): the whole list is read and sorted, bounded by :data:`SNOOZED_READ_CAP`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from postdesk.clock import to_iso
from postdesk.tickets.model import OPEN_STATUSES, PRIORITIES, Status, Ticket

UNASSIGNED = "-"
QUARANTINE = "quarantine"
FOLLOW_UP = "follow-up"
# The one partition of the sparse ``sla-due`` index: open work whose SLA clock runs.
SLA_RUNNING = "running"
MAX_PAGE_SIZE = 100
# The most snoozed tickets the Snoozed view reads and sorts by wake time (the rest are left out).
SNOOZED_READ_CAP = 1000
# Open work in the order agents read it (an order is needed so the partition plan is stable).
DEFAULT_STATUSES = tuple(status for status in Status if status in OPEN_STATUSES)


class Sort(StrEnum):
    WAITING = "waiting"
    PRIORITY = "priority"
    # The earliest running SLA due time first: the order of the views due_soon and breached.
    DUE = "due"


class View(StrEnum):
    """The lists an agent works from, each one index read (docs/console.md "Views")."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    FOLLOW_UP = "follow_up"
    SNOOZED = "snoozed"
    QUARANTINE = "quarantine"


# The views read from the ``sla-due`` index, ordered by due time.
SLA_VIEWS = frozenset({View.DUE_SOON, View.BREACHED})


def priority_rank(priority: str) -> int:
    """0 for the most urgent; an unknown priority ranks as normal."""
    level = PRIORITIES.index(priority) if priority in PRIORITIES else PRIORITIES.index("normal")
    return len(PRIORITIES) - 1 - level


def wake_order(ticket: Ticket) -> tuple[int, str]:
    """The order of the Snoozed view: the soonest to wake first, then those waiting for an answer
    (oldest on hold first)."""
    if ticket.snoozed_until is not None:
        return (0, to_iso(ticket.snoozed_until))
    return (1, to_iso(ticket.waiting_since or ticket.created_at))


class WaitingOn(StrEnum):
    """Who has the next word on open work: the row's "Customer replied" or "Waiting on customer"."""

    US = "us"
    CUSTOMER = "customer"


def waiting_on(ticket: Ticket) -> WaitingOn | None:
    """Whose turn it is on ``ticket``: ours while the customer's word is the last (never answered by
    a person, or written again since our last reply: the SLA's first and next response clocks), the
    customer's after our reply or while pending on them; None when done, merged or quarantined."""
    if ticket.status not in OPEN_STATUSES or ticket.quarantine or ticket.merged_into:
        return None
    if ticket.status is Status.PENDING:
        return WaitingOn.CUSTOMER
    if ticket.first_response_at is None:
        return WaitingOn.US
    if ticket.sla is not None and ticket.sla.next_response_since is not None:
        return WaitingOn.US
    return WaitingOn.CUSTOMER


def status_partition(ticket: Ticket) -> str:
    return QUARANTINE if ticket.quarantine else ticket.status.value


def sla_due(ticket: Ticket) -> str | None:
    """When the earliest SLA clock running on ``ticket`` falls due (ISO), for open work only; None
    when no clock runs (waiting on the customer, resolved, quarantined, merged)."""
    clocks = ticket.sla
    if clocks is None or ticket.quarantine or ticket.merged_into or ticket.status not in OPEN_STATUSES:
        return None
    running = [
        due
        for due in (clocks.first_response_due, clocks.next_response_due, clocks.resolution_due)
        if due is not None
    ]
    return to_iso(min(running)) if running else None


def index_keys(ticket: Ticket) -> dict[str, str | None]:
    """The list-index attributes of ``ticket``, written with every change of it."""
    partition = status_partition(ticket)
    waiting = to_iso(ticket.waiting_since or ticket.created_at)
    due = sla_due(ticket)
    return {
        "status_key": partition,
        "assignee_key": f"{ticket.assignee or UNASSIGNED}#{partition}",
        "queue_key": f"{ticket.queue}#{partition}",
        "waiting_since": waiting,
        "priority_waiting": f"{priority_rank(ticket.priority)}#{waiting}",
        # Sparse: set only while the ticket needs a follow-up.
        "follow_up_key": FOLLOW_UP if ticket.follow_up else None,
        # Sparse: set only while an SLA clock runs on open work (the views due_soon and breached).
        "sla_due_key": SLA_RUNNING if due else None,
        "sla_due": due,
    }


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What an agent asked to see. ``assignee`` is an email or :data:`UNASSIGNED`."""

    statuses: tuple[Status, ...] = DEFAULT_STATUSES
    quarantined: bool = False
    queue: str | None = None
    assignee: str | None = None
    priority: str | None = None
    language: str | None = None
    requester: str | None = None
    # Only tickets flagged for a follow-up (of any status unless ``statuses`` says otherwise).
    follow_up: bool = False
    # Only snoozed tickets (on hold until a time or until the customer answers).
    snoozed: bool = False
    sort: Sort = Sort.WAITING
    # Search (docs/search.md): the words typed, relevance or date order, and creation bounds as
    # fixed-width ISO times (from inclusive, before exclusive).
    text: str | None = None
    order: str = "relevance"
    created_from: str | None = None
    created_before: str | None = None
    # The view asked for (``view=``), and for the SLA views the range of due times it reads (ISO:
    # from inclusive, before exclusive), which moves with the clock from one page to the next.
    view: View | None = None
    due_from: str | None = None
    due_before: str | None = None
    # The queues whose tickets the asker may see (agents/model.py ``visible_queues``); None: every
    # queue. A list never holds a ticket of another queue, whatever the other filters say.
    queues: tuple[str, ...] | None = None

    def fingerprint(self) -> str:
        """Identifies the filter, so a cursor is only ever continued with the filter it came from.
        The due range is left out: the next page of "Due soon" is read a little later, with a range
        that moved on, and continues the same list."""
        described = {
            name: value for name, value in asdict(self).items() if name not in ("due_from", "due_before")
        }
        encoded = json.dumps(described, sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()[:16]


def view_filter(view: View, agent: str, now: str, due_soon_before: str) -> TicketFilter:
    """The plain list of ``view`` for the agent ``agent`` at ``now`` (ISO): what its count counts
    and what ``GET /tickets?view=`` narrows with the other filters. "Due soon" reads the due times
    from now to ``due_soon_before``; "Breached" those already past."""
    plain = TicketFilter(view=view)
    if view is View.MINE:
        return replace(plain, assignee=agent)
    if view is View.UNASSIGNED:
        return replace(plain, assignee=UNASSIGNED)
    if view is View.FOLLOW_UP:
        # Bad feedback usually comes after the resolution: every status.
        return replace(plain, follow_up=True, statuses=())
    if view is View.QUARANTINE:
        return replace(plain, quarantined=True)
    if view is View.SNOOZED:
        return replace(plain, snoozed=True, statuses=(Status.ON_HOLD,))
    if view is View.DUE_SOON:
        return replace(plain, sort=Sort.DUE, due_from=now, due_before=due_soon_before)
    return replace(plain, sort=Sort.DUE, due_before=now)


@dataclass(frozen=True, slots=True)
class Partition:
    """One index partition to read: ``hash_value`` on ``index_name``, the range key optionally
    limited to those beginning with ``range_prefix``."""

    index_name: str
    hash_attribute: str
    hash_value: str
    range_attribute: str
    range_prefix: str | None = None
    ascending: bool = True
    # A range of the range key instead of a prefix (ISO times: from inclusive, before exclusive).
    range_from: str | None = None
    range_before: str | None = None


@dataclass(frozen=True, slots=True)
class ListPlan:
    partitions: tuple[Partition, ...]
    # Filters the chosen index does not answer: attribute name to the value it must equal.
    residual: dict[str, str | bool]
    # Statuses to keep when the index is not partitioned by status (the requester index).
    statuses: tuple[str, ...] = ()
    # The queues a ticket must be in when the partitions read hold other queues' too (an agent who
    # sees some queues only, reading an index not partitioned by queue); None: any queue.
    queue_in: tuple[str, ...] | None = None


def plan(wanted: TicketFilter) -> ListPlan:
    """The partitions that hold exactly the tickets ``wanted`` asks for (up to ``residual`` and
    ``queue_in``). An asker who sees some queues only reads the queue index, one partition per queue
    of theirs and status, unless another filter picks a narrower index (that index's partitions are
    then kept to their queues by ``queue_in``); a queue not theirs, or none at all, reads nothing."""
    if wanted.queues is not None and (
        not wanted.queues or (wanted.queue is not None and wanted.queue not in wanted.queues)
    ):
        return ListPlan((), {})
    # A queue asked for is one of theirs: its partitions hold nothing else.
    queue_in = wanted.queues if wanted.queue is None else None
    status_parts = (QUARANTINE,) if wanted.quarantined else tuple(s.value for s in wanted.statuses)
    if wanted.view in SLA_VIEWS:
        # The index holds open work only; the statuses asked for narrow it, as do the other filters.
        partition = Partition(
            "sla-due",
            "sla_due_key",
            SLA_RUNNING,
            "sla_due",
            range_from=wanted.due_from,
            range_before=wanted.due_before,
        )
        narrowed = status_parts if set(DEFAULT_STATUSES) - set(wanted.statuses) else ()
        return ListPlan((partition,), _residual(wanted, exclude=()), narrowed, queue_in)
    if wanted.follow_up:
        partition = Partition("follow-up", "follow_up_key", FOLLOW_UP, "waiting_since")
        return ListPlan((partition,), _residual(wanted, exclude=()), status_parts, queue_in)
    if wanted.requester:
        residual = _residual(wanted, exclude=())
        partition = Partition(
            "by-requester", "requester_email", wanted.requester.lower(), "created_at", ascending=False
        )
        return ListPlan((partition,), residual, status_parts, queue_in)
    # A priority filter reads the priority-sorted index: within one priority it is also oldest first.
    by_priority = wanted.sort is Sort.PRIORITY or wanted.priority is not None
    range_attribute = "priority_waiting" if by_priority else "waiting_since"
    suffix = "priority" if by_priority else "waiting"
    prefix = f"{priority_rank(wanted.priority)}#" if wanted.priority is not None else None
    values: tuple[str, ...]
    if wanted.assignee is not None:
        dimension, values, used = "assignee", (wanted.assignee,), ("assignee",)
    elif wanted.queue is not None:
        dimension, values, used = "queue", (wanted.queue,), ("queue",)
    elif queue_in is not None:
        # Their queues' partitions hold exactly their tickets: nothing left to filter.
        dimension, values, used = "queue", queue_in, ("queue",)
        queue_in = None
    else:
        dimension, values, used = "status", ("",), ("status",)
    partitions = tuple(
        Partition(
            f"{dimension}-{suffix}",
            f"{dimension}_key",
            f"{value}#{part}" if value else part,
            range_attribute,
            prefix,
        )
        for value in values
        for part in status_parts
    )
    return ListPlan(partitions, _residual(wanted, exclude=(*used, "priority")), queue_in=queue_in)


def _residual(wanted: TicketFilter, exclude: tuple[str, ...]) -> dict[str, str | bool]:
    candidates: dict[str, str | bool | None] = {
        "queue": wanted.queue,
        "assignee": wanted.assignee,
        "priority": wanted.priority,
        "language": wanted.language,
        # Only a list read from another index than follow-up's asks this of its partitions.
        "follow_up_key": FOLLOW_UP if wanted.follow_up and wanted.view in SLA_VIEWS else None,
        # No index holds snoozes: the on-hold partitions are read and only the snoozed kept.
        "snoozed": True if wanted.snoozed else None,
    }
    return {name: value for name, value in candidates.items() if value is not None and name not in exclude}
