"""Readable plain text from an HTML mail body, with nothing but the standard library's HTML parser."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Final

# Content that is not part of what a reader sees.
_HIDDEN: Final = frozenset({"script", "style", "title", "template", "noscript"})

# What may stand in <head>; any other element means the head has ended even without </head>.
_HEAD_CONTENT: Final = frozenset({"meta", "link", "base", "title", "style", "script", "noscript", "template"})

# Elements that start and end a line of their own.
_BLOCKS: Final = frozenset(
    {
        "address", "article", "aside", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "header", "li", "main", "menu", "nav",
        "section", "summary", "tbody", "td", "tfoot", "th", "thead", "tr", "caption", "body", "html",
    }
)  # fmt: skip

# Blocks that also stand apart from their neighbours by a blank line.
_PARAGRAPHS: Final = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr"}
)

# Invisible characters that HTML mail uses as padding; they only get in the way of reading and search.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\xad"))
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_ANGLE = re.compile(r"[<>]")

# Links whose target says nothing a reader could use.
_UNHELPFUL_HREF_PREFIXES: Final = ("#", "javascript:", "cid:", "data:")

# Quote marks and list indentation stop growing here: deeper nesting adds nothing a reader can use,
# and unbounded it would multiply the size of the text by the nesting depth.
_MAX_SHOWN_NESTING: Final = 10


class _TextCollector(HTMLParser):
    """Accumulates lines: inline text joins the current line; blocks, ``<br>`` and quotes end it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._inline: list[str] = []
        self._lead = ""
        self._in_head = False
        self._hidden_depth = 0
        self._quote_depth = 0
        self._pre_depth = 0
        self._list_depth = 0
        self._link: tuple[str, list[str]] | None = None

    # -- line building -------------------------------------------------------------------------

    def _prefix(self) -> str:
        return "> " * min(self._quote_depth, _MAX_SHOWN_NESTING)

    def _take_inline(self) -> str:
        text = "".join(self._inline)
        self._inline = []
        return _SPACES.sub(" ", text).strip() if self._pre_depth == 0 else text.rstrip()

    def _end_line(self) -> None:
        """Close the current line; an empty one is dropped (blocks do not stack blank lines)."""
        text = self._take_inline()
        if text:
            self.lines.append(self._prefix() + self._lead + text)
            self._lead = ""

    def _break_line(self) -> None:
        """``<br>``: end the line even when it is empty, because consecutive breaks are intended."""
        text = self._take_inline()
        self.lines.append((self._prefix() + self._lead + text).rstrip())
        self._lead = ""

    def _blank_line(self) -> None:
        """End the line and leave a blank one; runs of blank lines are merged in ``finish``."""
        self._end_line()
        if self.lines:
            self.lines.append(self._prefix().rstrip())

    # -- parser callbacks ----------------------------------------------------------------------

    def _hidden(self) -> bool:
        return self._in_head or self._hidden_depth > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
            return
        if tag in _HIDDEN:
            self._hidden_depth += 1
            return
        if tag not in _HEAD_CONTENT:
            # A missing </head> must not hide the whole body.
            self._in_head = False
        if self._hidden():
            return
        if tag == "br":
            self._break_line()
        elif tag == "blockquote":
            self._blank_line()
            self._quote_depth += 1
        elif tag in ("ul", "ol", "dir", "menu"):
            if self._list_depth == 0:
                self._blank_line()
            else:
                self._end_line()
            self._list_depth += 1
        elif tag == "li":
            self._end_line()
            self._lead = "  " * min(max(self._list_depth - 1, 0), _MAX_SHOWN_NESTING) + "- "
        elif tag == "pre":
            self._blank_line()
            self._pre_depth += 1
        elif tag in ("td", "th"):
            # Cells of a row stay on one line, separated by a space.
            self._inline.append(" ")
        elif tag == "a":
            # Links do not nest: a new one ends the one still open, as in a browser.
            self._close_link()
            href = next((value for name, value in attrs if name == "href" and value), "")
            self._link = (href.strip(), [])
        elif tag in _PARAGRAPHS:
            self._blank_line()
        elif tag in _BLOCKS:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
            return
        if tag in _HIDDEN:
            self._hidden_depth = max(self._hidden_depth - 1, 0)
            return
        if self._hidden():
            return
        if tag == "blockquote":
            self._end_line()
            self._quote_depth = max(self._quote_depth - 1, 0)
            self._blank_line()
        elif tag in ("ul", "ol", "dir", "menu"):
            self._end_line()
            self._list_depth = max(self._list_depth - 1, 0)
            if self._list_depth == 0:
                self._blank_line()
        elif tag == "pre":
            self._end_line()
            self._pre_depth = max(self._pre_depth - 1, 0)
            self._blank_line()
        elif tag == "a":
            self._close_link()
        elif tag in _PARAGRAPHS:
            self._blank_line()
        elif tag in _BLOCKS and tag not in ("td", "th"):
            self._end_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and friends: only the opening meaning applies; a self-closed link or hidden element
        # would otherwise stay open for the rest of the document.
        if tag != "a" and tag not in _HIDDEN and tag != "head":
            self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._hidden():
            return
        data = data.translate(_INVISIBLE)
        if self._pre_depth:
            first, *rest = data.split("\n")
            self._inline.append(first)
            for line in rest:
                self._break_line()
                self._inline.append(line)
        else:
            self._inline.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def _close_link(self) -> None:
        if self._link is None:
            return
        href, pieces = self._link
        self._link = None
        text = _SPACES.sub(" ", "".join(pieces)).strip()
        if not text or not href or href.lower().startswith(_UNHELPFUL_HREF_PREFIXES):
            return
        shown = href.removeprefix("mailto:")
        if shown.rstrip("/") != text.rstrip("/"):
            self._inline.append(f" ({href})")

    def finish(self) -> str:
        """The collected text: one blank line at most between blocks, none at either end.

        Of a run of blank lines the least quoted one stays, so that leaving a quote shows as an
        unquoted blank line rather than a dangling ``>``.
        """
        self._close_link()
        self._end_line()
        merged: list[str] = []
        blank_run: list[str] = []
        for line in self.lines:
            if line.strip("> "):
                if blank_run and merged:
                    merged.append(min(blank_run, key=len))
                blank_run = []
                merged.append(line.rstrip())
            else:
                blank_run.append(line.rstrip())
        return "\n".join(merged)


