"""The webhooks table: the webhooks (one partition, a desk has few) and each webhook's delivery log
(a partition per webhook, newest first, kept DELIVERY_LOG_DAYS by DynamoDB's TTL)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.clock import from_iso, to_iso
from postdesk.errors import NotFound
from postdesk.webhooks.model import Delivery, DeliveryStatus, Webhook
from postdesk.webhooks.payloads import PayloadFormat

WEBHOOKS_PARTITION = "webhooks"
DELIVERY_LOG_DAYS = 30
# How much of an endpoint's error is kept in the log.
MAX_ERROR = 300


class WebhookNotFound(NotFound):
    """No webhook has that id."""


class DeliveryNotFound(NotFound):
    """The webhook has no delivery with that id (or it is older than the log keeps)."""


def new_webhook_id() -> str:
    return "wh_" + secrets.token_hex(8)


def new_salt() -> str:
    return secrets.token_hex(16)


def delivery_id(event_at: datetime, event_id: str) -> str:
    """Sorts by the event's time: the log is read newest first."""
    return f"{event_at.strftime('%Y%m%dT%H%M%S%fZ')}-{event_id}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class WebhookStore:
    def __init__(self, table_name: str, region: str) -> None:
        self._table = table_name
        self._region = region

    def _dynamodb(self) -> Any:
        return client("dynamodb", self._region)

    # -- webhooks -------------------------------------------------------------------------------------

    def save(self, webhook: Webhook) -> None:
        self._dynamodb().put_item(TableName=self._table, Item=_webhook_item(webhook))

    def get(self, webhook_id: str) -> Webhook | None:
        answer = self._dynamodb().get_item(
            TableName=self._table,
            Key={"pk": _s(WEBHOOKS_PARTITION), "sk": _s(webhook_id)},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return _webhook(item) if item else None

    def require(self, webhook_id: str) -> Webhook:
        webhook = self.get(webhook_id)
        if webhook is None:
            raise WebhookNotFound(f"no webhook {webhook_id}")
        return webhook

    def every(self) -> list[Webhook]:
        return sorted(
            (_webhook(item) for item in self._query(WEBHOOKS_PARTITION, forward=True)),
            key=lambda webhook: (webhook.created_at, webhook.id),
        )

    def mark_failing(self, webhook_id: str, at: datetime, error: str) -> None:
        """A delivery of the webhook failed after every try: failing since ``at`` (an earlier time
        stays), with ``error``. Nothing for a webhook deleted meanwhile."""
        self._update_existing(
            webhook_id,
            UpdateExpression="SET failing_since = if_not_exists(failing_since, :at), failing_error = :error",
            ExpressionAttributeValues={":at": _s(to_iso(at)), ":error": _s(error[:MAX_ERROR])},
        )

    def clear_failing(self, webhook_id: str) -> None:
        """A delivery of the webhook went through: it is no longer failing."""
        self._update_existing(webhook_id, UpdateExpression="REMOVE failing_since, failing_error")

    def _update_existing(self, webhook_id: str, **update: Any) -> None:
        try:
            self._dynamodb().update_item(
                TableName=self._table,
                Key={"pk": _s(WEBHOOKS_PARTITION), "sk": _s(webhook_id)},
                ConditionExpression="attribute_exists(sk)",
                **update,
            )
        except ClientError as refused:
            if refused.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def delete(self, webhook_id: str) -> None:
        """The webhook goes; its delivery log goes with TTL (a deleted webhook's log is not shown)."""
        self._dynamodb().delete_item(
            TableName=self._table, Key={"pk": _s(WEBHOOKS_PARTITION), "sk": _s(webhook_id)}
        )

    # -- deliveries -----------------------------------------------------------------------------------

    def delivery(self, webhook_id: str, delivery: str) -> Delivery | None:
        answer = self._dynamodb().get_item(
            TableName=self._table, Key={"pk": _s(_log(webhook_id)), "sk": _s(delivery)}, ConsistentRead=True
        )
        item = answer.get("Item")
        return _delivery(item) if item else None

    def require_delivery(self, webhook_id: str, delivery: str) -> Delivery:
        found = self.delivery(webhook_id, delivery)
        if found is None:
            raise DeliveryNotFound(f"webhook {webhook_id} has no delivery {delivery}")
        return found

    def record(self, delivery: Delivery) -> None:
        item = _delivery_item(delivery)
        item["expires_at"] = {
            "N": str(int((delivery.last_attempt_at + timedelta(days=DELIVERY_LOG_DAYS)).timestamp()))
        }
        self._dynamodb().put_item(TableName=self._table, Item=item)

    def deliveries(self, webhook_id: str, limit: int, now: datetime) -> list[Delivery]:
        """The newest ``limit`` deliveries (those TTL has not removed yet but should have, left out)."""
        found = []
        for item in self._query(_log(webhook_id), forward=False):
            if "expires_at" in item and int(item["expires_at"]["N"]) <= now.timestamp():
                continue
            found.append(_delivery(item))
            if len(found) >= limit:
                break
        return found

    def _query(self, partition: str, forward: bool) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(partition)},
            "ScanIndexForward": forward,
        }
        while True:
            answer = self._dynamodb().query(**arguments)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _log(webhook_id: str) -> str:
    return f"log#{webhook_id}"


