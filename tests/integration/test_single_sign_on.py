"""Single sign-on's callback (GET /session/sso, auth/sso.py) through the HTTP API, with a stand-in
for Cognito's hosted domain: moto has no hosted UI and no federation, and no test reaches an identity
provider, so a local HTTP server answers ``/oauth2/token`` as Cognito does (form POST, PKCE checked,
a code used once) with tokens moto's Cognito issued for the person (the id token carrying the
federated user's email, signed with moto's pool key as Cognito signs it). What runs for real: the
start (authorize URL, state and verifier kept, the browser's cookie), the callback (state, cookie,
the verifier sent, both tokens checked, the agent admitted or refused in words, the session cookie
and the deep link), and the session serving the API afterwards."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from chalice.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.auth.accounts import CognitoAccounts
from postdesk.auth.audit import AccessAudit
from postdesk.auth.sessions import SessionItem, session_key
from postdesk.auth.sso_starts import SSO_PREFIX, SsoItem
from postdesk.aws.clients import client as aws_client
from tests.integration.conftest import Desk, body_of

PUBLIC_URL = "https://desk.example.com"
PROVIDER = "Okta"
PASSWORD = "Correct-Horse-42"
SESSION_COOKIE = "__Host-postdesk_session"
SSO_COOKIE = "__Host-postdesk_sso"


@dataclass
class TokenEndpoint:
    """Cognito's ``/oauth2/token`` for the authorization code grant, as far as the desk uses it:
    each code is good once, for its redirect_uri, client and PKCE challenge."""

    domain: str = ""
    client_id: str = ""
    codes: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    received: list[dict[str, str]] = field(default_factory=list)

    def issue(self, code: str, challenge: str, tokens: dict[str, Any]) -> None:
        self.codes[code] = (challenge, tokens)

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.received.append(form)
        issued = self.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        if issued is None or form.get("redirect_uri") != f"{PUBLIC_URL}/session/sso":
            return 400, {"error": "invalid_grant"}
        challenge, tokens = issued
        verifier = form.get("code_verifier", "")
        sent = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if sent != challenge:
            return 400, {"error": "invalid_grant"}
        return 200, tokens


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    served = TokenEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
            status, document = (
                served.answer(form) if self.path == "/oauth2/token" else (404, {"error": "not_found"})
            )
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
    served.domain = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sso(desk: Desk, endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch) -> TokenEndpoint:
    """The desk with single sign-on set (provider, hosted domain = the stand-in, public URL)."""
    monkeypatch.setenv("POSTDESK_SSO_PROVIDER", PROVIDER)
    monkeypatch.setenv("POSTDESK_SSO_DOMAIN", endpoint.domain)
    monkeypatch.setenv("POSTDESK_PUBLIC_URL", PUBLIC_URL)
    runtime.reset_runtime()
    endpoint.client_id = desk.settings.sign_in.client_id
    return endpoint


def _agent(desk: Desk, email: str, role: Role = Role.AGENT) -> None:
    AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        email, email.split("@")[0], role, desk.clock_now
    )


def _provider_tokens(desk: Desk, email: str) -> dict[str, Any]:
    """What Cognito's token endpoint gives for a federated user: tokens moto's pool issued for the
    user, the id token carrying the email (and the federated user's name) as Cognito's does."""
    accounts = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.region)
    accounts.create(email, email.split("@")[0])
    accounts.set_password(email, PASSWORD)
    result = aws_client("cognito-idp", desk.settings.region).initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=desk.settings.sign_in.client_id,
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    public = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-public.json")["keys"][0])
    claims = jwt.decode(result["IdToken"], public).claims
    claims.update(
        {
            "email": email,
            "cognito:username": f"{PROVIDER}_{claims['sub']}",
            "identities": [{"providerName": PROVIDER}],
        }
    )
    private = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    id_token = jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, private)
    return {
        "access_token": result["AccessToken"],
        "id_token": id_token,
        "refresh_token": result["RefreshToken"],
        "expires_in": 3600,
        "token_type": "Bearer",
    }


@dataclass(frozen=True)
class Started:
    state: str
    challenge: str
    nonce: str
    query: dict[str, str]
    location: str
    set_cookie: str


def _start(client: Client, return_to: str | None = None) -> Started:
    path = "/session/sso" + (f"?{urlencode({'return_to': return_to})}" if return_to is not None else "")
    answer = client.http.get(path)
    assert answer.status_code == 302, answer.body
    location = answer.headers["Location"]
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    match = re.match(rf"{SSO_COOKIE}=([^;]+);", answer.headers["Set-Cookie"])
    assert match, answer.headers["Set-Cookie"]
    return Started(
        query["state"], query["code_challenge"], match.group(1), query, location, answer.headers["Set-Cookie"]
    )


def _callback(client: Client, code: str, state: str, nonce: str | None, **headers: str) -> Any:
    cookie = {"Cookie": f"{SSO_COOKIE}={nonce}"} if nonce else {}
    return client.http.get(
        f"/session/sso?{urlencode({'code': code, 'state': state})}", headers={**cookie, **headers}
    )


def _session_id(answer: Any) -> str:
    match = re.match(rf"{SESSION_COOKIE}=([^;]+);", answer.headers.get("Set-Cookie", ""))
    assert match, answer.headers
    return match.group(1)


# -- not set up --------------------------------------------------------------------------------------


def test_a_desk_without_single_sign_on_answers_404_in_words_and_says_so(desk: Desk, client: Client) -> None:
    answer = client.http.get("/session/sso")
    assert answer.status_code == 404
    assert "offers no single sign-on" in body_of(answer)["message"]
    assert client.http.get("/session/sso?code=x&state=y").status_code == 404
    options = client.http.get("/session/options")
    assert options.status_code == 200 and body_of(options) == {"sso": False, "sso_provider": None}


def test_the_options_name_the_provider_when_single_sign_on_is_set(sso: TokenEndpoint, client: Client) -> None:
    assert body_of(client.http.get("/session/options")) == {"sso": True, "sso_provider": PROVIDER}


# -- starting ----------------------------------------------------------------------------------------


def test_starting_sends_the_browser_to_the_provider_with_state_and_pkce(
    desk: Desk, sso: TokenEndpoint, client: Client
) -> None:
    started = _start(client, "/console#/tickets/T-1")

    assert started.location.startswith(f"{sso.domain}/oauth2/authorize?")
    assert {
        name: value for name, value in started.query.items() if name not in {"state", "code_challenge"}
    } == {
        "response_type": "code",
        "client_id": desk.settings.sign_in.client_id,
        "redirect_uri": f"{PUBLIC_URL}/session/sso",
        "identity_provider": PROVIDER,
        "scope": "openid email profile",
        "code_challenge_method": "S256",
    }
    assert len(started.state) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]{43}", started.challenge)
    attributes = [part.strip() for part in started.set_cookie.split(";")]
    assert set(attributes[1:]) == {"Max-Age=600", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"}
    # Kept server-side under a hash of the state; neither the state nor the nonce is stored
    item = SsoItem.get(SSO_PREFIX + hashlib.sha256(started.state.encode()).hexdigest(), consistent_read=True)
    assert item.return_to == "/console#/tickets/T-1"
    stored = json.dumps(item.attribute_values)
    assert started.state not in stored and started.nonce not in stored
    # A second start has its own state and verifier
    again = _start(client)
    assert again.state != started.state and again.challenge != started.challenge


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/console",
        "//evil.example/console",
        "/tickets",
        "/console/../session",
        "/\\evil.example",
    ],
)
def test_a_return_address_that_is_not_a_console_link_is_a_400(
    sso: TokenEndpoint, client: Client, return_to: str
) -> None:
    answer = client.http.get(f"/session/sso?{urlencode({'return_to': return_to})}")
    assert answer.status_code == 400 and "console address" in body_of(answer)["message"]


# -- the provider's answer -------------------------------------------------------------------------------


def test_an_invited_agent_is_signed_in_and_returned_to_the_deep_link(
    desk: Desk, sso: TokenEndpoint, client: Client
) -> None:
    _agent(desk, "sam@example.com")
    started = _start(client, "/console#/tickets/T-7?tab=notes")
    sso.issue("the-code", started.challenge, _provider_tokens(desk, "sam@example.com"))

    answer = _callback(client, "the-code", started.state, started.nonce)

    assert answer.status_code == 302, answer.body
    assert answer.headers["Location"] == f"{PUBLIC_URL}/console#/tickets/T-7?tab=notes"
    # The code was exchanged as a public client with the PKCE verifier (the stand-in checked it)
    assert len(sso.received) == 1
    assert sso.received[0]["grant_type"] == "authorization_code" and "client_secret" not in sso.received[0]
    # The same session a password sign-in makes: Strict cookie, hashed item, the API served
    attributes = [part.strip() for part in answer.headers["Set-Cookie"].split(";")]
    assert "SameSite=Strict" in attributes and "HttpOnly" in attributes
    session_id = _session_id(answer)
    assert SessionItem.get(session_key(session_id), consistent_read=True).email == "sam@example.com"
    me = client.http.get("/me", headers={"Cookie": f"{SESSION_COOKIE}={session_id}"})
    assert me.status_code == 200 and body_of(me)["email"] == "sam@example.com"
    session = client.http.get("/session", headers={"Cookie": f"{SESSION_COOKIE}={session_id}"})
    assert session.status_code == 200 and body_of(session)["csrf_token"]
    now = datetime.now(UTC)
    entries = AccessAudit(desk.settings.sign_in.access_audit_table, desk.settings.region).entries(
        now - timedelta(days=1), now + timedelta(days=1)
    )
    sign_ins = [entry for entry in entries.entries if entry.action.value == "sign_in"]
    assert [(entry.actor, entry.detail.get("method")) for entry in sign_ins] == [("sam@example.com", "sso")]
    # The state serves once
    reused = _callback(client, "the-code", started.state, started.nonce)
    assert reused.status_code == 401 and "start again" in body_of(reused)["message"]


def test_no_deep_link_returns_to_the_console(desk: Desk, sso: TokenEndpoint, client: Client) -> None:
    _agent(desk, "sam@example.com")
    started = _start(client)
    sso.issue("c", started.challenge, _provider_tokens(desk, "sam@example.com"))
    answer = _callback(client, "c", started.state, started.nonce)
    assert answer.status_code == 302 and answer.headers["Location"] == f"{PUBLIC_URL}/console"


def test_a_person_who_is_not_an_agent_is_refused_in_words(
    desk: Desk, sso: TokenEndpoint, client: Client
) -> None:
    started = _start(client)
    sso.issue("c", started.challenge, _provider_tokens(desk, "Stranger@Example.com"))

    answer = _callback(client, "c", started.state, started.nonce)

    assert answer.status_code == 403
    assert body_of(answer)["message"] == (
        "Your account at Okta is not an agent of this desk: ask an admin to invite stranger@example.com."
    )
    assert "Set-Cookie" not in answer.headers


def test_a_browser_is_told_as_a_page_and_a_deactivated_agent_is_refused(
    desk: Desk, sso: TokenEndpoint, client: Client
) -> None:
    _agent(desk, "sam@example.com")
    AgentStore(desk.settings.tables.agents, desk.settings.region).revoke("sam@example.com")
    started = _start(client)
    sso.issue("c", started.challenge, _provider_tokens(desk, "sam@example.com"))

    answer = _callback(client, "c", started.state, started.nonce, Accept="text/html,*/*")

    assert answer.status_code == 403
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'"
    page = answer.body.decode() if isinstance(answer.body, bytes) else answer.body
    assert (
        "Your account at Okta is not an agent of this desk: ask an admin to invite sam@example.com." in page
    )
    assert f'href="{PUBLIC_URL}/console"' in page and "Set-Cookie" not in answer.headers


def test_a_wrong_state_or_another_browser_is_refused(desk: Desk, sso: TokenEndpoint, client: Client) -> None:
    _agent(desk, "sam@example.com")
    started = _start(client)
    other = _start(client)
    sso.issue("c", started.challenge, _provider_tokens(desk, "sam@example.com"))

    made_up = _callback(client, "c", "made-up-state", started.nonce)
    no_cookie = _callback(client, "c", started.state, None)
    # The state was spent by the cookieless try: the right cookie no longer helps
    late = _callback(client, "c", started.state, started.nonce)
    other_browser = _callback(client, "c", other.state, started.nonce)

    for answer in (made_up, no_cookie, late, other_browser):
        assert answer.status_code == 401 and "start again" in body_of(answer)["message"]
        assert "Set-Cookie" not in answer.headers
    assert sso.received == []  # no code was exchanged for any of them


def test_an_expired_start_is_refused(desk: Desk, sso: TokenEndpoint, client: Client) -> None:
    _agent(desk, "sam@example.com")
    started = _start(client)
    sso.issue("c", started.challenge, _provider_tokens(desk, "sam@example.com"))
    runtime.use_clock(lambda: datetime.now(UTC) + timedelta(minutes=11))
    try:
        answer = _callback(client, "c", started.state, started.nonce)
    finally:
        runtime.use_clock(None)
    assert answer.status_code == 401 and "start again" in body_of(answer)["message"]


def test_a_code_the_token_endpoint_refuses_or_a_wrong_verifier_is_a_401(
    desk: Desk, sso: TokenEndpoint, client: Client
) -> None:
    _agent(desk, "sam@example.com")
    started = _start(client)
    unknown = _callback(client, "never-issued", started.state, started.nonce)
    assert unknown.status_code == 401 and "could not be finished" in body_of(unknown)["message"]
    # A code issued for another start's challenge: the verifier sent does not match it
    first, second = _start(client), _start(client)
    sso.issue("c", second.challenge, _provider_tokens(desk, "sam@example.com"))
    mismatched = _callback(client, "c", first.state, first.nonce)
    assert mismatched.status_code == 401 and sso.received[-1]["code_verifier"]


def test_tokens_that_are_not_the_pools_are_refused(desk: Desk, sso: TokenEndpoint, client: Client) -> None:
    _agent(desk, "sam@example.com")
    tokens = _provider_tokens(desk, "sam@example.com")
    claims = {"sub": "x", "email": "sam@example.com", "token_use": "id", "exp": int(time.time()) + 600}
    tokens["id_token"] = jwt.encode(
        {"alg": "RS256"}, {**claims, "iss": "https://elsewhere"}, RSAKey.generate_key(2048)
    )
    started = _start(client)
    sso.issue("c", started.challenge, tokens)

    answer = _callback(client, "c", started.state, started.nonce)

    assert answer.status_code == 401 and "valid tokens" in body_of(answer)["message"]
    assert "Set-Cookie" not in answer.headers


def test_the_providers_refusal_and_a_half_answer_are_said_in_words(
    sso: TokenEndpoint, client: Client
) -> None:
    denied = client.http.get("/session/sso?error=access_denied&error_description=User+cancelled&state=s")
    assert denied.status_code == 401
    assert body_of(denied)["message"] == "The sign-in at Okta did not finish (User cancelled): start again."
    assert client.http.get("/session/sso?code=only").status_code == 400
    assert client.http.get("/session/sso?colour=blue").status_code == 400
