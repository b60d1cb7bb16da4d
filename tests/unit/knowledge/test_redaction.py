"""An article drafted from a ticket: the agents' answers stay, the customer's data goes, and the list of
what went says only its kind and how often."""

from __future__ import annotations

import pytest

from postdesk.knowledge.redaction import (
    PLACEHOLDER,
    Removal,
    RemovedKind,
    SignOffWords,
    TicketPeople,
    draft_from_replies,
    signers_of,
)
from postdesk.replies.sign_off import load_sign_off

WORDS = SignOffWords(
    closings=load_sign_off().closings,
    signers=signers_of(["Sam Lee", "Lena Vogt", "Example Support"]),
    own_addresses=("support@example.com",),
)


def _removed(removed: tuple[Removal, ...]) -> dict[str, int]:
    return {removal.kind.value: removal.count for removal in removed}


def test_an_english_reply_keeps_its_answer_and_loses_the_customer() -> None:
    # Given a ticket of Ana Silva about a parcel, and the agent's answer
    people = TicketPeople(
        names=("Ana Silva",),
        addresses=("ana.silva@example.org",),
        customer_texts=("My order 48213 has not arrived. Call me on 0151 2345 6789.",),
        refs=("K7Q2-M9XD",),
    )
    reply = (
        "Hi Ana,\n\n"
        "Thanks for getting in touch about order 48213. The parcel (tracking 1Z999AA10123456784) is at "
        "the carrier's depot and will be delivered within 2 working days.\n\n"
        "You can follow it here: https://track.example.com/parcel?id=1Z999AA10123456784&lang=en or read "
        "[how deliveries work](https://help.example.com/help/en/articles/delivery-and-returns).\n\n"
        "If it has not arrived by Friday, reply to this mail ([#K7Q2-M9XD]) or write to "
        "support@example.com. I tried to call you at +49 151 2345 6789, Ana, and the mail to "
        "ana.silva@example.org bounced.\n\n"
        "Best regards,\nSam Lee\nExample Support"
    )

    # When an article is drafted from it
    draft = draft_from_replies("Re: [#K7Q2-M9XD] Order 48213 missing - Ana Silva", [reply], people, WORDS)

    # Then the answer is there, without greeting, sign-off or anything of Ana's
    assert draft.title == "Order missing"
    assert draft.body.startswith("Thanks for getting in touch about order […]. The parcel (tracking […])")
    assert "within 2 working days" in draft.body
    help_link = "[how deliveries work](https://help.example.com/help/en/articles/delivery-and-returns)"
    assert help_link in draft.body
    assert "write to support@example.com" in draft.body
    for value in ("Ana", "Silva", "48213", "1Z999", "K7Q2", "2345", "ana.silva", "track.example.com", "Sam"):
        assert value not in draft.body, value
    assert "Best regards" not in draft.body and "Example Support" not in draft.body
    # And the list says what went, how often (the title's name and order number too), never the values
    assert _removed(draft.removed) == {
        "greeting": 1,
        "sign_off": 1,
        "name": 2,
        "email": 1,
        "phone": 1,
        "ticket_ref": 1,
        "reference_number": 3,
        "link": 1,
    }
    assert [removal.kind for removal in draft.removed] == sorted(
        (removal.kind for removal in draft.removed), key=list(RemovedKind).index
    )


def test_a_german_reply_with_a_formal_greeting_an_iban_and_a_compound_order_word() -> None:
    people = TicketPeople(
        names=("Jürgen Müller",),
        addresses=("j.mueller@example.de",),
        customer_texts=(
            "Meine Bestellung 77812 ist nicht angekommen. Bitte rufen Sie mich an: 0171 2345678",
        ),
    )
    reply = (
        "Sehr geehrter Herr Müller,\n\n"
        "vielen Dank für Ihre Nachricht. Ihre Bestellung 77812 wurde am 12.03.2024 an DHL übergeben "
        "(Sendungsnummer 00340434161094042557).\n"
        "Die Rückerstattung über 49,90 € überweisen wir innerhalb von 5 Werktagen auf das Konto "
        "DE89 3704 0044 0532 0130 00, sobald das Paket bei uns ist. Herr Müller, unter der Nummer "
        "0171 2345678 haben wir Sie leider nicht erreicht.\n\n"
        "Mit freundlichen Grüßen\nLena Vogt\nExample Support"
    )

    draft = draft_from_replies("Bestellung 77812 nicht angekommen", [reply], people, WORDS)

    assert draft.title == "Bestellung nicht angekommen"
    # The sentence after the greeting now opens the text, with a capital
    assert draft.body.startswith("Vielen Dank für Ihre Nachricht. Ihre Bestellung […] wurde am 12.03.2024")
    # Dates, amounts and short numbers are what an article says; they stay
    assert "49,90 €" in draft.body and "5 Werktagen" in draft.body
    for value in ("Müller", "77812", "DE89", "00340434", "2345678", "Lena", "Grüßen"):
        assert value not in draft.body, value
    assert _removed(draft.removed) == {
        "greeting": 1,
        "sign_off": 1,
        "name": 1,
        "phone": 1,
        "iban": 1,
        # The order number twice (the text and the title) and the tracking number
        "reference_number": 3,
    }


