"""Time in one form: timezone-aware UTC datetimes in code, fixed-width ISO strings in storage."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """``2026-11-25T12:00:00.000Z``: fixed width and UTC, so stored strings sort in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def shifted_clock(offset_file: str) -> Clock:
    """The local stack's clock: UTC now plus the offset ``postdesk local advance`` writes to
    ``offset_file`` (``{"offset_seconds": 86400}``), read again whenever the file changes, so every
    process of the stack moves forward together. A missing or unreadable file is no offset."""
    path = Path(offset_file)
    cached: dict[str, float] = {}

    def now() -> datetime:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return utc_now()
        if cached.get("stamp") != stamp:
            try:
                offset = float(json.loads(path.read_text(encoding="utf-8")).get("offset_seconds", 0))
            except (OSError, ValueError, AttributeError):
                offset = 0.0
            cached.update(stamp=stamp, offset=offset)
        return utc_now() + timedelta(seconds=cached["offset"])

    return now
