"""Cognito's tokens checked in the API itself, on AWS and on the local stack alike: the RS256
signature against the user pool's public keys (its JWKS), the issuer, the app client, the expiry
and the token's use. API Gateway's Cognito authorizer could check the signature on AWS, but not on
the local stack, and not the session cookie the console holds: one check here runs the same
everywhere (docs/sign-in.md).

The keys are read once per container and read again, at most once a minute, when a token names a
key id they do not hold (Cognito rotating its keys). Expiry is judged by the wall clock, Cognito's,
not by the desk's clock, which the local stack and the tests move."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import ClaimsOption

from postdesk.errors import Unauthenticated, Unavailable
from postdesk.observability import logger

# The pool's JWKS document, read from its URL.
KeysFetcher = Callable[[str], Mapping[str, Any]]

# Cognito's and the desk's clocks may differ by a little.
LEEWAY_SECONDS = 30
# A token naming an unknown key id reads the keys again, but not more often than this.
REFETCH_SECONDS = 60
_FETCH_TIMEOUT_SECONDS = 5
# The same answer whatever was wrong: a caller learns nothing from it.
_REJECTED = "the sign-in is not valid (expired, signed out or not this desk's): sign in again"


class TokenRejected(Unauthenticated):
    """A Cognito token that is not the pool's, not this client's, expired, or of the wrong use."""


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a checked token says: whose it is (``sub``; an id token also names the email), its use
    and when it expires."""

    subject: str
    token_use: str
    expires_at: datetime
    claims: Mapping[str, Any]

    @property
    def email(self) -> str:
        return str(self.claims.get("email", ""))


def fetch_keys_over_https(url: str) -> Mapping[str, Any]:
    """The JWKS at ``url``: HTTPS, or plain HTTP to this machine (the local stack's moto server)."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not local:
        raise Unavailable("the user pool's keys are read over HTTPS only; check POSTDESK_JWKS_URL")
    try:
        with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT_SECONDS) as answer:  # noqa: S310 - scheme checked above
            document = json.loads(answer.read())
    except (OSError, ValueError) as error:
        raise Unavailable("the user pool's keys could not be read; try again in a moment") from error
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise Unavailable("the user pool's keys could not be read: the answer holds no keys")
    return document


_fetchers: list[KeysFetcher] = [fetch_keys_over_https]


def use_keys_fetcher(fetcher: KeysFetcher | None) -> None:
    """Read the pool's keys with ``fetcher`` (None: over HTTPS). Tests on an in-process moto, which
    serves no URL, hand it moto's public keys. Takes effect for keys made after it."""
    _fetchers[0] = fetcher or fetch_keys_over_https


class PoolKeys:
    """The user pool's public keys, read on first use and kept for the container's life."""

    def __init__(
        self, url: str, fetch: KeysFetcher | None = None, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._url = url
        self._fetch = fetch or _fetchers[0]
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._fetched_at = 0.0

    def for_kid(self, kid: str) -> KeySet:
        """The key set, read again (at most once a minute) when it does not hold ``kid``."""
        with self._lock:
            stale = self._keys is None or (
                kid not in self._kids and self._wall_clock() - self._fetched_at >= REFETCH_SECONDS
            )
            if stale:
                try:
                    self._load()
                except Unavailable:
                    if self._keys is None:
                        raise
                    # The keys held still check every token they signed; an unknown kid fails below.
                    self._fetched_at = self._wall_clock()
                    logger.warning("the user pool's keys could not be read again; the keys held are used")
            assert self._keys is not None
            return self._keys

    def _load(self) -> None:
        document = self._fetch(self._url)
        try:
            keys = KeySet.import_key_set(dict(document))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise Unavailable("the user pool's keys could not be read: they are not a JWKS") from error
        self._keys = keys
        self._kids = frozenset(str(key.kid) for key in keys.keys if key.kid)
        self._fetched_at = self._wall_clock()


class TokenCheck:
    """Checks the tokens of one user pool and app client."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        keys: PoolKeys,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._keys = keys
        self._wall_clock = wall_clock

    def now(self) -> datetime:
        """The wall clock's time, which expiry is judged by."""
        return datetime.fromtimestamp(self._wall_clock(), UTC)

    def access_token(self, token: str) -> VerifiedToken:
        """A Cognito access token of this pool and client, unexpired; TokenRejected otherwise."""
        return self._check(token, "access", "client_id")

    def id_token(self, token: str) -> VerifiedToken:
        """A Cognito id token of this pool and client (``aud``), unexpired; TokenRejected otherwise."""
        return self._check(token, "id", "aud")

    def _check(self, token: str, use: str, client_claim: str) -> VerifiedToken:
        if not token or not self._client_id:
            raise TokenRejected(_REJECTED)
        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeEncodeError):
            raise TokenRejected(_REJECTED) from None
        if header.get("alg") != "RS256":
            raise TokenRejected(_REJECTED)
        keys = self._keys.for_kid(str(header.get("kid", "")))
        try:
            decoded = jwt.decode(token, keys, algorithms=["RS256"])
            expected: dict[str, ClaimsOption] = {
                "iss": {"essential": True, "value": self._issuer},
                "exp": {"essential": True},
                "sub": {"essential": True},
                "token_use": {"essential": True, "value": use},
                client_claim: {"essential": True, "value": self._client_id},
            }
            registry = jwt.JWTClaimsRegistry(
                now=lambda: int(self._wall_clock()), leeway=LEEWAY_SECONDS, **expected
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError, TypeError):
            raise TokenRejected(_REJECTED) from None
        claims = decoded.claims
        return VerifiedToken(
            subject=str(claims["sub"]),
            token_use=use,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            claims=claims,
        )
