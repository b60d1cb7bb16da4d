"""The console's pages and the original-HTML route over real HTTP (no browser needed)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from postdesk.api.tickets import message_api_id
from postdesk_tools.local_server import RunningDesk
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

EXPECTED_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: https:; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        document: dict[str, object] = json.loads(self.body)
        return document


def _get(desk: RunningDesk, path: str, token: str | None = None) -> Answer:
    address = urlsplit(desk.api_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    response = connection.getresponse()
    answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return answer


@pytest.mark.parametrize(
    ("path", "content_type", "cache"),
    [
        ("/console", "text/html; charset=utf-8", "no-store"),
        ("/console/app.js", "text/javascript; charset=utf-8", "no-cache"),
        ("/console/app.css", "text/css; charset=utf-8", "no-cache"),
    ],
)
def test_console_files_come_with_their_type_and_the_security_headers(
    desk: RunningDesk, path: str, content_type: str, cache: str
) -> None:
    answer = _get(desk, path)
    assert answer.status == 200
    assert answer.headers["content-type"] == content_type
    assert answer.headers["cache-control"] == cache
    # The page's scripts may also POST attachments to the mail bucket (the local stack's moto here)
    expected = (
        EXPECTED_POLICY.replace("connect-src 'self'", f"connect-src 'self' {_moto_origin(desk)}")
        if path == "/console"
        else EXPECTED_POLICY
    )
    assert answer.headers["content-security-policy"] == expected
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


def _moto_origin(desk: RunningDesk) -> str:
    address = urlsplit(desk.aws_url)
    return f"{address.scheme}://{address.netloc}"


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def test_the_page_loads_only_its_own_files_and_has_no_inline_code(desk: RunningDesk) -> None:
    markup = _Markup()
    markup.feed(_get(desk, "/console").body.decode())
    scripts = [attributes for tag, attributes in markup.elements if tag == "script"]
    # A plain script first, which says in words when the modules do not load, then the modules
    assert scripts == [{"src": "console/load-check.js"}, {"type": "module", "src": "console/app.js"}]
    assert ("link", {"rel": "stylesheet", "href": "console/app.css"}) in markup.elements
    assert not [tag for tag, _ in markup.elements if tag == "style"]
    assert not [
        (tag, name) for tag, attributes in markup.elements for name in attributes if name.startswith("on")
    ]
    assert not [tag for tag, attributes in markup.elements if "style" in attributes]
    for name in ("app.js", "load-check.js"):
        script = _get(desk, f"/console/{name}").body.decode()
        assert "innerHTML" not in script and "eval(" not in script and "new Function" not in script


@pytest.mark.parametrize("name", ["index.html", "nope.js", "..%2F..%2Fsettings.py", "app.js.map"])
def test_anything_but_a_console_file_is_404(desk: RunningDesk, name: str) -> None:
    answer = _get(desk, f"/console/{name}")
    assert answer.status == 404
    assert answer.json()["error"] == "NotFound"


def test_the_root_sends_people_to_the_console(desk: RunningDesk) -> None:
    answer = _get(desk, "/")
    assert answer.status == 302
    assert answer.headers["location"] == "/console"


def test_the_original_html_is_sanitized_and_holds_back_remote_images(desk: RunningDesk) -> None:
    # Given a customer mail whose HTML has a script, a handler and a remote image
    token = desk.add_agent("pat@example.com", "Pat Kim")
    ref = desk.deliver(
        build_mail(
            html='<p onclick="alert(1)">Hello</p><script>alert(2)</script>'
            '<img src="https://img.example/logo.png" alt="Logo">'
        )
    )
    (customer, *_) = _thread_keys(desk, token, ref)
    path = f"/tickets/{ref}/messages/{customer}/html"

    # When an agent asks for it, then for it with images
    plain = _get(desk, path, token)
    with_images = _get(desk, f"{path}?images=true", token)

    # Then it is sanitized, the image source only comes when asked, and it is never cached
    assert plain.status == 200 and with_images.status == 200
    assert plain.json() == {"html": '<p>Hello</p><img alt="Logo">\n', "remote_images": 1}
    assert with_images.json() == {
        "html": '<p>Hello</p><img src="https://img.example/logo.png" alt="Logo">\n',
        "remote_images": 1,
    }
    assert plain.headers["cache-control"] == "no-store"


def test_the_original_html_needs_a_token_and_a_known_ticket(desk: RunningDesk) -> None:
    token = desk.add_agent("kit@example.com", "Kit Ode")
    ref = desk.deliver(build_mail(html="<p>Hi</p>"))
    (customer, *_) = _thread_keys(desk, token, ref)
    assert _get(desk, f"/tickets/{ref}/messages/{customer}/html").status == 401
    unknown = _get(desk, f"/tickets/K7Q2-M9XD/messages/{customer}/html", token)
    assert unknown.status == 404
    assert unknown.json()["error"] == "TicketNotFound"


def test_a_message_without_html_is_404(desk: RunningDesk) -> None:
    token = desk.add_agent("max@example.com", "Max Roe")
    # Its own text: the same text again from the same sender would join the earlier ticket (a repeat).
    ref = desk.deliver(build_mail(subject="Plain text only", body="Hello,\n\nno HTML in this one.\n\nJane"))
    (customer, *_) = _thread_keys(desk, token, ref)
    for message_id in (customer, message_api_id("M#nothing")):
        answer = _get(desk, f"/tickets/{ref}/messages/{message_id}/html", token)
        assert answer.status == 404
        assert answer.json()["error"] == "MessageNotFound"


def _thread_keys(desk: RunningDesk, token: str, ref: str) -> list[str]:
    answer = _get(desk, f"/tickets/{ref}", token)
    thread = answer.json()["thread"]
    assert isinstance(thread, list)
    return [str(message["id"]) for message in thread]
