"""Agents work tickets through the API: lists with filters and cursors, edits through the state
machine with optimistic locking, internal notes, the knowledge base, bad input."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from moto.dynamodb.models import DynamoDBBackend
from pynamodb.connection import Connection

from postdesk.tickets.model import Direction, MessageKind, Status
from postdesk.tickets.store import TicketStore
from postdesk.workflows.knowledge import import_seed
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _list(client: Client, token: str, **query: str) -> Any:
    answer = client.http.get(f"/tickets?{urlencode(query)}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    return body_of(answer)


def _refs(listing: Any) -> list[str]:
    return [ticket["ref"] for ticket in listing["tickets"]]


def _patch(client: Client, token: str, ref: str, **changes: Any) -> Any:
    return client.http.patch(f"/tickets/{ref}", headers=auth(token), body=json.dumps(changes))


def _change(client: Client, token: str, ref: str, **changes: Any) -> Any:
    """Change the ticket over its current version; the change must succeed."""
    answer = _patch(client, token, ref, version=_version(client, token, ref), **changes)
    assert answer.status_code == 200, answer.body
    return body_of(answer)


def _ticket(client: Client, token: str, ref: str) -> Any:
    return body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]


def _version(client: Client, token: str, ref: str) -> int:
    version: int = _ticket(client, token, ref)["version"]
    return version


def _deliver(desk: Desk, subject: str, sender: str = "jane.doe@customer.example", **kwargs: Any) -> str:
    return desk.deliver(build_mail(subject=subject, sender=sender, **kwargs), envelope_sender=sender).ref


@pytest.fixture
def no_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any Scan of any table during the test fails it: lists must be index queries."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a ticket list scanned a table")

    monkeypatch.setattr(Connection, "scan", refuse)


def test_the_default_list_is_open_work_oldest_waiting_first(
    desk: Desk, client: Client, token: str, no_scans: None
) -> None:
    # Given three tickets arriving one after the other, one of them resolved
    first = _deliver(desk, "Where is my parcel?")
    second = _deliver(desk, "Invoice question", sender="li@shop.example")
    third = _deliver(desk, "Password reset", sender="ana@home.example")
    assert (
        _patch(client, token, second, version=_version(client, token, second), status="resolved").status_code
        == 200
    )

    # When the agent lists tickets without filters
    listing = _list(client, token)

    # Then the open ones come, oldest waiting first, and the resolved one does not
    assert _refs(listing) == [first, third]
    assert listing["next_cursor"] is None
    assert _refs(_list(client, token, status="resolved")) == [second]
    # (a status change restarts the wait: the resolved ticket has waited the shortest time)
    assert _refs(_list(client, token, status="resolved,new")) == [first, third, second]


def test_cursor_pagination_walks_every_ticket_once_in_order(
    desk: Desk, client: Client, token: str, no_scans: None
) -> None:
    # Given seven open tickets spread over two statuses
    refs = [_deliver(desk, f"Question number {n}", sender=f"customer{n}@example.net") for n in range(7)]
    for ref in refs[1::3]:
        assert (
            _patch(client, token, ref, version=_version(client, token, ref), status="open").status_code == 200
        )

    # When the agent pages through them three at a time
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        listing = _list(client, token, **query)
        pages.append(_refs(listing))
        cursor = listing["next_cursor"]
        if cursor is None:
            break

    # Then every ticket comes exactly once, in waiting order across both statuses
    seen = [ref for page in pages for ref in page]
    assert sorted(seen) == sorted(refs) and len(seen) == len(refs)
    waiting = [_ticket(client, token, ref)["waiting_since"] for ref in seen]
    assert waiting == sorted(waiting)
    assert [len(page) for page in pages] == [3, 3, 1]


def test_a_forged_or_foreign_cursor_is_refused(desk: Desk, client: Client, token: str) -> None:
    for n in range(3):
        _deliver(desk, f"Question {n}", sender=f"c{n}@example.net")
    cursor = _list(client, token, limit="1")["next_cursor"]
    payload, _, signature = cursor.partition(".")

    forged = client.http.get(f"/tickets?limit=1&cursor={payload}.{'a' * len(signature)}", headers=auth(token))
    reused = client.http.get(f"/tickets?limit=1&status=resolved&cursor={cursor}", headers=auth(token))

    assert forged.status_code == 400 and "cursor" in body_of(forged)["message"]
    assert reused.status_code == 400


def test_filters_by_queue_priority_language_requester_and_assignee(
    desk: Desk, client: Client, token: str, admin_token: str, no_scans: None
) -> None:
    # Given tickets in two languages, of two requesters
    english = _deliver(desk, "My invoice is wrong", sender="li@shop.example")
    german = _deliver(
        desk,
        "Rechnung falsch",
        sender="max@firma.example",
        body="Guten Tag, meine Rechnung ist falsch. Bitte korrigieren Sie den Betrag. Vielen Dank!",
    )
    other = _deliver(desk, "Another question", sender="li@shop.example")
    assert (
        _patch(client, token, other, version=_version(client, token, other), priority="urgent").status_code
        == 200
    )
    assigned = _patch(
        client, token, english, version=_version(client, token, english), assignee="sam@example.com"
    )
    assert assigned.status_code == 200

    german_ticket = _ticket(client, token, german)
    assert german_ticket["language"] == "de"

    # Then each filter narrows the list to exactly its tickets
    assert _refs(_list(client, token, language="de")) == [german]
    assert _refs(_list(client, token, language="DE")) == [german]  # a code in any case
    assert _refs(_list(client, token, requester="LI@shop.example")) == [other, english]
    assert _refs(_list(client, token, priority="urgent")) == [other]
    assert _refs(_list(client, token, assignee="me")) == [english]
    assert _refs(_list(client, admin_token, assignee="sam@example.com")) == [english]
    assert _refs(_list(client, token, assignee="none")) == [german, other]
    queue = german_ticket["queue"]
    in_queue = _refs(_list(client, token, queue=queue))
    assert german in in_queue
    assert all(_ticket(client, token, ref)["queue"] == queue for ref in in_queue)
    # And sorting by priority puts the urgent one first
    assert _refs(_list(client, token, sort="priority"))[0] == other


def test_list_parameters_are_checked(client: Client, token: str) -> None:
    for query, word in [
        ("stat=open", "unknown parameter"),
        ("status=waiting", "status"),
        ("priority=critical", "priority"),
        ("sort=newest", "sort"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("language=german", "language is a two-letter code"),
        ("created_from=2026-12-06&created_to=2026-12-01", "the first day comes first"),
        ("status=new&status=open", "give each parameter once: status came more than once"),
    ]:
        answer = client.http.get(f"/tickets?{query}", headers=auth(token))
        assert answer.status_code == 400, query
        assert word in body_of(answer)["message"], query
    # One ticket takes no list parameters
    one = client.http.get("/tickets/ABCD-EFGH?bogus=1", headers=auth(token))
    assert one.status_code == 400 and "unknown parameter(s): bogus" in body_of(one)["message"]


def test_status_changes_follow_the_state_machine(desk: Desk, client: Client, token: str) -> None:
    ref = _deliver(desk, "Broken login")

    # new -> on-hold is allowed and logged
    answer = _patch(client, token, ref, version=_version(client, token, ref), status="on-hold")
    assert answer.status_code == 200
    assert body_of(answer)["ticket"]["status"] == "on-hold"
    assert answer.headers["ETag"] == f'"{body_of(answer)["ticket"]["version"]}"'

    # on-hold -> closed is not: resolve first
    illegal = _patch(client, token, ref, version=_version(client, token, ref), status="closed")
    assert illegal.status_code == 409
    assert body_of(illegal)["error"] == "IllegalTransition"
    assert "resolve it first" in body_of(illegal)["message"]

    # resolved -> closed is, and closed -> open reopens in a new cycle
    for status in ("resolved", "closed", "open"):
        assert (
            _patch(client, token, ref, version=_version(client, token, ref), status=status).status_code == 200
        )
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.OPEN and ticket.cycle == 2
    kinds = [
        (e.kind, e.detail.get("to"), e.actor) for e in desk.store.events(ref) if e.actor == "sam@example.com"
    ]
    assert kinds == [
        ("status_changed", "on-hold", "sam@example.com"),
        ("status_changed", "resolved", "sam@example.com"),
        # The resolution clock stopped (how long it took, whether in time: the desk's numbers).
        ("resolved", None, "sam@example.com"),
        ("status_changed", "closed", "sam@example.com"),
        ("reopened", "open", "sam@example.com"),
    ]
    # "new" is only ever set by arriving mail
    assert _patch(client, token, ref, version=_version(client, token, ref), status="new").status_code == 409


def test_a_stale_version_is_a_409_and_a_missing_one_a_428(desk: Desk, client: Client, token: str) -> None:
    ref = _deliver(desk, "Refund please")
    seen = _version(client, token, ref)
    assert _patch(client, token, ref, version=seen, priority="high").status_code == 200

    stale = _patch(client, token, ref, version=seen, priority="low")
    missing = _patch(client, token, ref, priority="low")
    by_etag = client.http.patch(
        f"/tickets/{ref}", headers={**auth(token), "If-Match": f'"{seen + 1}"'}, body='{"priority": "low"}'
    )

    assert stale.status_code == 409 and body_of(stale)["error"] == "ConcurrentUpdate"
    assert missing.status_code == 428
    assert by_etag.status_code == 200
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.priority == "low"


def test_two_agents_changing_a_ticket_at_once_never_lose_an_update(
    desk: Desk, client: Client, token: str, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two agents who both read version n of the ticket before either writes
    ref = _deliver(desk, "Cannot pay")
    version = _version(client, token, ref)
    both_read = threading.Barrier(2, timeout=10)
    read_ticket = TicketStore.get_ticket
    first_read = threading.local()

    def read_then_wait(self: TicketStore, wanted: str) -> Any:
        ticket = read_ticket(self, wanted)
        if threading.current_thread() is not threading.main_thread() and not hasattr(first_read, "done"):
            first_read.done = True
            both_read.wait()
        return ticket

    monkeypatch.setattr(TicketStore, "get_ticket", read_then_wait)
    # DynamoDB runs a transaction atomically; moto's in-process backend does not lock, so the test
    # gives it the lock the real service has.
    atomic = threading.Lock()
    transact = DynamoDBBackend.transact_write_items

    def transact_atomically(backend: DynamoDBBackend, items: list[dict[str, Any]]) -> None:
        with atomic:
            transact(backend, items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_atomically)
    answers: dict[str, Any] = {}

    def change(name: str, agent_token: str, changes: dict[str, Any]) -> None:
        answers[name] = _patch(client, agent_token, ref, version=version, **changes)

    # When both send their change at the same moment
    agents = [
        threading.Thread(target=change, args=("sam", token, {"priority": "urgent"})),
        threading.Thread(target=change, args=("alex", admin_token, {"priority": "low", "queue": "billing"})),
    ]
    for agent in agents:
        agent.start()
    for agent in agents:
        agent.join()
    monkeypatch.setattr(TicketStore, "get_ticket", read_ticket)

    # Then exactly one wins, the other gets a 409, and the ticket holds the winner's change whole
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 409]
    winner = next(name for name, answer in answers.items() if answer.status_code == 200)
    loser = "alex" if winner == "sam" else "sam"
    assert body_of(answers[loser])["error"] == "ConcurrentUpdate"
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.version == version + 1
    if winner == "sam":
        assert (ticket.priority, ticket.queue != "billing") == ("urgent", True)
    else:
        assert (ticket.priority, ticket.queue) == ("low", "billing")


def test_assigning_needs_an_active_agent(desk: Desk, client: Client, token: str, admin_token: str) -> None:
    ref = _deliver(desk, "Need help")
    unknown = _patch(client, token, ref, version=_version(client, token, ref), assignee="nobody@example.com")
    assert unknown.status_code == 400 and "no active agent" in body_of(unknown)["message"]

    assigned = _patch(client, token, ref, version=_version(client, token, ref), assignee="ALEX@example.com")
    assert body_of(assigned)["ticket"]["assignee"] == "alex@example.com"
    unassigned = _patch(client, token, ref, version=_version(client, token, ref), assignee=None)
    assert body_of(unassigned)["ticket"]["assignee"] is None
    assert [e.kind for e in desk.store.events(ref) if e.kind in ("assigned", "unassigned")] == [
        "assigned",
        "unassigned",
    ]


def test_edit_values_are_checked_and_header_injection_is_refused(
    desk: Desk, client: Client, token: str
) -> None:
    ref = _deliver(desk, "Original subject")
    version = _version(client, token, ref)
    for changes, status in [
        ({"subject": "Hello\r\nBcc: victim@example.org"}, 400),
        ({"subject": "Hello\nthere"}, 400),
        ({"priority": "critical"}, 400),
        ({"category": "astrology"}, 400),
        ({"tags": ["ok", "Not Ok!"]}, 400),
        ({"tags": "vip"}, 400),
        ({"status": "waiting"}, 400),
        ({"colour": "red"}, 400),
    ]:
        answer = _patch(client, token, ref, version=version, **changes)
        assert answer.status_code == status, changes
        assert body_of(answer)["message"], changes
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.subject == "Original subject" and ticket.version == version

    fine = _patch(
        client, token, ref, version=version, subject="Better subject", tags=["vip", "vip", "refund"]
    )
    assert fine.status_code == 200
    assert body_of(fine)["ticket"]["tags"] == ["vip", "refund"]
    assert set(body_of(fine)["changed"]) == {"subject", "tags"}


def test_unknown_tickets_are_404_everywhere(client: Client, token: str) -> None:
    for call in (
        lambda: _patch(client, token, "AAAA-BBBB", version=1, status="open"),
        lambda: client.http.post("/tickets/AAAA-BBBB/notes", headers=auth(token), body='{"body": "x"}'),
        lambda: client.http.get("/tickets/not-a-ref!", headers=auth(token)),
    ):
        answer = call()
        assert answer.status_code == 404
        assert body_of(answer)["error"] == "TicketNotFound"


def test_a_note_is_kept_in_the_thread_and_never_mailed(desk: Desk, client: Client, token: str) -> None:
    ref = _deliver(desk, "Delivery late")
    mails_before = len(desk.sent())

    answer = client.http.post(
        f"/tickets/{ref}/notes",
        headers={**auth(token), "Idempotency-Key": "note-1"},
        body='{"body": "Called the carrier, they will call back."}',
    )
    again = client.http.post(
        f"/tickets/{ref}/notes",
        headers={**auth(token), "Idempotency-Key": "note-1"},
        body='{"body": "Called the carrier, they will call back."}',
    )

    assert answer.status_code == 201
    assert body_of(answer)["message"]["kind"] == "note"
    assert again.status_code == 409
    assert len(desk.sent()) == mails_before
    notes = [m for m in desk.store.thread(ref) if m.kind is MessageKind.NOTE]
    assert len(notes) == 1
    assert notes[0].direction is Direction.INTERNAL and notes[0].from_email == "sam@example.com"
    assert "note_added" in [e.kind for e in desk.store.events(ref)]
    empty = client.http.post(f"/tickets/{ref}/notes", headers=auth(token), body='{"body": "  "}')
    assert empty.status_code == 400


def test_a_customer_reply_takes_an_on_hold_ticket_back_to_open(
    desk: Desk, client: Client, token: str
) -> None:
    result = desk.deliver(build_mail(subject="Supplier issue"))
    ref = result.ref
    assert (
        _patch(client, token, ref, version=_version(client, token, ref), status="on-hold").status_code == 200
    )

    desk.deliver(build_mail(subject=f"Re: [#{ref}] Supplier issue", body="Any news?"))

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.OPEN


def test_me_agents_and_the_knowledge_base(desk: Desk, client: Client, token: str, admin_token: str) -> None:
    me = body_of(client.http.get("/me", headers=auth(token)))
    assert me == {
        "email": "sam@example.com",
        "name": "Sam Lee",
        "role": "agent",
        "signature": {},
        "away": False,
        "away_until": None,
        "queues": [],
        "every_queue": True,
    }
    agents = body_of(client.http.get("/agents", headers=auth(token)))["agents"]
    assert [agent["email"] for agent in agents] == ["alex@example.com", "sam@example.com"]

    # The knowledge base searches what is published: the shipped articles, imported as a new desk does
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
    found = body_of(client.http.get("/kb?q=refund%20my%20money&language=en", headers=auth(token)))["articles"]
    assert found and "refund" in (found[0]["title"] + found[0]["snippet"]).lower()
    assert found == sorted(found, key=lambda article: -article["score"])
    assert client.http.get("/kb", headers=auth(token)).status_code == 400
    assert client.http.get("/kb?q=refund&language=xx", headers=auth(token)).status_code == 400
    assert client.http.get("/kb?q=refund").status_code == 401


def test_saved_replies_through_the_api_from_creation_to_a_sent_reply(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given a saved reply an admin wrote with variables and Markdown
    template = {
        "title": "Refund on its way",
        "body": "Hi {{ customer.first_name }},\n\nYour **refund** for [#{{ ticket.ref }}] is on its way:\n"
        "- 20 EUR\n- to the card of [your order](https://shop.example/orders/1)",
    }
    forbidden = client.http.post("/saved-replies", headers=auth(token), body=json.dumps(template))
    created = client.http.post("/saved-replies", headers=auth(admin_token), body=json.dumps(template))
    assert forbidden.status_code == 403
    assert created.status_code == 201
    saved = body_of(created)["saved_reply"]
    listed = body_of(client.http.get("/saved-replies", headers=auth(token)))["saved_replies"]
    assert [reply["id"] for reply in listed] == [saved["id"]]

    # When an agent answers a ticket with it, leaving the ticket on hold
    ref = desk.deliver(build_mail(sender="Jane Doe <jane.doe@customer.example>")).ref
    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers=auth(token),
        body=json.dumps({"saved_reply_id": saved["id"], "status": "on-hold"}),
    )

    # Then the customer gets it with the variables filled in, the Markdown as HTML, and a text part
    # that reads as plain mail (no Markdown marks, the link's address after its words)
    assert answer.status_code == 201, answer.body
    mail = desk.sent()[-1].message
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert (
        f"Hi Jane,\n\nYour refund for [#{ref}] is on its way:\n\n"
        "- 20 EUR\n- to the card of your order <https://shop.example/orders/1>"
    ) in text.get_content().replace("\r\n", "\n")
    assert "<strong>refund</strong>" in html.get_content()
    assert (
        '<li>to the card of <a href="https://shop.example/orders/1">your order</a></li>' in html.get_content()
    )
    # The thread keeps what the agent sent as it was written
    (reply,) = [m for m in desk.store.thread(ref) if m.kind.value == "agent_reply"]
    assert reply.text is not None and "Your **refund**" in reply.text
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.ON_HOLD
    assert [e.detail.get("saved_reply_id") for e in desk.store.events(ref) if e.kind == "agent_replied"] == [
        saved["id"]
    ]

    # And admins can change and delete it; unknown ids are a 404
    renamed = {**template, "title": "Refund sent"}
    updated = client.http.put(
        f"/saved-replies/{saved['id']}", headers=auth(admin_token), body=json.dumps(renamed)
    )
    assert updated.status_code == 200 and body_of(updated)["saved_reply"]["title"] == "Refund sent"
    assert client.http.delete(f"/saved-replies/{saved['id']}", headers=auth(admin_token)).status_code == 204
    assert client.http.delete(f"/saved-replies/{saved['id']}", headers=auth(admin_token)).status_code == 404
    broken = client.http.post(
        "/saved-replies",
        headers=auth(admin_token),
        body=json.dumps({"title": "x", "body": "Hi {{ customer.age }}"}),
    )
    assert broken.status_code == 400 and "customer.age" in body_of(broken)["message"]


def test_a_ticket_moves_only_to_one_of_the_desks_queues(desk: Desk, client: Client, token: str) -> None:
    ref = _deliver(desk, "Where is my parcel?")
    unknown = _patch(client, token, ref, version=_version(client, token, ref), queue="nope")
    assert unknown.status_code == 400
    assert "queue 'nope' is not one of the desk's queues" in body_of(unknown)["message"]
    moved = _patch(client, token, ref, version=_version(client, token, ref), queue="orders")
    assert moved.status_code == 200 and body_of(moved)["ticket"]["queue"] == "orders"
