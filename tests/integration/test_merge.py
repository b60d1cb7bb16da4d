"""Merging tickets through the API: the source's thread, notes, events and Cc join the target in
time order; the source is closed, read-only and points there; later mail to the source lands on the
target; nobody is mailed; asking again changes nothing; search finds the words on the target only."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _ticket(client: Client, token: str, ref: str) -> dict[str, Any]:
    answer = client.http.get(f"/tickets/{ref}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    document: dict[str, Any] = body_of(answer)
    return document


def _merge(client: Client, token: str, ref: str, **body: Any) -> Any:
    return client.http.post(f"/tickets/{ref}/merge", headers=auth(token), body=json.dumps(body))


def test_a_ticket_merged_joins_the_other_and_later_mail_follows_it(
    desk: Desk, client: Client, token: str
) -> None:
    first = desk.deliver(build_mail(subject="Boots too small", body="The boots of order 881 are too small."))
    (first_ack,) = desk.sent()
    second = desk.deliver(
        build_mail(
            subject="Exchange?",
            body="Can I exchange them for size 44?",
            sender="Jane Doe <jane.doe@customer.example>",
            cc="Max Doe <max@customer.example>",
        )
    )
    note = client.http.post(
        f"/tickets/{second.ref}/notes", headers=auth(token), body=json.dumps({"body": "Size 44 in stock."})
    )
    assert note.status_code == 201
    sent_before = len(desk.sent())
    version = _ticket(client, token, second.ref)["ticket"]["version"]

    answer = _merge(client, token, second.ref, into=first.ref.lower(), version=version)

    assert answer.status_code == 200, answer.body
    merged = body_of(answer)
    assert merged["merged"]["merged_into"] == first.ref and merged["merged"]["status"] == "closed"
    assert "max@customer.example" in merged["ticket"]["cc"]
    assert len(desk.sent()) == sent_before  # the customer is not mailed
    target = _ticket(client, token, first.ref)
    said = [m["visible_reply"] for m in target["thread"] if m["kind"] in ("customer", "note")]
    assert said == [
        "The boots of order 881 are too small.",
        "Can I exchange them for size 44?",
        "Size 44 in stock.",
    ]  # in time order
    kinds = [e["kind"] for e in target["events"]]
    assert "merged_in" in kinds and kinds.count("ticket_created") == 2  # both histories, in one
    source = _ticket(client, token, second.ref)
    assert source["ticket"]["merged_into"] == first.ref
    assert next(e for e in source["events"] if e["kind"] == "merged")["detail"]["into"] == first.ref

    # Read-only: no edit, note or reply on the merged ticket, each with a clear answer
    for method, path, body in (
        ("patch", f"/tickets/{second.ref}", {"version": source["ticket"]["version"], "priority": "high"}),
        ("post", f"/tickets/{second.ref}/notes", {"body": "x"}),
        ("post", f"/tickets/{second.ref}/replies", {"body": "x"}),
    ):
        refused = getattr(client.http, method)(
            path, headers={**auth(token), "Idempotency-Key": "k1"}, body=json.dumps(body)
        )
        assert refused.status_code == 409 and f"merged into {first.ref}" in body_of(refused)["message"]

    # Asking again: nothing more is copied or written
    again = _merge(client, token, second.ref, into=first.ref, version=version)
    assert again.status_code == 200 and body_of(again)["copied"] == 0
    assert len(_ticket(client, token, first.ref)["thread"]) == len(target["thread"])

    # The customer answers the source's acknowledgement: it lands on the target, no new ticket
    (second_ack,) = [m for m in desk.sent() if second.ref in str(m.message["Subject"])]
    reply = desk.deliver(
        build_mail(
            subject=f"Re: {second_ack.message['Subject']}",
            body="Size 44 please.",
            in_reply_to=str(second_ack.message["Message-ID"]),
            to=str(second_ack.message["Reply-To"]),
        ),
        recipients=[str(second_ack.message["Reply-To"].addresses[0].addr_spec)],
    )
    assert reply.ref == first.ref and not reply.new_ticket
    assert first_ack is not None

    # Search finds the merged words on the target only
    desk.index_changes()
    found = client.http.get("/tickets?q=exchange&status=new,open,pending,closed", headers=auth(token))
    assert [t["ref"] for t in body_of(found)["tickets"]] == [first.ref]


def test_bad_merges_get_a_clear_answer(desk: Desk, client: Client, token: str) -> None:
    one = desk.deliver(build_mail(subject="One")).ref
    two = desk.deliver(build_mail(subject="Two", sender="bob@customer.example")).ref
    three = desk.deliver(build_mail(subject="Three", sender="eve@customer.example")).ref

    assert _merge(client, token, one, into=one, version=1).status_code == 400
    assert _merge(client, token, one, into="ZZZZ-ZZZZ", version=1).status_code == 404
    assert _merge(client, token, one, into="not a ref", version=1).status_code == 400
    assert _merge(client, token, one, into=two).status_code == 428
    stale = _merge(client, token, one, into=two, version=99)
    assert stale.status_code == 409 and "changed by someone else" in body_of(stale)["message"]
    assert _merge(client, token, one, into=two, version=1).status_code == 200
    # Into a merged ticket, or the merged one elsewhere: refused, saying where it went
    into_merged = _merge(client, token, three, into=one, version=1)
    assert into_merged.status_code == 409 and f"merged into {two}" in body_of(into_merged)["message"]
    elsewhere = _merge(client, token, one, into=three, version=2)
    assert elsewhere.status_code == 409 and f"already merged into {two}" in body_of(elsewhere)["message"]


def test_a_later_message_splits_into_a_ticket_of_its_own(desk: Desk, client: Client, token: str) -> None:
    first = desk.deliver(build_mail(subject="Boots too small", body="The boots of order 881 are too small."))
    (ack,) = desk.sent()
    desk.deliver(
        build_mail(
            subject=f"Re: {ack.message['Subject']}",
            body="Also, my invoice 2026-77 shows the wrong address.",
            in_reply_to=str(ack.message["Message-ID"]),
            to=str(ack.message["Reply-To"]),
        ),
        recipients=[str(ack.message["Reply-To"].addresses[0].addr_spec)],
    )
    thread = _ticket(client, token, first.ref)["thread"]
    customer = [m for m in thread if m["kind"] == "customer"]
    sent_before = len(desk.sent())

    answer = client.http.post(
        f"/tickets/{first.ref}/messages/{customer[1]['id']}/split", headers=auth(token), body=""
    )

    assert answer.status_code == 201, answer.body
    created = body_of(answer)["ticket"]
    assert created["ref"] != first.ref and created["status"] == "new"
    # Its own matter for a subject: not "Re: [#<source>] Boots too small"
    assert created["subject"] == "Boots too small"
    assert created["requester"]["email"] == "jane.doe@customer.example"
    assert created["sla"]["first_response_due"] is not None
    new_thread = _ticket(client, token, created["ref"])
    assert [m["visible_reply"] for m in new_thread["thread"]] == [
        "Also, my invoice 2026-77 shows the wrong address."
    ]
    assert [e["detail"] for e in new_thread["events"] if e["kind"] == "split_from"] == [
        {"from": first.ref, "subject": "Boots too small"}
    ]
    source = _ticket(client, token, first.ref)
    assert len(source["thread"]) == len(thread)  # the source keeps the message
    (split,) = [e for e in source["events"] if e["kind"] == "split"]
    assert split["detail"]["into"] == created["ref"]
    assert len(desk.sent()) == sent_before  # nobody is mailed

    again = client.http.post(
        f"/tickets/{first.ref}/messages/{customer[1]['id']}/split", headers=auth(token), body=""
    )
    assert again.status_code == 200 and body_of(again)["ticket"]["ref"] == created["ref"]
    # The first message is the ticket; an acknowledgement is not a customer's message; a made-up id
    for message_id, status in ((customer[0]["id"], 400), (thread[1]["id"], 400), ("bm9wZQ", 404)):
        refused = client.http.post(
            f"/tickets/{first.ref}/messages/{message_id}/split", headers=auth(token), body=""
        )
        assert refused.status_code == status, refused.body
