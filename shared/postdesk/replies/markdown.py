"""The HTML part of an agent's reply, from the Markdown the agent typed (CommonMark).

Raw HTML in the text is shown as text, never passed through; links and images may point only to
http, https and mailto addresses (``javascript:``, ``data:``, ``file:``, relative links... stay as
the text that was typed). A line break is a line break: agents type replies line by line.
"""

from __future__ import annotations

import re
from typing import Final

from markdown_it import MarkdownIt

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
