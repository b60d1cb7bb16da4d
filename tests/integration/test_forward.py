"""Forwarding to a third party (POST /tickets/{ref}/forwards): the mail goes to the third party only,
quotes the chosen messages and carries their files, and its signed Reply-To brings the answer back to
the same ticket as an internal message: never acknowledged, never mailed to the customer, never the
customer's answer for the SLA. Once per request, whether it is repeated, sent twice at once or
retried after a crash at any step."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.errors import DuplicateRequest
from postdesk.hygiene.suppressions import Reason
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Direction, MessageKind, Status, TicketEvent
from postdesk.tickets.threading import MatchedBy
from postdesk.workflows.forward import ForwardRequest, send_forward
from postdesk.workflows.ingest import AckOutcome
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_exactly_once import Crash, CrashingMailer, CrashingStore
from tests.integration.test_new_ticket import Died, DyingMailer
from tests.integration.test_reply import FailingMailer
from tests.mails import build_mail

VENDOR = "orders@supplier.example"
CUSTOMER = "jane.doe@customer.example"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _desk_time(desk: Desk) -> None:
    """The API runs on the desk's clock, so what agents do and what mail brings are in one order."""
    runtime.use_clock(desk.now)


def _ticket(desk: Desk, **mail: Any) -> str:
    """A customer's ticket (acknowledged, as every new ticket is)."""
    return desk.deliver(build_mail(message_id="<first@customer.example>", **mail)).ref


def _forward(client: Client, token: str, ref: str, key: str | None = None, **fields: Any) -> Any:
    document = {"to": [VENDOR], "note": "Could you check where order **4711** is?", **fields}
    headers = {**auth(token), **({"Idempotency-Key": key} if key else {})}
    return client.http.post(f"/tickets/{ref}/forwards", headers=headers, body=json.dumps(document))


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _html(message: Any) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _vendor_answer(desk: Desk, forward: Any, **options: Any) -> Any:
    """The third party answers the forward: to its Reply-To, naming its Message-ID."""
    reply_to = str(forward["Reply-To"])
    return desk.deliver(
        build_mail(
            sender=f"Supplier Orders <{VENDOR}>",
            to=reply_to,
            subject=f"Re: {forward['Subject']}",
            body=options.pop("body", "It left our warehouse today, tracking 1Z999."),
            in_reply_to=options.pop("in_reply_to", forward["Message-ID"]),
            **options,
        ),
        envelope_sender=VENDOR,
        recipients=[reply_to],
    )


