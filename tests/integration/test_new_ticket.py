"""A ticket an agent starts (POST /tickets): the desk's first mail goes out threaded like a reply,
nobody is acknowledged, the customer's answer lands on the ticket, and the same request makes one
ticket and one mail whether it is repeated, sent twice at once or retried after a crash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.utils import getaddresses
from typing import Any

import pytest
from chalice.test import Client

from postdesk.hygiene.suppressions import Reason
from postdesk.tickets.dynamo import TicketItem
from postdesk.tickets.model import Status
from postdesk.workflows.new_ticket import NewTicket, start_ticket
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_exactly_once import Crash, CrashingStore
from tests.mails import build_mail

CUSTOMER = "lena.vogel@customer.example"


def _start(client: Client, token: str, key: str | None = None, **fields: Any) -> Any:
    document = {
        "requester": {"email": CUSTOMER, "name": "Lena Vogel"},
        "subject": "Your replacement part",
        "body": "Hello Lena,\n\nthe replacement part for order 5521 is ready. Shall we send it?",
        **fields,
    }
    headers = {**auth(token), **({"Idempotency-Key": key} if key else {})}
    return client.http.post("/tickets", headers=headers, body=json.dumps(document))


def test_an_agent_starts_a_ticket_and_the_customers_answer_lands_on_it(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # When an agent starts a ticket for a customer, copying a colleague of theirs
    answer = _start(client, token, cc=["Max.Vogel@customer.example"], queue="orders", category="orders")

    # Then the ticket exists, assigned to them, waiting on the customer, and the mail went out
    assert answer.status_code == 201, answer.body
    started = body_of(answer)
    ticket = started["ticket"]
    ref = ticket["ref"]
    assert ticket["status"] == "pending" and ticket["assignee"] == "sam@example.com"
    assert ticket["queue"] == "orders" and ticket["category"] == "orders" and ticket["language"] == "en"
    assert ticket["requester"] == {"email": CUSTOMER, "name": "Lena Vogel"}
    assert ticket["cc"] == ["max.vogel@customer.example"]
    # The agent wrote first: no clock waits for a first response
    assert ticket["sla"] is None or ticket["sla"]["first_response_due"] is None
    assert started["message"]["kind"] == "agent_reply"
    (mail,) = desk.sent()
    message = mail.message
    assert message["Subject"] == f"[#{ref}] Your replacement part"
    assert "Auto-Submitted" not in message and message["In-Reply-To"] is None
    assert {address.lower() for _, address in getaddresses(mail.destinations)} == {
        CUSTOMER,
        "max.vogel@customer.example",
    }
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "the replacement part for order 5521 is ready" in text.get_content()
    # Signed like a reply: one closing, the agent, the desk
    assert text.get_content().replace("\r\n", "\n").count("Best regards,\nSam Lee\nExample Support") == 1
    kinds = [event.kind for event in desk.store.events(ref)]
    assert kinds.count("ticket_created") == 1 and kinds.count("agent_replied") == 1

    # When the customer answers it
    reply = desk.deliver(
        build_mail(
            sender=f"Lena Vogel <{CUSTOMER}>",
            subject=f"Re: [#{ref}] Your replacement part",
            body="Yes please, send it.",
            in_reply_to=message["Message-ID"],
            references=message["Message-ID"],
        )
    )

    # Then it lands on the ticket, which is open again, and nobody is acknowledged
    assert reply.ref == ref and not reply.new_ticket
    assert len(desk.sent()) == 1
    after = desk.store.get_ticket(ref)
    assert after is not None and after.status is Status.OPEN
    # And the reports count the ticket, but no first response for it (it took no time)
    report = body_of(client.http.get("/metrics", headers=auth(admin_token)))
    assert report["volume"]["total"] == 1 and report["first_response"]["count"] == 0


def test_the_same_request_again_gives_the_same_ticket_and_no_second_mail(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    first = _start(client, token, key="call-back-5521")
    again = _start(client, token, key="call-back-5521")
    assert first.status_code == 201 and again.status_code == 200, again.body
    assert body_of(again)["ticket"]["ref"] == body_of(first)["ticket"]["ref"]
    assert body_of(again)["message"] is None
    assert len(desk.sent()) == 1 and len(list(TicketItem.scan())) == 1
    # Another agent's request with the same key is another request
    other = _start(client, admin_token, key="call-back-5521")
    assert other.status_code == 201 and body_of(other)["ticket"]["ref"] != body_of(first)["ticket"]["ref"]


def _request(request_id: str = "req-1") -> NewTicket:
    return NewTicket(
        agent_email="sam@example.com",
        agent_name="Sam Lee",
        requester_email=CUSTOMER,
        requester_name="Lena Vogel",
        subject="Your replacement part",
        body="Hello Lena, it is ready.",
        request_id=request_id,
    )


def test_the_same_request_twice_at_once_makes_one_ticket_and_one_mail(desk: Desk) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: start_ticket(_request(), desk.settings, desk.ports), range(4)))
    assert len({result.ticket.ref for result in results}) == 1
    assert [result.new for result in results].count(True) == 1
    assert len([result for result in results if result.message is not None]) == 1
    assert len(desk.sent()) == 1 and len(list(TicketItem.scan())) == 1


@pytest.mark.parametrize("after", ["create_ticket", "finish_guard"])
def test_a_crash_after_a_step_then_the_retry_completes_once(desk: Desk, after: str) -> None:
    # Given an attempt that dies right after making the ticket, or after recording its mail
    crashing = replace(desk.ports, store=CrashingStore(desk.store, after))
    with pytest.raises(Crash):
        start_ticket(_request(), desk.settings, crashing)

    # When the client retries with the same Idempotency-Key
    retried = start_ticket(_request(), desk.settings, desk.ports)

    # Then there is one ticket with its one first mail
    assert retried.new is False
    assert len(desk.sent()) == 1 and len(list(TicketItem.scan())) == 1
    replies = [m for m in desk.store.thread(retried.ticket.ref) if m.kind.value == "agent_reply"]
    assert len(replies) == 1


class Died(BaseException):
    """The function's runtime dies (a timeout, out of memory): no handler of the code runs."""


