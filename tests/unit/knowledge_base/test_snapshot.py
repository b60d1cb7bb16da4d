"""The published snapshot's JSON: what a publish writes is what every reader reads back, and a
snapshot that cannot be read says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from postdesk.errors import ConfigurationError
from postdesk.knowledge.catalogue import SNAPSHOT_FORMAT, article_to_json, parse_snapshot
from postdesk.knowledge.model import PublishedArticle
from postdesk.knowledge.store import image_kind

ARTICLE = PublishedArticle(
    slug="reset-password",
    language="de",
    title="Passwort zurücksetzen",
    tags=("Passwort", "gesperrt"),
    category="account",
    body="# Passwort\n\nÖffnen Sie die Anmeldeseite.\n",
    version=3,
    published_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
    updated_at=datetime(2026, 3, 2, 9, 15, 30, 250000, tzinfo=UTC),
    original="en",
)


def test_an_article_comes_back_as_it_was_written() -> None:
    raw = json.dumps({"format": SNAPSHOT_FORMAT, "generation": 7, "articles": [article_to_json(ARTICLE)]})
    assert parse_snapshot(raw.encode()) == (7, [ARTICLE])


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"not json", "cannot be read"),
        (b'{"format": 2, "generation": 1, "articles": []}', "expected 1"),
        (b'{"format": 1, "generation": 1, "articles": [{"slug": "x"}]}', "cannot be read"),
    ],
)
def test_a_broken_snapshot_says_what_is_wrong(raw: bytes, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        parse_snapshot(raw)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n...", ("png", "image/png")),
        (b"\xff\xd8\xff\xe0...", ("jpg", "image/jpeg")),
        (b"GIF89a...", ("gif", "image/gif")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("webp", "image/webp")),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
    ],
)
def test_an_image_is_what_its_bytes_say(data: bytes, kind: tuple[str, str] | None) -> None:
    assert image_kind(data) == kind
