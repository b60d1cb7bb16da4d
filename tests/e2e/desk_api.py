"""The agent API of a running desk, called as a script would (HTTP, a bearer token)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

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