def test_a_french_reply_with_an_invoice_number_a_phone_and_a_ticket_reference() -> None:
    people = TicketPeople(
        names=("Chloé Durand",),
        addresses=("chloe.durand@example.fr",),
        customer_texts=("Bonjour, ma facture FA-2024-0193 est fausse, le montant est doublé.",),
        refs=("K7Q2-M9XD",),
    )
    reply = (
        "Bonjour Madame Durand,\n\n"
        "Je vous remercie pour votre message. J'ai corrigé la facture FA-2024-0193 : vous la trouverez "
        "dans votre espace client, rubrique « Factures ».\n"
        "Pour toute question, appelez le 01 23 45 67 89 ou répondez à ce message (dossier #K7Q2-M9XD).\n\n"
        "Bien cordialement,\nSam"
    )

    draft = draft_from_replies("Facture erronée", [reply], people, WORDS)

    assert draft.body.startswith("Je vous remercie pour votre message. J'ai corrigé la facture […] :")
    assert "rubrique « Factures »" in draft.body
    for value in ("Durand", "FA-2024", "01 23", "K7Q2", "Sam", "cordialement"):
        assert value not in draft.body, value
    assert _removed(draft.removed) == {
        "greeting": 1,
        "sign_off": 1,
        "phone": 1,
        "ticket_ref": 1,
        "reference_number": 1,
    }


def test_a_spanish_reply_with_a_reset_link_and_a_mobile_number() -> None:
    people = TicketPeople(
        names=("Lucía Fernández",),
        addresses=("lucia@example.es",),
        customer_texts=("No puedo entrar en mi cuenta, mi móvil es +34 612 345 678",),
    )
    reply = (
        "Hola Lucía:\n\n"
        "Siento las molestias. He restablecido el acceso a su cuenta; puede elegir una contraseña nueva "
        "en este enlace: https://app.example.com/reset?token=8f3a9c0d2e7b41&u=lucia%40example.es\n"
        "Si el código de verificación no llega al +34 612 345 678, revise la hora de su teléfono. Lucia, "
        "el enlace caduca en 24 horas.\n\n"
        "Un saludo,\nSam Lee"
    )

    draft = draft_from_replies("No puedo entrar", [reply], people, WORDS)

    assert draft.body.startswith("Siento las molestias.")
    assert f"en este enlace: {PLACEHOLDER}" in draft.body
    assert "caduca en 24 horas" in draft.body
    # The name goes also when it is written without its accent
    for value in ("Lucía", "Lucia", "token", "612", "saludo", "Sam"):
        assert value not in draft.body, value
    assert _removed(draft.removed) == {"greeting": 1, "sign_off": 1, "name": 1, "phone": 1, "link": 1}


def test_a_portuguese_reply_with_a_card_number_and_a_signature_block() -> None:
    people = TicketPeople(
        names=("João Pereira",),
        addresses=("joao.pereira@example.com.br",),
        customer_texts=("Fui cobrado duas vezes no cartão 4111 1111 1111 1111",),
    )
    reply = (
        "Olá João, tudo bem?\n\n"
        "Verifiquei o pedido nº 5521 e realmente houve uma cobrança duplicada no cartão "
        "4111 1111 1111 1111. O estorno já foi solicitado e aparece na fatura em até 7 dias úteis.\n\n"
        "Atenciosamente,\nSam Lee\nExample Support\n-- \nExample Ltd · +44 20 7946 0000"
    )

    draft = draft_from_replies("Cobrança duplicada", [reply], people, WORDS)

    assert draft.body.startswith("Tudo bem?\n\nVerifiquei o pedido nº […] e realmente houve")
    assert "em até 7 dias úteis" in draft.body
    for value in ("João", "5521", "4111", "Atenciosamente", "Example Ltd", "7946"):
        assert value not in draft.body, value
    # The closing and the signature under the "-- " line are one sign-off
    assert _removed(draft.removed) == {
        "greeting": 1,
        "sign_off": 1,
        "card_number": 1,
        "reference_number": 1,
    }


