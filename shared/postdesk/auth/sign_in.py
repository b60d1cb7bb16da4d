"""People signing in (docs/sign-in.md, "How a session works"): the steps of ``POST /session``, the
check of a session on every request, signing out, password reset by a code the desk mails, and
the account's two-step sign-in (TOTP).

A sign-in is one or more steps. Email and password first; Cognito may then ask for a new password
(a temporary one's first sign-in) or a TOTP code, and an admin without an authenticator must enrol
one before any session is issued. Each further step is kept server-side (auth/sessions.py, five
minutes) under an opaque ``challenge`` the caller sends back with the email and what the answer
asked for. The Cognito tokens stay on the server; the browser holds a random session id only.

Every request with a session cookie: the session item, the agent (inactive, or
``sessions_valid_after`` later than the session's start: refused at once), the access token
checked (auth/token_check.py) and refreshed with the refresh token when it has expired or is
about to, and at most once a minute a look at Cognito (GetUser), so an account disabled or signed
out everywhere in Cognito loses its sessions within a minute."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlencode

from postdesk.agents.model import Agent, AgentNotFound, Role
from postdesk.auth.audit import AccessAction, AccessAudit, Caller
from postdesk.auth.cognito_signin import (
    PASSWORD_RULES,
    Challenge,
    CognitoSignIn,
    SignedOut,
    SignInAnswer,
    StepExpired,
    Tokens,
    WrongCode,
    WrongPassword,
)
from postdesk.auth.sessions import STEP_LIFETIME, Session, SessionStore, Step
from postdesk.auth.throttle import FailedSignIns
from postdesk.auth.token_check import TokenCheck, TokenRejected
from postdesk.errors import (
    BadRequest,
    ConfigurationError,
    NotAllowed,
    NotFound,
    SignInRefused,
    TooManyRequests,
)
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.settings import Settings

# A session looks at Cognito (GetUser) at most this often: the longest a disabled account keeps one.
RECHECK = timedelta(minutes=1)
# The access token is refreshed this long before it expires, so no request meets it expired.
REFRESH_AHEAD = timedelta(minutes=5)
RESET_CODE_DIGITS = 8
# One reset mail a minute per address at most: asking again sooner mails nothing.
RESET_MAIL_INTERVAL = timedelta(minutes=1)

NEW_PASSWORD = "new_password"  # noqa: S105 - the name of a step
CODE = "code"
TOTP_SETUP = "totp_setup"

_SESSION_ENDED = "Your session has ended: sign in again."
_WRONG_RESET_CODE = "The code is not right or has expired: ask for a new one (POST /session/password-reset)."


@dataclass(frozen=True, slots=True)
class SignInDesk:
    """What signing in works with: the desk's settings and ports, Cognito's user side and admin
    side, the token check, the sessions table, the failure counters and the access audit."""

    settings: Settings
    ports: Ports
    cognito: CognitoSignIn
    accounts: AccountsPort
    tokens: TokenCheck
    sessions: SessionStore
    failures: FailedSignIns
    audit: AccessAudit

    def now(self) -> datetime:
        return self.ports.clock()


class AccountsPort(Protocol):
    """The admin-side calls signing in needs (auth/accounts.py, CognitoAccounts)."""

    def set_password(self, email: str, password: str) -> None: ...

    def sign_out_everywhere(self, email: str) -> None: ...

    def two_step_enabled(self, email: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Attempt:
    """One ``POST /session``: the email and either the password (with, when already known to be
    asked, the code or the new password) or a ``challenge`` continuing a step."""

    email: str
    password: str | None = None
    challenge: str | None = None
    code: str | None = None
    new_password: str | None = None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session was issued: ``session_id`` goes into the cookie, shown this once."""

    session_id: str
    session: Session
    agent: Agent


@dataclass(frozen=True, slots=True)
class NextStep:
    """The sign-in needs another step: ``next`` names it, ``message`` says in words what to send."""

    next: str
    message: str
    challenge: str
    secret: str = ""
    otpauth_uri: str = ""


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A session that passed its check, with its agent and its cookie's id."""

    session_id: str
    session: Session
    agent: Agent


