"""Agents' notifications by mail (workflows/notify.py) on moto: each trigger queues one, a window
later one mail carries everything queued (a digest when several), never to the one who acted or to a
customer, as the agent's preferences say; and exactly once, whatever is duplicated or crashes."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from postdesk.agents.model import Agent, Role
from postdesk.agents.notifications import NotificationKind, NotificationPreferences
from postdesk.aws.clients import client as aws_client
from postdesk.tickets.model import Ticket
from postdesk.workflows.notify import (
    NotifyOutcome,
    box_of,
    mention_names,
    notification_request,
    notify_agent,
    resolve_mentions,
    send_notifications,
)
from postdesk.workflows.ticket_work import TicketEdit, add_note, edit_ticket
from tests.integration.conftest import Desk, SentMail, auth, body_of
from tests.mails import build_mail

SAM, ANN = "sam@example.com", "ann@example.com"
CUSTOMER = "jane.doe@customer.example"
ORDER = "My order 4711 has not arrived"


@pytest.fixture
def agents(desk: Desk) -> Desk:
    for email, name in ((SAM, "Sam Lee"), (ANN, "Ann Berg")):
        desk.ports.agents.add(email, name, Role.AGENT, desk.clock_now)
    return desk


def _is_agent(email: str) -> bool:
    return email in (SAM, ANN)


def _arrive(desk: Desk, **mail: Any) -> str:
    return desk.deliver(build_mail(**mail)).ref


def _assign(desk: Desk, ref: str, to: str | None, actor: str, request: str = "r1") -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    edit = TicketEdit(ref, ticket.version, actor, request, assignee_set=True, assignee=to)
    edit_ticket(edit, desk.settings, desk.ports, _is_agent)


def _schedules(desk: Desk) -> list[dict[str, Any]]:
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return [
        scheduler.get_schedule(Name=name, GroupName=group) for name in names if name.startswith("notify-")
    ]


def _fire_all(desk: Desk) -> list[NotifyOutcome]:
    """Scheduler fires every notification schedule at its time and deletes it."""
    scheduler = aws_client("scheduler", desk.settings.region)
    outcomes = []
    for schedule in _schedules(desk):
        payload = json.loads(schedule["Target"]["Input"])
        request = notification_request(payload)
        assert request is not None
        assert schedule["Target"]["Arn"] == desk.settings.scheduling.sla_function_arn
        desk.clock_now = max(desk.clock_now, request.due)
        with suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=desk.settings.scheduling.group)
        outcomes.append(send_notifications(request, desk.settings, desk.ports))
    return outcomes


def _mails_to(desk: Desk, address: str) -> list[SentMail]:
    return [mail for mail in desk.sent() if address in mail.recipients]


def _text(mail: SentMail) -> str:
    body = mail.message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_an_assignment_mails_the_assignee_once_a_window_later_with_a_link(agents: Desk) -> None:
    desk = agents
    # Given a ticket from a customer
    ref = _arrive(desk, subject="Printer on fire")

    # When Ann assigns it to Sam
    _assign(desk, ref, SAM, ANN)

    # Then one schedule waits five minutes, and nothing is mailed yet
    (schedule,) = _schedules(desk)
    assert schedule["Name"].startswith("notify-")
    assert _mails_to(desk, SAM) == []

    # When it fires: one short mail to Sam, from the desk, automatic, linking to the ticket
    assert _fire_all(desk) == [NotifyOutcome.SENT]
    (mail,) = _mails_to(desk, SAM)
    message = mail.message
    assert mail.recipients == {SAM}
    assert str(message["Auto-Submitted"]) == "auto-generated"
    assert desk.settings.support_address in str(message["From"])
    assert str(message["Subject"]) == f"[#{ref}] Assigned to you: Printer on fire"
    text = _text(mail)
    assert f"Ann Berg assigned ticket {ref} (Printer on fire) to you." in text
    assert f"{desk.settings.survey.public_url}/console#/tickets/{ref}" in text
    # And the history says who was told; the report counts it
    (told,) = [e for e in desk.store.events(ref) if e.kind == "agent_notified"]
    assert told.detail == {"agent": SAM, "name": "Sam Lee", "kinds": "assigned"}
    assert ("AgentNotificationsSent", {"kind": "assigned"}) in desk.metrics.counted


def test_two_within_the_window_make_one_digest_and_the_next_window_waits(agents: Desk) -> None:
    desk = agents
    first = _arrive(desk, subject="First question")
    second = _arrive(desk, subject="Second question", sender=CUSTOMER)
    # When two tickets are assigned to Sam a minute apart
    _assign(desk, first, SAM, ANN, "a")
    desk.clock_now += timedelta(minutes=1)
    _assign(desk, second, SAM, ANN, "b")

    # Then one schedule, one mail listing both
    assert len(_schedules(desk)) == 1
    _fire_all(desk)
    (digest,) = _mails_to(desk, SAM)
    assert str(digest.message["Subject"]) == "2 updates on your tickets"
    text = _text(digest)
    assert f"ticket {first} (First question)" in text and f"ticket {second} (Second question)" in text
    assert text.count("/console#/tickets/") == 2

    # When the customer answers right after: a new window, a second mail only then
    desk.deliver(build_mail(subject=f"Re: [#{second}] Second question", body="Any news?"))
    (schedule,) = _schedules(desk)
    request = notification_request(json.loads(schedule["Target"]["Input"]))
    assert request is not None and request.due - desk.now() >= timedelta(minutes=4)
    _fire_all(desk)
    later = _mails_to(desk, SAM)[1]
    assert str(later.message["Subject"]).startswith(f"[#{second}] The customer answered")


def test_the_actor_is_not_told_of_their_own_action_and_customers_never_get_one(agents: Desk) -> None:
    desk = agents
    ref = _arrive(desk)
    # When Sam takes the ticket himself
    _assign(desk, ref, SAM, SAM)
    # Then nothing is queued
    assert _schedules(desk) == []
    # And an address that is no agent's (the customer's) is never queued for
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    assert not notify_agent(
        CUSTOMER, NotificationKind.ASSIGNED, ticket, "", desk.settings, desk.ports, cause_id="x"
    )
    assert _fire_all(desk) == []
    assert _mails_to(desk, SAM) == [] and all(
        "notify" not in str(m.message["Message-ID"]) for m in _mails_to(desk, CUSTOMER)
    )


def test_preferences_are_honoured_and_a_watched_queue_hears_of_new_tickets(agents: Desk) -> None:
    desk = agents
    box = box_of(desk.settings)
    # Given Sam turned assignments off and watches the orders queue; Ann kept the defaults
    box.set_preferences(
        SAM,
        NotificationPreferences(frozenset(NotificationKind) - {NotificationKind.ASSIGNED}, ("orders",)),
        desk.now(),
    )
    # When a new ticket arrives in orders and Ann assigns it to Sam
    ref = _arrive(
        desk, subject=ORDER, body="Hello,\n\nmy order 4711 has not arrived yet. Where is my parcel?"
    )
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.queue == "orders"
    _assign(desk, ref, SAM, ANN)
    _fire_all(desk)

    # Then Sam hears of the new ticket only; Ann, who watches nothing, of nothing
    (mail,) = _mails_to(desk, SAM)
    assert str(mail.message["Subject"]) == f"[#{ref}] New ticket: {ORDER}"
    assert "in the queue orders, which you watch" in _text(mail)
    assert _mails_to(desk, ANN) == []


def test_a_mention_in_a_note_tells_the_agent_named(agents: Desk) -> None:
    desk = agents
    ref = _arrive(desk)
    # When Ann writes a note naming Sam (and herself, and an address that is nobody)
    add_note(
        ref,
        ANN,
        "Ann Berg",
        "@sam.lee can you check? cc @ann, billing@example.com",
        "n1",
        desk.ports,
        settings=desk.settings,
    )
    _fire_all(desk)
    (mail,) = _mails_to(desk, SAM)
    assert str(mail.message["Subject"]).startswith(f"[#{ref}] You were mentioned")
    assert "> @sam.lee can you check?" in _text(mail)
    assert _mails_to(desk, ANN) == []


def test_mentions_resolve_first_names_full_names_and_addresses() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    sam = Agent("sam@example.com", "Sam Lee", Role.AGENT, True, now)
    sam2 = Agent("samuel.r@example.com", "Sam Roe", Role.AGENT, True, now)
    ann = Agent("a.berg@example.com", "Ann Berg", Role.AGENT, True, now)
    gone = Agent("old@example.com", "Old Timer", Role.AGENT, False, now)
    team = [sam, sam2, ann, gone]
    assert mention_names("Hi @Sam.Lee, @ann. mail me at x@y.com or @a.berg! @old") == [
        "sam.lee",
        "ann",
        "a.berg",
        "old",
    ]
    assert resolve_mentions(["ann"], team) == [ann]
    assert resolve_mentions(["a.berg"], team) == [ann]
    assert resolve_mentions(["sam.roe"], team) == [sam2]
    # Two Sams: "@sam" is Sam Lee's address, so his; "@old" is revoked: nobody
    assert resolve_mentions(["sam"], team) == [sam]
    assert resolve_mentions(["old"], team) == []
    assert resolve_mentions(["samuel"], team) == []


def test_the_customer_answering_and_an_sla_warning_tell_the_assignee(agents: Desk) -> None:
    desk = agents
    ref = _arrive(desk, subject="Broken login")
    _assign(desk, ref, SAM, ANN)
    _fire_all(desk)
    # When the customer answers, the assignee hears of it
    desk.deliver(build_mail(subject=f"Re: [#{ref}] Broken login", body="Still broken."))
    _fire_all(desk)
    assert str(_mails_to(desk, SAM)[-1].message["Subject"]).startswith(f"[#{ref}] The customer answered")

    # When the SLA warning fires, the assignee hears of it too
    from postdesk.workflows.sla import fire_timer, timer_request

    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    (name,) = [
        s["Name"]
        for s in scheduler.list_schedules(GroupName=group)["Schedules"]
        if s["Name"].startswith("sla-")
    ]
    payload = json.loads(scheduler.get_schedule(Name=name, GroupName=group)["Target"]["Input"])
    request = timer_request(payload)
    assert request is not None
    desk.clock_now = request.at
    scheduler.delete_schedule(Name=name, GroupName=group)
    fire_timer(request, desk.settings, desk.ports)
    _fire_all(desk)
    last = _mails_to(desk, SAM)[-1]
    assert str(last.message["Subject"]).startswith(f"[#{ref}] SLA warning")
    assert "due soon" in _text(last)


def _idle_rule(desk: Desk, ticket: Ticket) -> bool:
    return notify_agent(
        SAM, NotificationKind.RULE, ticket, "Idle for a day", desk.settings, desk.ports, cause_id="c1"
    )


def test_a_cause_queued_again_and_a_duplicate_or_concurrent_fire_send_one_mail(agents: Desk) -> None:
    desk = agents
    ref = _arrive(desk)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    # The same cause twice (a retried request): queued once
    assert notify_agent(
        SAM, NotificationKind.RULE, ticket, "Idle for a day", desk.settings, desk.ports, cause_id="c1"
    )
    assert not notify_agent(
        SAM, NotificationKind.RULE, ticket, "Idle for a day", desk.settings, desk.ports, cause_id="c1"
    )
    (schedule,) = _schedules(desk)
    request = notification_request(json.loads(schedule["Target"]["Input"]))
    assert request is not None
    desk.clock_now = request.due
    # Two deliveries of the schedule at once, and a third later
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: send_notifications(request, desk.settings, desk.ports), range(2)))
    outcomes.append(send_notifications(request, desk.settings, desk.ports))
    assert outcomes.count(NotifyOutcome.SENT) == 1
    assert len(_mails_to(desk, SAM)) == 1
    # And after it went out, the same cause queued again is still not queued
    assert not notify_agent(
        SAM, NotificationKind.RULE, ticket, "Idle for a day", desk.settings, desk.ports, cause_id="c1"
    )
    assert box_of(desk.settings).window(SAM).pending == ()


@pytest.mark.parametrize("step", ["send", "record", "clear"])
def test_a_crash_after_each_step_never_mails_twice_nor_loses_what_waits(
    agents: Desk, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = agents
    ref = _arrive(desk)
    _assign(desk, ref, SAM, ANN)
    (schedule,) = _schedules(desk)
    request = notification_request(json.loads(schedule["Target"]["Input"]))
    assert request is not None
    desk.clock_now = request.due

    class Crash(Exception):
        pass

    def crash(*_: Any, **__: Any) -> Any:
        raise Crash

    with monkeypatch.context() as patched:
        if step == "send":
            patched.setattr(desk.ports.mailer, "send_raw", crash)
        elif step == "record":
            patched.setattr(desk.store, "finish_guard", crash)
            patched.setattr(type(desk.ports.store), "finish_guard", crash)
        else:
            from postdesk.agents import notifications

            patched.setattr(notifications.NotificationBox, "clear", crash)
        with pytest.raises(Crash):
            send_notifications(request, desk.settings, desk.ports)
    # The schedule's retry
    send_notifications(request, desk.settings, desk.ports)
    mails = _mails_to(desk, SAM)
    # A send that failed goes on the retry; one that went out never goes again
    assert len(mails) == 1
    assert box_of(desk.settings).window(SAM).pending == ()


def test_a_revoked_agent_gets_nothing_and_what_waited_is_dropped(agents: Desk) -> None:
    desk = agents
    ref = _arrive(desk)
    _assign(desk, ref, SAM, ANN)
    desk.ports.agents.revoke(SAM)
    assert _fire_all(desk) == [NotifyOutcome.NO_AGENT]
    assert _mails_to(desk, SAM) == []
    assert box_of(desk.settings).window(SAM).pending == ()


def test_each_agent_reads_and_sets_only_their_own_preferences(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given Sam with the defaults: every kind on, no queue watched, the desk's window
    got = body_of(client.http.get("/me/notifications", headers=auth(token)))
    assert all(got["kinds"].values()) and got["queues"] == [] and got["window_minutes"] == 5
    assert "orders" in got["available_queues"]

    # When Sam turns mentions off and watches orders
    answer = client.http.put(
        "/me/notifications",
        headers=auth(token),
        body=json.dumps({"kinds": {"mentioned": False}, "queues": ["orders"]}),
    )
    assert answer.status_code == 200, answer.body
    assert body_of(answer)["kinds"]["mentioned"] is False and body_of(answer)["kinds"]["assigned"] is True
    assert box_of(desk.settings).preferences("sam@example.com").queues == ("orders",)

    # Then the admin still sees their own defaults, nothing of Sam's
    admin = body_of(client.http.get("/me/notifications", headers=auth(admin_token)))
    assert admin["queues"] == [] and admin["kinds"]["mentioned"] is True

    # And what cannot be used is a 400 in words
    for bad, words in (
        ({"kinds": {"nonsense": True}}, "not one of"),
        ({"kinds": {"assigned": "yes"}}, "true or false"),
        ({"queues": ["nowhere"]}, "not one of the desk's queues"),
        ({"queues": "orders"}, "list of queue names"),
        ({}, "say kinds, queues or both"),
    ):
        refused = client.http.put("/me/notifications", headers=auth(token), body=json.dumps(bad))
        assert refused.status_code == 400, (bad, refused.body)
        assert words in body_of(refused)["message"], body_of(refused)
