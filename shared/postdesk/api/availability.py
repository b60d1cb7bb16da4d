"""Who automatic assignment may give tickets to (workflows/assignment.py): an agent marks themselves
away and back, and an admin sets any agent's queues (and away, for someone who is off unexpectedly)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from postdesk.agents.model import Agent, Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.errors import BadRequest
from postdesk.workflows.ticket_work import desk_queues

# An absence longer than this is a mistake in the date more often than a plan.
MAX_AWAY = timedelta(days=366)
_AWAY_FIELDS = frozenset({"away", "until"})
# With the account's fields (api/agents.py): name, role, active.
_AGENT_FIELDS = frozenset({"queues", "away", "away_until", "name", "role", "active", "release_tickets"})


def availability(agent: Agent) -> dict[str, Any]:
    """What the API says of an agent's part in automatic assignment, and the queues they belong to
    (``every_queue``: given no list, they see every queue and take part in no queue's assignment)."""
    return {
        "away": agent.away,
        "away_until": agent.away_until.isoformat().replace("+00:00", "Z") if agent.away_until else None,
        "queues": list(agent.queues),
        "every_queue": agent.every_queue,
    }


def update_my_away(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Mark the signed-in agent away (``{"away": true, "until": "2026-12-01T08:00:00Z"}``, until
    optional) or back (``{"away": false}``)."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(allowed=_AWAY_FIELDS, required=frozenset({"away"}))
    away, until = _away(document, "away", "until", context)
    updated = context.agents.set_away(agent.email, away, until)
    return ApiResponse(200, {"email": updated.email, **availability(updated)})


def update_agent(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Admins set the ``queues`` an agent belongs to (the tickets they see, and those automatic
    assignment gives them; ``null``: every queue, and no assignment) and mark them ``away`` (until
    ``away_until``) or back; and the ``name``, ``role`` and ``active`` of their account
    (api/agents.py). A change of queues, role or standing is recorded in the access audit."""
    from postdesk.api.agents import (
        apply_account_fields,
        check_account_fields,
        reactivate_if_asked,
        released_json,
    )
    from postdesk.workflows.account_changes import Released

    admin = authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset())
    email = request.path_params.get("email", "")
    document = request.json_body(allowed=_AGENT_FIELDS)
    if not document:
        raise BadRequest(f"give at least one of: {', '.join(sorted(_AGENT_FIELDS))}")
    if "away_until" in document and "away" not in document:
        raise BadRequest("away_until goes with away: true")
    queues = _queues(document["queues"], context) if "queues" in document else None
    away = _away(document, "away", "away_until", context) if "away" in document else None
    check_account_fields(document)
    reactivate_if_asked(document, request, context, admin, email)
    agent = context.agents.get(email)
    if "queues" in document:
        before = agent
        agent = context.agents.set_queues(agent.email, queues)
        _record_queues_changed(request, context, admin.email, before, agent)
    if away is not None:
        agent = context.agents.set_away(agent.email, *away)
    released: list[Released] = []
    agent = apply_account_fields(document, request, context, admin, agent.email, released)
    put_back = {"released_tickets": released_json(released)} if document.get("release_tickets") else {}
    return ApiResponse(
        200,
        {
            "email": agent.email,
            "name": agent.name,
            "role": agent.role.value,
            "active": agent.active,
            **availability(agent),
            **put_back,
        },
    )


def _away(
    document: dict[str, Any], away_field: str, until_field: str, context: ApiContext
) -> tuple[bool, datetime | None]:
    away = document.get(away_field)
    if not isinstance(away, bool):
        raise BadRequest(f"{away_field} must be true or false")
    until_text = document.get(until_field)
    if until_text is None:
        return away, None
    if not away:
        raise BadRequest(f"{until_field} goes with {away_field}: true (coming back needs no date)")
    if not isinstance(until_text, str):
        raise BadRequest(f"{until_field} must be a date and time such as 2026-12-01T08:00:00Z")
    try:
        until = datetime.fromisoformat(until_text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{until_field} must be a date and time such as 2026-12-01T08:00:00Z") from None
    if until.tzinfo is None:
        raise BadRequest(f"{until_field} needs a time zone (Z for UTC, or +01:00)")
    now = context.ports.clock()
    if until <= now:
        raise BadRequest(f"{until_field} must be in the future")
    if until - now > MAX_AWAY:
        raise BadRequest(f"{until_field} is at most {MAX_AWAY.days} days ahead")
    return away, until


def _queues(value: object, context: ApiContext) -> list[str] | None:
    """The queues an agent is to belong to: a list of the desk's queues (``[]``: none), or None
    (``null``: every queue, as an agent given no list)."""
    if value is None:
        return None
    known = desk_queues(context.settings)
    if not isinstance(value, list) or not all(isinstance(queue, str) for queue in value):
        raise BadRequest("queues must be a list of queue names, or null for every queue")
    unknown = sorted({queue for queue in value if queue not in known})
    if unknown:
        raise BadRequest(f"not the desk's queues: {', '.join(unknown)}; the desk has: {', '.join(known)}")
    return list(value)


def _queue_words(agent: Agent) -> str:
    return "every queue" if agent.every_queue else ", ".join(agent.queues) or "no queue"


def _record_queues_changed(
    request: ApiRequest, context: ApiContext, actor: str, before: Agent, after: Agent
) -> None:
    """The access audit's entry for a change of the queues an agent belongs to (what they see)."""
    from postdesk.auth.audit import AccessAction, AccessAudit

    table = context.settings.sign_in.access_audit_table
    if not table:
        return
    AccessAudit(table, context.settings.region).record(
        AccessAction.QUEUES_CHANGED,
        actor,
        context.ports.clock(),
        subject=after.email,
        caller=request.caller(),
        detail={"before": _queue_words(before), "after": _queue_words(after)},
    )
