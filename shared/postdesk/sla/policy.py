"""SLA policies: targets per priority (and per queue) for the first response, every next response and
the resolution, in business time of one calendar; read from one TOML file (``sla/policy.toml`` by
default, ``POSTDESK_SLA_POLICY`` for the operator's own) and validated, every error naming its entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from functools import cache, partial
from pathlib import Path
from typing import Any, Final

from postdesk.errors import ConfigurationError
from postdesk.sla.calendar import BusinessCalendar, InvalidCalendar, calendar_from_config
from postdesk.tickets.model import PRIORITIES, Status
from postdesk.tomlfile import as_table, only_keys, read_toml

DEFAULT_POLICY_PATH: Final = Path(__file__).resolve().parent / "policy.toml"
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([dhm])")


class PolicyError(ConfigurationError):
    """The SLA policy file is unreadable or invalid; the message names the file and the entry."""


# The checks of the desk's TOML files, raising this file's error in its words ("unknown entries").
_table = partial(as_table, error=PolicyError)
_only_keys = partial(only_keys, error=PolicyError, keys_called="entries")


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
class Automation:
    """What the desk does by itself with a queue's tickets as time passes (workflows/lifecycle.py):
    a ticket pending on the customer is reminded after ``remind_after`` of business time and resolved
    ``resolve_after`` after the reminder; a resolved ticket is closed ``close_after`` (calendar time)
    after its resolution, which starts its retention. ``source`` names where the values came from
    (``[automation]`` or ``queues.<queue>.automation``), so the ticket's history can say which."""

    pending_reminders: bool = True
    remind_after: timedelta = timedelta(hours=24)
    resolve_after: timedelta = timedelta(hours=32)
    close_resolved: bool = True
    close_after: timedelta = timedelta(days=7)
    source: str = "[automation]"


class AssignmentRule(StrEnum):
    """How a queue's new and reopened tickets find an agent (workflows/assignment.py)."""

    NONE = "none"
    ROUND_ROBIN = "round_robin"
    FEWEST_OPEN = "fewest_open"


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
    # The desk's automation, and the queues' own (every entry a queue leaves out is the desk's).
    automation: Automation = field(default_factory=Automation)
    queue_automation: Mapping[str, Automation] = field(default_factory=dict)

    # Queue to its automatic assignment; a queue not named here assigns nothing by itself.
    queue_assignment: Mapping[str, AssignmentRule] = field(default_factory=dict)

    def assignment_for(self, queue: str) -> AssignmentRule:
        """How tickets of ``queue`` are assigned by themselves (none: agents take them)."""
        return self.queue_assignment.get(queue, AssignmentRule.NONE)

    def automation_for(self, queue: str) -> Automation:
        """What the desk does by itself with the tickets of ``queue``."""
        return self.queue_automation.get(queue, self.automation)

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


_AUTOMATION_KEYS: Final = {
    "pending_reminders",
    "remind_after",
    "resolve_after",
    "close_resolved",
    "close_after_days",
}


def _automation(
    table: Mapping[str, Any], business_day: timedelta, where: str, base: Automation
) -> Automation:
    """The ``[automation]`` table (or a queue's), over ``base`` for whatever it leaves out."""
    _only_keys(table, _AUTOMATION_KEYS, where)
    values: dict[str, Any] = {}
    for name in ("pending_reminders", "close_resolved"):
        if name in table:
            if not isinstance(table[name], bool):
                raise PolicyError(f"{where} {name}: true or false")
            values[name] = table[name]
    for name in ("remind_after", "resolve_after"):
        if name in table:
            values[name] = parse_duration(table[name], business_day, f"{where} {name}")
    if "close_after_days" in table:
        days = table["close_after_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            raise PolicyError(f"{where} close_after_days: a whole number of days from 1 to 365")
        values["close_after"] = timedelta(days=days)
    label = where.rsplit(": ", 1)[-1]
    return replace(base, **values, source=label)


def _assignment(value: object, where: str) -> AssignmentRule:
    rules = ", ".join(f'"{rule.value}"' for rule in AssignmentRule)
    if not isinstance(value, str) or value not in {rule.value for rule in AssignmentRule}:
        raise PolicyError(f"{where}: one of {rules}, not {value!r}")
    return AssignmentRule(value)


def parse_policy(document: Mapping[str, Any], *, source: str = "<policy>") -> SlaPolicy:
    """Validate an already parsed policy document; PolicyError names the bad entry."""
    _only_keys(
        document, {"calendar", "clocks", "targets", "queues", "escalation", "views", "automation"}, source
    )
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
    automation = _automation(
        _table(document.get("automation", {}), f"{source}: [automation]"),
        business_day,
        f"{source}: [automation]",
        Automation(remind_after=3 * business_day, resolve_after=4 * business_day),
    )
    queue_targets: dict[str, dict[str, Targets]] = {}
    queue_automation: dict[str, Automation] = {}
    queue_assignment: dict[str, AssignmentRule] = {}
    for queue, entry in _table(document.get("queues", {}), f"{source}: [queues]").items():
        where = f"{source}: queues.{queue}"
        table = _table(entry, where)
        _only_keys(table, {"targets", "automation", "assignment"}, where)
        if "assignment" in table:
            queue_assignment[queue] = _assignment(table["assignment"], f"{where}.assignment")
        if "targets" in table:
            queue_targets[queue] = _targets(
                _table(table["targets"], where), business_day, f"{where}.targets", targets
            )
        if "automation" in table:
            where_automation = f"{where}.automation"
            queue_automation[queue] = _automation(
                _table(table["automation"], where_automation), business_day, where_automation, automation
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
        automation=automation,
        queue_automation=queue_automation,
        queue_assignment=queue_assignment,
    )


def load_policy(path: str | Path | None = None) -> SlaPolicy:
    """The policy in ``path`` (default: the shipped ``policy.toml``), validated; cached per path."""
    return _load_policy_cached(Path(path).resolve() if path is not None else DEFAULT_POLICY_PATH)


@cache
def _load_policy_cached(path: Path) -> SlaPolicy:
    document = read_toml(path, PolicyError, "the SLA policy")
    return parse_policy(document, source=str(path))
