"""A webhook (an admin's subscription of an endpoint to the desk's events) and the log of its
deliveries, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from postdesk.webhooks.payloads import PayloadFormat

# A webhook subscribed to "*" gets every event, those added later included.
EVERY_EVENT = "*"
MAX_WEBHOOKS = 50
MAX_DESCRIPTION = 200


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    # Public event types (events/public.py PUBLIC_TYPES), or ("*",).
    events: tuple[str, ...]
    payload_format: PayloadFormat
    enabled: bool
    created_at: datetime
    created_by: str
    # Random, per webhook: the secret is derived from it and the desk's signing key (never stored).
    salt: str
    description: str = ""
    # Since when its deliveries fail after every try (a delivery dead-lettered, none delivered
    # since), and the last one's error in words; None while it delivers.
    failing_since: datetime | None = None
    failing_error: str = ""

    @property
    def detail_types(self) -> tuple[str, ...]:
        """What its rule matches on (empty: every event)."""
        return () if EVERY_EVENT in self.events else self.events

    def wants(self, detail_type: str) -> bool:
        return EVERY_EVENT in self.events or detail_type in self.events


class DeliveryStatus(StrEnum):
    # Tried and failed; SQS hands it on again after the back-off.
    RETRYING = "retrying"
    DELIVERED = "delivered"
    # Failed its last try: the message is in the dead-letter queue; a replay sends it again.
    DEAD_LETTERED = "dead_lettered"
    # The webhook was disabled when the event came: not sent (a replay sends it).
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event of one webhook: every try of it (retries, replays) updates this one entry."""

    webhook_id: str
    delivery_id: str
    event_id: str
    event_type: str
    event_at: datetime
    status: DeliveryStatus
    attempts: int
    last_attempt_at: datetime
    status_code: int | None = None
    last_error: str = ""
    # When the queue hands a failed delivery on for its next try (retrying only).
    next_attempt_at: datetime | None = None
    # EventBridge's envelope of the event, as JSON: what a replay sends again.
    event_json: str = ""