class DyingMailer:
    """SES takes the mail, then the function dies before it can record that."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str:
        self._real.send_raw(source, destinations, raw)
        raise Died("after SES took the mail")

    def ses_message_id_header(self, ses_id: str) -> str:
        header: str = self._real.ses_message_id_header(ses_id)
        return header


def test_the_function_dying_right_after_ses_took_the_mail_never_sends_it_again(desk: Desk) -> None:
    with pytest.raises(Died):
        start_ticket(_request(), desk.settings, replace(desk.ports, mailer=DyingMailer(desk.ports.mailer)))
    retried = [start_ticket(_request(), desk.settings, desk.ports) for _ in range(2)]
    assert [started.new for started in retried] == [False, False]
    assert [started.message for started in retried] == [None, None]
    assert len(desk.sent()) == 1 and len(list(TicketItem.scan())) == 1
    # The customer's answer to the mail that may have gone out still finds the ticket
    sent = desk.sent()[0].message
    answer = desk.deliver(build_mail(sender=f"Lena <{CUSTOMER}>", in_reply_to=sent["Message-ID"]))
    assert answer.ref == retried[0].ticket.ref


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"requester": None}, "requester must be"),
        ({"requester": {"email": "not an address"}}, "requester: "),
        ({"requester": {"email": CUSTOMER, "name": "Lena\r\nBcc: x@evil.example"}}, "one line"),
        ({"subject": ""}, "subject needs 1 to"),
        ({"subject": "Two\nlines"}, "one line"),
        ({"body": "   "}, "no text"),
        ({"queue": None}, "queue must be a string"),
        ({"queue": "Billing Team"}, "queue 'Billing Team' must be"),
        ({"queue": "nowhere"}, "queue 'nowhere' is not one of the desk's queues: support, "),
        ({"category": ""}, "category must be one of"),
        ({"priority": "asap"}, "priority must be one of"),
        ({"language": "xx"}, "language must be one of"),
        ({"status": "new"}, "status must be one of"),
        ({"cc": "max@customer.example"}, "cc must be a list"),
    ],
)
def test_a_request_that_cannot_start_a_ticket_says_why_and_makes_nothing(
    desk: Desk, client: Client, token: str, fields: dict[str, Any], words: str
) -> None:
    answer = _start(client, token, **fields)
    assert answer.status_code == 400, answer.body
    assert words in body_of(answer)["message"]
    assert desk.sent() == [] and list(TicketItem.scan()) == []


def test_one_mail_never_goes_to_more_than_50_people(desk: Desk, client: Client, token: str) -> None:
    answer = _start(client, token, cc=[f"cc{n}@customer.example" for n in range(50)])
    assert answer.status_code == 422, answer.body
    assert "at most 50 recipients (the limit of Amazon SES)" in body_of(answer)["message"]
    assert desk.sent() == [] and list(TicketItem.scan()) == []
    assert _start(client, token, cc=[f"cc{n}@customer.example" for n in range(49)]).status_code == 201


def test_a_suppressed_requester_is_refused_before_any_ticket_is_made(
    desk: Desk, client: Client, token: str
) -> None:
    desk.ports.suppressions.suppress(CUSTOMER, Reason.DO_NOT_CONTACT, desk.clock_now)
    answer = _start(client, token)
    assert answer.status_code in (409, 422), answer.body
    assert desk.sent() == [] and list(TicketItem.scan()) == []
    assert client.http.post("/tickets", body="{}").status_code == 401


def test_the_first_mail_carries_the_agents_own_signature(desk: Desk, client: Client, token: str) -> None:
    signed = client.http.put(
        "/me/signature",
        headers=auth(token),
        body=json.dumps({"signature": {"default": "Sam Lee\nReturns team, ext. 41"}}),
    )
    assert signed.status_code == 200, signed.body
    assert _start(client, token).status_code == 201
    (mail,) = desk.sent()
    text = mail.message.get_body(preferencelist=("plain",))
    assert text is not None
    content = text.get_content().replace("\r\n", "\n")
    assert content.count("Sam Lee\nReturns team, ext. 41") == 1 and content.count("Best regards,") == 1
