"""SLA clocks and timers on moto: the promise in the acknowledgement, the one schedule per ticket that
waits for the next warning or breach, what a fired timer does (and a stale one does not), and the
clocks that human replies and waiting on the customer stop and pause.

The desk's clock is the test's: the ticket arrives on Tuesday 24 November 2026 at 10:32 in Berlin
(the shipped policy: Mon-Fri 09:00-17:00 Europe/Berlin, normal priority answered within one
business day of 8 hours, warned at 75 %)."""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from postdesk.aws.clients import client as aws_client
from postdesk.aws.scheduler import validate_at_expression
from postdesk.sla.clocks import Timer
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Status
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.sla import TimerOutcome, fire_timer, timer_name, timer_request
from postdesk.workflows.ticket_work import TicketEdit, edit_ticket
from tests.integration.conftest import Desk
from tests.mails import build_mail

ARRIVAL = datetime(2026, 11, 24, 9, 32, tzinfo=UTC)


def _schedule(desk: Desk, ref: str) -> dict[str, Any] | None:
    """The ticket's one SLA schedule (None when no clock runs)."""
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    names = [
        s["Name"]
        for s in scheduler.list_schedules(GroupName=group)["Schedules"]
        if s["Name"].startswith(f"sla-{ref}-")
    ]
    assert len(names) <= 1, names
    if not names:
        return None
    found: dict[str, Any] = scheduler.get_schedule(Name=names[0], GroupName=group)
    return found


def _payload(desk: Desk, ref: str) -> dict[str, Any]:
    schedule = _schedule(desk, ref)
    assert schedule is not None
    payload: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    assert validate_at_expression(schedule["ScheduleExpression"]) == datetime.fromisoformat(
        payload["at"].replace("Z", "+00:00")
    ).replace(microsecond=0)
    request = timer_request(payload)
    assert request is not None and schedule["Name"] == timer_name(ref, next_timer_of(request))
    return payload


def next_timer_of(request: Any) -> Timer:
    return Timer(request.kind, request.target, request.run, request.at)


def _fire_at(desk: Desk, payload: dict[str, Any], when: datetime) -> TimerOutcome:
    """Scheduler invokes the target at ``when`` with the schedule's input, and deletes the schedule
    (ActionAfterCompletion=DELETE)."""
    desk.clock_now = when - timedelta(seconds=2)
    request = timer_request(payload)
    assert request is not None
    scheduler = aws_client("scheduler", desk.settings.region)
    with suppress(scheduler.exceptions.ResourceNotFoundException):  # a second delivery of the same
        scheduler.delete_schedule(
            Name=timer_name(payload["ref"], next_timer_of(request)), GroupName=desk.settings.scheduling.group
        )
    return fire_timer(request, desk.settings, desk.ports)


def _arrive(desk: Desk, **mail: Any) -> str:
    desk.clock_now = ARRIVAL - timedelta(minutes=1)
    return desk.deliver(build_mail(**mail)).ref


def _notices(desk: Desk) -> list[str]:
    return [str(m.message["Subject"]) for m in desk.sent() if "team@example.com" in m.recipients]


def test_the_acknowledgement_promises_the_first_response_from_the_policy(desk: Desk) -> None:
    # Given a normal-priority ticket on Tuesday 10:32 CET
    ref = _arrive(desk)

    # Then the ack names the business day after: Wednesday 10:32 CET
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.priority == "normal" and ticket.sla is not None
    assert ticket.sla.first_response_due == datetime(2026, 11, 25, 9, 32, tzinfo=UTC)
    (ack,) = desk.sent()
    text = ack.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "A member of our team will answer you by Wednesday, 25 November, 10:32 (CET)." in text
    assert "will read it and answer you" not in text


