"""Per-day figures of the desk, folded from the events of the ticket log. Pure.

The store adds each event's figures to its day in the same transaction that writes the event, so
the figures are always exactly the fold of the log: an event written once is counted once, a retry
that finds its event written counts nothing. Days are the desk's local days (its calendar's zone).

Keys (``<figure>`` or ``<figure>:<dimension>:<value>``):

- ``created``, ``created:category:<c>``, ``created:language:<l>``, ``created:queue:<q>`` (quarantined
  tickets are not volume);
- ``first_response`` (durations: seconds from creation to the first human reply), ``resolution``
  (seconds from the start of the cycle to its resolution), ``resolved``, ``reopened``;
- ``sla:<target>:met``, ``sla:<target>:missed`` when a clock stops, ``sla:breached:<target>`` when a
  breach is recorded;
- ``notifications:sent`` (agents' notifications mailed, workflows/notify.py);
- ``automation:reminders``, ``automation:auto_resolved``, ``automation:auto_closed``,
  ``automation:reopened`` (a cycle the desk resolved by itself opened again);
- ``time_rules:applied`` and ``time_rules:rule:<name>`` (a time rule of the rules file applied);
- ``survey:sent``, ``survey:answered``, ``survey:satisfied`` (the latest rating is 4 or 5);
- ``agent:<email>:replies``, ``agent:<email>:resolutions``;
- ``assigned:automatic`` and ``assigned:rule:<rule>`` (a queue's rule assigned a ticket),
  ``assigned:nobody`` (it found nobody available; workflows/assignment.py);
- ``saved:<id>:used`` (a reply taken from that saved reply), and for every saved reply used on the
  ticket before the event: ``saved:<id>:resolved``, ``saved:<id>:reopened``, ``saved:<id>:answered``,
  ``saved:<id>:satisfied`` (the desk's own figures of the same names, counted again per saved reply).

Which saved replies were used on a ticket is the ticket's ``saved_replies``, which the store hands in
as they were before the write: itself the fold of the ``saved_reply_id`` of its ``agent_replied``
events, so the figures stay the fold of the log. A reply's own saved reply counts the resolution that
reply makes, not a reopening it makes (an agent reopening with a reply is no reopening after it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from postdesk.tickets.model import TicketEvent

SATISFIED_AT_LEAST = 4


@dataclass(slots=True)
class Delta:
    count: int = 0
    values: list[float] = field(default_factory=list)


def _day(event: TicketEvent, zone: ZoneInfo) -> date:
    return event.at.astimezone(zone).date()


def _is_agent(actor: str) -> bool:
    return "@" in actor


def _satisfied(rating: str | None) -> bool:
    return rating is not None and rating.isdigit() and int(rating) >= SATISFIED_AT_LEAST


def figures(event: TicketEvent) -> list[tuple[str, int, float | None]]:
    """The (key, count, duration) figures one event adds to its day."""
    detail = event.detail
    kind = event.kind
    if kind == "ticket_created":
        if detail.get("quarantined") == "true":
            return []
        return [
            ("created", 1, None),
            *(
                (f"created:{name}:{detail[name]}", 1, None)
                for name in ("category", "language", "queue")
                if detail.get(name)
            ),
        ]
    if kind in ("first_response", "next_response", "resolved"):
        target = "resolution" if kind == "resolved" else kind
        found: list[tuple[str, int, float | None]] = []
        if detail.get("met") in ("true", "false"):
            found.append((f"sla:{target}:{'met' if detail['met'] == 'true' else 'missed'}", 1, None))
        if kind == "first_response":
            found.append(("first_response", 1, float(detail["seconds"])))
        if kind == "resolved":
            found.append(("resolved", 1, None))
            found.append(("resolution", 0, float(detail["seconds"])))
            if _is_agent(event.actor):
                found.append((f"agent:{event.actor}:resolutions", 1, None))
        return found
    if kind == "agent_replied" and _is_agent(event.actor):
        saved = detail.get("saved_reply_id")
        return [
            (f"agent:{event.actor}:replies", 1, None),
            *([(f"saved:{saved}:used", 1, None)] if saved else []),
        ]
    if kind == "reopened":
        return [("reopened", 1, None)]
    if kind in ("assigned", "not_assigned") and event.actor == "automation":
        return _automatic_assignment_figures(kind, detail.get("rule", "unknown"))
    if kind in _AUTOMATION_FIGURES:
        return [(_AUTOMATION_FIGURES[kind], 1, None)]
    if kind == "rule_applied":
        # A time rule of the rules file applied (workflows/time_rules.py), by rule.
        return [
            ("time_rules:applied", 1, None),
            (f"time_rules:rule:{detail.get('rule', 'unknown')}", 1, None),
        ]
    if kind == "sla_breached":
        return [(f"sla:breached:{detail.get('target', 'unknown')}", 1, None)]
    if kind == "survey_sent":
        return [("survey:sent", 1, None)]
    if kind == "agent_notified":
        # One event per agent, mail and ticket; it carries each notification's kind.
        kinds = [name for name in detail.get("kinds", "").split(",") if name]
        return [("notifications:sent", len(kinds), None)] if kinds else []
    if kind == "survey_answered":
        return [
            ("survey:answered", 1, None),
            *([("survey:satisfied", 1, None)] if _satisfied(detail.get("rating")) else []),
        ]
    if kind == "survey_rating_changed":
        change = int(_satisfied(detail.get("rating"))) - int(_satisfied(detail.get("from")))
        return [("survey:satisfied", change, None)] if change else []
    return []


def _automatic_assignment_figures(kind: str, rule: str) -> list[tuple[str, int, float | None]]:
    """A queue's rule assigned a ticket (by rule), or found nobody available."""
    if kind == "assigned":
        return [("assigned:automatic", 1, None), (f"assigned:rule:{rule}", 1, None)]
    return [("assigned:nobody", 1, None)]


