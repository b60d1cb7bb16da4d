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

- ``article:<slug>:suggested`` (an acknowledgement suggested the help-center article: its
  ``ack_sent`` event's ``articles``), ``article:<slug>:linked`` (an agent's reply linked it: its
  ``agent_replied`` event's ``articles``); for every article suggested on the ticket before the event:
  ``article:<slug>:resolved``, ``article:<slug>:deflected`` (its first resolution, while no agent ever
  answered the ticket), ``article:<slug>:reopened``, ``article:<slug>:answered`` (a survey answer) and
  ``article:<slug>:low_rated`` (the latest rating is 1 or 2); and, counted by the help center with no
  event (knowledge/figures.py), ``article:<slug>:opened``, ``article:<slug>:opened_from_mail``,
  ``article:<slug>:helpful``, ``article:<slug>:not_helpful``.

Which saved replies were used on a ticket is the ticket's ``saved_replies``, which the store hands in
as they were before the write: itself the fold of the ``saved_reply_id`` of its ``agent_replied``
events, so the figures stay the fold of the log. A reply's own saved reply counts the resolution that
reply makes, not a reopening it makes (an agent reopening with a reply is no reopening after it).
Likewise the articles suggested on a ticket are its ``suggested_articles`` (those its
acknowledgement links, written with the new ticket), and whether an agent ever answered it is its
``first_response_at`` (set by the first human reply), both as they were before the write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from postdesk.tickets.model import TicketEvent

SATISFIED_AT_LEAST = 4
# A rating this low, after an article was suggested, says the article did not help (knowledge/freshness.py).
LOW_RATING_AT_MOST = 2


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


def _low(rating: str | None) -> bool:
    return rating is not None and rating.isdigit() and int(rating) <= LOW_RATING_AT_MOST


def article_slugs(text: str | None) -> list[str]:
    """The article slugs an event's ``articles`` detail names (comma-separated), in order, once each."""
    return list(dict.fromkeys(slug.strip() for slug in (text or "").split(",") if slug.strip()))


def _article_figures(slugs: str | None, what: str) -> list[tuple[str, int, float | None]]:
    return [(f"article:{slug}:{what}", 1, None) for slug in article_slugs(slugs)]


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
            *_article_figures(detail.get("articles"), "linked"),
        ]
    if kind == "ack_sent":
        return _article_figures(detail.get("articles"), "suggested")
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


def suggested_article_figures(
    event: TicketEvent, suggested: Collection[str], answered_by_agent: bool
) -> list[tuple[str, int, float | None]]:
    """The (key, count, duration) figures ``event`` adds to the articles suggested on its ticket
    (``answered_by_agent``: an agent replied to the ticket before the event, ever)."""
    if not suggested:
        return []
    outcomes: list[str] = []
    change = 0
    if event.kind == "resolved":
        # A ticket is deflected once: its first resolution, with no agent's reply ever (one resolved
        # again after a reopening was no deflection the first time either).
        first = event.detail.get("cycle", "1") == "1"
        outcomes = ["resolved"] if answered_by_agent or not first else ["resolved", "deflected"]
    elif event.kind == "reopened":
        outcomes = ["reopened"]
    elif event.kind == "survey_answered":
        outcomes = ["answered", *(["low_rated"] if _low(event.detail.get("rating")) else [])]
    elif event.kind == "survey_rating_changed":
        change = int(_low(event.detail.get("rating"))) - int(_low(event.detail.get("from")))
    found: list[tuple[str, int, float | None]] = [
        (f"article:{slug}:{what}", 1, None) for what in outcomes for slug in sorted(suggested)
    ]
    if change:
        found += [(f"article:{slug}:low_rated", change, None) for slug in sorted(suggested)]
    return found


def stat_deltas(
    events: Iterable[TicketEvent],
    zone: ZoneInfo,
    saved_replies: Collection[str] = (),
    suggested_articles: Collection[str] = (),
    answered_by_agent: bool = False,
) -> dict[tuple[str, str], Delta]:
    """What ``events`` add, by (local day, key). ``saved_replies``: those used on the events'
    ticket before them (a write's events belong to one ticket); a reply among the events adds its own
    for the events after it, but a reopening counts only those used before. ``suggested_articles``
    and ``answered_by_agent``: the articles suggested on the ticket before the events and whether an
    agent had answered it; an acknowledgement or an agent's reply among the events counts for those
    after it."""
    deltas: dict[tuple[str, str], Delta] = defaultdict(Delta)
    used = set(saved_replies)
    suggested = set(suggested_articles)
    answered = answered_by_agent
    for event in events:
        day = _day(event, zone).isoformat()
        if event.kind == "agent_replied" and event.detail.get("saved_reply_id"):
            used.add(event.detail["saved_reply_id"])
        if event.kind == "agent_replied" and _is_agent(event.actor):
            answered = True
        if event.kind == "ack_sent":
            suggested.update(article_slugs(event.detail.get("articles")))
        counted = saved_replies if event.kind == "reopened" else used
        for key, count, value in [
            *figures(event),
            *saved_reply_figures(event, counted),
            *suggested_article_figures(event, suggested, answered),
        ]:
            delta = deltas[(day, key)]
            delta.count += count
            if value is not None:
                delta.values.append(value)
    return dict(deltas)
