"""The views agents work from (GET /tickets/views and GET /tickets?view=): their counts, taken with
Select=COUNT over index partitions, and their lists, as tickets arrive, are answered, breach and are
resolved.

The desk's clock is the test's (the shipped policy: Mon-Fri 09:00-17:00 Europe/Berlin, a normal
ticket answered within one business day, "Due soon" 4 business hours). The tickets arrive on Tuesday
24 November 2026 at about 10:32 in Berlin, so their first response is due on Wednesday at 10:3x."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.api import tickets as tickets_api
from postdesk.aws.clients import client as aws_client
from postdesk.tickets.items import TicketUpdate
from postdesk.workflows.sla import fire_timer, timer_request
from tests.api_calls import recording_api_calls
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

ARRIVAL = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
# Wednesday 07:00 in Berlin: the desk opens at 09:00, so 4 business hours reach 13:00.
WEDNESDAY_EARLY = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
# Wednesday 10:45 in Berlin: every first response of Tuesday's tickets is overdue.
WEDNESDAY_LATE = datetime(2026, 11, 25, 9, 45, tzinfo=UTC)


@pytest.fixture(autouse=True)
def desk_clock(desk: Desk) -> Iterator[None]:
    """The API runs on the test's clock."""
    runtime.use_clock(desk.now)
    yield
    runtime.use_clock(None)


def _at(desk: Desk, moment: datetime) -> None:
    desk.clock_now = moment - timedelta(seconds=2)


def _counts(client: Client, token: str) -> dict[str, int]:
    answer = client.http.get("/tickets/views", headers=auth(token))
    assert answer.status_code == 200, answer.body
    return {view["name"]: view["count"] for view in body_of(answer)["views"]}


def _listed(client: Client, token: str, **query: str) -> list[str]:
    answer = client.http.get(f"/tickets?{urlencode(query)}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    return [ticket["ref"] for ticket in body_of(answer)["tickets"]]


def _arrive(desk: Desk, sender: str, subject: str) -> str:
    return desk.deliver(build_mail(sender=sender, subject=subject, body=f"Hello,\n\n{subject}.\n")).ref


def _patch(client: Client, token: str, ref: str, **fields: Any) -> dict[str, Any]:
    version = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    answer = client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, **fields})
    )
    assert answer.status_code == 200, answer.body
    ticket: dict[str, Any] = body_of(answer)["ticket"]
    return ticket


def _fire_timers_until_breached(desk: Desk, ref: str) -> None:
    """The ticket's SLA schedules fire, the warning and then the breach (Scheduler invokes the sla
    function and deletes each)."""
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    for _ in range(3):
        ticket = desk.store.get_ticket(ref)
        assert ticket is not None and ticket.sla is not None
        if ticket.sla.breached:
            return
        (name,) = [
            s["Name"]
            for s in scheduler.list_schedules(GroupName=group)["Schedules"]
            if s["Name"].startswith(f"sla-{ref}-")
        ]
        payload = json.loads(scheduler.get_schedule(Name=name, GroupName=group)["Target"]["Input"])
        with suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(Name=name, GroupName=group)
        request = timer_request(payload)
        assert request is not None
        fire_timer(request, desk.settings, desk.ports)
    raise AssertionError(f"{ref} was not breached by its timers")


def _three_tickets(desk: Desk, client: Client, token: str, admin_token: str) -> tuple[str, str, str]:
    """Sam's ticket, Alex's and one nobody has, all of normal priority, and a spam held apart."""
    _at(desk, ARRIVAL)
    sams = _arrive(desk, "Ann <ann@customer.example>", "Parcel not arrived")
    alexs = _arrive(desk, "Bob <bob@customer.example>", "Wrong size delivered")
    nobodys = _arrive(desk, "Cy <cy@customer.example>", "Colour of the jacket")
    desk.deliver(build_mail(sender="promo@spam.example", subject="Cheap watches"), verdicts={"spam": "FAIL"})
    # One queue with the desk's own targets (triage may have put one in billing, which answers faster).
    _patch(client, token, sams, assignee="sam@example.com", queue="orders")
    _patch(client, admin_token, alexs, assignee="alex@example.com", queue="orders")
    _patch(client, admin_token, nobodys, queue="orders")
    for ref in (sams, alexs, nobodys):
        ticket = desk.store.get_ticket(ref)
        assert ticket is not None and (ticket.priority, ticket.queue) == ("normal", "orders"), ref
    return sams, alexs, nobodys


