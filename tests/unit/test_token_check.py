"""Cognito's tokens as the API checks them (auth/token_check.py): the pool's signature, issuer,
client, expiry and use, each refused on its own; the keys read once and again for an unknown key id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from postdesk.auth.token_check import (
    LEEWAY_SECONDS,
    REFETCH_SECONDS,
    PoolKeys,
    TokenCheck,
    TokenRejected,
    fetch_keys_over_https,
)
from postdesk.errors import Unavailable

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool"
CLIENT = "console-client"
NOW = 1_800_000_000.0
POOL_KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})


def _jwks(*keys: RSAKey) -> dict[str, Any]:
    return dict(KeySet(list(keys)).as_dict(private=False))


class CountingFetcher:
    def __init__(self, *documents: Mapping[str, Any]) -> None:
        self.documents = list(documents)
        self.urls: list[str] = []

    def __call__(self, url: str) -> Mapping[str, Any]:
        self.urls.append(url)
        return self.documents[min(len(self.urls), len(self.documents)) - 1]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _token(key: RSAKey = POOL_KEY, **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "0f6c-sub",
        "client_id": CLIENT,
        "token_use": "access",
        "iat": int(NOW) - 60,
        "exp": int(NOW) + 3600,
        "username": "0f6c-sub",
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": str(key.kid)}, claims, key)


def _check(fetcher: CountingFetcher | None = None, clock: Clock | None = None) -> TokenCheck:
    clock = clock or Clock()
    keys = PoolKeys(f"{ISSUER}/.well-known/jwks.json", fetcher or CountingFetcher(_jwks(POOL_KEY)), clock)
    return TokenCheck(ISSUER, CLIENT, keys, clock)


def test_a_pool_access_token_passes_and_says_whose_it_is() -> None:
    verified = _check().access_token(_token())

    assert verified.subject == "0f6c-sub"
    assert verified.token_use == "access"
    assert int(verified.expires_at.timestamp()) == int(NOW) + 3600


def test_an_id_token_passes_as_an_id_token_with_the_client_as_audience() -> None:
    token = _token(token_use="id", client_id=None, aud=CLIENT, email="sam@example.com")

    assert _check().id_token(token).email == "sam@example.com"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_token(OTHER_KEY), id="signed by another key with the pool's key id"),
        pytest.param(_token(exp=int(NOW) - LEEWAY_SECONDS - 1), id="expired"),
        pytest.param(
            _token(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other"), id="wrong issuer"
        ),
        pytest.param(_token(client_id="another-client"), id="another client"),
        pytest.param(_token(token_use="id", client_id=None, aud=CLIENT), id="id token"),
        pytest.param(_token(exp=None), id="no expiry"),
        pytest.param(_token(client_id=None), id="no client"),
        pytest.param("not.a.token", id="malformed"),
        pytest.param("", id="empty"),
    ],
)
def test_a_token_that_is_not_the_pools_valid_access_token_is_refused(token: str) -> None:
    with pytest.raises(TokenRejected, match="sign in again"):
        _check().access_token(token)


def test_an_access_token_is_not_taken_for_an_id_token() -> None:
    with pytest.raises(TokenRejected):
        _check().id_token(_token())


def test_a_token_signed_with_hmac_or_unsigned_is_refused() -> None:
    claims = {"iss": ISSUER, "sub": "x", "client_id": CLIENT, "token_use": "access", "exp": int(NOW) + 60}
    hmac_signed = jwt.encode({"alg": "HS256", "kid": "pool-key"}, claims, OctKey.import_key("k" * 32))
    header, payload, _ = _token().split(".")
    unsigned = f"{header.replace(header, 'eyJhbGciOiJub25lIn0')}.{payload}."

    for token in (hmac_signed, unsigned):
        with pytest.raises(TokenRejected):
            _check().access_token(token)


def test_expiry_allows_the_small_leeway_only() -> None:
    token = _token(exp=int(NOW) - LEEWAY_SECONDS + 5)
    clock = Clock()

    assert _check(clock=clock).access_token(token).subject == "0f6c-sub"
    clock.now += 10
    with pytest.raises(TokenRejected):
        _check(clock=clock).access_token(token)


def test_the_keys_are_read_once_and_again_for_an_unknown_key_id_at_most_once_a_minute() -> None:
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rotated"})
    fetcher = CountingFetcher(_jwks(POOL_KEY), _jwks(POOL_KEY, rotated))
    clock = Clock()
    check = _check(fetcher, clock)

    check.access_token(_token())
    check.access_token(_token())
    assert len(fetcher.urls) == 1

    # A token of a key the cache lacks reads the keys again (the pool rotated them)
    clock.now += REFETCH_SECONDS
    assert check.access_token(_token(rotated)).subject == "0f6c-sub"
    assert len(fetcher.urls) == 2

    # A forged key id does not make every request read the keys again
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
    for _ in range(3):
        with pytest.raises(TokenRejected):
            check.access_token(_token(stranger))
    assert len(fetcher.urls) == 2


def test_keys_that_are_no_jwks_are_a_deployment_problem_in_words() -> None:
    check = _check(CountingFetcher({"keys": [{"kty": "nonsense"}]}))

    with pytest.raises(Unavailable, match="not a JWKS"):
        check.access_token(_token())


def test_keys_that_cannot_be_read_again_leave_the_keys_held_in_use() -> None:
    class FailingAfterFirst(CountingFetcher):
        def __call__(self, url: str) -> Mapping[str, Any]:
            if self.urls:
                self.urls.append(url)
                raise Unavailable("down")
            return super().__call__(url)

    fetcher = FailingAfterFirst(_jwks(POOL_KEY))
    clock = Clock()
    check = _check(fetcher, clock)
    check.access_token(_token())
    clock.now += REFETCH_SECONDS
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})

    with pytest.raises(TokenRejected):
        check.access_token(_token(stranger))
    assert check.access_token(_token()).subject == "0f6c-sub"
    assert len(fetcher.urls) == 2


def test_keys_never_read_are_a_503_in_words() -> None:
    class Down(CountingFetcher):
        def __call__(self, url: str) -> Mapping[str, Any]:
            raise Unavailable("the user pool's keys could not be read; try again in a moment")

    with pytest.raises(Unavailable, match="keys could not be read"):
        _check(Down()).access_token(_token())


@pytest.mark.parametrize(
    "url", ["http://cognito-idp.example.com/pool/.well-known/jwks.json", "file:///etc/passwd"]
)
def test_keys_are_read_over_https_or_from_this_machine_only(url: str) -> None:
    with pytest.raises(Unavailable, match="HTTPS only"):
        fetch_keys_over_https(url)
