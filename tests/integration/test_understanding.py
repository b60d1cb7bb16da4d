"""Ingest reads each mail like a good agent: the new text, the language, the topic and the mood,
and the acknowledgement answers in that language with the right articles."""

from __future__ import annotations

import pytest

from postdesk.tickets.model import MessageKind
from tests.integration.conftest import Desk
from tests.mails import build_mail

REQUESTS = [
    (
        "fr",
        "Mot de passe oublié",
        "Bonjour,\n\nj'ai oublié mon mot de passe et je ne peux plus accéder à mon compte. "
        "Pouvez-vous m'aider à le réinitialiser ?\n\nMerci,\nClaire",
        "Bonjour Claire Martin,",
    ),
    (
        "es",
        "Olvidé mi contraseña",
        "Hola,\n\nolvidé mi contraseña y no puedo entrar en mi cuenta. ¿Me pueden ayudar a "
        "restablecerla?\n\nGracias,\nClaire",
        "Hola, Claire Martin:",
    ),
    (
        "pt",
        "Esqueci minha senha",
        "Olá,\n\nesqueci minha senha e não consigo entrar na minha conta. Vocês podem me ajudar a "
        "redefinir?\n\nObrigada,\nClaire",
        "Olá, Claire Martin,",
    ),
]


@pytest.mark.parametrize(("language", "subject", "body", "greeting"), REQUESTS, ids=[r[0] for r in REQUESTS])
def test_acknowledgement_is_in_the_detected_language_with_matching_articles(
    desk: Desk, language: str, subject: str, body: str, greeting: str
) -> None:
    # Given a request in a language the desk answers in, with no Content-Language header
    raw = build_mail(subject=subject, body=body, sender="Claire Martin <claire@client.example>")

    # When it is delivered
    result = desk.deliver(raw, envelope_sender="claire@client.example")

    # Then the ticket knows the language and topic, and the acknowledgement speaks that language
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None
    assert ticket.language == language
    assert ticket.category == "account"
    assert ticket.triage_explanation
    text = desk.sent()[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith(greeting)
    # And it offers the account-recovery article in that language
    assert f"https://help.example.com/{language}/articles/account-recovery" in text
    html = desk.sent()[0].message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="https://help.example.com/{language}/articles/account-recovery"' in html


def test_frustrated_customer_gets_an_acknowledgement_that_first_acknowledges_the_trouble(desk: Desk) -> None:
    # Given an angry mail about a problem that is still not fixed
    raw = build_mail(
        subject="STILL not fixed",
        body="This is the third time I write about this. The app still crashes on start and it is "
        "still not fixed. This is unacceptable!!!",
    )

    # When it is delivered
    result = desk.deliver(raw)

    # Then the ticket records the feeling and the acknowledgement opens with empathy
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and ticket.sentiment in ("frustrated", "angry")
    assert ticket.priority in ("high", "urgent")
    text = desk.sent()[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.splitlines()[2].startswith("I'm sorry this is causing you trouble")


def test_polite_mail_gets_no_empathy_line(desk: Desk) -> None:
    desk.deliver(build_mail())
    text = desk.sent()[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "I'm sorry" not in text


def test_short_mail_takes_the_language_of_the_requesters_earlier_tickets(desk: Desk) -> None:
    # Given a customer whose earlier ticket was in German
    german = build_mail(
        subject="Rechnung",
        body="Guten Tag, meine Rechnung wurde zweimal abgebucht. Bitte erstatten Sie den Betrag.",
    )
    first = desk.deliver(german)
    assert desk.store.get_ticket(first.ref).language == "de"  # type: ignore[union-attr]

    # When the same customer sends a mail too short to tell
    second = desk.deliver(build_mail(subject="?", body="ok?"))

    # Then the new ticket is in German too, and so is its acknowledgement
    ticket = desk.store.get_ticket(second.ref)
    assert ticket is not None and ticket.language == "de"
    text = desk.sent()[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Guten Tag Jane Doe,")


def test_unsupported_language_is_detected_and_answered_in_the_default(desk: Desk) -> None:
    # Given an Italian mail (no Italian templates)
    raw = build_mail(
        subject="Fattura sbagliata",
        body="Buongiorno, la fattura di questo mese è sbagliata: mi avete addebitato due volte. "
        "Potete controllare e rimborsarmi?",
    )

    # When it is delivered
    result = desk.deliver(raw)

    # Then the ticket says Italian, and the acknowledgement is in English, not in Spanish
    assert desk.store.get_ticket(result.ref).language == "it"  # type: ignore[union-attr]
    text = desk.sent()[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Hello Jane Doe,")


def test_the_thread_keeps_the_visible_reply_beside_the_full_text(desk: Desk) -> None:
    # Given a ticket, and the customer's answer that quotes our acknowledgement
    first = desk.deliver(build_mail())
    reply_to = str(desk.sent()[0].message["Reply-To"])
    body = (
        "The parcel number is 123.\n\nOn Tue, 24 Nov 2026 at 09:31, Example Support "
        "<support@example.com> wrote:\n> thank you for writing to us.\n"
    )

    # When it arrives
    desk.deliver(build_mail(subject="Re: order", body=body, to=reply_to), recipients=[reply_to])

    # Then the thread holds the whole text and the visible reply
    reply = [m for m in desk.store.thread(first.ref) if m.kind is MessageKind.CUSTOMER][-1]
    assert "thank you for writing" in (reply.text or "")
    assert reply.visible_text is not None and reply.visible_text.strip() == "The parcel number is 123."
