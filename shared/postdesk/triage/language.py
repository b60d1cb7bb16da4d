"""Language of a customer's mail: which of the desk's languages to answer in.

Approach: a character (byte) n-gram naive Bayes classifier, the model of langid.py as kept up by
py3langid (BSD-3-Clause, Marco Lui and Timothy Baldwin; fork by Adrien Barbaresi), restricted to
``SUPPORTED_LANGUAGES`` and to the 30,000 n-gram features that carry most evidence among them, with the
log-probabilities quantised to one byte. ``postdesk_tools.build_language_model`` exports it;
``data/LICENSE-py3langid`` is the upstream licence. Why this and not another detector:

- naive Bayes over byte n-grams is what holds up on short text (a subject line, a two-line reply),
  where stop-word counting has nothing to count, and it needs no tokenizer for Japanese or Chinese;
- the upstream model was trained on far more text than any corpus this project has, and exporting it
  keeps its accuracy (on the public ticket corpus it loses nothing on full bodies: see the bench);
- inference is a dictionary lookup per byte and one sum per language, so the standard library is
  enough; the 0.4 MB file is read once, on the first call, and kept.

Restricting the model is what makes it accurate on a desk: a label it cannot answer cannot be
mistaken for the one it should. The neighbours of the template languages stay in (Italian, Catalan,
Romanian next to Spanish and Portuguese; Dutch and the Nordic languages next to German and English)
so that an Italian mail is called Italian, not Spanish.

``choose_language`` returns one of ``allowed`` whenever ``allowed`` is given: a mail detected in a
language the desk has no templates for falls through to the ``Content-Language`` header, the
requester's history and finally ``default`` (with that ``source``), never to a wrong neighbour. Without
``allowed`` it returns the detected code and the caller maps it.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from operator import mul
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "language-ngrams.bin.gz"

SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "pt", "it", "nl", "pl", "sv", "da", "no", "fi", "ru", "uk", "ja", "zh", "tr",
    "cs", "ar", "ca", "el", "he", "hu", "ko", "ro", "sk",
)  # fmt: skip

# Below this a guess is not trusted and the next source is asked. Chosen on the ticket corpus: the
# first 40 characters of a mail clear it in 99 % of cases and a lone greeting ("Hi", "Danke") does not.
MIN_CONFIDENCE = 0.5
# Fewer letters than this is no text to judge ("ok", "?", "12.5.").
MIN_LETTERS = 2
# A few paragraphs settle the language; reading further only costs time (about 1 ms per 500 characters).
MAX_CHARACTERS = 4000

_MARKUP = re.compile(
    r"<[^<>\n]{0,200}>"  # HTML tags left in a text part, and placeholders such as <name>
    r"|&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});"  # entities
    r"|\b(?:https?://|www\.)\S+"  # links spell no language
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # nor do addresses
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?=$|[-_])")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str
    confidence: float
    source: str


@dataclass(frozen=True, slots=True)
class _Model:
    languages: tuple[str, ...]
    slots: dict[bytes, int]
    feature_lengths: tuple[int, ...]
    # One column of quantised log-probabilities per language, indexed by slot.
    columns: tuple[bytes, ...]
    step: float
    priors: tuple[float, ...]


@cache
def _model() -> _Model:
    payload = gzip.decompress(MODEL_PATH.read_bytes())
    header_end = payload.index(b"\n")
    header = json.loads(payload[:header_end])
    if header["format"] != 1 or tuple(header["languages"]) != SUPPORTED_LANGUAGES:
        raise RuntimeError(f"{MODEL_PATH.name} does not match this module: rebuild it")
    count: int = header["features"]
    lengths = payload[header_end + 1 : header_end + 1 + count]
    slots: dict[bytes, int] = {}
    offset = header_end + 1 + count
    for slot, length in enumerate(lengths):
        slots[payload[offset : offset + length]] = slot
        offset += length
    columns = tuple(
        payload[offset + index * count : offset + (index + 1) * count]
        for index in range(len(SUPPORTED_LANGUAGES))
    )
    return _Model(
        languages=SUPPORTED_LANGUAGES,
        slots=slots,
        feature_lengths=tuple(range(header["longest_feature"], 1, -1)),
        columns=columns,
        step=header["step"],
        priors=tuple(header["priors"]),
    )


def _plain(text: str) -> str:
    return _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip()


def _slot_counts(model: _Model, encoded: bytes) -> Counter[int]:
    """How often each feature slot occurs: at every byte, the longest feature ending there."""
    counts: Counter[int] = Counter()
    slots = model.slots
    for end in range(1, len(encoded) + 1):
        for length in model.feature_lengths:
            if length > end:
                continue
            slot = slots.get(encoded[end - length : end])
            if slot is not None:
                counts[slot] += 1
                break
    return counts


def detect(text: str) -> tuple[str, float] | None:
    """The most likely of ``SUPPORTED_LANGUAGES`` for ``text`` and its probability (0..1).

    None when the text has too little signal: fewer than two letters once markup, links and addresses
    are removed (empty, whitespace, numbers, punctuation), or no known n-gram at all. Only the first
    ``MAX_CHARACTERS`` of that plain text are read. The probability is the model's posterior tempered
    by the square root of the text's length (as upstream does), so a short text gets a modest figure
    even when its best guess is right."""
    plain = _plain(text[: MAX_CHARACTERS * 2])[:MAX_CHARACTERS]
    if sum(character.isalpha() for character in plain) < MIN_LETTERS:
        return None
    if plain.isupper():
        plain = plain.lower()
    encoded = unicodedata.normalize("NFC", plain).encode("utf-8", errors="surrogatepass")
    model = _model()
    counts = _slot_counts(model, encoded)
    if not counts:
        return None
    slots = list(counts)
    weights = [math.log1p(count) for count in counts.values()]
    # Every quantised weight is offset by the same constant, which shifts all languages alike; only
    # the step is needed to bring the scores back to nats.
    scores = [
        prior + model.step * sum(map(mul, map(column.__getitem__, slots), weights))
        for prior, column in zip(model.priors, model.columns, strict=True)
    ]
    temperature = math.sqrt(len(encoded))
    best = max(scores)
    exponents = [math.exp((score - best) / temperature) for score in scores]
    index = scores.index(best)
    return model.languages[index], exponents[index] / sum(exponents)


def _primary_subtag(content_language: str | None) -> str | None:
    """``de`` for ``de-DE`` or ``de-DE, en``; None for a missing or malformed header."""
    if not content_language:
        return None
    first = content_language.split(",")[0].strip().lower()
    match = _LANGUAGE_TAG.match(first)
    return match.group(0) if match else None


def _from_history(history: Sequence[str], allowed: Collection[str] | None) -> tuple[str, float] | None:
    """The language most of the requester's earlier tickets were in (the most recent wins a tie) and
    the share of those tickets written in it."""
    usable = [code for code in history if code and (allowed is None or code in allowed)]
    if not usable:
        return None
    frequency = Counter(usable)
    code = max(usable, key=lambda candidate: (frequency[candidate], -usable.index(candidate)))
    return code, frequency[code] / len(usable)


def choose_language(
    *,
    visible_reply: str,
    subject: str,
    text: str,
    content_language: str | None,
    history: Sequence[str] | Callable[[], Sequence[str]],
    default: str,
    allowed: Collection[str] | None = None,
) -> LanguageGuess:
    """The language to answer in, and where it came from.

    The first confident detection (at least ``MIN_CONFIDENCE``) of the visible reply, the subject or
    the whole text decides. If none is confident, or the language it found is not in ``allowed``, the
    primary subtag of ``content_language`` is used, then the requester's ``history`` (most recent
    first: the most frequent language, the most recent on a tie; a function is called only then, so
    a read of earlier tickets happens only when it can decide), then ``default``. When ``allowed``
    is given the answer is always one of them or ``default``. Confidence is the detector's posterior,
    1.0 for a declared header, the share of earlier tickets in that language for the history and 0.0
    for the default."""
    for source, candidate in (("visible_reply", visible_reply), ("subject", subject), ("text", text)):
        guess = detect(candidate)
        if guess is not None and guess[1] >= MIN_CONFIDENCE:
            code, confidence = guess
            if allowed is None or code in allowed:
                return LanguageGuess(code, confidence, source)
            break
    declared = _primary_subtag(content_language)
    if declared is not None and (allowed is None or declared in allowed):
        return LanguageGuess(declared, 1.0, "content_language")
    earlier = _from_history(history() if callable(history) else history, allowed)
    if earlier is not None:
        return LanguageGuess(earlier[0], earlier[1], "history")
    return LanguageGuess(default, 0.0, "default")
