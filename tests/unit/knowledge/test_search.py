"""Knowledge-base search: the right article for a real question, nothing for a question it does not cover."""

from __future__ import annotations

import pytest

from postdesk.triage.knowledge import Article, KnowledgeBase, fold, load_articles, stem

QUESTIONS = {
    "account-recovery": {
        "en": "I forgot my password and can't get into my account",
        "de": "Ich habe mein Passwort vergessen und komme nicht mehr in mein Konto",
        "fr": "J'ai oublié mon mot de passe et je n'arrive plus à accéder à mon compte",
        "es": "Olvidé mi contraseña y no puedo entrar en mi cuenta",
        "pt": "Esqueci minha senha e não consigo entrar na minha conta",
    },
    "sign-in-two-factor": {
        "en": "I got a new phone and now the verification code from my authenticator app is rejected",
        "de": "Neues Handy, und jetzt wird der Bestätigungscode nicht mehr akzeptiert",
        "fr": "J'ai changé de téléphone et je ne peux plus me connecter avec la double authentification",
        "es": "El código de verificación no funciona desde que cambié de móvil",
        "pt": "O código de verificação não é aceito depois que troquei de celular",
    },
    "billing-invoices-refunds": {
        "en": "You charged me twice this month, I want a refund",
        "de": "Sie haben mir den Betrag doppelt abgebucht",
        "fr": "J'ai été débité deux fois, je voudrais être remboursé",
        "es": "Me han cobrado dos veces este mes",
        "pt": "Fui cobrado duas vezes, quero o reembolso",
    },
    "payment-failed": {
        "en": "My card was declined when I tried to pay",
        "de": "Meine Kreditkarte wurde abgelehnt, die Zahlung ist fehlgeschlagen",
        "fr": "Ma carte bancaire a été refusée",
        "es": "Mi tarjeta fue rechazada y el pago ha fallado",
        "pt": "Meu cartão foi recusado e o pagamento falhou",
    },
    "troubleshooting-errors": {
        "en": "The app won't load, I just see a blank page",
        "de": "Die App lädt nicht, ich sehe nur eine leere Seite",
        "fr": "L'application ne se charge pas, j'ai une page blanche",
        "es": "La aplicación no carga, solo veo una página en blanco",
        "pt": "O aplicativo não carrega, só aparece uma página em branco",
    },
    "delivery-and-returns": {
        "en": "Where is my order? It hasn't arrived yet",
        "de": "Wo ist mein Paket? Die Lieferung ist nicht angekommen",
        "fr": "Où est ma commande ? Le colis n'est pas arrivé",
        "es": "¿Dónde está mi pedido? No ha llegado",
        "pt": "Cadê meu pedido? Ainda não chegou",
    },
}
MORE_QUESTIONS = [
    ("en", "How do I return a jacket that doesn't fit?", "delivery-and-returns"),
    ("en", "Where can I download my invoice?", "billing-invoices-refunds"),
    ("en", "I get an error message when I open the dashboard", "troubleshooting-errors"),
    ("de", "Anmeldeprobleme", "sign-in-two-factor"),
    ("de", "Zahlungsmethode ändern", "payment-failed"),
    ("de", "Wie kann ich einen Artikel zurücksenden?", "delivery-and-returns"),
    ("fr", "Où trouver ma facture ?", "billing-invoices-refunds"),
    ("es", "¿Cómo devuelvo un artículo?", "delivery-and-returns"),
    ("pt", "Onde encontro minha fatura?", "billing-invoices-refunds"),
    # A whole customer mail, greeting and thanks included.
    (
        "en",
        "Hi, I ordered two pairs of shoes last Monday (order 48213) and the tracking has not changed "
        "since Wednesday. Can you tell me where the parcel is? I need them for a wedding on Saturday. "
        "Thanks, Ana",
        "delivery-and-returns",
    ),
    (
        "en",
        "Hello, since this morning I can't sign in. I type the six-digit code from Google Authenticator "
        "and it keeps saying the code is invalid. My phone's time is correct. What can I do? Regards",
        "sign-in-two-factor",
    ),
]
OFF_TOPIC = [
    ("en", "Do you have any job openings for a junior developer?"),
    ("en", "What will the weather be like in Lisbon this weekend?"),
    ("en", "Is there an app for my smartwatch?"),
    ("en", "Your new logo looks great, well done to the design team!"),
    ("en", "Please delete my account and all my personal data"),
    (
        "en",
        "Hello, we are a small agency in Leeds and would love to talk about a partnership. We build "
        "websites for restaurants and think our customers would like your product. Could we have a call "
        "next week? Best wishes, Tom",
    ),
    ("de", "Haben Sie offene Stellen für Werkstudenten?"),
    ("de", "Können Sie mir ein Rezept für Apfelkuchen empfehlen?"),
    (
        "de",
        "Guten Tag, wir sind eine kleine Agentur aus Köln und würden gern über eine Zusammenarbeit sprechen.",
    ),
    ("fr", "Avez-vous des offres d'emploi pour un stage ?"),
    ("fr", "Quel temps fera-t-il à Lyon ce week-end ?"),
    ("es", "¿Tienen ofertas de empleo para programadores?"),
    ("es", "¿Qué tiempo hará en Madrid el fin de semana?"),
    ("pt", "Vocês têm vagas de emprego para desenvolvedores?"),
    ("pt", "Como vai estar o tempo em São Paulo no fim de semana?"),
]

