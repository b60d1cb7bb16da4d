"""The visible reply: quoted history and signatures come off, the customer's own words never do."""

from __future__ import annotations

import pytest

from postdesk.mail.quotes import visible_reply

# -- attribution lines, one per language -----------------------------------------------------------

ATTRIBUTIONS = {
    "en": "On Mon, Jan 1, 2024 at 10:00 AM, Bob Example <bob@example.com> wrote:",
    "de": "Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Bob Example <bob@example.com>:",
    "de_short": "Am 01.01.2024 um 10:00 schrieb Bob Example:",
    "fr": "Le lun. 1 janv. 2024 à 10:00, Bob Example <bob@example.com> a écrit :",
    "es": "El lun, 1 ene 2024 a las 10:00, Bob Example (<bob@example.com>) escribió:",
    "it": "Il giorno lun 1 gen 2024 alle ore 10:00 Bob Example <bob@example.com> ha scritto:",
    "nl": "Op ma 1 jan. 2024 om 10:00 schreef Bob Example <bob@example.com>:",
    "pt": "Em seg., 1 de jan. de 2024 às 10:00, Bob Example <bob@example.com> escreveu:",
    "pl": "W dniu 1.01.2024 o 10:00, Bob Example pisze <bob@example.com>:",
    "sv": "Den 1 jan. 2024 kl. 10:00 skrev Bob Example <bob@example.com>:",
    "da": "Den 1. jan. 2024 kl. 10.00 skrev Bob Example <bob@example.com>:",
    "no": "På 1 januar 2024 på 10:00:00, Bob Example (bob@example.com) skrev:",
    "fi": "ma 1.1.2024 klo 10.00 Bob Example (<bob@example.com>) kirjoitti:",
    "ru": "1 января 2024 г., в 10:00, Bob Example <bob@example.com> написал:",
    "uk": "пн, 1 січ. 2024 р. о 10:00 Bob Example <bob@example.com> пише:",
    "ja": "2024年1月1日(月) 10:00 Bob Example <bob@example.com>:",
    "zh": "在 2024年1月1日 10:00，Bob Example <bob@example.com> 写道：",
}


@pytest.mark.parametrize("language", sorted(ATTRIBUTIONS))
def test_given_a_top_post_above_an_attribution_and_quote_when_read_then_only_the_reply_is_left(
    language: str,
) -> None:
    # Given a reply written above the quoted previous message
    mail = f"Thanks, that fixed it.\n\n{ATTRIBUTIONS[language]}\n\n> Please try turning it off and on.\n"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "Thanks, that fixed it."
    assert reply.quoted is not None
    assert "Please try turning it off" in reply.quoted


@pytest.mark.parametrize("language", sorted(ATTRIBUTIONS))
def test_given_an_attribution_followed_by_unquoted_history_when_read_then_the_history_is_cut(
    language: str,
) -> None:
    # Given an attribution above a history that carries no ">" marks (Outlook on the web, Apple Mail)
    mail = f"Thanks, that fixed it.\n\n{ATTRIBUTIONS[language]}\n\nPlease try turning it off and on.\n"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "Thanks, that fixed it."


def test_given_an_attribution_wrapped_over_three_lines_when_read_then_all_three_go() -> None:
    # Given
    mail = (
        "Works now.\n\nOn Nov 30, 2011, at 12:47 PM, Somebody <\n"
        "416ffd3258d4d2fa4c85cfa4c44e1721d66e3e8f4@somebody.domain.com>\nwrote:\n\nOld message\n"
    )
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "Works now."


def test_given_a_german_attribution_wrapped_before_the_verb_when_read_then_it_is_cut() -> None:
    # Given
    mail = "Danke!\n\nAm So., 1. Jan. 2023 um 17:22 Uhr\nschrieb John Doe <\nnoreply@github.com>:\n\nAlt\n"
    # When / Then
    assert visible_reply(mail).text == "Danke!"


def test_given_a_bottom_post_when_read_then_the_reply_under_the_quote_is_kept() -> None:
    # Given
    mail = "On 04/19/2011 07:10 AM, Roman wrote:\n\n> Question?\n\nAnswer.\n"
    # When / Then
    assert visible_reply(mail).text == "Answer."


def test_given_inline_answers_between_quotes_when_read_then_every_answer_is_kept() -> None:
    # Given
    mail = "> First question?\n\nFirst answer.\n\n> Second question?\n\nSecond answer.\n"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "First answer.\n\nSecond answer."
    assert reply.quoted == "> First question?\n> Second question?"


def test_given_arrows_drawn_around_a_link_when_read_then_the_line_is_no_quote() -> None:
    # Given
    mail = "Visit us now...\n>>> >>>  http://www.domain.com <<<\nVisit our site"
    # When / Then
    assert visible_reply(mail).text == mail


# -- Outlook header blocks and separators -----------------------------------------------------------

