"""Automatic assignment (workflows/assignment.py): a queue's rule in the SLA policy file gives its new
and reopened tickets to one of its agents who is not away, and the history says which rule chose whom."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.settings import Settings
from postdesk.sla.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Status, Ticket, TicketEvent
from postdesk.tickets.states import status_fields
from postdesk.workflows.report import build_report
from tests.integration.conftest import Desk
from tests.mails import build_mail

ORDERS = "orders"
ANN, BEN, CAT = "ann@example.com", "ben@example.com", "cat@example.com"


def _policy(tmp_path: Path, rule: str, queue: str = ORDERS) -> str:
    # A file per rule: policies are cached by path.
    custom = tmp_path / f"policy-{queue}-{rule}.toml"
    custom.write_text(
        DEFAULT_POLICY_PATH.read_text(encoding="utf-8") + f'\n[queues.{queue}]\nassignment = "{rule}"\n',
        encoding="utf-8",
    )
    return str(custom)


@pytest.fixture
def agents(desk: Desk) -> AgentStore:
    store = AgentStore(desk.settings.tables.agents, desk.settings.region)
    for email, name in ((ANN, "Ann"), (BEN, "Ben"), (CAT, "Cat")):
        store.add(email, name, Role.AGENT, desk.clock_now)
        store.set_queues(email, [ORDERS])
    return store


def _settings(desk: Desk, tmp_path: Path, rule: str) -> Settings:
    return replace(desk.settings, sla_policy_path=_policy(tmp_path, rule))


def _order_mail(n: int) -> bytes:
    # "order ... has not arrived": triage files it under orders, routed to the orders queue.
    return build_mail(
        sender=f"customer{n}@customer.example",
        subject=f"My order {4700 + n} has not arrived",
        body=f"Hello,\n\nmy order {4700 + n} has not arrived yet. Where is my parcel?\n\nCustomer {n}",
    )


def _arrive(desk: Desk, settings: Settings, n: int) -> Ticket:
    event = desk.event(_order_mail(n), envelope_sender=f"customer{n}@customer.example")
    from postdesk import handlers
    from postdesk.workflows.ingest import ingest

    (delivery,) = handlers.deliveries_from_ses_event(event)
    result = ingest(delivery, settings, desk.ports)
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and ticket.queue == ORDERS, ticket
    return ticket


def _decisions(desk: Desk, ref: str) -> list[TicketEvent]:
    return [event for event in desk.store.events(ref) if event.kind in ("assigned", "not_assigned")]


def test_round_robin_goes_round_the_agents_of_the_queue_and_skips_one_who_is_away(
    desk: Desk, agents: AgentStore, tmp_path: Path
) -> None:
    # Given round robin in orders over Ann, Ben and Cat, with Ben away
    settings = _settings(desk, tmp_path, "round_robin")
    agents.set_away(BEN, True, None)

    # When four tickets arrive in orders
    tickets = [_arrive(desk, settings, n) for n in range(4)]

    # Then they go Ann, Cat, Ann, Cat
    assert [ticket.assignee for ticket in tickets] == [ANN, CAT, ANN, CAT]
    # And the history names the rule and the choice, by the automation
    (decision,) = _decisions(desk, tickets[0].ref)
    assert decision.kind == "assigned" and decision.actor == "automation"
    assert decision.detail["to"] == ANN
    assert decision.detail["reason"] == "round robin in orders"
    assert decision.detail["away"] == BEN
    assert decision.detail["occasion"] == "new"

    # When Ben is back, he takes his turn again
    agents.set_away(BEN, False, None)
    assert _arrive(desk, settings, 4).assignee == ANN
    assert _arrive(desk, settings, 5).assignee == BEN


def test_an_absence_with_an_end_ends_by_itself(desk: Desk, agents: AgentStore, tmp_path: Path) -> None:
    # Given Ann and Ben away, Ben only until a minute from now, Cat taking no queue
    settings = _settings(desk, tmp_path, "round_robin")
    agents.set_queues(CAT, [])
    agents.set_away(ANN, True, None)
    agents.set_away(BEN, True, desk.now() + timedelta(minutes=1, seconds=30))

    # When a ticket arrives before his return, and another after it
    before = _arrive(desk, settings, 0)
    desk.clock_now += timedelta(minutes=2)
    after = _arrive(desk, settings, 1)

    # Then the first finds nobody and the history says why; the second goes to Ben
    assert before.assignee is None
    (decision,) = _decisions(desk, before.ref)
    assert decision.kind == "not_assigned"
    assert decision.detail["why"] == "everyone who takes orders is away"
    assert after.assignee == BEN


def test_fewest_open_gives_the_ticket_to_the_agent_with_the_least_work(
    desk: Desk, agents: AgentStore, tmp_path: Path
) -> None:
    # Given Ann with two open tickets, Ben with one that is resolved, Cat with one open
    settings = _settings(desk, tmp_path, "none")
    work = [_arrive(desk, settings, n) for n in range(4)]
    for ticket, (assignee, status) in zip(
        work,
        ((ANN, Status.OPEN), (ANN, Status.PENDING), (BEN, Status.RESOLVED), (CAT, Status.OPEN)),
        strict=True,
    ):
        changes = {"assignee": assignee, **status_fields(status, ticket.cycle, desk.now())}
        desk.store.update_ticket(TicketUpdate(ticket, changes), [])
    fewest = _settings(desk, tmp_path, "fewest_open")

    # When two tickets arrive in orders by fewest open
    first = _arrive(desk, fewest, 10)
    second = _arrive(desk, fewest, 11)

    # Then the first goes to Ben (nothing unresolved), the second to Ben or Cat (one each), not Ann
    assert first.assignee == BEN
    assert second.assignee == CAT  # a tie of one each: the rotation moves on from Ben
    (decision,) = _decisions(desk, first.ref)
    assert decision.detail["reason"] == "fewest open tickets in orders"
    assert decision.detail["open"] == "0"


def test_tickets_arriving_at_once_go_to_different_agents(
    desk: Desk, agents: AgentStore, tmp_path: Path
) -> None:
    # Given round robin over three agents
    settings = _settings(desk, tmp_path, "round_robin")
    events = [desk.event(_order_mail(n), envelope_sender=f"customer{n}@customer.example") for n in range(6)]
    from postdesk import handlers
    from postdesk.workflows.ingest import ingest

    def deliver(event: dict[str, object]) -> str:
        (delivery,) = handlers.deliveries_from_ses_event(event)
        return ingest(delivery, settings, desk.ports).ref

    # When six tickets arrive on three workers at the same moment
    with ThreadPoolExecutor(max_workers=3) as pool:
        refs = list(pool.map(deliver, events))

    # Then every agent got two: no two arrivals took the same turn
    assignees = Counter(ticket.assignee for ticket in desk.store.get_tickets(refs).values())
    assert assignees == {ANN: 2, BEN: 2, CAT: 2}


def test_a_retried_delivery_assigns_once(desk: Desk, agents: AgentStore, tmp_path: Path) -> None:
    # Given round robin, and a ticket that arrived and was assigned
    settings = _settings(desk, tmp_path, "round_robin")
    event = desk.event(_order_mail(0), envelope_sender="customer0@customer.example")
    from postdesk import handlers
    from postdesk.workflows.ingest import ingest

    (delivery,) = handlers.deliveries_from_ses_event(event)
    ref = ingest(delivery, settings, desk.ports).ref

    # When Lambda delivers the same event again
    ingest(delivery, settings, desk.ports)

    # Then the ticket has the one assignee, one decision, and the rotation moved once
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.assignee == ANN
    assert len(_decisions(desk, ref)) == 1
    assert desk.ports.rotation.current(ORDERS).taken == 1


def test_a_reopen_keeps_an_assignee_who_is_there_and_replaces_one_who_is_away(
    desk: Desk, agents: AgentStore, tmp_path: Path
) -> None:
    # Given two resolved tickets of orders, assigned by round robin to Ann and Ben
    settings = _settings(desk, tmp_path, "round_robin")
    kept, moved = _arrive(desk, settings, 0), _arrive(desk, settings, 1)
    for ticket in (kept, moved):
        current = desk.store.get_ticket(ticket.ref)
        assert current is not None
        desk.store.update_ticket(
            TicketUpdate(current, status_fields(Status.RESOLVED, current.cycle, desk.now())), []
        )
    assert (kept.assignee, moved.assignee) == (ANN, BEN)
    # And Ben goes away
    agents.set_away(BEN, True, None)

    # When both customers answer
    for n, ticket in enumerate((kept, moved)):
        raw = build_mail(
            sender=f"customer{n}@customer.example",
            subject=f"Re: [#{ticket.ref}] {ticket.subject}",
            body="It still has not arrived.",
        )
        _reply(desk, settings, raw, n)

    # Then Ann keeps hers, and Ben's goes to the next in turn (Cat), saying it was a reopen
    after_kept, after_moved = desk.store.get_ticket(kept.ref), desk.store.get_ticket(moved.ref)
    assert after_kept is not None and after_moved is not None
    assert after_kept.status is Status.OPEN and after_kept.assignee == ANN
    assert after_moved.status is Status.OPEN and after_moved.assignee == CAT
    reopen_decision = _decisions(desk, moved.ref)[-1]
    assert reopen_decision.detail["occasion"] == "reopened"
    assert reopen_decision.detail["from"] == BEN
    assert reopen_decision.event_id == "assignment:2"
    assert len(_decisions(desk, kept.ref)) == 1


def _reply(desk: Desk, settings: Settings, raw: bytes, n: int) -> None:
    from postdesk import handlers
    from postdesk.workflows.ingest import ingest

    event = desk.event(raw, envelope_sender=f"customer{n}@customer.example")
    (delivery,) = handlers.deliveries_from_ses_event(event)
    ingest(delivery, settings, desk.ports)


def test_nobody_takes_the_queue(desk: Desk, tmp_path: Path) -> None:
    # Given round robin in orders, and no agent taking orders
    settings = _settings(desk, tmp_path, "round_robin")

    # When a ticket arrives
    ticket = _arrive(desk, settings, 0)

    # Then it stays unassigned, and the history says why
    assert ticket.assignee is None
    (decision,) = _decisions(desk, ticket.ref)
    assert decision.detail["why"] == "no active agent takes tickets from orders"


def test_rule_none_leaves_tickets_to_the_agents(desk: Desk, agents: AgentStore, tmp_path: Path) -> None:
    # Given the shipped policy (no queue assigns by itself)
    assert load_policy().assignment_for(ORDERS).value == "none"

    # When a ticket arrives in orders
    ticket = _arrive(desk, desk.settings, 0)

    # Then nobody is assigned and nothing is said
    assert ticket.assignee is None
    assert _decisions(desk, ticket.ref) == []
    assert desk.ports.rotation.current(ORDERS).taken == 0


def test_the_report_counts_automatic_assignments(desk: Desk, agents: AgentStore, tmp_path: Path) -> None:
    # Given two tickets assigned by round robin, and one for which nobody was there
    settings = _settings(desk, tmp_path, "round_robin")
    _arrive(desk, settings, 0)
    _arrive(desk, settings, 1)
    for email in (ANN, BEN, CAT):
        agents.set_away(email, True, None)
    _arrive(desk, settings, 2)

    # When the report is made
    day = desk.now().date()
    report = build_report(desk.store, desk.now(), day, "UTC", day)

    # Then it counts them
    assert report["assignment"] == {"automatic": 2, "by_rule": {"round_robin": 2}, "nobody_available": 1}


def test_a_wrong_rule_is_refused_naming_its_entry(tmp_path: Path) -> None:
    # Given a policy whose queue has an unknown rule
    path = _policy(tmp_path, "whoever_is_free")

    # When it is loaded, Then the error names the entry and the rules there are
    with pytest.raises(
        PolicyError, match=r'queues\.orders\.assignment: one of "none", "round_robin", "fewest_open"'
    ):
        load_policy(path)
