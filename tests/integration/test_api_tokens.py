"""API tokens v2 through the API, on moto: named, scoped (read, write, admin), expiring, listed and
revoked; tokens made before tokens had names keep working; and the access audit's page for admins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore, TokenItem
from postdesk.agents.tokens import TokenScope, hash_secret, issue_token
from postdesk.auth.audit import AccessAction, AccessAudit, Caller
from postdesk.clock import to_iso
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_openapi import _check

TOKEN_SHAPE = r"^pdk_[A-Z2-7]{10}_[A-Za-z0-9_-]{43}$"


@pytest.fixture
def now() -> list[datetime]:
    """The API's clock, moved by the tests (reset by the desk fixture)."""
    moment = [datetime.now(UTC).replace(microsecond=0)]
    runtime.use_clock(lambda: moment[0])
    return moment


def _create(client: Client, token: str, **document: Any) -> Any:
    return client.http.post("/tokens", headers=auth(token), body=json.dumps(document))


def test_a_read_token_looks_but_does_not_change_and_a_write_token_stays_out_of_admin_routes(
    desk: Desk, client: Client, token: str, admin_token: str, now: list[datetime]
) -> None:
    read = body_of(_create(client, token, name="Dashboard", scope="read"))["token"]
    write = body_of(_create(client, token, name="CRM sync", scope="write"))["token"]
    admins_write = body_of(_create(client, admin_token, name="Reports", scope="write"))["token"]

    # read: GET only
    assert client.http.get("/tickets", headers=auth(read)).status_code == 200
    refused = client.http.put("/me/away", headers=auth(read), body='{"away": true}')
    assert refused.status_code == 403
    assert "read scope" in body_of(refused)["message"]
    assert client.http.put("/me/away", headers=auth(write), body='{"away": true}').status_code == 200
    # write: never an admin route, even when its owner is an admin
    audit_refused = client.http.get("/audit", headers=auth(admins_write))
    assert audit_refused.status_code == 403 and "admin scope" in body_of(audit_refused)["message"]
    assert client.http.get("/audit", headers=auth(admin_token)).status_code == 200
    # and an admin's write token acts as an agent: it sees only its own tokens, makes no admin token
    listed = body_of(client.http.get("/tokens", headers=auth(admins_write)))["tokens"]
    assert {entry["agent"] for entry in listed} == {"alex@example.com"}
    assert _create(client, admins_write, name="More", scope="admin").status_code == 403


def test_the_admin_scope_needs_an_admin_owner_and_an_admin_asking(
    client: Client, token: str, admin_token: str, now: list[datetime]
) -> None:
    for_agent = _create(client, admin_token, name="Bot", scope="admin", agent="sam@example.com")
    assert (
        for_agent.status_code == 400 and "admin scope needs an admin owner" in body_of(for_agent)["message"]
    )
    by_agent = _create(client, token, name="Bot", scope="admin")
    assert by_agent.status_code == 403
    for_another = _create(client, token, name="Bot", scope="read", agent="alex@example.com")
    assert for_another.status_code == 403 and "for yourself only" in body_of(for_another)["message"]
    made = _create(client, admin_token, name="Bot", scope="write", agent="sam@example.com")
    assert made.status_code == 201 and body_of(made)["agent"] == "sam@example.com"
    assert (
        _create(client, admin_token, name="Bot", scope="read", agent="nobody@example.com").status_code == 404
    )
    for document in (
        {"name": "", "scope": "read"},
        {"name": "Bot", "scope": "owner"},
        {"name": "Bot", "scope": "read", "expires_days": 366},
        {"name": "Bot", "scope": "read", "expires_days": 0},
        {"name": "Bot", "scope": "read", "expires_days": True},
        {"name": "Line\nbreak", "scope": "read"},
        {"scope": "read"},
    ):
        assert _create(client, admin_token, **document).status_code == 400, document


def test_a_token_is_shown_once_expires_in_words_and_stops_when_revoked(
    desk: Desk, client: Client, token: str, admin_token: str, now: list[datetime]
) -> None:
    answer = _create(client, token, name="CRM sync", scope="write", expires_days=1)

    made = _check(answer, "/tokens", "post")
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    assert made["expires_at"] == to_iso(now[0] + timedelta(days=1))
    assert (made["name"], made["scope"], made["created_by"], made["expired"]) == (
        "CRM sync",
        "write",
        "sam@example.com",
        False,
    )
    listed = _check(client.http.get("/tokens", headers=auth(token)), "/tokens", "get")["tokens"]
    assert made["token"] not in json.dumps(listed)
    assert {entry["key_id"] for entry in listed} >= {made["key_id"]}

    # A day later it has expired, and says so
    now[0] += timedelta(days=1)
    expired = client.http.get("/me", headers=auth(made["token"]))
    assert expired.status_code == 401
    assert body_of(expired)["message"].startswith(f"this API token expired on {now[0]:%Y-%m-%d %H:%M} UTC")
    (shown,) = [
        t
        for t in body_of(client.http.get("/tokens", headers=auth(token)))["tokens"]
        if t["key_id"] == made["key_id"]
    ]
    assert shown["expired"] is True

    # Another's token is none of an agent's business; an admin revokes any
    other = body_of(_create(client, admin_token, name="Ops", scope="read"))
    assert client.http.delete(f"/tokens/{other['key_id']}", headers=auth(token)).status_code == 404
    assert client.http.delete(f"/tokens/{other['key_id']}", headers=auth(admin_token)).status_code == 204
    assert client.http.get("/me", headers=auth(other["token"])).status_code == 401
    assert client.http.delete(f"/tokens/{other['key_id']}", headers=auth(admin_token)).status_code == 404
    assert client.http.delete("/tokens/not-a-key", headers=auth(admin_token)).status_code == 404

    audit = AccessAudit(desk.settings.sign_in.access_audit_table, desk.settings.region)
    span = (now[0] - timedelta(days=3), now[0])
    created = audit.entries(*span, action=AccessAction.TOKEN_CREATED).entries
    revoked = audit.entries(*span, action=AccessAction.TOKEN_REVOKED).entries
    assert [entry.subject for entry in revoked] == [other["key_id"]]
    assert revoked[0].detail == {"agent": "alex@example.com", "name": "Ops", "scope": "read"}
    assert {entry.subject for entry in created} == {made["key_id"], other["key_id"]}
    for entry in (*created, *revoked):
        assert made["token"] not in json.dumps(entry.as_json()) and other["token"] not in json.dumps(
            entry.as_json()
        )


