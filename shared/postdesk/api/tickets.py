"""Ticket routes: read a ticket with its thread, answer it."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from typing import Any

from postdesk.agents.model import Agent, Role, require_role
from postdesk.agents.store import AgentStore
from postdesk.api.http import ApiRequest, ApiResponse, BadRequest
from postdesk.aws.s3 import S3BlobStore
from postdesk.clock import to_iso
from postdesk.errors import TicketNotFound
from postdesk.settings import Settings
from postdesk.tickets.model import Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.refs import normalize_ref
from postdesk.workflows.ports import Ports
from postdesk.workflows.reply import AgentReply, send_reply

ATTACHMENT_LINK_SECONDS = 300
REPLY_STATUSES = frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED})


@dataclass(frozen=True, slots=True)
class ApiContext:
    settings: Settings
    ports: Ports
    agents: AgentStore
    blobs: S3BlobStore


def authenticated(request: ApiRequest, context: ApiContext, role: Role = Role.AGENT) -> Agent:
    """The agent whose bearer token came with the request, if its role allows ``role``."""
    authorization = request.header("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    agent = context.agents.authenticate(token.strip() if scheme.lower() == "bearer" else "")
    require_role(agent, role)
    return agent


def _ref(request: ApiRequest) -> str:
    ref = normalize_ref(request.path_params.get("ref", ""))
    if ref is None:
        raise TicketNotFound(request.path_params.get("ref", "")[:20])
    return ref


def message_api_id(key: str) -> str:
    """A thread message's storage key as a URL path segment (keys hold '#' and ':')."""
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def message_key_from_api_id(api_id: str) -> str | None:
    """The storage key behind :func:`message_api_id`, or None when ``api_id`` is not one."""
    try:
        key = base64.urlsafe_b64decode(api_id + "=" * (-len(api_id) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return key if key.startswith("M#") else None


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "requester": {"email": ticket.requester_email, "name": ticket.requester_name},
        "cc": list(ticket.cc),
        "queue": ticket.queue,
        "priority": ticket.priority,
        "language": ticket.language,
        "category": ticket.category,
        "tags": list(ticket.tags),
        "sentiment": ticket.sentiment,
        "triage": {"confidence": ticket.triage_confidence, "explanation": ticket.triage_explanation},
        "quarantine": ticket.quarantine,
        "cycle": ticket.cycle,
        "created_at": to_iso(ticket.created_at),
        "updated_at": to_iso(ticket.updated_at),
        "first_response_at": to_iso(ticket.first_response_at) if ticket.first_response_at else None,
    }


def _message(message: ThreadMessage, full: bool, blobs: S3BlobStore) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": message_api_id(message.key),
        "key": message.key,
        "direction": message.direction.value,
        "kind": message.kind.value,
        "at": to_iso(message.at),
        "from": {"email": message.from_email, "name": message.from_name},
        "subject": message.subject,
        "visible_reply": message.visible_text if message.visible_text is not None else message.text,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": blobs.presigned_url(a.key, ATTACHMENT_LINK_SECONDS, a.filename),
            }
            for a in message.attachments
        ],
        "screening": message.screening,
    }
    if full:
        text = message.text
        if message.text_key:
            text = blobs.get(message.text_key).decode("utf-8", "replace")
        shown["text"] = text
    return shown


def _event(event: TicketEvent) -> dict[str, Any]:
    return {"at": to_iso(event.at), "kind": event.kind, "actor": event.actor, "detail": event.detail}


def get_ticket(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The ticket, its thread in order (visible replies; whole texts with ``?full=true``), its event
    log, and the requester's other tickets."""
    authenticated(request, context)
    ref = _ref(request)
    ticket = context.ports.store.get_ticket(ref)
    if ticket is None:
        raise TicketNotFound(ref)
    full = request.query.get("full", "").lower() in ("1", "true", "yes")
    others = [
        ticket_summary(other)
        for other in context.ports.store.tickets_of_requester(ticket.requester_email, limit=20)
        if other.ref != ticket.ref
    ]
    body = {
        "ticket": ticket_summary(ticket),
        "thread": [_message(m, full, context.blobs) for m in context.ports.store.thread(ref)],
        "events": [_event(e) for e in context.ports.store.events(ref)],
        "requester_tickets": others,
    }
    return ApiResponse(200, body)


def post_reply(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Send the agent's reply; ``status`` after it defaults to pending (waiting on the customer)."""
    agent = authenticated(request, context)
    ref = _ref(request)
    document = request.json_body(allowed=frozenset({"body", "status"}), required=frozenset({"body"}))
    body = document["body"]
    if not isinstance(body, str):
        raise BadRequest("body must be a string")
    try:
        status = Status(document.get("status", Status.PENDING.value))
    except ValueError as error:
        raise BadRequest(
            f"status must be one of {', '.join(sorted(s.value for s in REPLY_STATUSES))}"
        ) from error
    if status not in REPLY_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(sorted(s.value for s in REPLY_STATUSES))}")
    request_id = (request.header("idempotency-key") or secrets.token_hex(12))[:80]
    sent = send_reply(
        AgentReply(
            ref=ref,
            agent_email=agent.email,
            agent_name=agent.name,
            body=body,
            request_id=request_id,
            status_after=status,
        ),
        context.settings,
        context.ports,
    )
    return ApiResponse(201, {"message": _message(sent, True, context.blobs)})
