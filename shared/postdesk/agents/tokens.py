"""API tokens of agents: ``pdk_<key id>_<secret>``. The key id names the stored token item, the
secret proves possession; the desk keeps only a hash of the secret and never logs either part."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

# Every token starts with this marker, so secret scanners and people can recognise one.
MARKER = "pdk"
# RFC 4648 base32: upper-case letters and 2-7, no character that needs escaping anywhere.
KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
KEY_ID_LENGTH = 10
SECRET_BYTES = 32
# token_urlsafe(32) gives unpadded base64url: 43 characters for 32 bytes.
SECRET_LENGTH = 43
_TOKEN_PATTERN = re.compile(
    rf"{MARKER}_([{KEY_ID_ALPHABET}]{{{KEY_ID_LENGTH}}})_([A-Za-z0-9_-]{{{SECRET_LENGTH}}})"
)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token split into its parts; ``repr`` leaves the secret out so it cannot reach a log."""

    key_id: str
    secret: str = field(repr=False)

    @property
    def text(self) -> str:
        """The token as the agent sends it."""
        return f"{MARKER}_{self.key_id}_{self.secret}"


def issue_token() -> ApiToken:
    """A fresh token: a 50-bit key id and a 256-bit secret, both from the OS generator."""
    key_id = "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))
    return ApiToken(key_id=key_id, secret=secrets.token_urlsafe(SECRET_BYTES))


def parse_token(text: str) -> ApiToken | None:
    """The parts of a well-formed token (surrounding spaces ignored), or None for anything else."""
    match = _TOKEN_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    return ApiToken(key_id=match.group(1), secret=match.group(2))


def hash_secret(secret: str) -> str:
    """The stored form of a secret: hex SHA-256.

    A slow, salted password hash exists to make guessing low-entropy human passwords expensive.
    These secrets are 256 random bits, so there is nothing to guess: inverting or brute-forcing
    SHA-256 over that space is out of reach at any speed, every secret is unique (no salt needed),
    and a fast hash keeps each API request cheap."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Whether ``secret`` hashes to ``stored_hash``, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
