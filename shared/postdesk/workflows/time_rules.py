"""Time rules at work (the rules of ``[[time_rule]]`` in the rules file, triage/time_rules.py): one
one-time Scheduler schedule per ticket, ``rules-<ref>-<time>`` (effects/keys.py), waits for the
earliest moment one of them falls due; every written change moves it (or deletes it when no rule
waits any more). Nothing ever scans the tickets.

When it fires (the ``automations`` function, purpose ``time_rule``), :func:`fire_time_rules` reads
the ticket again and applies every rule that is due now and has not applied in this idle period:

1. fields, tags and the status through ``edit_ticket`` (versioned, as an agent's edit), as the
   actor ``time-rule``;
2. the saved reply through ``send_reply`` under a request id derived from the rule and the idle
   period, so the send-once mechanism sends it once whatever happens (a retry, two timers, a crash);
3. the notices: agents through workflows/notify.py, the queue's team address through notices.py,
   each under a cause derived the same way;
4. last, one versioned write marks the rule applied for this idle period (``Ticket.rules_applied``)
   with its ``rule_applied`` event, which says in words what the rule did. A crash before it makes
   the next attempt do steps 1-3 again: each of them is a no-op the second time.

Idle periods begin at the ticket's last activity: the customer's mail, an agent's reply, note or
change (``Ticket.active_at``, moved by workflows/sla.py; notes are found in the thread when the timer
fires). What a rule does is no activity, so no rule sets itself (or another) off again: each applies
at most once per idle period.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from postdesk.clock import to_iso
from postdesk.effects import keys
from postdesk.effects.retry import retry_on_conflict
from postdesk.errors import ConcurrentUpdate, DuplicateRequest, PostdeskError
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.replies.saved import SavedReply, SavedReplyNotFound, SavedReplyStore
from postdesk.settings import Settings
from postdesk.sla.calendar import BusinessCalendar
from postdesk.sla.clocks import FIRING_TOLERANCE
from postdesk.sla.policy import load_policy
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import MessageKind, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.triage.rules import load_rules
from postdesk.triage.time_rules import (
    NOTIFY_ASSIGNEE,
    NOTIFY_QUEUE,
    TimeRule,
    already_applied,
    last_activity,
    marks_after,
    next_due,
)
from postdesk.workflows.sla import TicketSchedules, is_person

# The actor of every change a time rule makes (the rule's name is in its ``rule_applied`` event);
# not a person (workflows/sla.py is_person), so none of it is activity.
AUTOMATION_ACTOR = "time-rule"
PURPOSE = "time_rule"
# Messages of the thread a person wrote: customers, third parties, and agents (not the desk itself).
_CUSTOMER_KINDS = frozenset({MessageKind.CUSTOMER, MessageKind.THIRD_PARTY})
_AGENT_KINDS = frozenset({MessageKind.AGENT_REPLY, MessageKind.NOTE, MessageKind.FORWARD})


def time_rules_of(settings: Settings) -> tuple[TimeRule, ...]:
    return load_rules(settings.triage_rules_path).time_rules


def calendar_of(settings: Settings) -> BusinessCalendar:
    """The business hours idle time counts in: the SLA policy's calendar (one for the whole desk)."""
    return load_policy(settings.sla_policy_path).calendar


def rules_due(ticket: Ticket, settings: Settings) -> datetime | None:
    """When the ticket's next time rule falls due, as the ticket is; None when none waits."""
    rules = time_rules_of(settings)
    if not rules:
        return None
    return next_due(ticket, rules, calendar_of(settings))


def time_rule_payload(ref: str, due: datetime) -> dict[str, Any]:
    return {"purpose": PURPOSE, "ref": ref, "due": to_iso(due)}


RULES_SCHEDULES = TicketSchedules(
    next_of=rules_due,
    due_of=lambda due: due,
    name_of=keys.rules_schedule,
    payload_of=time_rule_payload,
    function_arn=lambda settings: settings.scheduling.automations_function_arn,
    what="time rule timer",
    metric="TimeRuleTimersNotScheduled",
)


def sync_rules_timer(before: Ticket | None, after: Ticket, settings: Settings, ports: Ports) -> None:
    """After a written change: make the ticket's schedule wait for its next time rule, and delete
    the one that waited for another moment. A failure is logged and counted, not raised (the change
    is written; the next change or the fired timer puts the schedule right)."""
    RULES_SCHEDULES.sync(before, after, settings, ports)


