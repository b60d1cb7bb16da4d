"""Inbound mail becomes a ticket and gets one safe acknowledgement (moto in-process)."""

from __future__ import annotations

import re

import pytest

from postdesk.mail.addressing import ReplyAddressCheck
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Direction, MessageKind, Status, TicketEvent
from postdesk.workflows.ingest import AckOutcome
from tests.integration.conftest import Desk
from tests.mails import build_mail


def test_new_mail_becomes_a_ticket_with_one_acknowledgement(desk: Desk) -> None:
    # Given a customer's first mail
    raw = build_mail(message_id="<first@customer.example>")

    # When SES delivers it
    result = desk.deliver(raw)

    # Then a ticket exists with the customer as requester, its message in the thread and the log
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None
    assert result.created and result.new_ticket
    assert ticket.status is Status.NEW
    assert ticket.requester_email == "jane.doe@customer.example"
    assert ticket.requester_name == "Jane Doe"
    assert ticket.subject == "My order has not arrived"
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", ticket.ref)
    thread = desk.store.thread(ticket.ref)
    assert [m.kind for m in thread] == [MessageKind.CUSTOMER, MessageKind.ACKNOWLEDGEMENT]
    assert "my order 4711 has not arrived" in (thread[0].text or "")
    kinds = [event.kind for event in desk.store.events(ticket.ref)]
    assert kinds.count("ticket_created") == 1 and kinds.count("ack_sent") == 1 and "mail_screened" in kinds

    # And exactly one acknowledgement went to the envelope sender
    (ack,) = desk.sent()
    assert ack.recipients == {"jane.doe@customer.example"}
    assert result.ack is AckOutcome.SENT
    assert desk.metrics.total("TicketsCreated") == 1 and desk.metrics.total("AcksSent") == 1


def test_acknowledgement_headers_follow_rfc_3834_and_thread_the_inbound_mail(desk: Desk) -> None:
    # Given a mail that references an earlier conversation of the customer's
    raw = build_mail(message_id="<first@customer.example>", references="<older@customer.example>")

    # When it is delivered
    result = desk.deliver(raw)

    # Then the acknowledgement carries the loop-prevention and threading headers
    message = desk.sent()[0].message
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == "<first@customer.example>"
    references = message["References"].split()
    assert references[:2] == ["<older@customer.example>", "<first@customer.example>"]
    assert references[-1] == f"<ticket.{result.ref.replace('-', '').lower()}.postdesk@example.com>"
    assert message["Subject"] == f"[#{result.ref}] My order has not arrived"
    assert message["From"] == "Example Support <support@example.com>"
    # And its Reply-To is a plus-address whose signature verifies for this ticket
    reply_to = message["Reply-To"]
    check = ReplyAddressCheck("support@example.com", desk.ports.signing_key())
    assert check.find([reply_to]) == (result.ref, False)
    # And it has a text and an HTML part, both greeting by name and naming the reference
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Hello Jane Doe,") and result.ref in text
    assert "Hello Jane Doe," in html and result.ref in html
    # And the id SES gave it is stored for threading
    ses_header_id = desk.store.thread(result.ref)[1].message_id
    assert ses_header_id is not None and ses_header_id.endswith("@eu-west-1.amazonses.com>")
    assert desk.store.lookup_message_ids([ses_header_id])[ses_header_id] == (result.ref, Direction.OUTBOUND)


def test_html_in_customer_text_is_escaped_in_the_html_acknowledgement(desk: Desk) -> None:
    # Given a mail whose text and subject hold markup
    raw = build_mail(subject="<b>Hi</b>", body="<script>alert(1)</script> please help")

    # When it is acknowledged
    desk.deliver(raw)

    # Then the HTML part shows the markup as text, never as markup
    html = desk.sent()[0].message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>Hi</b>" not in html


def test_encoded_newline_in_subject_cannot_add_a_header_to_the_acknowledgement(desk: Desk) -> None:
    # Given a subject whose encoded word hides a line break followed by a header
    raw = build_mail().replace(b"Subject: My order has not arrived", b"Subject: =?UTF-8?Q?a=0ABcc:_x?=")

    # When it is acknowledged
    result = desk.deliver(raw)

    # Then the acknowledgement has no Bcc header and the text stays in the subject line
    sent = desk.sent()[0]
    assert sent.message["Bcc"] is None
    assert not re.search(rb"^bcc:", sent.raw, re.IGNORECASE | re.MULTILINE)
    assert sent.message["Subject"] == f"[#{result.ref}] a Bcc: x"
    assert sent.recipients == {"jane.doe@customer.example"}


def test_greeting_without_a_display_name_is_neutral(desk: Desk) -> None:
    desk.deliver(build_mail(sender="jane.doe@customer.example"))
    text = desk.sent()[0].message.get_body(("plain",)).get_content()
    assert text.startswith("Hello,")


