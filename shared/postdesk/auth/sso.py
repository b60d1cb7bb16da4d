"""Single sign-on through the user pool's federation (docs/sign-in.md, "Single sign-on"): the
person signs in at the desk's identity provider (SAML or OIDC) through Cognito's hosted domain, and
comes back to ``GET /session/sso`` with a code, which the desk exchanges for Cognito's tokens and
turns into the same session a password sign-in makes.

Starting: a random ``state`` and a PKCE verifier (S256) are kept server-side, ten minutes, under
``SSO#<sha256 of state>`` in the sessions table, with where to return (a console deep link) and
the hash of a random nonce that a short-lived cookie gives the browser that started. Finishing: the
state names its item (used once), the cookie must be that browser's, the code is exchanged at
``<domain>/oauth2/token`` with the verifier (a public client: no secret), both tokens are checked
(auth/token_check.py), and only an invited, active agent with the id token's email is let in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from postdesk.agents.model import AgentNotFound
from postdesk.auth.audit import Caller
from postdesk.auth.cognito_signin import Tokens
from postdesk.auth.sessions import digest
from postdesk.auth.sign_in import SignedIn, SignInDesk, issue_session, normalized
from postdesk.auth.sso_starts import SsoStarts
from postdesk.auth.token_check import TokenRejected
from postdesk.errors import BadRequest, NotAllowed, NotFound, SignInRefused, Unavailable
from postdesk.settings import Settings

# From the button to the provider's answer: long enough to type a password and a second factor.
SSO_LIFETIME = timedelta(minutes=10)
SCOPES = "openid email profile"
# Where a sign-in returns when it was given no deep link, and the one place it may return to.
CONSOLE_PATH = "/console"
_RETURN_LIMIT = 2000
_EXCHANGE_TIMEOUT_SECONDS = 10
_START_AGAIN = "This single sign-on is not the one this browser started, or it has expired: start again."


class SsoNotOffered(NotFound):
    """The desk has no identity provider (POSTDESK_SSO_PROVIDER, POSTDESK_SSO_DOMAIN unset)."""

    def __init__(self) -> None:
        super().__init__(
            "This desk offers no single sign-on: sign in with your email and password (POST /session)."
        )


@dataclass(frozen=True, slots=True)
class SsoStart:
    """Where to send the browser (Cognito's authorize URL) and the nonce its cookie keeps."""

    authorize_url: str
    browser_nonce: str


@dataclass(frozen=True, slots=True)
class SsoFinish:
    """The session made, and the console address to return to."""

    signed_in: SignedIn
    return_to: str


def offered(settings: Settings) -> bool:
    """Whether the desk offers single sign-on: a provider, the hosted domain, the app client and the
    desk's public address (the callback Cognito returns to)."""
    sign_in = settings.sign_in
    return bool(
        sign_in.sso_provider and sign_in.sso_domain and sign_in.client_id and settings.survey.public_url
    )


def callback_url(settings: Settings) -> str:
    """``<POSTDESK_PUBLIC_URL>/session/sso``: exactly the callback the template registers."""
    return f"{settings.survey.public_url}/session/sso"


def safe_return(return_to: str | None) -> str:
    """A console deep link of this desk (``/console``, its query and #fragment), else BadRequest:
    never another site, nor another path of this one."""
    if not return_to:
        return CONSOLE_PATH
    if len(return_to) > _RETURN_LIMIT or any(ord(character) < 0x21 for character in return_to):
        raise BadRequest("return_to must be a console address (/console#...) without spaces")
    parts = urlsplit(return_to)
    if (
        parts.scheme
        or parts.netloc
        or "\\" in return_to
        or (parts.path != CONSOLE_PATH and parts.path != CONSOLE_PATH + "/")
    ):
        raise BadRequest("return_to must be a console address of this desk: /console, /console#/tickets/...")
    return return_to


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url (no padding) of the verifier's SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start(return_to: str | None, desk: SignInDesk) -> SsoStart:
    """Begin a sign-on: keep its state, verifier and deep link, and say where to send the browser."""
    settings = desk.settings
    if not offered(settings):
        raise SsoNotOffered
    back = safe_return(return_to)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43 to 128
    nonce = secrets.token_urlsafe(32)
    SsoStarts(settings.sign_in.sessions_table, settings.sign_in.region).save(
        state, verifier, nonce, back, desk.now() + SSO_LIFETIME
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.sign_in.client_id,
            "redirect_uri": callback_url(settings),
            "identity_provider": settings.sign_in.sso_provider,
            "scope": SCOPES,
            "state": state,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return SsoStart(f"{settings.sign_in.sso_domain}/oauth2/authorize?{query}", nonce)


def finish(code: str, state: str, browser_nonce: str, caller: Caller, desk: SignInDesk) -> SsoFinish:
    """Finish a sign-on the provider answered: the session of the invited, active agent whose email
    the id token holds. SignInRefused in words for a wrong, used or expired state, another browser's
    or a refused code; NotAllowed in words for an address that is no active agent's."""
    settings = desk.settings
    if not offered(settings):
        raise SsoNotOffered
    provider = settings.sign_in.sso_provider
    item = SsoStarts(settings.sign_in.sessions_table, settings.sign_in.region).take(state)
    if (
        item is None
        or datetime.fromtimestamp(int(item.expires_at), UTC) <= desk.now()
        or not browser_nonce
        or not hmac.compare_digest(item.browser_hash, digest(browser_nonce))
    ):
        raise SignInRefused(_START_AGAIN)
    tokens = exchange_code(settings, code, item.verifier)
    try:
        access = desk.tokens.access_token(tokens.access_token)
        identity = desk.tokens.id_token(tokens.id_token)
    except TokenRejected:
        raise SignInRefused(
            f"The sign-in at {provider} did not give this desk valid tokens: start again."
        ) from None
    if identity.subject != access.subject:
        raise SignInRefused(f"The sign-in at {provider} did not give this desk valid tokens: start again.")
    email = normalized(identity.email)
    if not email:
        raise NotAllowed(
            f"Your account at {provider} gave the desk no email address: ask an admin to map the "
            "provider's email to the user pool's email attribute."
        )
    try:
        agent = desk.ports.agents.get(email)
    except AgentNotFound:
        agent = None
    if agent is None or not agent.active:
        raise NotAllowed(
            f"Your account at {provider} is not an agent of this desk: ask an admin to invite {email}."
        )
    # The provider asked for its own second factor, if it has one; Cognito's TOTP is not asked here.
    signed_in = issue_session(tokens, email, caller, desk, two_step=False, method="sso")
    return SsoFinish(signed_in, item.return_to)


def exchange_code(settings: Settings, code: str, verifier: str) -> Tokens:
    """Cognito's tokens for an authorization code (``<domain>/oauth2/token``, the public client's
    POST with the PKCE verifier). SignInRefused in words when Cognito refuses the code."""
    url = f"{settings.sign_in.sso_domain}/oauth2/token"
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not local:
        raise Unavailable("the single sign-on domain is reached over HTTPS only; check POSTDESK_SSO_DOMAIN")
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": settings.sign_in.client_id,
            "code": code,
            "redirect_uri": callback_url(settings),
            "code_verifier": verifier,
        }
    ).encode("ascii")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=form,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=_EXCHANGE_TIMEOUT_SECONDS) as answer:  # noqa: S310
            document = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500:
            raise SignInRefused(
                f"The sign-in at {settings.sign_in.sso_provider} could not be finished (the code was "
                "refused, or used already): start again."
            ) from None
        raise Unavailable("the single sign-on domain did not answer; try again in a moment") from error
    except (OSError, ValueError) as error:
        raise Unavailable("the single sign-on domain did not answer; try again in a moment") from error
    if not isinstance(document, dict) or not all(
        isinstance(document.get(name), str) for name in ("access_token", "id_token", "refresh_token")
    ):
        raise Unavailable("the single sign-on domain answered without tokens; try again in a moment")
    return Tokens(
        access_token=document["access_token"],
        id_token=document["id_token"],
        refresh_token=document["refresh_token"],
        expires_in=int(document.get("expires_in") or 3600),
    )