class TimeRulesOutcome(StrEnum):
    APPLIED = "applied"
    # Nothing due now (someone acted meanwhile, the ticket no longer matches, all applied already).
    NOTHING_DUE = "nothing_due"
    NO_TICKET = "no_ticket"


@dataclass(frozen=True, slots=True)
class RuleApplication:
    """What one rule did to the ticket, as its history says it."""

    rule: str
    done: tuple[str, ...]
    problems: tuple[str, ...]


def fire_time_rules(
    ref: str, due: datetime, settings: Settings, ports: Ports
) -> tuple[TimeRulesOutcome, list[RuleApplication]]:
    """Apply the time rules due for the ticket now (``due`` is what the timer waited for; the ticket
    decides what is due), each once per idle period, then set the ticket's next timer."""
    ticket = ports.store.get_ticket(ref)
    if ticket is None:
        return TimeRulesOutcome.NO_TICKET, []
    rules = time_rules_of(settings)
    calendar = calendar_of(settings)
    ticket = _with_thread_activity(ticket, settings, ports)
    activity = last_activity(ticket)
    now = ports.clock()
    started = _started(ticket, ports)
    due_now = [
        rule
        for rule in rules
        if not already_applied(ticket, rule, activity)
        and rule.due_at(activity, calendar) <= now + FIRING_TOLERANCE
        and (rule.matches(ticket) or _cause(rule, activity) in started)
    ]
    logger.info("time rule timer fired", extra={"ref": ref, "due": to_iso(due), "rules_due": len(due_now)})
    applications: list[RuleApplication] = []
    for rule in due_now:
        current = ports.store.get_ticket(ref)
        if current is None:
            return TimeRulesOutcome.NO_TICKET, applications
        # An earlier rule of this run may have changed what this one is about (resolved it, say);
        # a rule an earlier attempt began is finished whatever it changed.
        if last_activity(current) != activity or already_applied(current, rule, activity):
            continue
        if not (rule.matches(current) or _cause(rule, activity) in started):
            continue
        applications.append(_apply(rule, activity, current, settings, ports))
    final = ports.store.get_ticket(ref)
    if final is not None:
        # The timer that fired is spent: make sure one waits for what is next.
        sync_rules_timer(None, final, settings, ports)
    return (TimeRulesOutcome.APPLIED if applications else TimeRulesOutcome.NOTHING_DUE), applications


def _with_thread_activity(ticket: Ticket, settings: Settings, ports: Ports) -> Ticket:
    """The ticket with its last activity written down: moved to a later message of a person in its
    thread (a note writes nothing to the ticket), or pinned where it stands when the ticket has none
    of its own yet (its ``updated_at`` would move with the rules' own changes)."""
    in_thread = max(
        (message.at for message in ports.store.thread(ticket.ref) if _by_person(message)),
        default=None,
    )
    activity = max(last_activity(ticket), in_thread or last_activity(ticket))
    if ticket.active_at == activity:
        return ticket

    def write(current: Ticket) -> Ticket:
        moved = max(activity, current.active_at or activity)
        if current.active_at == moved:
            return current
        update = TicketUpdate(current, {"active_at": moved})
        ports.store.update_ticket(update, [])
        after = replace(update.after(), version=current.version + 1)
        sync_rules_timer(current, after, settings, ports)
        return after

    return retry_on_conflict(write, ticket.ref, ports.store, ticket=ticket)


def _started(ticket: Ticket, ports: Ports) -> frozenset[str]:
    """The causes of rule applications an earlier attempt began (its edit or its reply is in the
    log) but did not mark done: they are finished even if the ticket no longer matches (their own
    change may be why)."""
    causes = set()
    for event in ports.store.events(ticket.ref):
        kind, _, rest = event.event_id.partition(":")
        if kind in ("edit", "reply") and rest.startswith("rule-"):
            causes.add(rest.split(":", 1)[0])
    return frozenset(causes)


def _by_person(message: ThreadMessage) -> bool:
    return message.kind in _CUSTOMER_KINDS or (message.kind in _AGENT_KINDS and is_person(message.from_email))


