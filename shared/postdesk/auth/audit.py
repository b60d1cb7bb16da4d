"""The access audit: who signed in, failed to, was invited, changed roles or queues, made or revoked
API tokens — when, and from where. One item per event in the access audit table: partition key
``day`` (``YYYY-MM-DD``, UTC), sort key ``sk`` (``<ISO time>#<random>``, so a day's entries sort by
time and two at the same millisecond do not collide), kept 400 days (TTL ``expires_at``).

An entry never holds a password, a code or a token: ``detail`` is for names, roles, scopes and key
ids, and the keys that would carry a secret are refused outright."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from postdesk.aws.dynamodb import DeskModel
from postdesk.clock import from_iso, to_iso
from postdesk.errors import BadRequest
from postdesk.tickets.dynamo import bind_model

# A year and a month: a year-on-year look back, with room for the review that asks for it.
RETENTION = timedelta(days=400)
# How far back a query may reach in one call: one Query per day, so the span bounds the cost.
MAX_SPAN_DAYS = 400
MAX_PAGE_SIZE = 200
# Field lengths in an entry: enough for an address or a user agent, never a whole request.
_TEXT_LIMIT = 300
_DETAIL_ENTRIES = 20
# What a detail key ends with when its value would be a secret ("temporary_password", "reset_code",
# "api_token", "access_key"): an entry must never hold one, whoever forgets it. "key_id",
# "token_name" or "tokens_revoked" name no secret.
_SECRET_WORDS = frozenset({"password", "passwd", "secret", "code", "token", "credential", "otp", "key"})
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class AccessAction(StrEnum):
    """What happened. The values are stored: rename none."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SIGN_OUT = "sign_out"
    SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 - an action\'s name, not a secret
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an action\'s name, not a secret
    TWO_STEP_ENABLED = "two_step_enabled"
    TWO_STEP_DISABLED = "two_step_disabled"
    INVITED = "invited"
    INVITATION_RENEWED = "invitation_renewed"
    ROLE_CHANGED = "role_changed"
    QUEUES_CHANGED = "queues_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    TOKEN_CREATED = "token_created"  # noqa: S105 - an action\'s name, not a secret
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - an action\'s name, not a secret


@dataclass(frozen=True, slots=True)
class Caller:
    """Where a request came from, for the throttle and the audit ("" when unknown, as from the
    command line)."""

    source_ip: str = ""
    user_agent: str = ""


