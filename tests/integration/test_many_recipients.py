"""Never a 500 for many recipients: SES takes 50 recipients in one message, so a ticket keeps at most
49 Cc addresses (and says how many it left out), a reply goes to the requester and at most 49 Cc, and
a reply that would go to more is refused with a 422 that names the limit and the count, again on a
retry with the same Idempotency-Key, with nothing sent and nothing claimed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from postdesk.tickets.dynamo import TicketItem
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _cc(count: int, domain: str = "partner.example") -> str:
    return ", ".join(f"person{n}@{domain}" for n in range(count))


def _reply(client: Client, token: str, ref: str, key: str = "reply-1", **fields: Any) -> Any:
    return client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": key},
        body=json.dumps({"body": "Hello all, it is on its way.", **fields}),
    )


@pytest.mark.parametrize("copied", [24, 49, 50, 51, 5000])
def test_a_ticket_with_many_cc_can_always_be_answered(
    desk: Desk, client: Client, token: str, copied: int
) -> None:
    ref = desk.deliver(build_mail(cc=_cc(copied))).ref
    kept = min(copied, 49)

    answer = _reply(client, token, ref)

    assert answer.status_code == 201, body_of(answer)
    assert len(desk.sent()[-1].recipients) == kept + 1
    ticket = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))
    assert len(ticket["ticket"]["cc"]) == kept
    trimmed = [e for e in ticket["events"] if e["kind"] == "cc_trimmed"]
    if copied == 5000:
        # The parser reads a header up to 64 KB (the rest is cut, a recorded defect): 2,380 addresses.
        assert trimmed[0]["detail"] == {"kept": "49", "left_out": str(2380 - 49), "limit": "50"}
    elif copied > 49:
        assert trimmed[0]["detail"] == {"kept": "49", "left_out": str(copied - 49), "limit": "50"}
    else:
        assert trimmed == []


def test_a_ticket_holding_more_cc_than_a_mail_takes_is_refused_clearly_then_answered_with_cc(
    desk: Desk, client: Client, token: str
) -> None:
    # A ticket stored before tickets kept at most 49 Cc addresses holds 60.
    ref = desk.deliver(build_mail()).ref
    TicketItem(ref=ref).update(actions=[TicketItem.cc.set([f"person{n}@partner.example" for n in range(60)])])
    sent_before = len(desk.sent())

    refused = _reply(client, token, ref)
    again = _reply(client, token, ref)

    for answer in (refused, again):
        assert answer.status_code == 422
        error = body_of(answer)
        assert error["error"] == "TooManyRecipients"
        assert "at most 50 recipients" in error["message"] and "would go to 61" in error["message"]
        assert "`cc`" in error["message"]
    assert len(desk.sent()) == sent_before

    # The same request naming the Cc addresses that stay goes out, and the ticket keeps them.
    stay = [f"person{n}@partner.example" for n in range(3)]
    answer = _reply(client, token, ref, cc=[address.upper() for address in stay])
    assert answer.status_code == 201, body_of(answer)
    assert desk.sent()[-1].recipients == {"jane.doe@customer.example", *stay}
    ticket = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]
    assert ticket["cc"] == stay


@pytest.mark.parametrize(("named", "status"), [(49, 201), (50, 422), (5000, 422)])
def test_the_cc_a_reply_names_is_held_to_the_limit(
    desk: Desk, client: Client, token: str, named: int, status: int
) -> None:
    ref = desk.deliver(build_mail()).ref

    answer = _reply(client, token, ref, cc=[f"person{n}@partner.example" for n in range(named)])

    assert answer.status_code == status, body_of(answer)
    if status == 422:
        assert f"would go to {named + 1}" in body_of(answer)["message"]


def test_a_cc_that_is_not_an_address_is_a_bad_request(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    for cc in (["not an address"], "bob@partner.example", [7]):
        answer = _reply(client, token, ref, cc=cc)
        assert answer.status_code == 400, (cc, body_of(answer))
