"""The sessions table (partition key ``key``, TTL attribute ``expires_at``): people's sessions, the
steps of a sign-in under way, and password reset codes. Every key is a SHA-256 of the secret the
caller holds (the cookie's session id, a step's challenge) or of the address, so the table never
holds what would let someone in by reading it; the Cognito tokens it keeps never leave the server.

Items:
- ``SESSION#<sha256 of the session id>``: email, the Cognito access, id and refresh tokens,
  created_at, last_seen_at, checked_at (the last check with Cognito), ip, user_agent, two_step
  (the account signs in with a TOTP code), expires_at (the session's end, its TTL);
- ``STEP#<sha256 of the challenge>``: a sign-in waiting for its next step (new_password, code,
  totp_setup): email, Cognito's session string and user name, or the tokens of a sign-in that
  waits for its TOTP enrolment; five minutes;
- ``RESET#<sha256 of the address>``: the HMAC of the mailed reset code, tries left; 15 minutes.
- ``FAILED#...``: failed sign-ins (auth/throttle.py).
- ``SSO#<sha256 of state>``: a single sign-on under way (auth/sso_starts.py); ten minutes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError

from postdesk.aws.dynamodb import DeskModel, read_item, update_if
from postdesk.clock import from_iso, to_iso
from postdesk.tickets.dynamo import bind_model

SESSION_PREFIX = "SESSION#"
STEP_PREFIX = "STEP#"
RESET_PREFIX = "RESET#"
STEP_LIFETIME = timedelta(minutes=5)
RESET_LIFETIME = timedelta(minutes=15)
RESET_TRIES = 5
# 256 random bits, in the cookie and in a step's challenge.
_SECRET_BYTES = 32
_USER_AGENT_LIMIT = 300


class SessionItem(DeskModel):
    class Meta:
        table_name = "unbound-sessions"

    key = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    access_token = UnicodeAttribute()
    id_token = UnicodeAttribute(null=True)
    refresh_token = UnicodeAttribute()
    created_at = UnicodeAttribute()
    last_seen_at = UnicodeAttribute()
    checked_at = UnicodeAttribute()
    ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    two_step = BooleanAttribute(default=False)
    expires_at = NumberAttribute()


class StepItem(DeskModel):
    class Meta:
        table_name = "unbound-sessions"

    key = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    kind = UnicodeAttribute()
    cognito_session = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    access_token = UnicodeAttribute(null=True)
    id_token = UnicodeAttribute(null=True)
    refresh_token = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


class ResetItem(DeskModel):
    class Meta:
        table_name = "unbound-sessions"

    key = UnicodeAttribute(hash_key=True)
    code_hash = UnicodeAttribute()
    tries_left = NumberAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person's session, as the server keeps it."""

    key: str
    email: str
    access_token: str
    id_token: str
    refresh_token: str
    created_at: datetime
    last_seen_at: datetime
    checked_at: datetime
    expires_at: datetime
    ip: str = ""
    user_agent: str = ""
    two_step: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """A sign-in waiting for its next step: ``kind`` is new_password, code or totp_setup."""

    key: str
    email: str
    kind: str
    expires_at: datetime
    cognito_session: str = ""
    username: str = ""
    access_token: str = ""
    id_token: str = ""
    refresh_token: str = ""


@dataclass(frozen=True, slots=True)
class ResetCode:
    code_hash: str
    tries_left: int
    created_at: datetime
    expires_at: datetime


def session_key(session_id: str) -> str:
    """``SESSION#<sha256 of the session id>``: the item of the session a cookie names."""
    return SESSION_PREFIX + digest(session_id)


