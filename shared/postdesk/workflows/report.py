"""How the desk is doing: volume, response and resolution times, SLA attainment, reopen rate,
satisfaction, work per agent, the use and outcomes of each saved reply, what each help-center article
did (suggested, opened, voted helpful, tickets it deflected), backlog by age and category surges, over
a span of days.

Read from the per-day figures (``tickets/stats.py``, one query per day) and from counts over the
status index (the backlog): no report reads or scans the tickets.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from postdesk.errors import Invalid
from postdesk.knowledge.figures import article_figures
from postdesk.knowledge.links import linked_slugs
from postdesk.knowledge.model import Article
from postdesk.replies.saved import SavedReply
from postdesk.sla.policy import Target
from postdesk.tickets.model import OPEN_STATUSES, Status
from postdesk.tickets.store import DayFigure, TicketStore

# A category is surging when today's volume is above the trailing mean plus this many standard
# deviations (and at least SURGE_MINIMUM: three mails after two quiet weeks are no surge).
SURGE_WINDOW_DAYS = 14
SURGE_DEVIATIONS = 3.0
SURGE_MINIMUM = 5
BACKLOG_AGES: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1d", timedelta(days=1)),
    ("1d_to_3d", timedelta(days=3)),
    ("3d_to_7d", timedelta(days=7)),
    ("over_7d", None),
)
MAX_DAYS = 366
_SINCE = re.compile(r"(\d{1,3})d")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidSpan(Invalid):
    """A report span that is not one: ``since`` not "7d" (days back) or a date, ``until`` not a date
    by today, ``since`` after ``until``, or more than ``MAX_DAYS`` days."""


@dataclass(frozen=True, slots=True)
class Span:
    """The report's days, both included, in the desk's time zone."""

    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]


def _day_of(name: str, text: str) -> date:
    # date.fromisoformat also takes "20261101" and "2026-W45-1": only the form the API documents.
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidSpan(f'{name}: a date such as "2026-11-01", not {text!r}')
    return day


def parse_span(since: str, until: str | None, today: date) -> Span:
    """The days from ``since`` to ``until`` (today when ``None``). ``since`` is ``"7d"`` (seven days
    ending with ``until``, which is included) or a date such as ``"2026-11-01"``; ``until`` is a date
    no later than ``today``; the span covers at most ``MAX_DAYS`` days."""
    last = today if until is None else _day_of("until", until.strip())
    if last > today:
        raise InvalidSpan(f"until: {last.isoformat()} is after today ({today.isoformat()})")
    text = since.strip()
    match = _SINCE.fullmatch(text)
    if match:
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise InvalidSpan(f"since: 1d to {MAX_DAYS}d, not {text}")
        return Span(last - timedelta(days=days - 1), last)
    if not _DAY.fullmatch(text):
        raise InvalidSpan(
            f'since: a number of days such as "7d", or a date such as "2026-11-01", not {text!r}'
        )
    first = _day_of("since", text)
    if first > last:
        after = "today" if until is None else "until"
        raise InvalidSpan(f"since: {first.isoformat()} is after {after} ({last.isoformat()})")
    if (last - first).days >= MAX_DAYS:
        raise InvalidSpan(
            f"a report covers at most {MAX_DAYS} days; {first.isoformat()} to {last.isoformat()} is "
            f"{(last - first).days + 1} days"
        )
    return Span(first, last)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.5 is the median as the higher middle value)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class Surge:
    category: str
    today: int
    mean: float
    deviation: float
    threshold: float


def _is_surge(count: int, trailing: Sequence[int]) -> tuple[bool, float, float, float]:
    mean = statistics.fmean(trailing)
    deviation = statistics.pstdev(trailing)
    threshold = mean + SURGE_DEVIATIONS * deviation
    return count > threshold and count >= SURGE_MINIMUM, mean, deviation, threshold


def surge_began(store: TicketStore, category: str, now: datetime, zone: str) -> Surge | None:
    """The surge of ``category`` if the ticket just counted today is the one that started it (so a
    surge is announced once a day, not with every ticket after it)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    days = [today - timedelta(days=back) for back in range(SURGE_WINDOW_DAYS, -1, -1)]
    counts = store.counts_of(f"created:category:{category}", days)
    trailing = [counts[day] for day in days[:-1]]
    count = counts[today]
    surging, mean, deviation, threshold = _is_surge(count, trailing)
    if not surging or _is_surge(count - 1, trailing)[0]:
        return None
    return Surge(category, count, round(mean, 2), round(deviation, 2), round(threshold, 2))


