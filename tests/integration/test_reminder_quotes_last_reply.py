"""The pending reminder quotes what the agent last asked, as the customer's mail showed it, so the
customer knows what answer is awaited without digging out an older mail."""

from __future__ import annotations

from datetime import timedelta

from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.thread_mail import last_reply_lines
from tests.integration.conftest import Desk
from tests.integration.test_lifecycle import ANSWERED, ARRIVAL, _fire, _only_payload
from tests.mails import build_mail

QUESTION = "Hello {{ customer.name }},\n\nwhich **order number** is it?\n\n- the one of May\n- or of June"


def _plain(desk: Desk, marker: str) -> str:
    for mail in desk.sent():
        text = str(mail.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        if marker in text:
            return text.replace("\r\n", "\n")
    raise AssertionError(f"no mail with {marker!r}")


def test_the_reminder_quotes_the_agents_last_question(desk: Desk) -> None:
    # Given a ticket an agent answered with a question and set pending
    desk.clock_now = ARRIVAL
    ref = desk.deliver(build_mail(sender="Jane *Doe* <jane.doe@customer.example>", subject="Refund")).ref
    desk.clock_now = ANSWERED - timedelta(seconds=2)
    reply = AgentReply(
        ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body=QUESTION, request_id="q1"
    )
    send_reply(reply, desk.settings, desk.ports)

    # When the reminder goes out
    assert _fire(desk, _only_payload(desk, ref)) == "reminded"

    # Then it quotes the question as the reply's text part showed it (no Markdown marks, the name as written)
    text = _plain(desk, "We are still waiting for your answer")
    assert (
        "Our last message:\n"
        "  > Hello Jane *Doe*,\n"
        "  > \n"
        "  > which order number is it?\n"
        "  > \n"
        "  > - the one of May\n"
        "  > - or of June\n"
    ) in text
    # and the reminder itself is never quoted by a later automatic mail
    assert last_reply_lines(desk.store.thread(ref))[2] == "which order number is it?"


def test_without_an_agents_reply_there_is_nothing_to_quote(desk: Desk) -> None:
    desk.clock_now = ARRIVAL
    ref = desk.deliver(build_mail(subject="Refund")).ref
    assert last_reply_lines(desk.store.thread(ref)) == []
