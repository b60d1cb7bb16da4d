"""Time rules: the ``[[time_rule]]`` entries of the operators' rules file (triage/rules.toml). Each says
what the desk does by itself with a ticket nobody has touched for a number of business hours: which
tickets (status, queue, priority, tags) and what then (set fields, add tags, notify, send a saved
reply, resolve). Pure: parsing, validation (every error names the rule and the field), whether a
ticket matches, and when a rule falls due; workflows/time_rules.py acts on them.

Idle time counts business hours (the SLA policy's calendar) since the ticket's last activity: a
message of the customer, a reply, a note or a change by an agent. What rules do themselves is no
activity, so a rule applies at most once per idle period and never sets itself off again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from postdesk.clock import to_iso
from postdesk.sla.calendar import BusinessCalendar
from postdesk.tickets.model import OPEN_STATUSES, PRIORITIES, Status, Ticket
from postdesk.tomlfile import as_strings, as_table, only_keys
from postdesk.triage.rules import RulesError

MAX_TIME_RULES = 50
# Ten weeks of 40 business hours: a longer wait is retention's business, not a rule's.
MAX_IDLE_BUSINESS_HOURS = 400
# Who a rule may notify besides agents' addresses: the ticket's assignee, the queue's team address.
NOTIFY_ASSIGNEE = "assignee"
NOTIFY_QUEUE = "queue"
MAX_NOTIFY = 10

_RULE_KEYS = frozenset({"name", "when", "then"})
_WHEN_KEYS = frozenset(
    {"status", "queue", "priority", "tags_all", "tags_any", "tags_none", "idle_business_hours"}
)
_THEN_KEYS = frozenset({"add_tag", "set", "notify", "saved_reply", "resolve"})
_SET_KEYS = frozenset({"priority", "status", "queue", "assignee"})
# A rule never touches a closed ticket (it is done and waits for its retention).
_CONDITION_STATUSES = (*sorted(status.value for status in OPEN_STATUSES), Status.RESOLVED.value)
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NAME_LIMIT = 80


class TimeRuleError(RulesError):
    """A ``[[time_rule]]`` cannot be used; the message names the file, the rule and the field."""


# The checks of the desk's TOML files, raising this module's error.
_table = partial(as_table, error=TimeRuleError)
_strings = partial(as_strings, error=TimeRuleError)
_only_keys = partial(only_keys, error=TimeRuleError)


@dataclass(frozen=True, slots=True)
class TimeRuleActions:
    """What a rule does, in this order: fields and tags, the saved reply (it carries the status when
    the rule also resolves or sets one), the notices."""

    add_tags: tuple[str, ...] = ()
    priority: str | None = None
    status: Status | None = None
    queue: str | None = None
    # Assigning is the one field where "nobody" is a value ("" in the file).
    assignee_set: bool = False
    assignee: str | None = None
    # ``assignee``, ``queue`` or agents' addresses.
    notify: tuple[str, ...] = ()
    # A saved reply's id or title (looked up when the rule fires: replies change after the file).
    saved_reply: str | None = None


@dataclass(frozen=True, slots=True)
class TimeRule:
    """One ``[[time_rule]]``: every condition given must hold; an absent list matches anything
    (an absent status list: any open status)."""

    name: str
    idle: timedelta
    statuses: frozenset[Status]
    queues: frozenset[str]
    priorities: frozenset[str]
    tags_all: frozenset[str]
    tags_any: frozenset[str]
    tags_none: frozenset[str]
    actions: TimeRuleActions

    def matches(self, ticket: Ticket) -> bool:
        """Whether the ticket is one the rule is about (all but the idle time)."""
        tags = set(ticket.tags)
        return (
            ticket.status in self.statuses
            and not ticket.quarantine
            and ticket.merged_into is None
            and (not self.queues or ticket.queue in self.queues)
            and (not self.priorities or ticket.priority in self.priorities)
            and self.tags_all <= tags
            and (not self.tags_any or bool(self.tags_any & tags))
            and not self.tags_none & tags
        )

    def due_at(self, activity: datetime, calendar: BusinessCalendar) -> datetime:
        """When the ticket has been idle long enough: ``idle`` business time after ``activity``."""
        return calendar.add(activity, self.idle)


def last_activity(ticket: Ticket) -> datetime:
    """When a person last acted on the ticket, as far as the ticket itself knows (notes are in its
    thread only; the engine looks there when a timer fires)."""
    return ticket.active_at or ticket.updated_at


def applied_mark(rule: TimeRule, activity: datetime) -> str:
    """The ticket's record that ``rule`` applied in the idle period that began at ``activity``."""
    return f"{to_iso(activity)} {rule.name}"


