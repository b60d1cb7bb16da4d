"""Ticket references: random, short, unambiguous when read aloud or typed, and never sequential."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# No 0/O and no 1/I: a customer reading a reference over the phone cannot confuse them.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_LENGTH = 8
_REF_PATTERN = re.compile(rf"^[{ALPHABET}]{{4}}-?[{ALPHABET}]{{4}}$")
SUBJECT_TOKEN = re.compile(rf"\[#([{ALPHABET}]{{4}}-[{ALPHABET}]{{4}})\]", re.IGNORECASE)


def new_ref() -> str:
    """A fresh reference such as ``K7Q2-M9XD`` (40 random bits from the OS generator)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(REF_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


def delivery_ref(key: bytes, ses_id: str, candidate: int = 0) -> str:
    """The reference of the ticket an SES delivery makes: 40 bits of an HMAC of its SES id (and the
    candidate's number, for the rare reference another ticket holds). Every attempt at the same
    delivery derives the same, so attempts that race make one ticket; without the key nobody can
    foretell it."""
    digest = hmac.new(key, f"ticket-ref:{ses_id}:{candidate}".encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")
    chars = "".join(ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"{chars[:4]}-{chars[4:]}"


def normalize_ref(candidate: str) -> str | None:
    """The canonical ``XXXX-XXXX`` form of a reference typed in any case, or None if it is not one."""
    upper = candidate.strip().upper()
    if not _REF_PATTERN.match(upper):
        return None
    compact = upper.replace("-", "")
    return f"{compact[:4]}-{compact[4:]}"


def refs_in_subject(subject: str) -> list[str]:
    """Every ``[#XXXX-XXXX]`` token in a subject, canonical, in order of appearance."""
    found = [normalize_ref(match) for match in SUBJECT_TOKEN.findall(subject)]
    return [ref for ref in found if ref]


# "Re:", "AW:", "Fwd:"... and the ticket tokens our replies put in: what a subject carries from its
# thread rather than from its matter.
_THREAD_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|fw|fwd|wg|tr|rv|enc)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def subject_of_matter(subject: str) -> str:
    """``subject`` without reply and forward prefixes and ticket tokens: "Re: [#K7Q2-M9XD] Wrong
    size" is "Wrong size" (the subject of a ticket split off another)."""
    previous = None
    text = subject
    while text != previous:
        previous = text
        text = SUBJECT_TOKEN.sub("", _THREAD_PREFIX.sub("", text)).strip()
    return " ".join(text.split())
