"""What happens to a ticket by itself as time passes: a ticket pending on the customer is reminded
after ``remind_after`` and resolved ``resolve_after`` later ("bump, bump, solve"), a resolved ticket
is closed after ``close_after`` (which starts its retention), and a snoozed ticket opens again when
its snooze ends. The SLA policy file says how long, per queue (``[automation]``, sla/policy.py).

A ticket has at most one such timer at a time, derived from the ticket alone
(:func:`next_lifecycle_timer`); one one-time Scheduler schedule per ticket and purpose waits for it
(``auto-<ref>-<purpose>-<time>``). Every written change moves or deletes it
(:func:`sync_lifecycle_timer`, from workflows/timers.py). When it fires, the ``automations`` function
reads the ticket again and acts only if that very timer is still the ticket's next one and due: the
customer's answer, an agent's reply or a move of the status changed the ticket, so the timer is
stale and nothing happens.

Every action is one versioned change of the ticket with an event whose actor is ``automation`` and
whose detail names the setting; the reminder and the closing mail go through the send-once
mechanism, the ticket change recorded with the mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from postdesk.agents.notifications import NotificationKind
from postdesk.clock import to_iso
from postdesk.effects import keys
from postdesk.effects.retry import retry_on_conflict
from postdesk.effects.send_once import OnceMail, Recording, SendOutcome, send_once
from postdesk.errors import Invalid, TicketNotFound
from postdesk.mail.model import Address
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.sla.clocks import FIRING_TOLERANCE, ClockEvent
from postdesk.sla.policy import Automation, SlaPolicy
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import DONE_STATUSES, MessageKind, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.states import agent_transition, status_fields
from postdesk.workflows.notify import notify_agent
from postdesk.workflows.retention import closed_until
from postdesk.workflows.sla import TicketSchedules, clocked_update, policy_of
from postdesk.workflows.thread_mail import automatic_mail

# Who the automatic changes are by, in the ticket's log.
ACTOR = "automation"


class Purpose(StrEnum):
    PENDING_REMINDER = "pending_reminder"
    AUTO_RESOLVE = "auto_resolve"
    CLOSE = "close"
    SNOOZE_END = "snooze_end"


class LifecycleOutcome(StrEnum):
    REMINDED = "reminded"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WOKEN = "woken"
    STALE = "stale"
    NO_TICKET = "no_ticket"


@dataclass(frozen=True, slots=True)
class LifecycleTimer:
    """The next thing the desk does by itself to a ticket, and when."""

    purpose: Purpose
    at: datetime


def reminded_this_wait(ticket: Ticket) -> bool:
    """Whether the customer was reminded of the ticket's current wait (a reply or a move of the
    status starts a new one: ``waiting_since`` moves past the reminder)."""
    return (
        ticket.reminded_at is not None
        and ticket.waiting_since is not None
        and ticket.reminded_at >= ticket.waiting_since
    )


def next_lifecycle_timer(ticket: Ticket, policy: SlaPolicy) -> LifecycleTimer | None:
    """The ticket's next automatic step under ``policy``, or None (quarantined and merged tickets
    have none)."""
    if ticket.quarantine or ticket.merged_into:
        return None
    automation = policy.automation_for(ticket.queue)
    if ticket.status is Status.PENDING and automation.pending_reminders and ticket.waiting_since:
        if not reminded_this_wait(ticket):
            return LifecycleTimer(
                Purpose.PENDING_REMINDER, policy.calendar.add(ticket.waiting_since, automation.remind_after)
            )
        assert ticket.reminded_at is not None
        return LifecycleTimer(
            Purpose.AUTO_RESOLVE, policy.calendar.add(ticket.reminded_at, automation.resolve_after)
        )
    if ticket.status is Status.RESOLVED and automation.close_resolved and ticket.resolved_at:
        return LifecycleTimer(Purpose.CLOSE, ticket.resolved_at + automation.close_after)
    if ticket.status is Status.ON_HOLD and ticket.snoozed and ticket.snoozed_until:
        return LifecycleTimer(Purpose.SNOOZE_END, ticket.snoozed_until)
    return None


def schedule_name(ref: str, timer: LifecycleTimer) -> str:
    return keys.automation_schedule(ref, timer.purpose.value, timer.at)


def timer_payload(ref: str, timer: LifecycleTimer) -> dict[str, Any]:
    """What the schedule hands the ``automations`` function (workflows/automations.py reads it)."""
    return {"purpose": timer.purpose.value, "ref": ref, "due": to_iso(timer.at)}


AUTOMATION_SCHEDULES = TicketSchedules(
    next_of=lambda ticket, settings: next_lifecycle_timer(ticket, policy_of(settings)),
    due_of=lambda timer: timer.at,
    name_of=schedule_name,
    payload_of=timer_payload,
    function_arn=lambda settings: settings.scheduling.automations_function_arn,
    what="automation",
    metric="AutomationsNotScheduled",
)


def sync_lifecycle_timer(before: Ticket | None, after: Ticket, settings: Settings, ports: Ports) -> None:
    """After a written change: make a schedule wait for the ticket's next automatic step and delete
    the one of the step before when it moved; count a reopen of a cycle the desk resolved by itself.
    A failure is logged and counted, not raised (the change is written; the next change or a fired
    timer puts the schedule right)."""
    if before is not None:
        _count_reopen_after_auto_resolve(before, after, ports)
    AUTOMATION_SCHEDULES.sync(before, after, settings, ports)


def _count_reopen_after_auto_resolve(before: Ticket, after: Ticket, ports: Ports) -> None:
    """A cycle the desk resolved by itself that opens again (the customer was not done after all):
    an event the report counts, once per cycle."""
    if not (
        before.status in DONE_STATUSES
        and after.status not in DONE_STATUSES
        and before.auto_resolved_cycle == before.cycle
    ):
        return
    ports.store.record_event(
        TicketEvent(
            ref=after.ref,
            at=after.updated_at if after.updated_at > before.updated_at else ports.clock(),
            kind="auto_resolve_reopened",
            event_id=f"automation:reopened:{before.cycle}",
            actor=ACTOR,
            detail={"cycle": str(before.cycle)},
        )
    )


# -- when a timer fires ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Due:
    """A fired lifecycle timer: the ticket as read, the timer and the queue's automation."""

    ticket: Ticket
    timer: LifecycleTimer
    automation: Automation
    policy: SlaPolicy


