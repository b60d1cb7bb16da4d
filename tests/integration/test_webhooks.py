"""Events out and webhooks on in-process moto, through functions/app.py: a change of a ticket is
published to the stack's bus with a valid schema; a webhook gets the events it asked for only, signed;
a failing endpoint is retried, then dead-lettered and logged; replay, disable, delete; admins only;
endpoints on private addresses refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.aws.clients import client as aws_client
from postdesk.webhooks.signature import HEADER, verify_signature
from postdesk_tools.change_feed import ChangeFeed, deliver_changes
from postdesk_tools.local_stack import lambda_function
from postdesk_tools.queue_feed import deliver_queue
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.webhook_receiver import Receiver, webhook_receiver
from tests.mails import build_mail

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "events" / "ticket-event.v1.schema.json").read_text()
)


@pytest.fixture(autouse=True)
def _retry_at_once(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # Failed deliveries come back at once (the back-off itself is checked in tests/unit).
    monkeypatch.setenv("POSTDESK_WEBHOOK_RETRY_SECONDS", "0")
    runtime.reset_runtime()


@pytest.fixture
def events_feed(desk: Desk) -> ChangeFeed:
    feed = ChangeFeed(desk.settings.region, (desk.settings.tables.ticket_log,))
    # Only what happens from now on (the event source mapping starts at LATEST).
    while True:
        records, moved = feed.read()
        if not records:
            return feed
        feed.advance(moved)


def publish(feed: ChangeFeed) -> int:
    """The events_out function on the log's stream, as its event source mapping runs it."""
    events_out = lambda_function("events_out")
    total = 0
    while deliver_changes(feed, events_out):
        total += 1
    return total


def send(desk: Desk, rounds: int = 20) -> int:
    """The webhook_sender function on the delivery queue, until it is empty (a message failed with no
    back-off comes back at once)."""
    sender = lambda_function("webhook_sender")
    events = desk.settings.events
    handed = 0
    empty = 0
    for _ in range(rounds):
        count = deliver_queue(
            events.delivery_queue_url, events.delivery_queue_arn, desk.settings.region, sender
        )
        handed += count
        empty = 0 if count else empty + 1
        if empty == 2:
            break
        # SQS shows a message again only after its visibility timeout (0 s here) has passed.
        time.sleep(0.01)
    return handed