HEADER_BLOCKS = {
    "en": "From: Bob <bob@example.com>\nSent: Monday, January 1, 2024 10:00 AM\nTo: Support\nSubject: Help",
    "en_bold": "*From:* Bob [mailto:bob@example.com]\n*Sent:* Monday, January 1, 2024 10:00 AM\n*To:* Sup",
    "de": "Von: Bob <bob@example.com>\nGesendet: Montag, 1. Januar 2024 10:00\nAn: Support\nBetreff: Hilfe",
    "fr": "De : Bob <bob@example.com>\nEnvoyé : lundi 1 janvier 2024 10:00\nÀ : Support\nObjet : Aide",
    "es": "De: Bob <bob@example.com>\nEnviado: lunes, 1 de enero de 2024 10:00\nPara: Soporte\nAsunto: Ayuda",
    "it": "Da: Bob <bob@example.com>\nInviato: lunedì 1 gennaio 2024 10:00\nA: Supporto\nOggetto: Aiuto",
    "nl": "Van: Bob <bob@example.com>\nVerzonden: maandag 1 januari 2024 10:00\nAan: Support\nOnderwerp: Hu",
    "pt": "De: Bob <bob@example.com>\nEnviada em: segunda-feira, 1 de janeiro de 2024 10:00\nPara: Suporte",
    "pl": "Od: Bob <bob@example.com>\nWysłano: poniedziałek, 1 stycznia 2024 10:00\nDo: Ania\nTemat: Pomoc",
    "sv": "Från: Bob <bob@example.com>\nSkickat: den 1 januari 2024 10:00\nTill: Support\nÄmne: Hjälp",
    "da": "Fra: Bob <bob@example.com>\nSendt: 1. januar 2024 10:00\nTil: Support\nEmne: Hjælp",
    "fi": "Lähettäjä: Bob <bob@example.com>\nLähetetty: maanantai 1. tammikuuta 2024 10.00\nAihe: Apu",
    "ru": "От: Bob <bob@example.com>\nОтправлено: 1 января 2024 г. 10:00\nКому: Поддержка\nТема: Помощь",
    "uk": "Від: Bob <bob@example.com>\nНадіслано: 1 січня 2024 р. 10:00\nКому: Підтримка\nТема: Допомога",
    "ja": "差出人: Bob <bob@example.com>\n送信日時: 2024年1月1日 10:00\n宛先: Support\n件名: Help",
    "zh": "发件人: Bob <bob@example.com>\n发送时间: 2024年1月1日 10:00\n收件人: Support\n主题: Help",
}


@pytest.mark.parametrize("language", sorted(HEADER_BLOCKS))
def test_given_an_outlook_header_block_when_read_then_it_and_the_history_are_cut(language: str) -> None:
    # Given Outlook's reply layout: a rule, the header block, the old message
    mail = f"My reply.\n\n________________________________\n{HEADER_BLOCKS[language]}\n\nOld message.\n"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "My reply."
    assert reply.quoted is not None
    assert reply.quoted.endswith("Old message.")


SEPARATORS = [
    "-----Original Message-----",
    "----- Original Message -----",
    "-----Ursprüngliche Nachricht-----",
    "-----Message d'origine-----",
    "-----Mensaje original-----",
    "-----Messaggio originale-----",
    "-----Oorspronkelijk bericht-----",
    "-----Mensagem original-----",
    "-----Wiadomość oryginalna-----",
    "-----Ursprungligt meddelande-----",
    "-----Oprindelig meddelelse-----",
    "-----Opprinnelig melding-----",
    "-----Alkuperäinen viesti-----",
    "-----Исходное сообщение-----",
    "-----Вихідне повідомлення-----",
    "-----元のメッセージ-----",
    "-----原始邮件-----",
]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_given_an_original_message_separator_when_read_then_everything_below_is_quoted(
    separator: str,
) -> None:
    # Given
    mail = f"Test reply\n\n{separator}\n\nOld text"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "Test reply"
    assert reply.quoted == f"{separator}\n\nOld text"


# -- never cut what has no quote ------------------------------------------------------------------

NOT_QUOTES = [
    "Hello,\n\nOn Monday I tried to log in and it failed.\nCan you help?",
    "Hello,\nthe mail came from: the billing team, I think.\nRegards",
    "On my side everything works, but my colleague wrote: it does not.\nPlease check.",
    "Flight:\nFrom: Berlin\nTo: Paris\nPlease book it.",
    "Date: next week\nTime: 10 am\nAddress: Main St 1",
    "Here is the fix -- this is not a signature.\n\nkthxbai",
    "Sent from my desk, which is easier than my phone.",
    "Bitte beachten Sie: Am Montag schrieb ich Ihnen bereits.\nDanke",
    "Le client a écrit hier, mais rien ne marche.",
]


@pytest.mark.parametrize("mail", NOT_QUOTES)
def test_given_a_mail_without_any_quote_when_read_then_it_is_returned_whole(mail: str) -> None:
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == mail
    assert reply.quoted is None
    assert reply.signature is None


def test_given_only_a_quote_when_read_then_the_mail_is_kept_whole_rather_than_emptied() -> None:
    # Given a mail that is nothing but a quote (the customer forgot to type)
    mail = "> Did this help?"
    # When / Then
    assert visible_reply(mail).text == mail