def surges(figures: Mapping[date, Mapping[str, DayFigure]], today: date) -> list[Surge]:
    """The categories whose volume today is far above their trailing 14-day normal."""
    prefix = "created:category:"
    todays = {
        key[len(prefix) :]: f.total for key, f in figures.get(today, {}).items() if key.startswith(prefix)
    }
    found = []
    for category, count in sorted(todays.items()):
        trailing = [
            figures.get(today - timedelta(days=back), {}).get(f"{prefix}{category}", DayFigure(0, [])).total
            for back in range(1, SURGE_WINDOW_DAYS + 1)
        ]
        surging, mean, deviation, threshold = _is_surge(count, trailing)
        if surging:
            found.append(Surge(category, count, round(mean, 2), round(deviation, 2), round(threshold, 2)))
    return found


def _durations(values: Sequence[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "median_seconds": percentile(values, 0.5),
        "p90_seconds": percentile(values, 0.9),
    }


def saved_reply_figures(
    totals: Mapping[str, int], saved_replies: Sequence[SavedReply], public_url: str = ""
) -> list[dict[str, Any]]:
    """Per saved reply: how often replies were taken from it, and of the tickets it was used on the
    resolutions and reopenings (the reopen rate) and the survey answers and satisfied ones (the share
    satisfied), most used first. Every saved reply there is, used or not (one never used is worth
    knowing about), and those deleted since that have figures in the span (title and language null).
    ``articles``: the slugs of the help-center articles (of the desk at ``public_url``) its body links
    to, as the saved-replies API answers them; none for a deleted one."""
    prefix = "saved:"
    counts: dict[str, Counter[str]] = {reply.id: Counter() for reply in saved_replies}
    for key, n in totals.items():
        if key.startswith(prefix) and n:
            saved_id, _, what = key[len(prefix) :].rpartition(":")
            counts.setdefault(saved_id, Counter())[what] += n
    known = {reply.id: reply for reply in saved_replies}
    rows = []
    for saved_id, of_reply in counts.items():
        reply = known.get(saved_id)
        rows.append(
            {
                "id": saved_id,
                "title": reply.title if reply else None,
                "language": reply.language if reply else None,
                "articles": linked_slugs(reply.body, public_url) if reply else [],
                "uses": of_reply["used"],
                "resolved": of_reply["resolved"],
                "reopened": of_reply["reopened"],
                "reopen_rate": _ratio(of_reply["reopened"], of_reply["resolved"]),
                "answers": of_reply["answered"],
                "satisfied": of_reply["satisfied"],
                "satisfied_share": _ratio(of_reply["satisfied"], of_reply["answered"]),
            }
        )
    return sorted(
        rows, key=lambda row: (-row["uses"], row["title"] is None, (row["title"] or "").casefold(), row["id"])
    )


# An article's figures, in the order the report shows them (tickets/stats.py, knowledge/figures.py).
ARTICLE_FIGURES = (
    "suggested",
    "linked",
    "opened",
    "opened_from_mail",
    "helpful",
    "not_helpful",
    "resolved",
    "deflected",
    "reopened",
    "answered",
    "low_rated",
)


def _article_row(slug: str, title: str | None, counts: Mapping[str, int]) -> dict[str, Any]:
    row: dict[str, Any] = {"slug": slug, "title": title}
    row.update({what: int(counts.get(what, 0)) for what in ARTICLE_FIGURES})
    row["helpful_share"] = _ratio(row["helpful"], row["helpful"] + row["not_helpful"])
    row["deflection_rate"] = _ratio(row["deflected"], row["suggested"])
    return row


def article_titles(articles: Iterable[Article]) -> dict[str, str]:
    """Each article's title in its original language (another translation's when that has none),
    by slug: what the report names the articles by."""
    titles: dict[str, str] = {}
    for article in articles:
        translation = article.translations.get(article.original) or next(
            iter(article.translations.values()), None
        )
        titles[article.slug] = translation.title if translation is not None else article.slug
    return titles


def knowledge_figures(totals: Mapping[str, int], article_titles: Mapping[str, str]) -> dict[str, Any]:
    """Per help-center article: how often acknowledgements suggested it and replies linked it, how
    often its page was opened (from a mail, too) and voted helpful or not (the helpful share), and of
    the tickets it was suggested on the resolutions, deflections (resolved with no agent's answer:
    the deflection rate is deflected / suggested), reopenings, survey answers and low ratings; most
    suggested first, then most opened. Every article ``article_titles`` names (slug to title), and
    those with figures in the span that it does not (deleted since: title null). Plus the totals."""
    by_slug = article_figures(dict(totals))
    for slug in article_titles:
        by_slug.setdefault(slug, {})
    rows = [_article_row(slug, article_titles.get(slug), counts) for slug, counts in by_slug.items()]
    rows.sort(key=lambda row: (-row["suggested"], -row["opened"], row["slug"]))
    summed = {what: sum(row[what] for row in rows) for what in ARTICLE_FIGURES}
    return {"articles": rows, "totals": _article_row("", None, summed) | {"slug": None}}


def build_report(
    store: TicketStore,
    now: datetime,
    since: date,
    zone: str,
    until: date | None = None,
    saved_replies: Sequence[SavedReply] = (),
    article_titles: Mapping[str, str] | None = None,
    public_url: str = "",
) -> dict[str, Any]:
    """The report of the days from ``since`` to ``until`` (today when ``None``; days in the desk's
    time zone ``zone``), as plain data; ``saved_replies`` name the saved replies (with the articles of
    the help center at ``public_url`` they link), ``article_titles`` the help-center articles (slug to
    title) whose figures it shows. The backlog and the surges are as
    of ``now`` whatever the span: they say how the desk stands, not how it did."""
    local_zone = ZoneInfo(zone)
    today = now.astimezone(local_zone).date()
    last = today if until is None else until
    days = Span(since, last).days
    window = [today - timedelta(days=back) for back in range(SURGE_WINDOW_DAYS, 0, -1)]
    figures = store.figures_of(sorted(set(days) | set(window) | {today}))
    totals: Counter[str] = Counter()
    values: dict[str, list[float]] = {"first_response": [], "resolution": []}
    by_day: dict[str, int] = {}
    by_day_category: dict[str, dict[str, int]] = {}
    durations_by_day: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in values}
    category_prefix = "created:category:"
    for day in days:
        of_day = figures.get(day, {})
        name_of_day = day.isoformat()
        by_day[name_of_day] = of_day["created"].total if "created" in of_day else 0
        by_day_category[name_of_day] = dict(
            sorted(
                (key[len(category_prefix) :], figure.total)
                for key, figure in of_day.items()
                if key.startswith(category_prefix) and figure.total
            )
        )
        for name, measured in values.items():
            of_day_values = of_day[name].values if name in of_day else []
            durations_by_day[name][name_of_day] = _durations(of_day_values)
            measured.extend(of_day_values)
        for key, figure in of_day.items():
            totals[key] += figure.total

    def dimension(name: str) -> dict[str, int]:
        prefix = f"created:{name}:"
        return dict(
            sorted((key[len(prefix) :], n) for key, n in totals.items() if key.startswith(prefix) and n)
        )

    agents: dict[str, dict[str, int]] = {}
    for key, n in sorted(totals.items()):
        if key.startswith("agent:") and n:
            _, email, what = key.split(":", 2)
            agents.setdefault(email, {"replies": 0, "resolutions": 0})[what] = n
    sla = {}
    for target in Target:
        met, missed = totals[f"sla:{target.value}:met"], totals[f"sla:{target.value}:missed"]
        sla[target.value] = {
            "met": met,
            "missed": missed,
            "attainment": _ratio(met, met + missed),
            "breaches": totals[f"sla:breached:{target.value}"],
        }
    sent, answered, satisfied = totals["survey:sent"], totals["survey:answered"], totals["survey:satisfied"]
    return {
        "since": since.isoformat(),
        "until": last.isoformat(),
        "timezone": zone,
        "volume": {
            "total": totals["created"],
            "by_day": by_day,
            "by_day_category": by_day_category,
            "by_category": dimension("category"),
            "by_language": dimension("language"),
            "by_queue": dimension("queue"),
        },
        "first_response": {
            **_durations(values["first_response"]),
            "by_day": durations_by_day["first_response"],
        },
        "resolution": {**_durations(values["resolution"]), "by_day": durations_by_day["resolution"]},
        "sla": sla,
        "reopen": {
            "resolved": totals["resolved"],
            "reopened": totals["reopened"],
            "rate": _ratio(totals["reopened"], totals["resolved"]),
        },
        "automation": {
            "reminders": totals["automation:reminders"],
            "auto_resolved": totals["automation:auto_resolved"],
            "auto_closed": totals["automation:auto_closed"],
            "reopened_after_auto_resolve": totals["automation:reopened"],
            "reopen_rate": _ratio(totals["automation:reopened"], totals["automation:auto_resolved"]),
        },
        # Notifications mailed to agents (each one of a digest counts), workflows/notify.py.
        "notifications": {"sent": totals["notifications:sent"]},
        "csat": {
            "surveys_sent": sent,
            "answers": answered,
            "satisfied": satisfied,
            "satisfied_share": _ratio(satisfied, answered),
            "response_rate": _ratio(answered, sent),
        },
        "agents": agents,
        "assignment": _assignment_figures(totals),
        "time_rules": _time_rule_figures(totals),
        "saved_replies": saved_reply_figures(totals, saved_replies, public_url),
        "knowledge": knowledge_figures(totals, article_titles or {}),
        "backlog": backlog_by_age(store, now),
        "surges": [asdict(surge) for surge in surges(figures, today)],
    }