def _cause(rule: TimeRule, activity: datetime) -> str:
    """Names one application of ``rule`` (to the idle period that began at ``activity``): the
    request id of its edit and its saved reply, the cause of its notices. Short and plain, as
    request ids and schedule names must be."""
    digest = hashlib.sha256(f"{rule.name}\n{to_iso(activity)}".encode()).hexdigest()[:24]
    return f"rule-{digest}"


def _apply(
    rule: TimeRule, activity: datetime, ticket: Ticket, settings: Settings, ports: Ports
) -> RuleApplication:
    cause = _cause(rule, activity)
    done: list[str] = []
    problems: list[str] = []
    actions = rule.actions
    # With a saved reply the status goes with the mail (as an agent's reply sets it), else with the edit.
    reply = _saved_reply(actions.saved_reply, ticket, settings) if actions.saved_reply else None
    if isinstance(reply, str):
        problems.append(reply)
        reply = None
    status_by_edit = actions.status if reply is None else None
    _edit(rule, ticket, cause, status_by_edit, settings, ports, done, problems)
    if reply is not None:
        _send(rule, ticket.ref, reply, cause, settings, ports, done, problems)
    for target in actions.notify:
        current = ports.store.get_ticket(ticket.ref) or ticket
        _notify(rule, target, current, cause, settings, ports, done, problems)
    application = RuleApplication(rule.name, tuple(done), tuple(problems))
    _mark(rule, ticket.ref, activity, application, settings, ports)
    return application


def _edit(
    rule: TimeRule,
    ticket: Ticket,
    cause: str,
    status: Status | None,
    settings: Settings,
    ports: Ports,
    done: list[str],
    problems: list[str],
) -> None:
    from postdesk.workflows.ticket_work import TicketEdit, edit_ticket

    actions = rule.actions
    if not (actions.add_tags or actions.priority or actions.queue or actions.assignee_set or status):
        return

    def is_agent(address: str) -> bool:
        try:
            return ports.agents.get(address).active
        except PostdeskError:
            return False

    def write(current: Ticket) -> None:
        edit_ticket(
            TicketEdit(
                ref=current.ref,
                expected_version=current.version,
                actor=AUTOMATION_ACTOR,
                request_id=cause,
                status=status,
                priority=actions.priority,
                queue=actions.queue,
                add_tags=actions.add_tags,
                assignee_set=actions.assignee_set,
                assignee=actions.assignee,
            ),
            settings,
            ports,
            is_agent,
        )

    try:
        retry_on_conflict(write, ticket.ref, ports.store, ticket=ticket)
    except ConcurrentUpdate:
        # The ticket kept changing under every attempt: the invocation fails and Scheduler retries it.
        raise
    except PostdeskError as error:
        # An assignee who left, a status the ticket cannot move to: said in the history, the rest goes on.
        problems.append(f"could not change the ticket: {error}")
        return
    if actions.add_tags:
        done.append("tagged " + ", ".join(actions.add_tags))
    for name, value in (("priority", actions.priority), ("queue", actions.queue)):
        if value:
            done.append(f"set {name} to {value}")
    if actions.assignee_set:
        done.append(f"assigned to {actions.assignee}" if actions.assignee else "unassigned")
    if status is Status.RESOLVED:
        done.append("resolved")
    elif status is not None:
        done.append(f"set status to {status.value}")


def _saved_reply(reference: str, ticket: Ticket, settings: Settings) -> SavedReply | str:
    """The saved reply a rule names (its id, else its title; of equal titles the one in the ticket's
    language, then one for any language), or the problem in words when there is none."""
    store = SavedReplyStore(settings.tables.saved_replies, settings.region)
    try:
        return store.get(reference)
    except SavedReplyNotFound:
        pass
    titled = [reply for reply in store.list() if reply.title.casefold() == reference.casefold()]
    titled.sort(key=lambda reply: (reply.language != ticket.language, reply.language != "", reply.id))
    if titled:
        return titled[0]
    return f"could not send the saved reply \u201c{reference}\u201d: no saved reply has that id or title"


