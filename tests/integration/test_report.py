"""The desk's numbers: kept as per-day figures in the transactions that write the events, reported
without reading a ticket, and equal to the same numbers recomputed from the event log."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.tickets.model import OPEN_STATUSES, Status
from postdesk.workflows.ratings import AnswerSource, record_rating
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.report import build_report, percentile
from postdesk.workflows.sla import fire_timer, timer_request
from postdesk.workflows.survey import SurveyRequest, send_survey
from postdesk.workflows.ticket_work import TicketEdit, edit_ticket
from postdesk_tools.report_cli import run_report
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
REQUESTS = [
    ("My order has not arrived", "Hello,\n\nmy order 4711 has not arrived yet. Can you check?\n\nJane"),
    ("Cannot sign in", "Hello,\n\nI cannot log in to my account since the password reset.\n\nLi"),
    ("Rechnung doppelt", "Guten Tag, ich habe die Rechnung doppelt bezahlt. Bitte erstatten Sie den Betrag."),
    ("App crashes", "Hi, the app crashes with an error every time I open the settings page. Please fix."),
]


def _at(desk: Desk, moment: datetime) -> None:
    """The desk's clock (ports answer two seconds after it)."""
    desk.clock_now = moment - timedelta(seconds=2)


def _reply(desk: Desk, ref: str, agent: str, request_id: str, status: Status = Status.PENDING) -> None:
    send_reply(
        AgentReply(
            ref=ref,
            agent_email=agent,
            agent_name=agent.split("@")[0],
            body="Hello",
            request_id=request_id,
            status_after=status,
        ),
        desk.settings,
        desk.ports,
    )


def _edit(desk: Desk, ref: str, agent: str, request_id: str, status: Status) -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    edit_ticket(
        TicketEdit(
            ref=ref, expected_version=ticket.version, actor=agent, request_id=request_id, status=status
        ),
        desk.settings,
        desk.ports,
        lambda address: True,
    )


def _week_of_work(desk: Desk) -> list[str]:
    """Four days of a small desk: new tickets, replies, resolutions, a reopen, surveys and their
    answers, a breached promise."""
    refs = []
    for day in range(3):
        for index, (subject, body) in enumerate(REQUESTS[: 2 + day]):
            desk.clock_now = MONDAY + timedelta(days=day, hours=index)
            refs.append(
                desk.deliver(
                    build_mail(
                        subject=subject, body=body, sender=f"c{day}{index} <c{day}{index}@shop.example>"
                    ),
                    envelope_sender=f"c{day}{index}@shop.example",
                ).ref
            )
    # Monday: Sam answers the first two and resolves one by reply
    _at(desk, MONDAY + timedelta(hours=3))
    _reply(desk, refs[0], "sam@example.com", "r0")
    _reply(desk, refs[1], "sam@example.com", "r1", Status.RESOLVED)
    # Tuesday: Ira answers two more, resolves the first; a survey goes out for refs[1] and is answered
    _at(desk, MONDAY + timedelta(days=1, hours=5))
    _reply(desk, refs[2], "ira@example.com", "r2")
    _reply(desk, refs[3], "ira@example.com", "r3")
    _edit(desk, refs[0], "ira@example.com", "e0", Status.RESOLVED)
    assert send_survey(SurveyRequest(refs[1], 1), desk.settings, desk.ports).value == "sent"
    record_rating(refs[1], 1, 5, "", AnswerSource.PAGE, desk.settings, desk.ports)
    # Wednesday: the customer of refs[0] reopens it; its survey was sent and rated badly, then changed
    _at(desk, MONDAY + timedelta(days=2, hours=6))
    assert send_survey(SurveyRequest(refs[0], 1), desk.settings, desk.ports).value == "sent"
    record_rating(refs[0], 1, 2, "slow", AnswerSource.PAGE, desk.settings, desk.ports)
    record_rating(refs[0], 1, 4, "slow", AnswerSource.PAGE, desk.settings, desk.ports)
    desk.clock_now = MONDAY + timedelta(days=2, hours=7)
    desk.deliver(
        build_mail(
            subject=f"Re: [#{refs[0]}] My order has not arrived",
            body="It is broken again.",
            sender="c00 <c00@shop.example>",
        ),
        envelope_sender="c00@shop.example",
    )
    _at(desk, MONDAY + timedelta(days=2, hours=8))
    _reply(desk, refs[0], "sam@example.com", "r0b", Status.RESOLVED)
    # Thursday: the first response promise of a Monday ticket nobody answered breaks
    breached = refs[4]
    ticket = desk.store.get_ticket(breached)
    assert ticket is not None and ticket.sla is not None and ticket.sla.first_response_due is not None
    _at(desk, MONDAY + timedelta(days=3, hours=8))
    for kind in ("warning", "breach"):
        from postdesk.sla.clocks import next_timer
        from postdesk.workflows.sla import policy_of, timer_payload

        current = desk.store.get_ticket(breached)
        assert current is not None
        timer = next_timer(current, policy_of(desk.settings))
        assert timer is not None and timer.kind.value == kind
        request = timer_request(timer_payload(breached, timer))
        assert request is not None
        fire_timer(request, desk.settings, desk.ports)
    return refs