def already_applied(ticket: Ticket, rule: TimeRule, activity: datetime) -> bool:
    return applied_mark(rule, activity) in ticket.rules_applied


def marks_after(ticket: Ticket, rule: TimeRule, activity: datetime) -> tuple[str, ...]:
    """The ticket's marks once ``rule`` applied: those of earlier idle periods are dropped."""
    prefix = f"{to_iso(activity)} "
    kept = [mark for mark in ticket.rules_applied if mark.startswith(prefix)]
    return tuple(sorted({*kept, applied_mark(rule, activity)}))


def pending_rules(
    ticket: Ticket, rules: Iterable[TimeRule], activity: datetime, calendar: BusinessCalendar
) -> list[tuple[datetime, TimeRule]]:
    """The rules the ticket matches and that have not applied in this idle period, with when each
    falls due, earliest first (file order among equals)."""
    waiting = [
        (rule.due_at(activity, calendar), index, rule)
        for index, rule in enumerate(rules)
        if rule.matches(ticket) and not already_applied(ticket, rule, activity)
    ]
    return [(due, rule) for due, _, rule in sorted(waiting, key=lambda entry: (entry[0], entry[1]))]


def next_due(ticket: Ticket, rules: Iterable[TimeRule], calendar: BusinessCalendar) -> datetime | None:
    """The earliest moment a rule falls due for the ticket as it is, or None."""
    pending = pending_rules(ticket, rules, last_activity(ticket), calendar)
    return pending[0][0] if pending else None


def parse_time_rules(entries: object, known_queues: Iterable[str], source: str) -> tuple[TimeRule, ...]:
    """Validate the ``[[time_rule]]`` array; TimeRuleError names the rule and the field."""
    if not isinstance(entries, list):
        raise TimeRuleError(f"{source}: [[time_rule]] must be an array of tables")
    if len(entries) > MAX_TIME_RULES:
        raise TimeRuleError(
            f"{source}: [[time_rule]] at most {MAX_TIME_RULES} time rules, the file has {len(entries)}"
        )
    queues = frozenset(known_queues)
    rules = tuple(
        _time_rule(entry, queues, f"{source}: [[time_rule]] #{index + 1}")
        for index, entry in enumerate(entries)
    )
    names = [rule.name.casefold() for rule in rules]
    repeated = sorted({rule.name for rule in rules if names.count(rule.name.casefold()) > 1})
    if repeated:
        raise TimeRuleError(
            f"{source}: [[time_rule]] names must be unique (history and reports name rules by them); "
            f"repeated: {', '.join(repeated)}"
        )
    return rules


def _time_rule(entry: object, queues: frozenset[str], where: str) -> TimeRule:
    table = _table(entry, where)
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise TimeRuleError(f"{where}: needs a non-empty name")
    if len(name.strip()) > _NAME_LIMIT or any(not char.isprintable() for char in name):
        raise TimeRuleError(f"{where} name: one line of at most {_NAME_LIMIT} characters")
    name = name.strip()
    where = f'{where} "{name}"'
    _only_keys(table, _RULE_KEYS, where)
    when = _table(table.get("when"), f"{where} when")
    _only_keys(when, _WHEN_KEYS, f"{where} when")
    then = _table(table.get("then"), f"{where} then")
    _only_keys(then, _THEN_KEYS, f"{where} then")
    statuses = _choices(when, "status", _CONDITION_STATUSES, where)
    return TimeRule(
        name=name,
        idle=_idle(when.get("idle_business_hours"), f"{where} when.idle_business_hours"),
        statuses=frozenset(Status(value) for value in statuses) if statuses else OPEN_STATUSES,
        queues=_choices(when, "queue", sorted(queues), where),
        priorities=_choices(when, "priority", PRIORITIES, where),
        tags_all=frozenset(_slugs(when.get("tags_all", []), f"{where} when.tags_all")),
        tags_any=frozenset(_slugs(when.get("tags_any", []), f"{where} when.tags_any")),
        tags_none=frozenset(_slugs(when.get("tags_none", []), f"{where} when.tags_none")),
        actions=_actions(then, queues, where),
    )


