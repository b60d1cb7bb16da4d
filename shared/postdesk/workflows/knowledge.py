"""The knowledge base's use cases: write an article and its translations, publish them, and the
seed of shipped articles (docs/knowledge.md).

Every change of what is published (publish, unpublish, delete) rewrites the published snapshot
from the table and makes this container's catalogue read it at once; the other containers see it
within the catalogue's refresh interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from postdesk.agents.model import AgentNotFound
from postdesk.errors import Conflict, Invalid
from postdesk.knowledge.model import (
    RESERVED_SLUGS,
    Article,
    ArticleStatus,
    ArticleVersion,
    Translation,
    clean_tags,
    slug_from_title,
    validate_body,
    validate_category,
    validate_note,
    validate_slug,
    validate_title,
)
from postdesk.ports import Ports
from postdesk.rendering import available_languages, templates_dir
from postdesk.settings import Settings
from postdesk.triage.knowledge import Article as SeedFile
from postdesk.triage.knowledge import read_articles
from postdesk.workflows.knowledge_review import ensure_review_scheduled

# How long an article is trusted before its owner is asked to look at it again.
REVIEW_PERIOD = timedelta(days=180)
SEED_ORIGINAL = "en"
# A slug taken already gets -2, -3…; past this many, the title is too common to be told apart.
_UNIQUE_SLUG_ATTEMPTS = 50


class TranslationExists(Conflict):
    """The article has a record in that language already: open it instead of translating again."""


class OriginalNotPublished(Conflict):
    """A translation is made from the original's published text, and there is none yet."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    imported: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    generation: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.imported)} article(s) imported"
            + (f" ({', '.join(self.imported)})" if self.imported else "")
            + f", {len(self.kept)} already in the desk and kept as they are"
            + (f" ({', '.join(self.kept)})" if self.kept else "")
            + "."
        )


def validate_language(language: str) -> str:
    languages = available_languages()
    if language not in languages:
        raise Invalid(
            f"The language {language[:16]!r} is not one of the desk's: {', '.join(sorted(languages))}."
        )
    return language


def _review_by(review_by: date | None, now: datetime) -> date:
    if review_by is None:
        return (now + REVIEW_PERIOD).date()
    return review_by


def _owner(ports: Ports, owner: str) -> str:
    """An owner is an agent of the desk: they are told when the article needs a look."""
    try:
        return ports.agents.get(owner.strip()).email
    except AgentNotFound:
        raise Invalid(
            f"{owner[:120]!r} is not an agent of the desk: an article's owner must be one."
        ) from None


def unique_slug(ports: Ports, title: str) -> str:
    """A slug for ``title`` that no article has yet (``-2``, ``-3``… when it is taken)."""
    base = slug_from_title(title)
    existing = {article.slug for article in ports.knowledge.list_articles()} | RESERVED_SLUGS
    if base not in existing:
        return base
    for number in range(2, _UNIQUE_SLUG_ATTEMPTS + 2):
        suffix = f"-{number}"
        candidate = base[: 80 - len(suffix)].rstrip("-") + suffix
        if candidate not in existing:
            return candidate
    raise Conflict(f"Too many articles have slugs like {base!r}: give this one a slug of its own.")


def create_article(
    settings: Settings,
    ports: Ports,
    *,
    slug: str | None,
    category: str,
    language: str,
    title: str,
    tags: Sequence[str] | str,
    body: str,
    actor: str,
    owner: str | None = None,
    review_by: date | None = None,
) -> Article:
    """A new article, a draft in ``language`` (its original). Without a slug, one is made from the
    title (unique). ArticleExists when the slug given is taken."""
    del settings
    now = ports.clock()
    clean_title = validate_title(title)
    chosen = validate_slug(slug) if slug else unique_slug(ports, clean_title)
    return ports.knowledge.create(
        chosen,
        validate_category(category),
        validate_language(language),
        clean_title,
        clean_tags(list(tags) if not isinstance(tags, str) else tags),
        validate_body(body),
        _owner(ports, owner) if owner else actor,
        _review_by(review_by, now),
        actor,
        now,
    )


def save_draft(
    settings: Settings,
    ports: Ports,
    *,
    slug: str,
    language: str,
    title: str,
    tags: Sequence[str] | str,
    body: str,
    base_version: int,
    actor: str,
    source_version: int | None = None,
    note: str = "",
) -> ArticleVersion:
    """A new version of the ``language`` translation over ``base_version`` (0: the first of a new
    translation). StaleDraft when someone saved since."""
    del settings
    if base_version < 0:
        raise Invalid("base_version is the draft version the editor started from: 0 or more.")
    if source_version is not None and source_version < 0:
        raise Invalid("source_version is a version of the original: 0 or more.")
    return ports.knowledge.save_draft(
        validate_slug(slug),
        validate_language(language),
        validate_title(title),
        clean_tags(list(tags) if not isinstance(tags, str) else tags),
        validate_body(body),
        base_version,
        actor,
        ports.clock(),
        source_version=source_version,
        note=validate_note(note),
    )


