"""SLA clocks: started, paused, resumed and stopped by ticket changes, their due times and their timers.

All moments are fixed. March 2026 before the 29th is CET (UTC+1), so Berlin 09:00 is 08:00 UTC; the
test desk is open Monday to Friday 09:00-17:00 in Berlin, and "1d" is one 8-hour business day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from postdesk.sla.clocks import (
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
from postdesk.sla.policy import SlaPolicy, Target, load_policy, parse_policy
from postdesk.tickets.model import SlaClocks, Status, Ticket
from postdesk.tickets.states import after_customer_reply, status_fields

BERLIN = ZoneInfo("Europe/Berlin")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)

TARGETS = {
    "urgent": {"first_response": "1h", "next_response": "2h", "resolution": "1d"},
    "high": {"first_response": "4h", "next_response": "4h", "resolution": "2d"},
    "normal": {"first_response": "1d", "next_response": "1d", "resolution": "3d"},
    "low": {"first_response": "2d", "next_response": "2d", "resolution": "5d"},
}


def at(zone: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


berlin = partial(at, BERLIN)
utc = partial(at, UTC)


def office_policy(
    *,
    closed: tuple[str, ...] = (),
    pause: tuple[str, ...] = ("pending",),
    warn_at: float = 0.75,
    queues: dict[str, Any] | None = None,
) -> SlaPolicy:
    """Mon-Fri 09:00-17:00 in Berlin with German public holidays (and perhaps own closed days)."""
    return parse_policy(
        {
            "calendar": {
                "timezone": "Europe/Berlin",
                "hours": dict.fromkeys(WORKDAYS, "09:00-17:00"),
                "holidays": "DE",
                "closed": list(closed),
            },
            "clocks": {"business_day": "8h", "pause_resolution_in": list(pause), "warn_at": warn_at},
            "targets": TARGETS,
            "queues": queues or {},
        }
    )


def round_the_clock_policy() -> SlaPolicy:
    """Open 24x7 in Berlin, no holidays; "1d" is 24 hours here."""
    return parse_policy(
        {
            "calendar": {
                "timezone": "Europe/Berlin",
                "hours": dict.fromkeys((*WORKDAYS, "sat", "sun"), "00:00-24:00"),
                "holidays": "",
            },
            "clocks": {"business_day": "24h"},
            "targets": TARGETS,
        }
    )


OFFICE = office_policy()
# Monday 2 March 2026, 09:00 in Berlin: the office has just opened.
MONDAY_OPENING = berlin(2026, 3, 2, 9)


def new_ticket(
    created_at: datetime,
    policy: SlaPolicy = OFFICE,
    *,
    priority: str = "normal",
    queue: str = "general",
    quarantine: str | None = None,
) -> Ticket:
    """A ticket just created from a customer's mail, with its clocks started."""
    ticket = Ticket(
        ref="PD-1001",
        subject="My invoice is missing",
        requester_email="ana@example.com",
        requester_name="Ana",
        status=Status.NEW,
        queue=queue,
        priority=priority,
        language="en",
        created_at=created_at,
        updated_at=created_at,
        quarantine=quarantine,
    )
    return replace(ticket, sla=start_clocks(ticket, policy))


def change(
    before: Ticket, event: ClockEvent, now: datetime, policy: SlaPolicy = OFFICE, **changes: Any
) -> Ticket:
    """``before`` changed at ``now`` as the workflows change it: the fields, then the clocks."""
    after = replace(before, updated_at=now, **changes)
    return replace(after, sla=advance_clocks(before, after, event, now, policy))


def agent_reply(
    before: Ticket, now: datetime, policy: SlaPolicy = OFFICE, status: Status = Status.OPEN
) -> Ticket:
    """An agent answers (as workflows/reply.py records it): the status asked for, the first response time."""
    changes: dict[str, Any] = status_fields(status, before.cycle, now)
    if before.first_response_at is None:
        changes["first_response_at"] = now
    return change(before, ClockEvent.AGENT_REPLY, now, policy, **changes)


def customer_message(before: Ticket, now: datetime, policy: SlaPolicy = OFFICE) -> Ticket:
    """The customer writes (as workflows/ingest.py records it): pending and on-hold become open, a
    resolved or closed ticket reopens in a new cycle."""
    outcome = after_customer_reply(before)
    changes: dict[str, Any] = {}
    if outcome.status is not before.status:
        changes = status_fields(outcome.status, outcome.cycle, now)
    return change(before, ClockEvent.CUSTOMER_MESSAGE, now, policy, **changes)


def set_status(before: Ticket, status: Status, now: datetime, policy: SlaPolicy = OFFICE) -> Ticket:
    """An agent moves the ticket to ``status`` without writing to the customer."""
    return change(before, ClockEvent.EDIT, now, policy, **status_fields(status, before.cycle, now))


def clocks_of(ticket: Ticket) -> SlaClocks:
    assert ticket.sla is not None
    return ticket.sla


# --- starting: weekends, holidays, clock changes ------------------------------------------------


