"""Resolution and the survey on moto: the schedule a resolution makes, the survey the fired schedule
sends, what a reopen cancels, and the answers customers give by mail."""

from __future__ import annotations

import json
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from chalice.test import Client

from postdesk import handlers, runtime
from postdesk.aws.clients import client as aws_client
from postdesk.aws.scheduler import validate_at_expression
from postdesk.effects.keys import survey_schedule as schedule_name
from postdesk.effects.keys import ticket_thread_id
from postdesk.tickets.model import MessageKind, Status
from postdesk.workflows.survey import SurveyOutcome
from postdesk_tools.schedules import fire_due_schedules
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _resolve(client: Client, token: str, ref: str, status: str = "resolved") -> Any:
    version = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    answer = client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, "status": status})
    )
    assert answer.status_code == 200, answer.body
    return body_of(answer)["ticket"]


def _schedule(desk: Desk, ref: str, cycle: int) -> dict[str, Any] | None:
    scheduler = aws_client("scheduler", desk.settings.region)
    try:
        found: dict[str, Any] = scheduler.get_schedule(
            Name=schedule_name(ref, cycle), GroupName=desk.settings.scheduling.group
        )
    except scheduler.exceptions.ResourceNotFoundException:
        return None
    return found


def _fire(desk: Desk, ref: str, cycle: int) -> str:
    """What EventBridge Scheduler does when the schedule is due: invoke the target with its input,
    then delete the schedule (ActionAfterCompletion=DELETE)."""
    schedule = _schedule(desk, ref, cycle)
    assert schedule is not None
    due = validate_at_expression(schedule["ScheduleExpression"])
    fired = fire_due_schedules(
        desk.settings.region, desk.settings.scheduling.group, due, prefix=schedule_name(ref, cycle)
    )
    assert [f.name for f in fired] == [schedule_name(ref, cycle)]
    assert _schedule(desk, ref, cycle) is None
    return str(fired[0].result["outcome"])


def _surveys(desk: Desk) -> list[Message]:
    return [mail.message for mail in desk.sent() if mail.message["Auto-Submitted"] == "auto-generated"]