def translate(settings: Settings, ports: Ports, *, slug: str, language: str, actor: str) -> ArticleVersion:
    """Start the ``language`` translation: a draft holding the original's published text, its
    ``source_version`` that version, for the translator to rewrite."""
    del settings
    article = ports.knowledge.get(validate_slug(slug))
    validate_language(language)
    if language == article.original:
        raise Invalid(f"{language} is the original language of {slug!r}: there is nothing to translate from.")
    if language in article.translations:
        raise TranslationExists(
            f"{slug!r} has a {language} translation already (version "
            f"{article.translations[language].draft_version}): open it to bring it up to date."
        )
    original = article.translations.get(article.original)
    if original is None or not original.published_version:
        raise OriginalNotPublished(
            f"The {article.original} original of {slug!r} is not published: publish it before translating it."
        )
    source = ports.knowledge.version(slug, article.original, original.published_version)
    return ports.knowledge.save_draft(
        slug,
        language,
        source.title,
        source.tags,
        source.body,
        0,
        actor,
        ports.clock(),
        source_version=source.number,
        note=f"Translation started from {article.original} version {source.number}",
    )


def publish(
    settings: Settings, ports: Ports, *, slug: str, language: str, version: int, actor: str
) -> Translation:
    """Make ``version`` what readers see in ``language``, and rewrite the published snapshot."""
    translation = ports.knowledge.publish(
        validate_slug(slug), validate_language(language), version, actor, ports.clock()
    )
    refresh_snapshot(ports)
    ensure_review_scheduled(settings, ports)
    return translation


def unpublish(settings: Settings, ports: Ports, *, slug: str, language: str, actor: str) -> Translation:
    """Take the ``language`` translation off the help center (its versions stay)."""
    del settings
    translation = ports.knowledge.unpublish(
        validate_slug(slug), validate_language(language), actor, ports.clock()
    )
    refresh_snapshot(ports)
    return translation


def update_article(
    settings: Settings,
    ports: Ports,
    *,
    slug: str,
    version: int,
    actor: str,
    category: str | None = None,
    owner: str | None = None,
    review_by: date | None = None,
) -> Article:
    """Change the category, owner or review date over ``version`` (ArticleChanged when it moved)."""
    del settings
    before = ports.knowledge.get(validate_slug(slug))
    article = ports.knowledge.update_article(
        slug,
        version,
        category=validate_category(category) if category is not None else None,
        owner=_owner(ports, owner) if owner is not None else None,
        review_by=review_by,
        actor=actor,
        now=ports.clock(),
    )
    # The category is part of what readers see (the help center's category pages).
    if article.category != before.category and any(
        t.status is ArticleStatus.PUBLISHED for t in article.translations.values()
    ):
        refresh_snapshot(ports)
    return article


def delete_article(settings: Settings, ports: Ports, *, slug: str) -> None:
    """Delete the article with every translation and version; readers stop seeing it."""
    del settings
    article = ports.knowledge.get(validate_slug(slug))
    ports.knowledge.delete(slug)
    if any(t.status is ArticleStatus.PUBLISHED for t in article.translations.values()):
        refresh_snapshot(ports)


def refresh_snapshot(ports: Ports) -> int:
    """Rewrite the published snapshot from the table and return its generation. Read once more
    after writing: a publish that committed while this one read the table would otherwise be
    missing until the next change."""
    written = ports.knowledge.published_snapshot()
    generation = ports.catalogue.write_snapshot(written)
    again = ports.knowledge.published_snapshot()
    if again != written:
        generation = ports.catalogue.write_snapshot(again)
    return generation


def shipped_seed() -> Path:
    return templates_dir() / "kb"


def import_seed(
    settings: Settings, ports: Ports, *, root: Path | None, owner: str, now: datetime | None = None
) -> SeedResult:
    """Import every ``<root>/<lang>/<slug>.md`` (default: the shipped articles) as published
    articles: English the original, the other languages translations of its version 1. An article
    already in the desk is left as it is, so importing twice changes nothing."""
    ensure_review_scheduled(settings, ports)
    when = now or ports.clock()
    files = read_articles(root or shipped_seed())
    languages = available_languages()
    by_slug: dict[str, dict[str, SeedFile]] = {}
    for file in files:
        if file.language in languages:
            by_slug.setdefault(file.slug, {})[file.language] = file
    existing = {article.slug for article in ports.knowledge.list_articles()}
    imported: list[str] = []
    kept: list[str] = []
    for slug in sorted(by_slug):
        if slug in existing:
            kept.append(slug)
            continue
        versions = by_slug[slug]
        original = SEED_ORIGINAL if SEED_ORIGINAL in versions else sorted(versions)[0]
        _import_one(ports, validate_slug(slug), original, versions, owner, when)
        imported.append(slug)
    generation = refresh_snapshot(ports) if imported else ports.catalogue.generation
    return SeedResult(imported=imported, kept=kept, generation=generation)


def _import_one(
    ports: Ports, slug: str, original: str, versions: dict[str, SeedFile], owner: str, now: datetime
) -> None:
    store = ports.knowledge
    first = versions[original]
    store.create(
        slug,
        validate_category(first.category),
        original,
        validate_title(first.title),
        clean_tags(list(first.tags)),
        validate_body(first.body),
        owner,
        _review_by(None, now),
        owner,
        now,
    )
    store.publish(slug, original, 1, owner, now)
    for language, file in sorted(versions.items()):
        if language == original:
            continue
        store.save_draft(
            slug,
            language,
            validate_title(file.title),
            clean_tags(list(file.tags)),
            validate_body(file.body),
            0,
            owner,
            now,
            source_version=1,
            note="Imported",
        )
        store.publish(slug, language, 1, owner, now)
