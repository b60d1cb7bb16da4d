"""The Snoozed view (GET /tickets?view=snoozed): the snoozed tickets only, apart from the others on
hold, the soonest to wake first and those waiting for the customer's answer last, counted by
GET /tickets/views and paged with its cursor."""

from __future__ import annotations

from chalice.test import Client

from postdesk.tickets.listing import View
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_views import ARRIVAL, _arrive, _at, _counts, _listed, _patch, desk_clock

__all__ = ["desk_clock"]


def test_snoozed_tickets_have_their_own_view_in_the_order_they_wake(
    desk: Desk, client: Client, token: str
) -> None:
    # Given four tickets on hold: three snoozed (Friday, until an answer, Thursday), one simply held
    _at(desk, ARRIVAL)
    friday = _arrive(desk, "Ann <ann@customer.example>", "Parcel not arrived")
    answer = _arrive(desk, "Bob <bob@customer.example>", "Wrong size delivered")
    thursday = _arrive(desk, "Cy <cy@customer.example>", "Colour of the jacket")
    held = _arrive(desk, "Di <di@customer.example>", "Invoice address")
    _patch(client, token, friday, snooze_until="2026-11-27T09:00:00+01:00")
    _patch(client, token, answer, snooze_until_answer=True)
    _patch(client, token, thursday, snooze_until="2026-11-26T09:00:00+01:00")
    _patch(client, token, held, status="on-hold")

    # Then the view holds the snoozed ones, the soonest to wake first, and counts them
    assert _listed(client, token, view="snoozed") == [thursday, friday, answer]
    assert _counts(client, token)["snoozed"] == 3
    # And each row says until when
    rows = body_of(client.http.get("/tickets?view=snoozed", headers=auth(token)))["tickets"]
    assert [row["snooze"] for row in rows] == [
        {"until": "2026-11-26T08:00:00.000Z"},
        {"until": "2026-11-27T08:00:00.000Z"},
        {"until": None},
    ]
    # And the view is paged in that order
    first = body_of(client.http.get("/tickets?view=snoozed&limit=2", headers=auth(token)))
    assert [row["ref"] for row in first["tickets"]] == [thursday, friday]
    rest = body_of(
        client.http.get(f"/tickets?view=snoozed&limit=2&cursor={first['next_cursor']}", headers=auth(token))
    )
    assert [row["ref"] for row in rest["tickets"]] == [answer] and rest["next_cursor"] is None
    # And the views route names it
    views = body_of(client.http.get("/tickets/views", headers=auth(token)))["views"]
    assert {view["name"]: view["label"] for view in views}[View.SNOOZED.value] == "Snoozed"

    # When a snooze ends early, the ticket leaves the view
    _patch(client, token, thursday, unsnooze=True)
    assert _listed(client, token, view="snoozed") == [friday, answer]


def test_the_snoozed_view_refuses_what_it_sets_itself(client: Client, token: str) -> None:
    for query, words in (
        ("view=snoozed&status=open", "cannot be combined with status"),
        ("view=snoozed&sort=priority", "cannot be combined with sort"),
        ("view=snoozed&q=parcel", "cannot be combined with q"),
    ):
        answer = client.http.get(f"/tickets?{query}", headers=auth(token))
        assert answer.status_code == 400, query
        assert words in body_of(answer)["message"], answer.body
