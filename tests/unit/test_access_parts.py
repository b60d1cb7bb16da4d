"""The pure parts of accounts and API tokens: temporary passwords meet the pool's policy, a token's
scope allows what it says and nothing more, an audit entry refuses a detail that would hold a
secret, and an audit cursor is refused when it is not the one the desk made for the span."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from postdesk.agents.model import Agent, Role
from postdesk.agents.tokens import TokenAccess, TokenScope, require_scope, role_scope
from postdesk.auth import audit
from postdesk.auth.accounts import TEMPORARY_PASSWORD_LENGTH, temporary_password
from postdesk.errors import BadRequest, Forbidden

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POLICY = (re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"[0-9]"))


def test_temporary_passwords_meet_the_pool_policy_and_differ() -> None:
    drawn = [temporary_password() for _ in range(300)]
    for password in drawn:
        assert len(password) == TEMPORARY_PASSWORD_LENGTH >= 12
        assert all(rule.search(password) for rule in POLICY), password
        # None of the characters people mistake for one another when typing from a mail
        assert not set(password) & set("Il1O0o")
    assert len(set(drawn)) == len(drawn)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


@pytest.mark.parametrize("scope", list(TokenScope))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("method", METHODS)
def test_a_scope_allows_what_it_says(scope: TokenScope, role: Role, method: str) -> None:
    changes = method not in ("GET", "HEAD")
    allowed = not (scope is TokenScope.READ and changes) and not (
        role is Role.ADMIN and scope is not TokenScope.ADMIN
    )
    if allowed:
        require_scope(scope, method, role)
    else:
        with pytest.raises(Forbidden, match="scope"):
            require_scope(scope, method, role)


def test_a_token_acts_as_its_owner_within_its_scope() -> None:
    admin = Agent("alex@example.com", "Alex", Role.ADMIN, True, NOW)
    agent = Agent("sam@example.com", "Sam", Role.AGENT, True, NOW)

    assert TokenAccess(admin, TokenScope.ADMIN, "AAAAAAAAAA").acting_agent.role is Role.ADMIN
    assert TokenAccess(admin, TokenScope.WRITE, "AAAAAAAAAA").acting_agent.role is Role.AGENT
    assert TokenAccess(admin, TokenScope.READ, "AAAAAAAAAA").acting_agent.role is Role.AGENT
    # An admin token whose owner lost the admin role acts as the agent they now are
    assert TokenAccess(agent, TokenScope.ADMIN, "AAAAAAAAAA").acting_agent.role is Role.AGENT
    assert (role_scope(Role.ADMIN), role_scope(Role.AGENT)) == (TokenScope.ADMIN, TokenScope.WRITE)


@pytest.mark.parametrize(
    "key",
    ["password", "temporary_password", "reset_code", "code", "api_token", "secret", "access_key", "OTP"],
)
def test_an_audit_detail_that_would_hold_a_secret_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="never holds a secret"):
        audit._checked_detail({key: "x"})


def test_an_audit_detail_of_names_scopes_and_counts_is_kept_one_line_and_short() -> None:
    kept = audit._checked_detail(
        {"key_id": "ABCDEFGHIJ", "token_name": "CRM", "tokens_revoked": "2", "ua": "a\nb" + "c" * 400}
    )
    assert kept["key_id"] == "ABCDEFGHIJ" and kept["tokens_revoked"] == "2"
    assert "\n" not in kept["ua"] and len(kept["ua"]) == 300


def test_a_cursor_is_followed_only_for_the_span_it_was_made_for() -> None:
    since, until = NOW - timedelta(days=7), NOW
    cursor = audit._encode_cursor(
        (NOW - timedelta(days=2)).date(), "2026-12-04T10:00:00.000Z#ab12cd34", since, until
    )

    assert audit._decode_cursor(cursor, since, until) == (
        (NOW - timedelta(days=2)).date(),
        "2026-12-04T10:00:00.000Z#ab12cd34",
    )
    for span in ((since - timedelta(days=1), until), (since, until + timedelta(seconds=1))):
        with pytest.raises(BadRequest, match="not valid for this span"):
            audit._decode_cursor(cursor, *span)
    for forged in ("", "not base64!", "e30", cursor[:-4]):
        with pytest.raises(BadRequest, match="not valid"):
            audit._decode_cursor(forged, since, until)
