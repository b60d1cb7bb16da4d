"""People's sign-in and sessions through the HTTP API (functions/app.py) on moto's Cognito: the
cookie and its attributes, the steps (new password, TOTP code, an admin's TOTP enrolment), wrong
passwords and codes in words, throttling, CSRF and origin, signing out (here and everywhere),
deactivation, Cognito's own sign-out and disabling within a minute, refresh after the access token
expires, and password reset by a mailed code."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.auth.accounts import CognitoAccounts
from postdesk.auth.audit import AccessAudit
from postdesk.auth.sessions import SessionItem, session_key
from postdesk.auth.sign_in import csrf_token
from postdesk.auth.throttle import FAILURE_LIMIT
from postdesk.aws.clients import client as aws_client
from postdesk_tools.totp import totp_code
from tests.integration.conftest import Desk, auth, body_of

COOKIE = "__Host-postdesk_session"
PASSWORD = "Correct-Horse-42"
NEW_PASSWORD = "Battery-Staple-77"
HOST = "desk.example.com"


@dataclass
class Clock:
    """The desk's clock for these tests: real time, moved on by hand."""

    offset: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock(desk: Desk) -> Iterator[Clock]:
    moving = Clock()
    runtime.use_clock(moving)
    yield moving
    runtime.use_clock(None)


def _person(desk: Desk, email: str, role: Role = Role.AGENT, *, password: str | None = PASSWORD) -> str:
    """An agent with a Cognito account; returns the temporary password (or sets ``password``)."""
    AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        email, email.split("@")[0], role, desk.clock_now
    )
    accounts = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.region)
    temporary = accounts.create(email, email.split("@")[0])
    if password:
        accounts.set_password(email, password)
    return temporary


def _headers(**extra: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Host": HOST, **extra}


def _post_session(client: Client, body: dict[str, Any], **headers: str) -> Any:
    return client.http.post("/session", headers=_headers(**headers), body=json.dumps(body))


def _cookie_value(response: Any) -> str:
    set_cookie = response.headers["Set-Cookie"]
    match = re.match(rf"{COOKIE}=([^;]*);", set_cookie)
    assert match, set_cookie
    return match.group(1)


def _signed_in(client: Client, email: str, password: str = PASSWORD, **more: str) -> tuple[str, str]:
    """(session id, CSRF token) of a successful sign-in."""
    answer = _post_session(client, {"email": email, "password": password, **more})
    assert answer.status_code == 200, answer.body
    body = body_of(answer)
    assert body["signed_in"] is True, body
    return _cookie_value(answer), body["csrf_token"]


def _with_session(session_id: str, csrf: str | None = None) -> dict[str, str]:
    headers = _headers(Cookie=f"{COOKIE}={session_id}")
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return headers


def _audit(desk: Desk) -> list[tuple[str, str]]:
    now = datetime.now(UTC)
    page = AccessAudit(desk.settings.sign_in.access_audit_table, desk.settings.region).entries(
        now - timedelta(days=2), now + timedelta(days=2)
    )
    return [(entry.action.value, entry.actor) for entry in page.entries]


# -- signing in ----------------------------------------------------------------------------------------


def test_a_sign_in_sets_an_httponly_secure_strict_host_cookie_that_serves_the_api(
    desk: Desk, client: Client
) -> None:
    _person(desk, "sam@example.com")

    answer = _post_session(client, {"email": "Sam@Example.com", "password": PASSWORD})

    assert answer.status_code == 200
    body = body_of(answer)
    assert body["signed_in"] is True
    assert body["agent"] == {"email": "sam@example.com", "name": "sam", "role": "agent"}
    attributes = [part.strip() for part in answer.headers["Set-Cookie"].split(";")]
    assert attributes[0].startswith(f"{COOKIE}=") and len(attributes[0]) > len(COOKIE) + 40
    assert set(attributes[1:]) == {
        f"Max-Age={desk.settings.sign_in.session_days * 86400}",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
    }
    session_id = _cookie_value(answer)
    signing_key = runtime.api_context().ports.signing_key()
    assert body["csrf_token"] == csrf_token(signing_key, session_id)
    # The server keeps a hash of the id only, never the id itself
    item = SessionItem.get(session_key(session_id), consistent_read=True)
    assert item.email == "sam@example.com" and session_id not in json.dumps(item.attribute_values)

    # The cookie alone reads the API; GET /session says who is signed in
    me = client.http.get("/me", headers=_with_session(session_id))
    assert me.status_code == 200 and body_of(me)["email"] == "sam@example.com"
    current = client.http.get("/session", headers=_with_session(session_id))
    assert current.status_code == 200
    assert body_of(current)["agent"]["email"] == "sam@example.com"
    assert body_of(current)["csrf_token"] == body["csrf_token"]
    assert body_of(current)["mfa"] is False
    assert ("sign_in", "sam@example.com") in _audit(desk)


@pytest.mark.parametrize("email", ["sam@example.com", "nobody@example.com"])
def test_a_wrong_password_or_unknown_address_is_one_401_in_words(
    desk: Desk, client: Client, email: str
) -> None:
    _person(desk, "sam@example.com")

    answer = _post_session(client, {"email": email, "password": "Wrong-Password-1"})

    assert answer.status_code == 401
    assert body_of(answer)["message"] == "The email or password is not right."
    assert "Set-Cookie" not in answer.headers
    assert ("sign_in_failed", email) in _audit(desk)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"email": None, "password": PASSWORD}, "email must be a string"),
        ({"email": "sam", "password": PASSWORD}, "email must be an email address"),
        ({"email": "sam@example.com", "password": 42}, "password must be a string"),
        ({"email": "sam@example.com"}, "send your email and password"),
        ({"email": "sam@example.com", "password": "x" * 257}, "password is over 256 characters"),
        ({"email": "sam@example.com", "password": PASSWORD, "remember": True}, "unknown field(s): remember"),
    ],
)
def test_a_sign_in_that_is_not_one_is_a_400_in_words(
    desk: Desk, client: Client, body: dict[str, Any], words: str
) -> None:
    answer = _post_session(client, body)

    assert answer.status_code == 400
    assert words in body_of(answer)["message"]