def _actions(then: Mapping[str, Any], queues: frozenset[str], where: str) -> TimeRuleActions:
    tags_value = then.get("add_tag", [])
    add_tags = _slugs([tags_value] if isinstance(tags_value, str) else tags_value, f"{where} then.add_tag")
    fields = _table(then.get("set", {}), f"{where} then.set")
    _only_keys(fields, _SET_KEYS, f"{where} then.set")
    priority = _one_of(fields, "priority", PRIORITIES, f"{where} then.set.priority")
    status_value = _one_of(fields, "status", [status.value for status in Status], f"{where} then.set.status")
    queue = _one_of(fields, "queue", sorted(queues), f"{where} then.set.queue")
    resolve = then.get("resolve", False)
    if not isinstance(resolve, bool):
        raise TimeRuleError(f"{where} then.resolve: true or false, not {resolve!r}")
    if resolve and status_value is not None:
        raise TimeRuleError(f"{where} then: resolve = true and set.status say two statuses; keep one")
    status = Status.RESOLVED if resolve else Status(status_value) if status_value else None
    assignee_set = "assignee" in fields
    assignee = fields.get("assignee")
    if assignee_set and (not isinstance(assignee, str) or (assignee and not _ADDRESS.fullmatch(assignee))):
        raise TimeRuleError(
            f'{where} then.set.assignee: an agent\'s email address, or "" for nobody; not {assignee!r}'
        )
    notify = tuple(dict.fromkeys(_notify(then.get("notify", []), f"{where} then.notify")))
    saved_reply = then.get("saved_reply")
    if saved_reply is not None and (not isinstance(saved_reply, str) or not saved_reply.strip()):
        raise TimeRuleError(f"{where} then.saved_reply: a saved reply's id or title")
    actions = TimeRuleActions(
        add_tags=tuple(dict.fromkeys(add_tags)),
        priority=priority,
        status=status,
        queue=queue,
        assignee_set=assignee_set,
        assignee=(assignee or "").strip().lower() or None,
        notify=notify,
        saved_reply=saved_reply.strip() if isinstance(saved_reply, str) else None,
    )
    if actions == TimeRuleActions():
        raise TimeRuleError(
            f"{where} then: needs at least one action (add_tag, set, notify, saved_reply, resolve = true)"
        )
    return actions


def _notify(value: object, where: str) -> list[str]:
    targets = _strings(value, where)
    if len(targets) > MAX_NOTIFY:
        raise TimeRuleError(f"{where}: at most {MAX_NOTIFY} recipients")
    checked = []
    for target in targets:
        target = target.strip().lower()
        if target not in (NOTIFY_ASSIGNEE, NOTIFY_QUEUE) and not _ADDRESS.fullmatch(target):
            raise TimeRuleError(
                f'{where}: {target!r} is not "{NOTIFY_ASSIGNEE}", "{NOTIFY_QUEUE}" or an agent\'s address'
            )
        checked.append(target)
    return checked


def _idle(value: object, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TimeRuleError(f"{where}: the business hours a ticket is idle before the rule applies, e.g. 4")
    if not 0 < value <= MAX_IDLE_BUSINESS_HOURS:
        raise TimeRuleError(
            f"{where}: must be more than 0 and at most {MAX_IDLE_BUSINESS_HOURS}, not {value}"
        )
    return timedelta(hours=float(value))


def _choices(when: Mapping[str, Any], key: str, allowed: Iterable[str], where: str) -> frozenset[str]:
    values = frozenset(_strings(when.get(key, []), f"{where} when.{key}"))
    known = list(allowed)
    unknown = sorted(values - set(known))
    if unknown:
        raise TimeRuleError(f"{where} when.{key}: {', '.join(unknown)} not among {', '.join(known)}")
    return values


def _one_of(fields: Mapping[str, Any], key: str, allowed: Iterable[str], where: str) -> str | None:
    if key not in fields:
        return None
    value = fields[key]
    known = list(allowed)
    if value not in known:
        raise TimeRuleError(f"{where}: {value!r} is not one of {', '.join(known)}")
    return str(value)


def _slugs(value: object, where: str) -> list[str]:
    tags = [tag.strip().lower() for tag in _strings(value, where)]
    for tag in tags:
        if not _SLUG.fullmatch(tag):
            raise TimeRuleError(f"{where}: {tag!r} is not a tag (lower-case letters, digits, - or _)")
    return tags
