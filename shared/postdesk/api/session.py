"""People's sessions over HTTP (docs/sign-in.md): ``POST /session`` signs in, one step at a
time, and sets the session cookie; ``GET /session`` says who is signed in and gives the CSRF token;
``DELETE /session`` signs out (``?everywhere=true``: every session of the agent); password reset by
a mailed code; and ``/me/two-step``, the account's TOTP second step. The work is in
auth/sign_in.py; here are the request's fields and the answer's cookie."""

from __future__ import annotations

import html
import re
from typing import Any

from postdesk.agents.model import Agent, Role
from postdesk.api.context import (
    SESSION_COOKIE,
    ApiContext,
    authenticated,
    require_own_origin,
    signed_in_session,
)
from postdesk.api.http import ApiRequest, ApiResponse, error_response, redirect, text_field
from postdesk.auth.sign_in import (
    ActiveSession,
    Attempt,
    NextStep,
    SignedIn,
    confirm_password_reset,
    confirm_two_step,
    csrf_token,
    request_password_reset,
    sign_in,
    sign_out,
    sign_out_everywhere,
    start_two_step,
    turn_off_two_step,
    two_step_enabled,
)
from postdesk.clock import to_iso
from postdesk.errors import BadRequest, NotAllowed, SignInRefused
from postdesk.runtime import sign_in_desk

_NO_STORE = {"Content-Type": "application/json", "Cache-Control": "no-store"}
# The browser that started a single sign-on: a nonce whose hash the sign-on's item holds.
SSO_COOKIE = "__Host-postdesk_sso"


def _cookie(value: str, max_age: int) -> str:
    # __Host-: Secure, Path=/ and no Domain, so no other host (a sibling subdomain) can set or read it.
    return f"{SESSION_COOKIE}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Strict"


def _agent(agent: Agent) -> dict[str, Any]:
    return {"email": agent.email, "name": agent.name, "role": agent.role.value}


# What the spec says an address is (docs/openapi.yaml): something, an @, something, no spaces.
_EMAIL = re.compile(r"[^@ \t\r\n]+@[^@ \t\r\n]+")
# The longest of each field the sign-in takes (RFC 5321's address; Cognito's password).
_LIMITS = {"email": 254, "password": 256, "new_password": 256, "code": 20, "challenge": 100}


def _field(document: dict[str, Any], name: str) -> str | None:
    """The string at ``name`` (None when absent); BadRequest for null, another type, one too long,
    and an email that is not an address."""
    if name in document and document[name] is None:
        raise BadRequest(f"{name} must be a string")
    value = text_field(document, name)
    limit = _LIMITS[name]
    if value is not None and len(value) > limit:
        raise BadRequest(f"{name} is over {limit} characters")
    if name == "email" and value is not None and not _EMAIL.fullmatch(value):
        raise BadRequest("email must be an email address")
    return value


