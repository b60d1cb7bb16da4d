"""Sentiment cues in several languages, and no frustration read into polite mail."""

from __future__ import annotations

import pytest

from postdesk.triage.sentiment import detect_sentiment


@pytest.mark.parametrize(
    ("text", "language", "cue"),
    [
        ("This is the third time I write. The export is still not fixed.", "en", "still not"),
        ("Das Problem ist immer noch nicht behoben.", "de", "immer noch nicht"),
        ("C'est inacceptable, la facture est fausse.", "fr", "inacceptable"),
        ("Es inaceptable, sigue sin funcionar.", "es", "inaceptable"),
        ("Isso é inaceitável, o pedido ainda não chegou.", "pt", "inaceitavel"),
        ("Het werkt nog steeds niet.", "nl", "nog steeds niet"),
    ],
)
def test_frustration_cues(text: str, language: str, cue: str) -> None:
    sentiment = detect_sentiment(text, language)
    assert sentiment.label == "frustrated"
    assert cue in sentiment.cues
    assert sentiment.score >= 0.5


def test_capitals_and_exclamations_with_a_complaint_are_angry() -> None:
    sentiment = detect_sentiment("WHY IS MY ORDER STILL NOT HERE??!! This is still not fixed", "en")
    assert sentiment.label == "angry"
    assert "CAPITALS" in sentiment.cues
    assert "??!!" in sentiment.cues


def test_hostile_words_are_angry() -> None:
    assert detect_sentiment("This is a scam, my lawyer will hear about it.", "en").label == "angry"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, could you please tell me how to reset my password? Thanks in advance!", "en"),
        ("Guten Tag, wo finde ich meine Rechnung? Vielen Dank im Voraus.", "de"),
        ("Bonjour, ma commande est-elle partie ? Merci d'avance.", "fr"),
        ("Please send the invoice to accounting. It would be great to have it by Friday. Thanks, Ana", "en"),
        ("The API returns HTTP 500 for the PDF export!", "en"),
    ],
)
def test_polite_mail_is_not_frustrated_nor_positive(text: str, language: str) -> None:
    assert detect_sentiment(text, language).label == "neutral"


def test_praise_is_positive() -> None:
    sentiment = detect_sentiment("Great support, thank you so much!", "en")
    assert sentiment.label == "positive"
    assert sentiment.cues == ("great", "thank you")
