"""Which articles need their owner's look, and why (pure): past their review date, a translation
older than the published original, or, in the last 30 days, suggested on tickets that reopened or
were rated low at least twice. ``GET /articles`` shows the flags; the daily review
(workflows/knowledge_review.py) tells each owner of the ones newly raised."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from postdesk.knowledge.model import Article, TranslationState

# Tickets reopened, or rated low, after the article was suggested on them, in the recent figures
# (knowledge/figures.py RECENT_DAYS): one may be bad luck, this many says the article misleads.
REOPENED_AT_LEAST = 2
RATED_LOW_AT_LEAST = 2


class FlagReason(StrEnum):
    REVIEW_DUE = "review_due"
    OUTDATED_TRANSLATION = "outdated_translation"
    REOPENED_AFTER_SUGGESTION = "reopened_after_suggestion"
    RATED_LOW_AFTER_SUGGESTION = "rated_low_after_suggestion"


@dataclass(frozen=True, slots=True)
class Flag:
    """One reason an article needs a look; ``language`` for an outdated translation, else None."""

    reason: FlagReason
    message: str
    language: str | None = None
    # The figure that raised it (tickets reopened or rated low), or 0.
    count: int = 0

    @property
    def key(self) -> str:
        """Names the flag among an article's: the reason, and the language of a translation."""
        return f"{self.reason.value}:{self.language}" if self.language else self.reason.value


# The flags a figure raises: (its name in the figures, the count that raises it, why, the message).
_FIGURE_FLAGS: tuple[tuple[str, int, FlagReason, str], ...] = (
    (
        "reopened",
        REOPENED_AT_LEAST,
        FlagReason.REOPENED_AFTER_SUGGESTION,
        "{count} tickets it was suggested on reopened in the last 30 days.",
    ),
    (
        "low_rated",
        RATED_LOW_AT_LEAST,
        FlagReason.RATED_LOW_AFTER_SUGGESTION,
        "{count} tickets it was suggested on were rated 1 or 2 in the last 30 days.",
    ),
)


def flags(article: Article, figures_30d: Mapping[str, int], today: date) -> list[Flag]:
    """Why ``article`` needs a look today, given its figures of the last 30 days
    (``{what: count}``, knowledge/figures.py); an empty list when it does not."""
    found: list[Flag] = []
    if today >= article.review_by:
        overdue = (today - article.review_by).days
        when = "today" if overdue == 0 else f"{overdue} day{'s' if overdue != 1 else ''} ago"
        found.append(
            Flag(FlagReason.REVIEW_DUE, f"Review was due by {article.review_by.isoformat()} ({when}).")
        )
    original = article.translations.get(article.original)
    for language in sorted(article.translations):
        if article.state_of(language) is TranslationState.OUTDATED:
            translation = article.translations[language]
            found.append(
                Flag(
                    FlagReason.OUTDATED_TRANSLATION,
                    f"The {language} translation follows version {translation.source_version} of the "
                    f"original ({article.original}); version "
                    f"{original.published_version if original else '?'} is published.",
                    language=language,
                )
            )
    for figure, at_least, reason, message in _FIGURE_FLAGS:
        count = int(figures_30d.get(figure, 0))
        if count >= at_least:
            found.append(Flag(reason, message.format(count=count), count=count))
    return found


def flags_for(
    articles: Iterable[Article], figures: Mapping[str, Mapping[str, int]], today: date
) -> dict[str, list[Flag]]:
    """The flags of each of ``articles`` by slug (every article named, flagged or not), with
    ``figures`` the articles' figures of the last 30 days by slug (KnowledgeFigures.recent)."""
    return {article.slug: flags(article, figures.get(article.slug, {}), today) for article in articles}


def flag_json(flag: Flag) -> dict[str, Any]:
    """A flag as the API answers it."""
    return {
        "reason": flag.reason.value,
        "language": flag.language,
        "message": flag.message,
        "count": flag.count,
    }
