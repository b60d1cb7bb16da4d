"""Automatic assignment: a queue's new and reopened tickets go to one of its agents by the queue's rule
in the SLA policy file (``[queues.<queue>] assignment``), and the ticket's history says which rule
chose whom, or why nobody was chosen.

- ``round_robin``: the agents who take the queue, by address, each in turn after the one who got the
  last ticket (agents/rotation.py keeps whose turn it is, per queue);
- ``fewest_open``: the agent with the fewest unresolved tickets (new, open, pending, on hold), counted
  on the tickets table's ``assignee-waiting`` index with ``Select=COUNT``, one query per agent and
  status (nothing scanned, no counter to keep right on every change); a tie goes to whoever comes
  first in the rotation, and the rotation moves on, so tickets arriving together spread out even
  while the index has not caught up with the previous ones;
- ``none`` (the default): agents take tickets themselves.

Agents taking part are active, list the queue among theirs and are not away. A customer's answer that
reopens a ticket keeps its assignee while they are there (they know the case); only an assignee who
is away or gone is replaced. An agent who reopens a ticket keeps it as they left it. When an admin
deactivates an agent and puts their open tickets back (``release``, workflows/account_changes.py),
each is unassigned by the admin, in words, and given by the same rule (occasion ``released``).

One decision per ticket cycle: the ``assigned`` (or ``not_assigned``) event has the id
``assignment:<cycle>``, written with the ticket change, so a retried delivery finds it and assigns
nothing twice, and the change is written over the version read, only while the ticket still has the
assignee the decision saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from postdesk.agents.model import Agent
from postdesk.clock import to_iso
from postdesk.effects.retry import retry_on_conflict
from postdesk.errors import ConcurrentUpdate
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.sla.policy import AssignmentRule, load_policy
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.listing import DEFAULT_STATUSES, TicketFilter
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.workflows.timers import after_change

# The actor of what the desk does by itself.
AUTOMATION = "automation"
# Counting one agent's unresolved tickets stops here: beyond it, more makes no difference to a choice.
OPEN_COUNT_CAP = 500
# Turns lost to tickets arriving at the same moment before giving up (each loss means another ticket
# of the queue was assigned meanwhile; the ticket then stays unassigned and the history says so).
TURN_ATTEMPTS = 8
RULE_WORDS = {AssignmentRule.ROUND_ROBIN: "round robin", AssignmentRule.FEWEST_OPEN: "fewest open tickets"}


class Occasion(StrEnum):
    NEW = "new"
    REOPENED = "reopened"
    # The assignee was deactivated and an admin put their open tickets back (release below).
    RELEASED = "released"


@dataclass(frozen=True, slots=True)
class Choice:
    """Whom a rule chose (None: nobody could be), and what the history says about it."""

    assignee: str | None
    detail: Mapping[str, str]


def assign_automatically(ticket: Ticket, occasion: Occasion, settings: Settings, ports: Ports) -> Ticket:
    """Assign ``ticket`` (just created, or just reopened by its customer) by its queue's rule; the
    ticket as it is afterwards. Does nothing for a queue without a rule, a quarantined, merged or
    done ticket, a new ticket someone already took, or a reopened one whose assignee is there."""
    rule = load_policy(settings.sla_policy_path).assignment_for(ticket.queue)
    if rule is AssignmentRule.NONE or ticket.quarantine or ticket.merged_into or not ticket.is_open:
        return ticket
    now = ports.clock()
    agents = [agent for agent in ports.agents.list() if agent.active]
    if ticket.assignee is not None and (occasion is Occasion.NEW or _present(ticket.assignee, agents, now)):
        return ticket
    choice = _choose(rule, ticket.queue, agents, now, ports)
    return _record(ticket, rule, occasion, choice, now, settings, ports)


def _present(email: str, agents: Sequence[Agent], now: datetime) -> bool:
    return any(agent.email == email and not agent.is_away(now) for agent in agents)


def _choose(rule: AssignmentRule, queue: str, agents: Sequence[Agent], now: datetime, ports: Ports) -> Choice:
    members = [agent for agent in agents if queue in agent.queues]
    away = [agent.email for agent in members if agent.is_away(now)]
    available = sorted(agent.email for agent in members if not agent.is_away(now))
    said = {"rule": rule.value, "queue": queue, "reason": f"{RULE_WORDS[rule]} in {queue}"}
    if away:
        said["away"] = ", ".join(sorted(away))
    if not available:
        why = (
            f"everyone who takes {queue} is away"
            if members
            else f"no active agent takes tickets from {queue}"
        )
        return Choice(None, {**said, "why": why})
    open_counts = _open_counts(available, ports) if rule is AssignmentRule.FEWEST_OPEN else {}
    turn = ports.rotation.current(queue)
    for _ in range(TURN_ATTEMPTS):
        candidates = available
        if open_counts:
            fewest = min(open_counts.values())
            candidates = [email for email in available if open_counts[email] == fewest]
        chosen = _next_after(turn.last, candidates)
        if ports.rotation.take(queue, turn, chosen, to_iso(now)):
            detail = {**said, "available": str(len(available))}
            if open_counts:
                detail["open"] = str(open_counts[chosen])
            return Choice(chosen, detail)
        # Another ticket of the queue took this turn: its agent has one more ticket than counted.
        turn = ports.rotation.current(queue)
        if turn.last in open_counts:
            open_counts[turn.last] += 1
    return Choice(None, {**said, "why": "too many tickets of the queue arrived at the same moment"})


def _next_after(last: str | None, candidates: Sequence[str]) -> str:
    """The first of ``candidates`` (sorted) after ``last``, wrapping around: the next turn."""
    return next((email for email in candidates if last is None or email > last), candidates[0])


def _open_counts(agents: Sequence[str], ports: Ports) -> dict[str, int]:
    """Each agent's unresolved tickets (quarantined ones are not counted: they are not work yet)."""
    return {
        email: ports.store.count_tickets(
            TicketFilter(statuses=DEFAULT_STATUSES, assignee=email), OPEN_COUNT_CAP
        )
        for email in agents
    }