def test_given_the_messages_own_header_block_on_top_when_read_then_it_stays() -> None:
    # Given a mail whose text begins with its own pasted header block
    mail = "Od: Jan <jan@example.com>\nWysłano: środa, 1 marca 2023 12:00\nTemat: Test\n\nCzesc Anno"
    # When / Then
    assert visible_reply(mail).text == mail


# -- signatures -------------------------------------------------------------------------------------

MOBILE_SIGNATURES = [
    "Sent from my iPhone",
    "Sent from my Verizon Wireless BlackBerry",
    "Get Outlook for Android",
    "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "Sent from Yahoo Mail on Android",
    "Von meinem iPhone gesendet",
    "Gesendet von meinem Samsung Galaxy",
    "Envoyé de mon iPhone",
    "Enviado desde mi iPhone",
    "Inviato da iPhone",
    "Verzonden met mijn iPhone",
    "Enviado do meu iPhone",
    "Wysłane z iPhone'a",
    "Skickat från min iPhone",
    "Sendt fra min iPhone",
    "Lähetetty iPhonesta",
    "Отправлено с iPhone",
    "Надіслано з iPhone",
    "iPhoneから送信",
    "发自我的iPhone",
]


@pytest.mark.parametrize("signature", MOBILE_SIGNATURES)
def test_given_a_mobile_signature_when_read_then_it_is_split_off(signature: str) -> None:
    # Given
    mail = f"Here is another email\n\n{signature}\n"
    # When
    reply = visible_reply(mail)
    # Then
    assert (reply.text, reply.signature) == ("Here is another email", signature)


def test_given_a_dash_dash_space_signature_when_read_then_it_is_split_off() -> None:
    # Given
    mail = "Please reset my password.\n\n-- \nJane Doe\nACME Corp\n"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "Please reset my password."
    assert reply.signature == "-- \nJane Doe\nACME Corp"


def test_given_a_signature_and_a_quote_when_read_then_both_come_off() -> None:
    # Given
    mail = (
        "It works.\n\nSent from my iPhone\n\nOn Jan 1, 2024, at 10:00, Bob <bob@example.com> wrote:\n\n> Hi"
    )
    # When
    reply = visible_reply(mail)
    # Then
    assert (reply.text, reply.signature) == ("It works.", "Sent from my iPhone")


# -- forwards -------------------------------------------------------------------------------------

FORWARD_MARKERS = [
    "---------- Forwarded message ---------",
    "-------- Forwarded Message --------",
    "Begin forwarded message:",
    "---------- Weitergeleitete Nachricht ----------",
    "-------- Message transféré --------",
    "---------- Mensaje reenviado ---------",
    "---------- Messaggio inoltrato ---------",
    "---------- Doorgestuurd bericht ---------",
    "---------- Пересылаемое сообщение ---------",
]


@pytest.mark.parametrize("marker", FORWARD_MARKERS)
def test_given_a_forward_when_read_then_the_forwarded_part_is_kept_and_marked(marker: str) -> None:
    # Given a short note above a forwarded customer request
    forwarded = (
        "From: customer@example.com\nDate: Tue, Sep 4, 2012 at 1:35 PM\nSubject: Broken\n\nIt is broken."
    )
    mail = f"FYI, see below.\n\n{marker}\n{forwarded}"
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text == "FYI, see below."
    assert reply.forward_marker == marker
    assert reply.forwarded == forwarded
    assert reply.quoted is None
    assert reply.text_with_forward == mail


def test_given_a_forward_inside_quoted_history_when_read_then_it_is_part_of_the_quote() -> None:
    # Given
    mail = "Blah\n\n-----Original Message-----\n\nFYI\n\n---------- Forwarded message ----------\nFrom: a@b.c"
    # When
    reply = visible_reply(mail)
    # Then
    assert (reply.text, reply.forwarded) == ("Blah", None)


# -- reply and attribution on one line ----------------------------------------------------------------


def test_given_the_reply_and_the_attribution_on_one_line_when_read_then_the_reply_part_stays() -> None:
    # Given
    mail = "reply--- On Wed, Apr 4, 2012 at 3:59 PM, me@domain.com wrote:\n> Hi"
    # When / Then
    assert visible_reply(mail).text == "reply"


def test_given_a_quoted_printable_break_inside_the_attribution_when_read_then_it_is_still_found() -> None:
    # Given a header that a broken mailer left with its soft line break
    mail = "Thank you.\n\nOn Mon, Jun 3, 2024 at 12:53 AM Cody Hart <c@example.com> w=\nrote:\n\n> Hi"
    # When / Then
    assert visible_reply(mail).text == "Thank you."


def test_given_crlf_line_endings_when_read_then_the_quote_is_found() -> None:
    # Given
    mail = ":+1:\r\n\r\nOn Tue, Sep 25, 2012 at 8:59 AM, Chris <c@example.com> wrote:\r\n\r\n> Steps 0-2\r\n"
    # When / Then
    assert visible_reply(mail).text == ":+1:"
