"""The knowledge base's records in the knowledge table (hash ``slug``, range ``sk``) and their
bodies and images in the mail bucket (docs/knowledge.md):

- ``sk = "article"``: category, original, owner, review_by, created_at/by, updated_at and
  ``version``, which every article-level change names and raises;
- ``sk = "lang#<lang>"``: a translation: title and tags of its newest draft, status,
  draft_version, published_version (0: not published), source_version, published_at (this
  version), first_published_at, updated_at/by. Saving a draft is conditional on the draft version
  the editor started from, so the second of two editors is told instead of overwriting;
- ``sk = "v#<lang>#<000001>"``: a version, never changed: title, tags, body_key, author, at,
  source_version, note. The body is in ``knowledge/articles/<slug>/<lang>/<000001>-<hash>.md``:
  the hash of the text in the name keeps two editors who race for the same number from writing
  over each other's body before the table decides which of them won.

Images are content-addressed: ``knowledge/images/<sha256, 16 hex>.<ext>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action

from postdesk.aws.dynamodb import DeskModel, NamedTransaction, read_item, update_if
from postdesk.aws.s3 import BlobNotFound, S3BlobStore
from postdesk.clock import from_iso, to_iso
from postdesk.errors import ConfigurationError, Conflict, Invalid, NotFound, TooLarge
from postdesk.knowledge.model import (
    Article,
    ArticleStatus,
    ArticleVersion,
    PublishedArticle,
    Translation,
)
from postdesk.tickets.dynamo import bind_model

ARTICLE_SK = "article"
LANGUAGE_PREFIX = "lang#"
VERSION_PREFIX = "v#"
BODIES_PREFIX = "knowledge/articles/"
IMAGES_PREFIX = "knowledge/images/"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Images an article may show: their first bytes say what they are; the type a browser claims does
# not. SVG is refused: it can carry script.
_IMAGE_KINDS: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "png", "image/png"),
    (b"\xff\xd8\xff", 0, "jpg", "image/jpeg"),
    (b"GIF87a", 0, "gif", "image/gif"),
    (b"GIF89a", 0, "gif", "image/gif"),
    (b"WEBP", 8, "webp", "image/webp"),
)
IMAGE_TYPES = {extension: content_type for _, _, extension, content_type in _IMAGE_KINDS}


class ArticleNotFound(NotFound):
    """No article has that slug (or no translation that language, or no version that number)."""


class ArticleExists(Conflict):
    """An article with that slug is in the desk already."""


class ArticleChanged(Conflict):
    """The article was changed since the version the request names."""


class StaleDraft(Conflict):
    """Someone saved a newer draft of the translation since the one the editor started from. The
    message says who and when; ``current`` is that newer draft version."""

    def __init__(self, message: str, current: int, author: str, at: datetime | None) -> None:
        super().__init__(message)
        self.current = current
        self.author = author
        self.at = at


class KnowledgeItem(DeskModel):
    class Meta:
        table_name = "unbound-knowledge"

    slug = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # The article.
    category = UnicodeAttribute(null=True)
    original = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    review_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    # A translation (and the title, tags and source_version of a version).
    title = UnicodeAttribute(null=True)
    tags = ListAttribute[str](null=True)
    status = UnicodeAttribute(null=True)
    draft_version = NumberAttribute(null=True)
    published_version = NumberAttribute(null=True)
    source_version = NumberAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    first_published_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    # A version.
    body_key = UnicodeAttribute(null=True)
    author = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


def language_sk(language: str) -> str:
    return f"{LANGUAGE_PREFIX}{language}"


def version_sk(language: str, number: int) -> str:
    return f"{VERSION_PREFIX}{language}#{number:06d}"


def body_key(slug: str, language: str, number: int, body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    return f"{BODIES_PREFIX}{slug}/{language}/{number:06d}-{digest}.md"


@dataclass(frozen=True, slots=True)
class StoredImage:
    name: str
    content_type: str
    data: bytes


def image_kind(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) of an image the help center shows, read from its bytes."""
    for magic, offset, extension, content_type in _IMAGE_KINDS:
        if data[offset : offset + len(magic)] == magic and (extension != "webp" or data[:4] == b"RIFF"):
            return extension, content_type
    return None


