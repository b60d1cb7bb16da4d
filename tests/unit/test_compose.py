"""Outbound MIME: headers are single lines, whatever text they carry."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from postdesk.mail.compose import (
    MAX_REFERENCES,
    OutboundMail,
    OutgoingAttachment,
    clean_header_text,
    compose,
)
from postdesk.mail.model import Address


def _mail(**overrides: object) -> OutboundMail:
    values: dict[str, object] = {
        "sender": Address("Support", "support@example.com"),
        "to": (Address("Jäne\r\nBcc: x@evil.example", "jane@customer.example"),),
        "subject": "a\nBcc: evil@example.org",
        "text": "Hello",
        "html": "<p>Hello</p>",
        "message_id": "<m.postdesk@example.com>",
        "date": datetime(2026, 11, 25, tzinfo=UTC),
    }
    values.update(overrides)
    return OutboundMail(**values)  # type: ignore[arg-type]


def test_control_characters_never_reach_a_header() -> None:
    assert clean_header_text("a\r\nb\x00c\u2028d  e") == "a b c d e"
    raw = compose(_mail())
    message = message_from_bytes(raw, policy=default)
    assert message["Bcc"] is None
    assert message["Subject"] == "a Bcc: evil@example.org"
    assert message["To"].addresses[0].addr_spec == "jane@customer.example"  # type: ignore[attr-defined]


def test_automatic_mail_is_marked_and_human_mail_is_not() -> None:
    automatic = message_from_bytes(compose(_mail(auto_submitted="auto-replied")), policy=default)
    human = message_from_bytes(compose(_mail()), policy=default)
    assert automatic["Auto-Submitted"] == "auto-replied" and automatic["X-Auto-Response-Suppress"] == "All"
    assert human["Auto-Submitted"] is None and human["X-Auto-Response-Suppress"] is None


def test_long_reference_chains_keep_the_first_and_the_latest() -> None:
    ids = tuple(f"<r{n}@x.example>" for n in range(50))
    message = message_from_bytes(compose(_mail(references=ids)), policy=default)
    kept = message["References"].split()
    assert len(kept) == MAX_REFERENCES
    assert kept[0] == "<r0@x.example>" and kept[-1] == "<r49@x.example>"


def test_text_and_html_alternatives_in_utf8() -> None:
    message = message_from_bytes(compose(_mail(text="Grüße", html="<p>Grüße</p>")), policy=default)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "Grüße"  # type: ignore[union-attr]
    assert "Grüße" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_long_ses_message_ids_stay_literal_so_replies_can_match_them() -> None:
    ses_id = "<0102018c5d6e7f80-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000@eu-west-1.amazonses.com>"
    raw = compose(_mail(in_reply_to=ses_id, references=(ses_id, "<a@b.example>")))
    assert f"In-Reply-To: {ses_id}".encode() in raw
    assert f"References: {ses_id} <a@b.example>".encode() in raw


def test_text_that_looks_like_an_encoded_word_is_shown_as_it_was_typed() -> None:
    typed = "=?utf-8?q?Hi=0D=0ABcc:_e@a.example?="
    for subject in (typed, f"Re: {typed}", "Grüße =?x?= " * 12):
        raw = compose(_mail(subject=subject, to=(Address(typed, "jane@customer.example"),)))
        head = raw.split(b"\r\n\r\n")[0]
        message = message_from_bytes(raw, policy=default)

        # A client decodes the header once and gets the text back, not a line break and a Bcc line.
        assert message["Subject"] == " ".join(subject.split())
        assert message["Bcc"] is None and b"\r\nBcc" not in head
        lines = head.split(b"\r\n")
        start = next(n for n, line in enumerate(lines) if line.startswith(b"Subject: "))
        end = next(n for n in range(start + 1, len(lines) + 1) if n == len(lines) or lines[n][:1] != b" ")
        subject_lines = lines[start:end]
        # RFC 2047: an encoded word is at most 75 characters.
        assert all(len(line.removeprefix(b"Subject: ").strip()) <= 75 for line in subject_lines)
        # A name shows with a space after "=", so nothing in it is decoded.
        assert message["To"].addresses[0].display_name == "= ?utf-8?q?Hi=0D=0ABcc:_e@a.example?="  # type: ignore[attr-defined]
    # Ordinary subjects are written as before.
    assert b"Subject: Hello there\r\n" in compose(_mail(subject="Hello there"))


def test_bcc_recipients_are_destinations_but_in_no_header() -> None:
    mail = _mail(cc=(Address("", "cc@example.org"),), bcc=(Address("", "quiet@example.org"),))
    assert mail.recipients == ["jane@customer.example", "cc@example.org", "quiet@example.org"]
    raw = compose(mail)
    assert b"quiet@example.org" not in raw
    assert b"cc@example.org" in raw


def test_files_ride_in_multipart_mixed_after_the_text_and_html() -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256))
    mail = _mail(
        html="<p>Hello</p>",
        attachments=(OutgoingAttachment("Rechnung März\r\nBcc: x.pdf", "application/pdf", pdf),),
    )
    parsed = message_from_bytes(compose(mail), policy=default)
    assert parsed.get_content_type() == "multipart/mixed"
    body, file = parsed.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert file.get_content_type() == "application/pdf"
    assert file.get_filename() == "Rechnung März Bcc: x.pdf"
    assert file.get_payload(decode=True) == pdf
    assert "Bcc" not in parsed
