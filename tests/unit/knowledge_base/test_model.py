"""The knowledge base's pure parts: how a translation stands against its original, the diff
between two versions, and slugs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from postdesk.errors import Invalid, TooLarge
from postdesk.knowledge.model import (
    MAX_SLUG_LENGTH,
    Article,
    ArticleStatus,
    ArticleVersion,
    DiffLine,
    Translation,
    TranslationState,
    clean_tags,
    diff_versions,
    slug_from_title,
    validate_body,
    validate_category,
    validate_slug,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _translation(language: str, *, published: int, source: int = 0, draft: int | None = None) -> Translation:
    return Translation(
        slug="reset-password",
        language=language,
        title="Reset",
        tags=(),
        status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
        draft_version=draft if draft is not None else max(published, 1),
        published_version=published,
        source_version=source,
        published_at=NOW if published else None,
        updated_at=NOW,
        updated_by="ana@example.com",
    )


def _article(*translations: Translation) -> Article:
    return Article(
        slug="reset-password",
        category="account",
        original="en",
        owner="ana@example.com",
        review_by=date(2026, 9, 1),
        created_at=NOW,
        created_by="ana@example.com",
        updated_at=NOW,
        version=1,
        translations={translation.language: translation for translation in translations},
    )


def test_a_translation_is_missing_draft_outdated_or_current() -> None:
    article = _article(
        _translation("en", published=3),
        _translation("de", published=2, source=3),
        _translation("fr", published=1, source=2),
        _translation("es", published=0, source=3, draft=1),
    )
    assert article.state_of("en") is TranslationState.CURRENT
    assert article.state_of("de") is TranslationState.CURRENT
    assert article.state_of("fr") is TranslationState.OUTDATED
    assert article.state_of("es") is TranslationState.DRAFT
    assert article.state_of("pt") is TranslationState.MISSING


def test_an_unpublished_original_makes_no_translation_outdated() -> None:
    article = _article(_translation("en", published=0, draft=4), _translation("de", published=1, source=1))
    assert article.state_of("en") is TranslationState.DRAFT
    assert article.state_of("de") is TranslationState.CURRENT


def _version(
    number: int, body: str, title: str = "Reset your password", tags: tuple[str, ...] = ("password",)
) -> ArticleVersion:
    return ArticleVersion(
        slug="reset-password",
        language="en",
        number=number,
        title=title,
        tags=tags,
        body=body,
        author="ana@example.com",
        at=NOW,
        source_version=0,
        note="",
    )


def test_the_diff_shows_title_tags_and_the_changed_lines_of_the_body() -> None:
    older = _version(1, "# Reset\n\nOpen the sign-in page.\nClick Forgot.\nCheck your mail.\n")
    newer = _version(
        2,
        "# Reset\n\nOpen the sign-in page.\nChoose 'Forgot password'.\nCheck your mail.\n"
        "The link lasts an hour.\n",
        title="Reset your password in two minutes",
        tags=("password", "locked out"),
    )
    lines = diff_versions(older, newer)
    assert lines[:6] == [
        DiffLine("heading", "Title"),
        DiffLine("removed", "Reset your password"),
        DiffLine("added", "Reset your password in two minutes"),
        DiffLine("heading", "Tags"),
        DiffLine("removed", "password"),
        DiffLine("added", "password, locked out"),
    ]
    body = lines[6:]
    assert body[0] == DiffLine("heading", "Body, lines 1–6")
    assert DiffLine("removed", "Click Forgot.") in body
    assert DiffLine("added", "Choose 'Forgot password'.") in body
    assert DiffLine("added", "The link lasts an hour.") in body
    assert DiffLine("same", "Open the sign-in page.") in body
    assert [line for line in body if line.kind == "removed"] == [DiffLine("removed", "Click Forgot.")]


def test_versions_alike_have_no_diff() -> None:
    version = _version(1, "Same text.\n")
    assert diff_versions(version, replace(version, number=2)) == []


@pytest.mark.parametrize("slug", ["reset-password", "a", "2fa", "x" * MAX_SLUG_LENGTH])
def test_good_slugs_pass(slug: str) -> None:
    assert validate_slug(f" {slug} ") == slug


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("", "needs a slug"),
        ("Reset-Password", "lower-case"),
        ("reset--password", "single hyphens"),
        ("-reset", "single hyphens"),
        ("reset_password", "lower-case"),
        ("x" * (MAX_SLUG_LENGTH + 1), "at most 80"),
        ("preview", "names a route of the API"),
        ("images", "names a route of the API"),
    ],
)
def test_bad_slugs_are_refused_in_words(slug: str, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        validate_slug(slug)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Reset your password", "reset-your-password"),
        ("Rückerstattung für Bestellungen", "ruckerstattung-fur-bestellungen"),
        ("  Où est ma commande ?  ", "ou-est-ma-commande"),
        ("2FA: codes & apps!", "2fa-codes-apps"),
        ("Пароль", "article"),
    ],
)
def test_slugs_from_titles(title: str, slug: str) -> None:
    assert slug_from_title(title) == slug
    assert validate_slug(slug) == slug


def test_a_long_title_is_cut_at_a_word() -> None:
    slug = slug_from_title("password " * 20)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert slug.endswith("password")
    assert validate_slug(slug) == slug


def test_tags_categories_and_bodies_are_checked() -> None:
    assert clean_tags(["password", " forgot  password ", "", "password"]) == ("password", "forgot password")
    assert clean_tags("a, b") == ("a", "b")
    with pytest.raises(Invalid, match="list"):
        clean_tags([1, 2])
    with pytest.raises(Invalid, match="billing"):
        validate_category("sales")
    with pytest.raises(TooLarge):
        validate_body("x" * 300_000)