def csrf_token(signing_key: bytes, session_id: str) -> str:
    """The CSRF token of a session: hex HMAC-SHA256 of its id under the desk's signing key."""
    return hmac.new(signing_key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_matches(signing_key: bytes, session_id: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(signing_key, session_id), given.strip().lower())


def normalized(email: str) -> str:
    return email.strip().lower()


# -- POST /session ---------------------------------------------------------------------------------


def sign_in(attempt: Attempt, caller: Caller, desk: SignInDesk) -> SignedIn | NextStep:
    """Carry out one step of a sign-in. Raises TooManyRequests after too many failures (per
    address and per source IP), SignInRefused in words for a wrong password or code or a step
    that has expired, BadRequest when the step's answer is missing."""
    email = normalized(attempt.email)
    if not email:
        raise BadRequest("send your email address (email)")
    if not desk.settings.sign_in.user_pool_id:
        raise ConfigurationError("this desk has no sign-in for people (no user pool): use an API token")
    now = desk.now()
    try:
        desk.failures.check(email, caller.source_ip, now)
    except TooManyRequests:
        _record(desk, AccessAction.SIGN_IN_THROTTLED, email, caller)
        raise
    try:
        if attempt.challenge:
            return _continue(attempt, email, caller, desk)
        if not attempt.password:
            raise BadRequest("send your email and password (email, password)")
        answer = desk.cognito.password(email, attempt.password)
        return _after(answer, attempt, email, caller, desk, two_step_used=False)
    except (WrongPassword, WrongCode) as refused:
        desk.failures.record_failure(email, caller.source_ip, now)
        reason = "wrong code" if isinstance(refused, WrongCode) else "wrong email or password"
        _record(desk, AccessAction.SIGN_IN_FAILED, email, caller, reason=reason)
        raise


def _continue(attempt: Attempt, email: str, caller: Caller, desk: SignInDesk) -> SignedIn | NextStep:
    step = desk.sessions.step(attempt.challenge or "")
    if step is None or step.email != email or step.expires_at <= desk.now():
        raise StepExpired
    asked = _ASKED_BY_KIND.get(step.kind)
    if asked is not None:
        given = asked.given(attempt)
        if not given:
            raise BadRequest(asked.missing)
        answer = asked.send(desk.cognito, _challenge(step), email, given)
        desk.sessions.finish_step(step)
        return _after(answer, attempt, email, caller, desk, two_step_used=asked.two_step)
    if step.kind == TOTP_SETUP:
        if not attempt.code:
            raise BadRequest(
                "send the first code your authenticator app shows (code) with the email and the challenge"
            )
        desk.cognito.verify_totp(_code(attempt.code), access_token=step.access_token)
        desk.cognito.prefer_totp(step.access_token, enabled=True)
        desk.sessions.finish_step(step)
        _record(desk, AccessAction.TWO_STEP_ENABLED, email, caller)
        tokens = Tokens(step.access_token, step.id_token, step.refresh_token, 0)
        return issue_session(tokens, email, caller, desk, two_step=True)
    raise StepExpired


def _after(
    answer: SignInAnswer,
    attempt: Attempt,
    email: str,
    caller: Caller,
    desk: SignInDesk,
    *,
    two_step_used: bool,
) -> SignedIn | NextStep:
    """What follows Cognito's answer: a session, or the next step (answered at once when the
    attempt already carries it)."""
    if isinstance(answer, Tokens):
        agent = _active_agent(email, desk)
        if agent.role is Role.ADMIN and not two_step_used:
            return _enrol(answer, email, desk)
        return issue_session(answer, email, caller, desk, two_step=two_step_used)
    asked = _ASKED.get(answer.name)
    if asked is None:
        raise ConfigurationError(
            f"Cognito asked for a sign-in step the desk does not handle ({answer.name}): "
            "check the user pool's MFA setting (OPTIONAL, software tokens)"
        )
    given = asked.given(attempt)
    if given and not attempt.challenge:
        return _after(
            asked.send(desk.cognito, answer, email, given),
            asked.spent(attempt),
            email,
            caller,
            desk,
            two_step_used=asked.two_step,
        )
    challenge = _save_step(desk, email, asked.kind, cognito_session=answer.session, username=answer.username)
    return NextStep(asked.kind, asked.ask, challenge)


@dataclass(frozen=True, slots=True)
class _AskedStep:
    """A step Cognito asks for that one field of an attempt answers: saved under ``kind`` and asked
    for in the words ``ask``, or answered at once when the attempt already carries the field."""

    kind: str
    field: Literal["new_password", "code"]
    # Whether answering it is the second step of a two-step sign-in.
    two_step: bool
    ask: str
    # The words of the BadRequest when a continuing attempt lacks the field.
    missing: str
    send: Callable[[CognitoSignIn, Challenge, str, str], SignInAnswer]

    def given(self, attempt: Attempt) -> str | None:
        """What ``attempt`` answers this step with (None or "": nothing)."""
        given: str | None = getattr(attempt, self.field)
        return given

    def spent(self, attempt: Attempt) -> Attempt:
        """``attempt`` without the field once it answered the step, so it answers no later one."""
        changes: dict[str, Any] = {self.field: None}
        return replace(attempt, **changes)


# The steps Cognito may ask for that the desk handles, by Cognito's name for them.
_ASKED = {
    "NEW_PASSWORD_REQUIRED": _AskedStep(
        kind=NEW_PASSWORD,
        field="new_password",
        two_step=False,
        ask="Your password is temporary: choose your own. Send email, challenge and new_password "
        f"({PASSWORD_RULES}).",
        missing="send your new password (new_password) with the email and the challenge",
        send=lambda cognito, challenge, email, given: cognito.new_password(challenge, email, given),
    ),
    "SOFTWARE_TOKEN_MFA": _AskedStep(
        kind=CODE,
        field="code",
        two_step=True,
        ask="Send email, challenge and code: the 6 digits your authenticator app shows for this desk.",
        missing="send the code of your authenticator app (code) with the email and the challenge",
        send=lambda cognito, challenge, email, given: cognito.totp_code(challenge, email, _code(given)),
    ),
}
_ASKED_BY_KIND = {asked.kind: asked for asked in _ASKED.values()}


def _enrol(tokens: Tokens, email: str, desk: SignInDesk) -> NextStep:
    """An admin signed in without a second factor: no session until an authenticator is enrolled."""
    secret, _ = desk.cognito.start_totp(access_token=tokens.access_token)
    challenge = _save_step(
        desk,
        email,
        TOTP_SETUP,
        access_token=tokens.access_token,
        id_token=tokens.id_token,
        refresh_token=tokens.refresh_token,
    )
    return NextStep(
        TOTP_SETUP,
        "Admins sign in with a second step. Add this desk to your authenticator app (the secret, or "
        "the otpauth_uri as a QR code), then send email, challenge and code: the 6 digits it shows.",
        challenge,
        secret=secret,
        otpauth_uri=otpauth_uri(secret, email, desk.settings.support_name),
    )


def otpauth_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (from a QR code)."""
    label = quote(f"{issuer}:{email}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": "6", "period": "30"}
    )
    return f"otpauth://totp/{label}?{query}"


def issue_session(
    tokens: Tokens, email: str, caller: Caller, desk: SignInDesk, *, two_step: bool, method: str = "password"
) -> SignedIn:
    """The one place a session is made, after Cognito signed the person in (``method``: password,
    or sso through the pool's federation, auth/sso.py): the agent must be active; the sign_in audit
    entry says how."""
    agent = _active_agent(email, desk)
    now = desk.now()
    session_id, session = desk.sessions.open(
        Session(
            key="",
            email=email,
            access_token=tokens.access_token,
            id_token=tokens.id_token,
            refresh_token=tokens.refresh_token,
            created_at=now,
            last_seen_at=now,
            checked_at=now,
            expires_at=now + timedelta(days=desk.settings.sign_in.session_days),
            ip=caller.source_ip,
            user_agent=caller.user_agent,
            two_step=two_step,
        )
    )
    _record(desk, AccessAction.SIGN_IN, email, caller, two_step="yes" if two_step else "no", method=method)
    logger.info("signed in", extra={"agent": mask_address(email), "two_step": two_step})
    return SignedIn(session_id, session, agent)


def _active_agent(email: str, desk: SignInDesk) -> Agent:
    """The agent of a sign-in Cognito accepted; refused in words when there is none, or inactive."""
    try:
        agent = desk.ports.agents.get(email)
    except AgentNotFound:
        agent = None
    if agent is None or not agent.active:
        raise SignInRefused("This account is not an active agent of the desk: ask an admin.")
    return agent


def _save_step(desk: SignInDesk, email: str, kind: str, **held: str) -> str:
    """Keep the step ``kind`` of ``email``'s sign-in, with what answering it needs (Cognito's session
    and user name, or the tokens), for STEP_LIFETIME; its challenge, for the caller to send back."""
    challenge, _ = desk.sessions.save_step(
        Step(key="", email=email, kind=kind, expires_at=desk.now() + STEP_LIFETIME, **held)
    )
    return challenge


def _challenge(step: Step) -> Challenge:
    return Challenge(name=step.kind, session=step.cognito_session, username=step.username or step.email)


def _code(code: str) -> str:
    digits = code.strip().replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == 6):
        raise BadRequest("the code is the 6 digits your authenticator app shows")
    return digits


# -- every request with a session cookie -----------------------------------------------------------


def check_session(session_id: str, desk: SignInDesk) -> ActiveSession:
    """The session the cookie names, checked: the agent active and their sessions not ended since,
    the access token valid (refreshed when it expires soon), Cognito asked at most once a minute.
    SignInRefused in words otherwise (the session is then deleted)."""
    if not desk.settings.sign_in.sessions_table:
        raise SignInRefused("This desk has no sign-in for people: send an API token (Authorization: Bearer).")
    session = desk.sessions.get(session_id) if session_id else None
    now = desk.now()
    if session is None:
        raise SignInRefused(_SESSION_ENDED)
    if session.expires_at <= now:
        return _ended(desk, session, _SESSION_ENDED)
    try:
        agent = desk.ports.agents.get(session.email)
    except AgentNotFound:
        return _ended(desk, session, _SESSION_ENDED)
    if not agent.active:
        return _ended(desk, session, "This account has been deactivated: ask an admin.")
    if agent.sessions_valid_after is not None and session.created_at < agent.sessions_valid_after:
        return _ended(desk, session, "You were signed out everywhere: sign in again.")
    checked = _fresh_tokens(session, desk)
    if checked is None:
        return _ended(desk, session, _SESSION_ENDED)
    if now - checked.checked_at >= RECHECK:
        try:
            user = desk.cognito.user(checked.access_token)
        except SignedOut:
            return _ended(
                desk,
                session,
                "Your session has ended (signed out, or the account was changed): sign in again.",
            )
        if user.email and normalized(user.email) != session.email:
            return _ended(desk, session, _SESSION_ENDED)
        checked = replace(checked, checked_at=now, last_seen_at=now, two_step=user.two_step)
    if checked != session:
        desk.sessions.checked(checked)
    return ActiveSession(session_id, checked, agent)


def _fresh_tokens(session: Session, desk: SignInDesk) -> Session | None:
    """``session`` with a valid access token that is not about to expire: refreshed with the
    refresh token when needed; None when Cognito refuses the refresh (signed out, disabled)."""
    try:
        verified = desk.tokens.access_token(session.access_token)
        if verified.expires_at - desk.tokens.now() > REFRESH_AHEAD:
            return session
    except TokenRejected:
        pass
    try:
        tokens = desk.cognito.refresh(session.refresh_token)
        desk.tokens.access_token(tokens.access_token)
    except (SignedOut, TokenRejected):
        return None
    logger.info("session refreshed", extra={"agent": mask_address(session.email)})
    # A refresh is a look at Cognito: the account is enabled and not signed out everywhere.
    now = desk.now()
    return replace(
        session,
        access_token=tokens.access_token,
        id_token=tokens.id_token or session.id_token,
        checked_at=now,
        last_seen_at=now,
    )


def _ended(desk: SignInDesk, session: Session, message: str) -> ActiveSession:
    desk.sessions.end(session.key)
    raise SignInRefused(message)


# -- signing out -----------------------------------------------------------------------------------


def sign_out(active: ActiveSession | Session, caller: Caller, desk: SignInDesk) -> None:
    """End one session: its item deleted, its refresh token revoked at Cognito."""
    session = active.session if isinstance(active, ActiveSession) else active
    desk.sessions.end(session.key)
    try:
        desk.cognito.revoke(session.refresh_token)
    except Exception:  # the session is over without it: its tokens never left the server
        logger.warning(
            "the refresh token of an ended session was not revoked",
            extra={"agent": mask_address(session.email)},
        )
    _record(desk, AccessAction.SIGN_OUT, session.email, caller)


def sign_out_everywhere(active: ActiveSession, caller: Caller, desk: SignInDesk) -> None:
    """End every session of the agent: Cognito's GlobalSignOut (every refresh token revoked) and
    ``sessions_valid_after`` (every session begun before now refused at its next request)."""
    email = active.session.email
    desk.ports.agents.end_sessions(email, desk.now())
    desk.sessions.end(active.session.key)
    try:
        desk.cognito.sign_out_everywhere(active.session.access_token)
    except SignedOut:
        desk.accounts.sign_out_everywhere(email)
    _record(desk, AccessAction.SIGN_OUT_EVERYWHERE, email, caller)


# -- password reset --------------------------------------------------------------------------------


def request_password_reset(email: str, caller: Caller, desk: SignInDesk) -> None:
    """Mail an 8-digit code to ``email`` when it is an active agent's (nothing otherwise: the
    caller hears the same either way). A code is kept hashed for 15 minutes and 5 tries."""
    from postdesk.workflows.account_mail import AccountMailKind, send_account_mail

    address = normalized(email)
    now = desk.now()
    desk.failures.check(address, caller.source_ip, now)
    _record(desk, AccessAction.PASSWORD_RESET_REQUESTED, address, caller)
    try:
        agent = desk.ports.agents.get(address)
    except AgentNotFound:
        return
    if not agent.active:
        return
    earlier = desk.sessions.reset(address)
    if earlier is not None and now - earlier.created_at < RESET_MAIL_INTERVAL and earlier.expires_at > now:
        return
    code = f"{secrets.randbelow(10**RESET_CODE_DIGITS):0{RESET_CODE_DIGITS}d}"
    desk.sessions.save_reset(address, _reset_hash(desk, address, code), now)
    send_account_mail(
        AccountMailKind.PASSWORD_RESET_CODE, address, agent.name, {"code": code}, desk.settings, desk.ports
    )


def confirm_password_reset(
    email: str, code: str, new_password: str, caller: Caller, desk: SignInDesk
) -> None:
    """Set the new password when ``code`` is the mailed one, and end every session of the agent.
    SignInRefused in words for a wrong or expired code; the pool's policy refuses a weak password."""
    address = normalized(email)
    now = desk.now()
    desk.failures.check(address, caller.source_ip, now)
    reset = desk.sessions.reset(address)
    given = code.strip().replace(" ", "")
    if reset is None or reset.expires_at <= now or reset.tries_left <= 0:
        _reset_failed(address, caller, desk, now)
    assert reset is not None
    if not hmac.compare_digest(reset.code_hash, _reset_hash(desk, address, given)):
        desk.sessions.spend_reset_try(address)
        _reset_failed(address, caller, desk, now)
    desk.accounts.set_password(address, new_password)
    desk.sessions.end_reset(address)
    desk.ports.agents.end_sessions(address, now)
    desk.accounts.sign_out_everywhere(address)
    _record(desk, AccessAction.PASSWORD_RESET, address, caller)