# What the desk did by itself (workflows/lifecycle.py), and the reopens of what it resolved.
_AUTOMATION_FIGURES = {
    "reminder_sent": "automation:reminders",
    "auto_resolved": "automation:auto_resolved",
    "auto_closed": "automation:auto_closed",
    "auto_resolve_reopened": "automation:reopened",
}


# The desk's figures that each saved reply used on the ticket counts too, and their names there.
_SAVED_REPLY_OUTCOMES = {
    "resolved": "resolved",
    "reopened": "reopened",
    "survey:answered": "answered",
    "survey:satisfied": "satisfied",
}


def saved_reply_figures(
    event: TicketEvent, saved_replies: Collection[str]
) -> list[tuple[str, int, float | None]]:
    """The (key, count, duration) figures ``event`` adds to the saved replies used on its ticket."""
    return [
        (f"saved:{saved}:{_SAVED_REPLY_OUTCOMES[key]}", count, None)
        for key, count, _ in figures(event)
        if key in _SAVED_REPLY_OUTCOMES and count
        for saved in sorted(saved_replies)
    ]


def stat_deltas(
    events: Iterable[TicketEvent], zone: ZoneInfo, saved_replies: Collection[str] = ()
) -> dict[tuple[str, str], Delta]:
    """What ``events`` add, by (local day, key). ``saved_replies``: those used on the events'
    ticket before them (a write's events belong to one ticket); a reply among the events adds its own
    for the events after it, but a reopening counts only those used before."""
    deltas: dict[tuple[str, str], Delta] = defaultdict(Delta)
    used = set(saved_replies)
    for event in events:
        day = _day(event, zone).isoformat()
        if event.kind == "agent_replied" and event.detail.get("saved_reply_id"):
            used.add(event.detail["saved_reply_id"])
        counted = saved_replies if event.kind == "reopened" else used
        for key, count, value in [*figures(event), *saved_reply_figures(event, counted)]:
            delta = deltas[(day, key)]
            delta.count += count
            if value is not None:
                delta.values.append(value)
    return dict(deltas)
