"""The local stack's clock: real time plus an offset that ``postdesk local advance`` moves. Every
process of the stack (the SMTP listener and ingest, the API, the schedule firer, the commands that
talk to it) reads the same file, named by POSTDESK_LOCAL_CLOCK_FILE, a variable only the local
stack sets: a deployed desk runs on real time."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from postdesk.clock import Clock, utc_now

CLOCK_FILE_VARIABLE = "POSTDESK_LOCAL_CLOCK_FILE"


def read_offset(offset_file: Path) -> float:
    """The offset in seconds (0 for a missing or unreadable file)."""
    try:
        return float(json.loads(offset_file.read_text(encoding="utf-8")).get("offset_seconds", 0))
    except (OSError, ValueError, AttributeError):
        return 0.0


def advance_clock(offset_file: Path, by: timedelta) -> float:
    """Move the stack's clock forward by ``by``; the new offset in seconds."""
    offset = read_offset(offset_file) + by.total_seconds()
    temporary = offset_file.with_suffix(".tmp")
    temporary.write_text(json.dumps({"offset_seconds": offset}), encoding="utf-8")
    temporary.replace(offset_file)
    return offset


def shifted_clock(offset_file: str | Path) -> Clock:
    """UTC now plus the offset in ``offset_file`` (``{"offset_seconds": 86400}``), read again
    whenever the file changes, so every process of the stack moves forward together."""
    path = Path(offset_file)
    cached: dict[str, float] = {}

    def now() -> datetime:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return utc_now()
        if cached.get("stamp") != stamp:
            cached.update(stamp=stamp, offset=read_offset(path))
        return utc_now() + timedelta(seconds=cached["offset"])

    return now


def local_clock() -> Clock | None:
    """The running local stack's clock when this process belongs to one (its environment names the
    clock file), else None."""
    named = os.environ.get(CLOCK_FILE_VARIABLE, "").strip()
    return shifted_clock(named) if named else None
