"""Failed sign-ins counted per address and per source IP (auth/throttle.py): five in a window of 15
minutes refuse the rest of the window, in words and with Retry-After; the next window starts over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postdesk.auth.throttle import FAILURE_LIMIT, FailedSignIns
from postdesk.errors import TooManyRequests

# 09:31:20: the window began at 09:30 and ends at 09:45.
NOW = datetime(2026, 11, 24, 9, 31, 20, tzinfo=UTC)


class Counts:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.expiries: dict[str, int] = {}

    def read(self, key: str) -> int:
        return self.values.get(key, 0)

    def add_one(self, key: str, expires_at: int) -> None:
        self.values[key] = self.values.get(key, 0) + 1
        self.expiries[key] = expires_at


def _fail(
    throttle: FailedSignIns, times: int, email: str = "sam@example.com", ip: str = "203.0.113.9"
) -> None:
    for _ in range(times):
        throttle.record_failure(email, ip, NOW)


def test_four_failures_still_let_the_address_try() -> None:
    throttle = FailedSignIns(Counts())
    _fail(throttle, FAILURE_LIMIT - 1)

    throttle.check("sam@example.com", "203.0.113.9", NOW)


def test_the_fifth_failure_refuses_the_address_for_the_rest_of_the_window_in_words() -> None:
    throttle = FailedSignIns(Counts())
    _fail(throttle, FAILURE_LIMIT)

    with pytest.raises(TooManyRequests) as refused:
        throttle.check(" Sam@Example.com ", "198.51.100.1", NOW)

    assert str(refused.value) == "Too many failed sign-ins for this address: try again in 14 minutes."
    assert refused.value.retry_after == 13 * 60 + 40


def test_failures_from_one_ip_refuse_every_address_from_it() -> None:
    throttle = FailedSignIns(Counts())
    for number in range(FAILURE_LIMIT):
        throttle.record_failure(f"guess{number}@example.com", "203.0.113.9", NOW)

    with pytest.raises(TooManyRequests, match="from your network"):
        throttle.check("sam@example.com", "203.0.113.9", NOW)
    throttle.check("sam@example.com", "198.51.100.1", NOW)


def test_the_next_window_starts_over() -> None:
    throttle = FailedSignIns(Counts())
    _fail(throttle, FAILURE_LIMIT)
    later = NOW + timedelta(minutes=15)

    # Four more failures in the next window are four, not nine
    for _ in range(FAILURE_LIMIT - 1):
        throttle.record_failure("sam@example.com", "203.0.113.9", later)
    throttle.check("sam@example.com", "203.0.113.9", later)


def test_the_refusal_lasts_until_the_window_ends_and_not_after() -> None:
    throttle = FailedSignIns(Counts())
    _fail(throttle, FAILURE_LIMIT)

    with pytest.raises(TooManyRequests) as last_second:
        throttle.check("sam@example.com", "203.0.113.9", datetime(2026, 11, 24, 9, 44, 59, tzinfo=UTC))
    assert last_second.value.retry_after == 1
    assert "try again in 1 minute." in str(last_second.value)
    throttle.check("sam@example.com", "203.0.113.9", datetime(2026, 11, 24, 9, 45, tzinfo=UTC))


def test_the_counters_name_neither_the_address_nor_the_ip_and_expire() -> None:
    counts = Counts()
    _fail(FailedSignIns(counts), 1)

    assert len(counts.values) == 2
    assert not any("sam" in key or "203.0.113.9" in key for key in counts.values)
    window_end = int(datetime(2026, 11, 24, 9, 45, tzinfo=UTC).timestamp())
    assert all(expiry > window_end for expiry in counts.expiries.values())