def capture_bus(desk: Desk) -> str:
    """A queue subscribed to every event of the bus (a subscriber of the tests' own)."""
    sqs = aws_client("sqs", desk.settings.region)
    url = sqs.create_queue(QueueName="bus-capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = aws_client("events", desk.settings.region)
    events.put_rule(
        Name="capture", EventBusName=desk.settings.events.bus_name, EventPattern='{"source": ["postdesk"]}'
    )
    events.put_targets(
        Rule="capture", EventBusName=desk.settings.events.bus_name, Targets=[{"Id": "q", "Arn": arn}]
    )
    return str(url)


def captured(desk: Desk, url: str) -> list[dict[str, Any]]:
    sqs = aws_client("sqs", desk.settings.region)
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def create(client: Client, admin_token: str, **body: Any) -> Any:
    return client.http.post("/webhooks", headers=auth(admin_token), body=json.dumps(body))


def deliveries(client: Client, admin_token: str, webhook_id: str) -> list[dict[str, Any]]:
    answer = client.http.get(f"/webhooks/{webhook_id}/deliveries", headers=auth(admin_token))
    assert answer.status_code == 200, answer.body
    return list(body_of(answer)["deliveries"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as endpoint:
        yield endpoint


def test_every_change_is_published_to_the_bus_with_a_valid_schema_and_no_customer_data(
    desk: Desk, client: Client, token: str, events_feed: ChangeFeed
) -> None:
    # Given a subscriber to the bus
    queue = capture_bus(desk)
    # When a customer writes and an agent changes the priority and the status
    ref = desk.deliver(build_mail(subject="Parcel lost", body="Jane Doe, 1 Main St")).ref
    version = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    changed = client.http.patch(
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"priority": "high", "status": "pending", "version": version}),
    )
    assert changed.status_code == 200, changed.body
    publish(events_feed)

    # Then each change is on the bus as a versioned event that validates against the schema
    events = captured(desk, queue)
    types = [event["detail-type"] for event in events]
    assert (
        "ticket.created" in types and "ticket.priority_changed" in types and "ticket.status_changed" in types
    )
    for event in events:
        assert event["source"] == "postdesk"
        jsonschema.validate(event["detail"], SCHEMA)
        assert event["detail"]["ref"] == ref and event["detail"]["type"] == event["detail-type"]
        # The customer's address, name and words never leave the desk in an event.
        text = json.dumps(event)
        assert "jane.doe" not in text and "Parcel lost" not in text and "Main St" not in text
    status = next(e["detail"] for e in events if e["detail-type"] == "ticket.status_changed")
    assert status["change"] == {"from": "new", "to": "pending"} or status["change"]["to"] == "pending"
    assert status["actor"] == {"type": "agent", "email": "sam@example.com"}
    assert status["ticket"]["status"] == "pending" and status["ticket"]["priority"] == "high"

    # And the same stream records handed on again publish events with the same ids
    again = ChangeFeed(desk.settings.region, (desk.settings.tables.ticket_log,))
    publish(again)
    ids = [event["detail"]["event_id"] for event in captured(desk, queue)]
    assert set(ids) >= {event["detail"]["event_id"] for event in events}


def test_a_webhook_gets_the_events_it_asked_for_only_signed_with_its_secret(
    desk: Desk, client: Client, admin_token: str, token: str, events_feed: ChangeFeed, receiver: Receiver
) -> None:
    # Given a webhook for new tickets and status changes
    created = create(
        client, admin_token, url=receiver.url, events=["ticket.created", "ticket.status_changed"]
    )
    assert created.status_code == 201, created.body
    webhook = body_of(created)["webhook"]
    secret = body_of(created)["secret"]
    assert secret.startswith("whsec_") and webhook["enabled"] is True
    # When a ticket arrives and an agent changes its priority only
    ref = desk.deliver(build_mail()).ref
    version = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"priority": "high", "version": version})
    )
    publish(events_feed)
    send(desk)

    # Then the endpoint got ticket.created alone, signed, in the json format
    (received,) = receiver.received
    body = json.loads(received.body)
    assert body["type"] == "ticket.created" and body["ref"] == ref
    jsonschema.validate({k: v for k, v in body.items()}, SCHEMA)
    assert verify_signature(secret, received.headers[HEADER.lower()], received.body, int(time.time()))
    assert not verify_signature(
        secret, received.headers[HEADER.lower()], received.body + b" ", int(time.time())
    )
    assert received.headers["postdesk-event-id"] == body["event_id"]
    # And the log says it was delivered at the first try
    (logged,) = deliveries(client, admin_token, webhook["id"])
    assert (logged["status"], logged["attempts"], logged["status_code"]) == ("delivered", 1, 200)
    # And the secret is never shown again
    listed = body_of(client.http.get("/webhooks", headers=auth(admin_token)))["webhooks"]
    assert listed == [webhook] and "secret" not in json.dumps(listed)