def _recomputed(desk: Desk, refs: list[str], now: datetime) -> dict[str, Any]:
    """The same figures from the event log and the tickets themselves, computed plainly here."""
    volume_by_day: Counter[str] = Counter()
    by: dict[str, Counter[str]] = {"category": Counter(), "language": Counter(), "queue": Counter()}
    first_responses: list[float] = []
    resolutions: list[float] = []
    met: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    resolutions_by: Counter[str] = Counter()
    reopened = resolved = sent = breaches = 0
    ratings: dict[tuple[str, str], int] = {}
    backlog: Counter[str] = Counter()
    for ref in refs:
        ticket = desk.store.get_ticket(ref)
        assert ticket is not None
        events = desk.store.events(ref)
        volume_by_day[ticket.created_at.astimezone(BERLIN).date().isoformat()] += 1
        for name in by:
            by[name][getattr(ticket, name)] += 1
        if ticket.first_response_at is not None:
            first_responses.append(round((ticket.first_response_at - ticket.created_at).total_seconds()))
        cycle_start = ticket.created_at
        for event in events:
            if event.kind == "reopened":
                reopened += 1
                cycle_start = event.at
            elif event.kind == "resolved":
                resolved += 1
                resolutions.append(round((event.at - cycle_start).total_seconds()))
                resolutions_by[event.actor] += 1
            elif event.kind == "agent_replied":
                replies[event.actor] += 1
            elif event.kind == "survey_sent":
                sent += 1
            elif event.kind in ("survey_answered", "survey_rating_changed"):
                ratings[(ref, event.detail["cycle"])] = int(event.detail["rating"])
            elif event.kind == "sla_breached":
                breaches += 1
            if event.kind in ("first_response", "next_response", "resolved") and "met" in event.detail:
                target = "resolution" if event.kind == "resolved" else event.kind
                met[f"{target}:{'met' if event.detail['met'] == 'true' else 'missed'}"] += 1
        if ticket.status in OPEN_STATUSES:
            waited = now - (ticket.waiting_since or ticket.created_at)
            bucket = (
                "under_1d"
                if waited < timedelta(days=1)
                else "1d_to_3d"
                if waited < timedelta(days=3)
                else "3d_to_7d"
                if waited < timedelta(days=7)
                else "over_7d"
            )
            backlog[bucket] += 1
    agents: dict[str, dict[str, int]] = {}
    for email in sorted(set(replies) | {a for a in resolutions_by if "@" in a}):
        agents[email] = {"replies": replies[email], "resolutions": resolutions_by[email]}
    return {
        "volume": {
            "total": len(refs),
            "by_day": dict(volume_by_day),
            **{f"by_{name}": dict(sorted(counter.items())) for name, counter in by.items()},
        },
        "first_response": [
            percentile(first_responses, 0.5),
            percentile(first_responses, 0.9),
            len(first_responses),
        ],
        "resolution": [percentile(resolutions, 0.5), percentile(resolutions, 0.9), len(resolutions)],
        "sla": dict(met),
        "breaches": breaches,
        "reopen": (resolved, reopened),
        "csat": (sent, len(ratings), sum(1 for r in ratings.values() if r >= 4)),
        "agents": agents,
        "backlog": {name: backlog[name] for name in ("under_1d", "1d_to_3d", "3d_to_7d", "over_7d")},
    }


