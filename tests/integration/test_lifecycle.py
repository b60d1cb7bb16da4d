"""What happens to a ticket by itself as time passes, on moto with the clock moved: the reminder of a
ticket pending on the customer, the auto-resolve after it (closing mail, survey), the close after the
resolution (retention), the end of a snooze; what cancels them, stale timers, and the reminder and
closing mail going out exactly once.

The ticket arrives on Tuesday 24 November 2026 at 10:32 in Berlin; the agent answers at 11:00 and
sets it pending. The shipped policy: Mon-Fri 09:00-17:00, a business day of 8 hours, a reminder after
3 business days (Friday 27 November 11:00), the auto-resolve 4 business days after the reminder
(Thursday 3 December 11:00), the close 7 days after the resolution."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.aws.clients import client as aws_client
from postdesk.effects import keys
from postdesk.sla.policy import DEFAULT_POLICY_PATH
from postdesk.tickets.model import MessageKind, Status, Ticket
from postdesk.workflows.automations import automation_request, run_automation
from postdesk.workflows.lifecycle import next_lifecycle_timer
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.report import build_report, format_report
from postdesk.workflows.sla import policy_of
from postdesk.workflows.ticket_work import TicketEdit, edit_ticket
from tests.integration.conftest import Desk, auth
from tests.integration.test_send_once import Died, _dying
from tests.mails import build_mail

ARRIVAL = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
ANSWERED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
REMINDER_DUE = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RESOLVE_DUE = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _schedules(desk: Desk, ref: str) -> dict[str, dict[str, Any]]:
    """The ticket's automation schedules, by name, with their input."""
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    found = {}
    for summary in scheduler.list_schedules(GroupName=group)["Schedules"]:
        if summary["Name"].startswith(f"auto-{ref}-"):
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            found[summary["Name"]] = schedule
    return found


def _only_payload(desk: Desk, ref: str) -> dict[str, Any]:
    schedules = _schedules(desk, ref)
    assert len(schedules) == 1, sorted(schedules)
    (schedule,) = schedules.values()
    assert schedule["Target"]["Arn"] == desk.settings.scheduling.automations_function_arn
    payload: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    return payload


def _fire(desk: Desk, payload: dict[str, Any], at: datetime | None = None, ports: Any = None) -> str:
    """Scheduler invokes the ``automations`` function with the schedule's input at its due time."""
    request = automation_request(payload)
    assert request is not None
    desk.clock_now = (at or request.due) - timedelta(seconds=1)
    try:
        return run_automation(request, desk.settings, ports or desk.ports)
    finally:
        # ActionAfterCompletion=DELETE (after Lambda's own retries of a failed invocation)
        scheduler = aws_client("scheduler", desk.settings.region)
        with suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(
                Name=keys.automation_schedule(request.ref, request.purpose, request.due),
                GroupName=desk.settings.scheduling.group,
            )


def _pending_ticket(desk: Desk, **mail: Any) -> str:
    desk.clock_now = ARRIVAL
    ref = desk.deliver(build_mail(**mail)).ref
    desk.clock_now = ANSWERED - timedelta(seconds=2)
    send_reply(
        AgentReply(
            ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body="Which order?", request_id="r1"
        ),
        desk.settings,
        desk.ports,
    )
    return ref


def _ticket(desk: Desk, ref: str) -> Ticket:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    return ticket


def _events(desk: Desk, ref: str, kind: str) -> list[Any]:
    return [event for event in desk.store.events(ref) if event.kind == kind]


def _mails_to_customer(desk: Desk, marker: str) -> list[str]:
    texts = []
    for mail in desk.sent():
        text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        if "jane.doe@customer.example" in mail.recipients and marker in text:
            texts.append(text)
    return texts