class KnowledgeStore:
    def __init__(self, table_name: str, bucket: str, region: str) -> None:
        self._table_name = table_name
        self._region = region
        self._blobs = S3BlobStore(bucket, region)
        if table_name:
            bind_model(KnowledgeItem, table_name, region)

    def _ready(self) -> None:
        if not self._table_name:
            raise ConfigurationError(
                "this function has no knowledge table: set POSTDESK_KNOWLEDGE_TABLE (infra/template.json)"
            )
        bind_model(KnowledgeItem, self._table_name, self._region)

    # -- reading -----------------------------------------------------------------------------------

    def _articles_with_items(self) -> list[tuple[Article, list[KnowledgeItem]]]:
        """Every article with its items (the article's and its translations'), by slug. The table
        holds a few hundred articles at most; the versions, which make most of it, are filtered out
        by the scan."""
        self._ready()
        by_slug: dict[str, list[KnowledgeItem]] = {}
        for item in KnowledgeItem.scan(KnowledgeItem.sk < VERSION_PREFIX, consistent_read=True):
            by_slug.setdefault(item.slug, []).append(item)
        found = []
        for slug in sorted(by_slug):
            article = _article(by_slug[slug])
            if article is not None:
                found.append((article, by_slug[slug]))
        return found

    def list_articles(self) -> list[Article]:
        """Every article with its translations, by slug."""
        return [article for article, _ in self._articles_with_items()]

    def get(self, slug: str) -> Article:
        self._ready()
        items = list(KnowledgeItem.query(slug, KnowledgeItem.sk < VERSION_PREFIX, consistent_read=True))
        article = _article(items)
        if article is None:
            raise ArticleNotFound(f"No article has the slug {slug[:80]!r}.")
        return article

    def version(self, slug: str, language: str, number: int) -> ArticleVersion:
        """One version with its body; ArticleNotFound when there is no such version."""
        self._ready()
        item = read_item(KnowledgeItem, slug, version_sk(language, number))
        if item is None:
            raise ArticleNotFound(f"The article {slug[:80]!r} has no version {number} in {language[:8]!r}.")
        try:
            body = self._blobs.get(item.body_key or "").decode("utf-8")
        except BlobNotFound:
            raise ArticleNotFound(
                f"The text of version {number} of {slug!r} in {language!r} is missing from the bucket."
            ) from None
        return _version(item, body)

    def versions(self, slug: str, language: str) -> list[ArticleVersion]:
        """The versions of one translation, newest first, without their bodies (body "")."""
        self._ready()
        items = KnowledgeItem.query(
            slug,
            KnowledgeItem.sk.startswith(f"{VERSION_PREFIX}{language}#"),
            consistent_read=True,
            scan_index_forward=False,
        )
        return [_version(item, "") for item in items]

    def published_snapshot(self) -> list[PublishedArticle]:
        """Every published translation as readers see it, by slug and language: what the published
        snapshot holds (knowledge/catalogue.py)."""
        published: list[PublishedArticle] = []
        for article, items in self._articles_with_items():
            first_published = {
                item.sk.removeprefix(LANGUAGE_PREFIX): from_iso(item.first_published_at)
                for item in items
                if item.sk.startswith(LANGUAGE_PREFIX) and item.first_published_at
            }
            for language, translation in sorted(article.translations.items()):
                if translation.status is not ArticleStatus.PUBLISHED or not translation.published_version:
                    continue
                version = self.version(article.slug, language, translation.published_version)
                published.append(
                    PublishedArticle(
                        slug=article.slug,
                        language=language,
                        title=version.title,
                        tags=version.tags,
                        category=article.category,
                        body=version.body,
                        version=version.number,
                        published_at=first_published.get(language) or version.at,
                        updated_at=translation.published_at or version.at,
                        original=article.original,
                    )
                )
        return published

    # -- writing -----------------------------------------------------------------------------------

    def create(
        self,
        slug: str,
        category: str,
        language: str,
        title: str,
        tags: Sequence[str],
        body: str,
        owner: str,
        review_by: date,
        actor: str,
        now: datetime,
    ) -> Article:
        """A new article with its first translation (``language``, the original) as draft version 1.
        ArticleExists when the slug is taken."""
        self._ready()
        key = body_key(slug, language, 1, body)
        self._blobs.put(key, body.encode("utf-8"), "text/markdown; charset=utf-8")
        stamp = to_iso(now)
        transaction = NamedTransaction(self._region)
        transaction.put(
            "article",
            KnowledgeItem(
                slug=slug,
                sk=ARTICLE_SK,
                category=category,
                original=language,
                owner=owner,
                review_by=review_by.isoformat(),
                created_at=stamp,
                created_by=actor,
                updated_at=stamp,
                version=1,
            ),
            condition=KnowledgeItem.slug.does_not_exist(),
        )
        transaction.put(
            "translation",
            _translation_item(slug, language, title, tags, 1, 0, stamp, actor),
            condition=KnowledgeItem.slug.does_not_exist(),
        )
        transaction.put(
            "version",
            _version_item(slug, language, 1, title, tags, key, actor, stamp, 0, "Created"),
            condition=KnowledgeItem.slug.does_not_exist(),
        )
        if not transaction.commit():
            raise ArticleExists(f"An article with the slug {slug!r} is in the desk already.")
        return self.get(slug)

    def save_draft(
        self,
        slug: str,
        language: str,
        title: str,
        tags: Sequence[str],
        body: str,
        base_version: int,
        actor: str,
        now: datetime,
        source_version: int | None = None,
        note: str = "",
    ) -> ArticleVersion:
        """Save a new version of the translation in ``language`` (the first one of a new
        translation when ``base_version`` is 0). StaleDraft when someone saved since
        ``base_version``; ArticleNotFound when there is no such article."""
        self._ready()
        article = self.get(slug)
        current = article.translations.get(language)
        if (current.draft_version if current else 0) != base_version:
            raise self._stale(slug, language, base_version)
        number = base_version + 1
        key = body_key(slug, language, number, body)
        self._blobs.put(key, body.encode("utf-8"), "text/markdown; charset=utf-8")
        stamp = to_iso(now)
        if language == article.original:
            source_version = 0
        transaction = NamedTransaction(self._region)
        transaction.check("article", KnowledgeItem, slug, ARTICLE_SK, KnowledgeItem.slug.exists())
        if current is None:
            transaction.put(
                "translation",
                _translation_item(slug, language, title, tags, number, source_version or 0, stamp, actor),
                condition=KnowledgeItem.slug.does_not_exist(),
            )
        else:
            actions: list[Action] = [
                KnowledgeItem.title.set(title),
                KnowledgeItem.tags.set(list(tags)),
                KnowledgeItem.draft_version.set(number),
                KnowledgeItem.updated_at.set(stamp),
                KnowledgeItem.updated_by.set(actor),
            ]
            # A published translation keeps the source version of what is published (it decides
            # whether readers see an outdated text); a draft shows the one it is being written from.
            if current.status is not ArticleStatus.PUBLISHED and source_version is not None:
                actions.append(KnowledgeItem.source_version.set(source_version))
            transaction.update(
                "translation",
                KnowledgeItem(slug=slug, sk=language_sk(language)),
                actions,
                condition=KnowledgeItem.draft_version == base_version,
            )
        version_source = (
            source_version if source_version is not None else (current.source_version if current else 0)
        )
        transaction.put(
            "version",
            _version_item(slug, language, number, title, tags, key, actor, stamp, version_source, note),
            condition=KnowledgeItem.slug.does_not_exist(),
        )
        if not transaction.commit():
            if "article" in transaction.failed:
                raise ArticleNotFound(f"No article has the slug {slug[:80]!r}.")
            raise self._stale(slug, language, base_version)
        return ArticleVersion(
            slug=slug,
            language=language,
            number=number,
            title=title,
            tags=tuple(tags),
            body=body,
            author=actor,
            at=from_iso(stamp),
            source_version=version_source,
            note=note,
        )

    def _stale(self, slug: str, language: str, base_version: int) -> StaleDraft:
        newest = next(iter(self.versions(slug, language)), None)
        if newest is None:
            return StaleDraft(
                f"The {language} translation of {slug!r} has no version {base_version}: reload it.",
                0,
                "",
                None,
            )
        when = newest.at.strftime("%Y-%m-%d %H:%M UTC")
        return StaleDraft(
            f"{newest.author} saved version {newest.number} of the {language} translation at {when}, "
            f"after version {base_version} you started from. Reload it to see their change, or save "
            "yours over it on top of their version.",
            newest.number,
            newest.author,
            newest.at,
        )

    def publish(self, slug: str, language: str, number: int, actor: str, now: datetime) -> Translation:
        """Make version ``number`` what readers see in ``language``."""
        version = self.version(slug, language, number)
        stamp = to_iso(now)
        return self._change_translation(
            slug,
            language,
            [
                KnowledgeItem.status.set(ArticleStatus.PUBLISHED.value),
                KnowledgeItem.published_version.set(number),
                KnowledgeItem.source_version.set(version.source_version),
                KnowledgeItem.published_at.set(stamp),
                KnowledgeItem.first_published_at.set(KnowledgeItem.first_published_at | stamp),
                KnowledgeItem.updated_at.set(stamp),
                KnowledgeItem.updated_by.set(actor),
            ],
        )

    def unpublish(self, slug: str, language: str, actor: str, now: datetime) -> Translation:
        """Take the translation in ``language`` off the help center; its versions stay."""
        self._ready()
        stamp = to_iso(now)
        return self._change_translation(
            slug,
            language,
            [
                KnowledgeItem.status.set(ArticleStatus.DRAFT.value),
                KnowledgeItem.published_version.set(0),
                KnowledgeItem.published_at.remove(),
                KnowledgeItem.first_published_at.remove(),
                KnowledgeItem.updated_at.set(stamp),
                KnowledgeItem.updated_by.set(actor),
            ],
        )

    @staticmethod
    def _change_translation(slug: str, language: str, actions: list[Action]) -> Translation:
        """Apply ``actions`` to the translation's item, which must exist (else ArticleNotFound)."""
        item = KnowledgeItem(slug=slug, sk=language_sk(language))
        if not update_if(item, actions, KnowledgeItem.slug.exists()):
            raise ArticleNotFound(f"The article {slug!r} has no {language} translation.")
        return _translation(item)

    def update_article(
        self,
        slug: str,
        version: int,
        category: str | None = None,
        owner: str | None = None,
        review_by: date | None = None,
        *,
        actor: str,
        now: datetime,
    ) -> Article:
        """Change the article's category, owner or review date, over ``version`` (the one the editor
        read): ArticleChanged when it has moved on since."""
        self._ready()
        actions: list[Action] = [
            KnowledgeItem.version.set(version + 1),
            KnowledgeItem.updated_at.set(to_iso(now)),
            KnowledgeItem.updated_by.set(actor),
        ]
        if category is not None:
            actions.append(KnowledgeItem.category.set(category))
        if owner is not None:
            actions.append(KnowledgeItem.owner.set(owner))
        if review_by is not None:
            actions.append(KnowledgeItem.review_by.set(review_by.isoformat()))
        item = KnowledgeItem(slug=slug, sk=ARTICLE_SK)
        if not update_if(item, actions, KnowledgeItem.slug.exists() & (KnowledgeItem.version == version)):
            current = self.get(slug)  # ArticleNotFound when it is gone
            raise ArticleChanged(
                f"The article {slug!r} was changed since you opened it (version {version}, now "
                f"{current.version}): reload it and make your change again."
            )
        return self.get(slug)

    def delete(self, slug: str) -> None:
        """Delete the article, every translation and version, and their bodies."""
        self._ready()
        items = list(KnowledgeItem.query(slug, consistent_read=True))
        if not items:
            raise ArticleNotFound(f"No article has the slug {slug[:80]!r}.")
        with KnowledgeItem.batch_write() as batch:
            for item in items:
                batch.delete(item)
        self._blobs.delete_keys(self._blobs.keys_under(f"{BODIES_PREFIX}{slug}/"))

    # -- images ------------------------------------------------------------------------------------

    def put_image(self, data: bytes, content_type: str = "") -> str:
        """Store an image for articles and return its name (``<sha256, 16 hex>.<ext>``). Its bytes
        decide its type, whatever ``content_type`` says."""
        if not data:
            raise Invalid("The image is empty.")
        if len(data) > MAX_IMAGE_BYTES:
            raise TooLarge(f"An article's image is at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
        kind = image_kind(data)
        if kind is None:
            raise Invalid(
                "An article's image must be a PNG, JPEG, GIF or WebP picture"
                + (f"; this is not one (it says {content_type[:60]!r})." if content_type else ".")
            )
        extension, real_type = kind
        name = f"{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
        self._blobs.put(f"{IMAGES_PREFIX}{name}", data, real_type)
        return name

    def image(self, name: str) -> StoredImage:
        """An image put_image stored; ArticleNotFound when there is none of that name."""
        stem, _, extension = name.partition(".")
        if len(stem) != 16 or not all(c in "0123456789abcdef" for c in stem) or extension not in IMAGE_TYPES:
            raise ArticleNotFound("No image has that name.")
        try:
            data = self._blobs.get(f"{IMAGES_PREFIX}{name}")
        except BlobNotFound:
            raise ArticleNotFound("No image has that name.") from None
        return StoredImage(name=name, content_type=IMAGE_TYPES[extension], data=data)


def _translation_item(
    slug: str,
    language: str,
    title: str,
    tags: Iterable[str],
    draft_version: int,
    source_version: int,
    stamp: str,
    actor: str,
) -> KnowledgeItem:
    return KnowledgeItem(
        slug=slug,
        sk=language_sk(language),
        title=title,
        tags=list(tags),
        status=ArticleStatus.DRAFT.value,
        draft_version=draft_version,
        published_version=0,
        source_version=source_version,
        updated_at=stamp,
        updated_by=actor,
    )


def _version_item(
    slug: str,
    language: str,
    number: int,
    title: str,
    tags: Iterable[str],
    key: str,
    author: str,
    stamp: str,
    source_version: int,
    note: str,
) -> KnowledgeItem:
    return KnowledgeItem(
        slug=slug,
        sk=version_sk(language, number),
        title=title,
        tags=list(tags),
        body_key=key,
        author=author,
        at=stamp,
        source_version=source_version,
        note=note,
    )


def _translation(item: KnowledgeItem) -> Translation:
    return Translation(
        slug=item.slug,
        language=item.sk.removeprefix(LANGUAGE_PREFIX),
        title=item.title or "",
        tags=tuple(item.tags or ()),
        status=ArticleStatus(item.status or ArticleStatus.DRAFT.value),
        draft_version=int(item.draft_version or 0),
        published_version=int(item.published_version or 0),
        source_version=int(item.source_version or 0),
        published_at=from_iso(item.published_at) if item.published_at else None,
        updated_at=from_iso(item.updated_at or item.published_at or "1970-01-01T00:00:00.000Z"),
        updated_by=item.updated_by or "",
    )


def _article(items: Iterable[KnowledgeItem]) -> Article | None:
    head: KnowledgeItem | None = None
    translations: dict[str, Translation] = {}
    for item in items:
        if item.sk == ARTICLE_SK:
            head = item
        elif item.sk.startswith(LANGUAGE_PREFIX):
            translation = _translation(item)
            translations[translation.language] = translation
    if head is None:
        return None
    return Article(
        slug=head.slug,
        category=head.category or "general",
        original=head.original or "en",
        owner=head.owner or "",
        review_by=date.fromisoformat(head.review_by or "1970-01-01"),
        created_at=from_iso(head.created_at or "1970-01-01T00:00:00.000Z"),
        created_by=head.created_by or "",
        updated_at=from_iso(head.updated_at or "1970-01-01T00:00:00.000Z"),
        version=int(head.version or 0),
        translations=translations,
    )


def _version(item: KnowledgeItem, body: str) -> ArticleVersion:
    return ArticleVersion(
        slug=item.slug,
        language=item.sk.removeprefix(VERSION_PREFIX).split("#", 1)[0],
        number=int(item.sk.rsplit("#", 1)[1]),
        title=item.title or "",
        tags=tuple(item.tags or ()),
        body=body,
        author=item.author or "",
        at=from_iso(item.at or "1970-01-01T00:00:00.000Z"),
        source_version=int(item.source_version or 0),
        note=item.note or "",
    )
