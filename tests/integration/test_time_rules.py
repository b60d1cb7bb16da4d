"""Time rules of the rules file at work, on moto with the clock moved (workflows/time_rules.py): one
timer per ticket for the earliest rule due, moved by every activity; a rule applies once per idle
period, through versioned edits and the send-once mechanism, and says so in the ticket's history.

The ticket arrives on Tuesday 24 November 2026 at 10:32 in Berlin (09:32 UTC); the shipped SLA
calendar: Mon-Fri 09:00-17:00."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from postdesk.agents.model import Role
from postdesk.aws.clients import client as aws_client
from postdesk.replies.saved import SavedReplyStore
from postdesk.tickets.model import Status, Ticket, TicketEvent
from postdesk.triage.rules import DEFAULT_RULES_PATH
from postdesk.workflows.automations import automation_request, run_automation
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.report import build_report
from postdesk.workflows.ticket_work import TicketEdit, add_note, edit_ticket
from tests.integration.conftest import Desk
from tests.integration.test_send_once import Died, _dying
from tests.mails import build_mail

ARRIVAL = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
RULES = """
[[time_rule]]
name = "Nudge idle new tickets"
when = { status = ["new", "open"], tags_none = ["waiting-supplier"], idle_business_hours = 2 }
then = { add_tag = "stale", set = { priority = "high" } }

[[time_rule]]
name = "Close the silent ones"
when = { status = ["pending"], idle_business_hours = 8 }
then = { saved_reply = "Closing soon", resolve = true }
"""


@pytest.fixture
def rules_desk(desk: Desk, tmp_path: Path) -> Desk:
    """The desk with the shipped rules file and the time rules above (POSTDESK_TRIAGE_RULES)."""
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    desk.settings = replace(desk.settings, triage_rules_path=str(path))
    return desk


def _rules_schedules(desk: Desk, ref: str) -> dict[str, dict[str, Any]]:
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    return {
        summary["Name"]: scheduler.get_schedule(Name=summary["Name"], GroupName=group)
        for summary in scheduler.list_schedules(GroupName=group)["Schedules"]
        if summary["Name"].startswith(f"rules-{ref}-")
    }


def _only_payload(desk: Desk, ref: str) -> dict[str, Any]:
    schedules = _rules_schedules(desk, ref)
    assert len(schedules) == 1, sorted(schedules)
    (schedule,) = schedules.values()
    assert schedule["Target"]["Arn"] == desk.settings.scheduling.automations_function_arn
    payload: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    return payload


def _fire(desk: Desk, payload: dict[str, Any], at: datetime | None = None, ports: Any = None) -> str:
    """Scheduler invokes the ``automations`` function with the schedule's input at its time."""
    request = automation_request(payload)
    assert request is not None
    desk.clock_now = (at or request.due) - timedelta(seconds=1)
    return run_automation(request, desk.settings, ports or desk.ports)


def _ticket(desk: Desk, ref: str) -> Ticket:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    return ticket


def _applied(desk: Desk, ref: str) -> list[TicketEvent]:
    return [event for event in desk.store.events(ref) if event.kind == "rule_applied"]


def _new_ticket(desk: Desk) -> str:
    desk.clock_now = ARRIVAL
    return desk.deliver(build_mail(subject="Where is my order?", body="It has not arrived yet.")).ref


def _edit(desk: Desk, ref: str, **changes: Any) -> None:
    ticket = _ticket(desk, ref)
    edit = TicketEdit(
        ref=ref,
        expected_version=ticket.version,
        actor="sam@example.com",
        request_id=f"e{ticket.version}",
        **changes,
    )
    edit_ticket(edit, desk.settings, desk.ports, lambda _: True)


