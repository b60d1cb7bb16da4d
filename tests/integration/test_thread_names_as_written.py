"""A customer whose name or subject holds Markdown marks (``*Bob* _the_ [builder](http://x)``) is
greeted by a reply's variables as written: the mail escapes the values, and the thread, which renders
the stored text again (GET /tickets/{ref} ``body_html``), shows the same HTML the mail carried, never
emphasis or a link the customer did not see."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from postdesk import runtime
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


@pytest.mark.parametrize(
    ("sender", "subject", "shown"),
    [
        (
            '"*Bob* _the_ [builder](http://x)" <bob@customer.example>',
            "Can't log in #2",
            "Hello *Bob* _the_ [builder](http://x),",
        ),
        ('"Anna **Maier**" <anna@customer.example>', "Re: `code` & <b>", "Hello Anna **Maier**,"),
    ],
)
def test_the_thread_shows_a_name_as_the_customer_read_it(
    desk: Desk, client: Client, token: str, sender: str, subject: str, shown: str
) -> None:
    # Given a ticket from a customer whose name holds Markdown marks
    runtime.use_clock(desk.now)
    ref = desk.deliver(build_mail(sender=sender, subject=subject)).ref

    # When an agent greets them by a variable and names the subject
    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": f"names-{ref}"},
        body=json.dumps({"body": "Hello {{ customer.name }},\n\nabout *{{ ticket.subject }}*: **done**."}),
    )
    assert answer.status_code == 201

    # Then the mail's HTML part shows the name as written
    part = desk.sent()[-1].message.get_body(preferencelist=("html",))
    assert part is not None
    mail_html = str(part.get_content()).replace("\r\n", "\n")
    escaped_shown = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped_shown in mail_html and "<em>Bob</em>" not in mail_html

    # and the thread shows exactly what the mail showed: no emphasis, no link made of the name
    thread = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["thread"]
    reply = next(m for m in thread if m["kind"] == "agent_reply")
    html = reply["body_html"]
    assert html.strip() in mail_html
    assert f"<p>{escaped_shown}</p>" in html
    assert "<strong>done</strong>" in html  # the agent's own Markdown is still rendered
    assert '<a href="http://x"' not in html and "<strong>Maier</strong>" not in html
