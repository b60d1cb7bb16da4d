"""The search document of a ticket: what can be found (its reference, subject, requester, tags, the
words of its messages and notes) and what the list's filters ask of it (status, queue, assignee…)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from postdesk.clock import to_iso
from postdesk.tickets.listing import UNASSIGNED, status_partition
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket

# Mail the desk writes by itself says the same in every ticket: found by nobody's words.
UNSEARCHED_KINDS = frozenset({MessageKind.ACKNOWLEDGEMENT, MessageKind.SURVEY, MessageKind.TEAM_NOTICE})
# Per ticket: a thread longer than this is searched by its first 200,000 characters of each kind.
MAX_TEXT = 200_000
# The snippet's highlight marks: control characters no indexed text keeps.
MARK_START = "\x02"
MARK_END = "\x03"
# Between the words of the spellings column: no indexed text keeps it, so a snippet that holds it
# came from that column (which no person should read as a passage).
SPELLING_SEPARATOR = "\x01"
_MARKS = str.maketrans({MARK_START: " ", MARK_END: " ", SPELLING_SEPARATOR: " "})
# Letters people type another way when their keyboard lacks them: German "Müller" as "Mueller",
# "Straße" as "Strasse", Danish "Søren" as "Soeren" or "Soren". The tokenizer folds accents
# ("Müller" is found as "muller") but keeps ß, æ, œ, ø and ł as letters, and turns no letter into
# two: so a word holding one is indexed a second time as typed without it (``typed_spellings``). The
# reverse (reading "ue" as "ü" in every word) would make "queue" "quü" and "due" the French "du".
_TYPED_AS: dict[str, tuple[str, ...]] = {
    "ä": ("ae",),
    "ö": ("oe",),
    "ü": ("ue",),
    "ß": ("ss",),
    "æ": ("ae",),
    "œ": ("oe",),
    "ø": ("oe", "o"),
    "ł": ("l",),
}
# A word as the tokenizer cuts it ("_" separates); one of the letters above.
_WORD = re.compile(r"[^\W_]+")
_RESPELLED_LETTER = re.compile(f"[{''.join(_TYPED_AS)}]")
# Each way of typing them all: every letter's first spelling, then its second where it has one.
_TYPINGS = tuple(
    str.maketrans({letter: forms[min(choice, len(forms) - 1)] for letter, forms in _TYPED_AS.items()})
    for choice in range(max(len(forms) for forms in _TYPED_AS.values()))
)


@dataclass(frozen=True, slots=True)
class SearchDocument:
    ref: str
    subject: str
    requester: str
    tags: str
    messages: str
    notes: str
    # What the list's filters read (docs/search.md): the values the list indexes hold.
    status: str
    queue: str
    assignee: str
    priority: str
    language: str
    requester_email: str
    follow_up: str
    created_at: str
    updated_at: str

    @property
    def reference_words(self) -> str:
        """The reference as typed either way: ``K7Q2-M9XD`` and ``K7Q2M9XD``."""
        return reference_words(self.ref)

    @property
    def spellings(self) -> str:
        """The other spellings of the words the ticket is found by (``spellings_of``)."""
        return spellings_of(self.subject, self.requester, self.tags, self.messages, self.notes)


def reference_words(ref: str) -> str:
    return f"{ref} {ref.replace('-', '')}"


def typed_spellings(word: str) -> tuple[str, ...]:
    """How ``word`` is typed without the keys for its letters: ``("mueller",)`` for "Müller",
    ``("soeren", "soren")`` for "Søren", nothing for a word without such letters. Lower case."""
    word = unicodedata.normalize("NFC", word).lower()
    if not _RESPELLED_LETTER.search(word):
        return ()
    return tuple(dict.fromkeys(word.translate(typing) for typing in _TYPINGS))


def spellings_of(*texts: str) -> str:
    """The spellings column: each word of ``texts`` that has another spelling, in that spelling,
    once (the first time it occurs, so neighbours often stay neighbours for a phrase), between
    SPELLING_SEPARATORs. Empty for text that has none (most English)."""
    seen: dict[str, None] = {}
    for text in texts:
        if text.isascii():
            continue
        lowered = unicodedata.normalize("NFC", text).lower()
        if not _RESPELLED_LETTER.search(lowered):
            continue
        # Each distinct piece once (a long German thread says "für" a thousand times), then its words.
        for piece in dict.fromkeys(lowered.split()):
            if not piece.isascii() and _RESPELLED_LETTER.search(piece):
                for word in _WORD.findall(piece):
                    seen.update(dict.fromkeys(typed_spellings(word)))
    return SPELLING_SEPARATOR + SPELLING_SEPARATOR.join(seen) + SPELLING_SEPARATOR if seen else ""


def _clean(text: str) -> str:
    return text.translate(_MARKS)


def _joined(messages: Sequence[ThreadMessage]) -> str:
    parts: list[str] = []
    size = 0
    for message in messages:
        text = message.visible_text if message.visible_text is not None else (message.text or "")
        words = text.strip()
        if size + len(words) > MAX_TEXT:
            break
        parts.append(words)
        size += len(words)
    return _clean("\n\n".join(parts))


def document_of(ticket: Ticket, thread: Sequence[ThreadMessage]) -> SearchDocument:
    """What search knows of ``ticket``: its fields and the words of its thread (customers' mail and
    agents' answers in ``messages``, notes for agents in ``notes``; automatic mail left out)."""
    said = [m for m in thread if m.kind not in UNSEARCHED_KINDS and m.direction is not Direction.INTERNAL]
    notes = [m for m in thread if m.direction is Direction.INTERNAL or m.kind is MessageKind.NOTE]
    return SearchDocument(
        ref=ticket.ref,
        subject=_clean(ticket.subject),
        requester=_clean(f"{ticket.requester_name} {ticket.requester_email}"),
        tags=_clean(" ".join((*ticket.tags, ticket.category))),
        messages=_joined(said),
        notes=_joined(notes),
        status=status_partition(ticket),
        queue=ticket.queue,
        assignee=ticket.assignee or UNASSIGNED,
        priority=ticket.priority,
        language=ticket.language,
        requester_email=ticket.requester_email.lower(),
        follow_up="1" if ticket.follow_up else "",
        created_at=to_iso(ticket.created_at),
        updated_at=to_iso(ticket.updated_at),
    )


def snippet_parts(snippet: str) -> list[dict[str, str | bool]]:
    """A highlighted snippet as parts (``{"text", "match"}``), so a page shows the marks as marks and
    never takes the text for markup."""
    parts: list[dict[str, str | bool]] = []
    rest = snippet
    while rest:
        before, start, after = rest.partition(MARK_START)
        if before:
            parts.append({"text": before, "match": False})
        if not start:
            break
        marked, _, rest = after.partition(MARK_END)
        if marked:
            parts.append({"text": marked, "match": True})
    return parts
