"""Survey links and schedules without AWS: tokens that cannot be edited or reused, at() expressions
checked by our code (moto checks none), and schedule names that a retry and a reopen can find."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from postdesk.aws.scheduler import (
    InvalidSchedule,
    at_expression,
    validate_at_expression,
    validate_schedule_name,
)
from postdesk.effects.keys import survey_schedule as schedule_name
from postdesk.survey.tokens import ExpiredToken, TamperedToken, issue_token, read_token

KEY = b"k" * 32
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_a_token_names_its_ticket_cycle_rating_and_expiry() -> None:
    token = read_token(KEY, issue_token(KEY, "K7Q2-M9XD", 3, 4, LATER), NOW)

    assert (token.ref, token.cycle, token.rating) == ("K7Q2-M9XD", 3, 4)
    assert token.expires_at == LATER


@pytest.mark.parametrize("part", [0, 1, 2, 3, 4])
def test_changing_any_part_of_a_token_is_detected(part: int) -> None:
    pieces = issue_token(KEY, "K7Q2-M9XD", 1, 4, LATER).split(".")
    replacements = ["K7Q2-M9XE", "2", "5", str(int(pieces[3]) + 86400), "a" * len(pieces[4])]
    pieces[part] = replacements[part]

    with pytest.raises(TamperedToken):
        read_token(KEY, ".".join(pieces), NOW)


@pytest.mark.parametrize("text", ["", "garbage", "K7Q2-M9XD.1.6.1.abc", "../../etc/passwd", "x" * 500])
def test_anything_else_is_not_a_token(text: str) -> None:
    with pytest.raises(TamperedToken):
        read_token(KEY, text, NOW)


def test_another_key_does_not_accept_the_token() -> None:
    with pytest.raises(TamperedToken):
        read_token(b"o" * 32, issue_token(KEY, "K7Q2-M9XD", 1, 4, LATER), NOW)


def test_an_expired_token_still_says_which_ticket_it_was_for() -> None:
    text = issue_token(KEY, "K7Q2-M9XD", 1, 4, NOW)

    with pytest.raises(ExpiredToken) as raised:
        read_token(KEY, text, NOW)

    assert raised.value.token.ref == "K7Q2-M9XD"


def test_a_rating_off_the_scale_is_never_signed() -> None:
    with pytest.raises(ValueError):
        issue_token(KEY, "K7Q2-M9XD", 1, 6, LATER)


def test_at_expressions_are_in_utc_whatever_zone_the_time_was_given_in() -> None:
    berlin = timezone(timedelta(hours=1))

    expression = at_expression(datetime(2026, 12, 2, 10, 30, 15, 999, tzinfo=berlin))

    assert expression == "at(2026-12-02T09:30:15)"
    assert validate_at_expression(expression) == datetime(2026, 12, 2, 9, 30, 15, tzinfo=UTC)


def test_a_naive_time_cannot_be_scheduled() -> None:
    with pytest.raises(InvalidSchedule):
        at_expression(datetime(2026, 12, 2, 10, 30))


@pytest.mark.parametrize(
    "expression",
    [
        "at(2026-12-02 09:30:15)",
        "at(2026-12-02T09:30)",
        "at(2026-02-30T09:30:00)",
        "at(2026-12-02T24:00:00)",
        "rate(5 minutes)",
        "cron(0 12 * * ? *)",
        "at(2026-12-02T09:30:00Z)",
        " at(2026-12-02T09:30:00)",
    ],
)
def test_expressions_scheduler_would_refuse_or_misread_are_refused(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        validate_at_expression(expression)


def test_schedule_names_are_one_per_ticket_and_cycle_and_valid() -> None:
    assert schedule_name("K7Q2-M9XD", 1) == validate_schedule_name("survey-K7Q2-M9XD-1")
    assert schedule_name("K7Q2-M9XD", 1) != schedule_name("K7Q2-M9XD", 2)


@pytest.mark.parametrize("name", ["", "a" * 65, "survey/K7Q2", "survey K7Q2", "süß"])
def test_invalid_schedule_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidSchedule):
        validate_schedule_name(name)
