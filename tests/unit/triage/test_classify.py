"""triage(): rules over the model, categories in several languages, priority, routing, low confidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.triage.classify import CategoryModel, bucket, triage
from postdesk.triage.rules import load_rules


def _always(category: str, strength: float) -> CategoryModel:
    """A model that leans to one category on every word it could see (bias only)."""
    classes = ("billing", "technical", "general")
    return CategoryModel(
        classes=classes,
        buckets=8,
        bias=tuple(strength if name == category else 0.0 for name in classes),
        weights={},
        languages=frozenset({"en", "de"}),
        meta={},
    )


def test_rule_wins_over_the_model() -> None:
    # Given a model sure of "technical" and a mail saying "charged twice"
    model = _always("technical", 9.0)
    # When triaged
    result = triage(
        subject="Card", text="You charged me twice for May.", language="en", sender="a@b.org", model=model
    )
    # Then the rule decides, with full confidence and its name in the explanation
    assert (result.category, result.priority, result.confidence) == ("billing", "high", 1.0)
    assert result.explanation.startswith('rule "duplicate-charge": keyword "charged me twice"')
    assert "duplicate-charge" in result.tags
    assert result.queue == "billing"


def test_model_decides_when_no_rule_matches_and_explains_itself() -> None:
    # Given a model whose "billing" bucket is the word "widget"
    model = CategoryModel(
        classes=("billing", "general"),
        buckets=1 << 10,
        bias=(0.0, 0.0),
        weights={bucket("widget", 1 << 10): (8.0, -8.0)},
        languages=frozenset({"en"}),
        meta={},
    )
    result = triage(subject="", text="widget", language="en", sender="a@b.org", model=model)
    assert result.category == "billing"
    assert result.confidence > 0.99
    assert result.explanation.startswith('model (en, p=1.00): top features "widget"')


@pytest.mark.parametrize(
    ("subject", "text", "language", "category"),
    [
        ("Facture", "Je n'ai pas reçu le remboursement de ma facture de mars.", "fr", "billing"),
        ("Cuenta", "Olvidé mi contraseña y no puedo iniciar sesión en mi cuenta.", "es", "account"),
        ("Senha", "Esqueci minha senha, como faço para recuperar o acesso?", "pt", "account"),
        ("App", "L'applicazione mostra un errore e non funziona dopo l'aggiornamento.", "it", "technical"),
        (
            "Foutmelding",
            "De app crasht en geeft een foutmelding bij het inloggen op de server.",
            "nl",
            "technical",
        ),
        ("Pedido", "Mi pedido no ha llegado, el seguimiento del envío no cambia.", "es", "orders"),
        ("Levering", "Mijn bestelling is nog niet geleverd, waar is mijn pakket?", "nl", "orders"),
        ("Sugestão", "Tenho uma sugestão de melhoria para o atendimento: elogio a equipe.", "pt", "feedback"),
        (
            "Suggestion",
            "Une suggestion d'amélioration pour le service client, et des compliments.",
            "fr",
            "feedback",
        ),
    ],
)
def test_categories_from_short_mails_in_unmodelled_languages(
    subject: str, text: str, language: str, category: str
) -> None:
    result = triage(subject=subject, text=text, language=language, sender="c@example.org")
    assert result.category == category
    assert result.explanation.startswith(("keywords", 'rule "'))


@pytest.mark.parametrize(
    ("subject", "text", "language", "category"),
    [
        (
            "Zahlung",
            "Meine Zahlung per Kreditkarte wurde abgelehnt, bitte senden Sie mir eine neue Rechnung.",
            "de",
            "billing",
        ),
        ("Invoice question", "I was charged a fee on my last invoice, can I get a refund?", "en", "billing"),
        (
            "App crash",
            "The app crashes with an error every time I open the settings page.",
            "en",
            "technical",
        ),
        ("Lieferung", "Meine Bestellung wurde noch nicht geliefert, wo ist das Paket?", "de", "orders"),
        ("Login", "I can't log in, the password reset mail never arrives.", "en", "account"),
    ],
)
def test_categories_in_modelled_languages(subject: str, text: str, language: str, category: str) -> None:
    result = triage(subject=subject, text=text, language=language, sender="c@example.org")
    assert result.category == category


@pytest.mark.parametrize(
    ("text", "language", "priority", "tag"),
    [
        ("Your site is down for everyone in our office.", "en", "urgent", "outage"),
        ("Kompletter Ausfall seit heute morgen, bitte dringend melden.", "de", "urgent", "outage"),
        ("Please fix this asap, the export fails.", "en", "high", "urgent"),
        ("Es urgente, la factura tiene un error.", "es", "high", "urgent"),
        ("C'est urgent : impossible de me connecter.", "fr", "high", "urgent"),
        ("Sistema fora do ar para todos os usuarios.", "pt", "urgent", "outage"),
        ("I can't log in since yesterday.", "en", "high", "blocked"),
    ],
)
def test_urgency_cues_raise_priority(text: str, language: str, priority: str, tag: str) -> None:
    result = triage(subject="Help", text=text, language=language, sender="c@example.org")
    assert result.priority == priority
    assert tag in result.tags


def test_calm_mail_is_low_and_plain_mail_normal() -> None:
    calm = triage(
        subject="Idea",
        text="No rush: where do I change my newsletter settings?",
        language="en",
        sender="c@x.org",
    )
    plain = triage(
        subject="Invoice", text="Where do I find my invoice for March?", language="en", sender="c@x.org"
    )
    assert (calm.priority, plain.priority) == ("low", "normal")


def test_frustration_raises_priority_one_step_but_never_to_urgent() -> None:
    frustrated = triage(
        subject="Export",
        text="The export is still not fixed. Third time I write.",
        language="en",
        sender="c@x.org",
    )
    assert frustrated.sentiment.label == "frustrated"
    assert frustrated.priority == "high"
    assert "frustrated customer" in frustrated.explanation
    angry_urgent = triage(
        subject="x", text="URGENT!!! STILL NOT WORKING, WHAT A SCAM", language="en", sender="c@x.org"
    )
    assert angry_urgent.priority == "high"


def test_low_confidence_goes_to_triage_queue_with_the_reason() -> None:
    # Given a model that barely prefers one class / When a mail gets triaged
    result = triage(
        subject="Hello", text="Hello there", language="en", sender="c@x.org", model=_always("general", 0.1)
    )
    # Then it goes to the triage queue, says why, and keeps its best guess
    assert result.queue == "triage"
    assert result.category == "general"
    assert result.confidence == pytest.approx(0.356, abs=0.001)
    assert result.explanation.startswith(
        "confidence 0.36 below 0.50, sent to triage (best guess general: model"
    )
    assert "low-confidence" in result.tags


def test_unknown_language_without_any_keyword_goes_to_triage() -> None:
    result = triage(subject="Merhaba", text="Yardım eder misiniz?", language="tr", sender="c@x.org")
    assert (result.category, result.queue, result.confidence) == ("general", "triage", 0.0)
    assert "no rule, model or keyword matched (tr)" in result.explanation


def test_routing_by_category_language_and_priority() -> None:
    german_bill = triage(
        subject="Rechnung", text="Ich wurde doppelt abgebucht.", language="de", sender="c@x.org"
    )
    outage = triage(
        subject="Down", text="Outage: the service is down for everyone.", language="en", sender="c@x.org"
    )
    assert (german_bill.category, german_bill.queue) == ("billing", "billing-de")
    assert (outage.category, outage.priority, outage.queue) == ("technical", "urgent", "incidents")


def test_rule_by_sender_domain_with_its_own_queue(tmp_path: Path) -> None:
    # Given a rules file with a sender-domain rule naming its queue
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nname = "vip"\ncategory = "general"\nqueue = "vip"\ntags = ["vip"]\n'
        'sender_domains = ["bigcustomer.example"]\nlanguages = ["en"]\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    # When a mail from a subdomain arrives, and one in another language
    vip = triage(
        subject="Hi", text="Question", language="en", sender="Ann <ann@eu.bigcustomer.example>", rules=rules
    )
    other = triage(
        subject="Hi", text="Question", language="fr", sender="ann@bigcustomer.example", rules=rules
    )
    # Then only the first is the rule's
    assert (vip.queue, vip.tags) == ("vip", ("vip",))
    assert vip.explanation == 'rule "vip": sender domain eu.bigcustomer.example'
    assert other.queue != "vip"


def test_acknowledgement_line_is_only_given_in_the_language_of_the_acknowledgement() -> None:
    rules = load_rules()
    assert (rules.acknowledgement_line("billing", "de") or "").startswith("Falls Ihnen")
    # No English sentence in the middle of a mail in another language.
    if "fr" not in rules.acknowledgements.get("billing", {}):
        assert rules.acknowledgement_line("billing", "fr") is None
    assert rules.acknowledgement_line("orders", "en") is None


def test_clear_billing_words_overrule_an_unsure_model_in_german() -> None:
    # Given a German invoice complaint the model reads as technical with little certainty
    result = triage(
        subject="Rechnung falsch",
        text="Die Rechnung vom März enthält eine doppelte Gebühr. Bitte korrigieren Sie das.",
        language="de",
        sender="kunde@example.de",
    )

    # Then the billing keywords decide, and the explanation says what they overruled
    assert result.category == "billing"
    assert result.explanation.startswith("keywords (de)") and "over model" in result.explanation
