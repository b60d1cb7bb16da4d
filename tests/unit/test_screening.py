"""Screening decisions on parsed messages, without AWS."""

from __future__ import annotations

from postdesk.mail.model import Address, ParsedMessage
from postdesk.triage.screening import ReceiptVerdicts, Verdict, screen


def _message(
    headers: dict[str, str] | None = None,
    subject: str = "Help",
    sender: str = "a@customer.example",
    content_type: str = "text/plain",
    message_id: str = "<m@customer.example>",
) -> ParsedMessage:
    return ParsedMessage(
        headers=tuple((k.lower(), v) for k, v in (headers or {}).items()),
        message_id=message_id,
        in_reply_to=(),
        references=(),
        subject=subject,
        sender=Address("", sender),
        reply_to=(),
        to=(Address("", "support@example.com"),),
        cc=(),
        date=None,
        content_type=content_type,
        text="hello",
        html=None,
        attachments=(),
    )


def _screen(message: ParsedMessage, envelope: str | None = "a@customer.example", **verdicts: str) -> Verdict:
    return screen(
        message,
        envelope_sender=envelope,
        verdicts=ReceiptVerdicts(**verdicts),
        own_addresses={"support@example.com"},
        own_domain="example.com",
    ).verdict


def test_auto_submitted_no_is_a_person() -> None:
    assert _screen(_message({"Auto-Submitted": "no"})) is Verdict.ACCEPT


def test_auto_submitted_with_parameters_is_automatic() -> None:
    assert _screen(_message({"Auto-Submitted": "auto-replied; owner-email=x@y"})) is Verdict.AUTO_REPLY


def test_subject_words_inside_a_sentence_do_not_make_an_auto_reply() -> None:
    assert _screen(_message(subject="My printer is out of office supplies")) is Verdict.ACCEPT
    assert _screen(_message(subject="Abwesenheitsnotiz: bis 3.12.")) is Verdict.AUTO_REPLY
    assert _screen(_message(subject="Réponse automatique : absent")) is Verdict.AUTO_REPLY


def test_severity_order_virus_before_spam_before_everything_else() -> None:
    automatic = _message({"Auto-Submitted": "auto-replied"})
    assert _screen(automatic, virus="FAIL", spam="FAIL") is Verdict.VIRUS
    assert _screen(automatic, spam="FAIL") is Verdict.SPAM
    assert _screen(automatic, dmarc="FAIL") is Verdict.FORGED


def test_gray_and_processing_failed_verdicts_do_not_quarantine() -> None:
    assert _screen(_message(), spam="GRAY", virus="PROCESSING_FAILED", dmarc="GRAY") is Verdict.ACCEPT


def test_plus_address_of_ours_as_sender_is_our_own_mail() -> None:
    assert _screen(_message(sender="support+k7q2m9xd.abc@example.com")) is Verdict.OWN_MAIL


def test_someone_at_our_domain_who_is_not_us_is_a_person() -> None:
    assert _screen(_message(sender="colleague@example.com")) is Verdict.ACCEPT


def test_x_failed_recipients_is_a_bounce() -> None:
    assert _screen(_message({"X-Failed-Recipients": "x@y.example"})) is Verdict.BOUNCE
