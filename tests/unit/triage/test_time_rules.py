"""Time rules of the rules file (triage/time_rules.py): parsing, validation errors that name the rule
and the field, which tickets match, and when a rule falls due in business hours."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postdesk.sla.calendar import calendar_from_config
from postdesk.tickets.model import Status, Ticket
from postdesk.triage.rules import RulesError, load_rules, parse_rules
from postdesk.triage.time_rules import (
    MAX_TIME_RULES,
    TimeRule,
    applied_mark,
    marks_after,
    next_due,
    pending_rules,
)

# Berlin, Mon-Fri 09:00-17:00 (UTC+1 in winter).
CALENDAR = calendar_from_config(
    {
        "timezone": "Europe/Berlin",
        "holidays": "",
        "hours": {day: "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
    }
)
# A time rule names queues of the rules file: this one routes to "orders".
ROUTES = """
[[route]]
categories = ["orders"]
queue = "orders"
"""
NUDGE = (
    ROUTES
    + """
[[time_rule]]
name = "Nudge idle urgent tickets"

[time_rule.when]
status = ["open", "new"]
queue = ["orders"]
priority = ["urgent"]
tags_all = ["vip"]
tags_none = ["waiting-supplier"]
idle_business_hours = 4

[time_rule.then]
add_tag = "stale"
set = { priority = "urgent", assignee = "lead@example.com" }
notify = ["assignee", "lead@example.com"]
saved_reply = "Still on it"
resolve = false
"""
)


def _rules(text: str) -> tuple[TimeRule, ...]:
    return parse_rules(tomllib.loads(text), source="rules.toml").time_rules


def _error(text: str) -> str:
    with pytest.raises(RulesError) as raised:
        _rules(text)
    return str(raised.value)


def _ticket(**changes: Any) -> Ticket:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
    ticket = Ticket(
        ref="ABC-123",
        subject="Order",
        requester_email="jane@customer.example",
        requester_name="Jane",
        status=Status.OPEN,
        queue="orders",
        priority="urgent",
        language="en",
        created_at=at,
        updated_at=at,
        tags=("vip",),
    )
    return replace(ticket, **changes)


def test_a_time_rule_is_parsed_with_its_conditions_and_actions() -> None:
    # Given the rule of the documentation
    (rule,) = _rules(NUDGE)

    # Then every condition and action is kept
    assert rule.name == "Nudge idle urgent tickets"
    assert rule.idle == timedelta(hours=4)
    assert rule.statuses == {Status.OPEN, Status.NEW}
    assert rule.queues == {"orders"} and rule.priorities == {"urgent"}
    assert rule.tags_all == {"vip"} and rule.tags_none == {"waiting-supplier"}
    actions = rule.actions
    assert actions.add_tags == ("stale",) and actions.priority == "urgent"
    assert actions.assignee_set and actions.assignee == "lead@example.com"
    assert actions.notify == ("assignee", "lead@example.com")
    assert actions.saved_reply == "Still on it" and actions.status is None


def test_the_shipped_rules_file_loads_with_its_examples_commented_out() -> None:
    assert load_rules().time_rules == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'when = { status = ["snoozing"], idle_business_hours = 1 }\nthen = { add_tag = "x" }',
            '"Late" when.status: snoozing not among',
        ),
        (
            'when = { queue = ["nowhere"], idle_business_hours = 1 }\nthen = { add_tag = "x" }',
            '"Late" when.queue: nowhere not among',
        ),
        (
            'when = { priority = ["asap"], idle_business_hours = 1 }\nthen = { add_tag = "x" }',
            '"Late" when.priority: asap not among low, normal, high, urgent',
        ),
        (
            'when = { idle_business_hours = 0 }\nthen = { add_tag = "x" }',
            '"Late" when.idle_business_hours: must be more than 0',
        ),
        ('when = { idle_business_hours = -2 }\nthen = { add_tag = "x" }', '"Late" when.idle_business_hours'),
        ('when = { status = ["open"] }\nthen = { add_tag = "x" }', '"Late" when.idle_business_hours'),
        ("when = { idle_business_hours = 1 }\nthen = { }", '"Late" then: needs at least one action'),
        (
            'when = { idle_business_hours = 1 }\nthen = { set = { priority = "asap" } }',
            '"Late" then.set.priority',
        ),
        (
            'when = { idle_business_hours = 1 }\nthen = { set = { queue = "nowhere" } }',
            '"Late" then.set.queue',
        ),
        (
            'when = { idle_business_hours = 1 }\nthen = { set = { colour = "red" } }',
            '"Late" then.set: unknown key(s) colour',
        ),
        ('when = { idle_business_hours = 1 }\nthen = { notify = ["everyone"] }', '"Late" then.notify'),
        ('when = { idle_business_hours = 1 }\nthen = { add_tag = "Not A Tag" }', '"Late" then.add_tag'),
        (
            'when = { idle_business_hours = 1 }\nthen = { resolve = true, set = { status = "open" } }',
            '"Late" then: resolve = true and set.status',
        ),
        (
            'when = { idle_business_hours = 1, mood = "sad" }\nthen = { add_tag = "x" }',
            '"Late" when: unknown key(s) mood',
        ),
    ],
)
def test_a_wrong_time_rule_stops_loading_with_an_error_naming_the_rule_and_the_field(
    text: str, expected: str
) -> None:
    message = _error(f'[[time_rule]]\nname = "Late"\n{text}\n')
    assert "[[time_rule]] #1" in message
    assert expected in message


def test_time_rule_names_are_unique_and_their_number_is_limited() -> None:
    rule = (
        '[[time_rule]]\nname = "{name}"\nwhen = {{ idle_business_hours = 1 }}\nthen = {{ add_tag = "x" }}\n'
    )
    assert "repeated: Same" in _error(rule.format(name="Same") + rule.format(name="same"))
    too_many = "".join(rule.format(name=f"Rule {n}") for n in range(MAX_TIME_RULES + 1))
    assert f"at most {MAX_TIME_RULES} time rules" in _error(too_many)


def test_a_rule_matches_only_tickets_that_meet_every_condition() -> None:
    (rule,) = _rules(NUDGE)
    assert rule.matches(_ticket())
    assert not rule.matches(_ticket(status=Status.PENDING))
    assert not rule.matches(_ticket(queue="billing"))
    assert not rule.matches(_ticket(priority="high"))
    assert not rule.matches(_ticket(tags=()))
    assert not rule.matches(_ticket(tags=("vip", "waiting-supplier")))
    assert not rule.matches(_ticket(quarantine="spam"))


def test_without_a_status_condition_a_rule_is_about_open_tickets_only() -> None:
    (rule,) = _rules(
        '[[time_rule]]\nname = "Any"\nwhen = { idle_business_hours = 1 }\nthen = { add_tag = "x" }\n'
    )
    assert rule.matches(_ticket(status=Status.PENDING))
    assert not rule.matches(_ticket(status=Status.RESOLVED))
    assert not rule.matches(_ticket(status=Status.CLOSED))


def test_idle_time_counts_business_hours_across_the_night() -> None:
    # Given a ticket last touched on Monday at 15:00 in Berlin and a rule of 4 business hours
    (rule,) = _rules(NUDGE)
    ticket = _ticket(active_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC))

    # Then it falls due on Tuesday at 11:00 (2 hours on Monday, 2 on Tuesday)
    assert next_due(ticket, (rule,), CALENDAR) == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_idle_time_skips_the_weekend() -> None:
    # Given a ticket last touched on Friday at 16:00 and on Saturday (an activity while closed)
    (rule,) = _rules(NUDGE)
    friday = _ticket(active_at=datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    saturday = _ticket(active_at=datetime(2026, 11, 28, 11, 0, tzinfo=UTC))

    # Then one falls due Monday 12:00, the other Monday 13:00 (counting starts at the opening)
    assert next_due(friday, (rule,), CALENDAR) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert next_due(saturday, (rule,), CALENDAR) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_without_an_activity_of_its_own_a_ticket_counts_from_its_last_update() -> None:
    (rule,) = _rules(NUDGE)
    ticket = _ticket(updated_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert next_due(ticket, (rule,), CALENDAR) == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_a_rule_applied_in_this_idle_period_waits_for_the_next_activity() -> None:
    # Given two rules, the earlier one applied since the ticket's last activity
    early, late = _rules(
        '[[time_rule]]\nname = "Early"\nwhen = { idle_business_hours = 1 }\nthen = { add_tag = "a" }\n'
        '[[time_rule]]\nname = "Late"\nwhen = { idle_business_hours = 3 }\nthen = { add_tag = "b" }\n'
    )
    activity = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    ticket = _ticket(active_at=activity)
    assert [rule.name for _, rule in pending_rules(ticket, (early, late), activity, CALENDAR)] == [
        "Early",
        "Late",
    ]
    applied = replace(ticket, rules_applied=marks_after(ticket, early, activity))

    # Then only the later one waits
    assert next_due(applied, (early, late), CALENDAR) == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    # And after an activity both wait again, and the old mark is dropped by the next one
    later = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    moved = replace(applied, active_at=later)
    assert next_due(moved, (early, late), CALENDAR) == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert marks_after(moved, late, later) == (applied_mark(late, later),)