def test_a_new_ticket_starts_first_response_and_resolution_from_its_creation() -> None:
    # Given a normal ticket created at Monday's opening
    # When its clocks start
    clocks = clocks_of(new_ticket(MONDAY_OPENING))

    # Then first response (8 h) is due Monday 17:00 and resolution (3 days) Wednesday 17:00, and
    # nobody waits for a next response
    assert clocks == SlaClocks(
        cycle_started=MONDAY_OPENING,
        resolution_since=MONDAY_OPENING,
        resolution_used=0.0,
        first_response_due=utc(2026, 3, 2, 16),
        next_response_due=None,
        resolution_due=utc(2026, 3, 4, 16),
    )


def test_a_ticket_created_friday_afternoon_is_due_monday_afternoon() -> None:
    # Given a normal ticket (first response: one 8-hour business day) created Friday 6 March, 16:00
    ticket = new_ticket(berlin(2026, 3, 6, 16))

    # Then one hour counts on Friday, the weekend none, and seven on Monday: due Monday 16:00
    clocks = clocks_of(ticket)
    assert clocks.first_response_due == berlin(2026, 3, 9, 16)
    assert clocks.first_response_due == utc(2026, 3, 9, 15)
    # and resolution (24 h) after 1 + 8 + 8 hours on Friday to Tuesday and 7 on Wednesday
    assert clocks.resolution_due == utc(2026, 3, 11, 15)


def test_a_ticket_created_on_saturday_starts_counting_at_monday_s_opening() -> None:
    # Given a normal ticket created on Saturday 7 March
    ticket = new_ticket(berlin(2026, 3, 7, 10))

    # Then its 8 hours are Monday's: due at Monday's closing
    assert clocks_of(ticket).first_response_due == utc(2026, 3, 9, 16)


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        # 24 Dec is no German public holiday: one hour on the 23rd, seven on the 24th.
        ((), utc(2026, 12, 24, 15)),
        # As the desk's own closed day it counts nothing; 25 and 26 Dec are holidays, the 27th a
        # Sunday: one hour on the 23rd, seven on Monday 28 Dec.
        (("2026-12-24",), utc(2026, 12, 28, 15)),
    ],
)
def test_a_ticket_created_before_christmas_skips_the_closed_days_and_holidays(
    closed: tuple[str, ...], expected: datetime
) -> None:
    # Given the office with German holidays (and perhaps 24 Dec closed as well)
    policy = office_policy(closed=closed)

    # When a normal ticket is created on Wednesday 23 Dec 2026, 16:00
    ticket = new_ticket(berlin(2026, 12, 23, 16), policy)

    # Then its first response is due after 8 business hours
    assert clocks_of(ticket).first_response_due == expected


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        # 24 Dec (own closed day), 25 and 26 Dec (holidays), Sunday: due Monday 28 Dec, 16:00
        (berlin(2026, 12, 23, 16), berlin(2026, 12, 28, 16)),
        # 31 Dec (own closed day), 1 Jan (holiday), the weekend: due Monday 4 Jan 2027, 16:00
        (berlin(2026, 12, 30, 16), berlin(2027, 1, 4, 16)),
    ],
)
def test_the_shipped_policy_closes_on_christmas_eve_and_new_year_s_eve(
    created: datetime, expected: datetime
) -> None:
    # Given the shipped policy
    policy = load_policy()

    # When a normal ticket is created the afternoon before a closed day
    ticket = new_ticket(created, policy)

    # Then the closed days and holidays count nothing
    assert clocks_of(ticket).first_response_due == expected


@pytest.mark.parametrize(
    ("created", "expected_utc", "expected_wall_hour"),
    [
        # Spring forward (Sunday 29 March 2026, a 23-hour day): 24 real hours later is 13:00 on the wall.
        (berlin(2026, 3, 28, 12), utc(2026, 3, 29, 11), 13),
        # Fall back (Sunday 25 October 2026, a 25-hour day): 24 real hours later is 11:00 on the wall.
        (berlin(2026, 10, 24, 12), utc(2026, 10, 25, 10), 11),
    ],
)
def test_a_24x7_desk_counts_real_hours_across_the_clock_change(
    created: datetime, expected_utc: datetime, expected_wall_hour: int
) -> None:
    # Given a desk open round the clock, where a normal first response ("1d") is 24 hours
    policy = round_the_clock_policy()

    # When a ticket is created at noon on the Saturday before a clock change
    ticket = new_ticket(created, policy)

    # Then it is due exactly 24 real hours later, whatever the wall clock shows then
    due = clocks_of(ticket).first_response_due
    assert due is not None
    assert due == created.astimezone(UTC) + 24 * HOUR
    assert due == expected_utc
    assert due.astimezone(BERLIN).hour == expected_wall_hour


def test_a_quarantined_ticket_gets_no_clocks() -> None:
    # Given a ticket quarantined as spam
    ticket = new_ticket(MONDAY_OPENING, quarantine="spam")

    # Then it promises nothing: no clocks, no timer
    assert ticket.sla is None
    assert next_timer(ticket, OFFICE) is None


def test_a_ticket_quarantined_later_loses_its_clocks() -> None:
    # Given a ticket with running clocks
    before = new_ticket(MONDAY_OPENING)
    assert before.sla is not None

    # When it is quarantined
    after = change(before, ClockEvent.EDIT, berlin(2026, 3, 2, 10), quarantine="virus")

    # Then its clocks are gone
    assert after.sla is None


