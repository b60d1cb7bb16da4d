"""The stack's EventBridge bus: the desk publishes its public events there (PutEvents, ten at a time),
and each webhook is a rule on it whose target is the delivery queue, the webhook's id put around the
event by an input transformer (so one queue and one sender serve every webhook)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.errors import Unavailable
from postdesk.events.public import SOURCE, PublicEvent

# PutEvents takes at most ten entries a call.
PUT_EVENTS_BATCH = 10
# The rule's only target.
TARGET_ID = "delivery-queue"


class PublishFailed(Unavailable):
    """EventBridge refused some events of a batch (throttled, or an internal error): the batch is
    handed on again."""


class EventBus:
    def __init__(self, bus_name: str, region: str) -> None:
        self._bus = bus_name
        self._region = region

    def publish(self, events: Sequence[PublicEvent]) -> int:
        """Put ``events`` on the bus; PublishFailed when any was refused (all are put again: a
        subscriber drops what it saw by the event's id). The number put."""
        events_client = client("events", self._region)
        for start in range(0, len(events), PUT_EVENTS_BATCH):
            batch = events[start : start + PUT_EVENTS_BATCH]
            answer = events_client.put_events(
                Entries=[
                    {
                        "EventBusName": self._bus,
                        "Source": SOURCE,
                        "DetailType": event.detail_type,
                        "Detail": json.dumps(event.detail, ensure_ascii=False, sort_keys=True),
                        "Resources": [],
                    }
                    for event in batch
                ]
            )
            if answer.get("FailedEntryCount"):
                codes = sorted({str(e.get("ErrorCode")) for e in answer["Entries"] if e.get("ErrorCode")})
                raise PublishFailed(
                    f"EventBridge refused {answer['FailedEntryCount']} events: {', '.join(codes)}"
                )
        return len(events)


def event_pattern(detail_types: Sequence[str]) -> dict[str, Any]:
    """The rule's pattern: the desk's events, of ``detail_types`` (empty: all of them)."""
    pattern: dict[str, Any] = {"source": [SOURCE]}
    if detail_types:
        pattern["detail-type"] = sorted(detail_types)
    return pattern


class WebhookRules:
    """One rule per webhook, named ``<prefix>-<webhook id>``, targeting the delivery queue."""

    def __init__(self, bus_name: str, region: str, prefix: str, queue_arn: str) -> None:
        self._bus = bus_name
        self._region = region
        self._prefix = prefix
        self._queue_arn = queue_arn

    def rule_name(self, webhook_id: str) -> str:
        return f"{self._prefix}-{webhook_id}"

    def put(self, webhook_id: str, detail_types: Sequence[str], enabled: bool) -> None:
        """Create or update the webhook's rule and its target (idempotent)."""
        events_client = client("events", self._region)
        name = self.rule_name(webhook_id)
        events_client.put_rule(
            Name=name,
            EventBusName=self._bus,
            EventPattern=json.dumps(event_pattern(detail_types)),
            State="ENABLED" if enabled else "DISABLED",
            Description=f"Webhook {webhook_id} of the desk: its events to the delivery queue",
        )
        events_client.put_targets(
            Rule=name,
            EventBusName=self._bus,
            Targets=[
                {
                    "Id": TARGET_ID,
                    "Arn": self._queue_arn,
                    "InputTransformer": {
                        "InputPathsMap": {},
                        "InputTemplate": (
                            f'{{"webhook_id": "{webhook_id}", "event": <aws.events.event.json>}}'
                        ),
                    },
                }
            ],
        )

    def remove(self, webhook_id: str) -> None:
        """Delete the webhook's target and rule (gone already: nothing to do)."""
        events_client = client("events", self._region)
        name = self.rule_name(webhook_id)
        try:
            events_client.remove_targets(Rule=name, EventBusName=self._bus, Ids=[TARGET_ID])
            events_client.delete_rule(Name=name, EventBusName=self._bus)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
