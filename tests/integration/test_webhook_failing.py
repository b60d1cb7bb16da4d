"""A webhook whose delivery fails after every try is marked failing (GET /webhooks says since when
and how the endpoint answered, until a delivery goes through again) and the desk's admins are told
by mail, once per webhook and day, through the send-once mechanism."""

from __future__ import annotations

from chalice.test import Client

from postdesk_tools.change_feed import ChangeFeed
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_accounts import _text
from tests.integration.test_webhooks import (  # noqa: F401 - _retry_at_once: the fixture
    _retry_at_once,
    create,
    deliveries,
    publish,
    send,
)
from tests.integration.test_webhooks import events_feed as events_feed  # the fixture
from tests.integration.webhook_receiver import webhook_receiver
from tests.mails import build_mail


def _listed(client: Client, admin_token: str, webhook_id: str) -> dict[str, object]:
    answer = client.http.get("/webhooks", headers=auth(admin_token))
    assert answer.status_code == 200, answer.body
    (found,) = [hook for hook in body_of(answer)["webhooks"] if hook["id"] == webhook_id]
    return dict(found)


def test_a_webhook_failing_every_try_is_marked_and_the_admins_are_told_once_a_day(
    desk: Desk,
    client: Client,
    admin_token: str,
    events_feed: ChangeFeed,
) -> None:
    attempts = desk.settings.events.delivery_attempts
    with webhook_receiver(answers=[500] * (attempts * 2)) as failing:
        webhook = body_of(
            create(client, admin_token, url=failing.url, events=["ticket.created"], description="CRM sync")
        )["webhook"]
        assert webhook["failing_since"] is None and webhook["failing_error"] == ""

        # When a delivery fails its every try
        desk.deliver(build_mail(subject="First"))
        publish(events_feed)
        send(desk, rounds=attempts * 3)

        # Then the webhook says it is failing, and how the endpoint answered
        listed = _listed(client, admin_token, webhook["id"])
        assert listed["failing_since"] is not None
        assert str(listed["failing_error"]).startswith("HTTP 500")
        # And the admin got one mail saying so in words
        told = [mail for mail in desk.sent() if "alex@example.com" in mail.recipients]
        assert len(told) == 1
        assert told[0].message["Subject"] == "Webhook failing: CRM sync"
        text = _text(told[0])
        assert failing.url in text and "ticket.created" in text and "Last answer: HTTP 500" in text
        assert "Replay" in text

        # When another event fails the same day, nobody is told again
        desk.deliver(build_mail(subject="Second", sender="Bea <bea@customer.example>"))
        publish(events_feed)
        send(desk, rounds=attempts * 3)
        assert len([mail for mail in desk.sent() if "alex@example.com" in mail.recipients]) == 1

        # When a replay goes through (the endpoint answers 200 now), it is no longer failing
        logged = deliveries(client, admin_token, webhook["id"])[0]
        replay = f"/webhooks/{webhook['id']}/deliveries/{logged['id']}/replay"
        replayed = client.http.post(replay, headers=auth(admin_token), body="{}")
        assert replayed.status_code == 202, replayed.body
        send(desk)
        assert len(failing.received) == attempts * 2 + 1
    listed = _listed(client, admin_token, webhook["id"])
    assert listed["failing_since"] is None and listed["failing_error"] == ""
