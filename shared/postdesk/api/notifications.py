"""An agent's own notification preferences: which kinds of mail they get, which queues' new tickets
they hear of, and how often mail may come (the desk's window, shown, not set here). Each agent sees
and sets only their own: nobody, an admin neither, reads another's (workflows/notify.py)."""

from __future__ import annotations

from typing import Any

from postdesk.agents.model import Agent
from postdesk.agents.notifications import (
    MAX_WATCHED_QUEUES,
    NotificationKind,
    NotificationPreferences,
)
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.errors import BadRequest
from postdesk.workflows.notify import box_of
from postdesk.workflows.ticket_work import desk_queues


def _document(preferences: NotificationPreferences, agent: Agent, context: ApiContext) -> dict[str, Any]:
    return {
        "kinds": {kind.value: kind in preferences.kinds for kind in NotificationKind},
        "queues": list(preferences.queues),
        # New tickets of a queue they do not belong to are never told: not offered either.
        "available_queues": [queue for queue in desk_queues(context.settings) if agent.sees_queue(queue)],
        "window_minutes": max(1, context.settings.notification_window_minutes),
    }


def my_notifications(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The agent's preferences, the desk's queues they may watch and the window between mails."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    return ApiResponse(200, _document(box_of(context.settings).preferences(agent.email), agent, context))


def update_my_notifications(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Replace the agent's preferences with ``{"kinds": {"assigned": true, ...}, "queues": [...]}``;
    a kind left out keeps its setting."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(allowed=frozenset({"kinds", "queues"}))
    if not document:
        raise BadRequest("say kinds, queues or both")
    box = box_of(context.settings)
    current = box.preferences(agent.email)
    kinds = set(current.kinds)
    if "kinds" in document:
        given = document["kinds"]
        if not isinstance(given, dict):
            raise BadRequest("kinds must be an object of kind names and true or false")
        known = {kind.value for kind in NotificationKind}
        for name, on in given.items():
            if name not in known:
                raise BadRequest(f"kinds: {str(name)[:50]!r} is not one of {', '.join(sorted(known))}")
            if not isinstance(on, bool):
                raise BadRequest(f"kinds.{name} must be true or false")
            (kinds.add if on else kinds.discard)(NotificationKind(name))
    queues = current.queues
    if "queues" in document:
        given_queues = document["queues"]
        if not isinstance(given_queues, list) or not all(isinstance(q, str) for q in given_queues):
            raise BadRequest("queues must be a list of queue names")
        available = desk_queues(context.settings)
        unknown = [queue for queue in given_queues if queue not in available]
        if unknown:
            raise BadRequest(
                f"queue {unknown[0][:50]!r} is not one of the desk's queues: {', '.join(available)}"
            )
        outside = [queue for queue in given_queues if not agent.sees_queue(queue)]
        if outside:
            raise BadRequest(
                f"you do not belong to the queue {outside[0]}, so you cannot hear of its tickets: "
                f"watch one of yours ({', '.join(q for q in available if agent.sees_queue(q)) or 'none'})"
            )
        if len(set(given_queues)) > MAX_WATCHED_QUEUES:
            raise BadRequest(f"watch at most {MAX_WATCHED_QUEUES} queues")
        queues = tuple(dict.fromkeys(given_queues))
    preferences = NotificationPreferences(frozenset(kinds), queues)
    box.set_preferences(agent.email, preferences, context.ports.clock())
    return ApiResponse(200, _document(preferences, agent, context))