def _balance_markup(html: str) -> str:
    """The HTML with every ``<`` that is not closed by a ``>`` before the next ``<`` escaped as text,
    and cut at an unterminated comment (which hides the rest in a browser too).

    The standard library parser rescans to the end of the input for each unterminated construct, so
    ``"<a " * 50_000`` costs minutes; after this linear pass each construct it sees is terminated.
    """
    pieces: list[str] = []
    copied = 0
    pending = -1
    cursor = 0
    while (match := _ANGLE.search(html, cursor)) is not None:
        index = match.start()
        cursor = index + 1
        if html[index] == ">":
            pending = -1
            continue
        if pending >= 0:
            pieces.append(html[copied:pending] + "&lt;")
            copied = pending + 1
        pending = -1
        if html.startswith("<!--", index):
            end = html.find("-->", index + 2)
            if end < 0:
                pieces.append(html[copied:index])
                return "".join(pieces)
            cursor = end + 3
        else:
            pending = index
    if pending >= 0:
        pieces.append(html[copied:pending] + "&lt;")
        copied = pending + 1
    pieces.append(html[copied:])
    return "".join(pieces)


def html_to_text(html: str) -> str:
    """Readable text of an HTML document or fragment; never raises.

    Scripts, styles and the head are dropped; block elements and ``<br>`` become line breaks,
    paragraphs, headings, lists and tables are set apart by a blank line; list items start with
    ``- ``; a link keeps its text followed by its URL in parentheses when the URL differs from the
    text; entities are decoded; runs of whitespace become one space except inside ``<pre>``; lines
    inside ``<blockquote>`` start with ``> `` (one per level) so quoted text stays recognisable.
    """
    collector = _TextCollector()
    try:
        collector.feed(_balance_markup(html))
        collector.close()
    except Exception:  # the stdlib parser has had assertion failures on hostile input
        return _SPACES.sub(" ", unescape(_TAG.sub(" ", html))).strip()
    return collector.finish()
