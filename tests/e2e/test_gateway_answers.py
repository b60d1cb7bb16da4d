"""The local stack answers what API Gateway answers itself as the deployed stack does (its gateway
responses in infra/template.json): in the desk's shape, in words."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

from postdesk_tools.local_server import GATEWAY_MAX_REQUEST_BYTES, RunningDesk

pytestmark = pytest.mark.e2e


def test_a_request_over_the_gateways_limit_is_a_413_in_words_its_body_unread(desk: RunningDesk) -> None:
    address = urlsplit(desk.api_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        # Only the headers go: the answer comes without the server waiting for 10 MB.
        connection.putrequest("POST", "/tickets")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(GATEWAY_MAX_REQUEST_BYTES + 1))
        connection.endheaders()
        response = connection.getresponse()
        document = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert document["error"] == "PayloadTooLarge" and "10 MB" in document["message"]


def _raw(desk: RunningDesk, request: bytes) -> tuple[int | None, str | None, dict[str, str]]:
    """The status, Content-Type and JSON document of the answer to bytes sent as they are (a
    request line that names no HTTP version is answered as HTTP/0.9: the document alone)."""
    address = urlsplit(desk.api_url)
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    if not answer.startswith(b"HTTP/"):
        return None, None, json.loads(answer)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers["Content-Type"], json.loads(body)


@pytest.mark.parametrize(
    ("request_bytes", "status", "words"),
    [
        (b"GARBAGE\r\n\r\n", None, "not well-formed HTTP"),
        (
            b"GET /tickets HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: a\r\n" % i for i in range(150))
            + b"\r\n",
            431,
            "headers are too many",
        ),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URL is too long"),
        (
            b"POST /tickets HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}",
            400,
            "Content-Length is not a number",
        ),
    ],
)
def test_what_the_server_refuses_by_itself_is_said_in_the_desks_shape(
    desk: RunningDesk, request_bytes: bytes, status: int | None, words: str
) -> None:
    answered, content_type, document = _raw(desk, request_bytes)

    assert answered == status and content_type == (status and "application/json")
    assert document["error"] == "RequestRefused" and words in document["message"]


def test_options_is_a_method_no_route_serves_as_on_aws(desk: RunningDesk) -> None:
    for path in ("/tickets", "/no/such/route"):
        answered, content_type, document = _raw(desk, f"OPTIONS {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())

        assert answered == 404 and content_type == "application/json"
        assert document["error"] == "NotFound" and "No such route" in document["message"]