def create_session(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Sign in, or take the next step of a sign-in under way."""
    request.only_query(frozenset())
    require_own_origin(request, context)
    document = request.json_body(
        frozenset({"email", "password", "code", "new_password", "challenge"}), frozenset({"email"})
    )
    attempt = Attempt(
        email=_field(document, "email") or "",
        password=_field(document, "password"),
        challenge=_field(document, "challenge"),
        code=_field(document, "code"),
        new_password=_field(document, "new_password"),
    )
    outcome = sign_in(attempt, request.caller(), sign_in_desk())
    if isinstance(outcome, NextStep):
        return ApiResponse(200, {"signed_in": False, **_next_step(outcome)}, dict(_NO_STORE))
    return _signed_in(outcome, context)


def _next_step(step: NextStep) -> dict[str, Any]:
    body: dict[str, Any] = {"next": step.next, "message": step.message}
    if step.challenge:
        body["challenge"] = step.challenge
    if step.secret:
        body["secret"] = step.secret
        body["otpauth_uri"] = step.otpauth_uri
    return body


def _signed_in(outcome: SignedIn, context: ApiContext) -> ApiResponse:
    days = context.settings.sign_in.session_days
    body = {
        "signed_in": True,
        "agent": _agent(outcome.agent),
        "csrf_token": csrf_token(context.ports.signing_key(), outcome.session_id),
        "expires_at": to_iso(outcome.session.expires_at),
    }
    return ApiResponse(200, body, {**_NO_STORE, "Set-Cookie": _cookie(outcome.session_id, days * 86400)})


def current_session(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Who is signed in with the request's cookie, and the session's CSRF token."""
    request.only_query(frozenset())
    active = signed_in_session(request, context)
    body = {
        "agent": _agent(active.agent),
        "csrf_token": csrf_token(context.ports.signing_key(), active.session_id),
        "expires_at": to_iso(active.session.expires_at),
        "mfa": active.session.two_step,
    }
    return ApiResponse(200, body, dict(_NO_STORE))


def delete_session(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Sign out: this session, or with ``everywhere=true`` every session of the agent. Ending this
    session needs no CSRF token (the worst another site could do is sign the person out) and works
    for a session that no longer passes its check; everywhere needs a valid session and its token."""
    request.only_query(frozenset({"everywhere"}))
    everywhere = request.flag("everywhere")
    session_id = request.cookie(SESSION_COOKIE) or ""
    if not session_id:
        raise SignInRefused(
            "DELETE /session signs out the session of the cookie, and this request has none "
            "(API tokens are revoked with DELETE /tokens/{key_id})."
        )
    desk = sign_in_desk()
    caller = request.caller()
    if everywhere:
        sign_out_everywhere(signed_in_session(request, context), caller, desk)
    else:
        require_own_origin(request, context)
        session = desk.sessions.get(session_id)
        if session is None:
            raise SignedOutAlready
        sign_out(session, caller, desk)
    return ApiResponse(204, None, {"Set-Cookie": _cookie("", 0), "Cache-Control": "no-store"})


class SignedOutAlready(SignInRefused):
    """The cookie names no session: it ended already (or never was)."""

    def __init__(self) -> None:
        super().__init__("This session had already ended: you are signed out.")


def start_password_reset(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Mail a reset code to the address if it is an active agent's: the same answer either way."""
    request.only_query(frozenset())
    require_own_origin(request, context)
    document = request.json_body(frozenset({"email"}), frozenset({"email"}))
    request_password_reset(_field(document, "email") or "", request.caller(), sign_in_desk())
    message = (
        "If the address is an agent's, a code is on its way to it: send it with a new password to "
        "POST /session/password-reset/confirm within 15 minutes."
    )
    return ApiResponse(202, {"message": message}, dict(_NO_STORE))


def finish_password_reset(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Set a new password with the mailed code; every session of the agent ends."""
    request.only_query(frozenset())
    require_own_origin(request, context)
    fields = frozenset({"email", "code", "new_password"})
    document = request.json_body(fields, fields)
    confirm_password_reset(
        _field(document, "email") or "",
        _field(document, "code") or "",
        _field(document, "new_password") or "",
        request.caller(),
        sign_in_desk(),
    )
    return ApiResponse(204, None, {"Cache-Control": "no-store"})


# -- /me/two-step ------------------------------------------------------------------------------------


def _session_only(request: ApiRequest, context: ApiContext) -> ActiveSession:
    """The session of a two-step change: API tokens cannot change how a person signs in."""
    if (request.header("authorization") or "").lower().startswith("bearer "):
        authenticated(request, context)
        raise NotAllowed("The two-step sign-in is changed from a signed-in session, not with an API token.")
    return signed_in_session(request, context)


def my_two_step(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Whether the agent signs in with a TOTP code, and whether it is required of them (admins)."""
    request.only_query(frozenset())
    if request.cookie(SESSION_COOKIE) and not request.header("authorization"):
        active = signed_in_session(request, context)
        agent, enabled = active.agent, active.session.two_step
    else:
        agent = authenticated(request, context)
        enabled = two_step_enabled(agent, sign_in_desk())
    return ApiResponse(200, {"enabled": enabled, "required": agent.role is Role.ADMIN}, dict(_NO_STORE))


def begin_two_step(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Start enrolling an authenticator: its secret and otpauth URI (shown this once)."""
    request.only_query(frozenset())
    active = _session_only(request, context)
    step = start_two_step(active, sign_in_desk())
    return ApiResponse(
        200,
        {"message": step.message, "secret": step.secret, "otpauth_uri": step.otpauth_uri},
        dict(_NO_STORE),
    )


def confirm_my_two_step(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Turn the second step on with the authenticator's first code."""
    request.only_query(frozenset())
    active = _session_only(request, context)
    document = request.json_body(frozenset({"code"}), frozenset({"code"}))
    confirm_two_step(active, _field(document, "code") or "", request.caller(), sign_in_desk())
    return ApiResponse(200, {"enabled": True, "required": active.agent.role is Role.ADMIN}, dict(_NO_STORE))


def end_my_two_step(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Turn the second step off (agents only: admins keep theirs), with the current password and
    the authenticator's code as proof."""
    request.only_query(frozenset())
    active = _session_only(request, context)
    # No field is required here: an admin hears first that theirs stays on, whatever was sent.
    document = request.json_body(frozenset({"password", "code"}))
    turn_off_two_step(
        active,
        _field(document, "password") or "",
        _field(document, "code") or "",
        request.caller(),
        sign_in_desk(),
    )
    return ApiResponse(204, None, {"Cache-Control": "no-store"})


# -- single sign-on (auth/sso.py) ----------------------------------------------------------------------


def _sso_cookie(value: str, max_age: int) -> str:
    # SameSite=Lax, not Strict: the provider's answer comes back to /session/sso as a top-level
    # navigation from another site (Cognito's hosted domain), and a Strict cookie is not sent with
    # it, so no sign-on could ever finish. Lax sends it on top-level GET navigations only, which is
    # all this route is; the cookie lets in nobody by itself (it only matches the state's item).
    return f"{SSO_COOKIE}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax"


def session_options(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """How people may sign in to this desk: always with a password; single sign-on and its
    provider's name when the desk offers it (the console shows "Sign in with <provider>" then)."""
    from postdesk.auth import sso

    request.only_query(frozenset())
    offered = sso.offered(context.settings)
    body = {"sso": offered, "sso_provider": context.settings.sign_in.sso_provider if offered else None}
    return ApiResponse(200, body, dict(_NO_STORE))


def single_sign_on(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Without ``code``: send the browser to the identity provider (through Cognito's hosted domain).
    With ``code`` and ``state``: the provider's answer; the session is made and the browser sent to
    the console (the deep link it started from kept). A browser (Accept: text/html) is answered a
    refusal as a page in words, anything else as JSON."""
    try:
        return _single_sign_on(request, context)
    except Exception as error:
        answer = error_response(error)
        if answer.status < 500 and "text/html" in (request.header("accept") or ""):
            return _refusal_page(answer, context)
        raise


def _single_sign_on(request: ApiRequest, context: ApiContext) -> ApiResponse:
    from postdesk.auth import sso

    if not sso.offered(context.settings):
        raise sso.SsoNotOffered
    request.only_query(frozenset({"return_to", "code", "state", "error", "error_description"}))
    provider = context.settings.sign_in.sso_provider
    if request.query.get("error"):
        said = (request.query.get("error_description") or request.query["error"])[:200]
        raise SignInRefused(f"The sign-in at {provider} did not finish ({said}): start again.")
    code, state = request.query.get("code"), request.query.get("state")
    if not code and not state:
        started = sso.start(request.query.get("return_to"), sign_in_desk())
        headers = {
            "Set-Cookie": _sso_cookie(started.browser_nonce, int(sso.SSO_LIFETIME.total_seconds())),
            "Cache-Control": "no-store",
        }
        return redirect(302, started.authorize_url, headers)
    if not code or not state:
        raise BadRequest("the provider's answer carries both code and state: start again")
    finished = sso.finish(code, state, request.cookie(SSO_COOKIE) or "", request.caller(), sign_in_desk())
    days = context.settings.sign_in.session_days
    # The sign-on's cookie is left to expire (ten minutes): the state it matched is used up. The
    # console, loaded next, asks GET /session (a same-site request) for the CSRF token.
    headers = {
        "Set-Cookie": _cookie(finished.signed_in.session_id, days * 86400),
        "Cache-Control": "no-store",
    }
    return redirect(302, context.settings.survey.public_url + finished.return_to, headers)


def _refusal_page(answer: ApiResponse, context: ApiContext) -> ApiResponse:
    message = str((answer.body or {}).get("message", "")) if isinstance(answer.body, dict) else ""
    console = html.escape(f"{context.settings.survey.public_url}/console", quote=True)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Single sign-on did not finish · Postdesk</title></head><body><main>"
        "<h1>Single sign-on did not finish</h1>"
        f"<p>{html.escape(message)}</p>"
        f'<p><a href="{console}">Back to the sign-in page</a></p>'
        "</main></body></html>"
    )
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'",
        "Cache-Control": "no-store",
    }
    return ApiResponse(answer.status, page, headers)
