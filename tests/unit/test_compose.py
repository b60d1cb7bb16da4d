"""Outbound MIME: headers are single lines, whatever text they carry."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from postdesk.mail.compose import MAX_REFERENCES, OutboundMail, clean_header_text, compose
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
