"""A reply or a note written on an older state of the conversation is not sent silently: with the
``seen`` marker of the ticket the agent read, the API answers 409 with what changed (the customer's
mail, a colleague's reply or note), and nothing is sent; ``force`` or the marker of the 409 sends it.
Changes that say nothing to the writer (a field edit, an SLA timer, their own messages) never stop
it. And who else has a ticket open, through the presence routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


@pytest.fixture
def colleague(desk: Desk) -> str:
    """A second agent's token (Ira Novak)."""
    _, token = AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        "ira@example.com", "Ira Novak", Role.AGENT, desk.clock_now
    )
    return token


def _read(client: Client, token: str, ref: str) -> Any:
    answer = client.http.get(f"/tickets/{ref}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    return body_of(answer)


def _post(client: Client, token: str, ref: str, what: str, key: str | None = None, **body: Any) -> Any:
    headers = {**auth(token), **({"Idempotency-Key": key} if key else {})}
    return client.http.post(f"/tickets/{ref}/{what}", headers=headers, body=json.dumps(body))


def _customer_writes_again(desk: Desk, ref: str, text: str) -> None:
    desk.deliver(build_mail(subject=f"Re: [#{ref}] My order has not arrived", body=text))


def test_a_reply_crossing_a_colleagues_reply_is_not_sent_until_the_agent_says_so(
    desk: Desk, client: Client, token: str, colleague: str
) -> None:
    # Given Sam opened the ticket, and Ira replied while Sam was writing
    ref = desk.deliver(build_mail()).ref
    seen = _read(client, token, ref)["seen"]
    assert _post(client, colleague, ref, "replies", body="It left today.").status_code == 201
    mails = len(desk.sent())

    # When Sam sends his reply over what he saw
    crossed = _post(client, token, ref, "replies", key="sam-1", body="I will check.", seen=seen)

    # Then nothing is sent, and the answer names Ira's reply in words and in parts
    assert crossed.status_code == 409, crossed.body
    answer = body_of(crossed)
    assert answer["error"] == "ConversationChanged"
    assert "Ira Novak replied" in answer["message"] and "Nothing was sent" in answer["message"]
    ira = [m for m in _read(client, token, ref)["thread"] if m["kind"] == "agent_reply"]
    assert answer["changes"] == [
        {
            "kind": "agent_reply",
            "at": ira[0]["at"],
            "by": {"email": "ira@example.com", "name": "Ira Novak"},
            "message": ira[0]["id"],
        }
    ]
    assert answer["ticket"]["ref"] == ref
    assert answer["seen"] == _read(client, token, ref)["seen"]
    assert len(desk.sent()) == mails
    assert [m["kind"] for m in _read(client, token, ref)["thread"]].count("agent_reply") == 1

    # When he sends anyway (the same request, now with "force")
    forced = _post(client, token, ref, "replies", key="sam-1", body="I will check.", seen=seen, force=True)

    # Then it goes, once: the customer has both replies
    assert forced.status_code == 201, forced.body
    assert len(desk.sent()) == mails + 1
    again = _post(client, token, ref, "replies", key="sam-1", body="I will check.", seen=seen, force=True)
    assert again.status_code == 409 and body_of(again)["error"] == "DuplicateRequest"
    assert len(desk.sent()) == mails + 1
    thread = _read(client, token, ref)["thread"]
    assert [m["from"]["name"] for m in thread if m["kind"] == "agent_reply"] == ["Ira Novak", "Sam Lee"]


def test_a_customer_mail_arriving_while_the_agent_writes_is_named(
    desk: Desk, client: Client, token: str
) -> None:
    # Given Sam opened the ticket, then the customer wrote again
    ref = desk.deliver(build_mail()).ref
    seen = _read(client, token, ref)["seen"]
    _customer_writes_again(desk, ref, "Never mind, it just arrived!")
    mails = len(desk.sent())

    # When Sam replies over what he saw
    crossed = _post(client, token, ref, "replies", body="I am sorry, I will send another.", seen=seen)

    # Then the answer names the customer's mail, and nothing is sent
    assert crossed.status_code == 409, crossed.body
    answer = body_of(crossed)
    (change,) = answer["changes"]
    assert change["kind"] == "customer_message"
    assert change["by"]["email"] == "jane.doe@customer.example"
    assert "wrote" in answer["message"]
    latest = _read(client, token, ref)["thread"][-1]
    assert change["message"] == latest["id"] and "just arrived" in latest["visible_reply"]
    assert len(desk.sent()) == mails

    # When he read it (the marker of the 409 is the thread he is shown now) and sends again
    sent = _post(client, token, ref, "replies", body="Glad it arrived!", seen=answer["seen"])

    # Then it goes
    assert sent.status_code == 201, sent.body
    assert len(desk.sent()) == mails + 1


def test_a_note_and_a_reply_crossing_each_other(
    desk: Desk, client: Client, token: str, colleague: str
) -> None:
    # Given both agents opened the ticket
    ref = desk.deliver(build_mail()).ref
    seen_by_sam = _read(client, token, ref)["seen"]
    seen_by_ira = _read(client, colleague, ref)["seen"]

    # When Ira leaves a note, and Sam replies over what he saw
    noted = _post(client, colleague, ref, "notes", body="Refund already approved.", seen=seen_by_ira)
    assert noted.status_code == 201, noted.body
    crossed = _post(client, token, ref, "replies", body="We will look into it.", seen=seen_by_sam)

    # Then Sam's reply waits, naming Ira's note
    assert crossed.status_code == 409, crossed.body
    assert body_of(crossed)["changes"][0]["kind"] == "note"
    assert "Ira Novak added an internal note" in body_of(crossed)["message"]

    # When Sam replies after reading it, and Ira adds a second note over what she saw before
    assert (
        _post(
            client, token, ref, "replies", body="Refund on its way.", seen=body_of(crossed)["seen"]
        ).status_code
        == 201
    )
    late_note = _post(
        client, colleague, ref, "notes", body="Call them?", seen=_read(client, colleague, ref)["seen"]
    )
    assert late_note.status_code == 201
    stale_note = _post(client, colleague, ref, "notes", body="Second thought.", seen=seen_by_ira)

    # Then that note is not added: Sam's reply is news to Ira (her own note is not)
    assert stale_note.status_code == 409, stale_note.body
    stale = body_of(stale_note)
    assert [c["kind"] for c in stale["changes"]] == ["agent_reply"]
    assert "The note was not added" in stale["message"]
    notes = [m for m in _read(client, token, ref)["thread"] if m["kind"] == "note"]
    assert [n["visible_reply"] for n in notes] == ["Refund already approved.", "Call them?"]


def test_a_colleagues_forward_and_the_third_partys_answer_are_news_to_a_reply(
    desk: Desk, client: Client, token: str, colleague: str
) -> None:
    # Given Sam opened the ticket, and Ira forwarded it to the supplier
    ref = desk.deliver(build_mail()).ref
    seen = _read(client, token, ref)["seen"]
    forwarded = _post(client, colleague, ref, "forwards", to=["orders@supplier.example"], note="Where is it?")
    assert forwarded.status_code == 201, forwarded.body

    # When Sam replies over what he saw
    crossed = _post(client, token, ref, "replies", body="I will check.", seen=seen)

    # Then the reply waits, naming Ira's forward
    assert crossed.status_code == 409, crossed.body
    assert [c["kind"] for c in body_of(crossed)["changes"]] == ["forward"]
    assert "Ira Novak forwarded the ticket" in body_of(crossed)["message"]

    # When the supplier answers the forward while Sam reads again and writes
    seen = body_of(crossed)["seen"]
    (forward_mail,) = [m.message for m in desk.sent() if "orders@supplier.example" in m.recipients]
    reply_to = str(forward_mail["Reply-To"])
    desk.deliver(
        build_mail(
            sender="Supplier Orders <orders@supplier.example>",
            to=reply_to,
            subject=f"Re: {forward_mail['Subject']}",
            body="It left our warehouse today.",
            in_reply_to=forward_mail["Message-ID"],
        ),
        envelope_sender="orders@supplier.example",
        recipients=[reply_to],
    )
    late = _post(client, token, ref, "replies", body="I will check with the supplier.", seen=seen)

    # Then the answer stops it too: it may change what Sam tells the customer
    assert late.status_code == 409, late.body
    assert [c["kind"] for c in body_of(late)["changes"]] == ["third_party"]
    assert "Supplier Orders answered a forward" in body_of(late)["message"]


def test_what_says_nothing_to_the_writer_never_stops_a_reply(
    desk: Desk, client: Client, token: str, colleague: str
) -> None:
    # Given Sam opened the ticket; since then a colleague changed its priority and Sam himself left
    # a note (in another tab)
    ref = desk.deliver(build_mail()).ref
    document = _read(client, token, ref)
    changed = client.http.patch(
        f"/tickets/{ref}",
        headers=auth(colleague),
        body=json.dumps({"version": document["ticket"]["version"], "priority": "high"}),
    )
    assert changed.status_code == 200, changed.body
    assert _post(client, token, ref, "notes", body="Checking with the warehouse.").status_code == 201

    # When Sam replies over what he saw
    sent = _post(client, token, ref, "replies", body="On its way.", seen=document["seen"])

    # Then it goes: neither is a message he has not read
    assert sent.status_code == 201, sent.body


def test_without_a_marker_a_reply_is_sent_as_integrations_always_did(
    desk: Desk, client: Client, token: str, colleague: str
) -> None:
    # Given a colleague replied since the integration last read the ticket
    ref = desk.deliver(build_mail()).ref
    assert _post(client, colleague, ref, "replies", body="It left today.").status_code == 201

    # When the integration replies and adds a note naming no marker
    reply = _post(client, token, ref, "replies", body="Tracking number: 123.")
    note = _post(client, token, ref, "notes", body="Sent the tracking number.")

    # Then both are taken
    assert (reply.status_code, note.status_code) == (201, 201)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"seen": None}, "seen must be"),
        ({"seen": ""}, "seen must be"),
        ({"seen": 7}, "seen must be"),
        ({"seen": "s1.abc"}, "seen must be"),
        ({"seen": "s2.AAAAAAAA"}, "seen must be"),
        ({"force": "yes"}, "force must be"),
        ({"force": None}, "force must be"),
    ],
)
def test_a_marker_or_force_that_is_not_one_is_a_400(
    desk: Desk, client: Client, token: str, fields: dict[str, Any], words: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    for what in ("replies", "notes"):
        answer = _post(client, token, ref, what, body="Hello", **fields)
        assert answer.status_code == 400, answer.body
        assert words in body_of(answer)["message"]
    assert len(desk.sent()) == 1  # the acknowledgement only


# -- presence ---------------------------------------------------------------------------------------


def _presence(client: Client, token: str, ref: str, **body: Any) -> Any:
    return client.http.put(f"/tickets/{ref}/presence", headers=auth(token), body=json.dumps(body))


def test_agents_see_who_else_has_the_ticket_open_and_who_is_writing(
    desk: Desk, client: Client, token: str, colleague: str
) -> None:
    now = [datetime(2026, 11, 24, 10, 0, tzinfo=UTC)]
    runtime.use_clock(lambda: now[0])
    ref = desk.deliver(build_mail()).ref

    # Given Sam opened the ticket: nobody else is on it
    first = _presence(client, token, ref, state="viewing")
    assert first.status_code == 200, first.body
    assert body_of(first)["others"] == []
    assert body_of(first)["lifetime_seconds"] == 60

    # When Ira opens it and starts writing a reply
    ira = body_of(_presence(client, colleague, ref, state="writing", box="reply"))

    # Then each sees the other, never themselves
    assert [(o["agent"]["name"], o["state"], o["box"]) for o in ira["others"]] == [
        ("Sam Lee", "viewing", None)
    ]
    seen_by_sam = body_of(client.http.get(f"/tickets/{ref}/presence", headers=auth(token)))["others"]
    assert [(o["agent"], o["state"], o["box"]) for o in seen_by_sam] == [
        ({"email": "ira@example.com", "name": "Ira Novak"}, "writing", "reply")
    ]

    # When a minute passes and only Sam's console said it again
    now[0] += timedelta(seconds=45)
    _presence(client, token, ref, state="viewing")
    now[0] += timedelta(seconds=20)

    # Then Ira is gone for Sam (her entry ran out, whatever TTL has done), Sam is still there for her
    assert body_of(client.http.get(f"/tickets/{ref}/presence", headers=auth(token)))["others"] == []
    assert [
        o["agent"]["name"] for o in body_of(_presence(client, colleague, ref, state="viewing"))["others"]
    ] == ["Sam Lee"]

    # When Sam closes the ticket
    left = client.http.delete(f"/tickets/{ref}/presence", headers=auth(token))

    # Then Ira sees nobody
    assert left.status_code == 204
    assert body_of(client.http.get(f"/tickets/{ref}/presence", headers=auth(colleague)))["others"] == []
    assert client.http.delete(f"/tickets/{ref}/presence", headers=auth(token)).status_code == 204


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"state": "typing"}, 400, "state must be"),
        ({"state": None}, 400, "state must be"),
        ({}, 400, "missing"),
        ({"state": "viewing", "box": "reply"}, 400, "only with the state writing"),
        ({"state": "writing", "box": "mail"}, 400, "box must be"),
        ({"state": "writing", "box": None}, 400, "box must be"),
        ({"state": "viewing", "who": "me"}, 400, "unknown field"),
    ],
)
def test_a_presence_that_cannot_be_is_a_400(
    desk: Desk, client: Client, token: str, body: dict[str, Any], status: int, words: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    answer = _presence(client, token, ref, **body)
    assert answer.status_code == status, answer.body
    assert words in body_of(answer)["message"]


def test_presence_on_a_ticket_that_does_not_exist_is_a_404(client: Client, token: str) -> None:
    assert _presence(client, token, "K7Q2-M9XD", state="viewing").status_code == 404
    assert client.http.get("/tickets/K7Q2-M9XD/presence", headers=auth(token)).status_code == 404
    assert client.http.delete("/tickets/K7Q2-M9XD/presence", headers=auth(token)).status_code == 404
