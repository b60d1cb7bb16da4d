"""Every message of the public MIME corpora parses, cross-checked where the corpus inventory allows.

The corpora live in ../shared/corpora (or $POSTDESK_CORPORA); without them these tests skip and say so.
Each corpus ships an ``inventory.json`` that describes what CPython's parser saw in each file. It is
not ground truth, so it is only used where both parsers must agree on a well-formed mail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from postdesk.mail.model import ParsedMessage
from postdesk.mail.parse import DEFAULT_LIMITS, parse_message
from tests.corpora import CORPORA, corpus_dir

pytestmark = pytest.mark.corpus

KNOWN_CORPORA = ("mime-cpython-test-email", "mime-flanker", "mime-mimekit", "mime-ruby-mail")
NOT_MAIL = ("README.md", "inventory.json")


def _corpus_names() -> list[str]:
    found = {path.name for path in CORPORA.glob("mime-*") if path.is_dir()}
    return sorted(found | set(KNOWN_CORPORA))


def _mail_files(corpus: Path) -> list[Path]:
    return sorted(
        path
        for path in corpus.rglob("*")
        if path.is_file() and path.name not in NOT_MAIL and not path.name.startswith("LICENSE")
    )


def _inventory(corpus: Path) -> dict[str, dict[str, Any]]:
    inventory = corpus / "inventory.json"
    if not inventory.is_file():
        return {}
    files: dict[str, dict[str, Any]] = json.loads(inventory.read_text(encoding="utf-8"))["files"]
    return files


def _assert_sound(message: ParsedMessage, where: Path) -> None:
    assert isinstance(message, ParsedMessage), where
    assert isinstance(message.text, str) and "\x00" not in message.text, where
    assert message.html is None or "\x00" not in message.html, where
    assert not any(defect.startswith("parser error") for defect in message.defects), (where, message.defects)
    for name, value in message.headers:
        assert "\n" not in value and "\r" not in value, (where, name)
    assert "\n" not in message.subject and "\r" not in message.subject, where
    assert len(message.attachments) <= DEFAULT_LIMITS.max_attachments, where
    assert len(message.text) <= DEFAULT_LIMITS.max_text_chars, where


def _folded(text: str) -> str:
    return " ".join(text.split())


def _assert_agrees_with_inventory(message: ParsedMessage, entry: dict[str, Any], where: Path) -> None:
    """Cross-checks that must hold whichever careful parser reads a mail it can read."""
    cut_or_invalid = any(
        "longer than" in defect or "invalid Content-Type" in defect for defect in message.defects
    )
    subject = entry.get("subject")
    if subject is not None and "\ufffd" not in subject and not cut_or_invalid:
        assert message.subject.startswith(_folded(subject)), (where, subject, message.subject)
    # CPython stops reading headers at a malformed line; this parser skips the line and reads on.
    stopped_early = "MissingHeaderBodySeparatorDefect" in entry["python_email_defects"]
    if not stopped_early and not cut_or_invalid:
        assert message.content_type == entry["top_content_type"], where
    if entry.get("body_chars", 0) > 0 and not cut_or_invalid:
        assert message.text.strip(), where
    if entry["has_message_rfc822"]:
        enclosed = any(attachment.content_type.startswith("message/") for attachment in message.attachments)
        assert enclosed or "Forwarded message" in message.text, where
    if entry["has_tnef"]:
        assert any(attachment.content_type == "application/ms-tnef" for attachment in message.attachments), (
            where
        )


@pytest.mark.parametrize("name", _corpus_names())
def test_given_every_file_of_a_mime_corpus_when_parsed_then_each_yields_a_sound_message(name: str) -> None:
    # Given
    corpus = corpus_dir(name)
    inventory = _inventory(corpus)
    files = _mail_files(corpus)
    assert files, f"{corpus} holds no mail"
    for path in files:
        # When
        message = parse_message(path.read_bytes())
        # Then
        _assert_sound(message, path)
        entry = inventory.get(path.relative_to(corpus).as_posix())
        if entry is not None:
            _assert_agrees_with_inventory(message, entry, path)


def test_given_the_inventories_when_read_then_they_describe_files_that_exist() -> None:
    for name in KNOWN_CORPORA:
        corpus = corpus_dir(name)
        inventory = _inventory(corpus)
        assert inventory, f"{name} has no inventory.json"
        missing = [relative for relative in inventory if not (corpus / relative).is_file()]
        assert missing == [], name


def test_given_the_torture_test_when_parsed_then_the_body_and_a_bounded_set_of_attachments() -> None:
    # Given the 1.8 MB MIME torture test: enclosed messages, audio, images, nested multiparts
    raw = (corpus_dir("mime-flanker") / "messages" / "torture.eml").read_bytes()
    # When
    message = parse_message(raw)
    # Then
    assert message.content_type == "multipart/mixed"
    assert message.text.startswith("This is a demonstration of multi-part mail with encapsulated messages.")
    assert 0 < len(message.attachments) <= DEFAULT_LIMITS.max_attachments
    assert sum(attachment.content_type == "message/rfc822" for attachment in message.attachments) >= 2


def test_given_the_endless_enclosure_when_parsed_then_its_thousands_of_parts_stay_bounded() -> None:
    # Given a 3 MB mail whose enclosed message holds more than three thousand parts
    raw = (corpus_dir("mime-flanker") / "messages" / "enclosed-endless.eml").read_bytes()
    # When the mail is parsed, and then the enclosed message on its own
    message = parse_message(raw)
    (enclosed,) = message.attachments
    inner = parse_message(enclosed.content)
    wrapped = parse_message(b"Content-Type: message/rfc822\r\n\r\n" + raw)
    # Then every result is bounded and the part limit is reported where it was reached
    assert (message.subject, message.text) == ("Wow", "Hello")
    assert enclosed.content_type == "message/rfc822" and enclosed.size > 2_900_000
    assert f"more than {DEFAULT_LIMITS.max_parts} MIME parts; the rest was ignored" in inner.defects
    assert inner.text and len(inner.text) <= DEFAULT_LIMITS.max_text_chars
    assert len(inner.attachments) <= DEFAULT_LIMITS.max_attachments
    assert wrapped.text.startswith("---------- Forwarded message ----------")
    assert wrapped.text.endswith("Subject: Wow\nTo: Александр Клижентас☯ <example@example.com>\n\nHello")
    assert inner.subject == "Thanks!" and inner.text.startswith("dudes... you're kicking ass.")
