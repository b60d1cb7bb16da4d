"""The SLA clocks of a ticket: started, paused, resumed and stopped by the events that matter, with
the due times derived from the policy and its business calendar. Pure: no AWS.

- **First response** runs from the ticket's creation until the first human reply (the
  acknowledgement is not one).
- **Next response** runs from a customer's message after we had answered, until our next reply.
- **Resolution** runs per cycle from its start (the creation, or the reopen) until resolved; it
  pauses in the statuses the policy names (pending: waiting on the customer) and keeps the business
  time used so far.

Every due time is recomputed whenever the ticket changes, so a new priority or queue moves it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from postdesk.clock import to_iso
from postdesk.sla.policy import SlaPolicy, Target
from postdesk.tickets.model import DONE_STATUSES, SlaClocks, Ticket

# A schedule fires within the minute; a timer found due this close is due.
FIRING_TOLERANCE = timedelta(seconds=90)


class ClockEvent(StrEnum):
    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    EDIT = "edit"


class TimerKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


@dataclass(frozen=True, slots=True)
class Timer:
    """The next moment the desk must look at a ticket: a warning or a breach of one clock run."""

    kind: TimerKind
    target: Target
    # The clock run ("first_response:<start>"): a warning or breach is recorded once per run.
    run: str
    at: datetime


def _run(target: Target, start: datetime) -> str:
    return f"{target.value}:{to_iso(start)}"


def start_clocks(ticket: Ticket, policy: SlaPolicy) -> SlaClocks | None:
    """The clocks of a new ticket (None for a quarantined one: it promises nothing)."""
    if ticket.quarantine:
        return None
    clocks = SlaClocks(cycle_started=ticket.created_at, resolution_since=ticket.created_at)
    return with_due_times(clocks, ticket, policy)


def advance_clocks(
    before: Ticket, after: Ticket, event: ClockEvent, now: datetime, policy: SlaPolicy
) -> SlaClocks | None:
    """The clocks of ``after`` once ``event`` changed ``before`` into it at ``now``."""
    if after.quarantine:
        return None
    clocks = before.sla or SlaClocks(cycle_started=before.created_at, resolution_since=before.created_at)
    if after.cycle != before.cycle:
        # Reopened: a new cycle promises a new resolution from now. Runs are named by their start, so
        # the records are kept: a first response still unanswered must not warn and breach again.
        clocks = SlaClocks(cycle_started=now, warned=clocks.warned, breached=clocks.breached)
    waiting = clocks.next_response_since
    if event is ClockEvent.AGENT_REPLY:
        waiting = None
    elif event is ClockEvent.CUSTOMER_MESSAGE and after.first_response_at is not None and waiting is None:
        waiting = now
    if after.status in DONE_STATUSES:
        waiting = None
    since, used = clocks.resolution_since, clocks.resolution_used
    runs = after.status not in DONE_STATUSES and after.status not in policy.pause_resolution_in
    if since is not None and not runs:
        used += policy.calendar.between(since, now).total_seconds()
        since = None
    elif since is None and runs:
        since = now
    moved = replace(clocks, next_response_since=waiting, resolution_since=since, resolution_used=used)
    return with_due_times(moved, after, policy)


def with_due_times(clocks: SlaClocks, ticket: Ticket, policy: SlaPolicy) -> SlaClocks:
    """``clocks`` with the due times the policy gives ``ticket`` now (None for a clock not running)."""
    targets = policy.targets_for(ticket.priority, ticket.queue)
    calendar = policy.calendar
    done = ticket.status in DONE_STATUSES
    first = None
    if ticket.first_response_at is None and not done:
        first = calendar.add(ticket.created_at, targets.first_response)
    following = None
    if clocks.next_response_since is not None:
        following = calendar.add(clocks.next_response_since, targets.next_response)
    resolution = None
    if clocks.resolution_since is not None:
        left = max(targets.resolution - timedelta(seconds=clocks.resolution_used), timedelta())
        resolution = calendar.add(clocks.resolution_since, left)
    return replace(clocks, first_response_due=first, next_response_due=following, resolution_due=resolution)


def _runs(
    ticket: Ticket, clocks: SlaClocks, policy: SlaPolicy
) -> list[tuple[Target, str, datetime, datetime]]:
    """Each running clock: its target, its run, when the warning is due and when the breach is."""
    targets = policy.targets_for(ticket.priority, ticket.queue)
    calendar = policy.calendar
    runs = []
    if clocks.first_response_due is not None:
        warn = calendar.add(ticket.created_at, targets.first_response * policy.warn_at)
        runs.append(
            (
                Target.FIRST_RESPONSE,
                _run(Target.FIRST_RESPONSE, ticket.created_at),
                warn,
                clocks.first_response_due,
            )
        )
    if clocks.next_response_due is not None and clocks.next_response_since is not None:
        since = clocks.next_response_since
        warn = calendar.add(since, targets.next_response * policy.warn_at)
        runs.append((Target.NEXT_RESPONSE, _run(Target.NEXT_RESPONSE, since), warn, clocks.next_response_due))
    if clocks.resolution_due is not None and clocks.resolution_since is not None:
        warn_left = targets.resolution * policy.warn_at - timedelta(seconds=clocks.resolution_used)
        warn = calendar.add(clocks.resolution_since, max(warn_left, timedelta()))
        runs.append(
            (Target.RESOLUTION, _run(Target.RESOLUTION, clocks.cycle_started), warn, clocks.resolution_due)
        )
    return runs


def next_timer(ticket: Ticket, policy: SlaPolicy) -> Timer | None:
    """The earliest warning or breach not yet recorded of the clocks running on ``ticket``."""
    clocks = ticket.sla
    if clocks is None:
        return None
    candidates = []
    for target, run, warn, due in _runs(ticket, clocks, policy):
        if run in clocks.breached:
            continue
        if run not in clocks.warned and warn < due:
            candidates.append(Timer(TimerKind.WARNING, target, run, warn))
        else:
            candidates.append(Timer(TimerKind.BREACH, target, run, due))
    return min(candidates, key=lambda timer: (timer.at, timer.kind != TimerKind.BREACH), default=None)


def first_response_met(before: Ticket, replied_at: datetime) -> bool | None:
    """Whether the first human reply at ``replied_at`` kept the promise (None: it was not the first,
    or the ticket promised nothing)."""
    if before.first_response_at is not None or before.sla is None or before.sla.first_response_due is None:
        return None
    return replied_at <= before.sla.first_response_due


def next_response_met(before: Ticket, replied_at: datetime) -> bool | None:
    """Whether a reply at ``replied_at`` answered a waiting customer in time (None: nobody waited)."""
    if before.sla is None or before.sla.next_response_due is None:
        return None
    return replied_at <= before.sla.next_response_due


def resolution_met(before: Ticket, resolved_at: datetime, policy: SlaPolicy) -> bool | None:
    """Whether resolving at ``resolved_at`` kept the resolution promise: the business time the clock
    ran this cycle (pauses left out) within the target (None: no clock ran)."""
    clocks = before.sla
    if clocks is None:
        return None
    used = timedelta(seconds=clocks.resolution_used)
    if clocks.resolution_since is not None:
        used += policy.calendar.between(clocks.resolution_since, resolved_at)
    return used <= policy.targets_for(before.priority, before.queue).resolution
