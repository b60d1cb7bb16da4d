"""The agent API through the Chalice app: authentication, reading a ticket, replying."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from postdesk.agents.store import AgentStore
from tests.integration.conftest import Desk
from tests.integration.conftest import auth as _auth
from tests.integration.conftest import body_of as _json
from tests.mails import build_mail


def test_no_token_is_401_and_a_revoked_token_stops_at_once(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    assert client.http.get(f"/tickets/{ref}").status_code == 401
    assert client.http.get(f"/tickets/{ref}", headers=_auth("pdk_nonsense")).status_code == 401
    assert client.http.get(f"/tickets/{ref}", headers=_auth(token)).status_code == 200
    AgentStore(desk.settings.tables.agents, desk.settings.region).revoke("sam@example.com")
    answer = client.http.get(f"/tickets/{ref}", headers=_auth(token))
    assert answer.status_code == 401
    assert _json(answer)["message"].startswith("Sign in")


def test_get_ticket_shows_thread_events_and_the_requesters_other_tickets(
    desk: Desk, client: Client, token: str
) -> None:
    # Given two tickets of one customer, the second with a quoted reply and an attachment
    desk.deliver(build_mail(subject="Earlier question"))
    ref = desk.deliver(
        build_mail(body="New text.\n\nOn Mon, 23 Nov 2026 at 10:00, X <x@y.example> wrote:\n> old")
    ).ref

    # When an agent opens the second
    answer = client.http.get(f"/tickets/{ref}?full=true", headers=_auth(token))

    # Then the thread shows the visible reply and, on demand, the whole text; the log and history too
    assert answer.status_code == 200
    body = _json(answer)
    assert body["ticket"]["ref"] == ref and body["ticket"]["status"] == "new"
    first = body["thread"][0]
    assert first["visible_reply"].strip() == "New text."
    assert "> old" in first["text"]
    assert [e["kind"] for e in body["events"]][:2] == ["ticket_created", "mail_screened"]
    assert [t["subject"] for t in body["requester_tickets"]] == ["Earlier question"]


def test_unknown_ticket_is_a_404_with_a_message(client: Client, token: str) -> None:
    answer = client.http.get("/tickets/AAAA-BBBB", headers=_auth(token))
    assert answer.status_code == 404
    assert _json(answer) == {"error": "TicketNotFound", "message": "No ticket has the reference AAAA-BBBB."}


def test_reply_through_the_api_goes_out_and_sets_the_status(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**_auth(token), "Idempotency-Key": "abc"},
        body=json.dumps({"body": "We are on it.", "status": "open"}),
    )
    assert answer.status_code == 201
    assert desk.sent()[-1].message["Subject"] == f"Re: [#{ref}] My order has not arrived"
    assert desk.store.get_ticket(ref).status.value == "open"  # type: ignore[union-attr]
    again = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**_auth(token), "Idempotency-Key": "abc"},
        body=json.dumps({"body": "We are on it.", "status": "open"}),
    )
    assert again.status_code == 409
    assert len(desk.sent()) == 2


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("not json", 400, "BadRequest"),
        (json.dumps({"body": "x", "bcc": "a@b.example"}), 400, "BadRequest"),
        (json.dumps({"status": "open"}), 400, "BadRequest"),
        (json.dumps({"body": "   "}), 400, "EmptyReply"),
        (json.dumps({"body": "x", "status": "closed"}), 400, "BadRequest"),
        (json.dumps({"body": "x" * 300_000}), 413, "PayloadTooLarge"),
    ],
)
def test_bad_replies_get_a_clear_error(
    desk: Desk, client: Client, token: str, body: str, status: int, error: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    answer = client.http.post(f"/tickets/{ref}/replies", headers=_auth(token), body=body)
    assert answer.status_code == status
    assert _json(answer)["error"] == error
    assert len(desk.sent()) == 1


def test_a_subject_set_through_the_api_goes_out_as_typed(desk: Desk, client: Client, token: str) -> None:
    typed = "=?utf-8?q?Hi=0D=0ABcc:_e@a.example?="
    ref = desk.deliver(build_mail()).ref
    version = _json(client.http.get(f"/tickets/{ref}", headers=_auth(token)))["ticket"]["version"]
    patched = client.http.patch(
        f"/tickets/{ref}", headers=_auth(token), body=json.dumps({"version": version, "subject": typed})
    )
    assert patched.status_code == 200, _json(patched)

    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**_auth(token), "Idempotency-Key": "typed-subject"},
        body=json.dumps({"body": "Hello"}),
    )

    assert answer.status_code == 201, _json(answer)
    sent = desk.sent()[-1]
    assert sent.message["Subject"] == f"Re: [#{ref}] {typed}"
    assert sent.message["Bcc"] is None
    assert sent.recipients == {"jane.doe@customer.example"}


def test_the_desks_queues_are_listed_for_choosing(client: Client, token: str) -> None:
    answer = client.http.get("/queues", headers=_auth(token))

    assert answer.status_code == 200
    queues = _json(answer)["queues"]
    names = [queue["name"] for queue in queues]
    assert names[0] == "support" and queues[0]["default"] is True
    assert {"billing", "orders", "technical", "triage"} <= set(names)
    assert [queue["name"] for queue in queues if queue["triage"]] == ["triage"]
    assert client.http.get("/queues").status_code == 401


def test_the_categories_a_ticket_can_have_are_listed_for_choosing(client: Client, token: str) -> None:
    # When an agent asks which categories there are
    answer = client.http.get("/categories", headers=_auth(token))

    # Then they get triage's taxonomy, each one a category an edit accepts
    assert answer.status_code == 200
    names = [category["name"] for category in _json(answer)["categories"]]
    assert names == ["billing", "account", "technical", "orders", "feedback", "general"]
    assert client.http.get("/categories").status_code == 401
    refused = client.http.get("/categories?lang=de", headers=_auth(token))
    assert refused.status_code == 400 and "lang" in _json(refused)["message"]