def digest(text: str) -> str:
    """Hex SHA-256 of ``text``: how a key of the sessions table holds a secret (or an address)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)


def _delete(item: DeskModel) -> None:
    """Delete ``item``; nothing when DynamoDB says it is not there."""
    try:
        item.delete()
    except DeleteError as error:
        if error.cause_response_code != "ResourceNotFoundException":
            raise


class SessionStore:
    def __init__(self, table_name: str, region: str) -> None:
        for model in (SessionItem, StepItem, ResetItem):
            bind_model(model, table_name, region)

    # -- sessions ---------------------------------------------------------------------------------

    def open(self, session: Session) -> tuple[str, Session]:
        """Store a new session like ``session`` (its key is made here) and return the session id
        for the cookie, shown this once, and the session as stored."""
        session_id = secrets.token_urlsafe(_SECRET_BYTES)
        stored = replace(
            session, key=session_key(session_id), user_agent=session.user_agent[:_USER_AGENT_LIMIT]
        )
        SessionItem(
            stored.key,
            email=stored.email,
            access_token=stored.access_token,
            id_token=stored.id_token or None,
            refresh_token=stored.refresh_token,
            created_at=to_iso(stored.created_at),
            last_seen_at=to_iso(stored.last_seen_at),
            checked_at=to_iso(stored.checked_at),
            ip=stored.ip or None,
            user_agent=stored.user_agent or None,
            two_step=stored.two_step,
            expires_at=_epoch(stored.expires_at),
        ).save(condition=SessionItem.key.does_not_exist())
        return session_id, stored

    def get(self, session_id: str) -> Session | None:
        """The session the cookie's id names, or None (unknown, ended)."""
        item = read_item(SessionItem, session_key(session_id))
        if item is None:
            return None
        return Session(
            key=item.key,
            email=item.email,
            access_token=item.access_token,
            id_token=item.id_token or "",
            refresh_token=item.refresh_token,
            created_at=from_iso(item.created_at),
            last_seen_at=from_iso(item.last_seen_at),
            checked_at=from_iso(item.checked_at),
            expires_at=_moment(item.expires_at),
            ip=item.ip or "",
            user_agent=item.user_agent or "",
            two_step=bool(item.two_step),
        )

    def checked(self, session: Session) -> None:
        """Write what a check of ``session`` changed: its tokens after a refresh, checked_at,
        last_seen_at, two_step. Only while the session exists: one ended meanwhile stays ended."""
        update_if(
            SessionItem(session.key),
            [
                SessionItem.access_token.set(session.access_token),
                SessionItem.id_token.set(session.id_token)
                if session.id_token
                else SessionItem.id_token.remove(),
                SessionItem.checked_at.set(to_iso(session.checked_at)),
                SessionItem.last_seen_at.set(to_iso(session.last_seen_at)),
                SessionItem.two_step.set(session.two_step),
            ],
            SessionItem.key.exists(),
        )

    def end(self, key: str) -> None:
        """Delete the session item ``key`` (a session's ``key``); nothing if it is gone."""
        _delete(SessionItem(key))

    # -- steps of a sign-in -----------------------------------------------------------------------

    def save_step(self, step: Step) -> tuple[str, Step]:
        """Store a step (its key is made here) and return its challenge, the opaque id the caller
        sends back with the next step, and the step as stored."""
        challenge = secrets.token_urlsafe(_SECRET_BYTES)
        stored = replace(step, key=STEP_PREFIX + digest(challenge))
        StepItem(
            stored.key,
            email=stored.email,
            kind=stored.kind,
            cognito_session=stored.cognito_session or None,
            username=stored.username or None,
            access_token=stored.access_token or None,
            id_token=stored.id_token or None,
            refresh_token=stored.refresh_token or None,
            expires_at=_epoch(stored.expires_at),
        ).save()
        return challenge, stored

    def step(self, challenge: str) -> Step | None:
        """The step ``challenge`` names, or None (unknown or finished; expiry is the caller's)."""
        item = read_item(StepItem, STEP_PREFIX + digest(challenge))
        if item is None:
            return None
        return Step(
            key=item.key,
            email=item.email,
            kind=item.kind,
            expires_at=_moment(item.expires_at),
            cognito_session=item.cognito_session or "",
            username=item.username or "",
            access_token=item.access_token or "",
            id_token=item.id_token or "",
            refresh_token=item.refresh_token or "",
        )

    def finish_step(self, step: Step) -> None:
        _delete(StepItem(step.key))

    # -- password reset codes ---------------------------------------------------------------------

    def save_reset(self, email: str, code_hash: str, now: datetime) -> None:
        """Keep the HMAC of a new reset code for ``email`` (replacing an earlier one)."""
        ResetItem(
            RESET_PREFIX + digest(email),
            code_hash=code_hash,
            tries_left=RESET_TRIES,
            created_at=to_iso(now),
            expires_at=_epoch(now + RESET_LIFETIME),
        ).save()

    def reset(self, email: str) -> ResetCode | None:
        item = read_item(ResetItem, RESET_PREFIX + digest(email))
        if item is None:
            return None
        return ResetCode(
            code_hash=item.code_hash,
            tries_left=int(item.tries_left),
            created_at=from_iso(item.created_at),
            expires_at=_moment(item.expires_at),
        )

    def spend_reset_try(self, email: str) -> int:
        """Take one try off ``email``'s reset code and return the tries left (-1 when there was no
        code, or none left); a code with no try left is deleted."""
        item = ResetItem(RESET_PREFIX + digest(email))
        if not update_if(item, [ResetItem.tries_left.add(-1)], ResetItem.tries_left > 0):
            return -1
        left = int(item.tries_left)
        if left <= 0:
            self.end_reset(email)
        return left

    def end_reset(self, email: str) -> None:
        _delete(ResetItem(RESET_PREFIX + digest(email)))
