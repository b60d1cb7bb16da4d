"""What an agent wrote shows in the thread as its mail showed it: GET /tickets/{ref} gives a reply's,
a new ticket's first mail's and a forward's note's ``body_html``, rendered from the stored Markdown by
the one renderer the mail's HTML part comes from (replies/markdown.py), raw HTML escaped. Messages
recorded before the field existed show too; the customer's mail, notes and the desk's automatic mail
have none."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from chalice.test import Client

from postdesk import runtime
from postdesk.replies.markdown import markdown_to_html
from postdesk.tickets.model import Direction, MessageKind
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

MARKDOWN_REPLY = (
    "Hello {{ customer.first_name }},\n\n"
    "you are right, the invoice was wrong. **Attached** is a credit note.\n\n"
    "- it is booked today\n"
    "- you see it on your next statement\n\n"
    "<script>alert(1)</script> [a trap](javascript:alert(1)) and [the guide](https://help.example/guide)"
)


def _thread(client: Client, token: str, ref: str) -> list[dict[str, Any]]:
    answer = client.http.get(f"/tickets/{ref}", headers=auth(token))
    assert answer.status_code == 200
    thread: list[dict[str, Any]] = body_of(answer)["thread"]
    return thread


def _mail_html(desk: Desk) -> str:
    part = desk.sent()[-1].message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_a_markdown_reply_shows_as_the_customer_read_it(desk: Desk, client: Client, token: str) -> None:
    # Given a customer's ticket
    runtime.use_clock(desk.now)
    ref = desk.deliver(build_mail(subject="Invoice 2026-117 shows the wrong amount")).ref

    # When an agent replies in Markdown, with a variable, raw HTML and a javascript: link
    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": "markdown-1"},
        body=json.dumps({"body": MARKDOWN_REPLY, "status": "pending"}),
    )
    assert answer.status_code == 201

    # Then the thread keeps the Markdown as typed (variables filled in) and gives the HTML beside it
    thread = _thread(client, token, ref)
    reply = next(m for m in thread if m["kind"] == "agent_reply")
    assert "**Attached**" in reply["visible_reply"] and "{{" not in reply["visible_reply"]
    html = reply["body_html"]
    assert "<strong>Attached</strong>" in html
    assert "<ul>\n<li>it is booked today</li>\n<li>you see it on your next statement</li>\n</ul>" in html
    assert '<a href="https://help.example/guide">the guide</a>' in html
    # raw HTML is text, and a javascript: link stays the text that was typed
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    # and it is the HTML the customer's mail carried
    assert html.strip() in _mail_html(desk)
    # while the customer's mail and the desk's acknowledgement have none
    assert [m["body_html"] for m in thread if m["kind"] in ("customer", "acknowledgement")] == [None, None]


def test_a_forwards_note_shows_rendered_and_notes_stay_text(desk: Desk, client: Client, token: str) -> None:
    runtime.use_clock(desk.now)
    ref = desk.deliver(build_mail(subject="Where is order 4711")).ref
    note = client.http.post(
        f"/tickets/{ref}/notes", headers=auth(token), body=json.dumps({"body": "Asked **the warehouse**."})
    )
    assert note.status_code == 201
    forward = client.http.post(
        f"/tickets/{ref}/forwards",
        headers={**auth(token), "Idempotency-Key": "forward-1"},
        body=json.dumps({"to": ["orders@supplier.example"], "note": "Could you check order **4711**?"}),
    )
    assert forward.status_code == 201
    # The forward's answer carries the field too
    assert "<strong>4711</strong>" in body_of(forward)["message"]["body_html"]

    thread = _thread(client, token, ref)
    by_kind = {m["kind"]: m for m in thread}
    assert by_kind["forward"]["body_html"] == "<p>Could you check order <strong>4711</strong>?</p>\n"
    assert by_kind["forward"]["body_html"].strip() in _mail_html(desk)
    # A note is never mailed: it is shown as typed
    assert by_kind["note"]["body_html"] is None


def test_messages_recorded_before_and_the_desks_own_mail(desk: Desk, client: Client, token: str) -> None:
    # Given a reply recorded before the thread gave HTML (the stored Markdown is all there is), and a
    # reminder the desk sent by itself, of the same kind as a reply but plain text
    runtime.use_clock(desk.now)
    ref = desk.deliver(build_mail(subject="An older reply")).ref
    customer = desk.store.thread(ref)[0]
    older = replace(
        customer,
        key="M#2026-11-24T09:40:00Z#reply-older-request",
        direction=Direction.OUTBOUND,
        kind=MessageKind.AGENT_REPLY,
        text="It is **booked**:\n\n1. today\n2. tomorrow",
        visible_text=None,
        raw_key=None,
        text_key=None,
        has_html=False,
    )
    reminder = replace(older, key="M#2026-11-24T09:50:00Z#reminder-20261124T094000", text="Wait, *you*.")
    desk.store.append_message(older, [])
    desk.store.append_message(reminder, [])

    # When an agent opens the ticket
    by_key = {m["key"]: m for m in _thread(client, token, ref)}

    # Then the older reply shows rendered, and the reminder as it was sent
    assert by_key[older.key]["body_html"] == markdown_to_html(older.text or "")
    assert "<strong>booked</strong>" in by_key[older.key]["body_html"]
    assert "<ol>" in by_key[older.key]["body_html"]
    assert by_key[reminder.key]["body_html"] is None
