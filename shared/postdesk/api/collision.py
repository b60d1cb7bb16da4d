"""Replies and notes over what the agent saw (workflows/collision.py), as the API says it: the
``seen`` marker and ``force`` of a request body, and the 409 that names what changed.

``seen`` is optional: an integration that posts replies without reading the ticket first keeps
working as before (nothing is checked), as with Zendesk's and Help Scout's APIs; the console always
sends it. ``"force": true`` sends over any change, for an agent who read the news and answers anyway.
An If-Match header is not read here (it never was): the ticket's ETag is its version, which moves
with changes that never stop a reply (SLA timers, field edits) and not with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from postdesk.api.http import ApiResponse, error_response
from postdesk.clock import to_iso
from postdesk.errors import BadRequest
from postdesk.tickets.views import ticket_summary
from postdesk.workflows.collision import ConversationChanged, change_kind, read_seen_marker

# The fields a reply or a note takes besides its own.
COLLISION_FIELDS = frozenset({"seen", "force"})


def seen_of(document: Mapping[str, Any]) -> frozenset[bytes] | None:
    """What the request says the agent saw: the digests of its ``seen`` marker, or None when it
    names none or says ``"force": true`` (then nothing is checked). BadRequest for a ``seen`` that
    is not a marker and a ``force`` that is not true or false."""
    force = document.get("force", False)
    if not isinstance(force, bool):
        raise BadRequest('force must be true (send over any change since "seen") or false')
    if "seen" not in document:
        return None
    seen = document["seen"]
    if not isinstance(seen, str):
        raise BadRequest("seen must be the `seen` marker of GET /tickets/{ref}, as it came (a string)")
    marker = read_seen_marker(seen)
    return None if force else marker


def answering_changes(action: Callable[[], ApiResponse], message_id: Callable[[str], str]) -> ApiResponse:
    """``action``'s answer, or the 409 that says what changed since the agent read the ticket: the
    changes (``kind``, ``at``, ``by``, ``message``: the message's id in the thread), the ticket as it
    is now, and the ``seen`` marker of the thread now. ``message_id`` names a thread message as the
    API does."""
    try:
        return action()
    except ConversationChanged as changed:
        answer = error_response(changed)
        return ApiResponse(answer.status, {**answer.body, **_changes(changed, message_id)})


def _changes(changed: ConversationChanged, message_id: Callable[[str], str]) -> dict[str, Any]:
    return {
        "changes": [
            {
                "kind": change_kind(message),
                "at": to_iso(message.at),
                "by": {"email": message.from_email, "name": message.from_name},
                "message": message_id(message.key),
            }
            for message in changed.changes
        ],
        "ticket": ticket_summary(changed.ticket),
        "seen": changed.seen,
    }