def _record(
    ticket: Ticket,
    rule: AssignmentRule,
    occasion: Occasion,
    choice: Choice,
    now: datetime,
    settings: Settings,
    ports: Ports,
) -> Ticket:
    """Write the decision: the assignee with its event over the version read, or the event saying why
    nobody was chosen. The same decision of the same cycle is written once."""
    detail = {**choice.detail, "occasion": occasion.value, "from": ticket.assignee or ""}
    event_id = f"assignment:{ticket.cycle}"
    if choice.assignee is None:
        event = TicketEvent(ticket.ref, now, "not_assigned", event_id, AUTOMATION, detail)
        ports.store.record_event(event, expires_at=ticket.expires_at)
        logger.info("ticket left unassigned", extra={"ref": ticket.ref, "why": detail["why"]})
        return ticket
    event = TicketEvent(ticket.ref, now, "assigned", event_id, AUTOMATION, {**detail, "to": choice.assignee})
    after = _write_assignee(ticket, choice.assignee, [event], now, settings, ports)
    if after is None:
        logger.info("automatic assignment decided before or gave way", extra={"ref": ticket.ref})
        return ports.store.get_ticket(ticket.ref) or ticket
    _count_assigned(ticket, rule, choice.assignee, ports)
    return after


def _count_assigned(ticket: Ticket, rule: AssignmentRule, assignee: str, ports: Ports) -> None:
    ports.metrics.count("TicketsAssignedAutomatically", {"rule": rule.value})
    logger.info(
        "ticket assigned automatically",
        extra={"ref": ticket.ref, "rule": rule.value, "agent": mask_address(assignee)},
    )


def _write_assignee(
    ticket: Ticket,
    assignee: str | None,
    events: Sequence[TicketEvent],
    now: datetime,
    settings: Settings,
    ports: Ports,
) -> Ticket | None:
    """Give ``ticket`` the assignee ``assignee`` with ``events``, over the version read: the ticket
    afterwards, or None when someone changed who has it (or its cycle or queue) meanwhile."""

    def write(current: Ticket) -> tuple[Ticket, Ticket] | None:
        # Another change (a timer, the acknowledgement) is no reason to give way; someone who
        # assigned the ticket meanwhile, or a change of its cycle or queue, is: theirs stands.
        if (current.assignee, current.cycle, current.queue) != (ticket.assignee, ticket.cycle, ticket.queue):
            return None
        update = TicketUpdate(current, {"assignee": assignee, "updated_at": now})
        if not ports.store.update_ticket(update, list(events)):
            return None
        return current, replace(update.after(), version=current.version + 1)

    try:
        written = retry_on_conflict(write, ticket.ref, ports.store, ticket=ticket)
    except ConcurrentUpdate:
        written = None
    if written is None:
        return None
    before, after = written
    after_change(before, after, settings, ports, list(events))
    return after


def release(ticket: Ticket, released_by: str, why: str, settings: Settings, ports: Ports) -> Ticket | None:
    """Take the open ``ticket`` from its assignee, who can no longer work on it (``why`` says so in
    words, as "Sam Lee was deactivated"), and give it by its queue's rule to an active agent who is
    there, or to nobody. The history says both: ``released_by`` unassigned it, and what the rule
    decided. The ticket afterwards; None when someone else changed its assignee meanwhile."""
    now = ports.clock()
    step = f"release:{ticket.cycle}:{ticket.version}"
    said = {"from": ticket.assignee or "", "to": "", "why": why}
    events = [TicketEvent(ticket.ref, now, "unassigned", f"{step}:unassigned", released_by, said)]
    rule = load_policy(settings.sla_policy_path).assignment_for(ticket.queue)
    choice = None
    if rule is not AssignmentRule.NONE and not ticket.quarantine and not ticket.merged_into:
        agents = [agent for agent in ports.agents.list() if agent.active and agent.email != ticket.assignee]
        choice = _choose(rule, ticket.queue, agents, now, ports)
        detail = {**choice.detail, "occasion": Occasion.RELEASED.value, "from": ""}
        if choice.assignee is None:
            events.append(
                TicketEvent(ticket.ref, now, "not_assigned", f"{step}:assignment", AUTOMATION, detail)
            )
        else:
            to = {**detail, "to": choice.assignee}
            events.append(TicketEvent(ticket.ref, now, "assigned", f"{step}:assignment", AUTOMATION, to))
    assignee = choice.assignee if choice is not None else None
    after = _write_assignee(ticket, assignee, events, now, settings, ports)
    if after is not None and choice is not None and assignee is not None:
        _count_assigned(ticket, rule, assignee, ports)
    return after
