"""The HTML and text parts of an agent's reply: CommonMark, raw HTML escaped, only web and mail links;
the text part readable as plain mail."""

from __future__ import annotations

import pytest

from postdesk.replies.markdown import escape_markdown, markdown_to_html, markdown_to_text


def test_plain_text_becomes_paragraphs_with_line_breaks() -> None:
    html = markdown_to_html("Hello Jane,\n\nyour parcel left today.\nIt arrives on Monday.")
    assert html == "<p>Hello Jane,</p>\n<p>your parcel left today.<br>\nIt arrives on Monday.</p>\n"


def test_markdown_is_rendered() -> None:
    html = markdown_to_html(
        "**bold** and *soft*\n\n- one\n- two\n\n1. first\n\n`code` [docs](https://help.example.com/a?b=1&c=2)"
    )
    assert "<strong>bold</strong> and <em>soft</em>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert '<code>code</code> <a href="https://help.example.com/a?b=1&amp;c=2">docs</a>' in html


def test_raw_html_is_escaped() -> None:
    html = markdown_to_html('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)"> & <b>bold</b>')
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](jav&#x61;script:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "[x](tel:+4930123456)",
        "[x](/relative/path)",
        "<javascript:alert(1)>",
    ],
)
def test_links_to_anything_but_web_and_mail_addresses_stay_text(link: str) -> None:
    html = markdown_to_html(link)
    assert "<a " not in html and "<img" not in html


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("[help](https://help.example.com)", '<a href="https://help.example.com">help</a>'),
        ("[help](http://help.example.com)", '<a href="http://help.example.com">help</a>'),
        ("[write](mailto:billing@example.com)", '<a href="mailto:billing@example.com">write</a>'),
        ("<https://help.example.com>", '<a href="https://help.example.com">https://help.example.com</a>'),
    ],
)
def test_web_and_mail_links_become_links(link: str, expected: str) -> None:
    assert markdown_to_html(link) == f"<p>{expected}</p>\n"


def test_bare_addresses_are_not_linked() -> None:
    assert markdown_to_html("see https://help.example.com") == "<p>see https://help.example.com</p>\n"


@pytest.mark.parametrize(
    "value",
    [
        "[Win a prize](https://evil.example)",
        "*Sam* _Lee_ `x`",
        "# Heading",
        "1. first",
        "<b>bold</b> & co",
        "back\\slash",
    ],
)
def test_escaped_text_renders_as_itself(value: str) -> None:
    html = markdown_to_html(f"Dear {escape_markdown(value)},")
    expected = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert html == f"<p>Dear {expected},</p>\n"


# -- the plain-text part -----------------------------------------------------------------------------


def test_the_text_part_of_plain_text_is_the_text() -> None:
    text = "Hello Jane,\n\nyour parcel left today.\nIt arrives on Monday.\n\nBest"
    assert markdown_to_text(text) == text


def test_the_text_part_keeps_lists_and_puts_a_links_address_after_its_words() -> None:
    text = markdown_to_text(
        "Please try:\n\n1. **Sign out** and in again\n2. Clear the cache, see [the guide](https://help.example.com/cache)\n"
        "   - in Firefox\n   - in Chrome\n3. Write to [billing](mailto:billing@example.com) or <https://status.example.com>"
    )
    assert text == (
        "Please try:\n\n"
        "1. Sign out and in again\n"
        "2. Clear the cache, see the guide <https://help.example.com/cache>\n"
        "   - in Firefox\n"
        "   - in Chrome\n"
        "3. Write to billing <billing@example.com> or https://status.example.com"
    )


def test_the_text_part_of_loose_lists_quotes_and_code() -> None:
    text = markdown_to_text(
        "- one\n\n- two\n\n  more on two\n\n> You wrote:\n> it broke\n\n```\n$ app --reset\n  done\n```"
    )
    assert text == "- one\n\n- two\n\n  more on two\n\n> You wrote:\n> it broke\n\n$ app --reset\n  done"


def test_the_text_part_shows_escaped_marks_and_refused_links_as_typed() -> None:
    # A customer named *Sam* (escaped when put in) stays *Sam*; a link the HTML part refuses stays text.
    assert markdown_to_text(f"Hello {escape_markdown('*Sam*')}, [x](javascript:alert(1))") == (
        "Hello *Sam*, [x](javascript:alert(1))"
    )
