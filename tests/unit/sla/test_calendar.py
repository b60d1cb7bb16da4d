"""Business calendars: opening hours in local wall time, holidays, clock changes and business-time sums."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from postdesk.errors import PostdeskError
from postdesk.sla.calendar import (
    BusinessCalendar,
    InvalidCalendar,
    always_open,
    calendar_from_config,
    parse_weekly_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOUR = timedelta(hours=1)
# 2026's clock changes in Berlin: the last Sundays of March (23-hour day) and October (25-hour day).
SPRING_FORWARD = date(2026, 3, 29)
FALL_BACK = date(2026, 10, 25)


def at(
    zone: tzinfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)


berlin = partial(at, BERLIN)
new_york = partial(at, NEW_YORK)
utc = partial(at, UTC)


def office(
    hours: str = "09:00-17:00",
    *,
    timezone: str = "Europe/Berlin",
    holidays: str = "DE",
    closed: tuple[str, ...] = (),
) -> BusinessCalendar:
    """Monday to Friday with the same hours each day."""
    return calendar_from_config(
        {
            "timezone": timezone,
            "hours": dict.fromkeys(WORKDAYS, hours),
            "holidays": holidays,
            "closed": list(closed),
        }
    )


def every_day(*intervals: tuple[time, time], timezone: str = "Europe/Berlin") -> BusinessCalendar:
    return BusinessCalendar(timezone=timezone, weekly_hours=dict.fromkeys(range(7), intervals))


NIGHTS = every_day((time(0), time(4)))


# --- add: weekends, holidays, closed days -------------------------------------------------------


def test_four_hours_from_friday_afternoon_land_on_monday_morning() -> None:
    # Given Mon-Fri 09:00-17:00 in Berlin
    calendar = office()

    # When 4 business hours are added to Friday 15:00
    due = calendar.add(berlin(2026, 11, 20, 15), 4 * HOUR)

    # Then 2 hours are spent on Friday and 2 on Monday, and the answer is in UTC
    assert due == berlin(2026, 11, 23, 11)
    assert due == utc(2026, 11, 23, 10)
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        # 24 Dec is no German public holiday: 3 hours that afternoon, then Christmas (Fri 25, Sat 26) and
        # Sunday are skipped, and the other 5 hours run on Monday 28 Dec.
        ((), berlin(2026, 12, 28, 14)),
        # As the desk's own closed day, 24 Dec counts nothing: all 8 hours run on Monday.
        (("2026-12-24",), berlin(2026, 12, 28, 17)),
    ],
)
def test_a_business_day_from_christmas_eve_skips_christmas(
    closed: tuple[str, ...], expected: datetime
) -> None:
    # Given the Berlin office with German public holidays (and perhaps 24 Dec closed as well)
    calendar = office(closed=closed)

    # When one business day (8 h) is added to Thursday 24 Dec 2026, 14:00
    due = calendar.add(berlin(2026, 12, 24, 14), 8 * HOUR)

    # Then the clock skips the holidays
    assert due == expected


@pytest.mark.parametrize(
    "start",
    [
        berlin(2026, 11, 21, 10),  # Saturday
        berlin(2026, 11, 22, 23, 59, 59, 999999),  # the last microsecond of Sunday
        berlin(2026, 11, 20, 17),  # Friday's closing time: closed from then on
        berlin(2026, 11, 23, 3),  # Monday night
    ],
)
def test_counting_from_a_closed_moment_begins_at_the_next_opening(start: datetime) -> None:
    # Given the Berlin office, closed at `start`
    calendar = office()
    assert not calendar.is_open(start)

    # When an hour is added
    due = calendar.add(start, HOUR)

    # Then the hour runs from Monday 09:00
    assert due == berlin(2026, 11, 23, 10)
    assert calendar.next_open(start) == berlin(2026, 11, 23, 9)


def test_a_duration_that_uses_up_the_day_ends_at_closing_time_not_at_the_next_opening() -> None:
    # Given the Berlin office
    calendar = office()

    # When exactly one day's hours are added from Thursday's opening
    due = calendar.add(berlin(2026, 11, 19, 9), 8 * HOUR)

    # Then the deadline is Thursday's closing time
    assert due == berlin(2026, 11, 19, 17)


def test_a_zero_duration_gives_the_start_even_when_closed() -> None:
    calendar = office()
    saturday = berlin(2026, 11, 21, 10, 30)

    due = calendar.add(saturday, timedelta(0))

    assert due == saturday
    assert due.tzinfo is UTC


def test_microseconds_are_kept() -> None:
    # Given a start and a duration with microseconds
    calendar = office()
    start = berlin(2026, 11, 20, 16, 59, 59, 999999)
    duration = timedelta(hours=1, microseconds=3)

    # When they are added
    due = calendar.add(start, duration)

    # Then a microsecond is spent on Friday and the rest on Monday, to the microsecond
    assert due == berlin(2026, 11, 23, 10, 0, 0, 2)
    assert calendar.between(start, due) == duration


def test_a_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        office().add(berlin(2026, 11, 20, 10), -HOUR)


@pytest.mark.parametrize(
    "call",
    [
        lambda calendar, naive: calendar.add(naive, HOUR),
        lambda calendar, naive: calendar.between(naive, berlin(2026, 11, 21)),
        lambda calendar, naive: calendar.between(berlin(2026, 11, 19), naive),
        lambda calendar, naive: calendar.is_open(naive),
        lambda calendar, naive: calendar.next_open(naive),
    ],
    ids=["add", "between-start", "between-end", "is_open", "next_open"],
)
def test_naive_datetimes_are_rejected(call: Callable[[BusinessCalendar, datetime], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(office(), datetime(2026, 11, 20, 10))


def test_long_durations_skip_ahead_by_days() -> None:
    # Given the Berlin office, and weekday hours in UTC without holidays
    calendar = office()
    plain = office(timezone="UTC", holidays="")

    # When 400 business hours (50 days) are added to Monday 5 Jan 2026 09:00 (no German public holiday
    # until Good Friday), and 4000 hours (100 weeks) in the plain calendar
    due = calendar.add(berlin(2026, 1, 5, 9), 400 * HOUR)
    much_later = plain.add(utc(2026, 1, 5, 9), 4000 * HOUR)

    # Then the deadlines are ten weeks later, and a hundred weeks later, on Friday at closing time
    assert due == berlin(2026, 3, 13, 17)
    assert much_later == utc(2026, 1, 5, 9) + timedelta(weeks=99, days=4, hours=8)


# --- between ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Friday 16:00 to Monday 10:00: an hour on each side of the weekend, none in it
        (berlin(2026, 11, 20, 16), berlin(2026, 11, 23, 10), 2 * HOUR),
        (berlin(2026, 11, 21, 0), berlin(2026, 11, 23, 0), timedelta(0)),  # the weekend alone
        (berlin(2026, 11, 16, 0), berlin(2026, 11, 23, 0), 40 * HOUR),  # a whole week
        (berlin(2026, 11, 20, 10), berlin(2026, 11, 20, 10), timedelta(0)),  # no time
        (berlin(2026, 11, 23, 10), berlin(2026, 11, 20, 16), timedelta(0)),  # end before start
        # over Christmas 2026: Thu 24 Dec 9-17, Mon 28 Dec 9-12
        (berlin(2026, 12, 24, 0), berlin(2026, 12, 28, 12), 11 * HOUR),
    ],
)
def test_between_counts_only_open_time(start: datetime, end: datetime, expected: timedelta) -> None:
    assert office().between(start, end) == expected


def test_a_split_day_counts_nothing_over_lunch() -> None:
    # Given Mon-Fri 09:00-12:00 and 13:00-17:00 in Berlin
    calendar = office("09:00-12:00, 13:00-17:00")

    # Then two hours from 11:00 run through lunch to 14:00, and lunch itself is closed
    assert calendar.add(berlin(2026, 11, 19, 11), 2 * HOUR) == berlin(2026, 11, 19, 14)
    assert calendar.add(berlin(2026, 11, 19, 12, 30), HOUR / 2) == berlin(2026, 11, 19, 13, 30)
    assert calendar.between(berlin(2026, 11, 19, 11, 30), berlin(2026, 11, 19, 13, 30)) == HOUR
    assert calendar.between(berlin(2026, 11, 19, 0), berlin(2026, 11, 20, 0)) == 7 * HOUR
    assert calendar.is_open(berlin(2026, 11, 19, 11, 59, 59))
    assert not calendar.is_open(berlin(2026, 11, 19, 12))
    assert not calendar.is_open(berlin(2026, 11, 19, 12, 59, 59, 999999))
    assert calendar.is_open(berlin(2026, 11, 19, 13))
    assert calendar.next_open(berlin(2026, 11, 19, 12, 15)) == berlin(2026, 11, 19, 13)


SAMPLE_CALENDARS = {
    "berlin-office-split": office("09:00-12:00, 13:00-17:00"),
    "berlin-nights": NIGHTS,
    "berlin-24x7": always_open("Europe/Berlin"),
    "new-york-office": office(timezone="America/New_York", holidays="US"),
    "berlin-evenings-to-midnight": every_day((time(18), time(0))),
}
DURATIONS = [
    timedelta(microseconds=1),
    timedelta(minutes=59, seconds=59),
    3 * HOUR,
    8 * HOUR,
    timedelta(hours=27, minutes=13),
    timedelta(days=5, microseconds=7),
]


@pytest.mark.parametrize("calendar", SAMPLE_CALENDARS.values(), ids=SAMPLE_CALENDARS.keys())
def test_between_measures_back_exactly_what_add_added(calendar: BusinessCalendar) -> None:
    # Given starts every 97 minutes over three weeks that take in the spring clock change (stepped in
    # UTC: arithmetic on Berlin datetimes would step the wall clock)
    starts = [utc(2026, 3, 15, 23, 7) + timedelta(minutes=97 * step) for step in range(3 * 7 * 24 * 60 // 97)]
    checked_open_starts = 0
    for start in starts:
        checked_open_starts += calendar.is_open(start)
        for duration in DURATIONS:
            # When a duration is added
            due = calendar.add(start, duration)

            # Then between gives the duration back, and business time was running up to the deadline
            assert calendar.between(start, due) == duration, (start, duration, due)
            assert calendar.is_open(due - timedelta(microseconds=1)), (start, duration, due)
    assert checked_open_starts > 50


@pytest.mark.parametrize("calendar", SAMPLE_CALENDARS.values(), ids=SAMPLE_CALENDARS.keys())
def test_adding_the_time_between_two_open_moments_leads_from_one_to_the_other(
    calendar: BusinessCalendar,
) -> None:
    # Given open moments over three weeks that take in the autumn clock change
    moments = [
        utc(2026, 10, 11, 22, 11) + timedelta(minutes=89 * step) for step in range(3 * 7 * 24 * 60 // 89)
    ]
    open_moments = [moment for moment in moments if calendar.is_open(moment)]
    assert len(open_moments) > 50

    # Then adding the business time between any two (where the later is not an opening) gets to the later
    for start, end in zip(open_moments, open_moments[7:], strict=False):
        if calendar.next_open(end - timedelta(microseconds=1)) == end:
            continue
        assert calendar.add(start, calendar.between(start, end)) == end, (start, end)


@pytest.mark.parametrize("first_day", [date(2026, 3, 27), date(2026, 10, 23)], ids=["spring", "autumn"])
def test_between_agrees_with_counting_open_minutes_one_by_one(first_day: date) -> None:
    # Given hours that open and close at many points of the day, over four days around a clock change
    calendar = every_day((time(0), time(4)), (time(9), time(12)), (time(13), time(0)))
    start = datetime.combine(first_day, time(0), BERLIN).astimezone(UTC)
    minutes = 4 * 24 * 60

    # When the open minutes are counted one by one
    counted = sum(calendar.is_open(start + timedelta(minutes=step)) for step in range(minutes))

    # Then between gives the same
    assert calendar.between(start, start + timedelta(minutes=minutes)) == timedelta(minutes=counted)


# --- clock changes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Saturday 12:00 CET (11:00 UTC) plus 24 real hours: Sunday 13:00 CEST
        (berlin(2026, 3, 28, 12), utc(2026, 3, 29, 11)),
        # Saturday 12:00 CEST (10:00 UTC) plus 24 real hours: Sunday 11:00 CET
        (berlin(2026, 10, 24, 12), utc(2026, 10, 25, 10)),
    ],
    ids=["spring", "autumn"],
)
def test_a_24x7_calendar_counts_real_hours_across_a_clock_change(start: datetime, expected: datetime) -> None:
    # Given a Berlin calendar that is always open
    calendar = always_open("Europe/Berlin")

    # When 24 business hours are added across the night of a clock change
    due = calendar.add(start, 24 * HOUR)

    # Then they are 24 real hours, whatever the wall clocks say
    assert due == expected
    assert due - start == 24 * HOUR


@pytest.mark.parametrize(
    ("day", "length"), [(SPRING_FORWARD, 23 * HOUR), (FALL_BACK, 25 * HOUR), (date(2026, 3, 30), 24 * HOUR)]
)
def test_a_24x7_day_is_as_long_as_the_local_day(day: date, length: timedelta) -> None:
    calendar = always_open("Europe/Berlin")

    [(opens, closes)] = calendar.open_intervals(day)

    assert opens == datetime.combine(day, time(0), BERLIN)
    assert closes == datetime.combine(day + timedelta(days=1), time(0), BERLIN)
    assert closes - opens == length


@pytest.mark.parametrize(
    ("day", "opens", "closes"),
    [
        # 00:00 CET to 04:00 CEST: the clock skips 02:00-03:00, so only 3 real hours
        (SPRING_FORWARD, utc(2026, 3, 28, 23), utc(2026, 3, 29, 2)),
        # 00:00 CEST to 04:00 CET: the clock shows 02:00-03:00 twice, so 5 real hours
        (FALL_BACK, utc(2026, 10, 24, 22), utc(2026, 10, 25, 3)),
        # an ordinary night: 4 hours
        (date(2026, 3, 30), utc(2026, 3, 29, 22), utc(2026, 3, 30, 2)),
    ],
    ids=["spring", "autumn", "ordinary"],
)
def test_a_night_interval_follows_the_wall_clock(day: date, opens: datetime, closes: datetime) -> None:
    # Given a Berlin calendar open 00:00-04:00 every night
    # When the night of `day` is looked at
    intervals = NIGHTS.open_intervals(day)

    # Then it runs from local midnight to 04:00 local, however many real hours that is
    assert intervals == [(opens, closes)]
    assert NIGHTS.between(opens - HOUR, closes + HOUR) == closes - opens


def test_a_duration_runs_over_the_short_night_into_the_next() -> None:
    # When 4 hours are added at midnight of the spring-forward night, which has only 3
    due = NIGHTS.add(berlin(2026, 3, 29, 0), 4 * HOUR)

    # Then the fourth hour is spent the next night: Monday 01:00 CEST
    assert due == berlin(2026, 3, 30, 1)
    assert due == utc(2026, 3, 29, 23)


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_office_hours_are_eight_hours_on_clock_change_days(day: date) -> None:
    # Given 09:00-17:00 every day, Sundays included
    calendar = every_day((time(9), time(17)))

    # Then the day of a clock change has its 8 hours at the local times
    assert calendar.open_intervals(day) == [
        (datetime.combine(day, time(9), BERLIN), datetime.combine(day, time(17), BERLIN))
    ]
    assert calendar.between(
        datetime.combine(day, time(0), BERLIN), datetime.combine(day, time(23), BERLIN)
    ) == (8 * HOUR)


def test_wall_times_the_clock_skips_open_and_close_at_the_jump() -> None:
    # Given Sunday hours that begin, lie wholly or end inside the skipped hour 02:00-03:00 of 29 Mar 2026
    calendar = BusinessCalendar(
        timezone="Europe/Berlin",
        weekly_hours={6: ((time(1), time(2, 30)), (time(2, 40), time(2, 50)), (time(2, 55), time(4)))},
    )

    # Then a skipped wall time means the jump (01:00 UTC): the hour from 01:00 CET, nothing for the
    # interval that never shows on the clock, and 03:00-04:00 CEST
    assert calendar.open_intervals(SPRING_FORWARD) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
    ]
    assert calendar.is_open(utc(2026, 3, 29, 1))
    # and on an ordinary Sunday the three intervals are as written
    assert calendar.between(berlin(2026, 4, 5, 0), berlin(2026, 4, 6, 0)) == timedelta(hours=2, minutes=45)


def test_wall_times_the_clock_shows_twice_mean_their_first_showing() -> None:
    # Given Sunday hours 02:30-03:00, which the clock shows twice on 25 Oct 2026
    calendar = BusinessCalendar(timezone="Europe/Berlin", weekly_hours={6: ((time(2, 30), time(3)),)})

    # Then the interval runs from the first 02:30 (CEST, 00:30 UTC) to 03:00 CET (02:00 UTC)
    assert calendar.open_intervals(FALL_BACK) == [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2))]


def test_a_clock_change_at_midnight_is_handled() -> None:
    # Given Santiago de Chile, where clocks go back from 24:00 to 23:00 on 4 Apr 2026 and jump from
    # 24:00 to 01:00 on 5 Sep 2026
    around_the_clock = always_open("America/Santiago")
    nights = every_day((time(0), time(4)), timezone="America/Santiago")

    # Then 4 April has 25 hours, open in its repeated hour too
    [(opens, closes)] = around_the_clock.open_intervals(date(2026, 4, 4))
    assert (opens, closes) == (utc(2026, 4, 4, 3), utc(2026, 4, 5, 4))
    assert around_the_clock.is_open(utc(2026, 4, 5, 3, 30))
    assert not nights.is_open(utc(2026, 4, 5, 3, 30))
    # and the night of 6 September, whose midnight never shows on the clock, opens at 01:00 for 3 hours
    assert nights.open_intervals(date(2026, 9, 6)) == [(utc(2026, 9, 6, 4), utc(2026, 9, 6, 7))]
    assert datetime(2026, 9, 6, 4, tzinfo=UTC).astimezone(SANTIAGO).hour == 1


# --- New York, holidays -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Friday 15:00 EST to Monday 11:00 EDT: the clocks went forward over the weekend (8 Mar 2026)
        (new_york(2026, 3, 6, 15), utc(2026, 3, 9, 15)),
        # Wednesday before Thanksgiving (Thu 26 Nov 2026) to Friday 11:00 EST
        (new_york(2026, 11, 25, 15), utc(2026, 11, 27, 16)),
    ],
    ids=["clock-change-weekend", "thanksgiving"],
)
def test_new_york_office_hours_follow_local_time_and_us_holidays(start: datetime, expected: datetime) -> None:
    # Given Mon-Fri 09:00-17:00 in New York with US public holidays
    calendar = office(timezone="America/New_York", holidays="US")

    # When 4 hours are added to an afternoon at 15:00
    due = calendar.add(start, 4 * HOUR)

    # Then they end at 11:00 local on the next business day
    assert due == expected
    assert due.astimezone(NEW_YORK).hour == 11


@pytest.mark.parametrize(
    ("holidays", "closed", "day", "expected"),
    [
        ("DE", (), date(2026, 12, 25), True),
        ("DE", (), date(2026, 12, 24), False),
        ("DE", ("2026-12-24",), date(2026, 12, 24), True),
        ("DE", (), date(2026, 1, 6), False),  # Epiphany is a holiday in some German states only
        ("DE-BY", (), date(2026, 1, 6), True),
        ("DE", (), date(2031, 10, 3), True),  # tables for later years are built when asked for
        ("", (), date(2026, 12, 25), False),
    ],
)
def test_holidays_are_the_region_s_public_holidays_and_the_desk_s_own_closed_days(
    holidays: str, closed: tuple[str, ...], day: date, expected: bool
) -> None:
    calendar = office(holidays=holidays, closed=closed)

    assert calendar.is_holiday(day) is expected
    # and a holiday on a weekday has no open time
    assert (calendar.open_intervals(day) == []) is (expected or day.weekday() >= 5)


def test_a_holiday_lookup_wants_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError, match="date"):
        office().is_holiday(datetime(2026, 12, 25, 10, tzinfo=UTC))


def test_next_open_gives_an_open_moment_back_and_otherwise_the_next_opening() -> None:
    calendar = office()

    assert calendar.next_open(berlin(2026, 11, 19, 10, 15, 0, 5)) == berlin(2026, 11, 19, 10, 15, 0, 5)
    assert calendar.next_open(berlin(2026, 11, 19, 10)).tzinfo is UTC
    # Christmas Eve after closing: the 25th and the weekend are closed
    assert calendar.next_open(berlin(2026, 12, 24, 17, 30)) == berlin(2026, 12, 28, 9)


def test_an_always_open_calendar_is_open_at_every_moment_in_utc_by_default() -> None:
    calendar = always_open()

    assert calendar.timezone == "UTC"
    assert calendar.is_open(utc(2026, 12, 25, 0))
    assert calendar.add(utc(2026, 1, 1, 12, 0, 0, 1), timedelta(days=5 * 365)) == utc(
        2030, 12, 31, 12, 0, 0, 1
    )
    assert calendar.between(utc(2026, 1, 1), utc(2027, 1, 1)) == timedelta(days=365)


# --- a calendar that is never open --------------------------------------------------------------


def test_a_calendar_without_opening_hours_raises_instead_of_searching_forever() -> None:
    # Given a calendar with no opening hours
    calendar = BusinessCalendar(timezone="Europe/Berlin", weekly_hours={})

    # Then nothing can be added and there is no next opening, but the questions with answers get them
    with pytest.raises(InvalidCalendar, match=r"^the calendar is never open$"):
        calendar.add(berlin(2026, 11, 19, 10), HOUR)
    with pytest.raises(InvalidCalendar, match="never open"):
        calendar.next_open(berlin(2026, 11, 19, 10))
    assert calendar.between(berlin(2026, 1, 1), berlin(2027, 1, 1)) == timedelta(0)
    assert not calendar.is_open(berlin(2026, 11, 19, 10))


def test_a_calendar_whose_every_open_day_is_closed_for_years_raises() -> None:
    # Given a calendar open on Mondays only, with every Monday of 2026-2029 a closed day
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=week) for week in range(4 * 53))
    calendar = BusinessCalendar("UTC", {0: ((time(9), time(17)),)}, closed_days=mondays)

    # Then adding gives up after three years of closed days
    with pytest.raises(InvalidCalendar, match="never open: no open time in the 1098 days"):
        calendar.add(utc(2026, 1, 1), HOUR)
    # while a calendar closed for less long waits for its first open Monday
    shorter = BusinessCalendar(
        "UTC", {0: ((time(9), time(17)),)}, closed_days=frozenset(sorted(mondays)[:100])
    )
    assert shorter.add(utc(2026, 1, 1), HOUR) == utc(2027, 12, 6, 10)


# --- parse_weekly_hours -------------------------------------------------------------------------


def test_weekly_hours_are_read_from_configuration_text() -> None:
    spec = {
        "mon": "09:00-17:00",
        "TUE": "13:00-17:00, 09:00-12:00",  # any case, any order
        " wed ": " 09:00 - 12:00 ,12:00-17:30 ",  # touching intervals are fine
        "thu": "00:00-24:00",
        "fri": "18:00-24:00",
        "sat": "",
        "sun": "Closed",
    }

    assert parse_weekly_hours(spec) == {
        0: ((time(9), time(17)),),
        1: ((time(9), time(12)), (time(13), time(17))),
        2: ((time(9), time(12)), (time(12), time(17, 30))),
        3: ((time(0), time(0)),),
        4: ((time(18), time(0)),),
    }


def test_days_left_out_of_the_configuration_are_closed() -> None:
    calendar = calendar_from_config({"timezone": "UTC", "hours": {"wed": "10:00-11:00"}})

    assert calendar.weekly_hours == {2: ((time(10), time(11)),)}
    assert calendar.open_intervals(date(2026, 11, 19)) == []  # a Thursday


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"monday": "09:00-17:00"}, "unknown day 'monday'"),
        ({"mon": "09:00-17:00", "MON": "10:00-11:00"}, "the day 'MON' is given twice"),
        ({"mon": "9-17"}, "opening hours for 'mon' ('9-17'): '9' is not a time of day"),
        ({"tue": "09:00-25:00"}, "opening hours for 'tue' ('09:00-25:00'): '25:00' is not a time of day"),
        ({"wed": "09:60-10:00"}, "opening hours for 'wed' ('09:60-10:00'): '09:60' is not a time of day"),
        ({"thu": "09:00"}, "opening hours for 'thu' ('09:00'): '09:00' is not an interval"),
        ({"fri": "09:00-12:00,"}, "opening hours for 'fri' ('09:00-12:00,'): '' is not an interval"),
        ({"sat": "17:00-09:00"}, "opening hours for 'sat' ('17:00-09:00'): '17:00-09:00' does not end after"),
        ({"sun": "09:00-09:00"}, "opening hours for 'sun' ('09:00-09:00'): '09:00-09:00' does not end after"),
        (
            {"mon": "22:00-00:00"},
            "opening hours for 'mon' ('22:00-00:00'): '22:00-00:00' does not end after it starts"
            " (write 24:00 for midnight)",
        ),
        ({"mon": "24:00-24:00"}, "opening hours for 'mon' ('24:00-24:00'): '24:00-24:00' opens at 24:00"),
        (
            {"tue": "09:00-13:00, 12:00-17:00"},
            "opening hours for 'tue' ('09:00-13:00, 12:00-17:00'): '09:00-13:00' and '12:00-17:00' overlap",
        ),
        ({"wed": 9}, "opening hours for 'wed': 9 is not text"),
    ],
)
def test_bad_weekly_hours_are_rejected_naming_the_day_and_the_value(
    spec: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidCalendar) as raised:
        parse_weekly_hours(spec)

    assert message in str(raised.value)
    assert isinstance(raised.value, PostdeskError)


# --- calendar_from_config -----------------------------------------------------------------------


def test_a_calendar_is_built_from_configuration() -> None:
    config = {
        "timezone": "Europe/Berlin",
        "hours": {"mon": "09:00-17:00", "tue": "09:00-12:00, 13:00-17:00", "sat": "", "sun": "closed"},
        "holidays": "DE-BY",
        # text as in JSON, and dates as TOML gives them
        "closed": ["2026-12-24", date(2026, 12, 31)],
    }

    assert calendar_from_config(config) == BusinessCalendar(
        timezone="Europe/Berlin",
        weekly_hours={0: ((time(9), time(17)),), 1: ((time(9), time(12)), (time(13), time(17)))},
        holiday_country="DE",
        holiday_subdivision="BY",
        closed_days=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Europe/Berlinn"}, "unknown time zone 'Europe/Berlinn'"),
        ({"timezone": "Europe"}, "unknown time zone 'Europe'"),
        ({"timezone": "../etc/passwd"}, "unknown time zone '../etc/passwd'"),
        ({"timezone": 1}, "timezone must be an IANA name"),
        ({"holidays": "XX"}, "no public holidays are known for 'XX'"),
        ({"holidays": "DE-XX"}, "no public holidays are known for 'DE-XX'"),
        ({"holidays": "DE-"}, "holidays 'DE-' is not a country code"),
        ({"holidays": ["DE"]}, "holidays must be a country code"),
        ({"closed": ["2026-02-30"]}, "closed day '2026-02-30' is not a date"),
        ({"closed": ["24.12.2026"]}, "closed day '24.12.2026' is not a date"),
        ({"closed": ["20261224"]}, "closed day '20261224' is not a date"),
        (
            {"closed": [datetime(2026, 12, 24, 0, 0)]},
            "closed day datetime.datetime(2026, 12, 24, 0, 0) is not a date",
        ),
        ({"closed": "2026-12-24"}, "closed must be a list of dates"),
        ({"hours": "09:00-17:00"}, "hours must map days"),
        (
            {"hours": {"mon": "9:00-5:00"}},
            "opening hours for 'mon' ('9:00-5:00'): '9:00-5:00' does not end after it starts",
        ),
        (
            {"holiday": "DE"},
            "unknown calendar setting(s) 'holiday'; known: closed, holidays, hours, timezone",
        ),
        ({"timezone": None}, "the calendar setting 'timezone' is missing"),
        ({"hours": None}, "the calendar setting 'hours' is missing"),
    ],
)
def test_bad_configuration_is_rejected(changes: dict[str, object], message: str) -> None:
    # Given a good configuration with one setting changed (None: left out)
    config: dict[str, object] = {
        "timezone": "Europe/Berlin",
        "hours": {"mon": "09:00-17:00"},
        "holidays": "DE",
    }
    config.update(changes)
    config = {key: value for key, value in config.items() if value is not None}

    # Then it is rejected with a message that names the problem
    with pytest.raises(InvalidCalendar) as raised:
        calendar_from_config(config)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("weekly_hours", "message"),
    [
        ({7: ((time(9), time(17)),)}, "7 is not a weekday number"),
        ({0: ((time(17), time(9)),)}, "does not end after it starts"),
        ({0: ((time(9), time(13)), (time(12), time(17)))}, "overlaps or precedes"),
        ({0: ((time(13), time(17)), (time(9), time(12)))}, "overlaps or precedes"),
        ({0: ((time(9), time(0)), (time(22), time(23)))}, "overlaps or precedes"),
        ({0: ((time(9, tzinfo=UTC), time(17)),)}, "is not a pair of local times"),
        ({0: ((time(9), time(12), time(17)),)}, "is not an (opening, closing) pair"),
    ],
)
def test_a_calendar_built_directly_is_checked_too(
    weekly_hours: dict[int, tuple[tuple[time, time], ...]], message: str
) -> None:
    with pytest.raises(InvalidCalendar) as raised:
        BusinessCalendar(timezone="UTC", weekly_hours=weekly_hours)
    assert message in str(raised.value)


def test_a_holiday_subdivision_needs_a_country() -> None:
    with pytest.raises(InvalidCalendar, match="subdivision 'BY' given without a holiday country"):
        BusinessCalendar(timezone="UTC", weekly_hours={}, holiday_subdivision="BY")


def test_a_calendar_does_not_change_when_the_hours_it_was_built_from_do() -> None:
    # Given a calendar built from a dict
    hours = {0: ((time(9), time(17)),)}
    calendar = BusinessCalendar(timezone="UTC", weekly_hours=hours)

    # When the dict is changed afterwards
    hours[1] = ((time(9), time(17)),)

    # Then the calendar is not
    assert calendar.weekly_hours == {0: ((time(9), time(17)),)}
    assert calendar.open_intervals(date(2026, 11, 17)) == []  # a Tuesday


def test_a_calendar_is_a_value_that_copies_and_keys_caches() -> None:
    calendar = office(closed=("2026-12-24",))

    assert copy.deepcopy(calendar) == calendar
    assert {calendar: "berlin"}[office(closed=("2026-12-24",))] == "berlin"
    assert calendar != office()
