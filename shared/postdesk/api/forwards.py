"""``POST /tickets/{ref}/forwards``: an agent forwards messages of a ticket to a third party
(workflows/forward.py); the answer comes back to the ticket as an internal message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from postdesk.api.attachments import attachment_ids
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.api.tickets import answering_repeats, idempotency_id, message_json, message_key_from_api_id
from postdesk.api.visibility import visible_ref
from postdesk.effects.keys import forward_id
from postdesk.errors import BadRequest
from postdesk.mail.recipients import InvalidAddress, normalize_address
from postdesk.workflows.forward import ForwardRequest, send_forward

# The ticket routes' readings of a path, an Idempotency-Key and a thread message (api/tickets.py)
# are this route's too: a forward is a ticket route kept in its own module.
FORWARD_FIELDS = frozenset({"to", "cc", "note", "messages", "attachments", "include_attachments"})


def _list_of_text(document: Mapping[str, Any], name: str, what: str) -> list[str] | None:
    """The list of strings at ``name``: None when absent; BadRequest for anything else (a null
    included: given means given)."""
    if name not in document:
        return None
    given = document[name]
    if not isinstance(given, list) or not all(isinstance(item, str) for item in given):
        raise BadRequest(f"{name} must be a list of {what}")
    return given


def _addresses(document: Mapping[str, Any], name: str) -> tuple[str, ...]:
    given = _list_of_text(document, name, "email addresses") or []
    try:
        return tuple(dict.fromkeys(normalize_address(address) for address in given))
    except InvalidAddress as error:
        raise BadRequest(f"{name}: {error}") from error


def _message_keys(document: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The thread messages named, by the ``id`` (or the ``key``) GET /tickets/{ref} lists them by."""
    given = _list_of_text(document, "messages", "message ids")
    if given is None:
        return None
    keys = []
    for wanted in given:
        key = wanted if wanted.startswith("M#") else message_key_from_api_id(wanted)
        if key is None:
            raise BadRequest(f"messages: {wanted[:80]!r} is not the id of a message of the thread")
        keys.append(key)
    return tuple(keys)


def post_forward(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Forward messages of the ticket (by default the customer's latest) with a note to third
    parties; 201 with the forward as the thread records it (internal). The same Idempotency-Key
    sends once."""
    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(allowed=FORWARD_FIELDS, required=frozenset({"to"}))
    note = text_field(document, "note")
    if "note" in document and note is None:
        raise BadRequest("note must be a string")
    include = document.get("include_attachments", True)
    if not isinstance(include, bool):
        raise BadRequest("include_attachments must be true or false")
    request_id = idempotency_id(request)

    def send() -> ApiResponse:
        forward = send_forward(
            ForwardRequest(
                ref=ref,
                agent_email=agent.email,
                agent_name=agent.name,
                to=_addresses(document, "to"),
                cc=_addresses(document, "cc"),
                note=note or "",
                request_id=request_id,
                messages=_message_keys(document),
                attachments=attachment_ids(document),
                include_attachments=include,
                agent_signature=agent.signature,
            ),
            context.settings,
            context.ports,
        )
        return ApiResponse(201, {"message": message_json(forward, True, context.blobs)})

    unique = f"forward-{forward_id(ref, request_id)}"
    return answering_repeats(send, ref, unique, ("forward", "sent"), context)