# An action taken outside any request (the command line, the local stack): nothing to record.
NO_CALLER = Caller()


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One recorded event. ``actor`` is who acted (an agent's address, or the address tried at a
    failed sign-in), ``subject`` whom or what it touched (an agent, a token's key id)."""

    action: AccessAction
    actor: str
    at: datetime
    subject: str = ""
    source_ip: str = ""
    user_agent: str = ""
    detail: Mapping[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "actor": self.actor,
            "at": to_iso(self.at),
            "subject": self.subject,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class AccessPage:
    """A page of entries, newest first; ``cursor`` continues it (None: nothing more)."""

    entries: tuple[AccessEntry, ...]
    cursor: str | None


class AccessAuditItem(DeskModel):
    class Meta:
        table_name = "unbound-access-audit"

    day = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    detail = MapAttribute[str, Any](null=True)
    expires_at = NumberAttribute()


class AccessAudit:
    def __init__(self, table: str, region: str) -> None:
        bind_model(AccessAuditItem, table, region)

    def record(
        self,
        action: AccessAction,
        actor: str,
        at: datetime,
        *,
        subject: str = "",
        caller: Caller = NO_CALLER,
        detail: Mapping[str, str] | None = None,
    ) -> None:
        """Write one entry. ``detail`` must not hold a secret: a key that names one (password,
        code, token, secret, ...) raises ValueError, a mistake of the caller, never of the user."""
        cleaned_detail = _checked_detail(detail or {})
        moment = at.astimezone(UTC)
        AccessAuditItem(
            day=moment.date().isoformat(),
            sk=f"{to_iso(moment)}#{secrets.token_hex(4)}",
            action=AccessAction(action).value,
            # Addresses are stored in lower case, so that the actor filter finds every entry of one.
            actor=_clip(actor).lower(),
            at=to_iso(moment),
            subject=_clip(subject) or None,
            source_ip=_clip(caller.source_ip) or None,
            user_agent=_clip(caller.user_agent) or None,
            detail=cleaned_detail or None,
            expires_at=int((moment + RETENTION).timestamp()),
        ).save()

    def entries(
        self,
        since: datetime,
        until: datetime,
        *,
        action: AccessAction | None = None,
        actor: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> AccessPage:
        """The entries from ``since`` to ``until`` (both included), newest first, at most ``limit``,
        only of ``action`` and of ``actor`` when given. One Query per day, from ``until``'s day back;
        ``cursor`` (from the previous page, made for the same span) continues where it stopped.
        BadRequest for a span over MAX_SPAN_DAYS, reversed, or a cursor that is not ours."""
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        if until < since:
            raise BadRequest("the end of the span comes before its start")
        if (until.date() - since.date()).days >= MAX_SPAN_DAYS:
            raise BadRequest(f"a span is at most {MAX_SPAN_DAYS} days")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise BadRequest(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
        day, after = (until.date(), None) if cursor is None else _decode_cursor(cursor, since, until)
        wanted_actor = actor.strip().lower() if actor else None
        found: list[AccessEntry] = []
        low, high = to_iso(since), to_iso(until) + "~"
        while day >= since.date():
            condition = AccessAuditItem.sk.between(low, high)
            filters = None
            if action is not None:
                filters = AccessAuditItem.action == AccessAction(action).value
            if wanted_actor is not None:
                by_actor = AccessAuditItem.actor == wanted_actor
                filters = by_actor if filters is None else filters & by_actor
            query = AccessAuditItem.query(
                day.isoformat(),
                condition,
                filter_condition=filters,
                scan_index_forward=False,
                last_evaluated_key={"day": {"S": day.isoformat()}, "sk": {"S": after}} if after else None,
            )
            for item in query:
                found.append(_entry_from_item(item))
                if len(found) == limit:
                    return AccessPage(tuple(found), _encode_cursor(day, item.sk, since, until))
            day, after = day - timedelta(days=1), None
        return AccessPage(tuple(found), None)


def _checked_detail(detail: Mapping[str, str]) -> dict[str, str]:
    if len(detail) > _DETAIL_ENTRIES:
        raise ValueError(f"an access audit entry holds at most {_DETAIL_ENTRIES} details")
    for key in detail:
        if key.lower().replace("-", "_").rsplit("_", 1)[-1] in _SECRET_WORDS:
            raise ValueError(f"an access audit entry never holds a secret: detail key {key!r} is refused")
    return {str(key)[:60]: _clip(str(value)) for key, value in detail.items()}


def _clip(text: str) -> str:
    """One line, at most _TEXT_LIMIT characters: what a client sends must not flood the table."""
    one_line = "".join(character if character.isprintable() else " " for character in text.strip())
    return one_line[:_TEXT_LIMIT]


def _entry_from_item(item: AccessAuditItem) -> AccessEntry:
    return AccessEntry(
        action=AccessAction(item.action),
        actor=item.actor,
        at=from_iso(item.at),
        subject=item.subject or "",
        source_ip=item.source_ip or "",
        user_agent=item.user_agent or "",
        detail={
            str(key): str(value) for key, value in (item.detail.as_dict() if item.detail else {}).items()
        },
    )


def _encode_cursor(day: date, sk: str, since: datetime, until: datetime) -> str:
    state = {"day": day.isoformat(), "sk": sk, "span": [to_iso(since), to_iso(until)]}
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, since: datetime, until: datetime) -> tuple[date, str]:
    """The day and the last sort key a cursor of ours carries. It names its span: a cursor reused
    with another span, or edited by hand, is refused rather than followed."""
    refused = BadRequest("the cursor is not valid for this span; start again without it")
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise refused from None
    if not isinstance(state, dict) or state.get("span") != [to_iso(since), to_iso(until)]:
        raise refused
    day, sk = state.get("day"), state.get("sk")
    if not isinstance(day, str) or not _DAY.fullmatch(day) or not isinstance(sk, str) or len(sk) > 60:
        raise refused
    try:
        found = date.fromisoformat(day)
    except ValueError:
        raise refused from None
    if not since.date() <= found <= until.date():
        raise refused
    return found, sk