def test_a_rule_applies_once_after_its_idle_business_hours(rules_desk: Desk) -> None:
    # Given a new ticket that arrived at 10:32 in Berlin
    desk = rules_desk
    ref = _new_ticket(desk)

    # Then one timer waits for the first rule: two business hours later
    payload = _only_payload(desk, ref)
    assert payload == {"purpose": "time_rule", "ref": ref, "due": "2026-11-24T11:32:00.000Z"}

    # When it fires
    assert _fire(desk, payload) == "applied"

    # Then the ticket is tagged and raised, by the automation, and its history names the rule
    ticket = _ticket(desk, ref)
    assert "stale" in ticket.tags and ticket.priority == "high"
    (event,) = _applied(desk, ref)
    assert event.actor == "time-rule"
    assert event.detail["rule"] == "Nudge idle new tickets"
    assert event.detail["did"] == "tagged stale; set priority to high"
    changes = [e for e in desk.store.events(ref) if e.kind in ("tags_changed", "priority_changed")]
    assert {e.actor for e in changes} == {"time-rule"}

    # And nothing waits any more: the rule's own change is no activity (no loop)
    assert _rules_schedules(desk, ref) == {}

    # When the same timer fires again (Scheduler's retry)
    assert _fire(desk, payload) == "nothing_due"

    # Then nothing happens twice
    assert len(_applied(desk, ref)) == 1
    assert desk.metrics.total("TimeRulesApplied") == 1


def test_an_activity_in_between_moves_the_timer(rules_desk: Desk) -> None:
    # Given a new ticket, and an agent who changes its category an hour later
    desk = rules_desk
    ref = _new_ticket(desk)
    stale = _only_payload(desk, ref)
    desk.clock_now = ARRIVAL + timedelta(hours=1)
    _edit(desk, ref, category="billing")

    # Then the timer waits two business hours from that change
    moved = _only_payload(desk, ref)
    assert moved["due"] == "2026-11-24T12:31:02.000Z"

    # And the old one, had it fired, does nothing
    assert _fire(desk, stale) == "nothing_due"
    assert _applied(desk, ref) == []

    # When an agent leaves a note before the new time (a note writes nothing to the ticket)
    desk.clock_now = ARRIVAL + timedelta(hours=2)
    add_note(ref, "sam@example.com", "Sam Lee", "Asked the warehouse.", "n1", desk.ports)

    # Then the timer finds the note, does nothing, and waits two business hours from it
    assert _fire(desk, moved) == "nothing_due"
    assert _applied(desk, ref) == []
    assert _only_payload(desk, ref)["due"] == "2026-11-24T13:31:02.000Z"


def test_a_ticket_that_no_longer_matches_is_left_alone(rules_desk: Desk) -> None:
    # Given a new ticket whose timer waits, then tagged as waiting on a supplier
    desk = rules_desk
    ref = _new_ticket(desk)
    payload = _only_payload(desk, ref)
    _edit(desk, ref, add_tags=("waiting-supplier",))

    # Then no timer waits, and the old one does nothing
    assert _rules_schedules(desk, ref) == {}
    assert _fire(desk, payload) == "nothing_due"
    assert _applied(desk, ref) == [] and "stale" not in _ticket(desk, ref).tags


def _pending_with_saved_reply(desk: Desk) -> tuple[str, dict[str, Any]]:
    SavedReplyStore(desk.settings.tables.saved_replies, desk.settings.region).create(
        "Closing soon",
        "Hello {{ customer.first_name }}, we have not heard from you, so we close this request.",
        "",
        "lead@example.com",
        ARRIVAL,
    )
    ref = _new_ticket(desk)
    desk.clock_now = ARRIVAL + timedelta(minutes=20)
    send_reply(
        AgentReply(
            ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body="Which order?", request_id="r1"
        ),
        desk.settings,
        desk.ports,
    )
    return ref, _only_payload(desk, ref)


def _closing_mails(desk: Desk) -> int:
    return sum(
        "we close this request" in mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for mail in desk.sent()
    )


