"""The help center's Markdown: what an article may hold, and what it never turns into."""

from __future__ import annotations

import re

import pytest

from postdesk.knowledge.render import (
    PAGE_IDS,
    Heading,
    article_html,
    article_summary,
    render_article,
    shortened,
)


def test_raw_html_is_shown_as_the_text_that_was_typed() -> None:
    html = article_html(
        "<script>alert(1)</script>\n\n"
        'Text <img src=x onerror="alert(2)"> and <a href="javascript:x">y</a>\n\n'
        "<iframe src=https://evil.example></iframe>"
    )

    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "//evil.example/page",
        "/\\evil.example/page",
    ],
)
def test_a_link_goes_only_to_the_web_mail_the_desk_or_the_page(target: str) -> None:
    html = article_html(f"[click]({target})")

    assert "href" not in html
    assert "[click]" in html


def test_links_to_the_web_mail_the_desks_own_pages_and_anchors_are_kept() -> None:
    html = article_html(
        "[a](https://example.com/x?y=1&z=2) [b](mailto:support@example.com) "
        "[c](/help/de/articles/account-recovery) [d](#reset-your-password)"
    )

    assert re.findall(r'href="([^"]+)"', html) == [
        "https://example.com/x?y=1&amp;z=2",
        "mailto:support@example.com",
        "/help/de/articles/account-recovery",
        "#reset-your-password",
    ]


def test_a_quote_in_a_link_cannot_leave_its_attribute() -> None:
    html = article_html('[x](https://example.com/"onmouseover="alert(1))')

    assert 'onmouseover="' not in html
    assert "%22onmouseover=%22alert(1)" in html


def test_only_the_help_centers_own_images_are_shown_from_the_pages_own_origin() -> None:
    html = article_html(
        "![The settings page](https://desk.example.com/help/images/0123456789abcdef.png)\n\n"
        "![Relative](/help/images/fedcba9876543210.jpg)\n\n"
        "![Tracker](https://tracker.example/pixel.gif)\n\n"
        "![Not a hash](/help/images/../published.json)",
        image_base="/api",
    )

    assert re.findall(r'<img src="([^"]+)"', html) == [
        "/api/help/images/0123456789abcdef.png",
        "/api/help/images/fedcba9876543210.jpg",
    ]
    # An image from elsewhere is a link to it: the reader chooses to load it.
    assert '<a href="https://tracker.example/pixel.gif">Tracker</a>' in html
    assert 'alt="The settings page"' in html


def test_headings_have_unique_ids_and_the_article_title_stays_the_one_h1() -> None:
    rendered = render_article(
        "# Before you start\n\nText\n\n## Reset your password\n\n### Step one\n\n"
        "## Reset your password\n\n## Content\n\n## Rückerstattung: doesn't arrive?\n\n## ???"
    )

    assert "<h1" not in rendered.html
    assert rendered.outline == (
        Heading("before-you-start", "Before you start", 2),
        Heading("reset-your-password", "Reset your password", 2),
        Heading("reset-your-password-2", "Reset your password", 2),
        # "content" is the page's own main element's id.
        Heading("content-2", "Content", 2),
        Heading("ruckerstattung-doesnt-arrive", "Rückerstattung: doesn't arrive?", 2),
        Heading("section", "???", 2),
    )
    assert '<h3 id="step-one">Step one</h3>' in rendered.html
    assert "content" in PAGE_IDS


def test_table_alignment_is_a_class_not_a_style_the_policy_would_refuse() -> None:
    html = article_html("| Plan | Price |\n|:-----|------:|\n| Basic | 5 € |")

    assert "style=" not in html
    assert '<th class="align-left">Plan</th>' in html
    assert '<td class="align-right">5 €</td>' in html


def test_the_summary_is_the_first_paragraph_in_plain_words() -> None:
    markdown = (
        "## Heading\n\nIf you have **forgotten** your [password](https://x.example), <b>reset</b> it."
        "\n\nMore."
    )

    assert article_summary(markdown) == "If you have forgotten your password, <b>reset</b> it."
    assert article_summary("## Only a heading") == ""
    assert article_summary("One two three four five six", limit=14) == "One two three…"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("Hello there friend", 12, "Hello there…"),
        ("Hello there, friend", 14, "Hello there…"),
        # No word ends before the limit: the one word is cut.
        ("Supercalifragilistic", 8, "Superca…"),
    ],
)
def test_text_is_shortened_at_a_word(text: str, limit: int, expected: str) -> None:
    assert shortened(text, limit) == expected