def test_the_report_agrees_with_the_event_log(desk: Desk) -> None:
    refs = _week_of_work(desk)
    now = MONDAY + timedelta(days=3, hours=9)

    report = build_report(desk.store, now, date(2026, 11, 16), "Europe/Berlin")
    expected = _recomputed(desk, refs, now)

    volume = report["volume"]
    assert volume["total"] == expected["volume"]["total"] == 9
    assert {d: n for d, n in volume["by_day"].items() if n} == expected["volume"]["by_day"]
    for name in ("by_category", "by_language", "by_queue"):
        assert volume[name] == expected["volume"][name], name
    first, resolution = report["first_response"], report["resolution"]
    assert [first["median_seconds"], first["p90_seconds"], first["count"]] == expected["first_response"]
    assert [resolution["median_seconds"], resolution["p90_seconds"], resolution["count"]] == expected[
        "resolution"
    ]
    for target, figures in report["sla"].items():
        assert figures["met"] == expected["sla"].get(f"{target}:met", 0), target
        assert figures["missed"] == expected["sla"].get(f"{target}:missed", 0), target
    assert sum(f["breaches"] for f in report["sla"].values()) == expected["breaches"] == 1
    assert (report["reopen"]["resolved"], report["reopen"]["reopened"]) == expected["reopen"] == (3, 1)
    csat = report["csat"]
    assert (csat["surveys_sent"], csat["answers"], csat["satisfied"]) == expected["csat"] == (2, 2, 2)
    assert csat["satisfied_share"] == 1.0 and csat["response_rate"] == 1.0
    assert report["agents"] == expected["agents"]
    assert report["agents"]["sam@example.com"] == {"replies": 3, "resolutions": 2}
    assert report["backlog"] == expected["backlog"]


def test_a_retried_delivery_counts_nothing_twice(desk: Desk) -> None:
    desk.clock_now = MONDAY
    event = desk.event(build_mail())
    first = desk.deliver_event(event)
    desk.deliver_event(event)

    report = build_report(desk.store, MONDAY + timedelta(hours=1), date(2026, 11, 16), "Europe/Berlin")

    assert first.created and report["volume"]["total"] == 1


def test_a_surge_of_one_category_is_flagged_and_announced_once(desk: Desk) -> None:
    # Given two quiet weeks: one order question a day
    for back in range(14, 0, -1):
        desk.clock_now = MONDAY + timedelta(days=14 - back, hours=1)
        desk.deliver(build_mail(), envelope_sender=f"quiet{back}@shop.example")
    # When today brings seven
    today = MONDAY + timedelta(days=14, hours=2)
    category = ""
    for index in range(7):
        desk.clock_now = today + timedelta(minutes=index)
        ref = desk.deliver(
            build_mail(sender=f"p{index} <p{index}@shop.example>"), envelope_sender=f"p{index}@shop.example"
        ).ref
        ticket = desk.store.get_ticket(ref)
        assert ticket is not None
        category = ticket.category

    report = build_report(
        desk.store, today + timedelta(hours=1), (today - timedelta(days=6)).date(), "Europe/Berlin"
    )

    (surge,) = report["surges"]
    assert (surge["category"], surge["today"], surge["mean"], surge["deviation"]) == (category, 7, 1.0, 0.0)
    # The fifth of the day started it (at least five, and above 1 + 3 x 0); announced once
    assert [dims for name, dims in desk.metrics.counted if name == "CategorySurges"] == [
        {"category": category}
    ]


