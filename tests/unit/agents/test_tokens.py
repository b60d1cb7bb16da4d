"""API tokens and roles: issuing, parsing, hashing, comparing; no AWS."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from postdesk.agents.model import Agent, Role, require_role
from postdesk.agents.tokens import (
    KEY_ID_ALPHABET,
    ApiToken,
    hash_secret,
    issue_token,
    parse_token,
    secret_matches,
)
from postdesk.errors import Forbidden

CREATED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_issued_tokens_have_the_documented_shape_and_are_unique() -> None:
    # When many tokens are issued
    tokens = [issue_token() for _ in range(500)]

    # Then each reads pdk_<10 base32 characters>_<43 url-safe characters>, and none repeats
    for token in tokens:
        marker, key_id, secret = token.text.split("_", 2)
        assert marker == "pdk"
        assert len(key_id) == 10 and set(key_id) <= set(KEY_ID_ALPHABET)
        assert len(secret) == 43 and secret == token.secret
    assert len({token.key_id for token in tokens}) == 500
    assert len({token.secret for token in tokens}) == 500


def test_an_issued_token_parses_back_to_its_parts() -> None:
    token = issue_token()

    assert parse_token(token.text) == token
    assert parse_token(f"  {token.text}\n") == token


def test_a_secret_with_underscores_and_dashes_parses() -> None:
    # Given a token whose secret uses the url-safe characters that also separate the parts
    text = "pdk_ABCDEFGH23_" + "_-" * 21 + "a"

    # Then the key id is the part before the second underscore and the rest is the secret
    assert parse_token(text) == ApiToken(key_id="ABCDEFGH23", secret="_-" * 21 + "a")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "pdk_ABCDEFGH23",
        "pdk_ABCDEFGH23_",
        "xyz_ABCDEFGH23_" + "a" * 43,
        "PDK_ABCDEFGH23_" + "a" * 43,
        "pdk_abcdefgh23_" + "a" * 43,  # the key id is upper-case base32
        "pdk_ABCDEFGH18_" + "a" * 43,  # 1 and 8 are not base32
        "pdk_ABCDEFGH2_" + "a" * 43,
        "pdk_ABCDEFGH23_" + "a" * 42,
        "pdk_ABCDEFGH23_" + "a" * 44,
        "pdk_ABCDEFGH23_" + "a" * 42 + "=",
        "pdk_ABCDEFGH23_" + "a" * 42 + "é",
        "Bearer pdk_ABCDEFGH23_" + "a" * 43,
        "pdk_ABCDEFGH23_" + "a" * 20 + " " + "a" * 22,
    ],
)
def test_anything_but_a_well_formed_token_is_rejected(text: str) -> None:
    assert parse_token(text) is None


def test_the_stored_hash_is_sha256_of_the_secret_and_never_the_secret() -> None:
    token = issue_token()

    stored = hash_secret(token.secret)

    assert stored == hashlib.sha256(token.secret.encode()).hexdigest()
    assert token.secret not in stored


def test_only_the_same_secret_matches_its_hash() -> None:
    token, other = issue_token(), issue_token()
    stored = hash_secret(token.secret)

    assert secret_matches(token.secret, stored)
    assert not secret_matches(other.secret, stored)
    assert not secret_matches(token.secret[:-1] + ("A" if token.secret[-1] != "A" else "B"), stored)
    assert not secret_matches(token.secret, "")


def test_the_repr_of_a_token_leaves_the_secret_out() -> None:
    token = issue_token()

    assert token.key_id in repr(token)
    assert token.secret not in repr(token)


def _agent(role: Role, active: bool = True) -> Agent:
    return Agent(email="sam@example.com", name="Sam", role=role, active=active, created_at=CREATED)


def test_an_admin_may_do_what_an_agent_may_do() -> None:
    require_role(_agent(Role.ADMIN), Role.ADMIN)
    require_role(_agent(Role.ADMIN), Role.AGENT)
    require_role(_agent(Role.AGENT), Role.AGENT)


def test_an_agent_is_not_an_admin() -> None:
    with pytest.raises(Forbidden, match="admin"):
        require_role(_agent(Role.AGENT), Role.ADMIN)


def test_an_inactive_agent_has_no_role() -> None:
    with pytest.raises(Forbidden):
        require_role(_agent(Role.ADMIN, active=False), Role.AGENT)