def test_a_failing_endpoint_is_retried_then_dead_lettered_logged_and_replayed(
    desk: Desk, client: Client, admin_token: str, events_feed: ChangeFeed
) -> None:
    attempts = desk.settings.events.delivery_attempts
    with webhook_receiver(answers=[500] * attempts) as failing:
        webhook = body_of(
            create(client, admin_token, url=failing.url, events=["ticket.created"], format="slack")
        )["webhook"]
        desk.deliver(build_mail())
        publish(events_feed)
        send(desk, rounds=attempts * 3)

        # Then it was tried as often as the queue allows, each try logged, and the last went to the DLQ
        assert len(failing.received) == attempts
        assert [r.headers["postdesk-delivery-attempt"] for r in failing.received] == [
            str(n) for n in range(1, attempts + 1)
        ]
        (logged,) = deliveries(client, admin_token, webhook["id"])
        assert (logged["status"], logged["attempts"], logged["status_code"]) == (
            "dead_lettered",
            attempts,
            500,
        )
        assert "HTTP 500" in logged["last_error"]
        events = desk.settings.events
        sqs = aws_client("sqs", desk.settings.region)
        dead_letter_url = sqs.get_queue_url(QueueName="test-WebhookDeadLetterQueue")["QueueUrl"]
        # SQS moves it at the receipt after the last try.
        assert (
            deliver_queue(
                events.delivery_queue_url, events.delivery_queue_arn, desk.settings.region, lambda e: {}
            )
            == 0
        )
        dead = sqs.receive_message(QueueUrl=dead_letter_url, MaxNumberOfMessages=10).get("Messages", [])
        assert len(dead) == 1 and json.loads(dead[0]["Body"])["webhook_id"] == webhook["id"]
        # And the Slack format is a message Slack shows
        slack = json.loads(failing.received[0].body)
        assert slack["text"].startswith("Ticket ") and slack["blocks"][0]["type"] == "section"

        # When the admin replays it (the endpoint answers 200 now)
        replayed = client.http.post(
            f"/webhooks/{webhook['id']}/deliveries/{logged['id']}/replay",
            headers=auth(admin_token),
            body="{}",
        )
        assert replayed.status_code == 202, replayed.body
        send(desk)

        # Then it is delivered, and the log says so
        assert len(failing.received) == attempts + 1
        (logged,) = deliveries(client, admin_token, webhook["id"])
        assert (logged["status"], logged["attempts"], logged["status_code"]) == (
            "delivered",
            attempts + 1,
            200,
        )


def test_a_disabled_webhook_gets_nothing_and_a_deleted_one_loses_its_rule(
    desk: Desk, client: Client, admin_token: str, events_feed: ChangeFeed, receiver: Receiver
) -> None:
    webhook = body_of(create(client, admin_token, url=receiver.url, events=["ticket.created"]))["webhook"]
    events = aws_client("events", desk.settings.region)
    bus = desk.settings.events.bus_name
    rule = f"postdesk-webhook-{webhook['id']}"
    assert events.describe_rule(Name=rule, EventBusName=bus)["State"] == "ENABLED"

    # When it is disabled and a ticket arrives
    disabled = client.http.patch(
        f"/webhooks/{webhook['id']}", headers=auth(admin_token), body='{"enabled": false}'
    )
    assert disabled.status_code == 200 and body_of(disabled)["webhook"]["enabled"] is False
    assert events.describe_rule(Name=rule, EventBusName=bus)["State"] == "DISABLED"
    desk.deliver(build_mail())
    publish(events_feed)
    send(desk)
    # Then nothing is sent
    assert receiver.received == []

    # When it is deleted
    deleted = client.http.delete(f"/webhooks/{webhook['id']}", headers=auth(admin_token))
    assert deleted.status_code == 204
    # Then its rule and target are gone, and so is the webhook
    assert [r["Name"] for r in events.list_rules(EventBusName=bus)["Rules"]] == []
    assert (
        client.http.get(f"/webhooks/{webhook['id']}/deliveries", headers=auth(admin_token)).status_code == 404
    )