def _send(
    rule: TimeRule,
    ref: str,
    saved: SavedReply,
    cause: str,
    settings: Settings,
    ports: Ports,
    done: list[str],
    problems: list[str],
) -> None:
    """The saved reply, as the desk (no agent's name), once per idle period: its request id is the
    rule's cause, so a second attempt finds it sent (DuplicateRequest) and sends nothing."""
    from postdesk.workflows.reply import AgentReply, send_reply

    ticket = ports.store.get_ticket(ref)
    if ticket is None:
        return
    status = rule.actions.status or (Status.OPEN if ticket.status is Status.NEW else ticket.status)
    said = f"sent the saved reply \u201c{saved.title}\u201d"
    try:
        send_reply(
            AgentReply(
                ref=ref,
                agent_email=AUTOMATION_ACTOR,
                agent_name="",
                body=saved.body,
                request_id=cause,
                status_after=status,
                saved_reply_id=saved.id,
            ),
            settings,
            ports,
        )
    except DuplicateRequest:
        pass
    except PostdeskError as error:
        problems.append(f"could not send the saved reply \u201c{saved.title}\u201d: {error}")
        return
    done.append(said)
    if status is Status.RESOLVED:
        done.append("resolved")
    elif status is not ticket.status:
        done.append(f"set status to {status.value}")


def _notify(
    rule: TimeRule,
    target: str,
    ticket: Ticket,
    cause: str,
    settings: Settings,
    ports: Ports,
    done: list[str],
    problems: list[str],
) -> None:
    """Tell an agent (workflows/notify.py: batched, by their preferences) or the queue's team address
    (workflows/notices.py), once per idle period."""
    from postdesk.agents.notifications import NotificationKind
    from postdesk.workflows.notices import notify_queue
    from postdesk.workflows.notify import notify_agent

    headline = f"rule \u201c{rule.name}\u201d applied"
    if target == NOTIFY_QUEUE:
        if not settings.survey.team_address_for(ticket.queue):
            problems.append(f"could not notify the {ticket.queue} queue: it has no team address")
        elif notify_queue(ticket, headline, [], f"{cause}:queue", settings, ports):
            done.append(f"notified the {ticket.queue} queue")
        else:
            problems.append(f"could not notify the {ticket.queue} queue")
        return
    person = ticket.assignee if target == NOTIFY_ASSIGNEE else target
    if not person:
        problems.append("could not notify the assignee: nobody is assigned")
        return
    try:
        agent = ports.agents.get(person)
    except PostdeskError:
        agent = None
    if agent is None or not agent.active:
        problems.append(f"could not notify {person}: not an active agent")
        return
    notify_agent(
        agent.email,
        NotificationKind.RULE,
        ticket,
        f"Rule \u201c{rule.name}\u201d: idle for {_hours(rule)} business hours",
        settings,
        ports,
        cause_id=f"{cause}:{agent.email}",
        actor=AUTOMATION_ACTOR,
    )
    # Queued once per cause; an agent who turned rule notifications off is still named: the rule
    # did its part.
    done.append(f"notified {agent.name or agent.email}")


def _hours(rule: TimeRule) -> str:
    hours = rule.idle.total_seconds() / 3600
    return f"{hours:g}"


def _mark(
    rule: TimeRule,
    ref: str,
    activity: datetime,
    application: RuleApplication,
    settings: Settings,
    ports: Ports,
) -> None:
    """Record that ``rule`` applied in this idle period, with what it did: one versioned write, so
    of two timers firing at once one records it and the other finds it recorded."""

    def write(current: Ticket) -> None:
        if already_applied(current, rule, activity):
            return
        now = ports.clock()
        detail = {
            "rule": rule.name,
            "idle_hours": _hours(rule),
            "idle_since": to_iso(activity),
            "did": "; ".join(application.done),
        }
        if application.problems:
            detail["problems"] = "; ".join(application.problems)[:2000]
        event = TicketEvent(
            ref=current.ref,
            at=now,
            kind="rule_applied",
            event_id=f"{_cause(rule, activity)}:applied",
            actor=AUTOMATION_ACTOR,
            detail=detail,
        )
        update = TicketUpdate(current, {"rules_applied": marks_after(current, rule, activity)})
        if not ports.store.update_ticket(update, [event]):
            return
        ports.metrics.count("TimeRulesApplied")
        after = replace(update.after(), version=current.version + 1)
        from postdesk.workflows.timers import after_change

        after_change(current, after, settings, ports, [event])

    retry_on_conflict(write, ref, ports.store)
