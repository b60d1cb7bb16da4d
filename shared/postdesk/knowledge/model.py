"""The knowledge base's shapes, pure: an article, its translations, their immutable versions, what
readers see once published, and the diff between two versions (docs/knowledge.md)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from postdesk.errors import Invalid, TooLarge
from postdesk.triage.knowledge import CATEGORIES, fold

MAX_SLUG_LENGTH = 80
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Words that name routes beside /articles/{slug} (POST /articles/preview, /articles/images): an article
# under one of them could never be read, changed or deleted.
RESERVED_SLUGS = frozenset({"preview", "images"})
# What a slug falls back to when a title has no letter or digit a URL can carry (a title in a
# script that folding does not turn into Latin letters).
FALLBACK_SLUG = "article"
MAX_TITLE_LENGTH = 200
MAX_TAGS = 20
MAX_TAG_LENGTH = 60
# A Markdown body larger than this is not a help article any more; the API answers 413 in words.
MAX_BODY_BYTES = 200_000
MAX_NOTE_LENGTH = 200

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class TranslationState(StrEnum):
    """How a desk language stands for one article, as the editor's translations panel shows it."""

    CURRENT = "current"
    OUTDATED = "outdated"
    MISSING = "missing"
    DRAFT = "draft"


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One saved state of a translation; never changed once written. ``body`` is "" when a list of
    versions was read without their bodies."""

    slug: str
    language: str
    number: int
    title: str
    tags: tuple[str, ...]
    body: str
    author: str
    at: datetime
    source_version: int
    note: str


@dataclass(frozen=True, slots=True)
class Translation:
    """The article in one language: its newest draft and what of it is published."""

    slug: str
    language: str
    title: str
    tags: tuple[str, ...]
    status: ArticleStatus
    draft_version: int
    published_version: int
    source_version: int
    published_at: datetime | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    category: str
    original: str
    owner: str
    review_by: date
    created_at: datetime
    created_by: str
    updated_at: datetime
    version: int
    translations: Mapping[str, Translation]

    def state_of(self, language: str) -> TranslationState:
        """Missing without a record in ``language``; draft while not published; outdated when it was
        translated from an older published version of the original than the one published now."""
        translation = self.translations.get(language)
        if translation is None:
            return TranslationState.MISSING
        if translation.status is not ArticleStatus.PUBLISHED:
            return TranslationState.DRAFT
        if language == self.original:
            return TranslationState.CURRENT
        original = self.translations.get(self.original)
        if original is not None and translation.source_version < original.published_version:
            return TranslationState.OUTDATED
        return TranslationState.CURRENT


@dataclass(frozen=True, slots=True)
class PublishedArticle:
    """What readers (the help center, acknowledgements, the reply box) see of one published
    translation: the published snapshot holds one per article and language."""

    slug: str
    language: str
    title: str
    tags: tuple[str, ...]
    category: str
    body: str
    version: int
    published_at: datetime
    updated_at: datetime
    original: str


DiffKind = Literal["same", "added", "removed", "heading"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a diff: ``heading`` names what follows (the title, the tags, a part of the body),
    the others are lines kept, added or removed."""

    kind: DiffKind
    text: str


def diff_versions(older: ArticleVersion, newer: ArticleVersion) -> list[DiffLine]:
    """What changed from ``older`` to ``newer``: the title and the tags when they differ, then the
    body as a unified diff (three lines of context, a heading per changed part). Nothing changed
    gives an empty list."""
    lines: list[DiffLine] = []
    if older.title != newer.title:
        lines += [
            DiffLine("heading", "Title"),
            DiffLine("removed", older.title),
            DiffLine("added", newer.title),
        ]
    if older.tags != newer.tags:
        lines += [
            DiffLine("heading", "Tags"),
            DiffLine("removed", ", ".join(older.tags)),
            DiffLine("added", ", ".join(newer.tags)),
        ]
    body = difflib.unified_diff(older.body.splitlines(), newer.body.splitlines(), lineterm="", n=3)
    for line in body:
        if line.startswith(("---", "+++")):
            continue  # the file names difflib puts first: there are no files here
        if line.startswith("@@"):
            lines.append(DiffLine("heading", _hunk_heading(line)))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines


_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _hunk_heading(line: str) -> str:
    """``@@ -3,4 +3,6 @@`` in words: the lines of the newer body the part shows."""
    match = _HUNK.match(line)
    if match is None:
        return line
    start, count = int(match.group(3)), int(match.group(4) or "1")
    if count == 0:
        return f"Body, after line {start}"
    if count == 1:
        return f"Body, line {start}"
    return f"Body, lines {start}–{start + count - 1}"


def validate_slug(text: str) -> str:
    """``text`` as a slug, or Invalid saying what a slug may hold."""
    slug = text.strip()
    if not slug:
        raise Invalid("An article needs a slug: lower-case letters, digits and hyphens.")
    if len(slug) > MAX_SLUG_LENGTH:
        raise Invalid(f"A slug is at most {MAX_SLUG_LENGTH} characters; this one has {len(slug)}.")
    if SLUG_PATTERN.fullmatch(slug) is None:
        raise Invalid(
            f"The slug {slug!r} may hold only lower-case letters a-z, digits and single hyphens "
            "between them (like 'reset-your-password')."
        )
    if slug in RESERVED_SLUGS:
        raise Invalid(f"The slug {slug!r} names a route of the API (/articles/{slug}): choose another.")
    return slug


def slug_from_title(title: str) -> str:
    """A slug for ``title``: accents dropped, lower case, every run of other characters one hyphen,
    cut at a word boundary to the longest a slug may be. ``article`` when nothing is left."""
    words = _NOT_SLUG.sub("-", fold(title)).strip("-")
    if len(words) > MAX_SLUG_LENGTH:
        cut = words[: MAX_SLUG_LENGTH + 1]
        words = cut.rsplit("-", 1)[0] if "-" in cut else words[:MAX_SLUG_LENGTH]
        words = words.strip("-")
    return words or FALLBACK_SLUG


def validate_category(category: str) -> str:
    if category not in CATEGORIES:
        raise Invalid(f"The category {category!r} is not one of {', '.join(sorted(CATEGORIES))}.")
    return category


def validate_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise Invalid("An article needs a title.")
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise Invalid(f"A title is at most {MAX_TITLE_LENGTH} characters; this one has {len(cleaned)}.")
    return cleaned


def clean_tags(tags: object) -> tuple[str, ...]:
    """The tags as the desk keeps them: a list of words or phrases, trimmed, without repeats, in
    the order given. Invalid in words when it is not a list of strings or is too long."""
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        raise Invalid("Tags are a list of words or short phrases.")
    cleaned: list[str] = []
    for tag in tags:
        text = " ".join(tag.split())
        if not text or text in cleaned:
            continue
        if len(text) > MAX_TAG_LENGTH:
            raise Invalid(f"A tag is at most {MAX_TAG_LENGTH} characters: {text[:MAX_TAG_LENGTH]!r}…")
        cleaned.append(text)
    if len(cleaned) > MAX_TAGS:
        raise Invalid(f"An article has at most {MAX_TAGS} tags; this one has {len(cleaned)}.")
    return tuple(cleaned)


def validate_note(note: str) -> str:
    cleaned = " ".join(note.split())
    if len(cleaned) > MAX_NOTE_LENGTH:
        raise Invalid(f"A version's note is at most {MAX_NOTE_LENGTH} characters.")
    return cleaned


def validate_body(body: str) -> str:
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise TooLarge(f"An article's text is at most {MAX_BODY_BYTES // 1000} kB of Markdown.")
    return body
