"""Webhooks on the local stack, as an admin and an integration see them: `postdesk local`, a receiver
on localhost subscribed to new tickets, a customer's mail over SMTP; the first delivery is refused by
the receiver, the desk tries again after its back-off, and both tries carry a signature the
receiver verifies with the secret it was given once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from postdesk.webhooks.signature import HEADER, verify_signature
from tests.e2e.stack import api, mail, outbox, ref_of, send, start, stop
from tests.integration.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack-webhooks")
    process, info = start(state_dir)
    try:
        yield info
    finally:
        stop(process, state_dir)


def _wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("not within the time")


def test_a_receiver_on_localhost_refuses_the_first_delivery_and_gets_the_signed_retry(
    stack: dict[str, Any],
) -> None:
    with webhook_receiver(answers=[503]) as receiver:
        # Given a webhook for new tickets, its secret shown once
        created = api(stack, "POST", "/webhooks", {"url": receiver.url, "events": ["ticket.created"]})
        secret = created["secret"]
        webhook_id = created["webhook"]["id"]

        # When a customer writes
        send(stack, mail("Webhook parcel", "Hello,\n\nwhere is parcel 12?\n\nJane"))
        (acknowledgement,) = outbox(stack, "Webhook parcel")
        ref = ref_of(acknowledgement)

        # Then the receiver gets it twice: refused with a 503, then again after the back-off
        _wait_for(lambda: len(receiver.received) >= 2)
        first, second = receiver.received[:2]
        assert first.body == second.body
        body = json.loads(second.body)
        assert (body["type"], body["ref"]) == ("ticket.created", ref)
        assert [first.headers["postdesk-delivery-attempt"], second.headers["postdesk-delivery-attempt"]] == [
            "1",
            "2",
        ]
        for received in (first, second):
            assert verify_signature(secret, received.headers[HEADER.lower()], received.body, int(time.time()))

        # And the delivery log says so
        def delivered() -> bool:
            log = api(stack, "GET", f"/webhooks/{webhook_id}/deliveries")
            return bool(log["deliveries"]) and log["deliveries"][0]["status"] == "delivered"

        _wait_for(delivered)
        log = api(stack, "GET", f"/webhooks/{webhook_id}/deliveries")
        (entry,) = log["deliveries"]
        assert (entry["attempts"], entry["status_code"], entry["event_type"]) == (2, 200, "ticket.created")
