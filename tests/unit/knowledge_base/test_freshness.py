"""Which articles need their owner's look (knowledge/freshness.py), when the daily review runs, and
how its schedule reaches the automations function (workflows/knowledge_review.py, automations.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from postdesk.knowledge.freshness import FlagReason, flag_json, flags, flags_for
from postdesk.knowledge.model import Article, ArticleStatus, Translation
from postdesk.workflows.automations import automation_request
from postdesk.workflows.knowledge_review import next_review_day, review_time

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)


def _translation(language: str, *, published: int, source: int = 0) -> Translation:
    return Translation(
        slug="reset-password",
        language=language,
        title=f"Reset ({language})",
        tags=(),
        status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
        draft_version=max(published, 1),
        published_version=published,
        source_version=source,
        published_at=NOW if published else None,
        updated_at=NOW,
        updated_by="ana@example.com",
    )


def _article(review_by: date, *translations: Translation, slug: str = "reset-password") -> Article:
    return Article(
        slug=slug,
        category="account",
        original="en",
        owner="ana@example.com",
        review_by=review_by,
        created_at=NOW,
        created_by="ana@example.com",
        updated_at=NOW,
        version=1,
        translations={t.language: t for t in translations},
    )


CURRENT = (_translation("en", published=2), _translation("de", published=1, source=2))


def test_a_current_article_with_quiet_figures_has_no_flag() -> None:
    article = _article(date(2026, 3, 3), *CURRENT)

    assert flags(article, {"reopened": 1, "low_rated": 1, "suggested": 40}, TODAY) == []


def test_the_review_is_due_on_its_date_and_after() -> None:
    due_today = flags(_article(TODAY, *CURRENT), {}, TODAY)
    overdue = flags(_article(date(2026, 2, 28), *CURRENT), {}, TODAY)

    assert [flag.reason for flag in due_today] == [FlagReason.REVIEW_DUE]
    assert "today" in due_today[0].message
    assert "2 days ago" in overdue[0].message
    assert due_today[0].key == "review_due"


def test_each_outdated_translation_is_a_flag_of_its_own() -> None:
    article = _article(
        date(2027, 1, 1),
        _translation("en", published=3),
        _translation("de", published=1, source=2),
        _translation("fr", published=1, source=3),
        _translation("es", published=1, source=1),
        # A draft is not published, so not outdated either: it shows as a draft.
        _translation("pt", published=0, source=1),
    )

    found = flags(article, {}, TODAY)

    assert [(flag.reason, flag.language) for flag in found] == [
        (FlagReason.OUTDATED_TRANSLATION, "de"),
        (FlagReason.OUTDATED_TRANSLATION, "es"),
    ]
    assert [flag.key for flag in found] == ["outdated_translation:de", "outdated_translation:es"]
    assert "version 2" in found[0].message and "version 3 is published" in found[0].message


def test_tickets_reopened_or_rated_low_after_a_suggestion_flag_it_from_two() -> None:
    article = _article(date(2027, 1, 1), *CURRENT)

    found = flags(article, {"reopened": 2, "low_rated": 3}, TODAY)

    assert [(flag.reason, flag.count) for flag in found] == [
        (FlagReason.REOPENED_AFTER_SUGGESTION, 2),
        (FlagReason.RATED_LOW_AFTER_SUGGESTION, 3),
    ]
    assert flag_json(found[1]) == {
        "reason": "rated_low_after_suggestion",
        "language": None,
        "message": "3 tickets it was suggested on were rated 1 or 2 in the last 30 days.",
        "count": 3,
    }


def test_flags_for_names_every_article_with_its_own_figures() -> None:
    quiet = _article(date(2027, 1, 1), *CURRENT, slug="quiet")
    reopened = _article(date(2027, 1, 1), *CURRENT, slug="reopened")

    found = flags_for([quiet, reopened], {"reopened": {"reopened": 2}, "quiet": {"opened": 9}}, TODAY)

    assert found["quiet"] == []
    assert [flag.reason for flag in found["reopened"]] == [FlagReason.REOPENED_AFTER_SUGGESTION]


def test_the_next_review_is_today_until_its_hour_then_tomorrow() -> None:
    berlin = ZoneInfo("Europe/Berlin")

    assert next_review_day(datetime(2026, 3, 2, 5, 59, tzinfo=UTC), berlin) == date(2026, 3, 2)
    assert next_review_day(datetime(2026, 3, 2, 6, 0, tzinfo=UTC), berlin) == date(2026, 3, 3)
    # Late in the evening UTC is already tomorrow in Berlin.
    assert next_review_day(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), berlin) == date(2026, 3, 3)
    assert review_time(date(2026, 3, 3), berlin) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def test_a_review_schedule_names_no_ticket() -> None:
    due = "2026-03-03T06:00:00Z"

    request = automation_request({"purpose": "knowledge_review", "ref": "", "due": due})

    assert request is not None and request.purpose == "knowledge_review" and request.ref == ""
    assert automation_request({"purpose": "knowledge_review", "ref": "K7Q2-M9XD", "due": due}) is None
    assert automation_request({"purpose": "close", "ref": "", "due": due}) is None