def still_due(
    ticket: Ticket, purpose: Purpose, due: datetime, settings: Settings, ports: Ports
) -> Due | None:
    """The timer if it is still ``ticket``'s next step, the one a schedule of ``purpose`` due at
    ``due`` waited for, and due now; None when the ticket moved on."""
    policy = policy_of(settings)
    timer = next_lifecycle_timer(ticket, policy)
    if (
        timer is None
        or timer.purpose is not purpose
        or timer.at != due
        or timer.at > ports.clock() + FIRING_TOLERANCE
    ):
        return None
    return Due(ticket, timer, policy.automation_for(ticket.queue), policy)


def fire_lifecycle(
    purpose: Purpose, ref: str, due: datetime, settings: Settings, ports: Ports
) -> LifecycleOutcome:
    """Act on the fired timer of ``purpose`` if it still holds (see the module docstring)."""
    ticket = ports.store.get_ticket(ref)
    if ticket is None:
        return LifecycleOutcome.NO_TICKET
    found = still_due(ticket, purpose, due, settings, ports)
    if found is None:
        return _stale(ticket, purpose, settings, ports)
    try:
        return _ACTIONS[purpose](found, settings, ports)
    except TicketNotFound:
        return LifecycleOutcome.NO_TICKET


def _stale(ticket: Ticket, purpose: Purpose, settings: Settings, ports: Ports) -> LifecycleOutcome:
    # The ticket moved on (answered, replied to, moved): make sure its schedule waits for what is
    # next now, and do nothing else.
    sync_lifecycle_timer(None, ticket, settings, ports)
    logger.info("automation timer stale", extra={"ref": ticket.ref, "purpose": purpose.value})
    ports.metrics.count("AutomationsStale", {"purpose": purpose.value})
    return LifecycleOutcome.STALE


def business_days(duration: timedelta, policy: SlaPolicy) -> str:
    """``duration`` of business time in business days as people say it ("3", "1.5")."""
    days = duration / policy.business_day
    return f"{days:.1f}".removesuffix(".0")


def _setting(due: Due, name: str, value: timedelta) -> dict[str, str]:
    """The event detail naming the setting that did it (history.js says it in words)."""
    return {
        "setting": name,
        "business_days": business_days(value, due.policy),
        "policy": due.automation.source,
        "queue": due.ticket.queue,
    }


def _after(
    before: Ticket, after: Ticket, settings: Settings, ports: Ports, events: list[TicketEvent]
) -> None:
    # Imported here: timers.py calls this module (sync_lifecycle_timer) after every change.
    from postdesk.workflows.timers import after_change

    after_change(before, after, settings, ports, events)


