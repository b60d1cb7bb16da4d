"""Webhook routes (admins only): subscribe an endpoint to the desk's events, list, disable or enable,
change the events, roll the secret, delete; the delivery log and its replay (docs/events.md)."""

from __future__ import annotations

import re
from typing import Any

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.clock import to_iso
from postdesk.errors import BadRequest
from postdesk.events.public import EVENT_LABELS, PUBLIC_TYPES, SCHEMA_VERSION
from postdesk.runtime import webhook_desk
from postdesk.webhooks.model import MAX_DESCRIPTION, Delivery, Webhook
from postdesk.webhooks.payloads import PayloadFormat
from postdesk.webhooks.store import WebhookNotFound
from postdesk.workflows.webhooks import (
    checked_events,
    replay,
)
from postdesk.workflows.webhooks import (
    create_webhook as create,
)
from postdesk.workflows.webhooks import (
    delete_webhook as delete,
)
from postdesk.workflows.webhooks import (
    update_webhook as update,
)

_CREATE_FIELDS = frozenset({"url", "events", "format", "description"})
_UPDATE_FIELDS = frozenset({"enabled", "events", "roll_secret"})
_WEBHOOK_ID = re.compile(r"wh_[0-9a-f]{16}")
_DELIVERY_ID = re.compile(r"\d{8}T\d{12}Z-evt_[0-9a-f]{32}")
DEFAULT_DELIVERIES = 50
MAX_DELIVERIES = 200


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "format": webhook.payload_format.value,
        "enabled": webhook.enabled,
        "description": webhook.description,
        "created_at": to_iso(webhook.created_at),
        "created_by": webhook.created_by,
        "failing_since": to_iso(webhook.failing_since) if webhook.failing_since else None,
        "failing_error": webhook.failing_error,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.delivery_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "event_at": to_iso(delivery.event_at),
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "status_code": delivery.status_code,
        "last_error": delivery.last_error,
        "last_attempt_at": to_iso(delivery.last_attempt_at),
        "next_attempt_at": to_iso(delivery.next_attempt_at) if delivery.next_attempt_at else None,
    }


def _webhook_id(request: ApiRequest) -> str:
    value = request.path_params.get("id", "")
    if not _WEBHOOK_ID.fullmatch(value):
        raise WebhookNotFound(f"no webhook {value[:40]!r}")
    return value


def _format(document: dict[str, Any]) -> PayloadFormat:
    value = document.get("format", "json")
    if not isinstance(value, str) or value not in {f.value for f in PayloadFormat}:
        raise BadRequest('format must be "json" or "slack"')
    return PayloadFormat(value)


def _flag(document: dict[str, Any], name: str) -> bool | None:
    """The flag ``name`` when given (null is not a flag); None when left out."""
    if name not in document:
        return None
    value = document[name]
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false")
    return value


def _description(document: dict[str, Any]) -> str:
    # Refused rather than cut: the admin would not see that the end of their words went.
    description = text_field(document, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise BadRequest(f"description is at most {MAX_DESCRIPTION} characters")
    return description


def list_webhooks(request: ApiRequest, context: ApiContext) -> ApiResponse:
    authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset())
    return ApiResponse(200, {"webhooks": [webhook_json(w) for w in webhook_desk().store.every()]})


def list_event_types(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The event types a webhook may name, their words (``labels``: the console's and Slack's one
    table), and the version of their schema."""
    authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset())
    return ApiResponse(
        200,
        {"schema_version": SCHEMA_VERSION, "event_types": list(PUBLIC_TYPES), "labels": dict(EVENT_LABELS)},
    )


def create_webhook(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Subscribe ``url`` to ``events``; the answer holds the secret, shown this once."""
    admin = authenticated(request, context, Role.ADMIN)
    document = request.json_body(allowed=_CREATE_FIELDS, required=frozenset({"url", "events"}))
    url = (text_field(document, "url") or "").strip()
    description = _description(document)
    webhook, secret = create(
        webhook_desk(), url, checked_events(document["events"]), _format(document), description, admin.email
    )
    return ApiResponse(201, {"webhook": webhook_json(webhook), "secret": secret})


def update_webhook(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Enable or disable, change the events, or roll the secret (then answered once)."""
    authenticated(request, context, Role.ADMIN)
    webhook_id = _webhook_id(request)
    document = request.json_body(allowed=_UPDATE_FIELDS)
    if not document:
        raise BadRequest("give enabled, events or roll_secret")
    events = checked_events(document["events"]) if "events" in document else None
    webhook, secret = update(
        webhook_desk(),
        webhook_id,
        enabled=_flag(document, "enabled"),
        events=events,
        roll_secret=bool(_flag(document, "roll_secret")),
    )
    answer: dict[str, Any] = {"webhook": webhook_json(webhook)}
    if secret is not None:
        answer["secret"] = secret
    return ApiResponse(200, answer)


def delete_webhook(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The webhook, its rule and its target go; 204."""
    authenticated(request, context, Role.ADMIN)
    delete(webhook_desk(), _webhook_id(request))
    return ApiResponse(204, "", headers={})


def list_deliveries(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The webhook's deliveries, newest event first (``?limit=``, at most 200; kept 30 days)."""
    authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset({"limit"}))
    webhook_id = _webhook_id(request)
    raw = request.query.get("limit", str(DEFAULT_DELIVERIES))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DELIVERIES:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_DELIVERIES}")
    desk = webhook_desk()
    desk.store.require(webhook_id)
    deliveries = desk.store.deliveries(webhook_id, int(raw), desk.clock())
    return ApiResponse(200, {"deliveries": [delivery_json(d) for d in deliveries]})


def replay_delivery(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Send the delivery's event again (202: it is queued; the log shows the outcome)."""
    authenticated(request, context, Role.ADMIN)
    request.json_body(allowed=frozenset())
    webhook_id = _webhook_id(request)
    delivery = request.path_params.get("delivery", "")
    if not _DELIVERY_ID.fullmatch(delivery):
        raise BadRequest("not a delivery id")
    found = replay(webhook_desk(), webhook_id, delivery)
    return ApiResponse(202, {"delivery": delivery_json(found), "queued": True})