def test_several_replies_in_order_and_a_name_learnt_from_a_greeting() -> None:
    # Given a requester who gave no name, greeted by a nickname in the first reply
    people = TicketPeople(addresses=("k.brown@example.com",))
    replies = [
        "Hello Kate!\nCould you tell me which browser you use?\nThanks,\nSam",
        "Hi Kate,\n\nClear the browser's cache, Kate, then sign in again: the page loads.\n\nCheers - Sam",
    ]

    draft = draft_from_replies("Blank page", replies, people, WORDS)

    assert draft.body == (
        f"Could you tell me which browser you use?\n\nClear the browser's cache, {PLACEHOLDER}, then "
        "sign in again: the page loads."
    )
    assert _removed(draft.removed) == {"greeting": 2, "sign_off": 2, "name": 1}


def test_the_name_an_address_spells_is_taken_out_when_the_requester_gave_none() -> None:
    people = TicketPeople(addresses=("maria.santos@example.com",))
    draft = draft_from_replies("Refund", ["Maria, your refund is on its way."], people, WORDS)
    assert draft.body == f"{PLACEHOLDER}, your refund is on its way."


@pytest.mark.parametrize(
    "text",
    [
        "Hello world is the name of our starter plan.",
        "Dear customers often ask this: the export is under Settings.",
        "Thanks to the new release, exports are twice as fast.",
        "Open Settings, then Security, and choose Reset (it takes 2 minutes).",
        "Orders placed before 2024 are archived; see the 2023-2024 report.",
        "Prices went up on 01.04.2025 by 5 % for 12 months.",
    ],
)
def test_text_that_only_looks_like_customer_data_is_left_alone(text: str) -> None:
    draft = draft_from_replies("Question", [text], TicketPeople(names=("Ana Silva",)), WORDS)
    assert draft.body == text
    assert draft.removed == ()


def test_a_closing_above_the_last_lines_is_part_of_the_answer() -> None:
    reply = (
        "Thanks for your patience.\n\n"
        "Here is what to do:\n\n1. Open Settings\n2. Choose Billing\n3. Download the invoice\n4. Done\n\n"
        "Best,\nSam"
    )
    draft = draft_from_replies("Invoice", [reply], TicketPeople(), WORDS)
    assert draft.body.startswith("Thanks for your patience.\n\nHere is what to do:")
    assert draft.body.endswith("4. Done")


def test_a_subject_that_was_only_customer_data_leaves_no_title() -> None:
    people = TicketPeople(names=("Ana Silva",), customer_texts=("order 48213",))
    draft = draft_from_replies("Re: 48213 Ana Silva", ["The parcel is on its way."], people, WORDS)
    assert draft.title == ""
    assert draft.body == "The parcel is on its way."


def test_greetings_of_several_people_or_of_nobody_in_particular() -> None:
    replies = [
        "Hi Ana and Tom,\nTom, write to [us](mailto:support@example.com) or ask "
        "[Ana](mailto:ana@example.org).",
        "Dear Customer,\nOur Customer portal shows every order.",
    ]

    draft = draft_from_replies("Portal", replies, TicketPeople(names=("Ana Silva",)), WORDS)

    # Both greeted names go; a greeting of "Customer" teaches no name; the desk's own address stays
    assert draft.body == (
        f"{PLACEHOLDER}, write to [us](mailto:support@example.com) or ask {PLACEHOLDER}.\n\n"
        "Our Customer portal shows every order."
    )
    assert _removed(draft.removed) == {"greeting": 2, "name": 2, "email": 1}


@pytest.mark.parametrize(
    "sentence",
    [
        "I refunded the charge to your card ending 4242 today.",
        "Die Erstattung geht auf Ihre Karte mit Endung 4242.",
        "Le remboursement va sur la carte se terminant par 4242.",
        "The Visa 4242 was charged twice.",
    ],
)
def test_the_last_digits_of_a_customers_card_are_taken_out(sentence: str) -> None:
    people = TicketPeople(names=("Ana Silva",), addresses=(), customer_texts=(), refs=())

    draft = draft_from_replies("Refund", [sentence], people, WORDS)

    assert "4242" not in draft.body and PLACEHOLDER in draft.body
    assert _removed(draft.removed) == {"card_number": 1}


def test_a_short_number_after_other_words_stays() -> None:
    people = TicketPeople(names=("Ana Silva",), addresses=(), customer_texts=(), refs=())

    draft = draft_from_replies("Delivery", ["It takes 3 to 5 days, or 10 at most."], people, WORDS)

    assert draft.body == "It takes 3 to 5 days, or 10 at most."
