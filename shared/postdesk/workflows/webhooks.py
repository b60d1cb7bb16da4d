"""Webhooks: admins subscribe an endpoint to the desk's public events (docs/events.md). Each webhook is
an EventBridge rule on the stack's bus targeting the one delivery queue; the ``webhook_sender``
function takes the queue's messages, signs each and POSTs it, records the try in the webhook's
delivery log, and on a failure leaves the message to SQS, which hands it on after a back-off until
the queue's last try, then to its dead-letter queue. A replay puts the logged event on the queue again.

A delivery that fails its last try marks the webhook as failing (the Webhooks page says so, until a
delivery goes through again) and tells the desk's admins by mail, through the send-once mechanism,
at most once per webhook and day: the dead-letter queue's alarm alone reaches only the operators."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from postdesk.agents.model import Role
from postdesk.clock import Clock, from_iso
from postdesk.effects import keys
from postdesk.effects.send_once import OnceMail, SendOutcome, send_once
from postdesk.errors import BadRequest, Conflict, Unavailable
from postdesk.events.public import PUBLIC_TYPES
from postdesk.mail.compose import OutboundMail
from postdesk.mail.model import Address
from postdesk.observability import logger
from postdesk.settings import EventsSettings, Settings
from postdesk.tickets.model import MessageKind
from postdesk.webhooks.endpoints import check_url
from postdesk.webhooks.http import PostResult
from postdesk.webhooks.model import (
    EVERY_EVENT,
    MAX_DESCRIPTION,
    MAX_WEBHOOKS,
    Delivery,
    DeliveryStatus,
    Webhook,
)
from postdesk.webhooks.payloads import PayloadFormat, delivery_body
from postdesk.webhooks.signature import HEADER, signature_header, webhook_secret
from postdesk.webhooks.store import WebhookStore, delivery_id, new_salt, new_webhook_id

if TYPE_CHECKING:
    from postdesk.ports import Ports

# The first retry waits EventsSettings.retry_seconds (30 s), each next one twice as long, up to
# MAX_BACKOFF_SECONDS: with the queue's 8 tries, a failing endpoint is tried over about two hours
# before the dead-letter queue.
MAX_BACKOFF_SECONDS = 3600


class Rules(Protocol):
    def put(self, webhook_id: str, detail_types: Sequence[str], enabled: bool) -> None: ...

    def remove(self, webhook_id: str) -> None: ...


class Queue(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...

    def retry_in(self, receipt_handle: str, seconds: int) -> None: ...


Poster = Callable[[str, bytes, dict[str, str], bool], PostResult]


@dataclass(frozen=True, slots=True)
class WebhookDesk:
    """What the webhook workflows work with."""

    settings: EventsSettings
    store: WebhookStore
    rules: Rules
    queue: Queue
    signing_key: Callable[[], bytes]
    clock: Clock
    # Tells the admins that a webhook's delivery failed after every try (tell_admins below, with
    # the desk's settings and ports); None: nobody is told.
    tell_admins: Callable[[Webhook, Delivery], object] | None = None


def require_configured(settings: EventsSettings) -> None:
    if not (settings.bus_name and settings.webhooks_table and settings.delivery_queue_url):
        raise Unavailable(
            "events out is not set up on this desk (POSTDESK_EVENT_BUS and the webhooks' resources)"
        )


# -- what admins do ---------------------------------------------------------------------------------------


def checked_events(value: Any) -> tuple[str, ...]:
    """The event types a webhook asks for: a non-empty list of known public types, or ["*"]."""
    if not isinstance(value, list) or not value or not all(isinstance(name, str) for name in value):
        raise BadRequest('events must be a non-empty list of event types (or ["*"] for every event)')
    names = tuple(dict.fromkeys(value))
    if EVERY_EVENT in names:
        if len(names) > 1:
            raise BadRequest('events: "*" means every event; give it alone')
        return names
    unknown = [name for name in names if name not in PUBLIC_TYPES]
    if unknown:
        raise BadRequest(f"unknown event type(s): {', '.join(unknown[:5])}; see GET /webhooks/event-types")
    return tuple(sorted(names))


def create_webhook(
    desk: WebhookDesk,
    url: str,
    events: tuple[str, ...],
    payload_format: PayloadFormat,
    description: str,
    admin: str,
) -> tuple[Webhook, str]:
    """Make the webhook, its rule and its target; the webhook and its secret (shown this once)."""
    check_url(url, desk.settings.allow_local_endpoints)
    if len(desk.store.every()) >= MAX_WEBHOOKS:
        raise Conflict(f"a desk has at most {MAX_WEBHOOKS} webhooks; delete one first")
    webhook = Webhook(
        id=new_webhook_id(),
        url=url,
        events=events,
        payload_format=payload_format,
        enabled=True,
        created_at=desk.clock(),
        created_by=admin,
        salt=new_salt(),
        description=description.strip()[:MAX_DESCRIPTION],
    )
    # The webhook first: a rule without it delivers nothing (the sender drops events of unknown ids).
    desk.store.save(webhook)
    desk.rules.put(webhook.id, webhook.detail_types, enabled=True)
    logger.info("webhook created", extra={"webhook": webhook.id, "events": list(webhook.events)})
    return webhook, secret_of(desk, webhook)


def secret_of(desk: WebhookDesk, webhook: Webhook) -> str:
    return webhook_secret(desk.signing_key(), webhook.id, webhook.salt)


def update_webhook(
    desk: WebhookDesk,
    webhook_id: str,
    enabled: bool | None = None,
    events: tuple[str, ...] | None = None,
    roll_secret: bool = False,
) -> tuple[Webhook, str | None]:
    """Enable or disable the webhook, change its events, or give it a new secret (answered once)."""
    webhook = desk.store.require(webhook_id)
    changed = replace(
        webhook,
        enabled=webhook.enabled if enabled is None else enabled,
        events=webhook.events if events is None else events,
        salt=new_salt() if roll_secret else webhook.salt,
    )
    desk.store.save(changed)
    desk.rules.put(changed.id, changed.detail_types, enabled=changed.enabled)
    logger.info("webhook changed", extra={"webhook": webhook_id, "enabled": changed.enabled})
    return changed, secret_of(desk, changed) if roll_secret else None


def delete_webhook(desk: WebhookDesk, webhook_id: str) -> None:
    """The rule and its target go first (no event is routed to it after), then the webhook."""
    desk.store.require(webhook_id)
    desk.rules.remove(webhook_id)
    desk.store.delete(webhook_id)
    logger.info("webhook deleted", extra={"webhook": webhook_id})


def replay(desk: WebhookDesk, webhook_id: str, delivery: str) -> Delivery:
    """Put the logged event on the delivery queue again (any status: a delivered one is sent again,
    on purpose). The sender treats it as a new series of tries."""
    webhook = desk.store.require(webhook_id)
    if not webhook.enabled:
        raise Conflict("the webhook is disabled: enable it before replaying a delivery")
    found = desk.store.require_delivery(webhook_id, delivery)
    desk.queue.send({"webhook_id": webhook_id, "event": json.loads(found.event_json), "replay": True})
    logger.info("webhook delivery replayed", extra={"webhook": webhook_id, "event": found.event_id})
    return found


# -- what the sender does -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    message_id: str
    receipt_handle: str
    # SQS's count of receipts: 1 on the first try.
    attempt: int
    webhook_id: str
    event: dict[str, Any]
    replay: bool


def queued_deliveries(records: Iterable[Mapping[str, Any]]) -> tuple[list[QueuedDelivery], list[str]]:
    """The deliveries of an SQS event, and the ids of messages that hold none (dropped: a retry
    could not make them valid)."""
    read, unreadable = [], []
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            body = json.loads(record["body"])
            event = body["event"]
            if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
                raise ValueError("no event detail")
            from_iso(str(event["detail"]["at"]))
            read.append(
                QueuedDelivery(
                    message_id=message_id,
                    receipt_handle=str(record.get("receiptHandle", "")),
                    attempt=int(record.get("attributes", {}).get("ApproximateReceiveCount", "1")),
                    webhook_id=str(body["webhook_id"]),
                    event=event,
                    replay=bool(body.get("replay", False)),
                )
            )
        except (KeyError, TypeError, ValueError):
            unreadable.append(message_id)
    return read, unreadable


def backoff(attempt: int, first: int) -> int:
    """How long SQS keeps a message after its ``attempt``-th try failed."""
    return int(min(first * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))


def send_batch(desk: WebhookDesk, records: Iterable[Mapping[str, Any]], poster: Poster) -> list[str]:
    """Deliver each message of an SQS batch; the ids of those that failed (SQS hands them on again:
    ReportBatchItemFailures)."""
    deliveries, unreadable = queued_deliveries(records)
    if unreadable:
        logger.error("webhook messages without a delivery dropped", extra={"count": len(unreadable)})
    failed = []
    for queued in deliveries:
        if not deliver_one(desk, queued, poster):
            failed.append(queued.message_id)
    return failed


def deliver_one(desk: WebhookDesk, queued: QueuedDelivery, poster: Poster) -> bool:
    """One try of one delivery; False when it should be tried again (it was left on the queue)."""
    webhook = desk.store.get(queued.webhook_id)
    detail = queued.event["detail"]
    event_type = str(queued.event.get("detail-type") or detail.get("type", ""))
    if webhook is None or not webhook.wants(event_type):
        # Deleted, or its events changed after the event was routed: nothing to deliver.
        return True
    event_id = str(detail.get("event_id", ""))
    event_at = from_iso(str(detail.get("at")))
    key = delivery_id(event_at, event_id)
    earlier = desk.store.delivery(webhook.id, key)
    now = desk.clock()
    previous_attempts = earlier.attempts if earlier else 0
    if earlier is not None and earlier.status is DeliveryStatus.DELIVERED and not queued.replay:
        # The same event routed twice (EventBridge and the stream deliver at least once).
        return True
    entry = Delivery(
        webhook_id=webhook.id,
        delivery_id=key,
        event_id=event_id,
        event_type=event_type,
        event_at=event_at,
        status=DeliveryStatus.SKIPPED,
        attempts=previous_attempts,
        last_attempt_at=now,
        event_json=json.dumps(queued.event, ensure_ascii=False, sort_keys=True),
    )
    if not webhook.enabled:
        desk.store.record(replace(entry, last_error="the webhook was disabled"))
        return True
    body = delivery_body(queued.event, webhook.payload_format)
    headers = {
        HEADER: _signature(desk, webhook, body),
        "Postdesk-Event-Id": event_id,
        "Postdesk-Event-Type": event_type,
        "Postdesk-Delivery-Attempt": str(queued.attempt),
    }
    result = poster(webhook.url, body, headers, desk.settings.allow_local_endpoints)
    attempts = previous_attempts + 1
    if result.ok:
        desk.store.record(
            replace(entry, status=DeliveryStatus.DELIVERED, attempts=attempts, status_code=result.status_code)
        )
        if webhook.failing_since is not None:
            desk.store.clear_failing(webhook.id)
        return True
    last = queued.attempt >= desk.settings.delivery_attempts
    # After the last try, at once: SQS moves the message to the dead-letter queue when it is
    # received next, rather than after the queue's whole visibility timeout.
    wait = 0 if last else backoff(queued.attempt, desk.settings.retry_seconds)
    failed = replace(
        entry,
        status=DeliveryStatus.DEAD_LETTERED if last else DeliveryStatus.RETRYING,
        attempts=attempts,
        status_code=result.status_code,
        last_error=result.error,
        next_attempt_at=None if last else now + timedelta(seconds=wait),
    )
    desk.store.record(failed)
    if last:
        desk.store.mark_failing(webhook.id, now, failure_words(failed))
        if desk.tell_admins is not None:
            try:
                desk.tell_admins(webhook, failed)
            except Exception:  # the delivery's outcome stands; the page still says it is failing
                logger.exception(
                    "the admins were not told of a failing webhook", extra={"webhook": webhook.id}
                )
    logger.warning(
        "webhook delivery failed",
        extra={"webhook": webhook.id, "attempt": queued.attempt, "status": result.status_code, "last": last},
    )
    if queued.receipt_handle:
        desk.queue.retry_in(queued.receipt_handle, wait)
    return False


def _signature(desk: WebhookDesk, webhook: Webhook, body: bytes) -> str:
    """Signed at the wall clock's time (never the desk's own, which the local stack moves): the
    receiver checks it against its clock."""
    return signature_header(secret_of(desk, webhook), int(time.time()), body)


def failure_words(delivery: Delivery) -> str:
    """How the endpoint answered the delivery's last try, in words."""
    if delivery.status_code is not None:
        return f"HTTP {delivery.status_code}" + (f": {delivery.last_error}" if delivery.last_error else "")
    return delivery.last_error or "no answer"


