"""The agent API of a running desk, called as a script would (HTTP, a bearer token)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

from postdesk_tools.local_server import RunningDesk
from tests.e2e.sessions import DeskAccess, sign_in_context, sign_in_with_form


def call_api(desk: RunningDesk, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """The status and JSON document of one request to ``desk``'s API."""
    address = urlsplit(desk.api_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def api_ok(desk: RunningDesk, token: str, method: str, path: str, body: Any = None) -> Any:
    """The JSON document of a request that must succeed (200 or 201)."""
    status, document = call_api(desk, token, method, path, body)
    assert status in (200, 201), document
    return document


def desk_access(desk: RunningDesk) -> DeskAccess:
    """Where ``desk``'s API and user pool are, for the session helpers."""
    return DeskAccess(
        api_url=desk.api_url,
        aws_url=desk.aws_url,
        user_pool_id=desk.settings.sign_in.user_pool_id,
        region=desk.settings.region,
    )


def sign_in(page: Page, desk: RunningDesk, token: str, address: str = "") -> None:
    """Open the console (at ``address``, a ``#/…`` route) signed in as the agent ``token`` belongs
    to: a real session of theirs (tests/e2e/sessions.py) in the page's browser context. The form
    itself is tested in test_console_sign_in.py."""
    console_open = page.url.startswith(f"{desk.api_url}/console")
    sign_in_context(page.context, desk_access(desk), token)
    page.goto(f"{desk.api_url}/console{address}")
    if console_open:
        # Only the hash moved (no new page): the console is loaded afresh with the new session.
        page.reload()


def sign_in_here(page: Page, desk: RunningDesk, token: str) -> None:
    """The console on ``page`` shows the sign-in form: sign the agent of ``token`` in and show what
    the address asks for (the address is kept, as the form keeps it)."""
    sign_in_context(page.context, desk_access(desk), token)
    page.reload()


def sign_in_by_form(page: Page, desk: RunningDesk, token: str) -> None:
    """Sign in through the form the console on ``page`` shows (email, password, an admin's code)."""
    sign_in_with_form(page, desk_access(desk), token)
