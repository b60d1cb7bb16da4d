"""POSTing a delivery: to the address the endpoint's name resolves to, once that address is checked
public (endpoints.py), so a name that resolves to a private address at delivery time (DNS rebinding)
is refused too. https keeps checking the certificate against the URL's host name."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from postdesk.webhooks.endpoints import EndpointRefused, check_address

# Short: a slow endpoint holds up the deliveries behind it; it is tried again later.
TIMEOUT_SECONDS = 10
# What is read of an endpoint's answer (for the log).
MAX_ANSWER_BYTES = 1024
USER_AGENT = "Postdesk-Webhooks/1"


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _resolved(host: str, port: int, allow_local: bool) -> str:
    """The first address of ``host``, after every address it has was checked."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise EndpointRefused(f"{host} does not resolve")
    for address in addresses:
        check_address(address, allow_local)
    return addresses[0]


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], allow_local: bool) -> PostResult:
    """POST ``body``; the endpoint's status, or why there is none (refused, timed out, unreachable)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        address = _resolved(host, port, allow_local)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHTTPS(host, port, address, TIMEOUT_SECONDS)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "Host": parts.netloc,
                    **headers,
                },
            )
            answer = connection.getresponse()
            said = answer.read(MAX_ANSWER_BYTES).decode("utf-8", "replace").strip()
        finally:
            connection.close()
    except EndpointRefused as error:
        return PostResult(None, str(error))
    except (OSError, http.client.HTTPException) as error:
        return PostResult(None, f"{type(error).__name__}: {error}"[:300])
    if 200 <= answer.status < 300:
        return PostResult(answer.status, "")
    return PostResult(answer.status, f"HTTP {answer.status}: {said}"[:300])