def _customer_mail(
    ticket: Ticket,
    template: str,
    context: dict[str, Any],
    settings: Settings,
    ports: Ports,
    *,
    message_id: str,
    guard: str,
    thread_unique: str,
    metric: str,
    author: str,
) -> tuple[OnceMail, str]:
    """The automatic mail ``template`` to the ticket's customer, threaded like a reply, to be sent
    once (send_once's ``guard``, ``thread_unique`` and ``metric``; ``author``: what the thread
    calls it); and the language it is in."""
    mail, language = automatic_mail(
        ticket,
        template,
        context,
        ports.store.thread(ticket.ref),
        settings=settings,
        key=ports.signing_key(),
        message_id=message_id,
        now=ports.clock(),
        cc=tuple(Address("", address) for address in ticket.cc),
    )
    once = OnceMail(
        guard=guard,
        ref=ticket.ref,
        mail=mail,
        kind=MessageKind.AGENT_REPLY,
        thread_unique=thread_unique,
        metric=metric,
        author=(ACTOR, author),
    )
    return once, language


def _remind(due: Due, settings: Settings, ports: Ports) -> LifecycleOutcome:
    ticket = due.ticket
    assert ticket.waiting_since is not None
    wait = ticket.waiting_since
    now = ports.clock()
    once, language = _customer_mail(
        ticket,
        "pending_reminder",
        {"resolve_days": business_days(due.automation.resolve_after, due.policy)},
        settings,
        ports,
        message_id=keys.reminder_message_id(ticket.ref, wait, settings.support_domain),
        guard=keys.reminder_guard(ticket.ref, wait),
        thread_unique=f"reminder-{wait:%Y%m%dT%H%M%S}",
        metric="RemindersSent",
        author="Automatic reminder",
    )
    event_id = f"automation:reminder:{to_iso(wait)}"
    detail = {**_setting(due, "remind_after", due.automation.remind_after), "language": language}

    def reminded(current: Ticket, **more: str) -> tuple[TicketUpdate, list[TicketEvent]]:
        # Recorded over the ticket as it is now: the mail is out whatever changed meanwhile.
        update = TicketUpdate(current, {"reminded_at": now})
        event = TicketEvent(ticket.ref, now, "reminder_sent", event_id, ACTOR, {**detail, **more})
        return update, [event]

    def not_sent(outcome: SendOutcome) -> dict[str, str]:
        reason = {
            SendOutcome.SUPPRESSED: "the customer's address is on the suppression list",
            SendOutcome.RATE_LIMITED: "rate limited",
        }.get(outcome, "an earlier attempt sent it and did not record it")
        return {"sent": "false" if outcome is SendOutcome.SUPPRESSED else "unconfirmed", "reason": reason}

    return _mail_and_change(
        due,
        once,
        reminded,
        not_sent,
        LifecycleOutcome.REMINDED,
        lambda: logger.info("pending reminder sent", extra={"ref": ticket.ref}),
        settings,
        ports,
    )


def _resolve(due: Due, settings: Settings, ports: Ports) -> LifecycleOutcome:
    ticket = due.ticket
    now = ports.clock()
    cycle = ticket.cycle
    once, language = _customer_mail(
        ticket,
        "auto_resolved",
        {},
        settings,
        ports,
        message_id=keys.closing_message_id(ticket.ref, cycle, settings.support_domain),
        guard=keys.closing_guard(ticket.ref, cycle),
        thread_unique=f"closing-{cycle}",
        metric="AutoResolveMailsSent",
        author="Automatic closing message",
    )
    detail = {**_setting(due, "resolve_after", due.automation.resolve_after), "language": language}

    def resolved(current: Ticket, **more: str) -> tuple[TicketUpdate, list[TicketEvent]]:
        if still_due(current, Purpose.AUTO_RESOLVE, due.timer.at, settings, ports) is None:
            # The customer answered (or an agent acted) while the mail went: it is recorded, the
            # ticket stays as they left it.
            event = TicketEvent(
                ticket.ref, now, "auto_resolve_overtaken", f"automation:resolve:{cycle}", ACTOR, detail
            )
            return TicketUpdate(current, {}), [event]
        changes: dict[str, object] = {
            **status_fields(Status.RESOLVED, cycle, now),
            "auto_resolved_cycle": cycle,
            "updated_at": now,
        }
        update, stopped = clocked_update(
            current, changes, ClockEvent.EDIT, ACTOR, now, f"automation:resolve:{cycle}", settings
        )
        event = TicketEvent(
            ticket.ref, now, "auto_resolved", f"automation:resolve:{cycle}", ACTOR, {**detail, **more}
        )
        return update, [event, *stopped]

    def not_sent(outcome: SendOutcome) -> dict[str, str]:
        if outcome is SendOutcome.SUPPRESSED:
            return {"mail": "not sent: the customer's address is on the suppression list"}
        return {"mail": "unconfirmed: an earlier attempt sent it and did not record it"}

    def sent() -> None:
        ports.metrics.count("TicketsAutoResolved")
        logger.info("ticket resolved after its reminder", extra={"ref": ticket.ref, "cycle": cycle})

    return _mail_and_change(due, once, resolved, not_sent, LifecycleOutcome.RESOLVED, sent, settings, ports)