def _reset_failed(address: str, caller: Caller, desk: SignInDesk, now: datetime) -> None:
    desk.failures.record_failure(address, caller.source_ip, now)
    _record(desk, AccessAction.SIGN_IN_FAILED, address, caller, reason="wrong or expired reset code")
    raise SignInRefused(_WRONG_RESET_CODE)


def _reset_hash(desk: SignInDesk, email: str, code: str) -> str:
    message = f"password-reset\n{email}\n{code}".encode()
    return hmac.new(desk.ports.signing_key(), message, hashlib.sha256).hexdigest()


# -- two-step sign-in (/me/two-step) -----------------------------------------------------------------


def two_step_enabled(agent: Agent, desk: SignInDesk) -> bool:
    """Whether the agent's account signs in with a TOTP code (False when it has no account)."""
    try:
        return desk.accounts.two_step_enabled(agent.email)
    except NotFound:
        return False


def start_two_step(active: ActiveSession, desk: SignInDesk) -> NextStep:
    """Begin enrolling an authenticator for the signed-in agent: the secret and its otpauth URI."""
    secret, _ = desk.cognito.start_totp(access_token=active.session.access_token)
    return NextStep(
        TOTP_SETUP,
        "Add this desk to your authenticator app (the secret, or the otpauth_uri as a QR code), then "
        "send the 6 digits it shows as code (PUT /me/two-step).",
        "",
        secret=secret,
        otpauth_uri=otpauth_uri(secret, active.session.email, desk.settings.support_name),
    )


