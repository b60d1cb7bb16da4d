"""Ticket lists without scans: which index partitions a filter reads, and the keys that put a ticket
in them.

Every ticket sits in one partition of each list index: by its status, by (assignee, status) and by
(queue, status). Quarantined tickets sit under the pseudo-status ``quarantine`` so they stay out of
every default list. Each partition is sorted two ways: by ``waiting_since`` (oldest waiting first)
and by ``priority_waiting`` (highest priority first, then oldest). A list over several statuses
reads one partition per status and merges them in order; the most selective filter given picks the
index, and the remaining filters are applied inside those partitions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from enum import StrEnum

from postdesk.clock import to_iso
from postdesk.tickets.model import OPEN_STATUSES, PRIORITIES, Status, Ticket

UNASSIGNED = "-"
QUARANTINE = "quarantine"
FOLLOW_UP = "follow-up"
MAX_PAGE_SIZE = 100
# Open work in the order agents read it (an order is needed so the partition plan is stable).
DEFAULT_STATUSES = tuple(status for status in Status if status in OPEN_STATUSES)


class Sort(StrEnum):
    WAITING = "waiting"
    PRIORITY = "priority"


def priority_rank(priority: str) -> int:
    """0 for the most urgent; an unknown priority ranks as normal."""
    level = PRIORITIES.index(priority) if priority in PRIORITIES else PRIORITIES.index("normal")
    return len(PRIORITIES) - 1 - level


def status_partition(ticket: Ticket) -> str:
    return QUARANTINE if ticket.quarantine else ticket.status.value


def index_keys(ticket: Ticket) -> dict[str, str | None]:
    """The list-index attributes of ``ticket``, written with every change of it."""
    partition = status_partition(ticket)
    waiting = to_iso(ticket.waiting_since or ticket.created_at)
    return {
        "status_key": partition,
        "assignee_key": f"{ticket.assignee or UNASSIGNED}#{partition}",
        "queue_key": f"{ticket.queue}#{partition}",
        "waiting_since": waiting,
        "priority_waiting": f"{priority_rank(ticket.priority)}#{waiting}",
        # Sparse: set only while the ticket needs a follow-up.
        "follow_up_key": FOLLOW_UP if ticket.follow_up else None,
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
    sort: Sort = Sort.WAITING
    # Search (docs/search.md): the words typed, relevance or date order, and creation bounds as
    # fixed-width ISO times (from inclusive, before exclusive).
    text: str | None = None
    order: str = "relevance"
    created_from: str | None = None
    created_before: str | None = None

    def fingerprint(self) -> str:
        """Identifies the filter, so a cursor is only ever continued with the filter it came from."""
        encoded = json.dumps(asdict(self), sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()[:16]


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


@dataclass(frozen=True, slots=True)
class ListPlan:
    partitions: tuple[Partition, ...]
    # Filters the chosen index does not answer: attribute name to the value it must equal.
    residual: dict[str, str]
    # Statuses to keep when the index is not partitioned by status (the requester index).
    statuses: tuple[str, ...] = ()


def plan(wanted: TicketFilter) -> ListPlan:
    """The partitions that hold exactly the tickets ``wanted`` asks for (up to ``residual``)."""
    status_parts = (QUARANTINE,) if wanted.quarantined else tuple(s.value for s in wanted.statuses)
    if wanted.follow_up:
        partition = Partition("follow-up", "follow_up_key", FOLLOW_UP, "waiting_since")
        return ListPlan((partition,), _residual(wanted, exclude=()), status_parts)
    if wanted.requester:
        residual = _residual(wanted, exclude=())
        partition = Partition(
            "by-requester", "requester_email", wanted.requester.lower(), "created_at", ascending=False
        )
        return ListPlan((partition,), residual, status_parts)
    # A priority filter reads the priority-sorted index: within one priority it is also oldest first.
    by_priority = wanted.sort is Sort.PRIORITY or wanted.priority is not None
    range_attribute = "priority_waiting" if by_priority else "waiting_since"
    suffix = "priority" if by_priority else "waiting"
    prefix = f"{priority_rank(wanted.priority)}#" if wanted.priority is not None else None
    if wanted.assignee is not None:
        dimension, value, used = "assignee", wanted.assignee, ("assignee",)
    elif wanted.queue is not None:
        dimension, value, used = "queue", wanted.queue, ("queue",)
    else:
        dimension, value, used = "status", "", ("status",)
    partitions = tuple(
        Partition(
            f"{dimension}-{suffix}",
            f"{dimension}_key",
            f"{value}#{part}" if value else part,
            range_attribute,
            prefix,
        )
        for part in status_parts
    )
    return ListPlan(partitions, _residual(wanted, exclude=(*used, "priority")))


def _residual(wanted: TicketFilter, exclude: tuple[str, ...]) -> dict[str, str]:
    candidates = {
        "queue": wanted.queue,
        "assignee": wanted.assignee,
        "priority": wanted.priority,
        "language": wanted.language,
    }
    return {name: value for name, value in candidates.items() if value is not None and name not in exclude}
