"""The access audit for admins (GET /audit): who signed in or failed to, was invited, changed
roles or queues, made or revoked API tokens — when, and from where (auth/audit.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.auth.audit import MAX_PAGE_SIZE, AccessAction
from postdesk.errors import BadRequest
from postdesk.workflows.invitations import audit_of

# Without ``from``: the last week.
DEFAULT_SPAN = timedelta(days=7)
DEFAULT_PAGE_SIZE = 50
MAX_ADDRESS_LENGTH = 254
MAX_CURSOR_LENGTH = 1000
_PARAMETERS = frozenset({"from", "to", "action", "actor", "cursor", "limit"})


def list_access_audit(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Entries newest first: ``from`` and ``to`` (dates ``2026-12-01`` or times
    ``2026-12-01T08:00:00Z``; by default the last 7 days up to now), ``action`` (one of the
    AccessAction values), ``actor`` (an address), ``limit`` (1-200, 50 by default), ``cursor`` (the
    ``next_cursor`` of the previous page, with the same from and to)."""
    authenticated(request, context, Role.ADMIN)
    request.only_query(_PARAMETERS)
    query = request.query
    now = context.ports.clock()
    until = _moment(query["to"], "to", end_of_day=True) if "to" in query else now
    since = _moment(query["from"], "from", end_of_day=False) if "from" in query else until - DEFAULT_SPAN
    action = None
    if "action" in query:
        try:
            action = AccessAction(query["action"].strip())
        except ValueError:
            raise BadRequest(
                f"action must be one of: {', '.join(action.value for action in AccessAction)}"
            ) from None
    if len(query.get("actor", "")) > MAX_ADDRESS_LENGTH:
        raise BadRequest(f"actor is an address of at most {MAX_ADDRESS_LENGTH} characters")
    if len(query.get("cursor", "")) > MAX_CURSOR_LENGTH:
        raise BadRequest("the cursor is not valid for this span; start again without it")
    limit_text = query.get("limit", str(DEFAULT_PAGE_SIZE))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    page = audit_of(context.settings).entries(
        since,
        until,
        action=action,
        actor=query.get("actor") or None,
        limit=int(limit_text),
        cursor=query.get("cursor") or None,
    )
    return ApiResponse(
        200,
        {
            "entries": [entry.as_json() for entry in page.entries],
            "next_cursor": page.cursor,
            "from": since.isoformat().replace("+00:00", "Z"),
            "to": until.isoformat().replace("+00:00", "Z"),
        },
    )


def _moment(text: str, name: str, *, end_of_day: bool) -> datetime:
    """A date (the whole day: its start for ``from``, its end for ``to``) or a time with a zone."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return datetime.combine(day.date(), time.max if end_of_day else time.min, UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"{name} must be a date such as 2026-12-01 or a time such as 2026-12-01T08:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone (Z for UTC, or +01:00)")
    return moment.astimezone(UTC)