def test_a_pending_ticket_is_reminded_after_three_business_days_in_the_customers_language(desk: Desk) -> None:
    # Given a German ticket the agent answered and set pending on Tuesday
    ref = _pending_ticket(
        desk,
        subject="Rechnung doppelt",
        body="Guten Tag, ich habe die Rechnung doppelt bezahlt. Bitte erstatten Sie den Betrag. Danke!",
    )

    # Then one schedule waits for the reminder on Friday 11:00 CET
    payload = _only_payload(desk, ref)
    assert payload == {"purpose": "pending_reminder", "ref": ref, "due": "2026-11-27T10:00:00.000Z"}

    # When it fires
    assert _fire(desk, payload) == "reminded"

    # Then the customer got a short reminder in German, threaded and marked as automatic
    (text,) = _mails_to_customer(desk, "warten noch auf Ihre Antwort")
    assert "innerhalb von 4 Werktagen" in text
    reminder = next(m for m in desk.sent() if "warten noch" in m.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert reminder.message["Auto-Submitted"] == "auto-generated"
    assert reminder.message["In-Reply-To"] and f"[#{ref}]" in str(reminder.message["Subject"])
    ticket = _ticket(desk, ref)
    assert ticket.status is Status.PENDING and ticket.reminded_at is not None
    (event,) = _events(desk, ref, "reminder_sent")
    assert event.actor == "automation"
    assert event.detail["setting"] == "remind_after" and event.detail["business_days"] == "3"
    assert event.detail["policy"] == "[automation]" and event.detail["language"] == "de"
    # And the next schedule waits for the auto-resolve, 4 business days after the reminder
    assert _only_payload(desk, ref) == {
        "purpose": "auto_resolve",
        "ref": ref,
        "due": "2026-12-03T10:00:01.000Z",
    }


def test_after_four_more_business_days_it_is_resolved_with_a_closing_mail_and_the_survey(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    _fire(desk, _only_payload(desk, ref))

    # When the auto-resolve fires
    assert _fire(desk, _only_payload(desk, ref)) == "resolved"

    # Then the ticket is resolved by the automation, the customer told a reply reopens it
    ticket = _ticket(desk, ref)
    assert ticket.status is Status.RESOLVED and ticket.auto_resolved_cycle == 1
    (text,) = _mails_to_customer(desk, "marked it as solved")
    assert "Simply reply to this email: the ticket opens again." in text
    (event,) = _events(desk, ref, "auto_resolved")
    assert event.actor == "automation" and event.detail["setting"] == "resolve_after"
    assert event.detail["business_days"] == "4"
    # And the survey is scheduled as for any resolution, and the close waits 7 days
    assert _events(desk, ref, "survey_scheduled")
    assert _only_payload(desk, ref) == {"purpose": "close", "ref": ref, "due": "2026-12-10T10:00:02.000Z"}
    assert [m.kind for m in desk.store.thread(ref)].count(MessageKind.AGENT_REPLY) == 3


def test_the_customers_answer_between_cancels_what_is_due(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    payload = _only_payload(desk, ref)

    # When the customer answers on Thursday
    desk.clock_now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    desk.deliver(build_mail(subject=f"Re: [#{ref}] Order", body="It is order 4711, thank you for asking."))

    # Then the ticket is open, no schedule waits, and the old one does nothing when it fires
    assert _ticket(desk, ref).status is Status.OPEN
    assert _schedules(desk, ref) == {}
    assert _fire(desk, payload) == "stale"
    assert _mails_to_customer(desk, "still waiting for your answer") == []
    assert _events(desk, ref, "reminder_sent") == []


def test_an_agent_reply_starts_the_wait_again(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    first = _only_payload(desk, ref)

    # When the agent writes again on Wednesday (still pending)
    desk.clock_now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    send_reply(
        AgentReply(
            ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body="Any news?", request_id="r2"
        ),
        desk.settings,
        desk.ports,
    )

    # Then the reminder moved three business days on, and the old timer is stale
    moved = _only_payload(desk, ref)
    assert moved["purpose"] == "pending_reminder" and moved["due"] == "2026-11-30T10:00:02.000Z"
    assert _fire(desk, first) == "stale"
    assert _events(desk, ref, "reminder_sent") == []


def test_an_agent_status_change_cancels_the_auto_resolve(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    _fire(desk, _only_payload(desk, ref))
    resolve = _only_payload(desk, ref)

    # When an agent opens the ticket again before it is resolved
    desk.clock_now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    ticket = _ticket(desk, ref)
    edit_ticket(
        TicketEdit(
            ref=ref,
            expected_version=ticket.version,
            actor="sam@example.com",
            request_id="e1",
            status=Status.OPEN,
        ),
        desk.settings,
        desk.ports,
        lambda _: True,
    )

    # Then nothing is due and the fired timer does nothing
    assert _schedules(desk, ref) == {}
    assert _fire(desk, resolve) == "stale"
    assert _ticket(desk, ref).status is Status.OPEN
    assert _mails_to_customer(desk, "marked it as solved") == []


def test_a_resolved_ticket_closes_after_seven_days_and_its_retention_starts(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    _fire(desk, _only_payload(desk, ref))
    _fire(desk, _only_payload(desk, ref))

    # When the close fires
    assert _fire(desk, _only_payload(desk, ref)) == "closed"

    # Then the ticket is closed, with its expiry, and its log carries it
    ticket = _ticket(desk, ref)
    assert ticket.status is Status.CLOSED and ticket.expires_at is not None
    (event,) = _events(desk, ref, "auto_closed")
    assert event.detail == {
        "setting": "close_after_days",
        "days": "7",
        "policy": "[automation]",
        "queue": ticket.queue,
    }
    assert _schedules(desk, ref) == {}


def test_a_reopen_after_an_auto_resolve_is_counted(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    _fire(desk, _only_payload(desk, ref))
    _fire(desk, _only_payload(desk, ref))

    # When the customer answers the closing mail
    desk.clock_now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    desk.deliver(build_mail(subject=f"Re: [#{ref}] Order", body="Sorry, I was away. It is order 4711 still."))

    # Then the ticket is open in a new cycle and the reopen after the auto-resolve is recorded
    assert _ticket(desk, ref).status is Status.OPEN
    assert len(_events(desk, ref, "auto_resolve_reopened")) == 1
    figures = desk.store.figures_of(
        [datetime(2026, 12, 4).date(), datetime(2026, 12, 3).date(), datetime(2026, 11, 27).date()]
    )
    keys = {key: figure.total for day in figures.values() for key, figure in day.items()}
    assert keys["automation:reopened"] == 1
    assert keys["automation:reminders"] == 1 and keys["automation:auto_resolved"] == 1

    # And the report says so, in the API's figures and in the terminal's text
    report = build_report(desk.store, desk.clock_now, date(2026, 11, 27), "UTC", until=date(2026, 12, 4))
    assert report["automation"]["reopened_after_auto_resolve"] == 1
    assert (
        "By the desk itself: reminders sent 1, resolved after no answer 1 "
        "(reopened since 1, 100.0 %), closed 0" in format_report(report)
    )


def test_a_queue_can_turn_the_reminders_off(desk: Desk, tmp_path: Any) -> None:
    policy = policy_of(desk.settings)
    assert policy.automation_for("general").pending_reminders
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    own = tmp_path / "policy.toml"
    own.write_text(
        text + "\n[queues.general.automation]\npending_reminders = false\nclose_after_days = 2\n",
        encoding="utf-8",
    )
    settings = replace(desk.settings, sla_policy_path=str(own))

    ticket = replace(_ticket(desk, _pending_ticket(desk)), queue="general")
    assert next_lifecycle_timer(ticket, policy_of(settings)) is None
    resolved = replace(ticket, status=Status.RESOLVED, resolved_at=ANSWERED)
    timer = next_lifecycle_timer(resolved, policy_of(settings))
    assert timer is not None and timer.at == ANSWERED + timedelta(days=2)
    assert policy_of(settings).automation_for("general").source == "queues.general.automation"


def test_a_snoozed_ticket_opens_again_when_its_snooze_ends_and_the_assignee_is_told(desk: Desk) -> None:
    desk.clock_now = ARRIVAL
    ref = desk.deliver(build_mail()).ref
    AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        "sam@example.com", "Sam Lee", Role.AGENT, desk.clock_now
    )
    until = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    ticket = _ticket(desk, ref)
    edit_ticket(
        TicketEdit(
            ref=ref,
            expected_version=ticket.version,
            actor="alex@example.com",
            request_id="s1",
            assignee_set=True,
            assignee="sam@example.com",
            snooze_until=until,
        ),
        desk.settings,
        desk.ports,
        lambda _: True,
    )
    snoozed = _ticket(desk, ref)
    assert snoozed.status is Status.ON_HOLD and snoozed.snoozed and snoozed.snoozed_until == until
    (event,) = _events(desk, ref, "snoozed")
    assert event.detail["until"] == "2026-11-26T08:00:00.000Z"
    payload = _only_payload(desk, ref)
    assert payload["purpose"] == "snooze_end"

    # When the snooze ends
    assert _fire(desk, payload) == "woken"

    # Then the ticket is open again, the history says so and names the assignee, who is told
    woken = _ticket(desk, ref)
    assert woken.status is Status.OPEN and not woken.snoozed and woken.snoozed_until is None
    (ended,) = _events(desk, ref, "snooze_ended")
    assert ended.actor == "automation" and ended.detail["assignee"] == "sam@example.com"
    assert ("AgentNotificationsQueued", {"kind": "snooze_ended"}) in desk.metrics.counted


def test_the_customers_answer_ends_a_snooze_until_they_answer(desk: Desk) -> None:
    desk.clock_now = ARRIVAL
    ref = desk.deliver(build_mail()).ref
    ticket = _ticket(desk, ref)
    edit_ticket(
        TicketEdit(
            ref=ref,
            expected_version=ticket.version,
            actor="sam@example.com",
            request_id="s1",
            snooze_until_answer=True,
        ),
        desk.settings,
        desk.ports,
        lambda _: True,
    )
    snoozed = _ticket(desk, ref)
    assert snoozed.status is Status.ON_HOLD and snoozed.snoozed and snoozed.snoozed_until is None
    assert _schedules(desk, ref) == {}

    desk.deliver(
        build_mail(subject=f"Re: [#{ref}] Order", body="Here is the photo you asked for, thank you.")
    )

    woken = _ticket(desk, ref)
    assert woken.status is Status.OPEN and not woken.snoozed


def test_a_duplicated_or_concurrent_reminder_goes_out_once(desk: Desk) -> None:
    ref = _pending_ticket(desk)
    payload = _only_payload(desk, ref)
    request = automation_request(payload)
    assert request is not None
    desk.clock_now = request.due

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: run_automation(request, desk.settings, desk.ports), range(4)))

    assert outcomes.count("reminded") >= 1 and set(outcomes) <= {"reminded", "stale"}
    assert len(_mails_to_customer(desk, "still waiting for your answer")) == 1
    assert len(_events(desk, ref, "reminder_sent")) == 1
    # A delivery of the same schedule later still does nothing
    assert _fire(desk, payload) == "stale"
    assert len(_mails_to_customer(desk, "still waiting for your answer")) == 1


@pytest.mark.parametrize("step", ["claim", "send", "record"])
@pytest.mark.parametrize("purpose", ["pending_reminder", "auto_resolve"])
def test_a_crash_after_each_step_never_sends_twice_and_the_ticket_moves_on(
    desk: Desk, step: str, purpose: str
) -> None:
    ref = _pending_ticket(desk)
    if purpose == "auto_resolve":
        _fire(desk, _only_payload(desk, ref))
    payload = _only_payload(desk, ref)
    marker = "still waiting for your answer" if purpose == "pending_reminder" else "marked it as solved"

    with pytest.raises(Died):
        _fire(desk, payload, ports=_dying(desk, step))
    # Lambda tries the invocation again, twice
    _fire(desk, payload)
    _fire(desk, payload)

    assert len(_mails_to_customer(desk, marker)) == (0 if step == "claim" else 1)
    ticket = _ticket(desk, ref)
    if purpose == "pending_reminder":
        assert ticket.reminded_at is not None and len(_events(desk, ref, "reminder_sent")) == 1
        assert _only_payload(desk, ref)["purpose"] == "auto_resolve"
    else:
        assert ticket.status is Status.RESOLVED and len(_events(desk, ref, "auto_resolved")) == 1
        assert _only_payload(desk, ref)["purpose"] == "close"


def test_a_malformed_or_unknown_purpose_is_dropped() -> None:
    assert automation_request({"purpose": "nap", "ref": "K7Q2-M9XD", "due": "2026-11-27T10:00:00Z"}) is None
    assert automation_request({"purpose": "close", "ref": "nope", "due": "2026-11-27T10:00:00Z"}) is None
    assert automation_request({"purpose": "close", "ref": "K7Q2-M9XD", "due": "soon"}) is None
    assert automation_request(["close"]) is None


def test_the_api_snoozes_and_unsnoozes_and_refuses_bad_snoozes(desk: Desk, client: Any, token: str) -> None:
    desk.clock_now = ARRIVAL
    runtime.use_clock(desk.now)
    ref = desk.deliver(build_mail()).ref

    def patch(**body: Any) -> Any:
        version = _ticket(desk, ref).version
        return client.http.patch(
            f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, **body})
        )

    # Bad snoozes are refused in words
    for body, words in (
        ({"snooze_until": "tomorrow"}, "snooze_until must be a time"),
        ({"snooze_until": None}, "snooze_until must be a time"),
        ({"snooze_until": "2026-11-24T08:00:00Z"}, "in the future"),
        ({"snooze_until": "2028-11-24T08:00:00Z"}, "at most one year"),
        ({"snooze_until_answer": False}, "can only be true"),
        ({"snooze_until": "2026-11-30T09:00:00+01:00", "status": "open"}, "on hold"),
    ):
        answer = patch(**body)
        assert answer.status_code == 400, (body, answer.body)
        assert words in json.loads(answer.body)["message"], answer.body

    # A snooze puts the ticket on hold until Monday 9:00, and says so
    answer = patch(snooze_until="2026-11-30T09:00:00+01:00")
    assert answer.status_code == 200, answer.body
    shown = json.loads(client.http.get(f"/tickets/{ref}", headers=auth(token)).body)["ticket"]
    assert shown["status"] == "on-hold" and shown["snooze"] == {"until": "2026-11-30T08:00:00.000Z"}

    # Unsnooze: open again now, no schedule left
    assert patch(unsnooze=True).status_code == 200
    shown = json.loads(client.http.get(f"/tickets/{ref}", headers=auth(token)).body)["ticket"]
    assert shown["status"] == "open" and shown["snooze"] is None
    assert _schedules(desk, ref) == {}
    assert sorted(e.kind for e in desk.store.events(ref) if "snooze" in e.kind) == ["snoozed", "unsnoozed"]