def test_a_german_ticket_gets_the_promise_in_german(desk: Desk) -> None:
    _arrive(
        desk,
        subject="Rechnung doppelt",
        body="Guten Tag, ich habe die Rechnung doppelt bezahlt. Bitte erstatten Sie den Betrag. Danke!",
    )

    text = desk.sent()[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Jemand aus unserem Team antwortet Ihnen bis " in text and "Uhr (CET)." in text


def test_one_schedule_waits_for_the_warning_at_three_quarters_of_the_first_response(desk: Desk) -> None:
    ref = _arrive(desk)

    schedule = _schedule(desk, ref)
    payload = _payload(desk, ref)

    # 6 of 8 business hours after 10:32 CET: 16:32 CET the same day
    assert payload["kind"] == "warning" and payload["target"] == "first_response"
    assert payload["at"] == "2026-11-24T15:32:00.000Z"
    assert schedule is not None and schedule["Target"]["Arn"] == desk.settings.scheduling.sla_function_arn
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["DeadLetterConfig"] == {"Arn": desk.settings.scheduling.dead_letter_arn}


def test_a_warning_then_a_breach_notify_the_queue_and_the_breach_escalates(desk: Desk) -> None:
    ref = _arrive(desk)
    warning = _payload(desk, ref)

    # When the warning fires: an event, a metric, a notice; the schedule now waits for the breach
    assert _fire_at(desk, warning, datetime(2026, 11, 24, 15, 32, tzinfo=UTC)) is TimerOutcome.WARNED
    breach = _payload(desk, ref)
    assert (breach["kind"], breach["target"], breach["at"]) == (
        "breach",
        "first_response",
        "2026-11-25T09:32:00.000Z",
    )
    assert desk.metrics.total("SlaWarnings") == 1
    assert (
        len(_notices(desk)) == 1
        and "first response due soon (wed 25 nov 10:32 cet)" in _notices(desk)[0].lower()
    )

    # A late second delivery of the same warning does nothing
    assert _fire_at(desk, warning, datetime(2026, 11, 24, 15, 33, tzinfo=UTC)) is TimerOutcome.STALE
    assert len(_notices(desk)) == 1

    # When the breach fires: flagged on the clocks, escalated to high priority, the queue is told
    assert _fire_at(desk, breach, datetime(2026, 11, 25, 9, 32, tzinfo=UTC)) is TimerOutcome.BREACHED
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.sla is not None
    assert ticket.priority == "high"
    assert ticket.sla.breached == (f"first_response:{ARRIVAL.isoformat().replace('+00:00', '.000Z')}",)
    kinds = [e.kind for e in desk.store.events(ref)]
    assert kinds.count("sla_warning") == 1 and kinds.count("sla_breached") == 1 and "escalated" in kinds
    assert desk.metrics.total("SlaBreaches") == 1
    assert "first response target broken" in _notices(desk)[-1].lower()
    # The next timer is the resolution's warning, on the high-priority target (2 days, warned at 12 h)
    following = _payload(desk, ref)
    assert (following["kind"], following["target"]) == ("warning", "resolution")
    assert following["at"] == "2026-11-25T13:32:00.000Z"


def test_a_timer_that_fires_before_it_is_due_does_nothing(desk: Desk) -> None:
    ref = _arrive(desk)
    warning = _payload(desk, ref)

    outcome = _fire_at(desk, warning, datetime(2026, 11, 24, 12, 0, tzinfo=UTC))

    assert outcome is TimerOutcome.STALE
    assert "sla_warning" not in [e.kind for e in desk.store.events(ref)]
    assert _payload(desk, ref) == warning


def test_a_human_reply_stops_the_first_response_and_waiting_on_the_customer_pauses_the_rest(
    desk: Desk,
) -> None:
    ref = _arrive(desk)
    desk.clock_now = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)

    send_reply(
        AgentReply(
            ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body="Hello", request_id="r1"
        ),
        desk.settings,
        desk.ports,
    )

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.PENDING and ticket.sla is not None
    assert ticket.sla.first_response_due is None and ticket.sla.resolution_due is None
    assert ticket.sla.resolution_used > 0
    first = next(e for e in desk.store.events(ref) if e.kind == "first_response")
    assert first.detail == {
        "seconds": str(int((ticket.first_response_at - ARRIVAL).total_seconds())),
        "met": "true",
    }  # type: ignore[operator]
    # Nothing runs: no timer waits
    assert _schedule(desk, ref) is None

    # When the customer answers, the next response and the resolution run again
    desk.clock_now = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    desk.deliver(build_mail(subject=f"Re: [#{ref}] My order has not arrived", body="It is still missing."))
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.OPEN and ticket.sla is not None
    answered_at = ticket.sla.next_response_since
    assert answered_at == desk.clock_now
    # 8 business hours from 14:01 CET Tuesday: 14:01 CET Wednesday
    assert ticket.sla.next_response_due == datetime(2026, 11, 25, 13, 1, tzinfo=UTC)
    assert _payload(desk, ref)["target"] in ("next_response", "resolution")