# --- first response ------------------------------------------------------------------------------


def test_the_first_human_reply_stops_the_first_response_clock() -> None:
    # Given a new normal ticket from Monday's opening
    before = new_ticket(MONDAY_OPENING)

    # When an agent answers at 11:00 and leaves the ticket open
    after = agent_reply(before, berlin(2026, 3, 2, 11))

    # Then first response is no longer due, nobody waits for a next response, and resolution runs on
    clocks = clocks_of(after)
    assert clocks.first_response_due is None
    assert clocks.next_response_since is None
    assert clocks.next_response_due is None
    assert clocks.resolution_since == MONDAY_OPENING
    assert clocks.resolution_due == utc(2026, 3, 4, 16)


@pytest.mark.parametrize("event", [ClockEvent.EDIT, ClockEvent.AGENT_REPLY])
def test_the_acknowledgement_does_not_stop_the_first_response_clock(event: ClockEvent) -> None:
    # Given a new normal ticket from Monday's opening
    before = new_ticket(MONDAY_OPENING)

    # When the automatic acknowledgement goes out a minute later (no first_response_at is set)
    after = change(before, event, berlin(2026, 3, 2, 9, 1))

    # Then first response still runs, due at Monday's closing
    assert after.first_response_at is None
    assert clocks_of(after).first_response_due == utc(2026, 3, 2, 16)


def test_a_customer_follow_up_before_our_first_answer_starts_no_next_response() -> None:
    # Given a new ticket nobody has answered
    before = new_ticket(MONDAY_OPENING)

    # When the customer writes again at 10:00
    after = customer_message(before, berlin(2026, 3, 2, 10))

    # Then first response runs on from the creation and no next response starts
    clocks = clocks_of(after)
    assert clocks.first_response_due == utc(2026, 3, 2, 16)
    assert clocks.next_response_since is None
    assert clocks.next_response_due is None


# --- next response -------------------------------------------------------------------------------


def test_a_customer_reply_after_our_answer_starts_the_next_response_clock() -> None:
    # Given a ticket answered on Monday at 11:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))

    # When the customer writes back on Tuesday at 15:00
    waiting = customer_message(answered, berlin(2026, 3, 3, 15))

    # Then next response (8 h) runs from then: 2 hours on Tuesday, 6 on Wednesday
    clocks = clocks_of(waiting)
    assert clocks.next_response_since == berlin(2026, 3, 3, 15)
    assert clocks.next_response_due == utc(2026, 3, 4, 14)
    assert clocks.first_response_due is None


def test_a_second_customer_message_does_not_restart_the_next_response_clock() -> None:
    # Given a customer waiting for our answer since Tuesday 15:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    waiting = customer_message(answered, berlin(2026, 3, 3, 15))

    # When the customer writes again on Wednesday at 09:30
    again = customer_message(waiting, berlin(2026, 3, 4, 9, 30))

    # Then the wait still counts from Tuesday 15:00
    assert clocks_of(again).next_response_since == berlin(2026, 3, 3, 15)
    assert clocks_of(again).next_response_due == utc(2026, 3, 4, 14)


def test_our_next_reply_stops_the_next_response_clock() -> None:
    # Given a customer waiting for our answer since Tuesday 15:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    waiting = customer_message(answered, berlin(2026, 3, 3, 15))

    # When an agent answers on Wednesday at 10:00
    replied = agent_reply(waiting, berlin(2026, 3, 4, 10))

    # Then nobody waits any more, and the first response time is still the first one
    clocks = clocks_of(replied)
    assert clocks.next_response_since is None
    assert clocks.next_response_due is None
    assert replied.first_response_at == berlin(2026, 3, 2, 11)


def test_an_edit_leaves_the_next_response_clock_running() -> None:
    # Given a customer waiting since Tuesday 15:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    waiting = customer_message(answered, berlin(2026, 3, 3, 15))

    # When an agent only tags the ticket (no reply) on Wednesday
    edited = change(waiting, ClockEvent.EDIT, berlin(2026, 3, 4, 9), tags=("invoice",))

    # Then the customer still waits, due as before
    assert clocks_of(edited).next_response_since == berlin(2026, 3, 3, 15)
    assert clocks_of(edited).next_response_due == utc(2026, 3, 4, 14)


# --- resolution: pauses --------------------------------------------------------------------------


def test_pending_pauses_the_resolution_clock_and_keeps_the_time_used() -> None:
    # Given a normal ticket from Monday's opening
    before = new_ticket(MONDAY_OPENING)

    # When an agent answers at 11:00 and sets it pending (waiting on the customer)
    paused = agent_reply(before, berlin(2026, 3, 2, 11), status=Status.PENDING)

    # Then resolution has stopped with the 2 business hours it ran kept, and is due at no time
    clocks = clocks_of(paused)
    assert clocks.resolution_since is None
    assert clocks.resolution_used == 2 * 3600
    assert clocks.resolution_due is None


