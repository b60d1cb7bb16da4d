"""Presence routes: an agent says they have a ticket open (and whether they are writing on it), and
learns who else has (agents/presence.py). The console calls them; nothing else needs to."""

from __future__ import annotations

from functools import cache
from typing import Any

from postdesk.agents.model import Agent
from postdesk.agents.presence import (
    PRESENCE_SECONDS,
    REFRESH_SECONDS,
    Box,
    Presence,
    PresenceBoard,
    PresenceState,
)
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.api.visibility import path_ref, visible_ticket
from postdesk.clock import Clock, to_iso
from postdesk.errors import BadRequest


@cache
def _board(table: str, region: str, clock: Clock) -> PresenceBoard:
    return PresenceBoard(table, region, clock)


def presence_board(context: ApiContext) -> PresenceBoard:
    """The presence of the deployment ``context`` serves, on the desk's clock."""
    return _board(context.settings.tables.counters, context.settings.region, context.ports.clock)


def _ticket_ref(request: ApiRequest, context: ApiContext, agent: Agent) -> str:
    """The path's ticket, which must exist and be one the agent sees (presence on a ticket they
    cannot open is nonsense)."""
    return visible_ticket(path_ref(request), agent, context).ref


def _others(present: list[Presence]) -> dict[str, Any]:
    return {
        "others": [
            {
                "agent": {"email": p.email, "name": p.name},
                "state": p.state.value,
                "box": p.box.value if p.box else None,
                "until": to_iso(p.until),
            }
            for p in present
        ],
        "lifetime_seconds": PRESENCE_SECONDS,
        "refresh_seconds": REFRESH_SECONDS,
    }


def put_presence(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The caller has this ticket open (``state``: ``viewing`` or ``writing``, with ``box``: ``reply``
    or ``note``) for the next minute; the answer says who else has (never the caller)."""
    agent = authenticated(request, context)
    ref = _ticket_ref(request, context, agent)
    document = request.json_body(allowed=frozenset({"state", "box"}), required=frozenset({"state"}))
    try:
        state = PresenceState(text_field(document, "state") or "")
    except ValueError as error:
        raise BadRequest("state must be viewing or writing") from error
    box = None
    if "box" in document:
        try:
            box = Box(text_field(document, "box") or "")
        except ValueError as error:
            raise BadRequest("box must be reply or note (what is being written)") from error
    present = presence_board(context).mark(ref, agent.email, agent.name, state, box)
    return ApiResponse(200, _others(present))


def get_presence(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Who else has this ticket open now, and who is writing on it."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    ref = _ticket_ref(request, context, agent)
    return ApiResponse(200, _others(presence_board(context).others(ref, agent.email)))


def delete_presence(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The caller left this ticket (closed it, opened another, closed the tab); 204 with no body."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    ref = _ticket_ref(request, context, agent)
    presence_board(context).leave(ref, agent.email)
    return ApiResponse(204, "", headers={})
