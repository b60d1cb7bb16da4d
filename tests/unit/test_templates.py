"""Acknowledgement templates: every language renders every variant, says the same in text and HTML,
escapes what it is given in HTML and leaves no gaps in the text."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from postdesk.rendering import RenderedMail, render_mail, templates_dir

LANGUAGES = ("en", "de", "fr", "es", "pt")
REF = "K7Q2-M9XD"
CATEGORY_LINE = "Questions about invoices go straight to our billing team."
PROMISE = "One of us will answer within four business hours."
ARTICLES = [
    {"title": "Reset your password", "url": "https://help.example.com/en/articles/account-recovery"},
    {"title": "Fix errors and an app that won't load", "url": "https://help.example.com/en/articles/errors"},
]


def _context(**overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "customer_name": "Jane Doe",
        "ref": REF,
        "subject": "Cannot sign in",
        "excerpt_lines": ["I cannot sign in since this morning.", "Thanks, Jane"],
        "attachment_names": [],
        "more_attachments": 0,
        "support_name": "Example Support",
        "empathy": False,
        "articles": [],
        "category_line": "",
        "promise": "",
    }
    context.update(overrides)
    return context


def _render(language: str, **overrides: Any) -> RenderedMail:
    rendered = render_mail("ack", language, _context(**overrides))
    assert rendered.language == language
    return rendered


def _visible(html_text: str) -> str:
    """The HTML body's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = "<body" + html_text.split("<body", 1)[1]
    blocks_apart = re.sub(r"</?(?:body|p|br|ul|li|blockquote|table|tr|td)\b[^>]*>", " ", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", blocks_apart)).split())


def _paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def _added_sentences(with_feature: str, without_feature: str) -> list[str]:
    """The lines a feature adds to the text part."""
    before = set(without_feature.splitlines())
    return [line.strip() for line in with_feature.splitlines() if line not in before and line.strip()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_a_text_and_an_html_acknowledgement(language: str) -> None:
    assert (templates_dir() / language / "ack.txt.j2").is_file()
    assert (templates_dir() / language / "ack.html.j2").is_file()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "features",
    [
        {},
        {"empathy": True},
        {"articles": ARTICLES},
        {"category_line": CATEGORY_LINE},
        {"promise": PROMISE},
        {"empathy": True, "articles": ARTICLES, "category_line": CATEGORY_LINE, "promise": PROMISE},
        {"customer_name": "", "excerpt_lines": []},
    ],
    ids=["plain", "empathy", "articles", "category", "promise", "everything", "bare"],
)
def test_every_variant_renders_the_same_things_in_text_and_html(
    language: str, features: dict[str, Any]
) -> None:
    # Given an acknowledgement with some of the optional parts
    rendered = _render(language, **features)
    visible = _visible(rendered.html)

    # Then both parts carry the reference, and the optional parts exactly when they are given
    for part in (rendered.text, visible):
        assert REF in part
        assert (CATEGORY_LINE in part) is ("category_line" in features)
        assert (PROMISE in part) is ("promise" in features)
        for article in ARTICLES:
            assert (article["title"] in part) is ("articles" in features)
    for article in ARTICLES:
        assert (article["url"] in rendered.text) is ("articles" in features)
        assert (f'href="{html.escape(article["url"])}"' in rendered.html) is ("articles" in features)
    # And the text's greeting is its first line, as the HTML's is its first paragraph
    greeting = rendered.text.splitlines()[0]
    assert ("Jane Doe" in greeting) is (features.get("customer_name", "Jane Doe") != "")
    assert visible.startswith(greeting)
    # And no blank-line gaps are left where parts were left out
    assert "\n\n\n" not in rendered.text
    assert not rendered.text.startswith("\n")


@pytest.mark.parametrize("language", LANGUAGES)
def test_empathy_acknowledges_the_trouble_before_anything_else(language: str) -> None:
    # Given the same acknowledgement with and without empathy
    plain = _render(language)
    caring = _render(language, empathy=True)

    # Then the empathetic sentence replaces the opening thanks, right after the greeting
    added = _added_sentences(caring.text, plain.text)
    assert len(added) == 1
    assert _paragraphs(caring.text)[1].startswith(added[0])
    assert REF not in added[0]
    # And the HTML says the same at the same place
    assert _visible(caring.html).split(added[0])[0].strip() == caring.text.splitlines()[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_promise_replaces_the_general_answer_sentence(language: str) -> None:
    plain = _render(language)
    promised = _render(language, promise=PROMISE)
    general = _added_sentences(plain.text, promised.text)
    assert len(general) == 1
    assert general[0] not in promised.text and general[0] not in _visible(promised.html)
    assert PROMISE in promised.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_article_links_are_escaped_in_html(language: str) -> None:
    # Given an article whose title and address carry markup
    hostile = [{"title": "<script>alert(1)</script> Reset", "url": 'https://help.example.com/a?x=1&y="2"'}]

    # When rendered
    rendered = _render(language, articles=hostile)

    # Then the HTML shows them as text and the attribute stays closed
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Reset" in rendered.html
    assert 'href="https://help.example.com/a?x=1&amp;y=&#34;2&#34;"' in rendered.html
    # And the text part keeps them literally
    assert "<script>alert(1)</script> Reset" in rendered.text


def test_greetings_keep_their_style() -> None:
    assert _render("en").text.startswith("Hello Jane Doe,\n")
    assert _render("de", customer_name="Jürgen Müller").text.startswith("Guten Tag Jürgen Müller,\n")
    assert _render("fr").text.startswith("Bonjour Jane Doe,\n")
    assert _render("es").text.startswith("Hola, Jane Doe:\n")
    assert _render("pt").text.startswith("Olá, Jane Doe,\n")
    assert _render("en", customer_name="").text.startswith("Hello,\n")