def test_back_to_open_resumes_the_resolution_clock_with_the_time_left() -> None:
    # Given a ticket whose resolution ran 2 hours and is paused (pending) since Monday 11:00
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)

    # When the customer answers on Wednesday at 10:00 (the ticket becomes open again)
    resumed = customer_message(paused, berlin(2026, 3, 4, 10))

    # Then the remaining 22 hours run from then: 7 on Wednesday, 8 on Thursday, 7 on Friday
    clocks = clocks_of(resumed)
    assert resumed.status is Status.OPEN
    assert clocks.resolution_since == berlin(2026, 3, 4, 10)
    assert clocks.resolution_used == 2 * 3600
    assert clocks.resolution_due == berlin(2026, 3, 6, 16)
    assert clocks.resolution_due == utc(2026, 3, 6, 15)
    # and the customer's message starts a next response (8 h): 7 hours Wednesday, 1 Thursday
    assert clocks.next_response_due == utc(2026, 3, 5, 9)


def test_a_second_pause_adds_to_the_time_used_in_the_first() -> None:
    # Given a ticket paused at Monday 11:00 (2 hours used) and resumed on Tuesday at 09:00
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)
    resumed = customer_message(paused, berlin(2026, 3, 3, 9))

    # When it is set pending again at Tuesday 12:00, and the customer answers on Wednesday at 09:00
    paused_again = agent_reply(resumed, berlin(2026, 3, 3, 12), status=Status.PENDING)
    resumed_again = customer_message(paused_again, berlin(2026, 3, 4, 9))

    # Then 2 + 3 = 5 hours are used, and the 19 left run Wed 8, Thu 8, Fri 3 -> Friday 12:00
    assert clocks_of(paused_again).resolution_used == 5 * 3600
    assert clocks_of(resumed_again).resolution_due == utc(2026, 3, 6, 11)


def test_the_time_paused_over_a_weekend_counts_only_its_business_hours() -> None:
    # Given a ticket created Friday 6 March at 15:00 and set pending at 16:00 (one business hour)
    before = new_ticket(berlin(2026, 3, 6, 15))
    paused = agent_reply(before, berlin(2026, 3, 6, 16), status=Status.PENDING)

    # When it is pending across the weekend and becomes open on Monday 09:00
    resumed = set_status(paused, Status.OPEN, berlin(2026, 3, 9, 9))

    # Then only the business hour before the pause is used: 23 hours are left from Monday's opening
    clocks = clocks_of(resumed)
    assert clocks_of(paused).resolution_used == 3600
    assert clocks.resolution_due == berlin(2026, 3, 11, 16)


def test_on_hold_does_not_pause_the_resolution_clock_by_default() -> None:
    # Given a ticket from Monday's opening under the default policy (pending pauses, on-hold not)
    before = new_ticket(MONDAY_OPENING)

    # When an agent puts it on hold at 11:00 (waiting on a supplier)
    held = set_status(before, Status.ON_HOLD, berlin(2026, 3, 2, 11))

    # Then resolution runs on from the creation, due as before
    clocks = clocks_of(held)
    assert clocks.resolution_since == MONDAY_OPENING
    assert clocks.resolution_used == 0
    assert clocks.resolution_due == utc(2026, 3, 4, 16)


def test_on_hold_pauses_the_resolution_clock_when_the_policy_says_so() -> None:
    # Given a policy that pauses in pending and on-hold
    policy = office_policy(pause=("pending", "on-hold"))
    before = new_ticket(MONDAY_OPENING, policy)

    # When an agent puts the ticket on hold at 11:00, and takes it off hold on Tuesday at 09:00
    held = set_status(before, Status.ON_HOLD, berlin(2026, 3, 2, 11), policy)
    back = set_status(held, Status.OPEN, berlin(2026, 3, 3, 9), policy)

    # Then the clock paused with 2 hours used, and resumed with 22 left: Tue 8, Wed 8, Thu 6 -> 15:00
    assert clocks_of(held).resolution_since is None
    assert clocks_of(held).resolution_used == 2 * 3600
    assert clocks_of(held).resolution_due is None
    assert clocks_of(back).resolution_due == utc(2026, 3, 5, 14)


def test_a_policy_without_pause_statuses_lets_pending_run() -> None:
    # Given a policy that pauses in no status
    policy = office_policy(pause=())
    before = new_ticket(MONDAY_OPENING, policy)

    # When the ticket is set pending
    pending = agent_reply(before, berlin(2026, 3, 2, 11), policy, status=Status.PENDING)

    # Then resolution runs on
    assert clocks_of(pending).resolution_since == MONDAY_OPENING
    assert clocks_of(pending).resolution_due == utc(2026, 3, 4, 16)


# --- resolution: resolved, reopened --------------------------------------------------------------


@pytest.mark.parametrize("done", [Status.RESOLVED, Status.CLOSED])
def test_resolving_stops_every_clock(done: Status) -> None:
    # Given an answered ticket whose customer waits for our next answer since Tuesday 10:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    waiting = customer_message(answered, berlin(2026, 3, 3, 10))
    assert clocks_of(waiting).next_response_due is not None

    # When an agent resolves it on Tuesday at 12:00 without replying
    finished = set_status(waiting, done, berlin(2026, 3, 3, 12))

    # Then no clock runs, and resolution used 8 hours on Monday and 3 on Tuesday
    clocks = clocks_of(finished)
    assert clocks.first_response_due is None
    assert clocks.next_response_since is None
    assert clocks.next_response_due is None
    assert clocks.resolution_since is None
    assert clocks.resolution_due is None
    assert clocks.resolution_used == 11 * 3600
    assert next_timer(finished, OFFICE) is None


