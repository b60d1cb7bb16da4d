"""Which days a report covers: ``since`` as days back or a first date, ``until`` as the last date,
and every span that is not one refused in words (GET /metrics answers those with a 400)."""

from __future__ import annotations

from datetime import date

import pytest

from postdesk.workflows.report import MAX_DAYS, InvalidSpan, Span, parse_span

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("7d", None, Span(date(2026, 11, 18), TODAY)),
        ("1d", None, Span(TODAY, TODAY)),
        # Days back count from the last day of the span, which is included
        ("7d", "2026-11-10", Span(date(2026, 11, 4), date(2026, 11, 10))),
        ("2026-11-01", None, Span(date(2026, 11, 1), TODAY)),
        ("2026-11-01", "2026-11-15", Span(date(2026, 11, 1), date(2026, 11, 15))),
        ("2026-11-24", "2026-11-24", Span(TODAY, TODAY)),
        (f"{MAX_DAYS}d", None, Span(date(2025, 11, 24), TODAY)),
        # A span a year back is as good as one ending today
        ("2024-01-01", "2024-12-31", Span(date(2024, 1, 1), date(2024, 12, 31))),
        (" 30d ", " 2026-11-20 ", Span(date(2026, 10, 22), date(2026, 11, 20))),
    ],
)
def test_a_span_is_read_from_since_and_until(since: str, until: str | None, expected: Span) -> None:
    assert parse_span(since, until, TODAY) == expected


@pytest.mark.parametrize(
    ("since", "until", "said"),
    [
        ("forever", None, 'since: a number of days such as "7d", or a date such as "2026-11-01"'),
        ("", None, "since: a number of days"),
        ("0d", None, f"since: 1d to {MAX_DAYS}d, not 0d"),
        (f"{MAX_DAYS + 1}d", None, f"since: 1d to {MAX_DAYS}d"),
        ("2026-02-30", None, "since: a date such as"),
        ("20261101", None, "since: a number of days"),
        ("2026-11-25", None, "since: 2026-11-25 is after today (2026-11-24)"),
        ("2026-11-10", "2026-11-09", "since: 2026-11-10 is after until (2026-11-09)"),
        ("7d", "2026-11-25", "until: 2026-11-25 is after today (2026-11-24)"),
        ("7d", "", "until: a date such as \"2026-11-01\", not ''"),
        ("7d", "2026-W48-1", "until: a date such as"),
        ("7d", "2026-13-01", "until: a date such as"),
        ("2025-01-01", "2026-01-02", f"at most {MAX_DAYS} days; 2025-01-01 to 2026-01-02 is 367 days"),
        ("2025-11-23", None, f"a report covers at most {MAX_DAYS} days"),
    ],
)
def test_a_span_that_is_not_one_is_refused_in_words(since: str, until: str | None, said: str) -> None:
    with pytest.raises(InvalidSpan) as refused:
        parse_span(since, until, TODAY)

    assert said in str(refused.value)


def test_the_days_of_a_span_are_each_day_both_ends_included() -> None:
    assert Span(date(2026, 10, 30), date(2026, 11, 2)).days == [
        date(2026, 10, 30),
        date(2026, 10, 31),
        date(2026, 11, 1),
        date(2026, 11, 2),
    ]
