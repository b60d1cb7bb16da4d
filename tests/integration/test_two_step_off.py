"""Turning two-step sign-in off (DELETE /me/two-step) asks for proof that the person at the
session is its owner: the current password and the authenticator's code now. Wrong ones are
refused in words, count as failed sign-ins (throttled) and are audited; admins cannot turn it off."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from postdesk.agents.model import Role
from postdesk.auth.throttle import FAILURE_LIMIT
from postdesk_tools.totp import totp_code
from tests.integration.conftest import Desk, body_of
from tests.integration.test_sessions import (
    PASSWORD,
    _audit,
    _enrol_two_step,
    _person,
    _post_session,
    _signed_in,
    _with_session,
)


def _off(client: Client, session_id: str, csrf: str, body: dict[str, str] | None) -> Any:
    return client.http.delete(
        "/me/two-step",
        headers=_with_session(session_id, csrf),
        body=json.dumps(body) if body is not None else None,
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_turning_two_step_off_needs_the_password_and_a_code(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, csrf = _signed_in(client, "sam@example.com")
    secret = _enrol_two_step(client, session_id, csrf)

    bare = _off(client, session_id, csrf, None)
    assert bare.status_code == 400 and "password" in body_of(bare)["message"]
    no_code = _off(client, session_id, csrf, {"password": PASSWORD})
    assert no_code.status_code == 400 and "code" in body_of(no_code)["message"]
    wrong_password = _off(
        client, session_id, csrf, {"password": "Wrong-Password-1", "code": totp_code(secret)}
    )
    # 403, not 401: the session stands (a 401 sends the console back to its sign-in page)
    assert wrong_password.status_code == 403
    assert body_of(wrong_password)["message"] == "The password is not right: two-step sign-in stays on."
    wrong_code = _off(client, session_id, csrf, {"password": PASSWORD, "code": _wrong(totp_code(secret))})
    assert wrong_code.status_code == 403 and "code is not right" in body_of(wrong_code)["message"]
    assert body_of(client.http.get("/me/two-step", headers=_with_session(session_id)))["enabled"] is True
    assert [a for a in _audit(desk) if a == ("sign_in_failed", "sam@example.com")] == [
        ("sign_in_failed", "sam@example.com")
    ] * 2

    done = _off(client, session_id, csrf, {"password": PASSWORD, "code": totp_code(secret)})

    assert done.status_code == 204, done.body
    assert body_of(client.http.get("/me/two-step", headers=_with_session(session_id)))["enabled"] is False
    assert ("two_step_disabled", "sam@example.com") in _audit(desk)
    assert (
        body_of(_post_session(client, {"email": "sam@example.com", "password": PASSWORD}))["signed_in"]
        is True
    )


def test_wrong_proofs_are_throttled_like_sign_in(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, csrf = _signed_in(client, "sam@example.com")
    secret = _enrol_two_step(client, session_id, csrf)
    for _ in range(FAILURE_LIMIT):
        refused = _off(client, session_id, csrf, {"password": "Wrong-Password-1", "code": "123456"})
        assert refused.status_code == 403

    throttled = _off(client, session_id, csrf, {"password": PASSWORD, "code": totp_code(secret)})

    assert throttled.status_code == 429
    assert ("sign_in_throttled", "sam@example.com") in _audit(desk)
    assert body_of(client.http.get("/me/two-step", headers=_with_session(session_id)))["enabled"] is True


def test_a_wrong_first_code_keeps_the_session(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, csrf = _signed_in(client, "sam@example.com")
    started = client.http.post("/me/two-step", headers=_with_session(session_id, csrf), body="{}")
    good = totp_code(body_of(started)["secret"])

    wrong = client.http.put(
        "/me/two-step", headers=_with_session(session_id, csrf), body=json.dumps({"code": _wrong(good)})
    )

    assert wrong.status_code == 403 and "code is not right" in body_of(wrong)["message"]
    assert client.http.get("/me/two-step", headers=_with_session(session_id)).status_code == 200


def test_an_admin_cannot_turn_it_off_even_with_the_password_and_code(desk: Desk, client: Client) -> None:
    _person(desk, "alex@example.com", Role.ADMIN)
    step = body_of(_post_session(client, {"email": "alex@example.com", "password": PASSWORD}))
    done = _post_session(
        client,
        {"email": "alex@example.com", "challenge": step["challenge"], "code": totp_code(step["secret"])},
    )
    session_id, csrf = done.headers["Set-Cookie"].split(";")[0].split("=", 1)[1], body_of(done)["csrf_token"]

    off = _off(client, session_id, csrf, {"password": PASSWORD, "code": totp_code(step["secret"])})

    assert off.status_code == 403 and "cannot be turned off" in body_of(off)["message"]
    assert body_of(client.http.get("/me/two-step", headers=_with_session(session_id)))["enabled"] is True