def test_resolving_an_unanswered_ticket_stops_its_first_response_clock() -> None:
    # Given a ticket nobody answered
    before = new_ticket(MONDAY_OPENING)

    # When it is resolved (a duplicate, say) at 10:00
    resolved = set_status(before, Status.RESOLVED, berlin(2026, 3, 2, 10))

    # Then first response is no longer due either
    assert clocks_of(resolved).first_response_due is None
    assert next_timer(resolved, OFFICE) is None


def test_a_reopen_starts_a_fresh_resolution_run_from_the_reopen_time() -> None:
    # Given a ticket that was answered, warned about, and resolved on Tuesday 3 March at 12:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    warned = replace(
        answered, sla=replace(clocks_of(answered), warned=("resolution:2026-03-02T08:00:00.000Z",))
    )
    resolved = set_status(warned, Status.RESOLVED, berlin(2026, 3, 3, 12))
    assert clocks_of(resolved).resolution_used == 11 * 3600

    # When the customer writes again on Thursday 5 March at 10:00
    reopened = customer_message(resolved, berlin(2026, 3, 5, 10))

    # Then cycle 2 has its own resolution run with nothing used and nothing recorded: 24 hours from
    # Thursday 10:00 (Thu 7, Fri 8, Mon 8, Tue 1) are due Tuesday 10 March, 10:00
    clocks = clocks_of(reopened)
    assert reopened.cycle == 2
    assert clocks.cycle_started == berlin(2026, 3, 5, 10)
    assert clocks.resolution_since == berlin(2026, 3, 5, 10)
    assert clocks.resolution_used == 0
    assert clocks.resolution_due == utc(2026, 3, 10, 9)
    # (the old cycle's warning was for its own run; the new run is not warned yet)
    assert "resolution:2026-03-05T09:00:00.000Z" not in clocks.warned
    # and the customer waits for a next response (8 h): Thu 7, Fri 1 -> Friday 10:00
    assert clocks.next_response_since == berlin(2026, 3, 5, 10)
    assert clocks.next_response_due == utc(2026, 3, 6, 9)
    assert clocks.first_response_due is None
    # whose warning (6 h: Thursday 16:00) is the next timer
    assert next_timer(reopened, OFFICE) == Timer(
        TimerKind.WARNING, Target.NEXT_RESPONSE, "next_response:2026-03-05T09:00:00.000Z", utc(2026, 3, 5, 15)
    )


def test_a_reopen_does_not_warn_or_breach_again_for_a_first_response_already_breached() -> None:
    # Given a ticket nobody answered, whose first response was warned and breached on Monday, resolved
    # on Tuesday without a reply
    breached = recorded(new_ticket(MONDAY_OPENING), warned=(FIRST_RUN,), breached=(FIRST_RUN,))
    resolved = set_status(breached, Status.RESOLVED, berlin(2026, 3, 3, 10))

    # When the customer writes again on Wednesday 4 March at 10:00 (cycle 2)
    reopened = customer_message(resolved, berlin(2026, 3, 4, 10))

    # Then the first response clock still runs (nobody has answered yet) ...
    assert clocks_of(reopened).first_response_due == utc(2026, 3, 2, 16)
    # ... but its run stays breached, so the next timer is the new resolution run's warning (18 hours
    # from Wednesday 10:00: Wed 7, Thu 8, Fri 3 -> Friday 12:00), not a second first-response
    # warning and breach (and escalation) for the same missed reply
    assert next_timer(reopened, OFFICE) == Timer(
        TimerKind.WARNING, Target.RESOLUTION, "resolution:2026-03-04T09:00:00.000Z", utc(2026, 3, 6, 11)
    )


def test_an_agent_reopening_a_ticket_starts_a_resolution_run_but_no_next_response() -> None:
    # Given an answered ticket resolved on Tuesday 3 March at 12:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    resolved = set_status(answered, Status.RESOLVED, berlin(2026, 3, 3, 12))

    # When an agent reopens it on Wednesday at 09:00 (a new cycle)
    now = berlin(2026, 3, 4, 9)
    reopened = change(resolved, ClockEvent.EDIT, now, OFFICE, **status_fields(Status.OPEN, 2, now))

    # Then resolution runs afresh (Wed 8, Thu 8, Fri 8 -> Friday 17:00) and nobody waits on us
    clocks = clocks_of(reopened)
    assert clocks.cycle_started == now
    assert clocks.resolution_used == 0
    assert clocks.resolution_due == utc(2026, 3, 6, 16)
    assert clocks.next_response_due is None


# --- priority and queue --------------------------------------------------------------------------


