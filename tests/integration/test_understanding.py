"""Ingest reads each mail like a good agent: the new text, the language, the topic and the mood,
and the acknowledgement answers in that language with the right articles."""

from __future__ import annotations

from dataclasses import replace

import pytest

from postdesk import runtime
from postdesk.aws.clients import client as aws_client
from postdesk.tickets.model import MessageKind
from postdesk.workflows.knowledge import import_seed
from tests.integration.conftest import Desk
from tests.mails import build_mail

HELP_CENTER = "https://desk.example.com/help"

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
    # Given a desk with the shipped articles published, and a request in a language the desk
    # answers in, with no Content-Language header
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
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
    # And it offers the account-recovery article in that language, on the desk's help center,
    # marked as a visit from a mail
    link = f"{HELP_CENTER}/{language}/articles/account-recovery?from=mail"
    assert link in text
    html = desk.sent()[0].message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="{link}"' in html
    # And the ticket's history names the article it suggested, for the article's figures
    (ack,) = [event for event in desk.store.events(result.ref) if event.kind == "ack_sent"]
    assert ack.detail["articles"] == "account-recovery"


def test_a_desk_without_published_articles_or_a_public_address_suggests_none(desk: Desk) -> None:
    def request(number: int) -> bytes:
        return build_mail(
            subject="Forgot my password",
            body="Hello, I forgot my password and cannot get into my account. Can you help me reset it?",
            sender=f"Customer {number} <customer{number}@client.example>",
        )

    # Nothing published yet: an acknowledgement without articles
    first = desk.deliver(request(1), envelope_sender="customer1@client.example")
    text = desk.sent()[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "/help/" not in text
    (ack,) = [event for event in desk.store.events(first.ref) if event.kind == "ack_sent"]
    assert "articles" not in ack.detail

    # Published, but the desk has no public address customers could open them at: still none
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
    private = replace(desk.settings, survey=replace(desk.settings.survey, public_url=""))
    second = desk.deliver(
        request(2),
        envelope_sender="customer2@client.example",
        ports=runtime.aws_ports(private, desk.metrics, clock=desk.now),
    )
    text = desk.sent()[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "/help/" not in text and "articles/account-recovery" not in text
    (ack,) = [event for event in desk.store.events(second.ref) if event.kind == "ack_sent"]
    assert "articles" not in ack.detail

    # With its public address, the same request is offered the article
    third = desk.deliver(request(3), envelope_sender="customer3@client.example")
    text = desk.sent()[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{HELP_CENTER}/en/articles/account-recovery?from=mail" in text
    (ack,) = [event for event in desk.store.events(third.ref) if event.kind == "ack_sent"]
    assert ack.detail["articles"] == "account-recovery"


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


def test_a_published_snapshot_that_cannot_be_read_costs_the_suggestions_not_the_mail(desk: Desk) -> None:
    # Given a snapshot of the published articles that is not one (a botched manual edit)
    s3 = aws_client("s3", desk.settings.region)
    s3.put_object(Bucket=desk.settings.mail_bucket, Key="knowledge/published.json", Body=b"{not json")

    # When a request arrives
    result = desk.deliver(build_mail(subject="Forgot my password", body="I forgot my password."))

    # Then it is a ticket, acknowledged without articles, and the trouble is counted
    assert result.ack.value == "sent"
    text = desk.sent()[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "/help/" not in text
    assert desk.metrics.total("KnowledgeUnavailable") == 1