# What a step that mails the customer changes: the ticket as it is now (and more to say in the
# event) -> the update and the events.
_MailedChange = Callable[..., tuple[TicketUpdate, list[TicketEvent]]]


def _mail_and_change(
    due: Due,
    once: OnceMail,
    change: _MailedChange,
    not_sent: Callable[[SendOutcome], dict[str, str]],
    done: LifecycleOutcome,
    sent: Callable[[], None],
    settings: Settings,
    ports: Ports,
) -> LifecycleOutcome:
    """Send ``once`` to the customer and record ``change`` with it (over the ticket as it is then:
    the mail is out whatever changed meanwhile), then ``sent()``. A change that turns out empty
    (the timer was overtaken) leaves the ticket as it is: STALE."""
    ticket = due.ticket

    def record(_: ThreadMessage | None, current: Ticket | None) -> Recording:
        update, events = change(current or ticket)
        return Recording(events, update if update.changes else None)

    result = send_once(once, ports, record, ticket=ticket)
    if result.outcome is not SendOutcome.SENT:
        # Not sent now: suppressed (never to go), or an earlier attempt claimed it and never
        # recorded it (it crashed after sending, or is at work). The step is taken all the same,
        # once, the event saying so (``not_sent``): a change over the version read, which a
        # concurrent attempt finds stale.
        more = not_sent(result.outcome)
        return _write_over(
            ticket.ref,
            due.timer.purpose,
            due.timer.at,
            lambda current: change(current, **more),
            done,
            settings,
            ports,
        )
    update = result.recording.update
    if update is None:
        return LifecycleOutcome.STALE
    written = result.ticket or ticket
    after = replace(update.after(), version=written.version + 1)
    _after(written, after, settings, ports, list(result.recording.events))
    sent()
    return done


def _close(due: Due, settings: Settings, ports: Ports) -> LifecycleOutcome:
    def closed(current: Ticket) -> tuple[TicketUpdate, list[TicketEvent]]:
        now = ports.clock()
        changes = {
            **status_fields(Status.CLOSED, current.cycle, now, closed_until(now, settings)),
            "updated_at": now,
        }
        detail = {
            "setting": "close_after_days",
            "days": str(due.automation.close_after.days),
            "policy": due.automation.source,
            "queue": current.queue,
        }
        event_id = f"automation:close:{current.cycle}"
        return TicketUpdate(current, changes), [
            TicketEvent(current.ref, now, "auto_closed", event_id, ACTOR, detail)
        ]

    return _write_over(
        due.ticket.ref, Purpose.CLOSE, due.timer.at, closed, LifecycleOutcome.CLOSED, settings, ports
    )


def _wake(due: Due, settings: Settings, ports: Ports) -> LifecycleOutcome:
    def woken(current: Ticket) -> tuple[TicketUpdate, list[TicketEvent]]:
        now = ports.clock()
        changes = {**status_fields(Status.OPEN, current.cycle, now), "updated_at": now}
        update, stopped = clocked_update(
            current,
            changes,
            ClockEvent.EDIT,
            ACTOR,
            now,
            f"automation:snooze:{to_iso(due.timer.at)}",
            settings,
        )
        detail = {
            "until": to_iso(due.timer.at),
            "assignee": current.assignee or "",
            "setting": "snooze_until",
        }
        event = TicketEvent(
            current.ref, now, "snooze_ended", f"automation:snooze:{to_iso(due.timer.at)}", ACTOR, detail
        )
        return update, [event, *stopped]

    outcome = _write_over(
        due.ticket.ref, Purpose.SNOOZE_END, due.timer.at, woken, LifecycleOutcome.WOKEN, settings, ports
    )
    if outcome is LifecycleOutcome.WOKEN:
        tell_assignee(due.ticket, due.timer.at, settings, ports)
    return outcome


def tell_assignee(ticket: Ticket, until: datetime, settings: Settings, ports: Ports) -> None:
    """The assignee hears that the snooze ended, through the agents' notifications (once per snooze;
    never raises). The ``snooze_ended`` event names the assignee too."""
    if not ticket.assignee:
        return
    local = until.astimezone(policy_of(settings).calendar.zone())
    notify_agent(
        ticket.assignee,
        NotificationKind.SNOOZE_ENDED,
        ticket,
        f"Snoozed until {local:%a %d %b %H:%M} {local.tzname()}: open again.",
        settings,
        ports,
        cause_id=f"snooze:{ticket.ref}:{to_iso(until)}",
        actor=ACTOR,
    )