def test_raising_the_priority_moves_the_due_times_at_once() -> None:
    # Given a normal ticket from Monday's opening (first response Mon 17:00, resolution Wed 17:00)
    before = new_ticket(MONDAY_OPENING)

    # When an agent makes it urgent at 09:30
    after = change(before, ClockEvent.EDIT, berlin(2026, 3, 2, 9, 30), priority="urgent")

    # Then urgent's targets count from the same starts: first response 1 h, resolution 8 h
    clocks = clocks_of(after)
    assert clocks.first_response_due == utc(2026, 3, 2, 9)
    assert clocks.resolution_due == utc(2026, 3, 2, 16)


def test_lowering_the_priority_moves_the_due_times_later() -> None:
    # Given a normal ticket from Monday's opening
    before = new_ticket(MONDAY_OPENING)

    # When an agent makes it low at 09:30
    after = change(before, ClockEvent.EDIT, berlin(2026, 3, 2, 9, 30), priority="low")

    # Then first response (16 h) is due Tuesday 17:00, resolution (40 h) Friday 17:00
    assert clocks_of(after).first_response_due == utc(2026, 3, 3, 16)
    assert clocks_of(after).resolution_due == utc(2026, 3, 6, 16)


def test_a_new_priority_keeps_the_resolution_time_already_used() -> None:
    # Given a ticket whose resolution used 2 hours, paused, and resumed on Wednesday 4 March at 10:00
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)
    resumed = customer_message(paused, berlin(2026, 3, 4, 10))

    # When an agent makes it high (resolution: 16 h) at 12:00
    high = change(resumed, ClockEvent.EDIT, berlin(2026, 3, 4, 12), priority="high")

    # Then 14 hours are left from Wednesday 10:00: 7 on Wednesday, 7 on Thursday -> Thursday 16:00
    assert clocks_of(high).resolution_due == utc(2026, 3, 5, 15)
    # and the waiting customer's next response (4 h) is due Wednesday 14:00
    assert clocks_of(high).next_response_due == utc(2026, 3, 4, 13)


def test_a_queue_with_own_targets_uses_them() -> None:
    # Given a policy whose billing queue answers normal tickets within 4 hours
    policy = office_policy(queues={"billing": {"targets": {"normal": {"first_response": "4h"}}}})

    # When a normal billing ticket is created at Monday's opening
    ticket = new_ticket(MONDAY_OPENING, policy, queue="billing")

    # Then its first response is due at 13:00, and its resolution is the desk's (Wednesday 17:00)
    assert clocks_of(ticket).first_response_due == utc(2026, 3, 2, 12)
    assert clocks_of(ticket).resolution_due == utc(2026, 3, 4, 16)


def test_moving_a_ticket_into_a_queue_with_own_targets_moves_its_due_time() -> None:
    # Given a normal ticket in the general queue, due at Monday's closing
    policy = office_policy(queues={"billing": {"targets": {"normal": {"first_response": "4h"}}}})
    before = new_ticket(MONDAY_OPENING, policy)
    assert clocks_of(before).first_response_due == utc(2026, 3, 2, 16)

    # When it is moved to billing at 10:00
    after = change(before, ClockEvent.EDIT, berlin(2026, 3, 2, 10), policy, queue="billing")

    # Then billing's 4 hours count from the creation: due 13:00
    assert clocks_of(after).first_response_due == utc(2026, 3, 2, 12)


def test_with_due_times_derives_the_due_times_from_the_clocks() -> None:
    # Given clocks with a customer waiting since Tuesday 15:00 and resolution paused with 5 hours used
    ticket = replace(new_ticket(MONDAY_OPENING), first_response_at=berlin(2026, 3, 2, 10))
    clocks = SlaClocks(
        cycle_started=MONDAY_OPENING,
        next_response_since=berlin(2026, 3, 3, 15),
        resolution_since=None,
        resolution_used=5 * 3600,
    )

    # When the due times are derived
    derived = with_due_times(clocks, ticket, OFFICE)

    # Then only next response is due (Wednesday 15:00); nothing else is changed
    assert derived == replace(clocks, next_response_due=utc(2026, 3, 4, 14))


# --- next_timer ----------------------------------------------------------------------------------

FIRST_RUN = "first_response:2026-03-02T08:00:00.000Z"
RESOLUTION_RUN = "resolution:2026-03-02T08:00:00.000Z"


def recorded(ticket: Ticket, *, warned: tuple[str, ...] = (), breached: tuple[str, ...] = ()) -> Ticket:
    """``ticket`` with these warnings and breaches recorded on its clocks (as the SLA workflow does)."""
    clocks = clocks_of(ticket)
    return replace(ticket, sla=replace(clocks, warned=warned, breached=breached))


