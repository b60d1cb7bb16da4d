"""The steps of a sign-in and the check of a session (auth/sign_in.py), on fakes of Cognito and the
sessions table: which step follows which answer, what is kept server-side, what is counted as a
failure and recorded, and when a session is refreshed, re-checked or ended."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from postdesk.agents.model import Agent, AgentNotFound, Role
from postdesk.auth.audit import Caller
from postdesk.auth.cognito_signin import (
    Challenge,
    CognitoUser,
    SignedOut,
    StepExpired,
    Tokens,
    WrongCode,
    WrongPassword,
)
from postdesk.auth.sessions import Session, Step
from postdesk.auth.sign_in import (
    RECHECK,
    Attempt,
    NextStep,
    SignedIn,
    SignInDesk,
    check_session,
    otpauth_uri,
    sign_in,
)
from postdesk.auth.throttle import FAILURE_LIMIT, FailedSignIns
from postdesk.auth.token_check import TokenRejected, VerifiedToken
from postdesk.errors import BadRequest, SignInRefused, TooManyRequests
from postdesk.settings import SignInSettings

NOW = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
CALLER = Caller(source_ip="203.0.113.9", user_agent="Firefox")
GOOD_CODE = "123456"


def _tokens(name: str, expires_in_minutes: int = 60) -> Tokens:
    expires = int((NOW + timedelta(minutes=expires_in_minutes)).timestamp())
    return Tokens(f"access-{name}-{expires}", f"id-{name}", f"refresh-{name}", 3600)


@dataclass
class FakeCognito:
    first: Tokens | Challenge | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    refreshed: Tokens | None = None
    user_answer: CognitoUser | None = None

    def password(self, email: str, password: str) -> Tokens | Challenge:
        self.calls.append(("password", email))
        if password != "right" or self.first is None:
            raise WrongPassword
        return self.first

    def new_password(self, challenge: Challenge, email: str, new_password: str) -> Tokens | Challenge:
        self.calls.append(("new_password", (challenge.session, challenge.username, new_password)))
        return _tokens("after-new-password")

    def totp_code(self, challenge: Challenge, email: str, code: str) -> Tokens | Challenge:
        self.calls.append(("totp_code", (challenge.session, code)))
        if code != GOOD_CODE:
            raise WrongCode
        return _tokens("after-code")

    def start_totp(self, *, access_token: str = "", session: str = "") -> tuple[str, str]:
        self.calls.append(("start_totp", access_token))
        return "JBSWY3DPEHPK3PXP", ""

    def verify_totp(self, code: str, *, access_token: str = "", session: str = "") -> str:
        self.calls.append(("verify_totp", (code, access_token)))
        if code != GOOD_CODE:
            raise WrongCode
        return ""

    def prefer_totp(self, access_token: str, enabled: bool) -> None:
        self.calls.append(("prefer_totp", (access_token, enabled)))

    def refresh(self, refresh_token: str) -> Tokens:
        self.calls.append(("refresh", refresh_token))
        if self.refreshed is None:
            raise SignedOut
        return self.refreshed

    def user(self, access_token: str) -> CognitoUser:
        self.calls.append(("user", access_token))
        if self.user_answer is None:
            raise SignedOut
        return self.user_answer

    def called(self, name: str) -> list[Any]:
        return [argument for called, argument in self.calls if called == name]


class FakeTokens:
    """Access tokens of the form ``access-<name>-<expiry epoch>``; anything else is refused."""

    def now(self) -> datetime:
        return NOW

    def access_token(self, token: str) -> VerifiedToken:
        if not token.startswith("access-"):
            raise TokenRejected("no")
        expires = datetime.fromtimestamp(int(token.rsplit("-", 1)[1]), UTC)
        if expires <= NOW:
            raise TokenRejected("expired")
        return VerifiedToken(subject="sub", token_use="access", expires_at=expires, claims={})


@dataclass
class FakeSessions:
    sessions: dict[str, Session] = field(default_factory=dict)
    steps: dict[str, Step] = field(default_factory=dict)
    written: list[Session] = field(default_factory=list)

    def open(self, session: Session) -> tuple[str, Session]:
        session_id = f"id{len(self.sessions)}"
        stored = replace(session, key=f"SESSION#{session_id}")
        self.sessions[session_id] = stored
        return session_id, stored

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def checked(self, session: Session) -> None:
        self.written.append(session)
        for session_id, kept in self.sessions.items():
            if kept.key == session.key:
                self.sessions[session_id] = session

    def end(self, key: str) -> None:
        self.sessions = {session_id: kept for session_id, kept in self.sessions.items() if kept.key != key}

    def save_step(self, step: Step) -> tuple[str, Step]:
        challenge = f"challenge{len(self.steps)}"
        stored = replace(step, key=f"STEP#{challenge}")
        self.steps[challenge] = stored
        return challenge, stored

    def step(self, challenge: str) -> Step | None:
        return self.steps.get(challenge)

    def finish_step(self, step: Step) -> None:
        self.steps = {challenge: kept for challenge, kept in self.steps.items() if kept.key != step.key}


class FakeCounts:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def read(self, key: str) -> int:
        return self.values.get(key, 0)

    def add_one(self, key: str, expires_at: int) -> None:
        self.values[key] = self.values.get(key, 0) + 1


@dataclass
class FakeAudit:
    entries: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def record(self, action: Any, actor: str, at: datetime, **details: Any) -> None:
        self.entries.append((str(action), actor, dict(details.get("detail") or {})))

    def actions(self) -> list[str]:
        return [action for action, _, _ in self.entries]


@dataclass
class FakeAgents:
    agents: dict[str, Agent] = field(default_factory=dict)

    def get(self, email: str) -> Agent:
        if email not in self.agents:
            raise AgentNotFound(email)
        return self.agents[email]


@dataclass
class World:
    cognito: FakeCognito
    sessions: FakeSessions
    audit: FakeAudit
    agents: FakeAgents
    counts: FakeCounts
    desk: SignInDesk


def _agent(email: str = "sam@example.com", role: Role = Role.AGENT, **changes: Any) -> Agent:
    return replace(Agent(email=email, name="Sam", role=role, active=True, created_at=NOW), **changes)


def _world(first: Tokens | Challenge | None = None, *agents: Agent) -> World:
    cognito = FakeCognito(first=first)
    sessions = FakeSessions()
    audit = FakeAudit()
    directory = FakeAgents({agent.email: agent for agent in (agents or (_agent(),))})
    counts = FakeCounts()
    ports = SimpleNamespace(agents=directory, clock=lambda: NOW, signing_key=lambda: b"key")
    settings = SimpleNamespace(
        sign_in=SignInSettings(
            user_pool_id="eu-west-1_pool", client_id="client", sessions_table="sessions", session_days=14
        ),
        support_name="Example Support",
    )
    desk = SignInDesk(
        settings=cast(Any, settings),
        ports=cast(Any, ports),
        cognito=cast(Any, cognito),
        accounts=cast(Any, None),
        tokens=cast(Any, FakeTokens()),
        sessions=cast(Any, sessions),
        failures=FailedSignIns(counts),
        audit=cast(Any, audit),
    )
    return World(cognito, sessions, audit, directory, counts, desk)


# -- the steps ----------------------------------------------------------------------------------------


def test_a_right_password_opens_a_session_with_the_tokens_kept_server_side() -> None:
    world = _world(_tokens("first"))

    outcome = sign_in(Attempt(email=" Sam@Example.com ", password="right"), CALLER, world.desk)

    assert isinstance(outcome, SignedIn)
    assert outcome.agent.email == "sam@example.com"
    assert outcome.session.refresh_token == "refresh-first"
    assert outcome.session.expires_at == NOW + timedelta(days=14)
    assert (outcome.session.ip, outcome.session.user_agent, outcome.session.two_step) == (
        "203.0.113.9",
        "Firefox",
        False,
    )
    assert world.cognito.called("password") == ["sam@example.com"]
    assert world.audit.actions() == ["sign_in"]


def test_a_wrong_password_is_counted_and_recorded_and_the_sixth_try_is_throttled() -> None:
    world = _world(_tokens("first"))
    for _ in range(FAILURE_LIMIT):
        with pytest.raises(WrongPassword):
            sign_in(Attempt(email="sam@example.com", password="wrong"), CALLER, world.desk)

    with pytest.raises(TooManyRequests):
        sign_in(Attempt(email="sam@example.com", password="right"), CALLER, world.desk)

    assert world.audit.actions() == ["sign_in_failed"] * FAILURE_LIMIT + ["sign_in_throttled"]
    assert world.audit.entries[0][2] == {"reason": "wrong email or password"}
    # The throttled try never reached Cognito
    assert len(world.cognito.called("password")) == FAILURE_LIMIT


def test_a_temporary_password_leads_to_the_new_password_step_kept_under_a_challenge() -> None:
    world = _world(Challenge("NEW_PASSWORD_REQUIRED", "cognito-session", "user-uuid"))

    step = sign_in(Attempt(email="sam@example.com", password="right"), CALLER, world.desk)

    assert isinstance(step, NextStep) and step.next == "new_password" and step.challenge
    assert world.sessions.sessions == {}
    kept = world.sessions.steps[step.challenge]
    assert (kept.kind, kept.cognito_session, kept.username, kept.expires_at) == (
        "new_password",
        "cognito-session",
        "user-uuid",
        NOW + timedelta(minutes=5),
    )

    with pytest.raises(BadRequest, match="new_password"):
        sign_in(Attempt(email="sam@example.com", challenge=step.challenge), CALLER, world.desk)
    done = sign_in(
        Attempt(email="sam@example.com", challenge=step.challenge, new_password="New-Password-12"),
        CALLER,
        world.desk,
    )

    assert isinstance(done, SignedIn)
    assert world.cognito.called("new_password") == [("cognito-session", "user-uuid", "New-Password-12")]
    assert world.sessions.steps == {}


def test_a_new_password_sent_with_the_first_request_is_used_at_once() -> None:
    world = _world(Challenge("NEW_PASSWORD_REQUIRED", "cognito-session", "user-uuid"))

    outcome = sign_in(
        Attempt(email="sam@example.com", password="right", new_password="New-Password-12"), CALLER, world.desk
    )

    assert isinstance(outcome, SignedIn) and world.sessions.steps == {}


def test_a_code_step_refuses_a_wrong_code_counts_it_and_keeps_the_step_for_another_try() -> None:
    world = _world(Challenge("SOFTWARE_TOKEN_MFA", "mfa-session", "sam@example.com"))
    step = sign_in(Attempt(email="sam@example.com", password="right"), CALLER, world.desk)
    assert isinstance(step, NextStep) and step.next == "code"

    with pytest.raises(WrongCode):
        sign_in(Attempt(email="sam@example.com", challenge=step.challenge, code="654321"), CALLER, world.desk)
    with pytest.raises(BadRequest, match="6 digits"):
        sign_in(Attempt(email="sam@example.com", challenge=step.challenge, code="12ab56"), CALLER, world.desk)
    done = sign_in(
        Attempt(email="sam@example.com", challenge=step.challenge, code=" 123 456 "), CALLER, world.desk
    )

    assert isinstance(done, SignedIn) and done.session.two_step is True
    assert sum(world.counts.values.values()) == 2  # one failure, per address and per IP
    assert world.audit.entries[0][2] == {"reason": "wrong code"}


def test_a_challenge_of_another_address_or_expired_is_refused() -> None:
    world = _world(Challenge("SOFTWARE_TOKEN_MFA", "mfa-session", "sam@example.com"))
    step = sign_in(Attempt(email="sam@example.com", password="right"), CALLER, world.desk)
    assert isinstance(step, NextStep)

    with pytest.raises(StepExpired):
        sign_in(
            Attempt(email="kim@example.com", challenge=step.challenge, code=GOOD_CODE), CALLER, world.desk
        )
    world.sessions.steps[step.challenge] = replace(world.sessions.steps[step.challenge], expires_at=NOW)
    with pytest.raises(StepExpired):
        sign_in(
            Attempt(email="sam@example.com", challenge=step.challenge, code=GOOD_CODE), CALLER, world.desk
        )
    with pytest.raises(StepExpired):
        sign_in(Attempt(email="sam@example.com", challenge="made-up", code=GOOD_CODE), CALLER, world.desk)


def test_an_admin_without_a_second_step_gets_an_enrolment_and_no_session() -> None:
    world = _world(_tokens("admin"), _agent("alex@example.com", Role.ADMIN))

    step = sign_in(Attempt(email="alex@example.com", password="right"), CALLER, world.desk)

    assert isinstance(step, NextStep) and step.next == "totp_setup"
    assert step.secret == "JBSWY3DPEHPK3PXP"
    assert step.otpauth_uri == otpauth_uri("JBSWY3DPEHPK3PXP", "alex@example.com", "Example Support")
    assert world.sessions.sessions == {}

    done = sign_in(
        Attempt(email="alex@example.com", challenge=step.challenge, code=GOOD_CODE), CALLER, world.desk
    )

    assert isinstance(done, SignedIn) and done.session.two_step
    assert done.session.access_token == _tokens("admin").access_token
    assert world.cognito.called("prefer_totp") == [(_tokens("admin").access_token, True)]
    assert world.audit.actions() == ["two_step_enabled", "sign_in"]


def test_the_otpauth_uri_names_the_desk_and_the_address() -> None:
    uri = otpauth_uri("JBSWY3DPEHPK3PXP", "alex@example.com", "Example Support")

    assert uri == (
        "otpauth://totp/Example%20Support:alex@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example+Support"
        "&algorithm=SHA1&digits=6&period=30"
    )


def test_a_password_cognito_accepts_for_an_inactive_agent_opens_no_session() -> None:
    world = _world(_tokens("first"), _agent(active=False))

    with pytest.raises(SignInRefused, match="not an active agent"):
        sign_in(Attempt(email="sam@example.com", password="right"), CALLER, world.desk)
    assert world.sessions.sessions == {}


# -- the check of a session -------------------------------------------------------------------------------


def _session(world: World, **changes: Any) -> str:
    tokens = _tokens("first")
    session_id, _ = world.sessions.open(
        replace(
            Session(
                key="",
                email="sam@example.com",
                access_token=tokens.access_token,
                id_token=tokens.id_token,
                refresh_token=tokens.refresh_token,
                created_at=NOW - timedelta(hours=1),
                last_seen_at=NOW,
                checked_at=NOW,
                expires_at=NOW + timedelta(days=14),
            ),
            **changes,
        )
    )
    return session_id


def test_a_fresh_session_passes_without_asking_cognito_or_writing() -> None:
    world = _world()
    session_id = _session(world)

    active = check_session(session_id, world.desk)

    assert active.agent.email == "sam@example.com"
    assert world.cognito.calls == [] and world.sessions.written == []


def test_an_access_token_about_to_expire_is_refreshed_and_written() -> None:
    world = _world()
    session_id = _session(world, access_token=_tokens("old", expires_in_minutes=3).access_token)
    world.cognito.refreshed = _tokens("new")

    active = check_session(session_id, world.desk)

    assert active.session.access_token == _tokens("new").access_token
    assert world.cognito.called("refresh") == ["refresh-first"]
    assert world.sessions.written[-1].access_token == _tokens("new").access_token


def test_a_session_whose_refresh_cognito_refuses_ends() -> None:
    world = _world()
    session_id = _session(world, access_token=_tokens("old", expires_in_minutes=-1).access_token)

    with pytest.raises(SignInRefused):
        check_session(session_id, world.desk)
    assert world.sessions.sessions == {}


def test_cognito_is_asked_again_once_a_minute_and_its_no_ends_the_session() -> None:
    world = _world()
    session_id = _session(world, checked_at=NOW - RECHECK)
    world.cognito.user_answer = CognitoUser("uuid", "sam@example.com", two_step=True)

    active = check_session(session_id, world.desk)

    assert active.session.checked_at == NOW and active.session.two_step is True
    world.cognito.user_answer = None
    world.sessions.sessions[session_id] = replace(active.session, checked_at=NOW - RECHECK)
    with pytest.raises(SignInRefused, match="sign in again"):
        check_session(session_id, world.desk)
    assert world.sessions.sessions == {}


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (_agent(active=False), "deactivated"),
        (_agent(sessions_valid_after=NOW - timedelta(minutes=1)), "signed out everywhere"),
    ],
    ids=["deactivated", "signed out everywhere"],
)
def test_the_agent_item_ends_a_session_at_once(agent: Agent, words: str) -> None:
    world = _world(None, agent)
    session_id = _session(world)

    with pytest.raises(SignInRefused, match=words):
        check_session(session_id, world.desk)
    assert world.sessions.sessions == {} and world.cognito.calls == []


def test_a_session_begun_after_sessions_valid_after_is_fine() -> None:
    world = _world(None, _agent(sessions_valid_after=NOW - timedelta(hours=2)))

    check_session(_session(world), world.desk)


def test_an_expired_session_ends() -> None:
    world = _world()
    session_id = _session(world, expires_at=NOW)

    with pytest.raises(SignInRefused):
        check_session(session_id, world.desk)
    assert world.sessions.sessions == {}