def _webhook_item(webhook: Webhook) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _s(WEBHOOKS_PARTITION),
        "sk": _s(webhook.id),
        "url": _s(webhook.url),
        "events": {"L": [_s(name) for name in webhook.events]},
        "format": _s(webhook.payload_format.value),
        "enabled": {"BOOL": webhook.enabled},
        "created_at": _s(to_iso(webhook.created_at)),
        "created_by": _s(webhook.created_by),
        "salt": _s(webhook.salt),
        "description": _s(webhook.description),
    }
    if webhook.failing_since is not None:
        item["failing_since"] = _s(to_iso(webhook.failing_since))
        item["failing_error"] = _s(webhook.failing_error[:MAX_ERROR])
    return item


def _webhook(item: dict[str, Any]) -> Webhook:
    return Webhook(
        id=item["sk"]["S"],
        url=item["url"]["S"],
        events=tuple(value["S"] for value in item["events"]["L"]),
        payload_format=PayloadFormat(item["format"]["S"]),
        enabled=bool(item["enabled"]["BOOL"]),
        created_at=from_iso(item["created_at"]["S"]),
        created_by=item["created_by"]["S"],
        salt=item["salt"]["S"],
        description=item.get("description", {}).get("S", ""),
        failing_since=from_iso(item["failing_since"]["S"]) if "failing_since" in item else None,
        failing_error=item.get("failing_error", {}).get("S", ""),
    )


def _delivery_item(delivery: Delivery) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _s(_log(delivery.webhook_id)),
        "sk": _s(delivery.delivery_id),
        "event_id": _s(delivery.event_id),
        "event_type": _s(delivery.event_type),
        "event_at": _s(to_iso(delivery.event_at)),
        "status": _s(delivery.status.value),
        "attempts": {"N": str(delivery.attempts)},
        "last_attempt_at": _s(to_iso(delivery.last_attempt_at)),
        "last_error": _s(delivery.last_error[:MAX_ERROR]),
        "event_json": _s(delivery.event_json),
    }
    if delivery.status_code is not None:
        item["status_code"] = {"N": str(delivery.status_code)}
    if delivery.next_attempt_at is not None:
        item["next_attempt_at"] = _s(to_iso(delivery.next_attempt_at))
    return item


def _delivery(item: dict[str, Any]) -> Delivery:
    return Delivery(
        webhook_id=item["pk"]["S"].removeprefix("log#"),
        delivery_id=item["sk"]["S"],
        event_id=item["event_id"]["S"],
        event_type=item["event_type"]["S"],
        event_at=from_iso(item["event_at"]["S"]),
        status=DeliveryStatus(item["status"]["S"]),
        attempts=int(item["attempts"]["N"]),
        last_attempt_at=from_iso(item["last_attempt_at"]["S"]),
        status_code=int(item["status_code"]["N"]) if "status_code" in item else None,
        last_error=item.get("last_error", {}).get("S", ""),
        event_json=item.get("event_json", {}).get("S", ""),
        next_attempt_at=from_iso(item["next_attempt_at"]["S"]) if "next_attempt_at" in item else None,
    )