def test_next_timer_warns_at_75_percent_then_breaches_then_moves_on() -> None:
    # Given a normal ticket from Monday's opening, nobody has answered
    ticket = new_ticket(MONDAY_OPENING)

    # Then first the warning at 6 of the 8 hours (Monday 15:00)
    assert next_timer(ticket, OFFICE) == Timer(
        TimerKind.WARNING, Target.FIRST_RESPONSE, FIRST_RUN, utc(2026, 3, 2, 14)
    )
    # then, once the warning is recorded, the breach at Monday 17:00
    warned = recorded(ticket, warned=(FIRST_RUN,))
    assert next_timer(warned, OFFICE) == Timer(
        TimerKind.BREACH, Target.FIRST_RESPONSE, FIRST_RUN, utc(2026, 3, 2, 16)
    )
    # then, once the breach is recorded, the resolution warning at 18 of 24 hours (Wednesday 11:00)
    breached = recorded(ticket, warned=(FIRST_RUN,), breached=(FIRST_RUN,))
    assert next_timer(breached, OFFICE) == Timer(
        TimerKind.WARNING, Target.RESOLUTION, RESOLUTION_RUN, utc(2026, 3, 4, 10)
    )


def test_next_timer_of_the_last_running_clock_ends_in_none() -> None:
    # Given an answered ticket, so only resolution runs
    ticket = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 10))

    # Then its warning (Wednesday 11:00), then its breach (Wednesday 17:00), then nothing
    assert next_timer(ticket, OFFICE) == Timer(
        TimerKind.WARNING, Target.RESOLUTION, RESOLUTION_RUN, utc(2026, 3, 4, 10)
    )
    warned = recorded(ticket, warned=(RESOLUTION_RUN,))
    assert next_timer(warned, OFFICE) == Timer(
        TimerKind.BREACH, Target.RESOLUTION, RESOLUTION_RUN, utc(2026, 3, 4, 16)
    )
    breached = recorded(ticket, warned=(RESOLUTION_RUN,), breached=(RESOLUTION_RUN,))
    assert next_timer(breached, OFFICE) is None


def test_the_warning_share_comes_from_the_policy() -> None:
    # Given a policy that warns at half of each target
    policy = office_policy(warn_at=0.5)

    # When a normal ticket is created at Monday's opening
    ticket = new_ticket(MONDAY_OPENING, policy)

    # Then the first warning comes after 4 of the 8 hours
    assert next_timer(ticket, policy) == Timer(
        TimerKind.WARNING, Target.FIRST_RESPONSE, FIRST_RUN, utc(2026, 3, 2, 12)
    )


@pytest.mark.parametrize(
    ("customer_writes", "expected"),
    [
        # Customer waits since Monday 12:00: next response warns after 6 h (Mon 5, Tue 1), before the
        # resolution warning on Wednesday 11:00.
        (
            berlin(2026, 3, 2, 12),
            Timer(
                TimerKind.WARNING,
                Target.NEXT_RESPONSE,
                "next_response:2026-03-02T11:00:00.000Z",
                utc(2026, 3, 3, 9),
            ),
        ),
        # Customer waits since Tuesday 15:00: next response would warn Wednesday 13:00, so the
        # resolution warning (Wednesday 11:00) comes first.
        (
            berlin(2026, 3, 3, 15),
            Timer(TimerKind.WARNING, Target.RESOLUTION, RESOLUTION_RUN, utc(2026, 3, 4, 10)),
        ),
    ],
)
def test_the_earliest_timer_of_the_running_clocks_wins(customer_writes: datetime, expected: Timer) -> None:
    # Given an answered ticket whose customer writes back
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 10))
    waiting = customer_message(answered, customer_writes)

    # When its next timer is asked for
    # Then it is the earliest of both clocks' warnings
    assert next_timer(waiting, OFFICE) == expected


def test_a_breach_due_before_another_clock_s_warning_comes_first() -> None:
    # Given an urgent ticket (first response 1 h, resolution 8 h) whose first response was warned
    ticket = recorded(new_ticket(MONDAY_OPENING, priority="urgent"), warned=(FIRST_RUN,))

    # Then its first response breach (10:00) comes before the resolution warning (15:00)
    assert next_timer(ticket, OFFICE) == Timer(
        TimerKind.BREACH, Target.FIRST_RESPONSE, FIRST_RUN, utc(2026, 3, 2, 9)
    )


def test_a_breach_and_a_warning_due_at_the_same_moment_give_the_breach_first() -> None:
    # Given a queue promising a first response in 6 h and a resolution in 8 h (warned at 6 h)
    policy = office_policy(
        queues={"vip": {"targets": {"normal": {"first_response": "6h", "resolution": "1d"}}}}
    )
    # and a vip ticket from Monday's opening whose first response was warned
    ticket = recorded(new_ticket(MONDAY_OPENING, policy, queue="vip"), warned=(FIRST_RUN,))

    # Then at 15:00 the first response breach and the resolution warning fall due; the breach comes first
    assert next_timer(ticket, policy) == Timer(
        TimerKind.BREACH, Target.FIRST_RESPONSE, FIRST_RUN, utc(2026, 3, 2, 14)
    )


def test_a_resumed_resolution_warns_after_the_share_less_the_time_used() -> None:
    # Given a ticket answered and paused at Monday 11:00 (2 hours used), resumed Wednesday 10:00
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)
    resumed = customer_message(paused, berlin(2026, 3, 4, 10))
    # and its next response already answered, so only resolution runs
    replied = agent_reply(resumed, berlin(2026, 3, 4, 10, 30))

    # Then the warning comes after 18 - 2 = 16 more hours (Wed 7, Thu 8, Fri 1): Friday 10:00
    assert next_timer(replied, OFFICE) == Timer(
        TimerKind.WARNING, Target.RESOLUTION, RESOLUTION_RUN, utc(2026, 3, 6, 9)
    )


