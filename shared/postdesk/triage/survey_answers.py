"""Replies to the satisfaction survey that say nothing but a rating ("5", "4/5", "sehr gut", "👍").

The survey mail asks "How did we do?" on a scale of 1 (very bad) to 5 (excellent). Many customers
answer by mail instead of following a link; such a reply is recorded as the rating and does not reopen
the ticket. Anything more than a rating is a follow-up and must reach an agent, so every rule here
errs towards refusing: an unknown word, a question mark, a number off the scale, two ratings that
disagree or more than six words, and the reply is not a rating. The tables and every decision are
described in ``docs/triage.md`` ("Answers to the survey by mail"). Pure: no AWS, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from postdesk.triage.rules import fold


@dataclass(frozen=True, slots=True)
class RatingAnswer:
    """A reply that is only a rating: 1 (very bad) to 5 (excellent), and the normalised expression that
    decided it ("4/5", "7/10", "4★", "★★★★☆", "👍", "tres bien", "nicht gut") for the event log."""

    rating: int
    matched: str


# -- vocabulary -----------------------------------------------------------------------------------

# Words and short phrases per language, written as people write them; they are folded (case and
# accents) when the tables are built. None marks a word that is ambiguous in that language: refused
# when the ticket is in it, read with the other languages' meaning otherwise.
_RATING_WORDS: Final[Mapping[str, Mapping[str, int | None]]] = {
    "en": {
        "excellent": 5, "great": 5, "very good": 5, "really good": 5, "perfect": 5, "awesome": 5,
        "amazing": 5, "fantastic": 5, "outstanding": 5, "superb": 5, "super": 5, "top": 5,
        "good": 4, "pretty good": 4, "quite good": 4, "nice": 4, "not bad": 4,
        "ok": 3, "okay": 3, "o.k.": 3, "fine": 3, "alright": 3, "all right": 3, "average": 3,
        "so-so": 3, "so so": 3,
        "bad": 2, "poor": 2, "disappointing": 2, "mediocre": 2,
        "very bad": 1, "very poor": 1, "terrible": 1, "awful": 1, "horrible": 1,
    },
    "de": {
        "ausgezeichnet": 5, "hervorragend": 5, "exzellent": 5, "sehr gut": 5, "super": 5,
        "super gut": 5, "perfekt": 5, "spitze": 5, "top": 5, "toll": 5, "klasse": 5, "prima": 5,
        "gut": 4, "ganz gut": 4, "recht gut": 4, "nicht schlecht": 4,
        "ok": 3, "okay": 3, "in ordnung": 3, "geht so": 3, "passt": 3, "befriedigend": 3,
        "mittelmäßig": 3,
        "schlecht": 2, "mangelhaft": 2, "enttäuschend": 2,
        "sehr schlecht": 1, "mies": 1, "ungenügend": 1, "katastrophal": 1, "furchtbar": 1,
        "schrecklich": 1,
    },
    "fr": {
        "excellent": 5, "excellente": 5, "très bien": 5, "très bon": 5, "parfait": 5, "parfaite": 5,
        "super": 5, "génial": 5, "top": 5, "impeccable": 5, "formidable": 5,
        "bien": 4, "bon": 4, "bonne": 4, "assez bien": 4, "pas mal": 4,
        "correct": 3, "correcte": 3, "moyen": 3, "moyenne": 3, "passable": 3, "ok": 3,
        "mauvais": 2, "mauvaise": 2, "mal": 2, "décevant": 2, "médiocre": 2, "pas terrible": 2,
        "très mauvais": 1, "très mauvaise": 1, "très mal": 1, "nul": 1, "nulle": 1, "horrible": 1,
        "catastrophique": 1,
        # Colloquially "great" as well as "terrible": refused on French tickets.
        "terrible": None,
    },
    "es": {
        "excelente": 5, "muy bien": 5, "muy bueno": 5, "muy buena": 5, "perfecto": 5, "genial": 5,
        "estupendo": 5, "fantástico": 5, "super": 5,
        "bien": 4, "bueno": 4, "buena": 4, "no está mal": 4, "nada mal": 4,
        "regular": 3, "normal": 3, "aceptable": 3, "más o menos": 3, "ok": 3,
        "mal": 2, "malo": 2, "mala": 2, "deficiente": 2,
        "muy mal": 1, "muy malo": 1, "muy mala": 1, "pésimo": 1, "pésima": 1, "fatal": 1,
        "horrible": 1, "terrible": 1,
    },
    "pt": {
        "excelente": 5, "ótimo": 5, "ótima": 5, "muito bom": 5, "muito boa": 5, "muito bem": 5,
        "perfeito": 5, "maravilhoso": 5, "super": 5,
        "bom": 4, "boa": 4, "bem": 4, "nada mau": 4, "não é mau": 4,
        "razoável": 3, "regular": 3, "mais ou menos": 3, "normal": 3, "ok": 3,
        "ruim": 2, "mau": 2, "mal": 2, "fraco": 2,
        "muito ruim": 1, "muito mau": 1, "péssimo": 1, "péssima": 1, "horrível": 1,
    },
}  # fmt: skip

# A negation before a rating of 3 or more makes it a 2 ("not good", "nicht gut", "pas bien", "no muy
# bien", "não é bom"); before a lower rating it is only a rating when the table lists the phrase
# ("not bad", "pas terrible"), any other negated low rating is refused.
_NEGATIONS: Final = (
    "not", "not so", "not that", "not really", "not very", "wasn't", "isn't", "it wasn't", "it isn't",
    "nicht", "nicht so", "nicht wirklich", "nicht besonders", "nicht sehr",
    "pas", "pas si", "pas vraiment", "pas très", "n'est pas", "ce n'est pas", "n'était pas",
    "no", "no tan", "no muy", "no es", "no fue", "no está",
    "não", "não tão", "não muito", "não é", "não foi", "não está",
)  # fmt: skip
_NEGATED_RATING: Final = 2

# "It was", "war", "c'est", "fue", "foi" may open the rating; nothing else may come before it.
_COPULAS: Final = (
    "it was", "it's", "it is", "that was", "was",
    "war", "es war", "das war",
    "c'est", "c'était", "c'etait",
    "fue", "estuvo",
    "foi", "está",
)  # fmt: skip

# Thanks may follow the rating, never precede it ("Danke, sehr gut" goes to an agent).
_THANKS: Final = (
    "thanks", "thank you", "thank you very much", "thanks a lot", "many thanks", "thx", "cheers",
    "danke", "danke schön", "danke sehr", "dankeschön", "vielen dank",
    "merci", "merci beaucoup", "merci bien",
    "gracias", "muchas gracias", "mil gracias",
    "obrigado", "obrigada", "muito obrigado", "muito obrigada", "obg", "valeu",
)  # fmt: skip

# "4 of 5", "4 out of 5", "4 von 5", "4 sur 5", "4 de 5" (and "4/5").
_OUT_OF: Final = ("of", "out of", "von", "sur", "de")
_STAR_WORDS: Final = (
    "star", "stars", "stern", "sterne", "étoile", "étoiles", "estrella", "estrellas", "estrela", "estrelas",
)  # fmt: skip

# Words that say more is coming: such a last line is never taken for a name.
_CONNECTIVES: Final = (
    "and", "but", "also", "still", "however", "why", "und", "aber", "auch", "noch", "warum",
    "et", "mais", "aussi", "encore", "pourquoi", "y", "pero", "también", "todavía", "e", "mas",
    "também", "ainda",
)  # fmt: skip

# Emoji and emoticons are coarse: 👍 reads as satisfied (5), as on thumbs-up CSAT scales.
_EMOJI_RATINGS: Final[Mapping[str, int]] = {
    "👍": 5, "👌": 5, "👏": 5, "💯": 5, "❤": 5, "😀": 5, "😃": 5, "😄": 5, "😁": 5, "😊": 5, "😍": 5,
    "🤩": 5, ":d": 5, ":-d": 5,
    "🙂": 4, ":)": 4, ":-)": 4, ";)": 4, ";-)": 4,
    "😐": 3, "😑": 3, ":|": 3, ":-|": 3,
    "🙁": 2, "☹": 2, "😕": 2, "😞": 2, ":(": 2, ":-(": 2,
    "👎": 1, "😠": 1, "😡": 1, "🤬": 1,
}  # fmt: skip

_FILLED_STARS: Final = frozenset("★⭐🌟*✪✫✬✭✮✯")
_EMPTY_STARS: Final = frozenset("☆✩")
_SCALE_TOP: Final = 5
_TEN_POINT_TOP: Final = 10
_MAX_WORDS: Final = 6
_MAX_NAME_WORDS: Final = 2
# Far beyond any rating of six words: longer text is refused before any work is done on it.
_MAX_CHARS: Final = 300

# -- normalisation and tokens ---------------------------------------------------------------------

# Variation selectors, skin tones, the keycap mark ("5️⃣"), zero-width characters and soft hyphens:
# they change how a character looks, not what it says.
_INVISIBLE: Final = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u20e3\u200b-\u200d\u2060\ufeff\u00ad]")
_APOSTROPHES: Final = re.compile("[’ʼ`´]")
# "*5*" and "*Excellent*": emphasis from plain-text mail, not stars.
_EMPHASIS: Final = re.compile(r"\*+(?=[^*\s])([^*\n]*?\w[^*\n]*?)\*+")
_STAR_CHARS: Final = "".join(sorted(_FILLED_STARS | _EMPTY_STARS)).replace("*", r"\*")
_EMOTICON: Final = r"[:;]-?[)(|d](?!\w)"
_TOKEN: Final = re.compile(
    r"(?P<decimal>\d+[.,]\d+)"
    r"|(?P<number>\d+)"
    rf"|(?P<stars>[{_STAR_CHARS}](?:\s*[{_STAR_CHARS}])*)"
    rf"|(?P<emoticon>{_EMOTICON})"
    r"|(?P<slash>/)"
    r"|(?P<word>[^\W\d_]+(?:['-][^\W\d_]+)*)"
    rf"|(?P<separator>(?:(?!{_EMOTICON})[\s.,;:!…\-–—~()\[\]{{}}\"'«»“”‘¡])+)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_NAME_WORD: Final = re.compile(r"[^\W\d_](?:[^\W\d_]|['.-])*")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def _normalise(text: str) -> str:
    """Full-width digits, NBSP and other compatibility forms made plain, invisible marks removed."""
    # Apostrophes first: NFKC turns the acute accent into a space and a combining mark.
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", _APOSTROPHES.sub("'", text)))


def _tokens(folded: str) -> list[_Token]:
    """Numbers, words, star runs, emoticons, slashes and single other characters; separators dropped."""
    tokens = []
    for match in _TOKEN.finditer(_EMPHASIS.sub(r"\1", folded)):
        if match.lastgroup is not None and match.lastgroup != "separator":
            tokens.append(_Token(match.lastgroup, match.group()))
    return tokens


def _words(phrase: str) -> tuple[str, ...]:
    """A vocabulary entry as the tuple of word tokens a reply spelling it would give."""
    return tuple(token.text for token in _tokens(fold(_normalise(phrase))))


def _phrase_set(phrases: Iterable[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(_words(phrase) for phrase in phrases)


def _tables() -> dict[str, dict[tuple[str, ...], int | None]]:
    """One lookup table per language: the ticket's language first, the other four for what it lacks;
    the "" table (unsupported language) merges all five, leaving out what is ambiguous in one."""
    ambiguous = {
        _words(phrase)
        for words in _RATING_WORDS.values()
        for phrase, rating in words.items()
        if rating is None
    }
    merged: dict[tuple[str, ...], int | None] = {}
    for words in _RATING_WORDS.values():
        for phrase, rating in words.items():
            if rating is not None:
                merged.setdefault(_words(phrase), rating)
    # Nobody knows which language a customer on an unsupported ticket meant an ambiguous word in.
    tables = {"": {words: rating for words, rating in merged.items() if words not in ambiguous}}
    for language, words in _RATING_WORDS.items():
        own = {_words(phrase): rating for phrase, rating in words.items()}
        tables[language] = merged | own
    return tables


_TABLES: Final = _tables()
_NEGATION_PHRASES: Final = _phrase_set(_NEGATIONS)
_COPULA_PHRASES: Final = _phrase_set(_COPULAS)
_THANKS_PHRASES: Final = _phrase_set(_THANKS)
_OUT_OF_PHRASES: Final = _phrase_set(_OUT_OF)
_STAR_WORD_PHRASES: Final = _phrase_set(_STAR_WORDS)
_LONGEST_PHRASE: Final = max(
    len(words)
    for phrases in (
        _TABLES[""].keys(),
        _NEGATION_PHRASES,
        _COPULA_PHRASES,
        _THANKS_PHRASES,
        _OUT_OF_PHRASES,
    )
    for words in phrases
)
_VOCABULARY: Final = frozenset(
    word
    for phrases in (
        *(table.keys() for table in _TABLES.values()),
        _NEGATION_PHRASES,
        _COPULA_PHRASES,
        _THANKS_PHRASES,
        _OUT_OF_PHRASES,
        _STAR_WORD_PHRASES,
        _phrase_set(_CONNECTIVES),
    )
    for words in phrases
    for word in words
)


# -- reading a rating -----------------------------------------------------------------------------


class _NotOnlyARating(Exception):
    """Raised while reading as soon as the reply is known to say more than a rating."""


@dataclass(frozen=True, slots=True)
class _Expression:
    rating: int
    matched: str
    # 0: a number or stars, 1: words, 2: an emoji or emoticon (the coarser, the later it decides).
    coarseness: int


def _phrase_at(
    tokens: Sequence[_Token],
    start: int,
    phrases: Container[tuple[str, ...]],
) -> tuple[str, ...] | None:
    """The longest phrase of ``phrases`` spelled by the word tokens from ``start``."""
    words: list[str] = []
    for token in tokens[start : start + _LONGEST_PHRASE]:
        if token.kind != "word":
            break
        words.append(token.text)
    for length in range(len(words), 0, -1):
        candidate = tuple(words[:length])
        if candidate in phrases:
            return candidate
    return None


def _scaled(numerator: int, denominator: int) -> int:
    """A score on our scale: x/5 as it is, x/10 halved and rounded half up (the same as a linear map
    of 1..10 onto 1..5, rounded), anything else refused."""
    if denominator == _SCALE_TOP and 1 <= numerator <= _SCALE_TOP:
        return numerator
    if denominator == _TEN_POINT_TOP and 1 <= numerator <= _TEN_POINT_TOP:
        return (numerator + 1) // 2
    raise _NotOnlyARating


def _read_number(tokens: Sequence[_Token], start: int) -> tuple[_Expression, int]:
    numerator = int(tokens[start].text)
    position = start + 1
    denominator: int | None = None
    out_of = _phrase_at(tokens, position, _OUT_OF_PHRASES)
    if position < len(tokens) and tokens[position].kind == "slash":
        position += 1
    elif out_of is not None:
        position += len(out_of)
    if position > start + 1:
        if position >= len(tokens) or tokens[position].kind != "number":
            raise _NotOnlyARating
        denominator = int(tokens[position].text)
        position += 1
    star_word = _phrase_at(tokens, position, _STAR_WORD_PHRASES)
    starred = star_word is not None or (
        position < len(tokens) and tokens[position].kind == "stars" and len(tokens[position].text) == 1
    )
    if starred:
        position += len(star_word) if star_word is not None else 1
    rating = _scaled(numerator, denominator or _SCALE_TOP)
    if denominator is not None:
        matched = f"{numerator}/{denominator}"
    else:
        matched = f"{numerator}★" if starred else str(numerator)
    return _Expression(rating, matched, 0), position


def _read_stars(token: _Token) -> _Expression:
    stars = "".join(token.text.split())
    filled = sum(star in _FILLED_STARS for star in stars)
    if any(star in _EMPTY_STARS for star in stars) and len(stars) != _SCALE_TOP:
        raise _NotOnlyARating
    if not 1 <= filled <= _SCALE_TOP:
        raise _NotOnlyARating
    return _Expression(filled, stars, 0)


def _read_words(
    tokens: Sequence[_Token], start: int, table: Mapping[tuple[str, ...], int | None]
) -> tuple[_Expression, int] | None:
    phrase = _phrase_at(tokens, start, table)
    if phrase is not None:
        rating = table[phrase]
        if rating is None:
            raise _NotOnlyARating
        return _Expression(rating, " ".join(phrase), 1), start + len(phrase)
    negation = _phrase_at(tokens, start, _NEGATION_PHRASES)
    if negation is None:
        return None
    negated = _phrase_at(tokens, start + len(negation), table)
    if negated is None:
        return None
    rating = table[negated]
    if rating is None or rating < 3:
        raise _NotOnlyARating
    end = start + len(negation) + len(negated)
    return _Expression(_NEGATED_RATING, " ".join(negation + negated), 1), end


def _read_rating(
    tokens: Sequence[_Token], start: int, table: Mapping[tuple[str, ...], int | None]
) -> tuple[_Expression, int] | None:
    token = tokens[start]
    if token.kind == "number":
        return _read_number(tokens, start)
    if token.kind == "stars":
        return _read_stars(token), start + 1
    if token.text in _EMOJI_RATINGS:
        return _Expression(_EMOJI_RATINGS[token.text], token.text, 2), start + 1
    if token.kind == "word":
        return _read_words(tokens, start, table)
    raise _NotOnlyARating


def _band(rating: int) -> int:
    return (rating > 2) + (rating > 3)


def _decide(expressions: Sequence[_Expression]) -> RatingAnswer | None:
    """The most precise expression decides; numbers and stars must all agree exactly, words and emoji
    must agree with it on the side of the scale (dissatisfied 1-2, neutral 3, satisfied 4-5)."""
    if not expressions:
        return None
    deciding = min(expressions, key=lambda expression: expression.coarseness)
    for expression in expressions:
        if expression.coarseness == 0 and expression.rating != deciding.rating:
            return None
        if _band(expression.rating) != _band(deciding.rating):
            return None
    return RatingAnswer(deciding.rating, deciding.matched)


def _rate(folded: str, table: Mapping[tuple[str, ...], int | None]) -> RatingAnswer | None:
    """A rating, optionally opened by a copula and followed by thanks and emoji, and nothing else."""
    tokens = _tokens(folded)
    if any(token.kind == "decimal" for token in tokens):
        return None
    copula = _phrase_at(tokens, 0, _COPULA_PHRASES)
    position = len(copula) if copula is not None else 0
    expressions: list[_Expression] = []
    thanked = False
    try:
        while position < len(tokens):
            thanks = _phrase_at(tokens, position, _THANKS_PHRASES) if expressions else None
            if thanks is not None:
                thanked = True
                position += len(thanks)
                continue
            read = _read_rating(tokens, position, table)
            if read is None or (thanked and read[0].coarseness < 2):
                return None
            expression, position = read
            expressions.append(expression)
    except _NotOnlyARating:
        return None
    return _decide(expressions)


def _word_count(text: str) -> int:
    return sum(any(char.isalnum() for char in chunk) for chunk in text.split())


def _without_name_line(lines: Sequence[str], sender_words: frozenset[str]) -> str | None:
    """The reply without a last line that signs it with the sender's own name, one or two
    capitalised words or an initial of it (after thanks at most: "Thanks, Jane"), or None when there
    is no such line. Only the sender's name counts: "1\nRefund" is a request, not a signature."""
    if len(lines) < 2 or not sender_words:
        return None
    *rest, last = lines
    chunks = last.replace(",", " ").split()
    for name_length in range(min(_MAX_NAME_WORDS, len(chunks)), 0, -1):
        name, lead = chunks[-name_length:], chunks[:-name_length]
        looks_like_name = all(
            _NAME_WORD.fullmatch(word) and word[0].isupper() and _is_senders(word, sender_words)
            for word in name
        )
        lead_text = fold(" ".join(lead))
        if looks_like_name and (not lead or _is_thanks(lead_text)):
            return "\n".join([*rest, " ".join(lead)])
    return None


