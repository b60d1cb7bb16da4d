"""The help center's figures of each article, in the per-day figures of the desk (the StatsTable,
tickets/stats.py) under ``article:<slug>:<what>``: pages opened (and opened from a link in a mail)
and the answers to "Was this helpful?". No ticket event stands behind these, so they are added here
directly, one atomic ADD each; and the figures of every article over recent days, read back for the
freshness flags and the article list (the ticket-side figures of the same articles are there too)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from postdesk.errors import Invalid
from postdesk.knowledge.model import validate_slug
from postdesk.settings import Settings
from postdesk.tickets.dynamo import StatItem, bind_model

# What the help center counts (the rest of an article's figures come from the ticket log).
HELP_CENTER_FIGURES = frozenset({"opened", "opened_from_mail", "helpful", "not_helpful"})
# The freshness flags and the article list look this far back.
RECENT_DAYS = 30
ARTICLE_PREFIX = "article:"


def article_figures(totals: dict[str, int] | Counter[str]) -> dict[str, dict[str, int]]:
    """``article:<slug>:<what>`` totals as ``{slug: {what: count}}`` (other figures left out)."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for key, count in totals.items():
        if key.startswith(ARTICLE_PREFIX) and count:
            slug, _, what = key[len(ARTICLE_PREFIX) :].rpartition(":")
            if slug:
                found[slug][what] = found[slug].get(what, 0) + count
    return dict(found)


class KnowledgeFigures:
    """The articles' figures in the desk's StatsTable; days are the desk's local days (``zone``)."""

    def __init__(self, stats_table: str, region: str, zone: str) -> None:
        self._table = stats_table
        self._region = region
        self._zone = ZoneInfo(zone)

    @property
    def zone(self) -> ZoneInfo:
        """The desk's time zone, whose days the figures count."""
        return self._zone

    def _bound(self) -> None:
        # The ticket store binds the same model: point it at this desk's table before each use (a
        # comparison when it already is), as containers keep this object across requests.
        bind_model(StatItem, self._table, self._region)

    def record(self, slug: str, what: str, now: datetime) -> None:
        """Count one ``what`` (one of :data:`HELP_CENTER_FIGURES`) of the article ``slug`` on the
        desk's day of ``now``."""
        if what not in HELP_CENTER_FIGURES:
            raise Invalid(f"{what!r} is not a help-center figure ({', '.join(sorted(HELP_CENTER_FIGURES))})")
        day = now.astimezone(self._zone).date().isoformat()
        key = f"{ARTICLE_PREFIX}{validate_slug(slug)}:{what}"
        self._bound()
        StatItem(day=day, key=key).update(actions=[StatItem.total.add(1)])

    def totals(self, days: list[date]) -> dict[str, dict[str, int]]:
        """Every article's figures summed over ``days``: ``{slug: {what: count}}`` (one query per
        day, of the article figures only)."""
        self._bound()
        totals: Counter[str] = Counter()
        for day in days:
            for item in StatItem.query(
                day.isoformat(), StatItem.key.startswith(ARTICLE_PREFIX), consistent_read=True
            ):
                totals[item.key] += int(item.total or 0)
        return article_figures(totals)

    def recent(self, today: date, days: int = RECENT_DAYS) -> dict[str, dict[str, int]]:
        """Every article's figures of the ``days`` days ending with ``today`` (included)."""
        return self.totals([today - timedelta(days=back) for back in range(days)])


def desk_figures(settings: Settings) -> KnowledgeFigures:
    """The articles' figures of the desk ``settings`` describe, one per container (and per desk, for
    the tests that make several); its days are the desk's, in the zone of the SLA policy's calendar."""
    return _figures_of(settings.tables.stats, settings.region, settings.sla_policy_path)


@cache
def _figures_of(table: str, region: str, policy_path: str | None) -> KnowledgeFigures:
    from postdesk.sla.policy import load_policy

    return KnowledgeFigures(table, region, load_policy(policy_path).calendar.timezone)
