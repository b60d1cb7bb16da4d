"""The agent API of a running desk, called as a script would (HTTP, a bearer token)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

from postdesk_tools.local_server import RunningDesk


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


def sign_in(page: Page, desk: RunningDesk, token: str, address: str = "") -> None:
    """Open the console (at ``address``, a ``#/…`` route) and sign in with ``token``."""
    page.goto(f"{desk.api_url}/console{address}")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
