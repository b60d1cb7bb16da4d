"""SLA timers: every ticket change moves its clocks (in the same write), and one one-time Scheduler
schedule per ticket, ``sla-<ref>``, waits for the next warning or breach; it is moved when the due
time moves and deleted when no clock runs. When it fires, the ``sla`` function reads the ticket again
and acts only if that very warning or breach is still the next one and due: a stale timer does nothing.

On a warning: an event, a metric and a notice to the queue. On a breach: the ticket is flagged (the
breached run is kept on its clocks), an event, a metric, a notice, and the policy's escalation
(priority one step up, a new assignee).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from postdesk.aws.scheduler import OneTimeSchedule
from postdesk.clock import from_iso, to_iso
from postdesk.effects import keys
from postdesk.effects.retry import retry_on_conflict
from postdesk.errors import TicketNotFound
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.sla.clocks import (
    FIRING_TOLERANCE,
    ClockEvent,
    Timer,
    TimerKind,
    advance_clocks,
    first_response_met,
    next_response_met,
    next_timer,
    resolution_met,
    start_clocks,
    with_due_times,
)
from postdesk.sla.policy import SlaPolicy, Target, load_policy
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import DONE_STATUSES, PRIORITIES, Status, Ticket, TicketEvent
from postdesk.workflows.notices import notify_queue
from postdesk.workflows.notify import notify_sla_timer

# Scheduler refuses nothing in the past, but a timer due now is given a minute to be made.
MINIMUM_LEAD = timedelta(minutes=1)


def policy_of(settings: Settings) -> SlaPolicy:
    return load_policy(settings.sla_policy_path)


def new_ticket_clocks(ticket: Ticket, settings: Settings) -> Ticket:
    """``ticket`` (new) with its clocks started."""
    return replace(ticket, sla=start_clocks(ticket, policy_of(settings)))


def with_clocks(
    ticket: Ticket, changes: dict[str, object], event: ClockEvent, now: datetime, settings: Settings
) -> dict[str, object]:
    """``changes`` to ``ticket`` and the move of its clocks that they and ``event`` make."""
    if event is ClockEvent.CUSTOMER_MESSAGE:
        # The customer acted: time rules count idle time from here (triage/time_rules.py).
        changes = {**changes, "active_at": now}
    after = replace(ticket, **changes)  # type: ignore[arg-type]
    clocks = advance_clocks(ticket, after, event, now, policy_of(settings))
    if clocks == ticket.sla:
        return changes
    return {**changes, "sla": clocks}


def clocked_update(
    ticket: Ticket,
    changes: dict[str, object],
    event: ClockEvent,
    actor: str,
    now: datetime,
    event_id: str,
    settings: Settings,
) -> tuple[TicketUpdate, list[TicketEvent]]:
    """The update of ``changes`` with the clocks moved, and the events of every clock it stops: the
    first response (how long it took, whether in time), the next response, the resolution. Their ids
    derive from ``event_id`` (the cause), so a retried change logs them once."""
    if is_person(actor):
        # An agent acted (the desk's automations are no activity: time rules never set themselves off).
        changes = {**changes, "active_at": now}
    update = TicketUpdate(ticket, with_clocks(ticket, changes, event, now, settings))
    after = update.after()
    policy = policy_of(settings)
    stopped: list[tuple[str, dict[str, str]]] = []
    if ticket.first_response_at is None and after.first_response_at is not None:
        met = first_response_met(ticket, after.first_response_at)
        seconds = (after.first_response_at - ticket.created_at).total_seconds()
        stopped.append(("first_response", {"seconds": f"{seconds:.0f}", **_met(met)}))
    if event is ClockEvent.AGENT_REPLY and ticket.sla is not None and ticket.sla.next_response_since:
        seconds = (now - ticket.sla.next_response_since).total_seconds()
        stopped.append(
            ("next_response", {"seconds": f"{seconds:.0f}", **_met(next_response_met(ticket, now))})
        )
    if after.status is Status.RESOLVED and ticket.status not in DONE_STATUSES:
        started = ticket.sla.cycle_started if ticket.sla else ticket.created_at
        seconds = (now - started).total_seconds()
        met = resolution_met(ticket, now, policy)
        stopped.append(("resolved", {"seconds": f"{seconds:.0f}", "cycle": str(after.cycle), **_met(met)}))
    # "~" sorts after every character of an id: a clock's stop follows the change that stopped it.
    events = [
        TicketEvent(
            ref=ticket.ref, at=now, kind=kind, event_id=f"{event_id}:~{kind}", actor=actor, detail=detail
        )
        for kind, detail in stopped
    ]
    return update, events


def is_person(actor: str) -> bool:
    """Whether an event's actor is a person: agents act under their address, the desk's own
    automations under a name ("sla", "automation", "system")."""
    return "@" in actor


_DURATION_METRICS = {
    "first_response": "FirstResponseSeconds",
    "next_response": "NextResponseSeconds",
    "resolved": "ResolutionSeconds",
}


def emit_clock_metrics(events: Sequence[TicketEvent], ports: Ports) -> None:
    """CloudWatch's copy of the clock figures (EMF): how long each stopped clock ran, whether it
    kept its promise, and reopenings."""
    for event in events:
        if event.kind in _DURATION_METRICS:
            target = "resolution" if event.kind == "resolved" else event.kind
            ports.metrics.measure(_DURATION_METRICS[event.kind], float(event.detail["seconds"]))
            if "met" in event.detail:
                met = event.detail["met"] == "true"
                ports.metrics.count("SlaMet" if met else "SlaMissed", {"target": target})
        elif event.kind == "reopened":
            ports.metrics.count("TicketsReopened")


def _met(met: bool | None) -> dict[str, str]:
    return {} if met is None else {"met": "true" if met else "false"}


def timer_name(ref: str, timer: Timer) -> str:
    """The schedule of one timer of the ticket (effects/keys.py)."""
    return keys.sla_schedule(ref, timer.kind.value, timer.target.value, timer.at)


def sync_timer(before: Ticket | None, after: Ticket, settings: Settings, ports: Ports) -> None:
    """Make a schedule wait for the ticket's next timer, after a change was written; delete the one
    of the timer before the change when it moved. A failure is logged and counted, not raised (the
    change is written; the next change or a fired timer puts the schedule right)."""
    SLA_SCHEDULES.sync(before, after, settings, ports)


@dataclass(frozen=True, slots=True)
class TicketSchedules[T]:
    """A kind of timer of which a ticket has at most one, and one schedule waiting for it (the SLA
    timers, the automatic steps, the time rules): the ticket's next one under the settings and when
    it is due, the name of the schedule that waits for it and what it hands the function it
    invokes, and how a schedule not made is told (``what``, in the log, and ``metric``)."""

    next_of: Callable[[Ticket, Settings], T | None]
    due_of: Callable[[T], datetime]
    name_of: Callable[[str, T], str]
    payload_of: Callable[[str, T], dict[str, Any]]
    function_arn: Callable[[Settings], str]
    what: str
    metric: str

    def sync(self, before: Ticket | None, after: Ticket, settings: Settings, ports: Ports) -> None:
        """After a written change (``before`` None: the ticket as read): make the schedule wait
        for ``after``'s next timer, at least MINIMUM_LEAD ahead, and delete the one of ``before``'s
        when it moved. A failure is logged and counted as ``metric``, not raised: the change is
        written, and the next change or the fired timer puts the schedule right."""
        scheduling = settings.scheduling
        target_arn = self.function_arn(settings)
        try:
            wanted = self.next_of(after, settings)
            had = self.next_of(before, settings) if before is not None else None
            if before is not None and wanted == had:
                return
            if had is not None:
                ports.scheduler.delete(self.name_of(after.ref, had))
            if wanted is None:
                return
            if not (target_arn and scheduling.role_arn):
                logger.error(
                    f"{self.what} not scheduled: its function or the scheduler role is not configured"
                )
                ports.metrics.count(self.metric, {"reason": "not_configured"})
                return
            ports.scheduler.create_once(
                OneTimeSchedule(
                    name=self.name_of(after.ref, wanted),
                    at=max(self.due_of(wanted), ports.clock() + MINIMUM_LEAD),
                    target_arn=target_arn,
                    role_arn=scheduling.role_arn,
                    dead_letter_arn=scheduling.dead_letter_arn,
                    payload=self.payload_of(after.ref, wanted),
                )
            )
        except Exception:
            logger.exception(f"{self.what} not scheduled", extra={"ref": after.ref})
            ports.metrics.count(self.metric, {"reason": "scheduler_error"})


def timer_payload(ref: str, timer: Timer) -> dict[str, Any]:
    return {
        "ref": ref,
        "kind": timer.kind.value,
        "target": timer.target.value,
        "run": timer.run,
        "at": to_iso(timer.at),
    }


SLA_SCHEDULES = TicketSchedules(
    next_of=lambda ticket, settings: next_timer(ticket, policy_of(settings)),
    due_of=lambda timer: timer.at,
    name_of=timer_name,
    payload_of=timer_payload,
    function_arn=lambda settings: settings.scheduling.sla_function_arn,
    what="SLA timer",
    metric="SlaTimersNotScheduled",
)


@dataclass(frozen=True, slots=True)
class TimerRequest:
    """What a fired SLA schedule carries."""

    ref: str
    kind: TimerKind
    target: Target
    run: str
    at: datetime


def timer_request(event: Any) -> TimerRequest | None:
    """The timer a fired schedule names; None for anything else."""
    if not isinstance(event, dict):
        return None
    try:
        return TimerRequest(
            ref=str(event["ref"]),
            kind=TimerKind(event["kind"]),
            target=Target(event["target"]),
            run=str(event["run"]),
            at=from_iso(str(event["at"])),
        )
    except (KeyError, ValueError, TypeError):
        return None


class TimerOutcome(StrEnum):
    WARNED = "warned"
    BREACHED = "breached"
    STALE = "stale"
    NO_TICKET = "no_ticket"


def fire_timer(request: TimerRequest, settings: Settings, ports: Ports) -> TimerOutcome:
    """Act on the warning or breach ``request`` names if it is still the ticket's next timer and due."""
    applied = _apply(request, settings, ports)
    if isinstance(applied, TimerOutcome):
        return applied
    before, after, timer = applied
    breach = timer.kind is TimerKind.BREACH
    ports.metrics.count("SlaBreaches" if breach else "SlaWarnings", {"target": timer.target.value})
    what = timer.target.value.replace("_", " ")
    local = (_due(before, timer.target) or timer.at).astimezone(policy_of(settings).calendar.zone())
    due = f"{local:%a %d %b %H:%M} {local.tzname()}"
    headline = f"{what} target broken (due {due})" if breach else f"{what} due soon ({due})"
    escalated = [
        f"Escalated: {name} {ticket_value(before, name)} -> {ticket_value(after, name)}."
        for name in ("priority", "assignee")
        if getattr(before, name) != getattr(after, name)
    ]
    notify_queue(after, headline, escalated, f"sla:{timer.kind.value}:{timer.run}", settings, ports)
    # The assignee hears of a warning; a breach that reassigns tells the new assignee.
    notify_sla_timer(before, after, breach, headline, timer.run, settings, ports)
    logger.info(
        "SLA timer fired", extra={"ref": after.ref, "kind": timer.kind.value, "target": timer.target.value}
    )
    sync_timer(None, after, settings, ports)
    return TimerOutcome.BREACHED if breach else TimerOutcome.WARNED