# Long mails about what no article covers, in the words every support mail uses ("a problem with the
# app on my phone"): a sign-in article whose title says "problems" and whose tags say "new phone" and
# "authenticator app" is no answer to them, nor is an invoice article tagged "nota fiscal" for "notas".
_SYNC = (
    "When I open the app on my phone and then on my laptop, the notes I wrote on the phone are missing "
    "on the laptop until I restart it. "
)
LONG_OFF_TOPIC = [
    (
        "en",
        "Detailed report of the sync problem\nHello,\n\n"
        + "\n\n".join(f"{n}. {_SYNC * 8}" for n in range(1, 120))
        + "\n\nRegards\nLong",
    ),
    (
        "en",
        "Notes not syncing\nHello, I have a problem with syncing between my phone and my laptop. Notes I "
        "write in the app on my phone only show up on the laptop after I restart it, and sometimes the last "
        "paragraph is missing. Both devices run the latest version. This started about a week ago. Could "
        "you look into it? Thanks, Sam",
    ),
    (
        "en",
        "Calendar issue\nHi team, quick problem with the calendar view in your app: events I add on my "
        "phone show up a day late in the weekly view on my tablet. Time zone is the same on both devices. "
        "Is this a known issue? Cheers, Priya",
    ),
    (
        "de",
        "Problem mit der Synchronisierung\nHallo, seit dem letzten Update habe ich ein Problem: Notizen, "
        "die ich auf dem Handy in der App schreibe, erscheinen auf meinem Laptop erst nach einem Neustart. "
        "Manchmal fehlt auch der letzte Absatz. Können Sie das prüfen? Viele Grüße, Jonas",
    ),
    (
        "fr",
        "Problème de synchronisation\nBonjour, j'ai un problème avec la synchronisation : les notes que "
        "j'écris dans l'application sur mon téléphone n'apparaissent sur mon ordinateur portable qu'après "
        "un redémarrage, et parfois le dernier paragraphe manque. Pouvez-vous regarder ? Merci, Claire",
    ),
    (
        "es",
        "Problema de sincronización\nHola, tengo un problema con la sincronización: las notas que escribo "
        "en la aplicación del móvil no aparecen en mi portátil hasta que lo reinicio, y a veces falta el "
        "último párrafo. ¿Pueden revisarlo? Gracias, Marta",
    ),
    (
        "pt",
        "Problema de sincronização\nOlá, tenho um problema com a sincronização: as notas que escrevo no "
        "aplicativo do celular só aparecem no meu notebook depois de reiniciar, e às vezes falta o último "
        "parágrafo. Podem verificar? Obrigado, Rui",
    ),
]


@pytest.mark.parametrize(
    ("language", "question", "slug"),
    [
        (language, question, slug)
        for slug, by_language in QUESTIONS.items()
        for language, question in by_language.items()
    ]
    + MORE_QUESTIONS,
)
def test_a_customer_question_finds_its_article(language: str, question: str, slug: str) -> None:
    # Given the shipped knowledge base, when a customer's question is searched in its language
    suggestions = load_articles().search(question, language)

    # Then the article on that topic comes first, in that language
    assert suggestions, f"nothing found for {question!r}"
    assert suggestions[0].article.slug == slug
    assert suggestions[0].article.language == language
    assert suggestions[0].score > 0


@pytest.mark.parametrize(("language", "question"), OFF_TOPIC + LONG_OFF_TOPIC)
def test_a_question_the_knowledge_base_does_not_cover_gets_nothing(language: str, question: str) -> None:
    assert load_articles().search(question, language) == []


@pytest.mark.parametrize("category", ["billing", "account", "technical", "orders"])
def test_a_category_never_makes_an_off_topic_article_fit(category: str) -> None:
    assert (
        load_articles().search(
            "Do you have any job openings for a junior developer?", "en", category=category
        )
        == []
    )


