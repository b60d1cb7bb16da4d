"""Short HMAC signatures for things we hand out (Reply-To plus-addresses, and later survey links)."""

from __future__ import annotations

import base64
import hashlib
import hmac

# 10 base32 characters carry 50 bits: enough that guessing a valid address is hopeless,
# short enough to keep a plus-address readable.
SIGNATURE_LENGTH = 10


def sign(key: bytes, purpose: str, *parts: str, length: int = SIGNATURE_LENGTH) -> str:
    """A lower-case base32 HMAC-SHA256 of ``parts`` for ``purpose`` (which keeps signatures of
    different kinds from being swapped for each other)."""
    message = "\x1f".join((purpose, *parts)).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:length].lower()


def verify(key: bytes, signature: str, purpose: str, *parts: str, length: int = SIGNATURE_LENGTH) -> bool:
    """Constant-time check of a signature made by :func:`sign` with the same ``length``."""
    expected = sign(key, purpose, *parts, length=length).encode("ascii")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged token may hold anything.
    return hmac.compare_digest(expected, signature.lower().encode("utf-8", "replace"))