def confirm_two_step(active: ActiveSession, code: str, caller: Caller, desk: SignInDesk) -> None:
    """Check the authenticator's first code and turn the second step on."""
    try:
        desk.cognito.verify_totp(_code(code), access_token=active.session.access_token)
    except WrongCode:
        # Forbidden, not a 401: the session stands, only this code is refused.
        raise NotAllowed(
            "The code is not right: type the 6 digits your authenticator app shows now for this desk."
        ) from None
    desk.cognito.prefer_totp(active.session.access_token, enabled=True)
    desk.sessions.checked(replace(active.session, two_step=True))
    _record(desk, AccessAction.TWO_STEP_ENABLED, active.session.email, caller)


def turn_off_two_step(
    active: ActiveSession, password: str, code: str, caller: Caller, desk: SignInDesk
) -> None:
    """Turn the second step off, on proof that the person at the session is its owner: the current
    password and the authenticator's code now, checked by signing in with them at Cognito (the
    tokens of that sign-in revoked at once). Admins keep theirs (Forbidden in words). A wrong
    password or code is refused in words and counts as a failed sign-in (throttled, audited)."""
    if active.agent.role is Role.ADMIN:
        raise NotAllowed("Admins sign in with a second step: it cannot be turned off.")
    email = active.session.email
    if not password:
        raise BadRequest("send your current password (password) to turn two-step sign-in off")
    now = desk.now()
    try:
        desk.failures.check(email, caller.source_ip, now)
    except TooManyRequests:
        _record(desk, AccessAction.SIGN_IN_THROTTLED, email, caller, reason="turning two-step sign-in off")
        raise
    try:
        proof = _signed_in_again(email, password, code, desk)
    except (WrongPassword, WrongCode) as refused:
        desk.failures.record_failure(email, caller.source_ip, now)
        what = "wrong code" if isinstance(refused, WrongCode) else "wrong password"
        _record(
            desk, AccessAction.SIGN_IN_FAILED, email, caller, reason=f"{what} turning two-step sign-in off"
        )
        # Forbidden, not a 401: the session stands, only this change is refused.
        raise NotAllowed(
            f"The {'code' if isinstance(refused, WrongCode) else 'password'} is not right: "
            "two-step sign-in stays on."
        ) from None
    try:
        desk.cognito.revoke(proof.refresh_token)
    except Exception:  # the proof's tokens never left the server
        logger.warning(
            "the refresh token of a two-step proof was not revoked", extra={"agent": mask_address(email)}
        )
    desk.cognito.prefer_totp(active.session.access_token, enabled=False)
    desk.sessions.checked(replace(active.session, two_step=False))
    _record(desk, AccessAction.TWO_STEP_DISABLED, active.session.email, caller)


def _signed_in_again(email: str, password: str, code: str, desk: SignInDesk) -> Tokens:
    """Sign ``email`` in with ``password`` and, when Cognito asks for it, the TOTP ``code``: the
    proof a change of how they sign in asks for. WrongPassword or WrongCode when either is wrong."""
    answer = desk.cognito.password(email, password)
    if isinstance(answer, Tokens):
        return answer
    if answer.name != "SOFTWARE_TOKEN_MFA":
        raise SignInRefused("Sign in again first: your account has a step to finish.")
    if not code:
        raise BadRequest("send the 6 digits your authenticator app shows now (code) with your password")
    answered = desk.cognito.totp_code(answer, email, _code(code))
    if not isinstance(answered, Tokens):
        raise SignInRefused("Sign in again first: your account has a step to finish.")
    return answered


def _record(desk: SignInDesk, action: AccessAction, actor: str, caller: Caller, **detail: str) -> None:
    desk.audit.record(action, actor, desk.now(), caller=caller, detail=detail or None)