def test_search_stays_in_the_requested_language() -> None:
    # Given a German question
    question = QUESTIONS["account-recovery"]["de"]
    knowledge = load_articles()

    # When it is searched in German, then only German articles come back
    assert {s.article.language for s in knowledge.search(question, "de")} == {"de"}
    # And in English it finds nothing: the caller decides about fallback, not the search
    assert knowledge.search(question, "en") == []
    # And a language without articles has none
    assert knowledge.search(question, "it") == []


def test_a_regional_language_tag_searches_its_language() -> None:
    suggestions = load_articles().search(QUESTIONS["payment-failed"]["pt"], "pt-BR")
    assert [s.article.slug for s in suggestions][:1] == ["payment-failed"]
    assert suggestions[0].article.language == "pt"


def test_empty_and_stop_word_only_queries_find_nothing() -> None:
    knowledge = load_articles()
    assert knowledge.search("", "en") == []
    assert knowledge.search("Hello, thanks! Regards", "en") == []
    assert knowledge.search("Bonjour, merci, cordialement", "fr") == []


def _article(slug: str, title: str, category: str, body: str) -> Article:
    return Article(slug, "en", title, f"https://help.example.com/en/articles/{slug}", (), category, body)


# Other topics, so that the words of the articles under test are rare in the corpus, as in a real one.
BACKGROUND = [
    _article("opening-hours", "Opening hours", "general", "Our team works Monday to Friday, nine to five."),
    _article(
        "gift-cards", "Gift cards", "general", "Gift cards are sold in amounts from ten to two hundred."
    ),
    _article("feedback", "Tell us what you think", "feedback", "We read every suggestion about the product."),
    _article("privacy", "Your data and privacy", "general", "We keep personal data in the European Union."),
]


def _password_articles() -> list[Article]:
    body = "Open the sign-in page, choose forgot password and follow the reset link we email you. " * 3
    return [_article(f"password-{n}", f"Password reset, part {n}", "account", body) for n in range(5)]


def test_at_most_limit_suggestions_best_first() -> None:
    # Given five articles that all answer a password question
    knowledge = KnowledgeBase([*_password_articles(), *BACKGROUND])
    question = "How do I reset my forgotten password?"

    # When it is searched with the default limit, and with a limit of one or zero
    default = knowledge.search(question, "en")
    one = knowledge.search(question, "en", limit=1)

    # Then three come back, best first (ties by slug), and the limit is respected
    assert [s.article.slug for s in default] == ["password-0", "password-1", "password-2"]
    assert [s.score for s in default] == sorted((s.score for s in default), reverse=True)
    assert [s.article.slug for s in one] == ["password-0"]
    assert knowledge.search(question, "en", limit=0) == []


def test_the_category_boost_reorders_articles_that_fit() -> None:
    # Given two articles about a charge: one on billing (stronger), one on orders
    knowledge = KnowledgeBase(
        [
            *BACKGROUND,
            _article(
                "card-charged",
                "Card charged twice",
                "billing",
                "If your card was charged twice, the second charge disappears within five days. " * 2,
            ),
            _article(
                "order-charged",
                "Order charged but not shipped",
                "orders",
                "Your card is charged when the order ships; a charged order ships within two days.",
            ),
        ]
    )
    question = "My card was charged twice for one order"

    # When searched without a category and with the orders category
    plain = knowledge.search(question, "en")
    boosted = knowledge.search(question, "en", category="orders")

    # Then the billing article leads on its own, and the orders article leads when boosted
    assert [s.article.slug for s in plain] == ["card-charged", "order-charged"]
    assert [s.article.slug for s in boosted] == ["order-charged", "card-charged"]
    assert boosted[0].score > plain[1].score


def test_words_are_folded_and_stemmed_for_their_language() -> None:
    # Accents fold away, so a customer typing without them still matches
    assert fold("Rückerstattung Contraseña Remboursé") == "ruckerstattung contrasena rembourse"
    # Inflected forms meet in one stem
    assert stem("refunds", "en") == stem("refunded", "en") == stem("refund", "en")
    assert stem("shipping", "en") == stem("shipped", "en") == stem("ship", "en")
    assert (
        stem(fold("rembourser"), "fr") == stem(fold("remboursement"), "fr") == stem(fold("remboursé"), "fr")
    )
    assert stem("rechnungen", "de") == stem("rechnung", "de")
    assert stem("pedidos", "es") == stem("pedido", "es")
    assert stem("pagamentos", "pt") == stem("pagamento", "pt")
    # An unknown language is left alone
    assert stem("refunds", "it") == "refunds"
