"""choose_language(): which text decides, and the fallbacks in order when none does."""

from __future__ import annotations

from postdesk.triage.language import LanguageGuess, choose_language

TEMPLATE_LANGUAGES = frozenset({"en", "de", "fr", "es", "pt"})

GERMAN_REPLY = (
    "Hallo, vielen Dank für die schnelle Antwort. Leider tritt der Fehler weiterhin auf, auch nach dem "
    "Neustart des Routers. Können Sie sich das bitte noch einmal ansehen?"
)
QUOTED_ENGLISH = "\n".join(
    "> " + line
    for line in (
        "On Monday, 12 May 2025, Support wrote:",
        "Thank you for contacting us. We have received your request and a member of our team will get",
        "back to you as soon as possible. In the meantime, please make sure that your router runs the",
        "latest firmware, restart it, and let us know whether the problem persists. You can also check",
        "the status of our services at any time on our status page. We appreciate your patience.",
    )
)


def _choose(**overrides: object) -> LanguageGuess:
    arguments: dict[str, object] = {
        "visible_reply": "",
        "subject": "",
        "text": "",
        "content_language": None,
        "history": (),
        "default": "en",
    }
    arguments.update(overrides)
    return choose_language(**arguments)  # type: ignore[arg-type]


def test_visible_reply_decides_even_when_the_quoted_english_is_longer() -> None:
    # Given a German reply above a longer quoted English acknowledgement
    full_text = GERMAN_REPLY + "\n\n" + QUOTED_ENGLISH
    # When the language is chosen with the visible reply given
    guess = _choose(visible_reply=GERMAN_REPLY, subject="Re: [#K7Q2-M9XD] Your request", text=full_text)
    # Then the reply decides, not the quote or the English subject
    assert guess.code == "de"
    assert guess.source == "visible_reply"
    assert guess.confidence > 0.9


def test_subject_decides_when_the_reply_has_no_signal() -> None:
    guess = _choose(visible_reply="+49 30 1234567", subject="Problème de connexion à mon compte client")
    assert (guess.code, guess.source) == ("fr", "subject")


def test_full_text_decides_when_reply_and_subject_have_no_signal() -> None:
    guess = _choose(
        visible_reply="", subject="123", text="Buenos días, no puedo acceder a mi cuenta desde ayer."
    )
    assert (guess.code, guess.source) == ("es", "text")


def test_very_short_mail_falls_back_to_the_content_language_primary_subtag() -> None:
    # Given a mail that says only "Danke!" and declares German
    guess = _choose(visible_reply="Danke!", text="Danke!", content_language="de-DE", history=("fr",))
    # Then the header decides
    assert guess == LanguageGuess("de", 1.0, "content_language")


def test_content_language_list_takes_its_first_tag() -> None:
    guess = _choose(visible_reply="ok", content_language=" pt-BR, en")
    assert (guess.code, guess.source) == ("pt", "content_language")


def test_malformed_content_language_is_ignored() -> None:
    guess = _choose(visible_reply="ok", content_language="x", history=("de",))
    assert (guess.code, guess.source) == ("de", "history")


def test_history_gives_the_most_frequent_earlier_language() -> None:
    # Given no signal and no header, and earlier tickets (most recent first) mostly in French
    guess = _choose(visible_reply="Thx", history=("de", "fr", "fr"))
    # Then French, with the share of tickets it was chosen from
    assert guess.code == "fr"
    assert guess.source == "history"
    assert guess.confidence == 2 / 3


def test_history_tie_goes_to_the_most_recent_ticket() -> None:
    guess = _choose(visible_reply="", history=("es", "de", "de", "es"))
    assert (guess.code, guess.source) == ("es", "history")


def test_default_when_nothing_else_is_known() -> None:
    guess = _choose(visible_reply="  ", subject="", text="12345", default="de")
    assert guess == LanguageGuess("de", 0.0, "default")


ITALIAN_REQUEST = (
    "Buongiorno, da ieri non riesco più ad accedere al mio account. Ho già provato a reimpostare la "
    "password ma non ricevo nessuna email. Potete aiutarmi?"
)


def test_language_outside_allowed_is_not_mapped_to_a_neighbour() -> None:
    # Given an Italian request and a desk with templates in five languages, Italian not among them
    guess = _choose(visible_reply=ITALIAN_REQUEST, text=ITALIAN_REQUEST, allowed=TEMPLATE_LANGUAGES)
    # Then the answer is the default, said to be the default, never Spanish
    assert guess == LanguageGuess("en", 0.0, "default")


def test_language_outside_allowed_falls_through_to_an_allowed_header_or_history() -> None:
    italian_header = _choose(visible_reply=ITALIAN_REQUEST, content_language="it-IT", history=("fr", "it"))
    restricted = _choose(
        visible_reply=ITALIAN_REQUEST,
        content_language="it-IT",
        history=("it", "fr"),
        allowed=TEMPLATE_LANGUAGES,
    )
    # Without a restriction Italian is answered; with one, the header (Italian) is skipped too and
    # the requester's earlier French ticket decides
    assert (italian_header.code, italian_header.source) == ("it", "visible_reply")
    assert restricted == LanguageGuess("fr", 1.0, "history")


def test_allowed_language_is_answered_from_detection() -> None:
    guess = _choose(visible_reply=GERMAN_REPLY, allowed=TEMPLATE_LANGUAGES)
    assert (guess.code, guess.source) == ("de", "visible_reply")
