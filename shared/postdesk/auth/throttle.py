"""Failed sign-ins, counted per address and per source IP in windows of 15 minutes: five in a
window, and sign-ins for that address (or from that IP) are refused, 429 with Retry-After, until the
window ends. Counted before Cognito's own protection, so a guessing run costs Cognito nothing and
gets an answer in words.

Items of the sessions table (auth/sessions.py has the others): ``FAILED#email#<sha256 of the
address>#<window>`` and ``FAILED#ip#<sha256 of the IP>#<window>``, each with ``failures`` and
``expires_at`` (TTL, an hour after the window: DynamoDB removes them within days, and the window
in the key makes an old one count for nothing meanwhile). Neither key holds the address or the IP
as such."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from postdesk.aws.dynamodb import DeskModel, read_item
from postdesk.errors import TooManyRequests
from postdesk.tickets.dynamo import bind_model

FAILURE_LIMIT = 5
WINDOW = timedelta(minutes=15)
_KEEP_AFTER_WINDOW_SECONDS = 3600
_PREFIX = "FAILED#"


class FailureItem(DeskModel):
    class Meta:
        table_name = "unbound-sessions"

    key = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    expires_at = NumberAttribute()


@dataclass(frozen=True, slots=True)
class _Counter:
    key: str
    refused: str


class FailureCounts(Protocol):
    """Where the counters live: the sessions table (tests pass a dictionary)."""

    def read(self, key: str) -> int: ...

    def add_one(self, key: str, expires_at: int) -> None: ...


class TableFailureCounts:
    """The counters as items of the sessions table."""

    def __init__(self, table_name: str, region: str) -> None:
        bind_model(FailureItem, table_name, region)

    def read(self, key: str) -> int:
        item = read_item(FailureItem, key)
        return 0 if item is None else int(item.failures)

    def add_one(self, key: str, expires_at: int) -> None:
        FailureItem(key).update(actions=[FailureItem.failures.add(1), FailureItem.expires_at.set(expires_at)])


class FailedSignIns:
    """Failed sign-ins per address and per source IP, and the refusal once there were too many."""

    def __init__(self, counts: FailureCounts) -> None:
        self._counts = counts

    def check(self, email: str, source_ip: str, now: datetime) -> None:
        """TooManyRequests, in words and with the seconds to wait, when the address or the source
        IP has had FAILURE_LIMIT failed sign-ins in the current window."""
        wait = max(1, math.ceil((_window_end(now) - now).total_seconds()))
        for counter in _counters(email, source_ip, now):
            if self._counts.read(counter.key) >= FAILURE_LIMIT:
                minutes = max(1, math.ceil(wait / 60))
                unit = "minute" if minutes == 1 else "minutes"
                raise TooManyRequests(f"{counter.refused}: try again in {minutes} {unit}.", wait)

    def record_failure(self, email: str, source_ip: str, now: datetime) -> None:
        """Count one failed sign-in for the address and the source IP."""
        expires_at = int(_window_end(now).timestamp()) + _KEEP_AFTER_WINDOW_SECONDS
        for counter in _counters(email, source_ip, now):
            self._counts.add_one(counter.key, expires_at)


def _window_start(now: datetime) -> int:
    seconds = int(WINDOW.total_seconds())
    return int(now.timestamp()) // seconds * seconds


def _window_end(now: datetime) -> datetime:
    return datetime.fromtimestamp(_window_start(now), now.tzinfo) + WINDOW


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _counters(email: str, source_ip: str, now: datetime) -> list[_Counter]:
    window = _window_start(now)
    counters = [
        _Counter(
            f"{_PREFIX}email#{_digest(email.strip().lower())}#{window}",
            "Too many failed sign-ins for this address",
        )
    ]
    if source_ip:
        counters.append(
            _Counter(
                f"{_PREFIX}ip#{_digest(source_ip)}#{window}", "Too many failed sign-ins from your network"
            )
        )
    return counters
