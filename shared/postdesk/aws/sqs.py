"""The webhooks' delivery queue: a replay is sent to it, and a failed delivery waits there longer
before its next try (its visibility timeout), which is how the sender backs off."""

from __future__ import annotations

import json
from typing import Any

from postdesk.aws.clients import client

# SQS's longest visibility timeout.
MAX_VISIBILITY_SECONDS = 12 * 3600


class DeliveryQueue:
    def __init__(self, queue_url: str, region: str) -> None:
        self._url = queue_url
        self._region = region

    def send(self, message: dict[str, Any]) -> None:
        client("sqs", self._region).send_message(QueueUrl=self._url, MessageBody=json.dumps(message))

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """The message is received again ``seconds`` from now (not before)."""
        client("sqs", self._region).change_message_visibility(
            QueueUrl=self._url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY_SECONDS)),
        )