def test_a_forward_goes_to_the_third_party_only_and_quotes_the_customers_message(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a customer's ticket, copying a colleague of theirs
    ref = _ticket(desk, cc="Max Doe <max.doe@customer.example>")
    before = desk.store.get_ticket(ref)
    assert before is not None

    # When an agent forwards it to the supplier with a note
    answer = _forward(client, token, ref, cc=["warehouse@supplier.example"])

    # Then one mail went to the supplier and the warehouse, and to nobody else
    assert answer.status_code == 201, answer.body
    forward = desk.sent()[-1]
    assert forward.recipients == {VENDOR, "warehouse@supplier.example"}
    message = forward.message
    assert message["Subject"] == f"Fwd: [#{ref}] My order has not arrived"
    assert "Auto-Submitted" not in message
    # Its own conversation: it names none of the customer's Message-IDs, nor the ticket's thread id
    assert message["In-Reply-To"] is None and message["References"] is None
    # The note (Markdown as text and HTML), the agent's sign-off, and the forwarded message
    text = _text(message)
    assert text.startswith("Could you check where order 4711 is?")
    assert text.count("Best regards,\nSam Lee\nExample Support") == 1
    assert "---------- Forwarded message ----------\nFrom: Jane Doe <jane.doe@customer.example>\n" in text
    assert "Subject: My order has not arrived\nTo: support@example.com\n" in text
    assert "my order 4711 has not arrived yet. Can you check?" in text
    html = _html(message)
    assert "<strong>4711</strong>" in html and "---------- Forwarded message ----------" in html
    assert "From: Jane Doe &lt;jane.doe@customer.example&gt;" in html
    # The Reply-To is a plus-address of its own, signed for this forward
    reply_to = str(message["Reply-To"])
    assert reply_to.startswith("support+fw.") and reply_to.endswith("@example.com")
    assert len(reply_to.partition("@")[0]) <= 64

    # And the thread records it as internal, with the note and who it went to
    recorded = body_of(answer)["message"]
    assert recorded["direction"] == "internal" and recorded["kind"] == "forward"
    assert recorded["from"] == {"email": "sam@example.com", "name": "Sam Lee"}
    assert recorded["visible_reply"] == "Could you check where order **4711** is?"
    forwarded = [e for e in desk.store.events(ref) if e.kind == "forwarded"]
    assert len(forwarded) == 1 and forwarded[0].actor == "sam@example.com"
    assert forwarded[0].detail["to"] == VENDOR and forwarded[0].detail["cc"] == "warehouse@supplier.example"
    assert forwarded[0].detail["messages"] == "1"
    # Nothing of the ticket moved: status, clocks, first response
    after = desk.store.get_ticket(ref)
    assert after is not None
    assert (after.status, after.sla, after.first_response_at, after.version) == (
        before.status,
        before.sla,
        before.first_response_at,
        before.version,
    )


def test_the_third_partys_answer_lands_on_the_ticket_as_internal_and_nobody_is_mailed(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a ticket on hold while the supplier is asked
    ref = _ticket(desk)
    assert _forward(client, token, ref).status_code == 201
    held = desk.store.get_ticket(ref)
    assert held is not None
    desk.store.update_ticket(
        TicketUpdate(held, {"status": Status.ON_HOLD}),
        [TicketEvent(ref=ref, at=desk.clock_now, kind="status_changed", event_id="test:hold")],
    )
    sent_before = len(desk.sent())
    forward = desk.sent()[-1].message

    # When the supplier answers to the forward's Reply-To
    result = _vendor_answer(desk, forward)

    # Then it is on the same ticket, as an internal answer, with no acknowledgement and no mail
    assert result.ref == ref and not result.new_ticket
    assert result.ack is AckOutcome.THIRD_PARTY and result.matched_by is MatchedBy.REPLY_ADDRESS
    assert len(desk.sent()) == sent_before
    answer = desk.store.thread(ref)[-1]
    assert (answer.direction, answer.kind) == (Direction.INTERNAL, MessageKind.THIRD_PARTY)
    assert answer.from_email == VENDOR and "tracking 1Z999" in (answer.text or "")
    events = [e for e in desk.store.events(ref) if e.at == answer.at]
    kinds = [e.kind for e in events]
    assert "third_party_answered" in kinds and "customer_replied" not in kinds
    # The ticket was waiting on the supplier: it is open again, with no customer's wait started
    after = desk.store.get_ticket(ref)
    assert after is not None and after.status is Status.OPEN and after.cycle == 1
    assert after.sla is not None and after.sla.next_response_since is None
    assert after.cc == ()


def test_an_answer_that_keeps_only_the_message_id_still_lands_as_internal(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a forward
    ref = _ticket(desk)
    assert _forward(client, token, ref).status_code == 201
    forward = desk.sent()[-1].message
    ses_id = desk.store.thread(ref)[-1].message_id
    assert ses_id

    # When the supplier's client drops the Reply-To and writes to the plain address, keeping only
    # In-Reply-To (SES's Message-ID of the forward)
    first = desk.deliver(
        build_mail(
            sender=VENDOR,
            subject=f"Re: {forward['Subject']}",
            body="Shipped.",
            in_reply_to=ses_id,
            message_id="<answer.1@supplier.example>",
        ),
        envelope_sender=VENDOR,
    )
    # And then answers its own answer
    second = desk.deliver(
        build_mail(
            sender=VENDOR,
            subject=f"Re: {forward['Subject']}",
            body="Delivered, too.",
            in_reply_to="<answer.1@supplier.example>",
        ),
        envelope_sender=VENDOR,
    )

    # Then both are the supplier's internal answers on the ticket, nobody acknowledged
    assert (first.ref, first.matched_by, first.ack) == (ref, MatchedBy.MESSAGE_ID, AckOutcome.THIRD_PARTY)
    assert (second.ref, second.ack) == (ref, AckOutcome.THIRD_PARTY)
    kinds = [(m.direction, m.kind) for m in desk.store.thread(ref)]
    assert kinds.count((Direction.INTERNAL, MessageKind.THIRD_PARTY)) == 2
    assert len(desk.sent()) == 2  # the acknowledgement and the forward


def test_a_forged_forward_address_is_the_forged_plus_address_case(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a forward, and its Reply-To with another signature
    ref = _ticket(desk)
    assert _forward(client, token, ref).status_code == 201
    reply_to = str(desk.sent()[-1].message["Reply-To"])
    local, _, domain = reply_to.partition("@")
    forged = f"{local.rpartition('.')[0]}.aaaaaaaaaa@{domain}"
    assert forged != reply_to

    # When mail arrives at the forged address
    result = desk.deliver(
        build_mail(sender="Mallory <mallory@evil.example>", to=forged, subject="hello"),
        envelope_sender="mallory@evil.example",
        recipients=[forged],
    )

    # Then it does not join the ticket, as any forged plus-address
    assert result.ref != ref and result.new_ticket
    screened = next(e for e in desk.store.events(result.ref) if e.kind == "mail_screened")
    assert screened.detail["rejected_match"] == "reply address with a bad signature"
    assert [m.kind for m in desk.store.thread(ref)].count(MessageKind.THIRD_PARTY) == 0


def test_the_customers_own_answer_is_still_the_customers(desk: Desk, client: Client, token: str) -> None:
    # Given a forward of the ticket
    ref = _ticket(desk)
    ack = desk.sent()[0].message
    assert _forward(client, token, ref).status_code == 201

    # When the customer answers the acknowledgement
    result = desk.deliver(
        build_mail(subject="more", to=str(ack["Reply-To"])), recipients=[str(ack["Reply-To"])]
    )

    # Then it is the customer's message as ever
    assert result.ref == ref and result.ack is AckOutcome.NOT_NEW
    assert desk.store.thread(ref)[-1].kind is MessageKind.CUSTOMER


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"to": []}, "at least one address in `to`"),
        ({"to": None}, "to must be a list"),
        ({"to": "orders@supplier.example"}, "to must be a list"),
        ({"to": ["not an address"]}, "to: "),
        ({"to": [CUSTOMER]}, "is the ticket's requester"),
        ({"cc": ["Max.Doe@customer.example"]}, "copied on the ticket (Cc)"),
        ({"to": ["support@example.com"]}, "one of the desk's own addresses"),
        ({"to": ["support+k7q2m9xd.abc@example.com"]}, "one of the desk's own addresses"),
        ({"note": None}, "note must be a string"),
        ({"include_attachments": "yes"}, "include_attachments must be true or false"),
        ({"messages": ["nope!"]}, "is not the id of a message"),
        ({"messages": [], "note": "  "}, "Nothing to forward"),
        ({"attachments": ["file.pdf"]}, "is not an attachment id"),
        ({"unknown": 1}, "unknown field(s): unknown"),
    ],
)
def test_a_forward_that_cannot_go_says_why_and_sends_nothing(
    desk: Desk, client: Client, token: str, fields: dict[str, Any], words: str
) -> None:
    ref = _ticket(desk, cc="Max Doe <max.doe@customer.example>")
    answer = _forward(client, token, ref, **fields)
    assert answer.status_code == 400, answer.body
    assert words in body_of(answer)["message"]
    assert len(desk.sent()) == 1  # the acknowledgement only
    assert [e.kind for e in desk.store.events(ref)].count("forwarded") == 0


