"""The daily knowledge review: each morning the owners of help-center articles that need a look are
told, through the agents' notifications (kind ``article_flagged``, batched with their other
notifications), of the flags raised since the day before (knowledge/freshness.py: the review date
passed, a translation older than the original, tickets reopened or rated low after the article was
suggested on them).

One one-time schedule a day, ``kb-review-<day>`` (effects/keys.py) at :data:`REVIEW_HOUR` in the
desk's time zone, targets the ``automations`` function (purpose ``knowledge_review``); each review
makes the next day's. The seed import and every publish call :func:`ensure_review_scheduled`, so a
desk with articles always has its next review, and a lost schedule comes back with the next publish.

Once per article, reason and day: a guard ``article-flag#<slug>#<flag>#<day>`` records that the
review found the flag that day. An owner is told of a flag whose guard of the day before is absent
(newly raised, or raised again after it was gone for a day); a flag that stays is not told again
every morning (the console's article list shows it for as long as it holds). A review that fires
twice on one day finds its guards and tells nobody twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from postdesk.aws.scheduler import OneTimeSchedule
from postdesk.clock import to_iso
from postdesk.effects import keys
from postdesk.effects.guards import ClaimResult, GuardState
from postdesk.knowledge.figures import KnowledgeFigures
from postdesk.knowledge.freshness import Flag, FlagReason, flags_for
from postdesk.knowledge.model import Article
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.workflows.notify import notify_article_owner
from postdesk.workflows.sla import policy_of

PURPOSE = "knowledge_review"
# When the review runs, in the desk's time zone: before the working day, so the mail waits there.
REVIEW_HOUR = 7


def _zone(settings: Settings) -> ZoneInfo:
    return policy_of(settings).calendar.zone()


def review_time(day: date, zone: ZoneInfo) -> datetime:
    """When the review of ``day`` runs."""
    return datetime.combine(day, time(REVIEW_HOUR), zone)


def next_review_day(now: datetime, zone: ZoneInfo) -> date:
    """The day of the next review after ``now``: today while its hour has not come, else tomorrow."""
    today = now.astimezone(zone).date()
    return today if now < review_time(today, zone) else today + timedelta(days=1)


def ensure_review_scheduled(settings: Settings, ports: Ports, now: datetime | None = None) -> bool:
    """Make sure the next daily review (after ``now``, the ports' clock by default) has its schedule;
    a schedule already made under its name counts as made. True when it is there; never raises (what
    called it is done already: a failure is logged and counted, and the next publish tries again)."""
    scheduling = settings.scheduling
    moment = now or ports.clock()
    if not (scheduling.automations_function_arn and scheduling.role_arn):
        logger.warning("knowledge review not scheduled: no automations function or scheduler role")
        ports.metrics.count("KnowledgeReviewsFailed", {"step": "schedule"})
        return False
    try:
        zone = _zone(settings)
        day = next_review_day(moment, zone)
        due = review_time(day, zone)
        ports.scheduler.create_once(
            OneTimeSchedule(
                name=keys.knowledge_review_schedule(day),
                at=due,
                target_arn=scheduling.automations_function_arn,
                role_arn=scheduling.role_arn,
                dead_letter_arn=scheduling.dead_letter_arn,
                # No ticket: the automations function takes "" as the ref of a desk-wide purpose.
                payload={"purpose": PURPOSE, "ref": "", "due": to_iso(due)},
            )
        )
    except Exception:
        logger.exception("knowledge review not scheduled")
        ports.metrics.count("KnowledgeReviewsFailed", {"step": "schedule"})
        return False
    return True


def _language_of(article: Article, flag: Flag) -> str:
    """The translation the owner's editor opens for ``flag``: the outdated one, else the original."""
    return (
        flag.language
        if flag.reason is FlagReason.OUTDATED_TRANSLATION and flag.language
        else article.original
    )


def _title_of(article: Article) -> str:
    original = article.translations.get(article.original)
    return original.title if original is not None else article.slug


def run_review(day: date, settings: Settings, ports: Ports) -> tuple[int, int]:
    """Review every article on ``day``: (flags found, notifications queued)."""
    articles = ports.knowledge.list_articles()
    figures = KnowledgeFigures(settings.tables.stats, settings.region, policy_of(settings).calendar.timezone)
    flagged = flags_for(articles, figures.recent(day), day)
    found = told = 0
    now = ports.clock()
    yesterday = day - timedelta(days=1)
    for article in articles:
        for flag in flagged.get(article.slug, []):
            found += 1
            guard = keys.article_flag_guard(article.slug, flag.key, day)
            if ports.guards.get(guard) is not None:
                continue  # This day's review ran before (a retry, a duplicate fire).
            known = ports.guards.get(keys.article_flag_guard(article.slug, flag.key, yesterday)) is not None
            queued = not known and notify_article_owner(
                article.owner,
                article.slug,
                _language_of(article, flag),
                _title_of(article),
                flag.message,
                settings,
                ports,
                cause_id=guard,
            )
            claim = ports.guards.claim(
                guard, GuardState.DONE, now, detail={"told": "yes" if queued else "known" if known else "no"}
            )
            if queued and claim.result is ClaimResult.CLAIMED:
                told += 1
    return found, told


def fire_knowledge_review(due: datetime, settings: Settings, ports: Ports) -> str:
    """The review of the day ``due`` falls on, then the next day's schedule; the outcome in words."""
    zone = _zone(settings)
    day = due.astimezone(zone).date()
    try:
        found, told = run_review(day, settings, ports)
    finally:
        # Whatever became of this one, the reviews go on.
        ensure_review_scheduled(settings, ports, max(ports.clock(), review_time(day, zone)))
    logger.info("knowledge review", extra={"day": day.isoformat(), "flags": found, "told": told})
    return f"reviewed: {found} flags, {told} owners' notifications queued"