def test_resolving_stops_every_clock_and_records_whether_it_was_in_time(desk: Desk) -> None:
    ref = _arrive(desk)
    desk.clock_now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    edit_ticket(
        TicketEdit(
            ref=ref, expected_version=1, actor="sam@example.com", request_id="e1", status=Status.RESOLVED
        ),
        desk.settings,
        desk.ports,
        lambda address: True,
    )

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.sla is not None
    assert (ticket.sla.first_response_due, ticket.sla.next_response_due, ticket.sla.resolution_due) == (
        None,
        None,
        None,
    )
    resolved = next(e for e in desk.store.events(ref) if e.kind == "resolved")
    # 24 business hours (3 days of 8) from Tuesday 10:32 CET end on Friday 10:32: resolved in time
    assert resolved.detail["met"] == "true" and resolved.actor == "sam@example.com"
    assert _schedule(desk, ref) is None


def test_quarantined_mail_promises_nothing_and_starts_no_timer(desk: Desk) -> None:
    desk.clock_now = ARRIVAL
    ref = desk.deliver(build_mail(), verdicts={"spam": "FAIL"}).ref

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.quarantine and ticket.sla is None
    assert _schedule(desk, ref) is None


def test_a_breach_hands_the_ticket_over_when_the_policy_says_so(desk: Desk, tmp_path: Any) -> None:
    # Given a policy that escalates to a team lead and keeps the priority
    from dataclasses import replace

    from postdesk.sla.policy import DEFAULT_POLICY_PATH

    shipped = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    custom = tmp_path / "policy.toml"
    custom.write_text(
        shipped.replace("raise_priority = true", "raise_priority = false").replace(
            'reassign_to = ""', 'reassign_to = "lead@example.com"'
        ),
        encoding="utf-8",
    )
    settings = replace(desk.settings, sla_policy_path=str(custom))
    ref = _arrive(desk)

    # When the first response breaks
    request = timer_request({**_payload(desk, ref), "kind": "breach", "at": "2026-11-25T09:32:00.000Z"})
    assert request is not None
    desk.clock_now = datetime(2026, 11, 25, 9, 32, tzinfo=UTC)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.sla is not None
    warned = replace(ticket.sla, warned=(request.run,))
    # (the warning was recorded before: the breach is the next timer)
    desk.store.update_ticket(TicketUpdate(ticket, {"sla": warned}), [])
    outcome = fire_timer(request, settings, desk.ports)

    # Then it goes to the lead, at the same priority, and the log says why
    ticket = desk.store.get_ticket(ref)
    assert outcome is TimerOutcome.BREACHED
    assert ticket is not None and (ticket.assignee, ticket.priority) == ("lead@example.com", "normal")
    escalated = [e for e in desk.store.events(ref) if e.kind == "escalated"]
    assert [(e.detail["field"], e.detail["to"]) for e in escalated] == [("assignee", "lead@example.com")]