def _apply(
    request: TimerRequest, settings: Settings, ports: Ports
) -> tuple[Ticket, Ticket, Timer] | TimerOutcome:
    """Write the warning or breach over the version of the ticket read (again on a concurrent change)."""
    policy = policy_of(settings)

    def write(ticket: Ticket) -> tuple[Ticket, Ticket, Timer] | TimerOutcome:
        timer = next_timer(ticket, policy)
        if (
            timer is None
            or (timer.kind, timer.run) != (request.kind, request.run)
            or timer.at > ports.clock() + FIRING_TOLERANCE
        ):
            # The ticket moved on (answered, paused, re-prioritised): make sure its schedule waits for
            # what is next now, and do nothing else.
            sync_timer(None, ticket, settings, ports)
            logger.info("SLA timer stale", extra={"ref": ticket.ref, "kind": request.kind.value})
            return TimerOutcome.STALE
        changes, events = _consequences(ticket, timer, policy)
        update = TicketUpdate(ticket, changes)
        ports.store.update_ticket(update, events)
        return ticket, update.after(), timer

    try:
        return retry_on_conflict(write, request.ref, ports.store)
    except TicketNotFound:
        return TimerOutcome.NO_TICKET


def ticket_value(ticket: Ticket, name: str) -> str:
    return str(getattr(ticket, name) or "nobody")


