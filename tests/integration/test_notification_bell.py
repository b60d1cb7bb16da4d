"""The console's bell on moto (GET /notifications, POST /notifications/read): every kind the desk
mails an agent is on their bell too, from the same records (agents/notifications.py), newest first,
paged, read or not; what is read stays read; the bell keeps a bounded time and number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.agents import notifications
from postdesk.agents.model import Role
from postdesk.agents.notifications import (
    FEED_DAYS,
    NotificationKind,
    NotificationPreferences,
    NotificationQueueItem,
)
from postdesk.effects.keys import notification_queue_key
from postdesk.workflows.notify import (
    NotificationRequest,
    box_of,
    notify_agent,
    notify_article_owner,
    notify_sla_timer,
    send_notifications,
)
from postdesk.workflows.ticket_work import TicketEdit, add_note, edit_ticket
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

SAM, ANN = "sam@example.com", "ann@example.com"


@pytest.fixture
def ann(desk: Desk, token: str) -> Iterator[str]:
    """Sam (the token's agent) is there; Ann is a colleague who acts; the API's clock is the desk's."""
    desk.ports.agents.add(ANN, "Ann Berg", Role.AGENT, desk.clock_now)
    runtime.use_clock(desk.now)
    yield token
    runtime.use_clock(None)


def _bell(client: Client, token: str, query: str = "") -> dict[str, Any]:
    answer = client.http.get(f"/notifications{query}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    return dict(body_of(answer))


def _read(client: Client, token: str, body: Any) -> Any:
    return client.http.post("/notifications/read", headers=auth(token), body=json.dumps(body))


def _assign(desk: Desk, ref: str, to: str, actor: str, request: str) -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    edit = TicketEdit(ref, ticket.version, actor, request, assignee_set=True, assignee=to)
    edit_ticket(edit, desk.settings, desk.ports, lambda email: email in (SAM, ANN))


def test_every_kind_the_desk_mails_is_on_the_bell_newest_first(desk: Desk, client: Client, ann: str) -> None:
    token = ann
    box = box_of(desk.settings)
    box.set_preferences(SAM, NotificationPreferences(queues=("orders",)), desk.now())
    # A new ticket in the queue Sam watches, assigned to him by Ann
    ref = desk.deliver(build_mail(subject="Printer on fire")).ref
    desk.clock_now += timedelta(minutes=1)
    _assign(desk, ref, SAM, ANN, "r1")
    # Ann mentions him in a note; the customer answers
    desk.clock_now += timedelta(minutes=1)
    add_note(ref, ANN, "Ann Berg", "@sam.lee please look", "n1", desk.ports, settings=desk.settings)
    desk.clock_now += timedelta(minutes=1)
    desk.deliver(build_mail(subject=f"Re: [#{ref}] Printer on fire", body="Still burning."))
    # An SLA warning, a snooze that ended, a rule, an article of his to look at
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    desk.clock_now += timedelta(minutes=1)
    notify_sla_timer(ticket, ticket, False, "first response due soon", "w1", desk.settings, desk.ports)
    for kind, detail in ((NotificationKind.SNOOZE_ENDED, ""), (NotificationKind.RULE, "Idle for a day")):
        desk.clock_now += timedelta(minutes=1)
        notify_agent(SAM, kind, ticket, detail, desk.settings, desk.ports, cause_id=f"{kind}:1")
    desk.clock_now += timedelta(minutes=1)
    notify_article_owner(
        SAM, "returns", "en", "Returns", "its review date passed", desk.settings, desk.ports, cause_id="kb:1"
    )

    bell = _bell(client, token)
    kinds = [item["kind"] for item in bell["notifications"]]
    assert kinds == [
        "article_flagged",
        "rule",
        "snooze_ended",
        "sla_warning",
        "customer_replied",
        "mentioned",
        "assigned",
        "new_in_queue",
    ]
    assert bell["unread"] == 8 and bell["next_cursor"] is None
    by_kind = {item["kind"]: item for item in bell["notifications"]}
    assert by_kind["assigned"]["actor"] == "Ann Berg"
    assert by_kind["assigned"]["text"] == f"Ann Berg assigned ticket {ref} (Printer on fire) to you."
    assert by_kind["mentioned"]["detail"] == "@sam.lee please look"
    assert by_kind["article_flagged"]["ref"] is None and by_kind["article_flagged"]["article"] == "returns"
    assert all(item["read"] is False and item["read_at"] is None for item in bell["notifications"])

    # When the mail goes out, the bell keeps them (the mail's clearing is the mail's)
    window = box.window(SAM)
    assert window.due is not None
    desk.clock_now = window.due
    send_notifications(NotificationRequest(SAM, window.due), desk.settings, desk.ports)
    assert len(box.window(SAM).pending) < 8
    assert _bell(client, token)["unread"] == 8


def test_paging_marking_read_and_words_for_what_cannot_be_used(desk: Desk, client: Client, ann: str) -> None:
    token = ann
    ref = desk.deliver(build_mail(subject="Many things")).ref
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    for number in range(5):
        desk.clock_now += timedelta(minutes=1)
        notify_agent(
            SAM,
            NotificationKind.RULE,
            ticket,
            f"Rule {number}",
            desk.settings,
            desk.ports,
            cause_id=f"r{number}",
        )

    first = _bell(client, token, "?limit=2")
    assert [item["detail"] for item in first["notifications"]] == ["Rule 4", "Rule 3"]
    second = _bell(client, token, f"?limit=2&cursor={first['next_cursor']}")
    assert [item["detail"] for item in second["notifications"]] == ["Rule 2", "Rule 1"]
    third = _bell(client, token, f"?limit=2&cursor={second['next_cursor']}")
    assert [item["detail"] for item in third["notifications"]] == ["Rule 0"] and third["next_cursor"] is None

    # Marking two read: they say when, the count drops, the unread filter leaves them out
    ids = [item["id"] for item in first["notifications"]]
    marked = _read(client, token, {"ids": ids})
    assert marked.status_code == 200 and body_of(marked) == {"marked": 2, "unread": 3}
    assert body_of(_read(client, token, {"ids": ids})) == {"marked": 0, "unread": 3}
    unread = _bell(client, token, "?unread=true")
    assert [item["detail"] for item in unread["notifications"]] == ["Rule 2", "Rule 1", "Rule 0"]
    assert _bell(client, token)["notifications"][0]["read_at"] is not None

    # All of them
    assert body_of(_read(client, token, {"all": True})) == {"marked": 3, "unread": 0}
    assert _bell(client, token, "?unread=true")["notifications"] == []

    # What cannot be used is a 400 in words
    for query, words in (("?limit=0", "limit must be"), ("?cursor=nonsense", "the cursor is not one")):
        answer = client.http.get(f"/notifications{query}", headers=auth(token))
        assert answer.status_code == 400 and words in body_of(answer)["message"]
    for body, words in (
        ({}, "say which to mark read"),
        ({"ids": ["nope"]}, "ids must be a list of notification ids"),
        ({"ids": ids, "all": True}, "say which to mark read"),
        ({"all": "yes"}, "all must be true or false"),
    ):
        answer = _read(client, token, body)
        assert answer.status_code == 400 and words in body_of(answer)["message"], body


def test_the_bell_keeps_a_bounded_time_and_number(
    desk: Desk, client: Client, ann: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = ann
    # A few make the point as well as the hundreds it keeps.
    monkeypatch.setattr(notifications, "FEED_MAX", 4)
    box = box_of(desk.settings)
    ref = desk.deliver(build_mail(subject="Old and new")).ref
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    start = desk.clock_now
    notify_agent(SAM, NotificationKind.RULE, ticket, "old", desk.settings, desk.ports, cause_id="old")
    item = NotificationQueueItem.get(notification_queue_key(SAM), consistent_read=True)
    # The item expires (TTL) after the days the bell keeps
    assert item.expires_at is not None and item.expires_at > (start + timedelta(days=FEED_DAYS)).timestamp()

    # Past the days it keeps, the old one is not listed, and a mail's clearing drops it
    desk.clock_now = start + timedelta(days=FEED_DAYS, hours=1)
    for number in range(notifications.FEED_MAX + 3):
        notify_agent(
            SAM, NotificationKind.RULE, ticket, f"n{number}", desk.settings, desk.ports, cause_id=f"n{number}"
        )
    listed = _bell(client, token, "?limit=100")
    assert listed["unread"] == notifications.FEED_MAX + 3
    window = box.window(SAM)
    assert window.due is not None
    desk.clock_now = window.due
    send_notifications(NotificationRequest(SAM, window.due), desk.settings, desk.ports)
    item = NotificationQueueItem.get(notification_queue_key(SAM), consistent_read=True)
    assert item.feed is not None and len(item.feed.as_dict()) == notifications.FEED_MAX
    assert _bell(client, token)["unread"] == notifications.FEED_MAX


def test_an_item_queued_before_the_bell_existed_gets_a_feed(desk: Desk, client: Client, ann: str) -> None:
    token = ann
    ref = desk.deliver(build_mail(subject="Legacy")).ref
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    notify_agent(SAM, NotificationKind.RULE, ticket, "one", desk.settings, desk.ports, cause_id="one")
    # As an item of before: pending and seen, no feed
    NotificationQueueItem(notification_queue_key(SAM)).update([NotificationQueueItem.feed.remove()])
    assert _bell(client, token)["notifications"] == []
    desk.clock_now += timedelta(minutes=1)
    notify_agent(SAM, NotificationKind.RULE, ticket, "two", desk.settings, desk.ports, cause_id="two")
    assert [item["detail"] for item in _bell(client, token)["notifications"]] == ["two"]
    assert len(box_of(desk.settings).window(SAM).pending) == 2
