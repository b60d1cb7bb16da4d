"""An SQS queue read as Lambda's event source mapping reads it, for the local stack and the tests: a
batch of messages received (each receipt counts, so the queue's redrive policy moves a message to
its dead-letter queue after its last try, as on AWS), handed to the function in the event shape
Lambda gives it, and the messages it did not name in ``batchItemFailures`` deleted. A failed message
stays on the queue until its visibility timeout (which the function may have set: its back-off)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from postdesk.aws.clients import client

# The event source mapping's BatchSize in infra/template.json (WebhookSenderFeed).
BATCH_SIZE = 5


def sqs_event(queue_arn: str, messages: list[dict[str, Any]], region: str) -> dict[str, Any]:
    """Lambda's SQS event for ``messages`` as ReceiveMessage gave them."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def deliver_queue(
    queue_url: str, queue_arn: str, region: str, handle: Callable[[dict[str, Any]], dict[str, Any]]
) -> int:
    """Receive one batch and hand it to ``handle``; the number of messages handed on. When ``handle``
    raises, every message of the batch stays (SQS hands them on after their visibility timeout)."""
    sqs = client("sqs", region)
    answer = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=BATCH_SIZE, AttributeNames=["All"], WaitTimeSeconds=0
    )
    messages = answer.get("Messages", [])
    if not messages:
        return 0
    result = handle(sqs_event(queue_arn, messages, region))
    failed = {str(item.get("itemIdentifier")) for item in (result or {}).get("batchItemFailures", [])}
    done = [message for message in messages if message["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
        )
    return len(messages)