def _due(ticket: Ticket, target: Target) -> datetime | None:
    if ticket.sla is None:
        return None
    due: datetime | None = getattr(ticket.sla, f"{target.value}_due")
    return due


def _consequences(
    ticket: Ticket, timer: Timer, policy: SlaPolicy
) -> tuple[dict[str, object], list[TicketEvent]]:
    assert ticket.sla is not None
    clocks = ticket.sla
    detail = {"target": timer.target.value, "due": to_iso(_due(ticket, timer.target) or timer.at)}
    if timer.kind is TimerKind.WARNING:
        clocks = replace(clocks, warned=(*clocks.warned, timer.run))
        kind = "sla_warning"
        changes: dict[str, object] = {}
    else:
        clocks = replace(clocks, breached=(*clocks.breached, timer.run))
        kind = "sla_breached"
        changes = _escalation(ticket, policy)
    after = replace(ticket, **changes)  # type: ignore[arg-type]
    changes["sla"] = with_due_times(clocks, after, policy)
    events = [
        TicketEvent(
            ref=ticket.ref,
            at=timer.at,
            kind=kind,
            event_id=f"sla:{timer.kind.value}:{timer.run}",
            actor="sla",
            detail=detail,
        )
    ]
    for name, value in changes.items():
        if name == "sla":
            continue
        events.append(
            TicketEvent(
                ref=ticket.ref,
                at=timer.at,
                kind="escalated",
                event_id=f"sla:escalated:{name}:{timer.run}",
                actor="sla",
                detail={"field": name, "from": ticket_value(ticket, name), "to": str(value or "nobody")},
            )
        )
    return changes, events


def _escalation(ticket: Ticket, policy: SlaPolicy) -> dict[str, object]:
    changes: dict[str, object] = {}
    if policy.raise_priority and ticket.priority in PRIORITIES and ticket.priority != PRIORITIES[-1]:
        changes["priority"] = PRIORITIES[PRIORITIES.index(ticket.priority) + 1]
    if policy.reassign_to and policy.reassign_to != ticket.assignee:
        changes["assignee"] = policy.reassign_to
    return changes
