"""How a ticket's status moves: when mail arrives, and when an agent moves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postdesk.errors import IllegalTransition, TicketHeld, TicketMerged
from postdesk.tickets.model import DONE_STATUSES, Status, Ticket


@dataclass(frozen=True, slots=True)
class CustomerReplyOutcome:
    status: Status
    reopened: bool
    cycle: int


def after_customer_reply(ticket: Ticket) -> CustomerReplyOutcome:
    """A human reply from the customer puts the ticket back in front of an agent: pending (waiting on
    the customer) and on-hold become open, and a resolved or closed ticket reopens in a new cycle."""
    if ticket.status in DONE_STATUSES:
        return CustomerReplyOutcome(Status.OPEN, reopened=True, cycle=ticket.cycle + 1)
    if ticket.status in (Status.PENDING, Status.ON_HOLD):
        return CustomerReplyOutcome(Status.OPEN, reopened=False, cycle=ticket.cycle)
    return CustomerReplyOutcome(ticket.status, reopened=False, cycle=ticket.cycle)


_WORKING = frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED})
# Where an agent may move a ticket from each status. "new" is only ever set by arriving mail, and
# a ticket is closed only once it was resolved (closing is the end of a cycle, after the survey).
AGENT_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: _WORKING,
    Status.OPEN: _WORKING - {Status.OPEN},
    Status.PENDING: _WORKING - {Status.PENDING},
    Status.ON_HOLD: _WORKING - {Status.ON_HOLD},
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


@dataclass(frozen=True, slots=True)
class AgentTransition:
    status: Status
    reopened: bool
    cycle: int


def agent_transition(ticket: Ticket, target: Status) -> AgentTransition:
    """The ticket's status after an agent asks for ``target``; IllegalTransition when the state
    machine has no such move. Reopening a resolved or closed ticket starts a new cycle."""
    if target is ticket.status:
        return AgentTransition(target, reopened=False, cycle=ticket.cycle)
    if target not in AGENT_TRANSITIONS[ticket.status]:
        allowed = ", ".join(sorted(status.value for status in AGENT_TRANSITIONS[ticket.status]))
        hint = " (resolve it first)" if target is Status.CLOSED else ""
        raise IllegalTransition(
            f"A {ticket.status.value} ticket cannot become {target.value}{hint}; it can become: {allowed}."
        )
    reopened = ticket.status in DONE_STATUSES and target not in DONE_STATUSES
    return AgentTransition(target, reopened=reopened, cycle=ticket.cycle + 1 if reopened else ticket.cycle)


def status_fields(
    status: Status, cycle: int, now: datetime, closed_until: datetime | None = None
) -> dict[str, object]:
    """The ticket fields a move to ``status`` sets: the status, the cycle, when the wait in it began,
    when the cycle was resolved (cleared when the ticket is open again), and when the desk forgets
    the ticket: ``closed_until`` for a move to closed (workflows/retention.py says when), none for
    any other status (a reopened ticket is kept again); and no snooze."""
    fields: dict[str, object] = {"status": status, "cycle": cycle, "waiting_since": now}
    if status is Status.RESOLVED:
        fields["resolved_at"] = now
    elif status not in DONE_STATUSES:
        fields["resolved_at"] = None
    fields["expires_at"] = closed_until if status is Status.CLOSED else None
    # Any move of the status ends a snooze (a snooze itself sets them again over these).
    fields["snoozed"] = False
    fields["snoozed_until"] = None
    return fields


def require_released(ticket: Ticket) -> Ticket:
    """``ticket``, unless it is held in quarantine: then TicketHeld (it is answered and changed only
    once an agent released it; a note may be added)."""
    if ticket.quarantine:
        raise TicketHeld(
            f"Ticket {ticket.ref} is held in quarantine: release it (Not spam) before you answer or "
            "change it."
        )
    return ticket


def require_unmerged(ticket: Ticket) -> Ticket:
    """``ticket``, unless it was merged into another: then TicketMerged (it is read-only)."""
    if ticket.merged_into:
        raise TicketMerged(f"Ticket {ticket.ref} was merged into {ticket.merged_into}: work on that one.")
    return ticket
