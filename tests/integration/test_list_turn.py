"""Whose turn it is, as each row of a list says (``waiting_on``): ours while the customer's word is
the last, theirs after our reply, nobody's once resolved."""

from __future__ import annotations

import json

from chalice.test import Client

from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_views import ARRIVAL, _at, _patch, desk_clock
from tests.mails import build_mail

__all__ = ["desk_clock"]


def _turn(client: Client, token: str, ref: str, query: str = "") -> object:
    every = "status=new,open,pending,on-hold,resolved,closed"
    rows = body_of(client.http.get(f"/tickets?{every}{query}", headers=auth(token)))["tickets"]
    (row,) = [row for row in rows if row["ref"] == ref]
    return row["waiting_on"]


def test_each_row_says_whether_the_customer_or_we_have_the_last_word(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a new ticket: the customer wrote, nobody answered (the acknowledgement is no answer)
    _at(desk, ARRIVAL)
    ref = desk.deliver(build_mail(subject="Parcel not arrived", message_id="<first@customer.example>")).ref
    assert _turn(client, token, ref) == "us"

    # When an agent replies, leaving it open: the customer's turn
    before = len(desk.sent())
    replied = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": "turn-reply-1"},
        body=json.dumps({"body": "Hello,\n\nit left today.", "status": "open"}),
    )
    assert replied.status_code == 201, replied.body
    assert _turn(client, token, ref) == "customer"

    # When the customer answers our reply: ours again
    (reply,) = desk.sent()[before:]
    desk.deliver(
        build_mail(
            subject=f"Re: {reply.message['Subject']}",
            body="It has still not come.",
            in_reply_to=str(reply.message["Message-ID"]),
            references=str(reply.message["Message-ID"]),
        )
    )
    assert _turn(client, token, ref) == "us"

    # When it is resolved: nobody's turn
    _patch(client, token, ref, status="resolved")
    assert _turn(client, token, ref) is None