def test_each_view_counts_its_tickets_and_lists_them_as_they_move(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given three new tickets on Tuesday morning, one of them Sam's, one Alex's, and a held spam
    sams, alexs, nobodys = _three_tickets(desk, client, token, admin_token)

    # Then Sam's views count them: nothing is due within 4 business hours yet
    assert _counts(client, token) == {
        "mine": 1,
        "unassigned": 1,
        "due_soon": 0,
        "breached": 0,
        "follow_up": 0,
        "snoozed": 0,
        "quarantine": 1,
    }
    assert _listed(client, token, view="mine") == [sams]
    assert _listed(client, token, view="unassigned") == [nobodys]
    # And Alex's "Mine" is Alex's
    assert _counts(client, admin_token)["mine"] == 1
    assert _listed(client, admin_token, view="mine") == [alexs]

    # When it is Wednesday 07:00, before the desk opens: the first responses fall due from 10:32
    _at(desk, WEDNESDAY_EARLY)
    # Then all three are due soon, soonest first
    assert _counts(client, token)["due_soon"] == 3
    assert _listed(client, token, view="due_soon") == [sams, alexs, nobodys]

    # When Sam answers his ticket (and waits on the customer): its clocks stop
    reply = client.http.post(
        f"/tickets/{sams}/replies", headers=auth(token), body=json.dumps({"body": "We are on it."})
    )
    assert reply.status_code == 201, reply.body
    # Then it leaves "Due soon", and stays his
    assert _listed(client, token, view="due_soon") == [alexs, nobodys]
    assert _counts(client, token) == {
        "mine": 1,
        "unassigned": 1,
        "due_soon": 2,
        "breached": 0,
        "follow_up": 0,
        "snoozed": 0,
        "quarantine": 1,
    }

    # When the due time passes, before any timer fired
    _at(desk, WEDNESDAY_LATE)
    # Then both unanswered tickets are breached, longest overdue first, and no longer due soon
    counts = _counts(client, token)
    assert (counts["due_soon"], counts["breached"]) == (0, 2)
    assert _listed(client, token, view="breached") == [alexs, nobodys]

    # When the breach timer of the unassigned ticket fires (the escalation raises its priority)
    _fire_timers_until_breached(desk, nobodys)
    escalated = desk.store.get_ticket(nobodys)
    assert escalated is not None and escalated.priority == "high" and escalated.sla is not None
    assert escalated.sla.breached
    # Then it stays in "Breached", now first: a high ticket's first response was due on Tuesday
    assert _listed(client, token, view="breached") == [nobodys, alexs]
    assert _listed(client, token, view="breached", priority="high") == [nobodys]

    # When Alex resolves the unassigned one
    _patch(client, admin_token, nobodys, status="resolved")
    # Then it has left every open view
    assert _counts(client, token) == {
        "mine": 1,
        "unassigned": 0,
        "due_soon": 0,
        "breached": 1,
        "follow_up": 0,
        "snoozed": 0,
        "quarantine": 1,
    }
    assert nobodys not in _listed(client, token, view="breached")
    assert _listed(client, token, view="unassigned") == []


def test_needs_follow_up_counts_resolved_tickets_too(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given a resolved ticket a customer rated badly
    sams, _, _ = _three_tickets(desk, client, token, admin_token)
    _patch(client, token, sams, status="resolved")
    before = desk.store.get_ticket(sams)
    assert before is not None
    desk.store.update_ticket(TicketUpdate(before, {"follow_up": "rated 1 of 5"}), [])

    # Then "Needs follow-up" holds it, though no open view does
    counts = _counts(client, token)
    assert (counts["follow_up"], counts["mine"]) == (1, 0)
    assert _listed(client, token, view="follow_up") == [sams]
    # And the status filter narrows the view
    assert _listed(client, token, view="follow_up", status="open") == []

    # When an agent marks it as followed up
    _patch(client, token, sams, follow_up=False)
    # Then it leaves the view
    assert _counts(client, token)["follow_up"] == 0


def test_views_are_narrowed_by_the_filters_and_paged_with_their_cursor(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given three tickets due soon, one of them in the technical queue
    sams, alexs, nobodys = _three_tickets(desk, client, token, admin_token)
    _patch(client, token, alexs, queue="technical")
    _at(desk, WEDNESDAY_EARLY)

    # Then the view takes the other filters
    assert _listed(client, token, view="due_soon", queue="technical") == [alexs]
    assert _listed(client, token, view="due_soon", assignee="none") == [nobodys]
    assert _listed(client, token, view="due_soon", status="new") == [
        ref for ref in (sams, alexs, nobodys) if (t := desk.store.get_ticket(ref)) and t.status.value == "new"
    ]
    assert _listed(client, token, view="unassigned", sort="priority") == [nobodys]

    # And its pages follow one another, while the clock moves on
    first = body_of(client.http.get("/tickets?view=due_soon&limit=2", headers=auth(token)))
    assert [t["ref"] for t in first["tickets"]] == [sams, alexs] and first["next_cursor"]
    desk.clock_now += timedelta(minutes=1)
    second = client.http.get(
        f"/tickets?{urlencode({'view': 'due_soon', 'limit': 2, 'cursor': first['next_cursor']})}",
        headers=auth(token),
    )
    assert second.status_code == 200, second.body
    assert [t["ref"] for t in body_of(second)["tickets"]] == [nobodys]
    assert body_of(second)["next_cursor"] is None
    # A cursor of another view is refused
    other = client.http.get(
        f"/tickets?{urlencode({'view': 'breached', 'limit': 2, 'cursor': first['next_cursor']})}",
        headers=auth(token),
    )
    assert other.status_code == 400


def test_a_view_is_searched_with_the_words_typed(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given the three tickets in the search index
    sams, _, nobodys = _three_tickets(desk, client, token, admin_token)
    desk.index_changes()

    # Then "Mine" and "Unassigned" search within themselves
    assert _listed(client, token, view="mine", q="parcel") == [sams]
    assert _listed(client, token, view="unassigned", q="parcel") == []
    assert _listed(client, token, view="unassigned", q="jacket") == [nobodys]


def test_the_description_of_due_soon_says_its_window(desk: Desk, client: Client, token: str) -> None:
    # Given Tuesday 10:31 in Berlin
    views = body_of(client.http.get("/tickets/views", headers=auth(token)))["views"]

    assert [view["label"] for view in views] == [
        "Mine",
        "Unassigned",
        "Due soon",
        "Breached",
        "Needs follow-up",
        "Snoozed",
        "Quarantine",
    ]
    due_soon = next(view for view in views if view["name"] == "due_soon")
    assert "within 4 business hours" in due_soon["description"]
    # Then "Due soon" reaches 14:31, the desk being open all along
    assert datetime.fromisoformat(due_soon["due_before"].replace("Z", "+00:00")) == desk.now() + timedelta(
        hours=4
    )
    # And on Friday at 16:00 it reaches into Monday morning, 3 business hours later
    _at(desk, datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    views = body_of(client.http.get("/tickets/views", headers=auth(token)))["views"]
    due_soon = next(view for view in views if view["name"] == "due_soon")
    assert due_soon["due_before"] == "2026-11-30T11:00:00.000Z"


def test_a_count_stops_at_its_cap(
    desk: Desk, client: Client, token: str, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given more unassigned tickets than the cap
    monkeypatch.setattr(tickets_api, "VIEW_COUNT_CAP", 2)
    _at(desk, ARRIVAL)
    for n in range(3):
        _arrive(desk, f"Customer {n} <c{n}@customer.example>", f"Question number {n}")

    # Then the count says "at least" rather than all
    views = {v["name"]: v for v in body_of(client.http.get("/tickets/views", headers=auth(token)))["views"]}
    assert (views["unassigned"]["count"], views["unassigned"]["capped"]) == (2, True)
    assert (views["mine"]["count"], views["mine"]["capped"]) == (0, False)


def test_the_counts_are_queries_that_count_and_never_a_scan(client: Client, token: str) -> None:
    with recording_api_calls() as recorder:
        answer = client.http.get("/tickets/views", headers=auth(token))
    assert answer.status_code == 200

    dynamodb = [call for call in recorder.calls if call.service == "dynamodb"]
    operations = {call.operation for call in dynamodb}
    assert "Scan" not in operations
    queries = [call for call in dynamodb if call.operation == "Query"]
    # Mine and Unassigned: one partition per open status; the others one partition each.
    assert len(queries) == 4 + 4 + 1 + 1 + 1 + 1 + 1
    assert all(call.params.get("Select") == "COUNT" for call in queries)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("view=everything", "view must be one of"),
        ("view=", "view must be one of"),
        ("view=mine&assignee=none", "cannot be combined with assignee"),
        ("view=unassigned&quarantined=true", "cannot be combined with quarantined"),
        ("view=follow_up&follow_up=true", "cannot be combined with follow_up"),
        ("view=quarantine&status=open", "cannot be combined with status"),
        ("view=due_soon&q=parcel", "the search index does not know due times"),
        ("view=breached&created_from=2026-11-01", "the search index does not know due times"),
        ("view=breached&sort=waiting", "ordered by due time"),
        ("sort=due", "sort=due orders the views due_soon and breached only"),
    ],
)
def test_a_view_that_cannot_be_is_a_400_in_words(client: Client, token: str, query: str, words: str) -> None:
    answer = client.http.get(f"/tickets?{query}", headers=auth(token))

    assert answer.status_code == 400
    assert words in body_of(answer)["message"]


def test_the_views_route_takes_no_parameters(client: Client, token: str) -> None:
    answer = client.http.get("/tickets/views?mine=true", headers=auth(token))

    assert answer.status_code == 400 and "unknown parameter" in body_of(answer)["message"]
    assert client.http.get("/tickets/views").status_code == 401
