"""Knowledge-base articles: front matter is read strictly; the starter set is complete in every language."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.rendering import templates_dir
from postdesk.triage.knowledge import (
    CATEGORIES,
    KnowledgeBaseError,
    load_articles,
    parse_article,
    read_articles,
)

STARTER_LANGUAGES = ("en", "de", "fr", "es", "pt")
STARTER_SLUGS = {
    "account-recovery",
    "sign-in-two-factor",
    "billing-invoices-refunds",
    "payment-failed",
    "troubleshooting-errors",
    "delivery-and-returns",
}
GOOD_ARTICLE = """---
title: "Reset your password"
url: https://help.example.com/en/articles/reset
tags: password, forgot password,  , locked out
category: account
---

Choose **Forgot password?** on the sign-in page.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_gives_every_field_and_the_body(tmp_path: Path) -> None:
    # Given an article with quoted title, spaced tags and an empty tag
    path = _write(tmp_path / "en", "reset.md", GOOD_ARTICLE)

    # When it is parsed
    article = parse_article(path, "en")

    # Then every field is there, cleaned, and the body is the Markdown after the front matter
    assert article.slug == "reset"
    assert article.language == "en"
    assert article.title == "Reset your password"
    assert article.url == "https://help.example.com/en/articles/reset"
    assert article.tags == ("password", "forgot password", "locked out")
    assert article.category == "account"
    assert article.body == "Choose **Forgot password?** on the sign-in page."


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("title: x\n---\nbody\n", "starts with a '---' line"),
        ("---\ntitle: x\nurl: https://x.example\n\nbody\n", "no closing '---'"),
        ("---\ntitle x\n---\nbody\n", ":2: expected 'key: value'"),
        ("---\nauthor: me\n---\nbody\n", ":2: unknown field 'author'"),
        (
            GOOD_ARTICLE.replace("category: account", "category: account\ntitle: again"),
            "'title' is given twice",
        ),
        (GOOD_ARTICLE.replace("tags: password, forgot password,  , locked out\n", ""), "lacks tags"),
        (GOOD_ARTICLE.replace("category: account", "category: sales"), "category 'sales' is not one of"),
        (
            GOOD_ARTICLE.replace("https://help.example.com", "javascript:alert(1)//"),
            "is not an http(s) address",
        ),
        (GOOD_ARTICLE.split("Choose")[0], "no text after its front matter"),
    ],
)
def test_a_malformed_article_is_refused_with_its_file_named(
    tmp_path: Path, text: str, complaint: str
) -> None:
    # Given a malformed article
    path = _write(tmp_path / "en", "broken-article.md", text)

    # When it is parsed, then the error names the file and says what is wrong
    with pytest.raises(KnowledgeBaseError) as raised:
        parse_article(path, "en")
    assert "broken-article.md" in str(raised.value)
    assert complaint in str(raised.value)


def test_loading_a_folder_with_one_bad_article_names_that_article(tmp_path: Path) -> None:
    # Given a knowledge base where one article lacks its category
    _write(tmp_path / "en", "good.md", GOOD_ARTICLE)
    _write(tmp_path / "de", "kaputt.md", GOOD_ARTICLE.replace("category: account\n", ""))

    # When the folder is read, then the error points at the bad file
    with pytest.raises(KnowledgeBaseError, match=r"de/kaputt\.md: the front matter lacks category"):
        read_articles(tmp_path)


def test_a_missing_knowledge_base_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        load_articles(tmp_path / "nowhere")


def test_the_starter_set_covers_the_same_topics_in_every_language() -> None:
    # Given the shipped knowledge base
    articles = read_articles(templates_dir() / "kb")

    # Then each starter language has the same six topics
    for language in STARTER_LANGUAGES:
        slugs = {article.slug for article in articles if article.language == language}
        assert slugs == STARTER_SLUGS, language
    # And every article is a real help text: a valid category, its own URL, 150 to 400 words
    for article in articles:
        assert article.category in CATEGORIES
        assert article.url == f"https://help.example.com/{article.language}/articles/{article.slug}"
        assert 150 <= len(article.body.split()) <= 400, f"{article.language}/{article.slug}"
        assert "{{" not in article.body and "{%" not in article.body


def test_the_shipped_knowledge_base_is_read_once_per_process() -> None:
    assert load_articles() is load_articles()
    assert load_articles().languages() >= frozenset(STARTER_LANGUAGES)