def _write_over(
    ref: str,
    purpose: Purpose,
    due: datetime,
    change: Any,
    done: LifecycleOutcome,
    settings: Settings,
    ports: Ports,
) -> LifecycleOutcome:
    """Write ``change`` (ticket -> update and events) over the version read, again over a newer one
    while the timer still holds; then what follows the change."""

    def write(current: Ticket) -> tuple[Ticket, Ticket, list[TicketEvent]] | None:
        if still_due(current, purpose, due, settings, ports) is None:
            return None
        update, events = change(current)
        ports.store.update_ticket(update, events)
        return current, replace(update.after(), version=current.version + 1), events

    written = retry_on_conflict(write, ref, ports.store)
    if written is None:
        ticket = ports.store.get_ticket(ref)
        if ticket is None:
            return LifecycleOutcome.NO_TICKET
        return _stale(ticket, purpose, settings, ports)
    before, after, events = written
    _after(before, after, settings, ports, events)
    ports.metrics.count(_METRICS[purpose])
    return done


_METRICS = {
    Purpose.PENDING_REMINDER: "RemindersRecorded",
    Purpose.AUTO_RESOLVE: "TicketsAutoResolved",
    Purpose.CLOSE: "TicketsAutoClosed",
    Purpose.SNOOZE_END: "SnoozesEnded",
}

_ACTIONS = {
    Purpose.PENDING_REMINDER: _remind,
    Purpose.AUTO_RESOLVE: _resolve,
    Purpose.CLOSE: _close,
    Purpose.SNOOZE_END: _wake,
}


# -- snoozing (an agent's edit, workflows/ticket_work.py) --------------------------------------------

# The furthest a snooze may reach.
MAX_SNOOZE = timedelta(days=366)


class InvalidSnooze(Invalid):
    """A snooze that cannot be: in the past, too far ahead, or with a status other than on-hold."""


def snooze_changes(
    ticket: Ticket,
    until: datetime | None,
    until_answer: bool,
    unsnooze: bool,
    now: datetime,
    event_id: str,
    actor: str,
) -> tuple[dict[str, object], list[TicketEvent]]:
    """The changes and events of snoozing ``ticket`` until ``until`` and/or until the customer
    answers (on hold; open again at ``until``, or when the customer writes), or of ending its snooze
    (``unsnooze``: open again now). IllegalTransition when the ticket cannot be on hold (resolved);
    InvalidSnooze for a time in the past or more than a year ahead."""
    if unsnooze:
        if until is not None or until_answer:
            raise InvalidSnooze("snooze and unsnooze cannot be asked for together")
        if not (ticket.snoozed and ticket.status is Status.ON_HOLD):
            return {}, []
        detail = {"until": to_iso(ticket.snoozed_until) if ticket.snoozed_until else ""}
        return (
            {**status_fields(Status.OPEN, ticket.cycle, now)},
            [
                TicketEvent(ticket.ref, now, "unsnoozed", f"{event_id}:unsnoozed", actor, detail),
                TicketEvent(
                    ticket.ref,
                    now,
                    "status_changed",
                    f"{event_id}:status",
                    actor,
                    {"from": "on-hold", "to": "open"},
                ),
            ],
        )
    if until is None and not until_answer:
        return {}, []
    if until is not None:
        if until <= now:
            raise InvalidSnooze(f"snooze_until must be in the future (it is {to_iso(now)} now)")
        if until > now + MAX_SNOOZE:
            raise InvalidSnooze("snooze_until may be at most one year ahead")
    agent_transition(ticket, Status.ON_HOLD)
    changes: dict[str, object] = {}
    events: list[TicketEvent] = []
    if ticket.status is not Status.ON_HOLD:
        changes.update(status_fields(Status.ON_HOLD, ticket.cycle, now))
        events.append(
            TicketEvent(
                ticket.ref,
                now,
                "status_changed",
                f"{event_id}:status",
                actor,
                {"from": ticket.status.value, "to": Status.ON_HOLD.value},
            )
        )
    changes["snoozed"] = True
    changes["snoozed_until"] = until
    detail = {
        "until": to_iso(until) if until else "",
        "until_answer": "true" if until_answer or not until else "false",
    }
    events.append(TicketEvent(ticket.ref, now, "snoozed", f"{event_id}:snoozed", actor, detail))
    return changes, events
