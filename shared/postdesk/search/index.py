"""The search index in the mail bucket: immutable segments under ``search/segments/`` and one
manifest (``search/manifest.json``) naming the live ones, newest first.

One writer (the ``search_index`` function, one at a time) adds a segment per batch of changed tickets
and merges: past ``MAX_SEGMENTS`` the small segments among themselves (the base too once they have
grown to a quarter of it), and everything at once when a batch removes tickets, so erased and
expired text leaves the bucket with the batch that removed it. Readers (the API) keep the
segments they downloaded in a local directory (a Lambda's /tmp) and ask S3 for the manifest on each
search with its ETag, which is answered "not modified" until the writer publishes again.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.search.documents import SearchDocument
from postdesk.search.query import ParsedQuery
from postdesk.search.segments import Conditions, Hit, Order, SegmentReader, merge_segments, write_segment

MANIFEST_KEY = "search/manifest.json"
SEGMENT_PREFIX = "search/segments/"
MAX_SEGMENTS = 8
# The base segment is merged with the others once they hold a quarter of its size.
BASE_MERGE_RATIO = 4
# The most hits a search ranks (pages beyond are refused: refine the words instead).
MAX_RANKED = 500


@dataclass(frozen=True, slots=True)
class Manifest:
    generation: int = 0
    # Newest first.
    segments: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        document = {"format": 1, "generation": self.generation, "segments": list(self.segments)}
        return json.dumps(document).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        document = json.loads(raw)
        return cls(int(document["generation"]), tuple(document["segments"]))


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[Hit]
    # More hits after these (within MAX_RANKED).
    more: bool


@dataclass(slots=True)
class _Cache:
    manifest: Manifest = field(default_factory=Manifest)
    etag: str | None = None
    readers: dict[str, SegmentReader] = field(default_factory=dict)
    names: dict[str, frozenset[str]] = field(default_factory=dict)


class SegmentGone(Exception):
    """A segment of the manifest this reader holds was merged away meanwhile."""


class SearchIndex:
    def __init__(self, bucket: str, region: str, cache_dir: Path) -> None:
        self.bucket = bucket
        self._region = region
        self._dir = cache_dir
        self._dir.mkdir(parents=True, exist_ok=True)
        self._cache = _Cache()
        # Readers are SQLite connections with a scratch table: one search at a time per process.
        self._lock = threading.Lock()
        # The segments the publish under way wrote (some a merge of the same publish took in).
        self._written: set[str] = set()

    # Reading -------------------------------------------------------------------------------------

    def manifest(self) -> Manifest:
        """The manifest as S3 holds it now (a conditional GET: the body only when it changed)."""
        s3 = client("s3", self._region)
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": MANIFEST_KEY}
        if self._cache.etag:
            arguments["IfNoneMatch"] = self._cache.etag
        try:
            answer = s3.get_object(**arguments)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code"))
            if code == "304" or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 304:
                return self._cache.manifest
            if code in ("NoSuchKey", "404"):
                self._cache.manifest, self._cache.etag = Manifest(), None
                return self._cache.manifest
            raise
        self._cache.manifest = Manifest.from_json(answer["Body"].read())
        self._cache.etag = answer.get("ETag")
        return self._cache.manifest

    def search(
        self, query: ParsedQuery | None, conditions: Conditions, order: Order, limit: int, offset: int = 0
    ) -> SearchPage:
        """One page of the tickets that match ``query`` under ``conditions``, best first (or newest
        first), read from every live segment. Without ``query``: all under ``conditions``, newest
        first."""
        if query is None:
            order = Order.DATE
        wanted = min(offset + limit + 1, MAX_RANKED)
        with self._lock:
            for attempt in range(3):
                try:
                    hits = self._search_segments(self.manifest(), query, conditions, order, wanted)
                    break
                except SegmentGone:
                    if attempt == 2:
                        raise
                    continue
        if order is Order.RELEVANCE:
            hits.sort(key=lambda hit: (hit.score, hit.ref))
        else:
            hits.sort(key=lambda hit: (hit.updated_at, -hit.score, hit.ref), reverse=True)
        page = hits[offset : offset + limit]
        return SearchPage(page, len(hits) > offset + limit and offset + limit < MAX_RANKED)

    def _search_segments(
        self, manifest: Manifest, query: ParsedQuery | None, conditions: Conditions, order: Order, wanted: int
    ) -> list[Hit]:
        hits: list[Hit] = []
        newer: set[str] = set()
        for position, name in enumerate(manifest.segments):
            reader = self._reader(name)
            hits.extend(
                reader.search(
                    query.match if query else None,
                    conditions,
                    order,
                    wanted,
                    newer,
                    query.shown if query else None,
                )
            )
            if position < len(manifest.segments) - 1:
                newer |= self._names(name, reader)
        self._forget_all_but(manifest.segments)
        return hits

    def _names(self, name: str, reader: SegmentReader) -> frozenset[str]:
        if name not in self._cache.names:
            self._cache.names[name] = frozenset(reader.names())
        return self._cache.names[name]

    def _reader(self, name: str) -> SegmentReader:
        reader = self._cache.readers.get(name)
        if reader is None:
            path = self._local(name)
            reader = SegmentReader(path)
            self._cache.readers[name] = reader
        return reader

    def _local(self, name: str) -> Path:
        """The segment's file here, downloaded once (segments never change)."""
        path = self._dir / name
        if not path.exists():
            partial = path.with_suffix(f".{secrets.token_hex(4)}.part")
            try:
                client("s3", self._region).download_file(self.bucket, SEGMENT_PREFIX + name, str(partial))
            except ClientError as error:
                partial.unlink(missing_ok=True)
                if str(error.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey"):
                    self._cache.etag = None
                    raise SegmentGone(name) from error
                raise
            partial.replace(path)
        return path

    def _forget_all_but(self, live: Sequence[str]) -> None:
        """Close and delete every local segment the manifest no longer names (a Lambda's /tmp is
        small, and a merged-away segment may hold erased words)."""
        for name in set(self._cache.readers) - set(live):
            self._cache.readers.pop(name).close()
            self._cache.names.pop(name, None)
        for path in self._dir.glob("*.db"):
            if path.name not in live:
                path.unlink(missing_ok=True)

    # Writing (one writer at a time) ----------------------------------------------------------------

    def publish(self, documents: Sequence[SearchDocument], removed: Iterable[str]) -> Manifest:
        """Add a segment with ``documents`` and tombstones for ``removed``; merge when the segments
        are too many or something was removed; then name the result in the manifest."""
        removed = set(removed) - {document.ref for document in documents}
        with self._lock:
            current = self.manifest()
            generation = current.generation + 1
            segments = list(current.segments)
            self._written.clear()
            if documents or removed:
                name = self._write(generation, lambda path: write_segment(path, documents, removed))
                segments.insert(0, name)
            if removed and len(segments) > 0:
                # Removed words leave every segment now: all of them are rewritten.
                segments = self._merged(generation, segments)
            elif len(segments) > MAX_SEGMENTS:
                # Tiered: the small segments merge among themselves; the base (the oldest, by far
                # the largest) is rewritten only when they have grown to a quarter of it, so a
                # busy desk does not rewrite (and every reader download) the whole index each time.
                base, small = segments[-1], segments[:-1]
                merged_small = self._merged(generation, small)
                if self._size(merged_small[0]) * BASE_MERGE_RATIO >= self._size(base):
                    segments = self._merged(generation, [*merged_small, base])
                else:
                    segments = [*merged_small, base]
            manifest = Manifest(generation, tuple(segments))
            client("s3", self._region).put_object(
                Bucket=self.bucket, Key=MANIFEST_KEY, Body=manifest.to_json(), ContentType="application/json"
            )
            # What this publish wrote and a merge took in goes too: it may hold what was just removed.
            gone = (set(current.segments) | self._written) - set(segments)
            if gone:
                client("s3", self._region).delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": SEGMENT_PREFIX + n} for n in sorted(gone)], "Quiet": True},
                )
            self._forget_all_but(segments)
            return manifest

    def _merged(self, generation: int, newest_first: Sequence[str]) -> list[str]:
        sources = [self._local(segment) for segment in newest_first]
        return [self._write(generation, lambda path: merge_segments(sources, path))]

    def _size(self, name: str) -> int:
        return self._local(name).stat().st_size

    def _write(self, generation: int, make: Callable[[Path], int]) -> str:
        name = f"{generation:012d}-{secrets.token_hex(6)}.db"
        path = self._dir / name
        make(path)
        client("s3", self._region).upload_file(
            str(path),
            self.bucket,
            SEGMENT_PREFIX + name,
            ExtraArgs={"ContentType": "application/vnd.sqlite3"},
        )
        self._written.add(name)
        return name
