"""A calm "not yet" is no frustration: "todavía no ha llegado" is how a Spanish customer politely
asks where their order is, as "noch nicht" is in German (only "immer noch nicht" is frustrated)."""

from __future__ import annotations

import pytest

from postdesk.triage.sentiment import detect_sentiment


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Hola, hice un pedido hace dos semanas (número 88123) y todavía no ha llegado. "
            "¿Pueden decirme dónde está el envío? Gracias, José",
            "es",
        ),
        ("Olá, fiz um pedido há duas semanas e ainda não chegou. Podem verificar? Obrigada", "pt"),
        ("Buongiorno, il mio ordine ancora non è arrivato. Potete controllare? Grazie", "it"),
        ("Guten Tag, meine Bestellung ist noch nicht angekommen. Können Sie nachsehen?", "de"),
    ],
)
def test_not_yet_asked_calmly_is_neutral(text: str, language: str) -> None:
    assert detect_sentiment(text, language).label == "neutral"


@pytest.mark.parametrize(
    ("text", "language", "cue"),
    [
        ("El pedido sigue sin llegar y nadie me contesta.", "es", "sigue sin"),
        ("O aplicativo continua sem funcionar, pela terceira vez.", "pt", "continua sem"),
    ],
)
def test_still_without_is_frustrated(text: str, language: str, cue: str) -> None:
    sentiment = detect_sentiment(text, language)
    assert sentiment.label == "frustrated" and cue in sentiment.cues