def test_resolving_schedules_one_survey_a_day_later_with_everything_scheduler_needs(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref

    resolved = _resolve(client, token, ref)

    schedule = _schedule(desk, ref, 1)
    assert schedule is not None
    due = validate_at_expression(schedule["ScheduleExpression"])
    resolved_at = desk.store.get_ticket(ref).resolved_at  # type: ignore[union-attr]
    assert resolved_at is not None and resolved["resolved_at"]
    assert due == (resolved_at + timedelta(hours=24)).replace(microsecond=0)
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == desk.settings.scheduling.survey_function_arn
    assert target["RoleArn"] == desk.settings.scheduling.role_arn
    assert target["DeadLetterConfig"] == {"Arn": desk.settings.scheduling.dead_letter_arn}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert json.loads(target["Input"]) == {"ref": ref, "cycle": 1}
    assert [e.kind for e in desk.store.events(ref)].count("survey_scheduled") == 1


def test_the_delay_is_settable_per_queue(
    desk: Desk, client: Client, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = desk.deliver(build_mail()).ref
    queue = desk.store.get_ticket(ref).queue  # type: ignore[union-attr]
    monkeypatch.setenv("POSTDESK_SURVEY_DELAY_HOURS_BY_QUEUE", f"{queue}=2,elsewhere=100")
    runtime.reset_runtime()

    _resolve(client, token, ref)

    ticket = desk.store.get_ticket(ref)
    schedule = _schedule(desk, ref, 1)
    assert ticket is not None and ticket.resolved_at is not None and schedule is not None
    assert validate_at_expression(schedule["ScheduleExpression"]) == (
        ticket.resolved_at + timedelta(hours=2)
    ).replace(microsecond=0)


def test_the_fired_schedule_sends_one_survey_in_the_customers_language_threaded_to_the_ticket(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(
        build_mail(
            subject="Rechnung doppelt",
            body="Guten Tag, ich habe die Rechnung doppelt bezahlt. Bitte erstatten Sie den Betrag. Danke!",
        )
    ).ref
    _resolve(client, token, ref)

    first = _fire(desk, ref, 1)
    again = handlers.survey_handler({"ref": ref, "cycle": 1}, None)["outcome"]

    assert (first, again) == (SurveyOutcome.SENT.value, SurveyOutcome.ALREADY_SENT.value)
    (survey,) = _surveys(desk)
    assert survey["To"].endswith("jane.doe@customer.example>") or "jane.doe@customer.example" in survey["To"]
    assert f"[#{ref}]" in survey["Subject"]
    assert ticket_thread_id(ref, desk.settings.support_domain) in survey["References"].split()
    assert survey["In-Reply-To"]
    text = survey.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    links = [line for line in body.split() if "/survey/" in line]
    assert len(links) == 5
    assert all(link.startswith(f"{desk.settings.survey.public_url}/survey/{ref}.1.") for link in links)
    assert "Wie" in body or "wie" in body  # German text
    assert [m.kind for m in desk.store.thread(ref)].count(MessageKind.SURVEY) == 1
    assert "survey_sent" in [e.kind for e in desk.store.events(ref)]


def test_a_customer_reply_cancels_the_survey_and_a_late_invocation_sends_nothing(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    _resolve(client, token, ref)
    assert _schedule(desk, ref, 1) is not None

    desk.deliver(
        build_mail(subject=f"Re: [#{ref}] My order has not arrived", body="It still has not arrived!")
    )

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.OPEN and ticket.cycle == 2
    assert _schedule(desk, ref, 1) is None
    assert "survey_cancelled" in [e.kind for e in desk.store.events(ref)]
    late = handlers.survey_handler({"ref": ref, "cycle": 1}, None)["outcome"]
    assert late == SurveyOutcome.OTHER_CYCLE.value
    assert _surveys(desk) == []


def test_an_agent_reopening_cancels_and_resolving_again_schedules_the_next_cycle(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    _resolve(client, token, ref)
    _resolve(client, token, ref, "open")
    assert _schedule(desk, ref, 1) is None

    _resolve(client, token, ref)

    assert _schedule(desk, ref, 2) is not None
    assert handlers.survey_handler({"ref": ref, "cycle": 1}, None)["outcome"] == "other_cycle"
    assert _fire(desk, ref, 2) == "sent"


def test_a_ticket_that_is_not_resolved_when_the_schedule_fires_gets_no_survey(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    assert handlers.survey_handler({"ref": ref, "cycle": 1}, None)["outcome"] == "not_resolved"
    assert handlers.survey_handler({"ref": "ZZZZ-ZZZZ", "cycle": 1}, None)["outcome"] == "no_ticket"
    for malformed in ({}, {"ref": ref}, {"ref": "x; drop", "cycle": 1}, {"ref": ref, "cycle": "1"}):
        assert handlers.survey_handler(malformed, None)["outcome"] == "malformed"
    assert _surveys(desk) == []


def test_a_rating_by_mail_is_recorded_and_does_not_reopen(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    _resolve(client, token, ref)
    _fire(desk, ref, 1)
    (survey,) = _surveys(desk)

    desk.deliver(
        build_mail(subject=f"Re: {survey['Subject']}", body="5/5, thanks!", in_reply_to=survey["Message-ID"])
    )

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    assert ticket.status is Status.RESOLVED and ticket.cycle == 1
    assert (ticket.survey_rating, ticket.survey_cycle) == (5, 1)
    kinds = [e.kind for e in desk.store.events(ref)]
    assert "survey_answered" in kinds and "reopened" not in kinds


def test_a_survey_reply_with_more_to_say_reopens_the_ticket(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    _resolve(client, token, ref)
    _fire(desk, ref, 1)
    (survey,) = _surveys(desk)

    desk.deliver(
        build_mail(
            subject=f"Re: {survey['Subject']}",
            body="4/5 but the second parcel is still missing, can you check?",
            in_reply_to=survey["Message-ID"],
        )
    )

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.OPEN and ticket.cycle == 2
    assert ticket.survey_rating is None


def test_a_bad_rating_flags_a_follow_up_tells_the_team_and_shows_in_the_follow_up_view(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    other = desk.deliver(
        build_mail(subject="Another", sender="li@shop.example"), envelope_sender="li@shop.example"
    ).ref
    _resolve(client, token, ref)
    _fire(desk, ref, 1)
    (survey,) = _surveys(desk)

    desk.deliver(build_mail(subject=f"Re: {survey['Subject']}", body="1", in_reply_to=survey["Message-ID"]))

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.follow_up == "rated 1 of 5" and ticket.status is Status.RESOLVED
    assert "follow_up_needed" in [e.kind for e in desk.store.events(ref)]
    notices = [m for m in desk.sent() if "team@example.com" in m.recipients]
    assert len(notices) == 1 and f"[#{ref}]" in notices[0].message["Subject"]
    assert desk.metrics.total("FollowUpsFlagged") == 1
    listed = body_of(client.http.get("/tickets?follow_up=true", headers=auth(token)))["tickets"]
    assert [t["ref"] for t in listed] == [ref] and other not in [t["ref"] for t in listed]
    assert listed[0]["survey"]["rating"] == 1

    version = ticket.version
    cleared = client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, "follow_up": False})
    )
    assert cleared.status_code == 200 and body_of(cleared)["ticket"]["follow_up"] is None
    assert body_of(client.http.get("/tickets?follow_up=true", headers=auth(token)))["tickets"] == []
    refused = client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version + 1, "follow_up": True})
    )
    assert refused.status_code == 400


def test_a_schedule_made_twice_is_one_schedule(desk: Desk, client: Client, token: str) -> None:
    from postdesk.workflows.survey import schedule_survey

    ref = desk.deliver(build_mail()).ref
    _resolve(client, token, ref)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None

    schedule_survey(ticket, desk.settings, desk.ports)

    group = desk.settings.scheduling.group
    names = [
        s["Name"]
        for s in aws_client("scheduler", desk.settings.region).list_schedules(GroupName=group)["Schedules"]
        if s["Name"].startswith("survey-")
    ]
    assert names == [schedule_name(ref, 1)]
    assert [e.kind for e in desk.store.events(ref)].count("survey_scheduled") == 1


def test_without_scheduling_configured_the_resolution_says_so(
    desk: Desk, client: Client, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTDESK_SURVEY_FUNCTION_ARN", "")
    runtime.reset_runtime()
    ref = desk.deliver(build_mail()).ref

    _resolve(client, token, ref)

    assert _schedule(desk, ref, 1) is None
    events = {e.kind: e.detail for e in desk.store.events(ref)}
    assert events["survey_not_scheduled"]["reason"] == "not configured"
