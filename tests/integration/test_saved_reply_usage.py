"""Saved replies in use: the preview of a body for a ticket (``POST /saved-replies/preview``), the
ticket remembering the saved replies its replies came from, and each saved reply's figures (uses,
and the resolutions, reopenings and survey answers of the tickets it was used on) in the report."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from postdesk.replies.saved import SavedReply, SavedReplyStore
from postdesk.tickets.model import Status
from postdesk.workflows.ratings import AnswerSource, record_rating
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.report import build_report, format_report
from postdesk.workflows.survey import SurveyRequest, send_survey
from postdesk.workflows.ticket_work import TicketEdit, edit_ticket
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
ADMIN = "alex@example.com"
PARCEL = (
    "Hi {{ customer.first_name }},\n\n"
    "your parcel for **{{ ticket.subject }}** is on its way.\n\n"
    "{{ agent.name }}"
)


@pytest.fixture
def saved(desk: Desk) -> SavedReplyStore:
    return SavedReplyStore(desk.settings.tables.saved_replies, desk.settings.region)


def _preview(client: Client, token: str, document: dict[str, Any]) -> tuple[int, Any]:
    answer = client.http.post("/saved-replies/preview", headers=auth(token), body=json.dumps(document))
    return answer.status_code, body_of(answer)


def _deliver(desk: Desk, subject: str, sender: str) -> str:
    address = sender.split("<")[1].rstrip(">")
    return desk.deliver(build_mail(subject=subject, sender=sender), envelope_sender=address).ref


def _reply(
    desk: Desk, ref: str, request_id: str, saved_reply: SavedReply | None, status: Status = Status.PENDING
) -> None:
    send_reply(
        AgentReply(
            ref=ref,
            agent_email="sam@example.com",
            agent_name="Sam Lee",
            body=saved_reply.body if saved_reply else "Thanks, we are on it.",
            request_id=request_id,
            status_after=status,
            saved_reply_id=saved_reply.id if saved_reply else None,
        ),
        desk.settings,
        desk.ports,
    )


def _set_status(desk: Desk, ref: str, request_id: str, status: Status) -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    edit_ticket(
        TicketEdit(
            ref=ref,
            expected_version=ticket.version,
            actor="ira@example.com",
            request_id=request_id,
            status=status,
        ),
        desk.settings,
        desk.ports,
        lambda address: True,
    )


def _rate(desk: Desk, ref: str, rating: int) -> None:
    send_survey(SurveyRequest(ref, 1), desk.settings, desk.ports)
    record_rating(ref, 1, rating, "", AnswerSource.PAGE, desk.settings, desk.ports)


def _customer_writes_back(desk: Desk, ref: str, subject: str, sender: str) -> None:
    address = sender.split("<")[1].rstrip(">")
    desk.deliver(
        build_mail(subject=f"Re: [#{ref}] {subject}", body="It is broken again.", sender=sender),
        envelope_sender=address,
    )


def _row(report: dict[str, Any], reply_id: str) -> dict[str, Any]:
    (row,) = [row for row in report["saved_replies"] if row["id"] == reply_id]
    return row


# The preview


def test_a_preview_fills_in_the_tickets_variables_as_the_sent_reply_does(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a customer's ticket
    ref = _deliver(desk, "Order *4711* missing", "Anna Lee <anna@shop.example>")

    # When an agent (not an admin) previews a body for it, the reference typed in lower case
    status, preview = _preview(client, token, {"body": PARCEL, "ref": ref.lower().replace("-", "")})

    # Then the variables are the ticket's and the agent's, the customer's words never read as Markdown
    assert status == 200
    assert preview["ref"] == ref
    assert preview["variables"]["customer.first_name"] == "Anna"
    assert preview["variables"]["ticket.subject"] == "Order *4711* missing"
    assert preview["variables"]["agent.name"] == "Sam Lee"
    assert preview["variables"]["support.name"] == desk.settings.support_name
    assert preview["html"].startswith("<p>Hi Anna,</p>")
    assert "<strong>Order *4711* missing</strong>" in preview["html"]
    assert preview["text"] == "Hi Anna,\n\nyour parcel for Order *4711* missing is on its way.\n\nSam Lee"

    # And the reply sent with that body to that ticket carries exactly those parts
    _reply(desk, ref, "r1", SavedReply("x", "t", PARCEL, "", MONDAY, MONDAY, ADMIN))
    mail = desk.sent()[-1].message
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n").startswith(preview["text"])
    assert preview["html"].strip() in html.get_content().replace("\r\n", "\n")


def test_a_preview_without_a_ticket_uses_the_sample_ticket_and_the_agent(
    desk: Desk, client: Client, admin_token: str
) -> None:
    status, preview = _preview(client, admin_token, {"body": PARCEL, "ref": None})

    assert status == 200
    assert preview["ref"] is None
    assert preview["variables"]["customer.name"] == "Jane Doe"
    assert preview["variables"]["ticket.ref"] == "K7Q2-M9XD"
    assert preview["variables"]["agent.first_name"] == "Alex"
    assert preview["text"].startswith("Hi Jane,")
    assert "<strong>My order has not arrived</strong>" in preview["html"]


def test_raw_html_in_a_body_is_shown_as_text_in_the_preview(desk: Desk, client: Client, token: str) -> None:
    status, preview = _preview(
        client, token, {"body": '<img src=x onerror="alert(1)"> [x](javascript:alert(1))'}
    )

    assert status == 200
    assert "<img" not in preview["html"] and 'href="javascript' not in preview["html"]
    assert "&lt;img" in preview["html"]


@pytest.mark.parametrize(
    ("document", "status", "message"),
    [
        ({"body": "Hi {{ customer.age }}"}, 400, "line 1: unknown variable customer.age"),
        ({"body": "Hi\n{% for x in y %}{% endfor %}"}, 400, "line 2: a {% for %} loop is not allowed"),
        ({"body": "Hi {{ customer.first_name "}, 400, "line 1:"),
        ({"body": ""}, 400, "body: the text to preview is empty"),
        ({"body": "x" * 20_001}, 400, "body: over 20,000 characters"),
        ({}, 400, "missing field(s): body"),
        ({"body": 5}, 400, "body must be a string"),
        ({"body": "Hi", "subject": "x"}, 400, "unknown field(s): subject"),
        ({"body": "Hi", "ref": 7}, 400, "ref must be a string"),
        ({"body": "Hi", "ref": "not a ref"}, 400, "ref: 'not a ref' is not a ticket reference"),
        ({"body": "Hi", "ref": "AAAA-BBBB"}, 404, "AAAA-BBBB"),
    ],
)
def test_a_preview_that_cannot_be_made_says_why(
    desk: Desk, client: Client, token: str, document: dict[str, Any], status: int, message: str
) -> None:
    answer_status, answer = _preview(client, token, document)

    assert answer_status == status
    assert message in answer["message"]


def test_a_preview_needs_a_token(desk: Desk, client: Client) -> None:
    answer = client.http.post(
        "/saved-replies/preview", headers={"Content-Type": "application/json"}, body='{"body": "Hi"}'
    )
    assert answer.status_code == 401


# The figures


def test_each_saved_reply_counts_its_uses_and_what_became_of_the_tickets_it_was_used_on(
    desk: Desk, saved: SavedReplyStore
) -> None:
    # Given two saved replies
    parcel = saved.create("Parcel on its way", PARCEL, "en", ADMIN, MONDAY)
    refund = saved.create("Refund done", "Your refund is on its way.", "", ADMIN, MONDAY)
    unused = saved.create("Address change", "We changed the address.", "en", ADMIN, MONDAY)
    desk.clock_now = MONDAY
    first = _deliver(desk, "Where is my parcel?", "Jane <jane@shop.example>")
    second = _deliver(desk, "Refund please", "Li <li@shop.example>")
    third = _deliver(desk, "Parcel again", "Kai <kai@shop.example>")
    fourth = _deliver(desk, "Sign-in", "Mo <mo@shop.example>")

    # When the parcel reply is used twice on the first ticket, which is resolved, rated 5 and reopened
    desk.clock_now = MONDAY + timedelta(hours=1)
    _reply(desk, first, "p1", parcel)
    _reply(desk, first, "p2", parcel)
    _set_status(desk, first, "e1", Status.RESOLVED)
    _rate(desk, first, 5)
    _customer_writes_back(desk, first, "Where is my parcel?", "Jane <jane@shop.example>")
    # and once on the third, resolving it with the reply itself, which is rated 3
    _reply(desk, third, "p3", parcel, Status.RESOLVED)
    _rate(desk, third, 3)
    # and the refund reply resolves the second ticket, rated 2 and then changed to 4
    _reply(desk, second, "f1", refund, Status.RESOLVED)
    _rate(desk, second, 2)
    record_rating(second, 1, 4, "", AnswerSource.PAGE, desk.settings, desk.ports)
    # and the fourth, resolved without a saved reply, is reopened by a reply taken from the refund one
    _reply(desk, fourth, "n1", None, Status.RESOLVED)
    _reply(desk, fourth, "f2", refund, Status.OPEN)

    # Then each ticket remembers the saved replies used on it
    tickets = desk.store.get_tickets([first, second, third, fourth])
    assert tickets[first].saved_replies == (parcel.id,)
    assert tickets[second].saved_replies == (refund.id,)
    assert tickets[fourth].saved_replies == (refund.id,)

    # And the report has each saved reply's figures, most used first, the unused one too
    report = build_report(
        desk.store, MONDAY + timedelta(hours=3), date(2026, 11, 16), "UTC", saved_replies=saved.list()
    )
    assert [row["title"] for row in report["saved_replies"]] == [
        "Parcel on its way",
        "Refund done",
        "Address change",
    ]
    assert _row(report, parcel.id) == {
        "id": parcel.id,
        "title": "Parcel on its way",
        "language": "en",
        "articles": [],
        "uses": 3,
        "resolved": 2,
        "reopened": 1,
        "reopen_rate": 0.5,
        "answers": 2,
        "satisfied": 1,
        "satisfied_share": 0.5,
    }
    # (an agent's reply that reopens a ticket is no reopening after the saved reply it came from)
    assert _row(report, refund.id) | {"id": "", "title": ""} == {
        "id": "",
        "title": "",
        "language": "",
        "articles": [],
        "uses": 2,
        "resolved": 1,
        "reopened": 0,
        "reopen_rate": 0.0,
        "answers": 1,
        "satisfied": 1,
        "satisfied_share": 1.0,
    }
    assert _row(report, unused.id)["uses"] == 0 and _row(report, unused.id)["reopen_rate"] is None
    assert (report["reopen"]["resolved"], report["reopen"]["reopened"]) == (4, 2)

    # When the refund reply is deleted, its figures stay, without a title
    saved.delete(refund.id)
    report = build_report(
        desk.store, MONDAY + timedelta(hours=3), date(2026, 11, 16), "UTC", saved_replies=saved.list()
    )
    gone = _row(report, refund.id)
    assert (gone["title"], gone["language"], gone["uses"]) == (None, None, 2)
    assert "(deleted) " + refund.id + ": 2 uses" in format_report(report)


def test_a_reply_naming_a_saved_reply_that_is_gone_is_sent_and_counts_for_none(
    desk: Desk, client: Client, token: str, admin_token: str, saved: SavedReplyStore
) -> None:
    # Given a ticket, and a saved reply an agent inserted that an admin then deleted
    ref = _deliver(desk, "Where is my parcel?", "Jane <jane@shop.example>")
    parcel = saved.create("Parcel on its way", PARCEL, "en", ADMIN, MONDAY)
    saved.delete(parcel.id)

    # When the agent sends the reply with its id
    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers=auth(token),
        body=json.dumps({"body": "Hi, it is on its way.", "saved_reply_id": parcel.id}),
    )

    # Then it goes out, its answer warns that the saved reply was not found, and neither the ticket
    # nor the figures name the saved reply
    assert answer.status_code == 201
    (warning,) = body_of(answer)["warnings"]
    assert warning["warning"] == "SavedReplyNotFound"
    assert parcel.id in warning["message"] and "counts for no saved reply" in warning["message"]
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.saved_replies == ()
    (replied,) = [event for event in desk.store.events(ref) if event.kind == "agent_replied"]
    assert "saved_reply_id" not in replied.detail
    metrics = body_of(client.http.get("/metrics", headers=auth(admin_token)))
    assert metrics["saved_replies"] == []


def test_the_metrics_route_lists_the_saved_replies_figures(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given a saved reply an admin wrote, used by an agent through the API
    created = body_of(
        client.http.post(
            "/saved-replies",
            headers=auth(admin_token),
            body=json.dumps({"title": "Parcel on its way", "body": PARCEL, "language": "en"}),
        )
    )["saved_reply"]
    ref = _deliver(desk, "Where is my parcel?", "Jane <jane@shop.example>")
    sent = client.http.post(
        f"/tickets/{ref}/replies",
        headers=auth(token),
        body=json.dumps({"saved_reply_id": created["id"], "status": "resolved"}),
    )
    assert sent.status_code == 201
    assert body_of(sent)["warnings"] == []

    # When an admin reads the report
    report = body_of(client.http.get("/metrics?since=7d", headers=auth(admin_token)))

    # Then the saved reply is there with its use and the resolution it made
    assert report["saved_replies"] == [
        {
            "id": created["id"],
            "title": "Parcel on its way",
            "language": "en",
            "articles": [],
            "uses": 1,
            "resolved": 1,
            "reopened": 0,
            "reopen_rate": 0.0,
            "answers": 0,
            "satisfied": 0,
            "satisfied_share": None,
        }
    ]


def test_the_preview_shows_the_one_sign_off_the_reply_carries(desk: Desk, client: Client, token: str) -> None:
    # Given a German customer's ticket
    ref = desk.deliver(
        build_mail(
            subject="Paket fehlt",
            body="Hallo, mein Paket ist nicht angekommen. Können Sie bitte nachsehen? Danke.",
            sender="Anna Berg <anna@shop.example>",
        ),
        envelope_sender="anna@shop.example",
    ).ref
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.language == "de"

    # When an agent previews a body that does not sign, and one that signs already
    _, bare = _preview(client, token, {"body": "Ihr Paket ist unterwegs.", "ref": ref})
    _, signed = _preview(
        client, token, {"body": "Ihr Paket ist unterwegs.\n\nViele Grüße\nSam Lee", "ref": ref}
    )

    # Then the bare body gets the German closing and the agent's name once; the signed one nothing more
    assert bare["sign_off"]["text"].startswith("Viele Grüße")
    assert bare["sign_off"]["text"].count("Sam Lee") == 1
    assert "Sam Lee" in bare["sign_off"]["html"]
    assert "Sam Lee" not in signed["sign_off"]["text"]

    # And the reply sent with each body is the preview's text, then its sign-off, word for word
    for number, (body, preview) in enumerate(
        [("Ihr Paket ist unterwegs.", bare), ("Ihr Paket ist unterwegs.\n\nViele Grüße\nSam Lee", signed)]
    ):
        _reply(desk, ref, f"de-{number}", SavedReply("x", "t", body, "de", MONDAY, MONDAY, ADMIN))
        plain = desk.sent()[-1].message.get_body(preferencelist=("plain",))
        assert plain is not None
        sent = plain.get_content().replace("\r\n", "\n")
        expected = "\n\n".join(part for part in (preview["text"], preview["sign_off"]["text"]) if part)
        assert sent.startswith(expected + "\n")
        assert sent.count("Sam Lee") == 1


def test_a_preview_without_a_ticket_signs_off_in_the_language_asked_for(
    desk: Desk, client: Client, token: str
) -> None:
    _, german = _preview(client, token, {"body": "Ihr Paket ist unterwegs.", "language": "de"})
    _, unknown = _preview(client, token, {"body": "Your parcel is on its way.", "language": "it"})
    status, wrong = _preview(client, token, {"body": "Hi", "language": "deutsch"})

    assert german["sign_off"]["text"].startswith("Viele Grüße")
    # A language the desk has no sign-off in falls back to the desk's own, as a reply's does
    assert unknown["sign_off"]["text"].startswith("Best regards,")
    assert status == 400 and "two-letter language code" in wrong["message"]
