"""plain_explanation(): triage's reasons as one line an agent reads, content words only."""

from __future__ import annotations

import pytest

from postdesk.triage.classify import CategoryModel, bucket, plain_explanation, triage


def _model_leaning_on(words: dict[str, float], language: str) -> CategoryModel:
    """A model for ``language`` whose "billing" weight is each word's given weight."""
    buckets = 1 << 12
    return CategoryModel(
        classes=("billing", "general"),
        buckets=buckets,
        bias=(0.0, 0.0),
        weights={bucket(word, buckets): (weight, -weight) for word, weight in words.items()},
        languages=frozenset({language}),
        meta={},
    )


@pytest.mark.parametrize(
    ("explanation", "category", "confidence", "language", "line"),
    [
        # The model's features, its function word left out
        (
            'model (en, p=0.95): top features "invoice", "but", "shows"',
            "billing",
            0.95,
            "en",
            "Billing — the mail speaks of “invoice”, “shows” (sure)",
        ),
        # Keywords that overruled an unsure model: the keywords' words, not the model's
        (
            'keywords (de): "lieferung", "bestellung", "paket" '
            '(over model (de, p=0.49): top features "nicht", "das", "die")',
            "orders",
            0.9,
            "de",
            "Orders — the mail speaks of “lieferung”, “bestellung”, “paket” (sure)",
        ),
        # French keywords, found but not sure enough: left in the triage queue for a person
        (
            "came to support@example.com: queue support; confidence 0.38 below 0.50, sent to triage "
            '(best guess billing: keywords (fr): "facture", "remboursement"); priority high: urgent "urgent"',
            "billing",
            0.38,
            "fr",
            "Billing? — the mail speaks of “facture”, “remboursement” "
            "(unsure: left in triage for a person to sort)",
        ),
        # Only function words and word pairs of them: no word is shown
        (
            'model (fr, p=0.80): top features "de", "je ne", "pour"',
            "billing",
            0.8,
            "fr",
            "Billing — from the mail’s wording as a whole (likely)",
        ),
        (
            'rule "vip": sender domain acme.com',
            "account",
            1.0,
            "en",
            "Account — the desk’s rule “vip” (by rule)",
        ),
        (
            "no rule, model or keyword matched (it)",
            "general",
            0.0,
            "it",
            "General — nothing in the mail pointed to a category (unsure)",
        ),
    ],
)
def test_an_explanation_reads_as_one_plain_line(
    explanation: str, category: str, confidence: float, language: str, line: str
) -> None:
    assert plain_explanation(explanation, category, confidence, language) == line


def test_the_models_function_words_are_not_shown_as_reasons() -> None:
    # Given a German mail and a model that leans most on "nicht" and "das", then on "rechnung"
    model = _model_leaning_on({"nicht": 9.0, "das": 8.0, "rechnung": 7.0}, "de")
    result = triage(
        subject="Rechnung",
        text="Das stimmt nicht, die Rechnung ist falsch.",
        language="de",
        sender="a@b.de",
        model=model,
    )
    # Then the stored explanation keeps all the model's features, and the plain line the content word
    assert '"nicht"' in result.explanation and '"das"' in result.explanation
    line = plain_explanation(result.explanation, result.category, result.confidence, "de")
    assert line.startswith("Billing — the mail speaks of “rechnung”")
    assert "nicht" not in line and "das" not in line


@pytest.mark.parametrize(
    ("subject", "text", "language", "word"),
    [
        ("Facture", "Je n'ai pas reçu le remboursement de ma facture de mars.", "fr", "facture"),
        ("Paket", "Meine Bestellung ist nicht angekommen, das Paket fehlt.", "de", "paket"),
        ("Refund", "I was charged but I want a refund for my invoice.", "en", "refund"),
    ],
)
def test_keyword_triage_reads_as_its_category_and_words(
    subject: str, text: str, language: str, word: str
) -> None:
    # Given a mail triaged on keywords alone
    result = triage(subject=subject, text=text, language=language, sender="a@b.org", use_model=False)
    # When shown to an agent
    line = plain_explanation(result.explanation, result.category, result.confidence, language)
    # Then it names the category and the words that pointed to it, no method and no probability
    assert line.startswith(f"{result.category.capitalize()}")
    assert f"“{word}”" in line
    assert "keywords" not in line and "p=" not in line
