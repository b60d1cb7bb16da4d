"""The HTML and plain-text parts of an agent's reply, from the Markdown the agent typed (CommonMark).

Raw HTML in the text is shown as text, never passed through; links and images may point only to
http, https and mailto addresses (``javascript:``, ``data:``, ``file:``, relative links... stay as
the text that was typed). A line break is a line break: agents type replies line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

from postdesk.replies.variables import ReplyVariables, render_reply

_LINK_SCHEMES = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
# CommonMark lets any ASCII punctuation character be escaped with a backslash.
_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


class _MailMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        """Links and images in a mail to a customer: web and mail addresses only."""
        return bool(_LINK_SCHEMES.match(url))


_MARKDOWN: Final = _MailMarkdown(
    "commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False, "xhtmlOut": False}
)


def markdown_to_html(text: str) -> str:
    """HTML for ``text`` read as CommonMark: plain text gives one ``<p>`` per paragraph with ``<br>``
    between its lines; every ``<``, ``>`` and ``&`` the text holds is escaped."""
    return str(_MARKDOWN.render(text))


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown punctuation character backslash-escaped, so that it renders as
    exactly ``text`` wherever it is put in a paragraph (a customer named ``*Sam*`` stays ``*Sam*``)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def markdown_to_text(text: str) -> str:
    """The plain-text part for ``text`` read as CommonMark: what the HTML part shows, written as a
    person writes a plain mail. Emphasis marks and escapes go; a link keeps its words with the address
    after them (``the guide <https://…>``, once when the words are the address); lists keep their
    ``-`` and numbers, nested lists their indent; quotes their ``>``; code its lines as typed."""
    lines: list[str] = []
    # The prefix of each open container (a quote's "> ", a list item's indent), outermost first.
    prefixes: list[str] = []
    # Per open list: its next number (None for a bullet list) and how many items it has shown.
    lists: list[list[int | None]] = []
    # The marker ("- ", "2. ") the current list item's first line takes in place of its indent.
    marker: str | None = None
    # Whether the paragraph being read belongs to a tight list (markdown-it hides its <p>).
    tight = False

    def blank_line() -> None:
        """One empty line between blocks (inside a quote, a bare ">"); never two, never first."""
        if lines and lines[-1].strip(" >"):
            lines.append("".join(prefixes).rstrip())

    def emit(block: list[str]) -> None:
        nonlocal marker
        for line in block:
            prefix = "".join(prefixes)
            if marker is not None:
                prefix = "".join(prefixes[:-1]) + marker
                marker = None
            lines.append((prefix + line).rstrip())

    for token in _MARKDOWN.parse(text):
        kind = token.type
        # A quote or list opens after a blank line; not inside a tight list's item (its nested list
        # follows its line), nor first in an item.
        opens_block = kind in ("blockquote_open", "bullet_list_open", "ordered_list_open")
        if opens_block and marker is None and not (lists and tight):
            blank_line()
        if kind == "blockquote_open":
            prefixes.append("> ")
        elif kind in ("blockquote_close", "list_item_close"):
            if kind == "list_item_close" and marker is not None:
                emit([""])  # an empty item still shows its marker
            prefixes.pop()
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append([None if kind == "bullet_list_open" else int(start) if start else 1, 0])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            number, shown = lists[-1]
            marker = "- " if number is None else f"{number}. "
            lists[-1] = [None if number is None else number + 1, (shown or 0) + 1]
            prefixes.append(" " * len(marker))
        elif kind == "paragraph_open":
            tight = token.hidden
        elif kind == "inline":
            # The items of a tight list follow each other without a blank line; those of a loose
            # list are parted by one, as paragraphs are (not from the line that opens their list).
            first_of_list = marker is not None and bool(lists) and lists[-1][1] == 1
            if not tight and not first_of_list:
                blank_line()
            emit(_inline_text(token.children or []).split("\n"))
        elif kind in ("fence", "code_block"):
            if marker is None:
                blank_line()
            emit(token.content.rstrip("\n").split("\n"))
        elif kind == "hr":
            blank_line()
            emit(["―" * 10])
    return "\n".join(lines).strip("\n")


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    # Per open link: its address and where its words start in ``parts``.
    links: list[tuple[str, int]] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and links:
            address, start = links.pop()
            words = "".join(parts[start:]).strip()
            shown = address.removeprefix("mailto:")
            if shown and words not in (address, shown):
                parts.append(f" <{shown}>")
        elif child.type == "image":
            address = str(child.attrGet("src") or "")
            parts.append(f"{child.content} <{address}>" if child.content else f"<{address}>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class ReplyParts:
    """A reply body made ready for one ticket."""

    # The body with its variables replaced, Markdown as typed: what the thread keeps and shows. A
    # value keeps the backslashes that stop it from being read as Markdown (a customer named
    # ``*Bob*`` is ``\*Bob*``), so the text renders to ``html`` exactly.
    text: str
    # The mail's HTML part and its plain-text part (without the template around them).
    html: str
    plain: str


def reply_parts(body: str, variables: ReplyVariables) -> ReplyParts:
    """The parts of a reply whose ``body`` (Markdown with variables) goes to the ticket of
    ``variables``: the one rendering of an agent's words, for the replies and forwards the desk
    sends and for the saved replies' preview. Raises InvalidReplyTemplate for a body that cannot be
    rendered."""
    # The values are escaped, so that a customer's name or subject is shown as written and never
    # read as Markdown: in the mail's parts and in the thread, which renders the stored text again.
    escaped = render_reply(body.strip(), variables, escape=escape_markdown)
    html = markdown_to_html(escaped)
    marked = render_reply(body.strip(), variables, escape=_mark_escapes)
    return ReplyParts(
        text=_fewest_escapes(marked, escaped, html).strip(),
        html=html,
        plain=markdown_to_text(escaped),
    )


# Put before each punctuation character of a value in place of a backslash, to find the escapes again
# (a private-use character, which no one types; a body or value that holds it keeps every escape).
_ESCAPE_MARK: Final = "\ue000"
# How many of a body's escapes are tried without (each try renders the body once more), and the
# longest body tried at all: a long reply keeps every escape (it renders the same) rather than cost
# the API dozens of renders of a large text (about 0.1 s each at 200 KB).
_MAX_ESCAPES_TRIED: Final = 32
_MAX_TIDIED_CHARS: Final = 20_000


def _mark_escapes(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(_ESCAPE_MARK + r"\1", text)


def _fewest_escapes(marked: str, escaped: str, html: str) -> str:
    """``escaped`` (a body whose values are escaped, rendering to ``html``) with only the escapes
    ``html`` needs: ``marked`` is the same body with a mark in place of each of the values'
    backslashes, and each is dropped when the body renders the same without it. So a name like
    ``O'Brien`` stays as written, ``*Bob*`` keeps what stops it from being read as emphasis, and the
    text renders to ``html`` exactly."""
    if marked.replace(_ESCAPE_MARK, "\\") != escaped or len(escaped) > _MAX_TIDIED_CHARS:
        return escaped
    pieces = marked.split(_ESCAPE_MARK)
    kept = [True] * (len(pieces) - 1)

    def joined() -> str:
        return pieces[0] + "".join(
            ("\\" if keep else "") + piece for keep, piece in zip(kept, pieces[1:], strict=True)
        )

    # From the last: what stays is the escape a person would type, before an opening mark (``\*Bob*``).
    for index in reversed(range(max(0, len(kept) - _MAX_ESCAPES_TRIED), len(kept))):
        kept[index] = False
        if markdown_to_html(joined()) != html:
            kept[index] = True
    return joined()
