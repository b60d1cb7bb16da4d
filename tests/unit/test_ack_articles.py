"""The acknowledgement's "these articles may help" paragraph, in every shipped language: there only
with an article to show, in the number of articles it shows, and linking articles of the mail's language."""

from __future__ import annotations

from typing import Any

import pytest

from postdesk.mail.parse import parse_message
from postdesk.rendering import available_languages, render_mail
from postdesk.triage.knowledge import load_articles
from postdesk.triage.understand import understand

LANGUAGES = sorted(available_languages())
# The heading each language gives one article, and several.
HEADINGS = {
    "en": ("While you wait, this article may help:", "While you wait, these articles may help:"),
    "de": (
        "Vielleicht hilft Ihnen dieser Artikel schon weiter, während Sie warten:",
        "Vielleicht helfen Ihnen diese Artikel schon weiter, während Sie warten:",
    ),
    "fr": (
        "En attendant, cet article pourrait vous aider\u00a0:",
        "En attendant, ces articles pourraient vous aider\u00a0:",
    ),
    "es": (
        "Mientras tanto, quizá le sirva este artículo:",
        "Mientras tanto, quizá le sirvan estos artículos:",
    ),
    "pt": ("Enquanto isso, este artigo pode ajudar:", "Enquanto isso, estes artigos podem ajudar:"),
}
ARTICLE = {"title": "Where is my order?", "url": "https://help.example.com/x/articles/delivery?from=mail"}
OTHER = {"title": "Pay again", "url": "https://help.example.com/x/articles/payment?from=mail"}


def _context(articles: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "customer_name": "Ana",
        "ref": "K7Q2-M9XD",
        "subject": "Pedido",
        "excerpt_lines": ["hola"],
        "attachment_names": [],
        "more_attachments": 0,
        "support_name": "Example Support",
        "empathy": False,
        "articles": articles,
        "category_line": "",
        "promise": "",
    }


def test_every_shipped_language_has_its_headings() -> None:
    assert set(HEADINGS) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_article_no_heading(language: str) -> None:
    rendered = render_mail("ack", language, _context([]))
    for heading in HEADINGS[language]:
        assert heading not in rendered.text
        assert heading not in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_article_is_announced_as_one(language: str) -> None:
    one, several = HEADINGS[language]
    rendered = render_mail("ack", language, _context([ARTICLE]))
    assert rendered.language == language
    for part in (rendered.text, rendered.html):
        assert one in part
        assert several not in part
        assert ARTICLE["title"] in part
    # And in the text part the heading is a line of its own, the article's title on the next
    lines = rendered.text.splitlines()
    assert lines[lines.index(one) + 1] == f"  - {ARTICLE['title']}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_several_articles_are_announced_as_several(language: str) -> None:
    one, several = HEADINGS[language]
    rendered = render_mail("ack", language, _context([ARTICLE, OTHER]))
    for part in (rendered.text, rendered.html):
        assert several in part
        assert one not in part
    lines = rendered.text.splitlines()
    assert lines[lines.index(several) + 1] == f"  - {ARTICLE['title']}"


QUESTIONS = {
    "en": "Where is my order? The parcel has not arrived yet.",
    "de": "Wo ist mein Paket? Die Lieferung ist nicht angekommen.",
    "fr": "Où est ma commande ? Le colis n'est pas arrivé.",
    "es": "¿Dónde está mi pedido? El paquete no ha llegado.",
    "pt": "Cadê meu pedido? A encomenda ainda não chegou.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_suggestions_are_articles_of_the_mail_language(language: str) -> None:
    raw = (
        "From: Ana <ana@example.org>\r\nTo: support@example.com\r\nSubject: -\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + QUESTIONS[language] + "\r\n"
    ).encode()
    understanding = understand(
        parse_message(raw),
        history_languages=[],
        default_language="en",
        template_languages=available_languages(),
        knowledge=load_articles(),
    )
    assert understanding.reply_language == language
    assert understanding.suggestions
    assert {s.article.language for s in understanding.suggestions} == {language}