def _name_words(name: str) -> frozenset[str]:
    return frozenset(word for word in fold(name).replace(",", " ").split() if word.strip("."))


def _is_senders(word: str, sender_words: frozenset[str]) -> bool:
    folded = fold(word)
    if folded in sender_words:
        return True
    # An initial ("J." for Jane).
    return len(folded) == 2 and folded.endswith(".") and any(w.startswith(folded[0]) for w in sender_words)


def _is_thanks(folded: str) -> bool:
    tokens = _tokens(folded)
    phrase = _phrase_at(tokens, 0, _THANKS_PHRASES)
    return phrase is not None and len(phrase) == len(tokens)


def rating_only(text: str, language: str, sender_name: str = "") -> RatingAnswer | None:
    """The rating when the visible reply ``text`` says nothing but a rating of 1 to 5, else None.

    ``language`` (the ticket's, "pt-BR" is read as "pt") is a hint: words of all five supported
    languages are recognised, and a word that is ambiguous in the ticket's own language is refused.
    Case, accents, full-width forms, NBSP, emoji modifiers, surrounding punctuation, trailing thanks
    and a last line holding only a name are tolerated; a question mark, an unknown word, a number off
    the scale, disagreeing ratings or more than six words make the reply a follow-up (None).
    """
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_CHARS:
        return None
    normalised = _normalise(stripped)
    if "?" in normalised or "¿" in normalised:
        return None
    table = _TABLES.get(re.split(r"[-_]", language.strip().lower())[0], _TABLES[""])
    lines = [line.strip() for line in normalised.splitlines() if line.strip()]
    candidates = [normalised]
    without_name = _without_name_line(lines, _name_words(sender_name))
    if without_name is not None:
        candidates.append(without_name)
    for candidate in candidates:
        if _word_count(candidate) > _MAX_WORDS:
            continue
        answer = _rate(fold(candidate), table)
        if answer is not None:
            return answer
    return None