def test_a_paused_resolution_sets_no_timer() -> None:
    # Given an answered ticket waiting on the customer (pending)
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)

    # Then no clock runs, so there is no timer
    assert next_timer(paused, OFFICE) is None


# --- met ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replied_at", "met"),
    [
        (berlin(2026, 3, 2, 16, 59), True),
        (berlin(2026, 3, 2, 17), True),
        (berlin(2026, 3, 2, 17) + SECOND, False),
    ],
)
def test_first_response_met_compares_the_first_reply_with_its_due_time(
    replied_at: datetime, met: bool
) -> None:
    # Given a normal ticket from Monday's opening, first response due at 17:00
    before = new_ticket(MONDAY_OPENING)

    # When the first reply comes at `replied_at`
    # Then the promise is kept up to and including the due time
    assert first_response_met(before, replied_at) is met


def test_first_response_met_is_none_for_a_later_reply_or_a_ticket_without_clocks() -> None:
    # Given an answered ticket, and a quarantined one
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    quarantined = new_ticket(MONDAY_OPENING, quarantine="spam")

    # Then neither reply is a first response that was promised
    assert first_response_met(answered, berlin(2026, 3, 2, 12)) is None
    assert first_response_met(quarantined, berlin(2026, 3, 2, 12)) is None


@pytest.mark.parametrize(
    ("replied_at", "met"),
    [(berlin(2026, 3, 4, 15), True), (berlin(2026, 3, 4, 15) + SECOND, False)],
)
def test_next_response_met_compares_the_reply_with_the_waiting_customer_s_due_time(
    replied_at: datetime, met: bool
) -> None:
    # Given a customer waiting since Tuesday 15:00, due Wednesday 15:00
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    waiting = customer_message(answered, berlin(2026, 3, 3, 15))

    # When we answer at `replied_at`
    # Then the promise is kept up to and including the due time
    assert next_response_met(waiting, replied_at) is met


def test_next_response_met_is_none_when_nobody_waits() -> None:
    # Given an answered ticket whose customer has not written back, and a quarantined one
    answered = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11))
    quarantined = new_ticket(MONDAY_OPENING, quarantine="spam")

    # Then a reply answers nobody who waited
    assert next_response_met(answered, berlin(2026, 3, 2, 12)) is None
    assert next_response_met(quarantined, berlin(2026, 3, 2, 12)) is None


@pytest.mark.parametrize(
    ("resolved_at", "met"),
    [
        (berlin(2026, 3, 4, 17), True),  # the due time
        # The night after the due time is no business time: still 24 hours used
        (berlin(2026, 3, 5, 8, 30), True),
        (berlin(2026, 3, 5, 9) + SECOND, False),
    ],
)
def test_resolution_met_counts_the_business_time_the_clock_ran(resolved_at: datetime, met: bool) -> None:
    # Given a normal ticket from Monday's opening (24 business hours to resolve: due Wednesday 17:00)
    before = new_ticket(MONDAY_OPENING)

    # When it is resolved at `resolved_at`
    # Then the promise is kept while no more than 24 business hours have run
    assert resolution_met(before, resolved_at, OFFICE) is met


def test_resolution_met_leaves_the_paused_time_out() -> None:
    # Given a ticket whose resolution ran 2 hours, then pending since Monday 11:00
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)

    # When it is resolved two weeks later, still pending
    # Then only the 2 hours count: kept
    assert resolution_met(paused, berlin(2026, 3, 16, 12), OFFICE) is True


def test_resolution_met_is_false_when_the_time_used_before_the_pause_exceeds_the_target() -> None:
    # Given a ticket whose resolution ran from Monday 09:00 to Thursday 10:00 (25 hours), then pending
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 5, 10), status=Status.PENDING)
    assert clocks_of(paused).resolution_used == 25 * 3600

    # When it is resolved while pending
    # Then the 24-hour promise is broken
    assert resolution_met(paused, berlin(2026, 3, 5, 11), OFFICE) is False


def test_resolution_met_adds_the_time_used_and_the_running_time() -> None:
    # Given a ticket paused with 2 hours used and resumed on Wednesday 4 March at 10:00 (22 hours left)
    paused = agent_reply(new_ticket(MONDAY_OPENING), berlin(2026, 3, 2, 11), status=Status.PENDING)
    resumed = customer_message(paused, berlin(2026, 3, 4, 10))

    # When it is resolved exactly at its due time (Friday 16:00) or a second later
    # Then the first keeps the promise, the second breaks it
    assert resolution_met(resumed, berlin(2026, 3, 6, 16), OFFICE) is True
    assert resolution_met(resumed, berlin(2026, 3, 6, 16) + SECOND, OFFICE) is False


def test_resolution_met_is_none_for_a_ticket_without_clocks() -> None:
    # Given a quarantined ticket
    quarantined = new_ticket(MONDAY_OPENING, quarantine="spam")

    # Then resolving it kept or broke no promise
    assert resolution_met(quarantined, berlin(2026, 3, 2, 12), OFFICE) is None
