"""What a request with a session carries (api/http.py, api/context.py): its cookie read among
others, its Origin held to the desk's own, and the CSRF token tied to the session id."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from postdesk.api.context import require_own_origin
from postdesk.api.http import ApiRequest
from postdesk.auth.sign_in import csrf_matches, csrf_token
from postdesk.errors import CrossSiteRefused


def _request(**headers: str) -> ApiRequest:
    return ApiRequest(
        method="GET", path_params={}, query={}, headers={k.lower(): v for k, v in headers.items()}
    )


def _context(public_url: str = "") -> Any:
    return cast(Any, SimpleNamespace(settings=SimpleNamespace(survey=SimpleNamespace(public_url=public_url))))


def test_the_session_cookie_is_read_among_others() -> None:
    request = _request(Cookie="theme=dark; __Host-postdesk_session=abc123 ; other=1")

    assert request.cookie("__Host-postdesk_session") == "abc123"
    assert request.cookie("theme") == "dark"
    assert request.cookie("missing") is None
    assert _request().cookie("__Host-postdesk_session") is None
    # A cookie whose name only starts the same is another cookie
    assert _request(Cookie="__Host-postdesk_session_old=x").cookie("__Host-postdesk_session") is None


@pytest.mark.parametrize(
    ("origin", "public_url"),
    [
        (None, ""),
        ("https://desk.example.com", ""),
        ("https://support.example.com", "https://support.example.com"),
    ],
    ids=["no origin", "the host it was sent to", "the desk's public address"],
)
def test_the_desks_own_origin_passes(origin: str | None, public_url: str) -> None:
    headers = {"Host": "desk.example.com", **({"Origin": origin} if origin else {})}

    require_own_origin(_request(**headers), _context(public_url))


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "https://desk.example.com.evil.example",
        "file://",
        "ftp://desk.example.com",
    ],
)
def test_another_origin_is_refused_in_words(origin: str) -> None:
    with pytest.raises(CrossSiteRefused, match="another site"):
        require_own_origin(
            _request(Host="desk.example.com", Origin=origin), _context("https://support.example.com")
        )


def test_the_csrf_token_belongs_to_its_session_and_key() -> None:
    token = csrf_token(b"desk key", "session-one")

    assert len(token) == 64 and int(token, 16) >= 0
    assert csrf_matches(b"desk key", "session-one", token)
    assert csrf_matches(b"desk key", "session-one", token.upper())
    assert not csrf_matches(b"desk key", "session-two", token)
    assert not csrf_matches(b"other key", "session-one", token)
    assert not csrf_matches(b"desk key", "session-one", "")
