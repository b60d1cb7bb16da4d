"""Time-based one-time passwords (RFC 6238 over HMAC-SHA1, RFC 4226's truncation), as an authenticator
app computes them from the base32 secret Cognito's AssociateSoftwareToken hands out. The tests and the
local stack's tools sign in with them; moto's check of a code (postdesk_tools/moto_fit.py) uses the
same arithmetic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from datetime import datetime

DIGITS = 6
PERIOD_SECONDS = 30


class InvalidSecret(ValueError):
    """The secret is not base32 text."""


def secret_bytes(secret_base32: str) -> bytes:
    """The key a base32 secret stands for. Spaces, lower case and missing padding are accepted, as
    authenticator apps accept them."""
    text = "".join(secret_base32.split()).upper()
    text += "=" * (-len(text) % 8)
    try:
        key = base64.b32decode(text, casefold=False)
    except ValueError as error:
        raise InvalidSecret(f"the secret is not base32 text: {error}") from error
    if not key:
        raise InvalidSecret("the secret is empty")
    return key


def time_step(at: datetime | float | None = None, period: int = PERIOD_SECONDS) -> int:
    """The number of whole periods since the Unix epoch at ``at`` (a timezone-aware datetime or Unix
    seconds; now when None)."""
    if at is None:
        seconds = time.time()
    elif isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("the time needs a timezone (a naive datetime is ambiguous)")
        seconds = at.timestamp()
    else:
        seconds = float(at)
    return int(seconds // period)


def code_for_step(key: bytes, step: int, digits: int = DIGITS) -> str:
    """RFC 4226's HOTP value of ``key`` for the counter ``step``, zero-padded to ``digits``."""
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp_code(
    secret_base32: str,
    at: datetime | float | None = None,
    digits: int = DIGITS,
    period: int = PERIOD_SECONDS,
) -> str:
    """The code an authenticator app shows for ``secret_base32`` at ``at`` (now when None)."""
    return code_for_step(secret_bytes(secret_base32), time_step(at, period), digits)


def code_matches(
    secret_base32: str,
    code: str,
    at: datetime | float | None = None,
    *,
    steps_either_side: int = 1,
    digits: int = DIGITS,
    period: int = PERIOD_SECONDS,
) -> bool:
    """Whether ``code`` is the secret's code at ``at`` or within ``steps_either_side`` periods of it
    (clocks of phones drift, and a code typed in its last seconds arrives in the next period)."""
    candidate = code.strip()
    if len(candidate) != digits or not candidate.isdigit():
        return False
    key = secret_bytes(secret_base32)
    step = time_step(at, period)
    found = False
    for offset in range(-steps_either_side, steps_either_side + 1):
        # Every candidate is compared, in constant time, so the answer's timing says nothing.
        found |= hmac.compare_digest(code_for_step(key, step + offset, digits), candidate)
    return found