def tell_admins(webhook: Webhook, delivery: Delivery, settings: Settings, ports: Ports) -> int:
    """Mail every active admin that ``webhook``'s ``delivery`` failed after every try, once per
    webhook, admin and day (UTC) through the send-once mechanism; how many mails went out now."""
    day = ports.clock().astimezone(UTC).date()
    name = webhook.description or webhook.url
    page = (
        f"{settings.survey.public_url}/console#/webhooks"
        if settings.survey.public_url
        else "the Webhooks page"
    )
    text = (
        f"The webhook {name} ({webhook.url}) could not be delivered an event after every try.\n\n"
        f"Event: {delivery.event_type}, of {delivery.event_at:%Y-%m-%d %H:%M} UTC\n"
        f"Tries: {delivery.attempts}\n"
        f"Last answer: {failure_words(delivery)}\n\n"
        "The desk goes on sending new events to it. The events that failed are in the webhook's delivery "
        "log, where Replay sends each again once the endpoint works; until one goes through, the webhook "
        f"shows as failing. See {page}.\n\n"
        "You get this mail at most once a day for this webhook.\n"
    )
    sent = 0
    for admin in ports.agents.list():
        if not admin.active or admin.role is not Role.ADMIN:
            continue
        mail = OutboundMail(
            sender=Address(settings.support_name, settings.support_address),
            to=(Address(admin.name, admin.email),),
            subject=f"Webhook failing: {name}",
            text=text,
            html=None,
            message_id=keys.webhook_failing_message_id(webhook.id, day, admin.email, settings.support_domain),
            date=ports.clock(),
            auto_submitted="auto-generated",
            extra_headers=(("X-Auto-Response-Suppress", "All"),),
        )
        once = OnceMail(
            guard=keys.webhook_failing_guard(webhook.id, day, admin.email),
            ref="-",
            mail=mail,
            kind=MessageKind.TEAM_NOTICE,
            thread_unique=None,
            metric="WebhookFailingMailsSent",
        )
        if send_once(once, ports).outcome is SendOutcome.SENT:
            sent += 1
    logger.info("admins told of a failing webhook", extra={"webhook": webhook.id, "mails": sent})
    return sent
