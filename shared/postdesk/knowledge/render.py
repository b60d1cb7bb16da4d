"""Help-center articles as HTML, from the Markdown agents write (CommonMark, with tables and
strikethrough): the one renderer of the help center's pages and of the editor's preview.

An article is written by an agent but read by anyone, so nothing in it may turn into markup the
page did not mean: raw HTML is shown as the text that was typed; links go only to web and mail
addresses, to the desk's own pages (a path starting with one ``/``) or to a part of the page (``#``);
images only to the help center's own images (``…/help/images/<name>``), since the pages load nothing
from anywhere else: any other image becomes a link to it. Headings get ids (anchors a link or the
page's outline can point to); an article's ``#`` is shown as a second-level heading, the page's own
title being the one first-level heading. Table alignment comes as a class, not a ``style``
attribute, which the pages' Content-Security-Policy would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

from postdesk.triage.knowledge import fold

# A path of the desk's own starts with one "/": "//host" and "/\\host" (which browsers read as
# "//host"; markdown-it hands it on as "/%5Chost") name another site.
_LINK_TARGETS: Final = re.compile(r"(?:https?:|mailto:|#|/(?![/\\]|%5c))", re.IGNORECASE)
# Where the help center serves an article's images (knowledge/links.py help_image_url): the name is
# the first 16 hex digits of the image's SHA-256 and its type's extension.
_OWN_IMAGE: Final = re.compile(
    r"(?:https?://[^/?#\s]+)?(?:/[^?#\s]*)?/help/images/([0-9a-f]{16}\.(?:png|jpe?g|gif|webp))"
)
_ALIGN: Final = re.compile(r"text-align:(left|center|right)")
_NOT_ID: Final = re.compile(r"[^a-z0-9]+")
# "doesn't" gives "doesnt", not "doesn-t".
_APOSTROPHES: Final = re.compile(r"['’]")
MAX_ID_LENGTH: Final = 60
# The ids the help center's pages give their own elements: a heading of an article never takes one.
PAGE_IDS: Final = frozenset(
    {
        "content",
        "q",
        "article-title",
        "outline-heading",
        "vote-heading",
        "related-heading",
        "languages-heading",
        "contact-heading",
        "topics-heading",
    }
)


class _ArticleMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        """Links and images of an article: web and mail addresses, the desk's own paths, anchors."""
        return bool(_LINK_TARGETS.match(url))


_MARKDOWN: Final = _ArticleMarkdown(
    "commonmark", {"html": False, "linkify": False, "typographer": False, "xhtmlOut": False}
).enable(["table", "strikethrough"])


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of an article, as its outline lists it."""

    id: str
    text: str
    level: int


@dataclass(frozen=True, slots=True)
class RenderedArticle:
    html: str
    # The second-level headings, in order: the page's "On this page".
    outline: tuple[Heading, ...]


def render_article(
    markdown: str, image_base: str = "", reserved_ids: Iterable[str] = PAGE_IDS
) -> RenderedArticle:
    """The HTML of an article's ``markdown`` and its outline. The help center's own images are
    served from ``{image_base}/help/images/<name>`` (the path the page itself is served under, so
    that they come from the page's own origin); ``reserved_ids`` are ids the page around the article
    uses already."""
    tokens = _MARKDOWN.parse(markdown)
    taken = set(reserved_ids)
    outline: list[Heading] = []
    for position, token in enumerate(tokens):
        if token.type == "heading_open":
            outline += _heading(token, tokens[position + 1], taken)
        elif token.type == "heading_close":
            token.tag = _demoted(token.tag)
        elif token.type in ("th_open", "td_open"):
            _align_by_class(token)
        elif token.type == "inline" and token.children:
            token.children = _own_images_only(token.children, image_base)
    html = str(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))
    return RenderedArticle(html, tuple(heading for heading in outline if heading.level == 2))


def article_html(markdown: str, image_base: str = "") -> str:
    """The HTML of an article's ``markdown`` (the editor's preview shows the same)."""
    return render_article(markdown, image_base).html


def _demoted(tag: str) -> str:
    return "h2" if tag == "h1" else tag


def _heading(opening: Token, inline: Token, taken: set[str]) -> list[Heading]:
    opening.tag = _demoted(opening.tag)
    text = _plain(inline.children or []).strip()
    identifier = _unique_id(text, taken)
    opening.attrSet("id", identifier)
    return [Heading(identifier, text, int(opening.tag[1]))]


def _unique_id(text: str, taken: set[str]) -> str:
    """An id for a heading of ``text``: its words folded to ASCII and joined by hyphens (``section``
    when none is left), ``-2``, ``-3``… after it when an earlier heading or the page has it."""
    words = _NOT_ID.sub("-", _APOSTROPHES.sub("", fold(text))).strip("-")
    base = words[:MAX_ID_LENGTH].strip("-") or "section"
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def _align_by_class(cell: Token) -> None:
    style = str(cell.attrGet("style") or "")
    if not style:
        return
    cell.attrs.pop("style", None)
    match = _ALIGN.search(style)
    if match:
        cell.attrSet("class", f"align-{match.group(1)}")


def _own_images_only(children: list[Token], image_base: str) -> list[Token]:
    """The inline tokens with every image pointed at the help center's own copy, or, for an image
    from elsewhere, turned into a link to it (its alternative text as the link's words)."""
    result: list[Token] = []
    for child in children:
        if child.type != "image":
            result.append(child)
            continue
        source = str(child.attrGet("src") or "")
        own = _OWN_IMAGE.fullmatch(source)
        if own:
            child.attrSet("src", f"{image_base.rstrip('/')}/help/images/{own.group(1)}")
            child.attrSet("loading", "lazy")
            result.append(child)
            continue
        words = _plain(child.children or []) or source
        opening = Token("link_open", "a", 1, attrs={"href": source})
        text = Token("text", "", 0, content=words)
        result += [opening, text, Token("link_close", "a", -1)]
    return result


def _plain(children: Sequence[Token]) -> str:
    """The words of inline tokens, without their marks."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child.children or []))
    return "".join(parts)


def article_summary(markdown: str, limit: int = 180) -> str:
    """The first paragraph of an article as plain text, cut at a word before ``limit`` characters
    (with an ellipsis): what a list of articles or of search results shows under a title."""
    tokens = _MARKDOWN.parse(markdown)
    for position, token in enumerate(tokens[:-1]):
        if token.type == "paragraph_open" and tokens[position + 1].type == "inline":
            text = " ".join(_plain(tokens[position + 1].children or []).split())
            if text:
                return shortened(text, limit)
    return ""


def plain_text(markdown: str) -> str:
    """The words of a piece of Markdown without its marks (``**``, list bullets, link targets), on
    one line: what a search result shows of an article's paragraph."""
    tokens = _MARKDOWN.parse(markdown)
    blocks = (" ".join(_plain(token.children or []).split()) for token in tokens if token.type == "inline")
    return " ".join(block for block in blocks if block)


def shortened(text: str, limit: int) -> str:
    """``text`` as it is when it fits ``limit`` characters, else cut at the last word that fits,
    with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():
        head = head.rsplit(" ", 1)[0]  # the word the limit falls in goes
    cut = head.rstrip(" ,;:.-–—")
    return f"{cut}…"