def test_a_saved_reply_is_sent_once_as_the_desk_and_resolves_the_ticket(rules_desk: Desk) -> None:
    # Given a ticket pending on the customer since Tuesday 10:51
    desk = rules_desk
    ref, payload = _pending_with_saved_reply(desk)
    assert payload["due"] == "2026-11-25T09:51:02.000Z"

    # When its timer fires twice at once (two deliveries of one schedule)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: _fire(desk, payload), range(2)))

    # Then the customer got the saved reply once, the ticket is resolved, the history says it once
    assert "applied" in outcomes
    assert _closing_mails(desk) == 1
    assert _ticket(desk, ref).status is Status.RESOLVED
    (event,) = _applied(desk, ref)
    assert event.detail["did"] == "sent the saved reply \u201cClosing soon\u201d; resolved"


@pytest.mark.parametrize("step", ["send", "record"])
def test_a_crash_after_each_step_never_sends_the_saved_reply_twice(rules_desk: Desk, step: str) -> None:
    desk = rules_desk
    ref, payload = _pending_with_saved_reply(desk)

    with pytest.raises(Died):
        _fire(desk, payload, ports=_dying(desk, step))
    # Scheduler tries the invocation again, twice
    _fire(desk, payload)
    _fire(desk, payload)

    assert _closing_mails(desk) == 1
    assert len(_applied(desk, ref)) == 1


def test_a_saved_reply_that_does_not_exist_is_recorded_in_the_history(rules_desk: Desk) -> None:
    # Given a pending ticket, and no saved reply of that title
    desk = rules_desk
    ref = _new_ticket(desk)
    desk.clock_now = ARRIVAL + timedelta(minutes=20)
    send_reply(
        AgentReply(
            ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body="Which order?", request_id="r1"
        ),
        desk.settings,
        desk.ports,
    )

    # When the rule falls due
    assert _fire(desk, _only_payload(desk, ref)) == "applied"

    # Then it resolves the ticket and says what it could not do
    (event,) = _applied(desk, ref)
    assert event.detail["did"] == "resolved"
    assert "no saved reply has that id or title" in event.detail["problems"]
    assert _ticket(desk, ref).status is Status.RESOLVED


NOTIFY_RULES = """
[[time_rule]]
name = "Tell the assignee"
when = { status = ["open"], idle_business_hours = 1 }
then = { notify = ["assignee", "queue", "nobody@example.com"], set = { assignee = "lead@example.com" } }
"""


def test_a_rule_notifies_the_assignee_and_says_whom_it_could_not(desk: Desk, tmp_path: Path) -> None:
    # Given the rule above, agents Sam and Lea (the lead), and an open ticket of Sam's
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8") + NOTIFY_RULES, encoding="utf-8")
    desk.settings = replace(desk.settings, triage_rules_path=str(path))
    desk.ports.agents.add("sam@example.com", "Sam Lee", Role.AGENT, desk.clock_now)
    desk.ports.agents.add("lead@example.com", "Lea Lead", Role.AGENT, desk.clock_now)
    ref = _new_ticket(desk)
    _edit(desk, ref, status=Status.OPEN, assignee_set=True, assignee="sam@example.com")

    # When the rule falls due an hour later
    assert _fire(desk, _only_payload(desk, ref)) == "applied"

    # Then the lead has the ticket and, as its assignee now, is notified (the mail waits for the
    # window), the queue's team address too; the history says whom the rule could not notify
    (event,) = _applied(desk, ref)
    assert event.detail["did"] == "assigned to lead@example.com; notified Lea Lead; notified the orders queue"
    assert event.detail["problems"] == "could not notify nobody@example.com: not an active agent"
    assert _ticket(desk, ref).assignee == "lead@example.com"
    scheduler = aws_client("scheduler", desk.settings.region)
    names = [
        s["Name"] for s in scheduler.list_schedules(GroupName=desk.settings.scheduling.group)["Schedules"]
    ]
    assert any(name.startswith("notify-") for name in names)

    # And the report counts the rule
    report = build_report(
        desk.store, desk.now(), date(2026, 11, 24), "Europe/Berlin", until=date(2026, 11, 24)
    )
    assert report["time_rules"] == {"applied": 1, "by_rule": {"Tell the assignee": 1}}
