"""Deactivating an agent may put their open tickets back (workflows/account_changes.py,
release_tickets): each unassigned by the admin, in words, and given by its queue's assignment rule
to an active agent who is there; without a rule, left to nobody. Without the option they stay."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from chalice.test import Client

from postdesk.errors import NotAllowed
from postdesk.tickets.items import TicketUpdate
from postdesk.workflows.account_changes import Released, deactivate, release_tickets
from postdesk_tools.agents_cli import run_agents
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_assignment import (
    ANN,
    BEN,
    CAT,
    _arrive,
    _settings,
    agents,  # noqa: F401 - the fixture: Ann, Ben and Cat take orders
)

pytestmark = pytest.mark.usefixtures("agents")

ADMIN = "alex@example.com"


def _history(desk: Desk, ref: str) -> list[tuple[str, str, dict[str, str]]]:
    return [(event.kind, event.actor, dict(event.detail)) for event in desk.store.events(ref)]


def test_deactivating_with_release_gives_the_open_tickets_by_the_queues_rule(
    desk: Desk, tmp_path: Path
) -> None:
    # Given round robin in orders over Ann, Ben and Cat, and four tickets: Ann has two
    settings = _settings(desk, tmp_path, "round_robin")
    tickets = [_arrive(desk, settings, n) for n in range(4)]
    anns = [ticket.ref for ticket in tickets if ticket.assignee == ANN]
    assert len(anns) == 2

    # When an admin deactivates Ann and puts her tickets back
    released: list[Released] = []
    deactivate(ANN, ADMIN, settings, desk.ports, released=released)

    # Then each of her tickets went to Ben or Cat by the rule, and nobody else's moved
    assert sorted(ticket.ref for ticket in released) == sorted(anns)
    for ref in anns:
        after = desk.store.get_ticket(ref)
        assert after is not None and after.assignee in (BEN, CAT)
        assert after.assignee == next(r.assignee for r in released if r.ref == ref)
        # And the history says who unassigned it and why, then what the rule decided
        said = _history(desk, ref)
        unassigned = [entry for entry in said if entry[0] == "unassigned"]
        assert unassigned == [
            ("unassigned", ADMIN, {"from": ANN, "to": "", "why": f"Ann ({ANN}) was deactivated"})
        ]
        assigned = [entry for entry in said if entry[0] == "assigned"][-1]
        assert assigned[1] == "automation" and assigned[2]["occasion"] == "released"
        assert assigned[2]["to"] == after.assignee and assigned[2]["reason"] == "round robin in orders"
    others = [t for t in tickets if t.ref not in anns]
    assert all(desk.store.get_ticket(t.ref).assignee == t.assignee for t in others)  # type: ignore[union-attr]


def test_without_a_rule_the_tickets_go_to_nobody_and_without_the_option_they_stay(
    desk: Desk, tmp_path: Path
) -> None:
    # Given Ann's ticket in orders, a queue whose agents take tickets themselves
    ticket = _arrive(desk, desk.settings, 0)
    desk.store.update_ticket(TicketUpdate(ticket, {"assignee": BEN}), [])
    # When Ben is deactivated without the option, his ticket stays his
    deactivate(BEN, ADMIN, desk.settings, desk.ports)
    assert desk.store.get_ticket(ticket.ref).assignee == BEN  # type: ignore[union-attr]

    # When his tickets are put back afterwards
    released = release_tickets(BEN, ADMIN, desk.settings, desk.ports)

    # Then it has nobody, and the history says so
    assert released == [Released(ticket.ref, None)]
    assert desk.store.get_ticket(ticket.ref).assignee is None  # type: ignore[union-attr]
    assert [e for e in _history(desk, ticket.ref) if e[0] in ("unassigned", "assigned", "not_assigned")] == [
        ("unassigned", ADMIN, {"from": BEN, "to": "", "why": f"Ben ({BEN}) was deactivated"})
    ]
    # And an active agent's tickets are not put back this way
    try:
        release_tickets(CAT, ADMIN, desk.settings, desk.ports)
    except NotAllowed as refused:
        assert "active" in str(refused)
    else:
        raise AssertionError("an active agent's tickets were put back")


def test_the_api_puts_the_tickets_back_when_asked(desk: Desk, client: Client, admin_token: str) -> None:
    ticket = _arrive(desk, desk.settings, 0)
    desk.store.update_ticket(TicketUpdate(ticket, {"assignee": CAT}), [])

    refused = client.http.put(
        f"/agents/{CAT}", headers=auth(admin_token), body=json.dumps({"release_tickets": True})
    )
    assert refused.status_code == 400 and "active: false" in body_of(refused)["message"]

    answer = client.http.put(
        f"/agents/{CAT}",
        headers=auth(admin_token),
        body=json.dumps({"active": False, "release_tickets": True}),
    )

    assert answer.status_code == 200, answer.body
    assert body_of(answer)["active"] is False
    assert body_of(answer)["released_tickets"] == [{"ref": ticket.ref, "assignee": None}]
    assert desk.store.get_ticket(ticket.ref).assignee is None  # type: ignore[union-attr]


def test_the_command_line_puts_the_tickets_back_with_its_option(desk: Desk) -> None:
    ticket = _arrive(desk, desk.settings, 0)
    desk.store.update_ticket(TicketUpdate(ticket, {"assignee": ANN}), [])
    out = io.StringIO()

    status = run_agents(
        ["deactivate", ANN, "--release-tickets"], desk.settings, out, lambda: datetime.now(UTC)
    )

    assert status == 0, out.getvalue()
    assert f"Open tickets put back: 1.\n  {ticket.ref}: nobody" in out.getvalue()
    assert desk.store.get_ticket(ticket.ref).assignee is None  # type: ignore[union-attr]
