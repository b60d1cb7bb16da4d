"""What an agent types into the search box, made into an FTS5 query that cannot be anything else.

Words are matched as words (every one must be found), accents and case folded by the index's
tokenizer; "quoted words" must stand together; the last word, while it is still being typed, is a
prefix. Nothing a person types reaches FTS5's syntax: every token is quoted, and what is neither a
letter nor a digit only separates words (an address or a reference becomes a phrase of its parts).

Letters typed another way meet both ways (documents.typed_spellings): a document holds each word
with ä, ö, ü, ß, æ, œ, ø or ł a second time as typed without it, so "mueller" finds "Müller" as a
word; and a word typed with such a letter also looks for its other spellings, so "Müller" finds
"Mueller". A quoted phrase typed with "ue", "oe", "ae" or "ss" also looks for the phrase with the
letter ("herr mueller" finds "Herr Müller"): only in phrases, whose other words keep "queue" or
"due" from finding "quu" or the French "du".

A word stands for its other grammatical number too (``_numbers``): "invoices" finds "invoice",
"Rechnung" finds "Rechnungen", "remboursements" "remboursement", as agents expect of a helpdesk's
search. No dictionary: the endings English, French, Spanish and German plurals most often take are
taken off and put on, and a form no text holds finds nothing. Only words of four letters or more,
outside quotes, so "du" and "due", "les" and "less" stay apart, and a phrase stays as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postdesk.search.documents import typed_spellings

# Longer input is cut: a search box is not a document.
MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"?|(\S+)')
_TOKEN = re.compile(r"\w+", re.UNICODE)
# How "ue", "oe", "ae" and "ss" are written with their letter (the tokenizer folds ü to u).
_LETTER_OF = {"ae": "ä", "oe": "ö", "ue": "ü", "ss": "ß"}
_TYPED_FOR_LETTER = re.compile("|".join(_LETTER_OF), re.IGNORECASE)
# The endings a plural most often adds (invoice-s, box-es, cit-ies, Paket-e, Rechnung-en, Kunde-n), and the
# shortest word that has a plural form looked for, and is left when an ending is taken off.
_PLURAL_ENDINGS = ("s", "es", "ies", "e", "en", "n")
_SHORTEST_STEM = 4
_SIBILANT = ("s", "x", "z", "ch", "sh")
_VOWELS = ("a", "e", "i", "o", "u", "y")
# The columns a person reads: a passage for the snippet is looked for only there.
SHOWN_COLUMNS = ("subject", "requester", "tags", "messages", "notes")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """``match`` is the FTS5 expression; ``terms`` the plain words, for what the agent is told;
    ``shown`` an expression for the passage shown of a hit, over the columns a person reads, that
    any one word in any of its spellings meets."""

    match: str
    terms: tuple[str, ...]
    shown: str = ""


def _tokens(text: str) -> list[str]:
    # "_" is a word character to the regex but a separator to the index's tokenizer.
    return [token for part in _TOKEN.findall(text) for token in part.split("_") if token]


def _with_letters(token: str) -> str:
    return _TYPED_FOR_LETTER.sub(lambda typed: _LETTER_OF[typed.group().lower()], token)


def _spelled(tokens: list[str], with_letters: bool) -> list[list[str]]:
    """``tokens`` in each of their spellings: as typed, then without the letters they hold (each
    choice of typed_spellings), then, if ``with_letters``, with the letters "ue", "ss"… stand for."""
    alternatives = [tokens]
    spellings = [typed_spellings(token) for token in tokens]
    for choice in range(max(len(forms) for forms in spellings)):
        pairs = zip(tokens, spellings, strict=True)
        alternatives.append([forms[min(choice, len(forms) - 1)] if forms else word for word, forms in pairs])
    if with_letters:
        alternatives.append([_with_letters(token) for token in tokens])
    unique: list[list[str]] = []
    for alternative in alternatives:
        if alternative not in unique:
            unique.append(alternative)
    return unique


def _numbers(word: str, prefix: bool) -> list[str]:
    """``word`` and its likely singular and plural forms, lower case: "invoices" -> invoice,
    "Rechnung" -> rechnungen, "Kunden" -> kunde, "cities" -> city. Just ``[word]`` for a short word
    or one with digits. A ``prefix`` (a word still being typed) finds its longer forms anyway: only
    its shorter ones are added."""
    lowered = word.lower()
    if len(lowered) < _SHORTEST_STEM or not lowered.isalpha():
        return [word]
    shorter = [form for form in (_without(lowered, ending) for ending in _PLURAL_ENDINGS) if form]
    # A word that looks like a plural already is not made longer ("Rechnungen", "invoices").
    plural = any(_without(lowered, ending) for ending in _PLURAL_ENDINGS if ending != "e")
    grown = () if prefix or plural else (_with(lowered, ending) for ending in _PLURAL_ENDINGS)
    longer = [form for form in grown if form]
    return list(dict.fromkeys([word, *shorter, *longer]))


def _without(word: str, ending: str) -> str | None:
    """``word`` without the plural ``ending`` it may carry (boxes, cities, Pakete, Rechnungen, Kunden),
    or None. Never the s of a double s (address, less)."""
    if not word.endswith(ending):
        return None
    stem = word[: -len(ending)]
    if ending == "ies":
        stem += "y"
    elif ending == "es":
        stem = stem if stem.endswith(_SIBILANT) else ""
    elif ending == "s":
        stem = "" if stem.endswith("s") else stem
    elif ending == "en":
        stem = "" if stem.endswith("e") else stem
    elif ending == "n":
        stem = stem if stem.endswith("e") else ""
    return stem if len(stem) >= _SHORTEST_STEM else None


def _with(word: str, ending: str) -> str | None:
    """``word`` with the plural ``ending`` its kind of word takes (invoices, boxes, cities, Pakete,
    Rechnungen, Kunden), or None. Nothing for a word that already ends as an English plural."""
    if word.endswith("s") and not word.endswith("ss"):
        return None
    if ending == "s":
        plural = not word.endswith((*_SIBILANT, "y")) or word.endswith(tuple(v + "y" for v in _VOWELS))
    elif ending == "es":
        plural = word.endswith(_SIBILANT)
    elif ending == "ies":
        return word[:-1] + ending if word.endswith("y") and word[-2] not in _VOWELS else None
    elif ending == "n":
        plural = word.endswith("e")
    else:
        plural = not word.endswith(_VOWELS) and not word.endswith("s")
    return word + ending if plural else None


def _forms(tokens: list[str], quoted: bool, with_letters: bool, prefix: bool) -> list[list[str]]:
    """The token lists to look for: each spelling (``_spelled``), and for one word outside quotes
    each of its numbers."""
    spellings = _spelled(tokens, with_letters)
    if quoted or len(tokens) != 1:
        return spellings
    unique: list[list[str]] = []
    for spelling in spellings:
        for form in _numbers(spelling[0], prefix):
            if [form] not in unique:
                unique.append([form])
    return unique


def _either(expressions: list[str]) -> str:
    return expressions[0] if len(expressions) == 1 else "(" + " OR ".join(expressions) + ")"


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
    parts: list[str] = []
    shown: list[str] = []
    for position, (tokens, quoted) in enumerate(groups):
        suffix = "*" if still_typing and not quoted and position == len(groups) - 1 else ""
        forms = _forms(tokens, quoted, with_letters=len(tokens) > 1, prefix=bool(suffix))
        phrases = ['"' + " ".join(form) + '"' + suffix for form in forms]
        parts.append(_either(phrases))
        for spelling in _forms(tokens, quoted, with_letters=True, prefix=bool(suffix)):
            for token in spelling:
                if (expression := '"' + token + '"' + suffix) not in shown:
                    shown.append(expression)
    return ParsedQuery(
        " AND ".join(parts),
        tuple(" ".join(tokens) for tokens, _ in groups),
        "{" + " ".join(SHOWN_COLUMNS) + "} : (" + " OR ".join(shown) + ")",
    )