def test_a_temporary_password_asks_for_a_new_one_then_signs_in(desk: Desk, client: Client) -> None:
    temporary = _person(desk, "new@example.com", password=None)

    first = _post_session(client, {"email": "new@example.com", "password": temporary})

    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    step = body_of(first)
    assert step["signed_in"] is False and step["next"] == "new_password"
    assert "new_password" in step["message"] and "challenge" in step["message"]
    # A weak password is refused in words, and the step may be answered again
    weak = _post_session(
        client, {"email": "new@example.com", "challenge": step["challenge"], "new_password": "short"}
    )
    assert weak.status_code == 400 and "12 characters" in body_of(weak)["message"]
    done = _post_session(
        client, {"email": "new@example.com", "challenge": step["challenge"], "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.body
    assert body_of(done)["signed_in"] is True and _cookie_value(done)

    # The challenge is used up; the new password signs in from now on
    again = _post_session(
        client, {"email": "new@example.com", "challenge": step["challenge"], "new_password": NEW_PASSWORD}
    )
    assert again.status_code == 401 and "start again" in body_of(again)["message"]
    _signed_in(client, "new@example.com", NEW_PASSWORD)


def test_a_refused_new_password_is_named_by_what_it_lacks_in_the_desks_words(
    desk: Desk, client: Client
) -> None:
    temporary = _person(desk, "weak@example.com", password=None)
    step = body_of(_post_session(client, {"email": "weak@example.com", "password": temporary}))

    messages = []
    for weak in ("short", "alllowercase-no-digits"):
        answer = _post_session(
            client, {"email": "weak@example.com", "challenge": step["challenge"], "new_password": weak}
        )
        assert answer.status_code == 400
        messages.append(body_of(answer)["message"])

    assert "it has 5 characters, and needs 12 characters or more" in messages[0]
    assert "it has no upper-case letter and no digit" in messages[1]
    assert "characters or more" not in messages[1]
    assert not any("(" in message or "confirm" in message or "provided" in message for message in messages)
    # Still the same step: a good password ends it
    done = _post_session(
        client, {"email": "weak@example.com", "challenge": step["challenge"], "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200 and body_of(done)["signed_in"] is True


def test_a_challenge_is_only_good_for_its_own_address(desk: Desk, client: Client) -> None:
    temporary = _person(desk, "new@example.com", password=None)
    step = body_of(_post_session(client, {"email": "new@example.com", "password": temporary}))

    stolen = _post_session(
        client, {"email": "other@example.com", "challenge": step["challenge"], "new_password": NEW_PASSWORD}
    )

    assert stolen.status_code == 401


def _enrol_two_step(client: Client, session_id: str, csrf: str) -> str:
    started = client.http.post("/me/two-step", headers=_with_session(session_id, csrf), body="{}")
    assert started.status_code == 200, started.body
    secret: str = body_of(started)["secret"]
    assert body_of(started)["otpauth_uri"].startswith("otpauth://totp/")
    confirmed = client.http.put(
        "/me/two-step", headers=_with_session(session_id, csrf), body=json.dumps({"code": totp_code(secret)})
    )
    assert confirmed.status_code == 200, confirmed.body
    return secret


def test_an_agent_with_two_step_signs_in_with_the_code_and_a_wrong_code_is_refused(
    desk: Desk, client: Client
) -> None:
    _person(desk, "sam@example.com")
    session_id, csrf = _signed_in(client, "sam@example.com")
    secret = _enrol_two_step(client, session_id, csrf)
    status = client.http.get("/me/two-step", headers=_with_session(session_id))
    assert body_of(status) == {"enabled": True, "required": False}

    asked = body_of(_post_session(client, {"email": "sam@example.com", "password": PASSWORD}))
    assert asked["signed_in"] is False and asked["next"] == "code"

    good = totp_code(secret)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    refused = _post_session(
        client, {"email": "sam@example.com", "challenge": asked["challenge"], "code": wrong}
    )
    assert refused.status_code == 401 and "code is not right" in body_of(refused)["message"]
    signed = _post_session(
        client, {"email": "sam@example.com", "challenge": asked["challenge"], "code": good}
    )
    assert signed.status_code == 200, signed.body
    assert body_of(client.http.get("/session", headers=_with_session(_cookie_value(signed))))["mfa"] is True

    # The code may also come with the password at once
    _signed_in(client, "sam@example.com", code=totp_code(secret))


def test_an_admin_without_two_step_must_enrol_before_any_session(desk: Desk, client: Client) -> None:
    _person(desk, "alex@example.com", Role.ADMIN)

    asked = _post_session(client, {"email": "alex@example.com", "password": PASSWORD})

    assert asked.status_code == 200 and "Set-Cookie" not in asked.headers
    step = body_of(asked)
    assert step["next"] == "totp_setup" and step["secret"] and "otpauth://totp/" in step["otpauth_uri"]
    wrong = _post_session(
        client, {"email": "alex@example.com", "challenge": step["challenge"], "code": "000000"}
    )
    if totp_code(step["secret"]) != "000000":
        assert wrong.status_code == 401
    done = _post_session(
        client,
        {"email": "alex@example.com", "challenge": step["challenge"], "code": totp_code(step["secret"])},
    )
    assert done.status_code == 200, done.body
    session_id = _cookie_value(done)
    assert body_of(client.http.get("/session", headers=_with_session(session_id)))["mfa"] is True
    # An admin cannot turn it off
    off = client.http.delete("/me/two-step", headers=_with_session(session_id, body_of(done)["csrf_token"]))
    assert off.status_code == 403 and "cannot be turned off" in body_of(off)["message"]
    # Next time the code is asked
    assert (
        body_of(_post_session(client, {"email": "alex@example.com", "password": PASSWORD}))["next"] == "code"
    )


def test_failed_sign_ins_are_throttled_per_address_with_retry_after(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    for _ in range(FAILURE_LIMIT):
        assert (
            _post_session(client, {"email": "sam@example.com", "password": "Wrong-Password-1"}).status_code
            == 401
        )

    throttled = _post_session(client, {"email": "sam@example.com", "password": PASSWORD})

    assert throttled.status_code == 429
    assert "Too many failed sign-ins for this address" in body_of(throttled)["message"]
    assert re.search(r"try again in \d+ minutes?", body_of(throttled)["message"])
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
    assert ("sign_in_throttled", "sam@example.com") in _audit(desk)


def test_failed_sign_ins_are_throttled_per_source_ip(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    for number in range(FAILURE_LIMIT):
        _post_session(client, {"email": f"guess{number}@example.com", "password": "Wrong-Password-1"})

    throttled = _post_session(client, {"email": "sam@example.com", "password": PASSWORD})

    assert throttled.status_code == 429
    assert "from your network" in body_of(throttled)["message"]


# -- the cookie on other routes --------------------------------------------------------------------------


def test_a_change_without_the_csrf_token_is_a_403_in_words(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, csrf = _signed_in(client, "sam@example.com")
    change = json.dumps({"away": True})

    missing = client.http.put("/me/away", headers=_with_session(session_id), body=change)
    wrong = client.http.put("/me/away", headers=_with_session(session_id, "0" * 64), body=change)
    right = client.http.put("/me/away", headers=_with_session(session_id, csrf), body=change)

    assert missing.status_code == 403 and "X-CSRF-Token" in body_of(missing)["message"]
    assert wrong.status_code == 403
    assert right.status_code == 200, right.body


def test_a_request_from_another_origin_is_refused(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, csrf = _signed_in(client, "sam@example.com")

    foreign = client.http.get(
        "/me", headers={**_with_session(session_id, csrf), "Origin": "https://evil.example"}
    )
    own = client.http.get("/me", headers={**_with_session(session_id, csrf), "Origin": f"https://{HOST}"})
    login = _post_session(
        client, {"email": "sam@example.com", "password": PASSWORD}, Origin="https://evil.example"
    )

    assert foreign.status_code == 403 and "another site" in body_of(foreign)["message"]
    assert own.status_code == 200
    assert login.status_code == 403


def test_api_tokens_still_work_and_need_no_csrf_token(desk: Desk, client: Client, token: str) -> None:
    answer = client.http.put("/me/away", headers=auth(token), body=json.dumps({"away": True}))

    assert answer.status_code == 200
    assert client.http.get("/session", headers=auth(token)).status_code == 401


def test_no_cookie_and_an_unknown_cookie_are_401(desk: Desk, client: Client) -> None:
    assert client.http.get("/session", headers=_headers()).status_code == 401
    unknown = client.http.get("/me", headers=_with_session("made-up"))
    assert unknown.status_code == 401 and "sign in again" in body_of(unknown)["message"]


# -- signing out -------------------------------------------------------------------------------------------


def test_signing_out_ends_this_session_only(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    first, _ = _signed_in(client, "sam@example.com")
    second, _ = _signed_in(client, "sam@example.com")
    first_tokens = SessionItem.get(session_key(first), consistent_read=True)

    out = client.http.delete("/session", headers=_with_session(first))

    assert out.status_code == 204
    # Its refresh token is revoked at Cognito, and the access token made with it stops
    cognito = aws_client("cognito-idp", desk.settings.region)
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        cognito.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=desk.settings.sign_in.client_id,
            AuthParameters={"REFRESH_TOKEN": first_tokens.refresh_token},
        )
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        cognito.get_user(AccessToken=first_tokens.access_token)
    assert out.headers["Set-Cookie"].startswith(f"{COOKIE}=;") and "Max-Age=0" in out.headers["Set-Cookie"]
    assert client.http.get("/me", headers=_with_session(first)).status_code == 401
    assert client.http.get("/me", headers=_with_session(second)).status_code == 200
    assert ("sign_out", "sam@example.com") in _audit(desk)
    # Signing out again, or with a made-up cookie, says the session had ended
    again = client.http.delete("/session", headers=_with_session(first))
    assert again.status_code == 401 and "already ended" in body_of(again)["message"]
    assert client.http.delete("/session", headers=_headers()).status_code == 401


def test_signing_out_everywhere_ends_every_session_of_the_agent(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    _person(desk, "kim@example.com")
    laptop, csrf = _signed_in(client, "sam@example.com")
    phone, _ = _signed_in(client, "sam@example.com")
    colleague, _ = _signed_in(client, "kim@example.com")

    without_token = client.http.delete("/session?everywhere=true", headers=_with_session(laptop))
    assert without_token.status_code == 403
    out = client.http.delete("/session?everywhere=true", headers=_with_session(laptop, csrf))

    assert out.status_code == 204
    assert client.http.get("/me", headers=_with_session(laptop)).status_code == 401
    ended = client.http.get("/me", headers=_with_session(phone))
    assert ended.status_code == 401 and "signed out everywhere" in body_of(ended)["message"]
    assert client.http.get("/me", headers=_with_session(colleague)).status_code == 200
    # A new sign-in works again
    fresh, _ = _signed_in(client, "sam@example.com")
    assert client.http.get("/me", headers=_with_session(fresh)).status_code == 200
    assert ("sign_out_everywhere", "sam@example.com") in _audit(desk)


def test_sessions_begun_before_sessions_valid_after_are_over(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, _ = _signed_in(client, "sam@example.com")

    AgentStore(desk.settings.tables.agents, desk.settings.region).end_sessions(
        "sam@example.com", datetime.now(UTC) + timedelta(seconds=1)
    )

    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 401
    assert SessionItem.count(session_key(session_id)) == 0


def test_a_deactivated_agent_is_refused_at_once(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, _ = _signed_in(client, "sam@example.com")

    AgentStore(desk.settings.tables.agents, desk.settings.region).revoke("sam@example.com")

    refused = client.http.get("/me", headers=_with_session(session_id))
    assert refused.status_code == 401 and "deactivated" in body_of(refused)["message"]


@pytest.mark.parametrize("change", ["disabled", "signed out"])
def test_an_account_disabled_or_signed_out_in_cognito_loses_its_session_within_a_minute(
    desk: Desk, client: Client, clock: Clock, change: str
) -> None:
    _person(desk, "sam@example.com")
    session_id, _ = _signed_in(client, "sam@example.com")
    accounts = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.region)

    if change == "disabled":
        accounts.disable("sam@example.com")
    else:
        accounts.sign_out_everywhere("sam@example.com")

    # Within the minute the session is not asked about again...
    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 200
    # ...and a minute on, Cognito is asked and says no
    clock.offset += timedelta(seconds=61)
    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 401
    assert SessionItem.count(session_key(session_id)) == 0


def _expired_copy(token: str) -> str:
    """The same access token, expired an hour ago, signed with moto's pool key (as Cognito's)."""
    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    claims = jwt.decode(
        token, RSAKey.import_key(load_resource("cognitoidp/resources/jwks-public.json")["keys"][0])
    ).claims
    claims["exp"] = int(time.time()) - 3600
    claims["iat"] = int(time.time()) - 7200
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)


def test_an_expired_access_token_is_refreshed_with_the_refresh_token(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, _ = _signed_in(client, "sam@example.com")
    item = SessionItem.get(session_key(session_id), consistent_read=True)
    expired = _expired_copy(item.access_token)
    item.update(actions=[SessionItem.access_token.set(expired)])

    answer = client.http.get("/me", headers=_with_session(session_id))

    assert answer.status_code == 200
    refreshed = SessionItem.get(session_key(session_id), consistent_read=True).access_token
    assert refreshed != expired
    runtime.sign_in_desk().tokens.access_token(refreshed)


def test_a_session_whose_refresh_token_is_revoked_ends(desk: Desk, client: Client) -> None:
    _person(desk, "sam@example.com")
    session_id, _ = _signed_in(client, "sam@example.com")
    item = SessionItem.get(session_key(session_id), consistent_read=True)
    item.update(actions=[SessionItem.access_token.set(_expired_copy(item.access_token))])
    aws_client("cognito-idp", desk.settings.region).admin_user_global_sign_out(
        UserPoolId=desk.settings.sign_in.user_pool_id, Username="sam@example.com"
    )

    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 401


# -- password reset ---------------------------------------------------------------------------------------


def _mailed_code(desk: Desk, to: str) -> str:
    for mail in reversed(desk.sent()):
        if to in mail.recipients:
            text = cast(EmailMessage, mail.message).get_body(("plain",))
            assert text is not None
            match = re.search(r"\b(\d{8})\b", text.get_content())
            if match:
                return match.group(1)
    raise AssertionError(f"no reset code was mailed to {to}")


def test_a_password_reset_by_mailed_code_sets_the_password_and_ends_every_session(
    desk: Desk, client: Client
) -> None:
    _person(desk, "sam@example.com")
    session_id, _ = _signed_in(client, "sam@example.com")

    asked = client.http.post(
        "/session/password-reset", headers=_headers(), body=json.dumps({"email": "sam@example.com"})
    )
    unknown = client.http.post(
        "/session/password-reset", headers=_headers(), body=json.dumps({"email": "x@example.com"})
    )

    assert asked.status_code == 202 and unknown.status_code == 202
    assert body_of(asked) == body_of(unknown)
    code = _mailed_code(desk, "sam@example.com")
    assert not any("x@example.com" in mail.recipients for mail in desk.sent())
    wrong = client.http.post(
        "/session/password-reset/confirm",
        headers=_headers(),
        body=json.dumps(
            {
                "email": "sam@example.com",
                "code": "00000000" if code != "00000000" else "11111111",
                "new_password": NEW_PASSWORD,
            }
        ),
    )
    assert wrong.status_code == 401 and "not right" in body_of(wrong)["message"]
    done = client.http.post(
        "/session/password-reset/confirm",
        headers=_headers(),
        body=json.dumps({"email": "sam@example.com", "code": code, "new_password": NEW_PASSWORD}),
    )
    assert done.status_code == 204, done.body
    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 401
    assert _post_session(client, {"email": "sam@example.com", "password": PASSWORD}).status_code == 401
    _signed_in(client, "sam@example.com", NEW_PASSWORD)
    # The code is used up
    again = client.http.post(
        "/session/password-reset/confirm",
        headers=_headers(),
        body=json.dumps({"email": "sam@example.com", "code": code, "new_password": "Another-Pass-99"}),
    )
    assert again.status_code == 401
    assert ("password_reset", "sam@example.com") in _audit(desk)
