"""The typed search (KnowledgeBase.find): what an agent's reply box and the help center's search show
while a person types, on the same index as the suggestions but without their threshold."""

from __future__ import annotations

import pytest

from postdesk.triage.knowledge import Article, KnowledgeBase, load_articles

# What a person types into a search box, in each language: unaccented, a German compound, a word
# cut short while it is being typed.
TYPED = [
    ("en", "forgot password", "account-recovery"),
    ("en", "passw", "account-recovery"),
    ("en", "declined ca", "payment-failed"),
    ("de", "Kartenzahlung fehlgeschlagen", "payment-failed"),
    ("de", "Zahlungsmethode", "payment-failed"),
    ("de", "Ruckerstattung", "billing-invoices-refunds"),
    ("de", "Rückerst", "billing-invoices-refunds"),
    ("fr", "rembourse", "billing-invoices-refunds"),
    ("fr", "factu", "billing-invoices-refunds"),
    ("fr", "mot de passe oublie", "account-recovery"),
    ("es", "contrasena", "account-recovery"),
    ("es", "tarjeta rechaz", "payment-failed"),
    ("pt", "cartao recusado", "payment-failed"),
    ("pt", "fatu", "billing-invoices-refunds"),
]


@pytest.mark.parametrize(("language", "typed", "slug"), TYPED)
def test_what_a_person_types_finds_its_article_first(language: str, typed: str, slug: str) -> None:
    found = load_articles().find(typed, language)

    assert found, f"nothing found for {typed!r}"
    assert found[0].article.slug == slug
    assert {suggestion.article.language for suggestion in found} == {language}
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_the_last_word_is_a_beginning_only_while_it_is_typed() -> None:
    knowledge = load_articles()

    # "passw" is the beginning of "password" while typed; followed by a space it is a finished word
    # no article holds
    assert [s.article.slug for s in knowledge.find("passw", "en")][:1] == ["account-recovery"]
    assert knowledge.find("passw ", "en") == []
    # Words before the last are whole words: a beginning of one finds nothing on its own
    assert knowledge.find("passw zzzz", "en") == []
    # One letter is no beginning worth searching for
    assert knowledge.find("p", "en") == []


def test_find_has_no_threshold_where_the_suggestions_have_one() -> None:
    knowledge = load_articles()
    # A single word the articles only mention: not enough for an acknowledgement to suggest an
    # article, enough for a person searching for it to see the articles that hold it
    assert knowledge.search("browser", "en") == []
    found = knowledge.find("browser", "en")
    assert found
    assert all("browser" in s.article.body.lower() for s in found)


def test_a_prefix_counts_once_however_many_words_it_may_become() -> None:
    # Given two articles, one with many words beginning "pay", one with a single one
    many = Article("many", "en", "Pay, payment, payments, payout", "", (), "billing", "Paying by paypal.")
    one = Article("one", "en", "Payment", "", (), "billing", "Payment details.")
    knowledge = KnowledgeBase([many, one])

    # When "pay" is typed, each article scores by the best word it may become, not by their sum
    found = {s.article.slug: s.score for s in knowledge.find("pay", "en")}
    assert set(found) == {"many", "one"}
    assert found["many"] == pytest.approx(
        max(
            next(s.score for s in knowledge.find(f"{word} ", "en") if s.article.slug == "many")
            for word in ("pay", "payment", "payments", "payout", "paying", "paypal")
        )
    )


def test_empty_stop_words_unknown_language_and_limits() -> None:
    knowledge = load_articles()
    assert knowledge.find("", "en") == []
    assert knowledge.find("   ", "en") == []
    assert knowledge.find("Hello, thanks ", "en") == []
    assert knowledge.find("password", "it") == []
    assert knowledge.find("password", "en", limit=0) == []
    # Every article holding a word, up to the limit; a regional tag searches its language
    assert len(knowledge.find("account", "en", limit=10)) > 1
    assert len(knowledge.find("account", "en", limit=1)) == 1
    assert [s.article.language for s in knowledge.find("senha", "pt-BR")][:1] == ["pt"]
