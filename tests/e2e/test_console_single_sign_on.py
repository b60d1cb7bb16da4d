"""Single sign-on in the console, in Chromium: the "Sign in with <provider>" button shows only where
the desk offers it, and a click goes the whole way round (the desk's GET /session/sso, the
provider, back to the desk with a code) to the console, signed in, on the address it started from;
a person who is not an agent reads why on a page. Cognito's hosted domain is a local stand-in
(moto has none): its /oauth2/authorize sends the browser straight back with a code, as after the
provider's sign-in, and its /oauth2/token answers as Cognito does, with tokens moto's pool issued."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource
from playwright.sync_api import Page, ViewportSize, expect

from postdesk import runtime
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import desk_access
from tests.e2e.sessions import ensure_account

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PROVIDER = "Okta"


@dataclass
class HostedDomain:
    """Cognito's hosted domain, stood in for: who the provider says is signing in (``person``),
    the codes handed out, the exchanges asked for."""

    desk: RunningDesk
    url: str = ""
    person: str = ""
    codes: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    exchanges: list[dict[str, str]] = field(default_factory=list)

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes after the provider's sign-in: the callback with a new code."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = (query["code_challenge"], query["redirect_uri"], self.tokens(self.person))
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.exchanges.append(form)
        issued = self.codes.pop(form.get("code", ""), None)
        if issued is None or form.get("redirect_uri") != issued[1]:
            return 400, {"error": "invalid_grant"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != issued[0]:
            return 400, {"error": "invalid_grant"}
        return 200, issued[2]

    def tokens(self, email: str) -> dict[str, Any]:
        """Tokens moto's pool issues for the person; the id token carries the email as Cognito's
        does for a federated user (signed with moto's pool key)."""
        access = desk_access(self.desk)
        password = ensure_account(access, email)
        cognito = boto3.client(
            "cognito-idp",
            region_name=access.region,
            endpoint_url=access.aws_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        result = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=self.desk.settings.sign_in.client_id,
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        public = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-public.json")["keys"][0])
        claims = jwt.decode(result["IdToken"], public).claims
        claims.update({"email": email, "cognito:username": f"{PROVIDER}_{claims['sub']}"})
        private = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
        return {
            "access_token": result["AccessToken"],
            "id_token": jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, private),
            "refresh_token": result["RefreshToken"],
            "expires_in": 3600,
            "token_type": "Bearer",
        }


@pytest.fixture
def hosted(desk: RunningDesk, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostedDomain]:
    domain = HostedDomain(desk)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/oauth2/authorize":
                self.send_error(404)
                return
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            self.send_response(302)
            self.send_header("Location", domain.authorize(query))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
            status, document = domain.token(form) if self.path == "/oauth2/token" else (404, {})
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    domain.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("POSTDESK_SSO_PROVIDER", PROVIDER)
    monkeypatch.setenv("POSTDESK_SSO_DOMAIN", domain.url)
    runtime.reset_runtime()
    try:
        yield domain
    finally:
        monkeypatch.undo()
        runtime.reset_runtime()
        server.shutdown()
        server.server_close()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{name} scrolls sideways ({scroll} > {client} px)"


def test_no_single_sign_on_button_where_the_desk_offers_none(desk: RunningDesk, page: Page) -> None:
    page.goto(f"{desk.api_url}/console")
    expect(page.locator("#sign-in-form")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#sso-sign-in")).to_be_hidden()


def test_single_sign_on_signs_an_agent_in_on_the_deep_link(
    desk: RunningDesk, hosted: HostedDomain, page: Page
) -> None:
    desk.add_agent("casey@example.com", "Casey Sso")
    hosted.person = "casey@example.com"
    for size, name in ((DESKTOP, "sso-sign-in-1366.png"), (PHONE, "sso-sign-in-390.png")):
        page.set_viewport_size(size)
        page.goto(f"{desk.api_url}/console#/two-step")
        button = page.get_by_role("link", name="Sign in with Okta")
        expect(button).to_be_visible()
        _shot(page, name)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Sign in with Okta").click()

    page.wait_for_url(f"{desk.api_url}/console#/two-step")
    expect(page.locator("#who")).to_contain_text("Casey Sso")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    assert len(hosted.exchanges) == 1 and hosted.exchanges[0]["code_verifier"]


def test_a_person_who_is_not_an_agent_reads_why(desk: RunningDesk, hosted: HostedDomain, page: Page) -> None:
    hosted.person = "stranger@example.com"
    page.goto(f"{desk.api_url}/console")

    page.get_by_role("link", name="Sign in with Okta").click()

    expect(page.get_by_role("heading", name="Single sign-on did not finish")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Your account at Okta is not an agent of this desk: ask an admin to invite stranger@example.com."
    )
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page.locator("#sign-in-form")).to_be_visible()