def test_only_admins_manage_webhooks(client: Client, token: str, admin_token: str) -> None:
    assert client.http.get("/webhooks", headers=auth(token)).status_code == 403
    assert create(client, token, url="https://hooks.example.com/x", events=["*"]).status_code == 403
    assert client.http.get("/webhooks").status_code == 401


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.com/x", "https"),
        ("https://169.254.169.254/latest/meta-data", "private or reserved"),
        ("https://10.0.0.7/hook", "private or reserved"),
        ("https://localhost/hook", "public host"),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("https://hooks.example.com:22/x", "port"),
        ("ftp://hooks.example.com/x", "https"),
        ("", "absolute https URL"),
    ],
)
def test_endpoints_that_are_not_public_https_are_refused(
    client: Client, admin_token: str, monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("POSTDESK_WEBHOOKS_ALLOW_LOCAL", "false")
    from postdesk import runtime

    runtime.reset_runtime()
    answer = create(client, admin_token, url=url, events=["*"])
    assert answer.status_code == 400 and says in body_of(answer)["message"], answer.body


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://hooks.example.com/x", "events": []},
        {"url": "https://hooks.example.com/x", "events": ["ticket.nope"]},
        {"url": "https://hooks.example.com/x", "events": ["*", "ticket.created"]},
        {"url": "https://hooks.example.com/x", "events": "ticket.created"},
        {"url": "https://hooks.example.com/x", "events": ["*"], "format": "xml"},
        {"url": "https://hooks.example.com/x", "events": ["*"], "format": {}},
        {"url": None, "events": ["*"]},
        {"url": "https://hooks.example.com/x", "events": ["*"], "secret": "mine"},
        {"url": "https://hooks.example.com/x", "events": ["*"], "description": "x" * 201},
    ],
)
def test_bad_webhooks_get_a_400_in_words(client: Client, admin_token: str, body: dict[str, Any]) -> None:
    answer = create(client, admin_token, **body)
    assert answer.status_code == 400, answer.body
    assert body_of(answer)["message"]


@pytest.mark.parametrize(
    "change",
    [{}, {"enabled": None}, {"roll_secret": None}, {"enabled": "no"}, {"events": None}, {"events": []}],
)
def test_bad_changes_of_a_webhook_get_a_400_and_change_nothing(
    client: Client, admin_token: str, change: dict[str, Any]
) -> None:
    webhook = body_of(create(client, admin_token, url="https://hooks.example.com/x", events=["*"]))["webhook"]
    path = f"/webhooks/{webhook['id']}"
    answer = client.http.patch(path, headers=auth(admin_token), body=json.dumps(change))
    assert answer.status_code == 400 and body_of(answer)["message"], answer.body
    listed = body_of(client.http.get("/webhooks", headers=auth(admin_token)))["webhooks"]
    assert listed == [webhook]


def test_a_failed_delivery_says_when_it_is_tried_again(
    desk: Desk, client: Client, admin_token: str, events_feed: ChangeFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a webhook whose endpoint fails, and the back-off of a deployed desk (30 s first)
    monkeypatch.setenv("POSTDESK_WEBHOOK_RETRY_SECONDS", "30")
    runtime.reset_runtime()
    with webhook_receiver(answers=[500]) as failing:
        webhook = body_of(create(client, admin_token, url=failing.url, events=["ticket.created"]))["webhook"]
        desk.deliver(build_mail())
        publish(events_feed)

        # When it is tried once (the message then waits out its back-off on the queue)
        send(desk, rounds=3)

        # Then the log says it is tried again 30 s after that try
        (logged,) = deliveries(client, admin_token, webhook["id"])
        assert logged["status"] == "retrying" and len(failing.received) == 1
        last = datetime.fromisoformat(logged["last_attempt_at"])
        assert datetime.fromisoformat(logged["next_attempt_at"]) == last + timedelta(seconds=30)


def test_a_delivered_event_has_no_next_try(
    desk: Desk, client: Client, admin_token: str, events_feed: ChangeFeed, receiver: Receiver
) -> None:
    webhook = body_of(create(client, admin_token, url=receiver.url, events=["ticket.created"]))["webhook"]
    desk.deliver(build_mail())
    publish(events_feed)
    send(desk)

    (logged,) = deliveries(client, admin_token, webhook["id"])
    assert (logged["status"], logged["next_attempt_at"]) == ("delivered", None)