def _assignment_figures(totals: Mapping[str, int]) -> dict[str, Any]:
    """Tickets the queues' rules assigned by themselves (by rule), and those they found nobody for."""
    prefix = "assigned:rule:"
    return {
        "automatic": totals["assigned:automatic"],
        "by_rule": dict(
            sorted((key[len(prefix) :], n) for key, n in totals.items() if key.startswith(prefix) and n)
        ),
        "nobody_available": totals["assigned:nobody"],
    }


def _time_rule_figures(totals: Mapping[str, int]) -> dict[str, Any]:
    """How often the time rules of the rules file applied, in all and by rule (workflows/time_rules.py)."""
    prefix = "time_rules:rule:"
    return {
        "applied": totals["time_rules:applied"],
        "by_rule": dict(
            sorted((key[len(prefix) :], n) for key, n in totals.items() if key.startswith(prefix) and n)
        ),
    }


def backlog_by_age(store: TicketStore, now: datetime) -> dict[str, int]:
    """Open tickets (new, open, pending, on-hold) by how long they have waited."""
    counts: dict[str, int] = {}
    newer_than: datetime | None = None
    for name, age in BACKLOG_AGES:
        older_than = now - age if age is not None else None
        counts[name] = sum(
            store.count_waiting(status, since=older_than, before=newer_than)
            for status in sorted(OPEN_STATUSES, key=list(Status).index)
        )
        newer_than = older_than
    return counts


