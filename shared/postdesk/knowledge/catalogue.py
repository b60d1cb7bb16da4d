"""What readers see of the knowledge base: the published snapshot, ``knowledge/published.json`` in
the mail bucket, rewritten by every publish, unpublish and delete (workflows/knowledge.py).

One catalogue per container (``Ports.catalogue``). It asks S3 for the snapshot at most every
``REFRESH_SECONDS`` with a conditional GET (the ETag it holds: an unchanged snapshot costs a 304 and
no parsing), and at once after ``invalidate()``. The search engine of acknowledgements, the reply box
and the help center (``triage.knowledge.KnowledgeBase``) is built from it once per generation.

The snapshot: ``{"format": 1, "generation": n, "articles": [PublishedArticle as JSON…]}``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from postdesk.aws.clients import client
from postdesk.clock import from_iso, to_iso
from postdesk.errors import ConfigurationError
from postdesk.knowledge.links import help_url
from postdesk.knowledge.model import PublishedArticle
from postdesk.observability import logger
from postdesk.triage.knowledge import Article as EngineArticle
from postdesk.triage.knowledge import KnowledgeBase

SNAPSHOT_KEY = "knowledge/published.json"
SNAPSHOT_FORMAT = 1
REFRESH_SECONDS = 30.0


def article_to_json(article: PublishedArticle) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "language": article.language,
        "title": article.title,
        "tags": list(article.tags),
        "category": article.category,
        "body": article.body,
        "version": article.version,
        "published_at": to_iso(article.published_at),
        "updated_at": to_iso(article.updated_at),
        "original": article.original,
    }


def article_from_json(data: dict[str, Any]) -> PublishedArticle:
    return PublishedArticle(
        slug=str(data["slug"]),
        language=str(data["language"]),
        title=str(data["title"]),
        tags=tuple(str(tag) for tag in data.get("tags", ())),
        category=str(data["category"]),
        body=str(data["body"]),
        version=int(data["version"]),
        published_at=from_iso(str(data["published_at"])),
        updated_at=from_iso(str(data["updated_at"])),
        original=str(data.get("original", "en")),
    )


def parse_snapshot(raw: bytes) -> tuple[int, list[PublishedArticle]]:
    """(generation, articles) of a snapshot; ConfigurationError naming what is wrong with it."""
    try:
        data = json.loads(raw)
        if data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {SNAPSHOT_FORMAT}")
        return int(data["generation"]), [article_from_json(item) for item in data["articles"]]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"{SNAPSHOT_KEY} cannot be read: {error}") from error


class PublishedCatalogue:
    def __init__(
        self,
        bucket: str,
        region: str,
        public_url: str = "",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bucket = bucket
        self._region = region
        self._public_url = public_url
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._checked_at: float | None = None
        self._generation = 0
        self._articles: tuple[PublishedArticle, ...] = ()
        self._by_key: dict[tuple[str, str], PublishedArticle] = {}
        self._engine: KnowledgeBase | None = None
        # A snapshot (or its absence) has been read at least once.
        self._loaded = False

    # -- reading -----------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The snapshot's generation (0 before anything was published); goes up with every change."""
        self._refresh()
        return self._generation

    def articles(self, language: str | None = None) -> list[PublishedArticle]:
        """The published articles (of ``language``), by slug."""
        self._refresh()
        return [a for a in self._articles if language is None or a.language == language]

    def article(self, slug: str, language: str) -> PublishedArticle | None:
        self._refresh()
        return self._by_key.get((slug, language))

    def languages_of(self, slug: str) -> list[str]:
        """The languages ``slug`` is published in, sorted."""
        self._refresh()
        return sorted(language for known, language in self._by_key if known == slug)

    def engine(self) -> KnowledgeBase:
        """The search engine over the published articles, their URLs the help center's pages."""
        self._refresh()
        with self._lock:
            if self._engine is None:
                self._engine = KnowledgeBase(
                    EngineArticle(
                        slug=article.slug,
                        language=article.language,
                        title=article.title,
                        url=help_url(self._public_url, article.language, article.slug),
                        tags=article.tags,
                        category=article.category,
                        body=article.body,
                    )
                    for article in self._articles
                )
            return self._engine

    def invalidate(self) -> None:
        """Ask S3 again on the next read (this container has just changed what is published)."""
        with self._lock:
            self._checked_at = None

    def _refresh(self) -> None:
        now = self._monotonic()
        with self._lock:
            if self._checked_at is not None and now - self._checked_at < REFRESH_SECONDS:
                return
            parameters: dict[str, str] = {"Bucket": self._bucket, "Key": SNAPSHOT_KEY}
            if self._etag:
                parameters["IfNoneMatch"] = self._etag
            try:
                response = client("s3", self._region).get_object(**parameters)
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code"))
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if code in ("304", "NotModified") or status == 304:
                    self._checked_at = now
                    return
                if code in ("NoSuchKey", "404"):
                    # Nothing was ever published in this desk.
                    self._install(0, [], None)
                    self._checked_at = now
                    return
                self._unreadable(error)
                return
            except BotoCoreError as error:
                self._unreadable(error)
                return
            generation, articles = parse_snapshot(response["Body"].read())
            self._install(generation, articles, response.get("ETag"))
            self._checked_at = now

    def _unreadable(self, error: Exception) -> None:
        """S3 did not answer (denied, throttled, unreachable). A container that has read a snapshot
        keeps serving it and asks again on the next read; one that never has cannot say what is
        published, which its callers answer in words (ConfigurationError is "unavailable")."""
        if self._loaded:
            logger.warning(
                "the published articles could not be read again; serving the last ones read",
                extra={"error": str(error)[:200]},
            )
            return
        raise ConfigurationError(f"{SNAPSHOT_KEY} cannot be read: {error}") from error

    def _install(self, generation: int, articles: list[PublishedArticle], etag: str | None) -> None:
        ordered = tuple(sorted(articles, key=lambda a: (a.slug, a.language)))
        if ordered != self._articles or generation != self._generation:
            self._engine = None
        self._generation = generation
        self._articles = ordered
        self._by_key = {(a.slug, a.language): a for a in ordered}
        self._etag = etag
        self._loaded = True

    # -- writing -----------------------------------------------------------------------------------

    def write_snapshot(self, articles: Iterable[PublishedArticle]) -> int:
        """Replace the snapshot with ``articles`` under the next generation, and return it. Readers
        in other containers see it within ``REFRESH_SECONDS``; this one at once."""
        self.invalidate()
        generation = self.generation + 1
        ordered = sorted(articles, key=lambda a: (a.slug, a.language))
        document = {
            "format": SNAPSHOT_FORMAT,
            "generation": generation,
            "articles": [article_to_json(article) for article in ordered],
        }
        client("s3", self._region).put_object(
            Bucket=self._bucket,
            Key=SNAPSHOT_KEY,
            Body=json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            ContentType="application/json; charset=utf-8",
        )
        self.invalidate()
        return generation