def test_last_use_is_written_at_most_hourly(
    desk: Desk, client: Client, token: str, now: list[datetime]
) -> None:
    made = body_of(_create(client, token, name="Poller", scope="read"))
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region)
    assert agents.token(made["key_id"]).last_used_at is None

    first_use = now[0]
    client.http.get("/me", headers=auth(made["token"]))
    now[0] += timedelta(minutes=59)
    client.http.get("/me", headers=auth(made["token"]))
    assert agents.token(made["key_id"]).last_used_at == first_use
    now[0] += timedelta(minutes=2)
    client.http.get("/me", headers=auth(made["token"]))
    assert agents.token(made["key_id"]).last_used_at == now[0]


def test_a_token_of_the_version_before_names_keeps_working_as_its_owners_role(
    desk: Desk, client: Client, now: list[datetime]
) -> None:
    # Given an admin and the token item an older version wrote (no name, scope, expiry or maker)
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region)
    agents.add("old@example.com", "Old Admin", Role.ADMIN, now[0])
    legacy = issue_token()
    TokenItem(
        pk=f"TOKEN#{legacy.key_id}",
        email="old@example.com",
        secret_hash=hash_secret(legacy.secret),
        created_at=to_iso(now[0] - timedelta(days=800)),
    ).save()

    # Then it still reaches admin routes, years on, and is listed as "initial" with the admin scope
    now[0] += timedelta(days=400)
    assert client.http.get("/audit", headers=auth(legacy.text)).status_code == 200
    (listed,) = [t for t in agents.tokens("old@example.com") if t.key_id == legacy.key_id]
    assert (listed.name, listed.scope, listed.expires_at) == ("initial", TokenScope.ADMIN, None)
    # and the token `add` makes for the tests and integrations has the role's scope
    (initial,) = [t for t in agents.tokens("old@example.com") if t.key_id != legacy.key_id]
    assert (initial.name, initial.scope) == ("initial", TokenScope.ADMIN)


def test_the_audit_page_filters_and_pages_newest_first(
    desk: Desk, client: Client, token: str, admin_token: str, now: list[datetime]
) -> None:
    audit = AccessAudit(desk.settings.sign_in.access_audit_table, desk.settings.region)
    start = now[0] - timedelta(days=2)
    for minutes in range(5):
        audit.record(
            AccessAction.SIGN_IN,
            "kim@example.com",
            start + timedelta(minutes=minutes),
            caller=Caller(source_ip="203.0.113.9"),
        )
    audit.record(
        AccessAction.SIGN_IN_FAILED,
        "lee@example.com",
        start + timedelta(days=1),
        caller=Caller(user_agent="curl/8"),
    )

    def page(query: str) -> Any:
        return _check(client.http.get(f"/audit?{query}", headers=auth(admin_token)), "/audit", "get")

    everything = page("")
    assert [entry["action"] for entry in everything["entries"]] == ["sign_in_failed"] + ["sign_in"] * 5
    assert everything["entries"][0]["user_agent"] == "curl/8"
    first = page("action=sign_in&limit=2")
    assert [entry["at"] for entry in first["entries"]] == [
        to_iso(start + timedelta(minutes=4)),
        to_iso(start + timedelta(minutes=3)),
    ]
    assert first["entries"][0]["source_ip"] == "203.0.113.9"
    rest = page(f"action=sign_in&limit=2&from={first['from']}&to={first['to']}&cursor={first['next_cursor']}")
    assert [entry["at"] for entry in rest["entries"]] == [
        to_iso(start + timedelta(minutes=2)),
        to_iso(start + timedelta(minutes=1)),
    ]
    assert [entry["actor"] for entry in page("actor=lee@example.com")["entries"]] == ["lee@example.com"]
    day = (start + timedelta(days=1)).date().isoformat()
    assert [entry["action"] for entry in page(f"from={day}&to={day}")["entries"]] == ["sign_in_failed"]

    for query, words in (
        ("action=nothing", "action must be one of"),
        ("from=yesterday", "from must be a date"),
        ("from=2025-01-01&to=2026-12-01", "at most 400 days"),
        ("cursor=abc", "cursor is not valid"),
        ("limit=0", "limit must be"),
    ):
        refused = client.http.get(f"/audit?{query}", headers=auth(admin_token))
        assert refused.status_code == 400 and words in body_of(refused)["message"], query
    assert client.http.get("/audit", headers=auth(token)).status_code == 403
