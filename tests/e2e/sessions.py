"""Signed-in browsers for the console tests: a real session (POST /session, the desk's cookie) for
the agent an API token belongs to, without going through the form each time.

The agent gets a Cognito account in the desk's user pool (moto) with a known password the first time;
the sign-in then does what the desk asks (a new password, TOTP enrolment for an admin, the code) with
codes from postdesk_tools.totp. One session per agent and desk is kept and handed to every browser
context that asks (a session is the cookie, whichever browser sends it); it is checked with
GET /session before reuse, so a test that signed the agent out gets a fresh one."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from playwright.sync_api import BrowserContext, Page

from postdesk_tools.totp import totp_code

SESSION_COOKIE = "__Host-postdesk_session"
# Meets the pool's policy (12+ characters, upper, lower, digit).
TEST_PASSWORD = "Console-tests-2026"


@dataclass(frozen=True, slots=True)
class DeskAccess:
    """Where a desk's API and its moto (the user pool) are."""

    api_url: str
    aws_url: str
    user_pool_id: str
    region: str


# Per (api_url, email): the session cookie's value; per (user pool, email): the TOTP secret enrolled
# and the password set.
_sessions: dict[tuple[str, str], str] = {}
_totp_secrets: dict[tuple[str, str], str] = {}
_passwords: dict[tuple[str, str], str] = {}
# Per (api_url, token): the agent's email.
_token_owners: dict[tuple[str, str], str] = {}


def remember_totp_secret(user_pool_id: str, email: str, secret: str) -> None:
    """A secret a test enrolled through the console: later sign-ins of that agent use it."""
    _totp_secrets[(user_pool_id, email.lower())] = secret


def remember_password(user_pool_id: str, email: str, password: str) -> None:
    """A password a test set through the console (a first sign-in, a reset)."""
    _passwords[(user_pool_id, email.lower())] = password


def request(
    api_url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, http.client.HTTPResponse]:
    """One request to the desk's API: its status, JSON document (None without one) and response."""
    address = urlsplit(api_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    try:
        connection.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None, response
    finally:
        connection.close()


def _cognito(access: DeskAccess) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=access.region,
        endpoint_url=access.aws_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 2}),
    )


def ensure_account(access: DeskAccess, email: str) -> str:
    """The agent's Cognito account with a known permanent password (made or set the first time);
    returns the password to sign in with."""
    key = (access.user_pool_id, email.lower())
    if key in _passwords:
        return _passwords[key]
    cognito = _cognito(access)
    try:
        cognito.admin_get_user(UserPoolId=access.user_pool_id, Username=email)
    except cognito.exceptions.UserNotFoundException:
        cognito.admin_create_user(
            UserPoolId=access.user_pool_id,
            Username=email,
            MessageAction="SUPPRESS",
            TemporaryPassword="Temporary-2026-pass",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    cognito.admin_set_user_password(
        UserPoolId=access.user_pool_id, Username=email, Password=TEST_PASSWORD, Permanent=True
    )
    _passwords[key] = TEST_PASSWORD
    return TEST_PASSWORD


def _cookie_of(response: http.client.HTTPResponse) -> str:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    assert SESSION_COOKIE in jar, f"POST /session set no {SESSION_COOKIE} cookie"
    return jar[SESSION_COOKIE].value


def open_session(access: DeskAccess, email: str, password: str | None = None) -> str:
    """Sign ``email`` in through POST /session, doing each step the desk asks for; returns the
    session cookie's value."""
    pool_key = (access.user_pool_id, email.lower())
    password = password or ensure_account(access, email)
    status, answer, response = request(
        access.api_url, "POST", "/session", {"email": email, "password": password}
    )
    for _ in range(4):
        assert status == 200, f"POST /session for {email}: {status} {answer}"
        if answer["signed_in"]:
            return _cookie_of(response)
        step: dict[str, Any] = {"email": email, "challenge": answer["challenge"]}
        if answer["next"] == "new_password":
            step["new_password"] = TEST_PASSWORD
            _passwords[pool_key] = TEST_PASSWORD
        elif answer["next"] == "totp_setup":
            _totp_secrets[pool_key] = answer["secret"]
            step["code"] = totp_code(answer["secret"])
        elif answer["next"] == "code":
            secret = _totp_secrets.get(pool_key)
            assert secret, f"{email} has two-step sign-in on with a secret these tests never saw"
            step["code"] = totp_code(secret)
        else:
            raise AssertionError(f"POST /session asked for an unknown step: {answer}")
        status, answer, response = request(access.api_url, "POST", "/session", step)
    raise AssertionError(f"POST /session for {email} did not end in a session: {answer}")


def session_alive(api_url: str, cookie: str) -> bool:
    status, _, _ = request(api_url, "GET", "/session", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    return status == 200


def session_for(access: DeskAccess, email: str) -> str:
    """A live session cookie for ``email`` (the one kept, or a new one)."""
    key = (access.api_url, email.lower())
    kept = _sessions.get(key)
    if kept and session_alive(access.api_url, kept):
        return kept
    cookie = open_session(access, email)
    _sessions[key] = cookie
    return cookie


def token_owner(api_url: str, token: str) -> str:
    """The email of the agent ``token`` belongs to (GET /me)."""
    key = (api_url, token)
    if key not in _token_owners:
        status, me, _ = request(api_url, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
        assert status == 200, f"GET /me with the test's token: {status} {me}"
        _token_owners[key] = str(me["email"])
    return _token_owners[key]


def give_session(context: BrowserContext, api_url: str, cookie: str) -> None:
    """Put the session cookie into a browser context, as the desk's Set-Cookie would."""
    context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": cookie,
                "domain": urlsplit(api_url).hostname or "127.0.0.1",
                "path": "/",
                "secure": True,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )


def sign_in_context(context: BrowserContext, access: DeskAccess, token: str) -> str:
    """Sign the agent of ``token`` in for every page of ``context``; returns their email."""
    email = token_owner(access.api_url, token)
    give_session(context, access.api_url, session_for(access, email))
    return email


def stack_access(stack: dict[str, Any]) -> DeskAccess:
    """Where a local stack's API and user pool are (its info: tests/e2e/stack.py)."""
    environment = stack["environment"]
    return DeskAccess(
        api_url=stack["api_url"],
        aws_url=stack["endpoint_url"],
        user_pool_id=environment["POSTDESK_USER_POOL_ID"],
        region=environment.get("AWS_REGION") or environment.get("AWS_DEFAULT_REGION") or "eu-west-1",
    )


def sign_in_stack(page: Page, stack: dict[str, Any], address: str = "") -> None:
    """Open a local stack's console (at ``address``) signed in as its first admin."""
    sign_in_context(page.context, stack_access(stack), stack["admin_token"])
    page.goto(f"{stack['console_url']}{address}")


def sign_in_with_form(page: Page, access: DeskAccess, token: str) -> None:
    """Sign the agent of ``token`` in through the console's form on ``page`` (already on the console
    showing it): email and password, and for an admin the code of their authenticator."""
    email = token_owner(access.api_url, token)
    status, me, _ = request(access.api_url, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, me
    pool_key = (access.user_pool_id, email.lower())
    if me["role"] == "admin" and pool_key not in _totp_secrets:
        # Enrol once through the API: the form then asks for the code of a known secret.
        session_for(access, email)
    password = ensure_account(access, email)
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in").click()
    if pool_key in _totp_secrets:
        code_form = page.locator("#code-form")
        code_form.get_by_label("Code from the app").fill(totp_code(_totp_secrets[pool_key]))
        code_form.get_by_role("button", name="Sign in").click()
