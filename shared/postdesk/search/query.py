"""What an agent types into the search box, made into an FTS5 query that cannot be anything else.

Words are matched as words (every one must be found), accents and case folded by the index's
tokenizer; "quoted words" must stand together; the last word, while it is still being typed, is a
prefix. Nothing a person types reaches FTS5's syntax: every token is quoted, and what is neither a
letter nor a digit only separates words (an address or a reference becomes a phrase of its parts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer input is cut: a search box is not a document.
MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"?|(\S+)')
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """``match`` is the FTS5 expression; ``terms`` the plain words, for what the agent is told."""

    match: str
    terms: tuple[str, ...]


def _tokens(text: str) -> list[str]:
    # "_" is a word character to the regex but a separator to the index's tokenizer.
    return [token for part in _TOKEN.findall(text) for token in part.split("_") if token]


def parse_query(text: str) -> ParsedQuery | None:
    """The FTS5 expression for ``text``, or None when it holds nothing to look for."""
    text = text[:MAX_QUERY_LENGTH]
    still_typing = bool(text) and not text[-1].isspace() and not text.rstrip().endswith('"')
    groups: list[tuple[list[str], bool]] = []
    for match in _PHRASE_OR_WORD.finditer(text):
        phrase, word = match.group(1), match.group(2)
        tokens = _tokens(phrase if phrase is not None else word)
        if tokens:
            groups.append((tokens, phrase is not None))
    groups = groups[:MAX_TERMS]
    if not groups:
        return None
    parts = []
    for position, (tokens, quoted) in enumerate(groups):
        expression = '"' + " ".join(tokens) + '"'
        if still_typing and not quoted and position == len(groups) - 1:
            expression += "*"
        parts.append(expression)
    return ParsedQuery(" ".join(parts), tuple(" ".join(tokens) for tokens, _ in groups))