def test_admins_get_the_report_over_http_and_agents_do_not(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    desk.deliver(build_mail())

    answer = client.http.get("/metrics?since=30d", headers=auth(admin_token))
    refused = client.http.get("/metrics", headers=auth(token))
    wrong = client.http.get("/metrics?since=forever", headers=auth(admin_token))
    unknown = client.http.get("/metrics?from=2026-12-01", headers=auth(admin_token))

    assert answer.status_code == 200 and body_of(answer)["volume"]["total"] == 1
    assert refused.status_code == 403
    assert wrong.status_code == 400 and "since" in body_of(wrong)["message"]
    assert unknown.status_code == 400


def test_a_span_in_the_past_reports_its_days_only_with_each_days_figures(desk: Desk) -> None:
    # Given four days of work, Monday to Thursday
    refs = _week_of_work(desk)
    now = MONDAY + timedelta(days=3, hours=9)

    # When the report covers Monday and Tuesday only
    report = build_report(desk.store, now, date(2026, 11, 16), "Europe/Berlin", until=date(2026, 11, 17))

    # Then its days are those two, each with its new tickets by category, as the tickets say
    monday, tuesday = "2026-11-16", "2026-11-17"
    assert (report["since"], report["until"]) == (monday, tuesday)
    volume = report["volume"]
    assert list(volume["by_day"]) == list(volume["by_day_category"]) == [monday, tuesday]
    expected: dict[str, Counter[str]] = {monday: Counter(), tuesday: Counter()}
    first_responses: dict[str, list[float]] = {monday: [], tuesday: []}
    resolutions: dict[str, list[float]] = {monday: [], tuesday: []}
    for ref in refs:
        ticket = desk.store.get_ticket(ref)
        assert ticket is not None
        created = ticket.created_at.astimezone(BERLIN).date().isoformat()
        if created in expected:
            expected[created][ticket.category] += 1
        events = desk.store.events(ref)
        for event in events:
            day = event.at.astimezone(BERLIN).date().isoformat()
            if event.kind == "first_response" and day in first_responses:
                first_responses[day].append(float(event.detail["seconds"]))
            if event.kind == "resolved" and day in resolutions:
                resolutions[day].append(float(event.detail["seconds"]))
    assert volume["by_day_category"] == {day: dict(sorted(n.items())) for day, n in expected.items()}
    assert volume["total"] == sum(volume["by_day"].values()) == 5
    assert {day: sum(n.values()) for day, n in volume["by_day_category"].items()} == volume["by_day"]
    # And each day's first responses and resolutions, whose days together make the span's
    for name, measured in (("first_response", first_responses), ("resolution", resolutions)):
        by_day = report[name]["by_day"]
        assert list(by_day) == [monday, tuesday], name
        for day, values in measured.items():
            assert by_day[day] == {
                "count": len(values),
                "median_seconds": percentile(values, 0.5),
                "p90_seconds": percentile(values, 0.9),
            }, (name, day)
        assert report[name]["count"] == sum(len(values) for values in measured.values()) > 0
    assert report["first_response"]["by_day"][monday]["count"] == 2
    assert report["resolution"]["by_day"][tuesday]["count"] == 1
    # And the agents' work of those days only (Sam's Wednesday resolution is not in it)
    assert report["agents"]["sam@example.com"] == {"replies": 2, "resolutions": 1}


def test_a_day_without_tickets_is_in_the_span_with_nothing_measured(desk: Desk) -> None:
    desk.clock_now = MONDAY
    desk.deliver(build_mail())

    report = build_report(desk.store, MONDAY + timedelta(days=2), date(2026, 11, 17), "Europe/Berlin")

    assert report["volume"]["by_day_category"] == {"2026-11-17": {}, "2026-11-18": {}}
    assert report["volume"]["total"] == 0
    assert report["first_response"]["by_day"]["2026-11-17"] == {
        "count": 0,
        "median_seconds": None,
        "p90_seconds": None,
    }
    # The backlog is the desk's now, whatever the span: Monday's ticket waits
    assert sum(report["backlog"].values()) == 1


def test_admins_choose_the_span_over_http_and_a_span_that_is_not_one_is_a_400(
    desk: Desk, client: Client, admin_token: str
) -> None:
    # Given a ticket today (24 November on the desk's clock, which the API runs on)
    runtime.use_clock(desk.now)
    desk.deliver(build_mail())

    def metrics(query: str) -> tuple[int, dict[str, Any]]:
        answer = client.http.get(f"/metrics?{query}", headers=auth(admin_token))
        return answer.status_code, body_of(answer)

    # A span ending today, and one ending yesterday without today's ticket
    status, today = metrics("since=2026-11-20&until=2026-11-24")
    assert status == 200
    assert (today["since"], today["until"], today["volume"]["total"]) == ("2026-11-20", "2026-11-24", 1)
    ((category, count),) = today["volume"]["by_day_category"]["2026-11-24"].items()
    assert count == 1 and today["volume"]["by_category"] == {category: 1}
    status, before = metrics("since=3d&until=2026-11-23")
    assert status == 200
    assert (before["since"], before["until"], before["volume"]["total"]) == ("2026-11-21", "2026-11-23", 0)
    assert list(before["volume"]["by_day"]) == ["2026-11-21", "2026-11-22", "2026-11-23"]
    # Spans that are not one, refused in words
    for query, said in [
        ("until=2026-11-25", "until: 2026-11-25 is after today (2026-11-24)"),
        ("since=2026-11-20&until=2026-11-19", "since: 2026-11-20 is after until (2026-11-19)"),
        ("since=2025-11-01&until=2026-11-24", "a report covers at most 366 days"),
        ("until=", "until: a date such as"),
        ("until=yesterday", "until: a date such as"),
        ("until=2026-11-31", "until: a date such as"),
    ]:
        status, refused = metrics(query)
        assert status == 400, query
        assert said in refused["message"], (query, refused)


@pytest.mark.parametrize("as_json", [True, False])
def test_postdesk_report_prints_the_same_figures(desk: Desk, as_json: bool) -> None:
    desk.clock_now = MONDAY
    desk.deliver(build_mail())
    out = io.StringIO()

    code = run_report(
        ["--since", "30d", *(["--json"] if as_json else [])],
        desk.settings,
        out,
        lambda: MONDAY + timedelta(hours=1),
    )

    assert code == 0
    if as_json:
        assert json.loads(out.getvalue())["volume"]["total"] == 1
    else:
        assert "Tickets: 1" in out.getvalue() and "SLA attainment:" in out.getvalue()
    assert run_report(["--since", "nonsense"], desk.settings, io.StringIO(), lambda: MONDAY) == 1


def test_postdesk_report_takes_the_last_day_too(desk: Desk) -> None:
    desk.clock_now = MONDAY
    desk.deliver(build_mail())
    out, refused = io.StringIO(), io.StringIO()
    later = MONDAY + timedelta(days=3)

    done = run_report(["--since", "2d", "--until", "2026-11-17", "--json"], desk.settings, out, lambda: later)
    failed = run_report(["--until", "2026-11-30"], desk.settings, refused, lambda: later)

    assert done == 0
    report = json.loads(out.getvalue())
    assert (report["since"], report["until"], report["volume"]["by_day"]) == (
        "2026-11-16",
        "2026-11-17",
        {"2026-11-16": 1, "2026-11-17": 0},
    )
    assert failed == 1
    assert refused.getvalue() == "postdesk report: until: 2026-11-30 is after today (2026-11-19)\n"
