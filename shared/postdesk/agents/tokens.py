"""API tokens of agents: ``pdk_<key id>_<secret>``. The key id names the stored token item, the
secret proves possession; the desk keeps only a hash of the secret and never logs either part.

An agent may hold many tokens, one per integration: each has a name, a scope (read, write or admin:
:func:`require_scope`) and an expiry; the store (agents/store.py) keeps them."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from postdesk.agents.model import Agent, Role
from postdesk.clock import to_iso
from postdesk.errors import NotAllowed, SignInRefused

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


# -- named, scoped, expiring tokens ---------------------------------------------------------------

# How long a token lives when its maker says nothing, and the longest it may.
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365
TOKEN_NAME_LIMIT = 100
# What a read token may send: the methods that change nothing.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The name listed for a token made before tokens had names (and for the one `AgentStore.add` makes).
INITIAL_TOKEN_NAME = "initial"  # noqa: S105 - a label, not a secret


class ExpiredToken(SignInRefused):
    """The API token was right, and has expired: the words say when (401)."""


class TokenScope(StrEnum):
    """What a token may do. The values are stored: rename none.

    - read: look only (GET and HEAD);
    - write: everything its owner may do as an agent;
    - admin: also the admin routes (only an admin may own one)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


def role_scope(role: Role) -> TokenScope:
    """The widest scope an owner of ``role`` may hold, and the scope of the tokens made before
    tokens had scopes (they did all their owner could)."""
    return TokenScope.ADMIN if role is Role.ADMIN else TokenScope.WRITE


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as it is listed: never its secret, which exists only in the answer that made it."""

    key_id: str
    email: str
    name: str
    scope: TokenScope
    created_at: datetime
    created_by: str
    # None: it never expires (the tokens made before tokens expired, and those `AgentStore.add` makes
    # without ``token_days``: the tests' and the local stack's admin token).
    expires_at: datetime | None
    last_used_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def as_json(self, now: datetime) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "agent": self.email,
            "name": self.name,
            "scope": self.scope.value,
            "created_at": to_iso(self.created_at),
            "created_by": self.created_by,
            "expires_at": to_iso(self.expires_at) if self.expires_at else None,
            "last_used_at": to_iso(self.last_used_at) if self.last_used_at else None,
            "expired": self.expired(now),
        }


@dataclass(frozen=True, slots=True)
class TokenAccess:
    """Who a request's token speaks for and how far: the token acts as its owner (role, queues),
    within its scope."""

    agent: Agent
    scope: TokenScope
    key_id: str

    @property
    def acting_agent(self) -> Agent:
        """The owner as the routes should see them: an admin's token without the admin scope acts
        with the agent role, so a route that widens what it shows for admins shows it no wider."""
        if self.agent.role is Role.ADMIN and self.scope is not TokenScope.ADMIN:
            return replace(self.agent, role=Role.AGENT)
        return self.agent


def require_scope(scope: TokenScope, method: str, role: Role) -> None:
    """Return if a token of ``scope`` may send ``method`` to a route that needs ``role``; raise
    NotAllowed (403), in words, otherwise."""
    if scope is TokenScope.READ and method.upper() not in READ_METHODS:
        raise NotAllowed(
            f"this API token has the read scope: it may only look (GET), not {method.upper()}; "
            "use a token with the write scope"
        )
    if role is Role.ADMIN and scope is not TokenScope.ADMIN:
        raise NotAllowed(
            f"this API token has the {scope.value} scope: admin routes need a token with the admin scope"
        )
