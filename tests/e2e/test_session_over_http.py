"""A session over real HTTP, as a browser holds it: the desk served by chalice local on a moto
server, whose user pool's keys the API reads from the moto server's JWKS address over HTTP (the
path the in-process tests replace), the cookie sent back, a change with its CSRF token, sign out."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from postdesk.auth.accounts import CognitoAccounts
from postdesk_tools.local_server import RunningDesk

PASSWORD = "Correct-Horse-42"


def _call(
    desk: RunningDesk, method: str, path: str, body: dict[str, Any] | None = None, **headers: str
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the local desk's own http URL
        desk.api_url + path, data=data, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            raw = answer.read()
            return answer.status, dict(answer.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def test_a_session_cookie_works_over_http_with_the_pools_keys_read_from_moto(desk: RunningDesk) -> None:
    assert desk.settings.sign_in.keys_url.startswith(desk.aws_url)
    desk.add_agent("http-session@example.com", "Http Session")
    accounts = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.region)
    accounts.create("http-session@example.com", "Http Session")
    accounts.set_password("http-session@example.com", PASSWORD)

    status, headers, body = _call(
        desk, "POST", "/session", {"email": "http-session@example.com", "password": PASSWORD}
    )

    assert status == 200, body
    set_cookie = headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "Secure" in set_cookie and "SameSite=Strict" in set_cookie
    cookie = set_cookie.split(";")[0]
    status, _, me = _call(desk, "GET", "/me", Cookie=cookie)
    assert status == 200 and me["email"] == "http-session@example.com"
    status, _, _ = _call(desk, "PUT", "/me/away", {"away": True}, Cookie=cookie)
    assert status == 403
    status, _, _ = _call(
        desk, "PUT", "/me/away", {"away": True}, Cookie=cookie, **{"X-CSRF-Token": body["csrf_token"]}
    )
    assert status == 200

    status, headers, _ = _call(desk, "DELETE", "/session", Cookie=cookie, Origin=desk.api_url)
    assert status == 204 and "Max-Age=0" in headers["Set-Cookie"]
    assert _call(desk, "GET", "/me", Cookie=cookie)[0] == 401
