"""Floods: one sender writing the same thing again and again, faster than a person would (an
auto-responder that sets no header and writes a fresh mail each time, a script gone wrong, a person
pressing send again). The repeats join the first ticket instead of making one each, and are never
acknowledged: the first one was.

"The same thing" is the mail's subject and text with what changes from one automatic mail to the
next taken out: numbers and tokens holding digits (dates, counters, ids), case, punctuation and
spacing. The fingerprint is a hash of what is left; the ticket keeps its first mail's."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

# How long after a ticket last changed (its first mail, the last repeat) a repeat of its first mail
# from the same sender joins it: a flood that goes on for days stays on one ticket.
FLOOD_WINDOW = timedelta(hours=1)
# How much of the text is compared: an automatic mail says what it is at the start.
_COMPARED_CHARS = 4000
_DIGIT = re.compile(r"\d")
_NOT_WORDS = re.compile(r"[\W_]+")


def text_fingerprint(subject: str, text: str) -> str:
    """What a mail says, reduced as the module docstring tells, hashed (24 hex characters); empty for
    a mail that says nothing once reduced (nothing to compare)."""
    reduced = " ".join(
        word
        for part in (subject[:_COMPARED_CHARS], text[:_COMPARED_CHARS])
        for token in part.casefold().split()
        if not _DIGIT.search(token)
        for word in _NOT_WORDS.sub(" ", token).split()
    )
    if not reduced:
        return ""
    return hashlib.sha256(reduced.encode("utf-8")).hexdigest()[:24]


class EarlierTicket(Protocol):
    @property
    def ref(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def is_open(self) -> bool: ...


def repeat_of(fingerprint: str, received_at: datetime, earlier: Iterable[EarlierTicket]) -> str | None:
    """The open ticket of the same sender whose first mail this one repeats, changed within
    FLOOD_WINDOW (the oldest, when there are several), or None."""
    if not fingerprint:
        return None
    matching = [
        ticket
        for ticket in earlier
        if ticket.fingerprint == fingerprint
        and ticket.is_open
        and ticket.created_at <= received_at
        and received_at - ticket.updated_at <= FLOOD_WINDOW
    ]
    return min(matching, key=lambda ticket: ticket.created_at).ref if matching else None
