"""Which queues an agent sees (agents/model.py) and how a list keeps to them (tickets/listing.py, the
search index's conditions): pure, no AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from postdesk.agents.model import Agent, Role
from postdesk.search.segments import Conditions, _where, search_conditions
from postdesk.tickets.listing import (
    DEFAULT_STATUSES,
    UNASSIGNED,
    Sort,
    TicketFilter,
    View,
    plan,
    view_filter,
)

CREATED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _agent(role: Role = Role.AGENT, queues: tuple[str, ...] = (), every_queue: bool = False) -> Agent:
    return Agent("ann@example.com", "Ann", role, True, CREATED, queues=queues, every_queue=every_queue)


def test_an_agent_sees_the_queues_listed_an_admin_and_an_agent_given_none_every_queue() -> None:
    ann = _agent(queues=("billing", "orders"))
    assert ann.visible_queues == ("billing", "orders")
    assert ann.sees_queue("orders") and not ann.sees_queue("support")
    assert _agent(queues=()).visible_queues == () and not _agent().sees_queue("orders")
    for everyone in (_agent(every_queue=True), _agent(Role.ADMIN), _agent(Role.ADMIN, queues=("orders",))):
        assert everyone.visible_queues is None and everyone.sees_queue("support")


def test_the_default_agent_sees_every_queue_as_an_item_without_the_attribute() -> None:
    assert Agent("x@example.com", "X", Role.AGENT, True, CREATED).visible_queues is None


def test_a_list_of_some_queues_reads_the_queue_partitions_of_each_and_nothing_else() -> None:
    listing = plan(TicketFilter(queues=("billing", "orders")))
    assert {(p.index_name, p.hash_value) for p in listing.partitions} == {
        ("queue-waiting", f"{queue}#{status.value}")
        for queue in ("billing", "orders")
        for status in DEFAULT_STATUSES
    }
    assert listing.residual == {} and listing.queue_in is None


@pytest.mark.parametrize(
    ("wanted", "index"),
    [
        (TicketFilter(assignee="ann@example.com"), "assignee-waiting"),
        (TicketFilter(assignee=UNASSIGNED, sort=Sort.PRIORITY), "assignee-priority"),
        (TicketFilter(follow_up=True, statuses=()), "follow-up"),
        (TicketFilter(requester="jane@customer.example"), "by-requester"),
        (view_filter(View.BREACHED, "ann@example.com", "2026-11-25T09:00:00Z", "x"), "sla-due"),
    ],
)
def test_an_index_not_partitioned_by_queue_keeps_to_the_queues_by_a_condition(
    wanted: TicketFilter, index: str
) -> None:
    listing = plan(replace(wanted, queues=("orders",)))
    assert {p.index_name for p in listing.partitions} == {index}
    assert listing.queue_in == ("orders",)


@pytest.mark.parametrize(
    "wanted",
    [
        TicketFilter(queues=()),
        TicketFilter(queues=("orders",), queue="billing"),
        replace(view_filter(View.MINE, "ann@example.com", "n", "s"), queues=()),
    ],
)
def test_no_queue_or_a_queue_not_theirs_reads_nothing(wanted: TicketFilter) -> None:
    assert plan(wanted).partitions == ()


def test_a_queue_of_theirs_is_read_as_any_list_of_one_queue() -> None:
    assert plan(TicketFilter(queues=("orders", "billing"), queue="orders")) == plan(
        TicketFilter(queue="orders")
    )
    assert plan(TicketFilter(queue="orders")) == plan(replace(TicketFilter(queue="orders"), queues=None))


def test_a_cursor_of_one_agents_list_is_not_another_agents() -> None:
    assert TicketFilter(queues=("orders",)).fingerprint() != TicketFilter().fingerprint()


def test_the_search_index_is_asked_for_their_queues_only() -> None:
    conditions = search_conditions(TicketFilter(queues=("billing", "orders")))
    where, parameters = _where(conditions)
    assert "queue IN (?, ?)" in where and parameters[-2:] == ["billing", "orders"]
    assert " AND 0" in _where(Conditions(queues=()))[0]
    assert "queue" not in _where(search_conditions(TicketFilter()))[0]