def _knowledge_lines(knowledge: Mapping[str, Any], share: Callable[[float | None], str]) -> list[str]:
    """The help-center articles' part of the text report."""
    totals = knowledge["totals"]
    lines = [
        f"Help-center articles: suggested {totals['suggested']}, opened {totals['opened']} "
        f"({totals['opened_from_mail']} from a mail), {share(totals['helpful_share'])} helpful of "
        f"{totals['helpful'] + totals['not_helpful']} votes, {totals['deflected']} tickets resolved "
        f"without an agent's answer ({share(totals['deflection_rate'])} of suggestions)",
    ]
    for row in knowledge["articles"]:
        name = row["title"] if row["title"] is not None else f"(deleted) {row['slug']}"
        lines.append(
            f"  {name}: suggested {row['suggested']}, linked {row['linked']}, opened {row['opened']}, "
            f"{share(row['helpful_share'])} helpful, deflected {row['deflected']} "
            f"({share(row['deflection_rate'])}), reopened {row['reopened']}, rated low {row['low_rated']}"
        )
    return lines


def format_report(report: Mapping[str, Any]) -> str:
    """The report as text for a terminal."""

    def hours(seconds: float | None) -> str:
        return "-" if seconds is None else f"{seconds / 3600:.1f} h"

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.1f} %"

    volume = report["volume"]
    lines = [
        f"Postdesk report {report['since']} to {report['until']} ({report['timezone']})",
        "",
        f"Tickets: {volume['total']}",
        "  by day:      " + ", ".join(f"{day[5:]} {n}" for day, n in volume["by_day"].items()),
    ]
    for name in ("category", "language", "queue"):
        entries = volume[f"by_{name}"]
        lines.append(f"  by {name + ':':<10} " + (", ".join(f"{k} {n}" for k, n in entries.items()) or "-"))
    first, resolution = report["first_response"], report["resolution"]
    lines += [
        "",
        f"First response: median {hours(first['median_seconds'])}, 90th percentile"
        f" {hours(first['p90_seconds'])} ({first['count']} tickets)",
        f"Resolution:     median {hours(resolution['median_seconds'])}, 90th percentile"
        f" {hours(resolution['p90_seconds'])} ({resolution['count']} resolutions)",
        "",
        "SLA attainment:",
    ]
    for target, figures in report["sla"].items():
        lines.append(
            f"  {target.replace('_', ' '):<15} {share(figures['attainment'])} "
            f"({figures['met']} met, {figures['missed']} missed, {figures['breaches']} breaches flagged)"
        )
    reopen, csat = report["reopen"], report["csat"]
    lines += [
        "",
        f"Reopened: {reopen['reopened']} of {reopen['resolved']} resolutions ({share(reopen['rate'])})",
        f"Satisfaction: {share(csat['satisfied_share'])} satisfied of {csat['answers']} answers; "
        f"response rate {share(csat['response_rate'])} of {csat['surveys_sent']} surveys",
        "",
        "Agents:",
        *(
            [
                f"  {email}: {n['replies']} replies, {n['resolutions']} resolutions"
                for email, n in report["agents"].items()
            ]
            or ["  -"]
        ),
        "",
        "By the desk itself: "
        f"reminders sent {report['automation']['reminders']}, "
        f"resolved after no answer {report['automation']['auto_resolved']} "
        f"(reopened since {report['automation']['reopened_after_auto_resolve']}, "
        f"{share(report['automation']['reopen_rate'])}), "
        f"closed {report['automation']['auto_closed']}; "
        f"notifications mailed to agents {report['notifications']['sent']}",
        f"Assigned automatically: {report['assignment']['automatic']}"
        + "".join(f", {rule.replace('_', ' ')} {n}" for rule, n in report["assignment"]["by_rule"].items())
        + f"; nobody available {report['assignment']['nobody_available']}",
        "",
        f"Time rules applied: {report['time_rules']['applied']}"
        + "".join(f", \u201c{rule}\u201d {n}" for rule, n in report["time_rules"]["by_rule"].items()),
        "",
        "Saved replies:",
        *(
            [
                f"  {row['title'] if row['title'] is not None else '(deleted) ' + row['id']}: "
                f"{row['uses']} uses, {share(row['satisfied_share'])} satisfied of {row['answers']} "
                f"answers, {share(row['reopen_rate'])} reopened of {row['resolved']} resolutions"
                + (f"; links {', '.join(row['articles'])}" if row.get("articles") else "")
                for row in report["saved_replies"]
            ]
            or ["  -"]
        ),
        "",
        *_knowledge_lines(report["knowledge"], share),
        "",
        "Backlog by waiting time: "
        + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in report["backlog"].items()),
    ]
    if report["surges"]:
        lines += ["", "Surges today:"]
        lines += [
            f"  {s['category']}: {s['today']} tickets "
            f"(normal {s['mean']} ± {s['deviation']}, threshold {s['threshold']})"
            for s in report["surges"]
        ]
    return "\n".join(lines) + "\n"
