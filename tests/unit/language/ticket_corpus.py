"""The labelled ticket corpus (tickets-tobi-bueck-en-de) and which of its rows count for accuracy.

Some rows labelled ``de`` are plainly English (the generator wrote the German ticket in English). A
row is *clean* when an independent test confirms its label: its body holds more stop words of the
labelled language than of the other one, from the two fixed lists below (words that are frequent in
one language and not words of the other). Rows where the test disagrees with the label, and rows with
no stop word of either list (too short to confirm), are left out; both counts are reported.

Bodies keep their line breaks as the two characters ``\\n``; they are turned back into line breaks,
which is what a mail would contain.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

CORPUS_NAME = "tickets-tobi-bueck-en-de"

ENGLISH_STOP_WORDS = frozenset({
    "the", "and", "to", "of", "is", "a", "in", "for", "that", "with", "this", "on", "we", "our", "you",
    "your", "it", "are", "be", "have", "has", "please", "would", "could", "can", "not", "from", "as", "an",
    "at", "by", "or", "was", "will", "i", "my", "any", "been", "which",
})  # fmt: skip
GERMAN_STOP_WORDS = frozenset({
    "der", "die", "das", "und", "ist", "nicht", "mit", "für", "ich", "wir", "sie", "ein", "eine", "einen",
    "zu", "den", "dem", "des", "auf", "von", "bitte", "unser", "unsere", "ihre", "ihr", "können", "haben",
    "hat", "wurde", "werden", "auch", "es", "im", "bei", "sich", "dass", "oder", "wie", "um",
})  # fmt: skip
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class TicketCorpus:
    clean: tuple[tuple[str, str], ...]  # (body, language)
    total: int
    contradicted: int  # the stop-word test names the other language
    unconfirmed: int  # no stop word of either list, or as many of each


def _stop_word_language(body: str) -> str | None:
    words = _WORD.findall(body.lower())
    english = sum(word in ENGLISH_STOP_WORDS for word in words)
    german = sum(word in GERMAN_STOP_WORDS for word in words)
    if english == german:
        return None
    return "en" if english > german else "de"


def load_ticket_corpus(folder: Path) -> TicketCorpus:
    """Every row of both CSV files, split into clean rows and the counts of rows left out."""
    clean: list[tuple[str, str]] = []
    total = contradicted = unconfirmed = 0
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                total += 1
                body = row["body"].replace("\\n", "\n")
                confirmed = _stop_word_language(body)
                if confirmed is None:
                    unconfirmed += 1
                elif confirmed != row["language"]:
                    contradicted += 1
                else:
                    clean.append((body, row["language"]))
    return TicketCorpus(tuple(clean), total, contradicted, unconfirmed)
