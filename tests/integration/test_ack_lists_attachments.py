"""The acknowledgement tells the customer which files of theirs arrived (not the images of their
signature), in their language, and a mail of only a file shows no empty quote."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from tests.integration.conftest import Desk
from tests.mails import build_mail


def _with_files(names: list[str], body: str, language_body: str | None = None) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Jana Berg <jana@customer.example>"
    message["To"] = "support@example.com"
    message["Subject"] = "Rechnung falsch"
    message["Message-ID"] = "<files-1@customer.example>"
    message.set_content(language_body or body)
    message.add_related(
        b"\x89PNG\r\n\x1a\n",
        maintype="image",
        subtype="png",
        cid="<logo@sig>",
        filename="logo.png",
        disposition="inline",
    )
    for name in names:
        message.add_attachment(b"%PDF-1.4 file", maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def test_the_acknowledgement_names_the_files_that_arrived(desk: Desk) -> None:
    names = ["Rechnung 0815.pdf", "Kontoauszug.pdf"]
    body = "Guten Tag,\n\ndie Rechnung im Anhang ist doppelt abgebucht worden. Bitte prüfen Sie das.\n\nJana"
    desk.deliver(_with_files(names, body))
    (ack,) = desk.sent()
    text = ack.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = ack.message.get_body(("html",)).get_content()
    assert "  Anhänge: Rechnung 0815.pdf, Kontoauszug.pdf\n\nExample Support" in text
    assert "Anhänge: Rechnung 0815.pdf, Kontoauszug.pdf</p>" in html
    assert "logo.png" not in text


def test_many_files_are_named_up_to_five_then_counted(desk: Desk) -> None:
    names = [f"photo-{n}.pdf" for n in range(1, 9)]
    desk.deliver(_with_files(names, "", "Hello,\n\nthe parcel arrived broken, photos attached.\n\nJana"))
    (ack,) = desk.sent()
    text = ack.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "photo-5.pdf (+3)\n\nExample Support" in text and "photo-6.pdf" not in text


def test_a_mail_without_files_lists_none_and_a_mail_of_only_a_file_shows_no_empty_quote(desk: Desk) -> None:
    desk.deliver(build_mail(subject="Cannot sign in", body="Hello,\n\nI cannot sign in.\n\nLee"))
    (ack,) = desk.sent()
    assert "Attached:" not in ack.message.get_body(("plain",)).get_content()

    message = EmailMessage(policy=SMTP)
    message["From"] = "lee@customer.example"
    message["To"] = "support@example.com"
    message["Message-ID"] = "<only-a-file@customer.example>"
    message.set_content("")
    message.add_attachment(b"%PDF-1.4 scan", maintype="application", subtype="pdf", filename="scan.pdf")
    desk.deliver(message.as_bytes())
    only_file = desk.sent()[-1].message
    assert "Attached: scan.pdf" in only_file.get_body(("plain",)).get_content()
    assert "<blockquote" not in only_file.get_body(("html",)).get_content()