def test_notes_and_automatic_mail_are_not_forwarded(desk: Desk, client: Client, token: str) -> None:
    ref = _ticket(desk)
    thread = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["thread"]
    acknowledgement = next(m for m in thread if m["kind"] == "acknowledgement")
    answer = _forward(client, token, ref, messages=[acknowledgement["id"]])
    assert answer.status_code == 400 and "is a acknowledgement" not in body_of(answer)["message"]
    assert (
        "only the customer's messages, the agents' replies and third parties' answers"
        in (body_of(answer)["message"])
    )


def test_missing_merged_and_held_tickets_are_refused(desk: Desk, client: Client, token: str) -> None:
    assert _forward(client, token, "ZZZZ-ZZZZ").status_code == 404
    held = desk.deliver(build_mail(subject="win"), verdicts={"spam": "FAIL"}).ref
    answer = _forward(client, token, held)
    assert answer.status_code == 409 and "quarantine" in body_of(answer)["message"]
    assert client.http.post(f"/tickets/{held}/forwards", body="{}").status_code == 401


def test_chosen_messages_are_quoted_in_the_threads_order(desk: Desk, client: Client, token: str) -> None:
    # Given a ticket with the agent's reply and the customer's answer
    ref = _ticket(desk)
    reply = client.http.post(
        f"/tickets/{ref}/replies", headers=auth(token), body=json.dumps({"body": "Which address?"})
    )
    assert reply.status_code == 201
    desk.deliver(build_mail(subject=f"Re: [#{ref}]", body="Main Street 1, Springfield"))
    thread = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["thread"]
    customer = [m["id"] for m in thread if m["kind"] == "customer"]
    agent = next(m["key"] for m in thread if m["kind"] == "agent_reply")

    # When the agent forwards the latest message and their reply (named by key), latest first
    answer = _forward(client, token, ref, messages=[customer[-1], agent], note="")

    # Then both are quoted, oldest first, and the mail has no note but the sign-off
    assert answer.status_code == 201, answer.body
    text = _text(desk.sent()[-1].message)
    assert text.count("---------- Forwarded message ----------") == 2
    assert text.index("Which address?") < text.index("Main Street 1, Springfield")
    assert "my order 4711 has not arrived" not in text


