"""SLA policies: targets per priority (and per queue) for the first response, every next response and
the resolution, in business time of one calendar; read from one TOML file (``sla/policy.toml`` by
default, ``POSTDESK_SLA_POLICY`` for the operator's own) and validated, every error naming its entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

from postdesk.errors import ConfigurationError
from postdesk.sla.calendar import BusinessCalendar, InvalidCalendar, calendar_from_config
from postdesk.tickets.model import PRIORITIES, Status
from postdesk.tomlfile import read_toml

DEFAULT_POLICY_PATH: Final = Path(__file__).resolve().parent / "policy.toml"
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([dhm])")


class PolicyError(ConfigurationError):
    """The SLA policy file is unreadable or invalid; the message names the file and the entry."""


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class Targets:
    first_response: timedelta
    next_response: timedelta
    resolution: timedelta

    def of(self, target: Target) -> timedelta:
        duration: timedelta = getattr(self, target.value)
        return duration


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    calendar: BusinessCalendar
    # Priority to its targets.
    targets: Mapping[str, Targets]
    # Queue to priority to the targets that replace the desk's.
    queue_targets: Mapping[str, Mapping[str, Targets]] = field(default_factory=dict)
    business_day: timedelta = timedelta(hours=8)
    pause_resolution_in: frozenset[Status] = frozenset({Status.PENDING})
    warn_at: float = 0.75
    raise_priority: bool = True
    reassign_to: str | None = None
    # The view "Due soon": open work whose next SLA target falls due within this business time.
    due_soon: timedelta = timedelta(hours=4)

    def targets_for(self, priority: str, queue: str) -> Targets:
        """The targets of a ticket of ``priority`` in ``queue`` (an unknown priority counts as normal)."""
        by_priority = self.queue_targets.get(queue) or self.targets
        return (
            by_priority.get(priority)
            or self.targets.get(priority)
            or by_priority.get("normal")
            or self.targets["normal"]
        )


def parse_duration(text: object, business_day: timedelta, where: str) -> timedelta:
    """``"30m"``, ``"4h"``, ``"1d"`` (one business day), ``"1d 4h"``: a positive business duration."""
    if not isinstance(text, str) or not text.strip():
        raise PolicyError(f'{where}: a duration such as "4h", "30m" or "1d", not {text!r}')
    rest = _DURATION_PART.sub("", text).strip()
    parts = _DURATION_PART.findall(text)
    if rest or not parts:
        raise PolicyError(f'{where}: {text!r} is not a duration such as "4h", "30m" or "1d 4h"')
    unit = {"d": business_day, "h": timedelta(hours=1), "m": timedelta(minutes=1)}
    try:
        total = sum((float(amount) * unit[letter] for amount, letter in parts), timedelta())
    except OverflowError:
        raise PolicyError(f"{where}: {text!r} is longer than any target can be") from None
    if total <= timedelta():
        raise PolicyError(f"{where}: a target must be longer than zero")
    return total


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: must be a table")
    return value


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise PolicyError(
            f"{where}: unknown entries {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _targets(
    table: Mapping[str, Any], business_day: timedelta, where: str, base: Mapping[str, Targets] | None
) -> dict[str, Targets]:
    _only_keys(table, set(PRIORITIES), where)
    parsed: dict[str, Targets] = {}
    for priority in PRIORITIES:
        entries = _table(table.get(priority, {}), f"{where}.{priority}")
        _only_keys(entries, {t.value for t in Target}, f"{where}.{priority}")
        inherited = base.get(priority) if base is not None else None
        values: dict[str, timedelta] = {}
        for target in Target:
            if target.value in entries:
                values[target.value] = parse_duration(
                    entries[target.value], business_day, f"{where}.{priority}.{target.value}"
                )
            elif inherited is not None:
                values[target.value] = inherited.of(target)
            elif base is None:
                raise PolicyError(f"{where}.{priority}: {target.value} is missing")
        if len(values) == len(Target):
            parsed[priority] = Targets(**values)
    return parsed


def parse_policy(document: Mapping[str, Any], *, source: str = "<policy>") -> SlaPolicy:
    """Validate an already parsed policy document; PolicyError names the bad entry."""
    _only_keys(document, {"calendar", "clocks", "targets", "queues", "escalation", "views"}, source)
    try:
        calendar = calendar_from_config(_table(document.get("calendar", {}), f"{source}: [calendar]"))
    except InvalidCalendar as error:
        raise PolicyError(f"{source}: [calendar] {error}") from error
    clocks = _table(document.get("clocks", {}), f"{source}: [clocks]")
    _only_keys(clocks, {"business_day", "pause_resolution_in", "warn_at"}, f"{source}: [clocks]")
    business_day = parse_duration(
        clocks.get("business_day", "8h"), timedelta(hours=8), f"{source}: [clocks] business_day"
    )
    paused = clocks.get("pause_resolution_in", ["pending"])
    open_statuses = {status.value for status in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)}
    if not isinstance(paused, list) or not all(
        isinstance(value, str) and value in open_statuses for value in paused
    ):
        raise PolicyError(
            f"{source}: [clocks] pause_resolution_in: a list of {', '.join(sorted(open_statuses))}"
        )
    warn_at = clocks.get("warn_at", 0.75)
    if not isinstance(warn_at, (int, float)) or isinstance(warn_at, bool) or not 0 < warn_at < 1:
        raise PolicyError(f"{source}: [clocks] warn_at: a share between 0 and 1 (0.75 warns at 75 %)")
    targets = _targets(
        _table(document.get("targets", {}), f"{source}: [targets]"), business_day, f"{source}: targets", None
    )
    queue_targets: dict[str, dict[str, Targets]] = {}
    for queue, entry in _table(document.get("queues", {}), f"{source}: [queues]").items():
        where = f"{source}: queues.{queue}"
        table = _table(entry, where)
        _only_keys(table, {"targets"}, where)
        queue_targets[queue] = _targets(
            _table(table.get("targets", {}), where), business_day, f"{where}.targets", targets
        )
    escalation = _table(document.get("escalation", {}), f"{source}: [escalation]")
    _only_keys(escalation, {"raise_priority", "reassign_to"}, f"{source}: [escalation]")
    raise_priority = escalation.get("raise_priority", True)
    reassign_to = escalation.get("reassign_to", "")
    if not isinstance(raise_priority, bool):
        raise PolicyError(f"{source}: [escalation] raise_priority: true or false")
    if not isinstance(reassign_to, str) or (reassign_to and "@" not in reassign_to):
        raise PolicyError(f'{source}: [escalation] reassign_to: an agent\'s email address, or ""')
    views = _table(document.get("views", {}), f"{source}: [views]")
    _only_keys(views, {"due_soon"}, f"{source}: [views]")
    due_soon = parse_duration(views.get("due_soon", "4h"), business_day, f"{source}: [views] due_soon")
    return SlaPolicy(
        calendar=calendar,
        targets=targets,
        queue_targets=queue_targets,
        business_day=business_day,
        pause_resolution_in=frozenset(Status(value) for value in paused),
        warn_at=float(warn_at),
        raise_priority=raise_priority,
        reassign_to=reassign_to.strip().lower() or None,
        due_soon=due_soon,
    )


def load_policy(path: str | Path | None = None) -> SlaPolicy:
    """The policy in ``path`` (default: the shipped ``policy.toml``), validated; cached per path."""
    return _load_policy_cached(Path(path).resolve() if path is not None else DEFAULT_POLICY_PATH)


@cache
def _load_policy_cached(path: Path) -> SlaPolicy:
    document = read_toml(path, PolicyError, "the SLA policy")
    return parse_policy(document, source=str(path))