def test_german_mail_is_acknowledged_in_german(desk: Desk) -> None:
    # Given a mail that declares German
    raw = build_mail(
        subject="Rechnung doppelt abgebucht",
        body="Guten Tag,\n\nmeine Rechnung wurde zweimal abgebucht.\n\nGrüße\nMax",
        sender="Max Mustermann <max@kunde.example>",
        headers={"Content-Language": "de-DE"},
    )

    # When it is acknowledged
    result = desk.deliver(raw, envelope_sender="max@kunde.example")

    # Then the acknowledgement is in German
    text = desk.sent()[0].message.get_body(("plain",)).get_content()
    assert text.startswith("Guten Tag Max Mustermann,")
    assert desk.store.get_ticket(result.ref).language == "de"  # type: ignore[union-attr]


def test_attachments_go_to_s3_with_name_type_size_and_sha256(desk: Desk) -> None:
    # Given a mail with a PDF attached
    from email import message_from_bytes
    from email.policy import SMTP

    message = message_from_bytes(build_mail(), policy=SMTP)
    pdf = b"%PDF-1.4 invoice " * 100
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="Rechnung März.pdf")  # type: ignore[attr-defined]

    # When it is delivered
    result = desk.deliver(message.as_bytes())

    # Then the ticket keeps only a pointer, and the bytes are in S3 under that key
    import hashlib

    (attachment,) = desk.store.thread(result.ref)[0].attachments
    assert attachment.filename == "Rechnung März.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(pdf)
    assert attachment.sha256 == hashlib.sha256(pdf).hexdigest()
    assert desk.ports.blobs.get(attachment.key) == pdf


def test_long_text_is_kept_in_s3_with_a_pointer(desk: Desk) -> None:
    # Given a mail whose text is larger than an item should hold
    body = "A log line that repeats itself for a long while.\n" * 3000

    # When it is delivered
    result = desk.deliver(build_mail(body=body))

    # Then the thread item holds a preview and a key, and the whole text is in S3
    first = desk.store.thread(result.ref)[0]
    assert first.text_key is not None
    assert first.text is not None and len(first.text) <= 2000
    assert desk.ports.blobs.get(first.text_key).decode().strip() == body.strip()


def test_missing_raw_mail_is_a_clear_error(desk: Desk) -> None:
    from postdesk.errors import RawMailMissing
    from postdesk_tools.ses_events import receipt_event

    event = receipt_event(
        build_mail(), ses_id="nosuchobject", recipients=["support@example.com"], envelope_sender="a@b.example"
    )
    with pytest.raises(RawMailMissing, match="nosuchobject"):
        desk.deliver_event(event)


def test_headers_truncated_in_the_event_are_read_from_the_stored_mail(desk: Desk) -> None:
    # Given an automatic reply whose Auto-Submitted header comes after 12 KB of other headers
    filler = {f"X-Filler-{i}": "x" * 200 for i in range(60)}
    raw = build_mail(headers={**filler, "Auto-Submitted": "auto-replied"})
    event = desk.event(raw)
    assert event["Records"][0]["ses"]["mail"]["headersTruncated"] is True
    assert all(h["name"] != "Auto-Submitted" for h in event["Records"][0]["ses"]["mail"]["headers"])

    # When it is delivered
    result = desk.deliver_event(event)

    # Then screening saw the header anyway, and no acknowledgement went out
    assert result.screening.verdict.value == "auto_reply"
    assert desk.sent() == []


def _resolve(desk: Desk, ref: str) -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    desk.store.update_ticket(
        TicketUpdate(ticket, {"status": Status.RESOLVED}),
        [TicketEvent(ref=ref, at=desk.clock_now, kind="status_changed", event_id="test:resolve")],
    )


def test_oversized_headers_are_bounded_in_the_item_and_kept_whole_in_s3(desk: Desk) -> None:
    # Given a mail with a 300 KB subject and five hundred addresses on Cc
    subject = "Refund " + "x" * 300_000
    cc = ", ".join(f"person{n}@many.example" for n in range(500))
    raw = build_mail(subject=subject, cc=cc)

    # When it is delivered
    result = desk.deliver(raw)

    # Then the ticket exists with bounded fields, and the raw mail keeps everything
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None
    assert ticket.subject.startswith("Refund xxx") and len(ticket.subject) <= 998
    # A ticket keeps only as many Cc addresses as an answer can go to (SES: 50 recipients).
    assert len(ticket.cc) == 49
    first = desk.store.thread(result.ref)[0]
    assert first.raw_key is not None and len(desk.ports.blobs.get(first.raw_key)) >= len(raw)