def test_by_default_the_customers_latest_message_is_forwarded(desk: Desk, client: Client, token: str) -> None:
    ref = _ticket(desk)
    desk.deliver(build_mail(subject=f"Re: [#{ref}]", body="Any news? It is urgent."))
    assert _forward(client, token, ref).status_code == 201
    text = _text(desk.sent()[-1].message)
    assert text.count("---------- Forwarded message ----------") == 1 and "Any news? It is urgent." in text


def _with_attachment(name: str = "invoice.pdf") -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Jane Doe <jane.doe@customer.example>"
    message["To"] = "support@example.com"
    message["Subject"] = "Damaged parcel"
    message["Message-ID"] = "<files.1@customer.example>"
    message.set_content("The invoice is attached.\n")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def test_a_customers_attachment_is_forwarded_without_uploading_it(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a customer's mail with a PDF
    ref = desk.deliver(_with_attachment()).ref

    # When it is forwarded (its files go with it unless asked otherwise)
    answer = _forward(client, token, ref)

    # Then the mail carries the file, and the thread's forward names it
    assert answer.status_code == 201, answer.body
    files = [part for part in desk.sent()[-1].message.iter_attachments()]
    assert [(f.get_filename(), f.get_content_type(), f.get_content()) for f in files] == [
        ("invoice.pdf", "application/pdf", PDF)
    ]
    recorded = body_of(answer)["message"]["attachments"]
    assert [(a["filename"], a["size"]) for a in recorded] == [("invoice.pdf", len(PDF))]
    assert desk.store.thread(ref)[-1].attachments[0].key.startswith(f"attachments/{ref}/")


def test_attachments_can_be_left_out_or_chosen_one_by_one(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(_with_attachment()).ref
    thread = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["thread"]
    (file_id,) = [a["id"] for m in thread for a in m["attachments"]]

    without = _forward(client, token, ref, key="without", include_attachments=False)
    assert without.status_code == 201 and list(desk.sent()[-1].message.iter_attachments()) == []

    chosen = _forward(client, token, ref, key="chosen", include_attachments=False, attachments=[file_id])
    assert chosen.status_code == 201
    assert [f.get_filename() for f in desk.sent()[-1].message.iter_attachments()] == ["invoice.pdf"]


def test_the_third_partys_files_are_kept_with_its_answer(desk: Desk, client: Client, token: str) -> None:
    ref = _ticket(desk)
    assert _forward(client, token, ref).status_code == 201
    forward = desk.sent()[-1].message
    reply_to = str(forward["Reply-To"])
    message = EmailMessage(policy=SMTP)
    message["From"] = VENDOR
    message["To"] = reply_to
    message["Subject"] = f"Re: {forward['Subject']}"
    message["Message-ID"] = "<pod@supplier.example>"
    message.set_content("Proof of delivery attached.\n")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="pod.pdf")
    result = desk.deliver(message.as_bytes(), envelope_sender=VENDOR, recipients=[reply_to])
    assert result.ack is AckOutcome.THIRD_PARTY
    answer = desk.store.thread(ref)[-1]
    assert answer.kind is MessageKind.THIRD_PARTY
    assert [(a.filename, a.key.startswith(f"attachments/{ref}/")) for a in answer.attachments] == [
        ("pod.pdf", True)
    ]


def _request(ref: str, request_id: str = "fwd-1") -> ForwardRequest:
    return ForwardRequest(
        ref=ref,
        agent_email="sam@example.com",
        agent_name="Sam Lee",
        to=(VENDOR,),
        note="Please check.",
        request_id=request_id,
    )


def _forwards(desk: Desk, ref: str) -> list[Any]:
    return [m for m in desk.store.thread(ref) if m.kind is MessageKind.FORWARD]


def test_the_same_request_again_sends_once(desk: Desk, client: Client, token: str) -> None:
    ref = _ticket(desk)
    assert _forward(client, token, ref, key="fwd-4711").status_code == 201
    again = _forward(client, token, ref, key="fwd-4711")
    assert again.status_code == 409 and body_of(again)["error"] == "DuplicateRequest"
    assert len(desk.sent()) == 2 and len(_forwards(desk, ref)) == 1


def test_the_same_request_twice_at_once_sends_once(desk: Desk) -> None:
    ref = _ticket(desk)

    def attempt(_: int) -> str:
        try:
            send_forward(_request(ref), desk.settings, desk.ports)
        except DuplicateRequest:
            return "duplicate"
        return "sent"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    assert outcomes.count("sent") == 1 and outcomes.count("duplicate") == 3
    assert len(desk.sent()) == 2 and len(_forwards(desk, ref)) == 1


def test_a_crash_after_recording_then_the_retry_sends_nothing_more(desk: Desk) -> None:
    ref = _ticket(desk)
    with pytest.raises(Crash):
        send_forward(
            _request(ref), desk.settings, replace(desk.ports, store=CrashingStore(desk.store, "finish_guard"))
        )
    with pytest.raises(DuplicateRequest):
        send_forward(_request(ref), desk.settings, desk.ports)
    assert len(desk.sent()) == 2 and len(_forwards(desk, ref)) == 1
    assert [e.kind for e in desk.store.events(ref)].count("forwarded") == 1


def test_a_crash_right_after_ses_took_it_never_sends_it_again_and_the_answer_still_lands(desk: Desk) -> None:
    # Given a forward whose function died right after SES took the mail (nothing recorded)
    ref = _ticket(desk)
    dying = replace(desk.ports, mailer=DyingMailer(desk.ports.mailer))
    with pytest.raises(Died):
        send_forward(_request(ref), desk.settings, dying)

    # When the request is retried, twice
    for _ in range(2):
        with pytest.raises(DuplicateRequest):
            send_forward(_request(ref), desk.settings, desk.ports)

    # Then the supplier got it once, and their answer (by Reply-To, or by our Message-ID) lands
    assert len(desk.sent()) == 2 and _forwards(desk, ref) == []
    forward = desk.sent()[-1].message
    by_address = _vendor_answer(desk, forward, in_reply_to=None)
    assert (by_address.ref, by_address.ack) == (ref, AckOutcome.THIRD_PARTY)
    by_id = desk.deliver(
        build_mail(sender=VENDOR, subject="Re: order", in_reply_to=forward["Message-ID"]),
        envelope_sender=VENDOR,
    )
    assert (by_id.ref, by_id.ack) == (ref, AckOutcome.THIRD_PARTY)


def test_a_crash_right_after_the_send_then_the_retry_sends_nothing_more(desk: Desk) -> None:
    ref = _ticket(desk)
    with pytest.raises(Crash):
        send_forward(
            _request(ref), desk.settings, replace(desk.ports, mailer=CrashingMailer(desk.ports.mailer))
        )
    send_forward(_request(ref), desk.settings, desk.ports)
    # The send raised, so its guard was let go (mail a person asked for may be tried again): SES
    # took the first, and the retry is the one recorded.
    assert len(_forwards(desk, ref)) == 1


def test_a_send_that_failed_can_be_retried(desk: Desk) -> None:
    ref = _ticket(desk)
    with pytest.raises(ConnectionError):
        send_forward(_request(ref), desk.settings, replace(desk.ports, mailer=FailingMailer()))
    send_forward(_request(ref), desk.settings, desk.ports)
    assert len(desk.sent()) == 2 and len(_forwards(desk, ref)) == 1


def test_a_suppressed_third_party_is_refused_and_nothing_is_sent(
    desk: Desk, client: Client, token: str
) -> None:
    ref = _ticket(desk)
    desk.ports.suppressions.suppress(VENDOR, Reason.DO_NOT_CONTACT, desk.clock_now)
    answer = _forward(client, token, ref)
    assert answer.status_code in (409, 422), answer.body
    assert VENDOR in body_of(answer)["message"] and len(desk.sent()) == 1


def test_one_forward_never_goes_to_more_than_50_people(desk: Desk, client: Client, token: str) -> None:
    ref = _ticket(desk)
    answer = _forward(client, token, ref, cc=[f"cc{n}@supplier.example" for n in range(50)])
    assert answer.status_code == 422 and "at most 50 recipients" in body_of(answer)["message"]
    assert len(desk.sent()) == 1
