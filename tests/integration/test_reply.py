"""An agent's reply goes out in the ticket's thread, and the customer's answer to it lands on the
same ticket: inbound mail, acknowledgement, agent reply, customer reply, one ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from postdesk.errors import DuplicateRequest, TicketNotFound
from postdesk.tickets.model import MessageKind, Status
from postdesk.tickets.threading import MatchedBy
from postdesk.workflows.reply import AgentReply, EmptyReply, send_reply
from tests.integration.conftest import Desk
from tests.mails import build_mail


def _reply(
    ref: str, body: str = "Hello Jane,\n\nyour parcel left our warehouse today.", **options: object
) -> AgentReply:
    values: dict[str, object] = {
        "ref": ref,
        "agent_email": "sam@example.com",
        "agent_name": "Sam Lee",
        "body": body,
        "request_id": "req-1",
    }
    values.update(options)
    return AgentReply(**values)  # type: ignore[arg-type]


def test_inbound_ack_agent_reply_and_customer_answer_are_one_ticket(desk: Desk) -> None:
    # Given a ticket that was acknowledged
    first = desk.deliver(build_mail(message_id="<first@customer.example>"))

    # When an agent replies
    sent = send_reply(_reply(first.ref), desk.settings, desk.ports)

    # Then a human mail went to the customer, threaded, from the support address with the agent's name
    mail = desk.sent()[-1]
    message = mail.message
    assert mail.recipients == {"jane.doe@customer.example"}
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Sam Lee (Example Support)", "support@example.com")
    assert message["Subject"] == f"Re: [#{first.ref}] My order has not arrived"
    assert message["In-Reply-To"] == "<first@customer.example>"
    assert "<first@customer.example>" in message["References"]
    assert message["Auto-Submitted"] is None and message["X-Auto-Response-Suppress"] is None
    assert message.get_body(("plain",)).get_content().startswith("Hello Jane,")  # type: ignore[union-attr]
    assert "<p>Hello Jane,</p>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]

    # And the ticket records the first human response and waits on the customer
    ticket = desk.store.get_ticket(first.ref)
    assert ticket is not None and ticket.status is Status.PENDING
    assert ticket.first_response_at is not None
    assert sent.kind is MessageKind.AGENT_REPLY
    assert "agent_replied" in [e.kind for e in desk.store.events(first.ref)]

    # When the customer answers the agent's mail from a client that keeps only In-Reply-To
    answer = desk.deliver(
        build_mail(subject="Re: parcel", body="Thanks, it arrived!", in_reply_to=sent.message_id)
    )

    # Then it lands on the same ticket, which is open again, with no new acknowledgement
    assert (answer.ref, answer.matched_by) == (first.ref, MatchedBy.MESSAGE_ID)
    ticket = desk.store.get_ticket(first.ref)
    assert ticket is not None and ticket.status is Status.OPEN
    kinds = [m.kind for m in desk.store.thread(first.ref)]
    assert kinds == [
        MessageKind.CUSTOMER,
        MessageKind.ACKNOWLEDGEMENT,
        MessageKind.AGENT_REPLY,
        MessageKind.CUSTOMER,
    ]
    assert len(desk.sent()) == 2


def test_the_acknowledgement_does_not_count_as_a_first_response(desk: Desk) -> None:
    result = desk.deliver(build_mail())
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and ticket.first_response_at is None


def test_the_reply_goes_to_the_ticket_cc_too(desk: Desk) -> None:
    result = desk.deliver(build_mail(cc="Bob <bob@customer.example>"))
    send_reply(_reply(result.ref), desk.settings, desk.ports)
    assert desk.sent()[-1].recipients == {"jane.doe@customer.example", "bob@customer.example"}


def test_the_same_request_is_sent_once(desk: Desk) -> None:
    result = desk.deliver(build_mail())
    send_reply(_reply(result.ref), desk.settings, desk.ports)
    with pytest.raises(DuplicateRequest):
        send_reply(_reply(result.ref), desk.settings, desk.ports)
    assert len(desk.sent()) == 2


class FailingMailer:
    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str:
        raise ConnectionError("SES unreachable")

    def ses_message_id_header(self, ses_id: str) -> str:
        return ses_id


def test_a_send_that_failed_can_be_retried_with_the_same_request(desk: Desk) -> None:
    # Given a reply whose send failed before SES took it
    result = desk.deliver(build_mail())
    with pytest.raises(ConnectionError):
        send_reply(_reply(result.ref), desk.settings, replace(desk.ports, mailer=FailingMailer()))

    # When the agent sends it again
    send_reply(_reply(result.ref), desk.settings, desk.ports)

    # Then it goes out once
    assert len(desk.sent()) == 2


def test_empty_replies_and_unknown_tickets_are_refused(desk: Desk) -> None:
    result = desk.deliver(build_mail())
    with pytest.raises(EmptyReply):
        send_reply(_reply(result.ref, body="  \n "), desk.settings, desk.ports)
    with pytest.raises(TicketNotFound):
        send_reply(_reply("AAAA-BBBB"), desk.settings, desk.ports)
