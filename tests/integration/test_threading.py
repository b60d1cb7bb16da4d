"""Replies find their ticket: signed Reply-To, stored Message-IDs (ours and SES's), subject token."""

from __future__ import annotations

from postdesk.tickets.model import MessageKind, Status
from postdesk.tickets.threading import MatchedBy
from postdesk.workflows.ingest import AckOutcome
from tests.integration.conftest import Desk
from tests.integration.test_ingest import _resolve
from tests.mails import build_mail


def _first_ticket(desk: Desk) -> tuple[str, str, str]:
    """Deliver a first mail; return its ref, the ack's Reply-To and the ack's SES Message-ID."""
    result = desk.deliver(build_mail(message_id="<first@customer.example>"))
    ack = desk.sent()[0].message
    ses_id = desk.store.thread(result.ref)[1].message_id
    assert ses_id
    return result.ref, str(ack["Reply-To"]), ses_id


def test_answer_to_the_acknowledgement_through_the_signed_reply_address_joins_the_ticket(desk: Desk) -> None:
    # Given a ticket and its acknowledgement
    ref, reply_to, _ = _first_ticket(desk)

    # When the customer answers it (the client keeps no threading headers at all)
    result = desk.deliver(
        build_mail(subject="more details", body="Here is the tracking number: 123", to=reply_to),
        recipients=[reply_to],
    )

    # Then it joins the same ticket and gets no second acknowledgement
    assert result.ref == ref and not result.new_ticket
    assert result.matched_by is MatchedBy.REPLY_ADDRESS
    assert result.ack is AckOutcome.NOT_NEW
    assert len(desk.sent()) == 1
    assert [m.kind for m in desk.store.thread(ref)].count(MessageKind.CUSTOMER) == 2


def test_reply_that_keeps_only_the_ses_message_id_joins_the_ticket(desk: Desk) -> None:
    # Given a ticket whose acknowledgement got an id from SES
    ref, _, ses_id = _first_ticket(desk)

    # When an iOS-style reply arrives with only In-Reply-To set to that id, to the plain address
    result = desk.deliver(build_mail(subject="Re: order", in_reply_to=ses_id))

    # Then it joins the ticket through the stored Message-ID
    assert (result.ref, result.matched_by) == (ref, MatchedBy.MESSAGE_ID)


def test_reply_that_keeps_our_stable_thread_id_in_references_joins_the_ticket(desk: Desk) -> None:
    ref, _, _ = _first_ticket(desk)
    thread_id = f"<ticket.{ref.replace('-', '').lower()}.postdesk@example.com>"
    result = desk.deliver(build_mail(subject="Re: order", references=f"<x@y.example> {thread_id}"))
    assert (result.ref, result.matched_by) == (ref, MatchedBy.MESSAGE_ID)


def test_subject_token_from_the_requester_joins_the_ticket(desk: Desk) -> None:
    ref, _, _ = _first_ticket(desk)
    result = desk.deliver(build_mail(subject=f"Re: [#{ref}] My order", message_id="<new@customer.example>"))
    assert (result.ref, result.matched_by) == (ref, MatchedBy.SUBJECT_TOKEN)


def test_subject_token_from_someone_on_cc_joins_the_ticket(desk: Desk) -> None:
    result = desk.deliver(build_mail(cc="Bob <bob@customer.example>"))
    bob = desk.deliver(
        build_mail(subject=f"[#{result.ref}] adding info", sender="Bob <bob@customer.example>"),
        envelope_sender="bob@customer.example",
    )
    assert (bob.ref, bob.matched_by) == (result.ref, MatchedBy.SUBJECT_TOKEN)


def test_subject_token_from_a_stranger_starts_a_new_ticket(desk: Desk) -> None:
    # Given a ticket of Jane's
    ref, _, _ = _first_ticket(desk)

    # When someone else writes with its token in the subject
    result = desk.deliver(
        build_mail(subject=f"[#{ref}] give me the data", sender="Mallory <mallory@evil.example>"),
        envelope_sender="mallory@evil.example",
    )

    # Then the mail starts a new ticket and the refusal is on its log
    assert result.ref != ref and result.new_ticket
    screened = next(e for e in desk.store.events(result.ref) if e.kind == "mail_screened")
    assert screened.detail["rejected_match"] == "subject token from someone not on the ticket"


def test_reply_address_with_a_bad_signature_starts_a_new_ticket(desk: Desk) -> None:
    # Given a ticket, and a plus-address for it with a forged signature
    ref, reply_to, _ = _first_ticket(desk)
    forged = reply_to.replace(reply_to.split(".")[1].split("@")[0], "aaaaaaaaaa")
    assert forged != reply_to

    # When mail arrives at the forged address
    result = desk.deliver(build_mail(subject="hello", to=forged), recipients=[forged])

    # Then it does not join the ticket
    assert result.ref != ref and result.new_ticket
    screened = next(e for e in desk.store.events(result.ref) if e.kind == "mail_screened")
    assert screened.detail["rejected_match"] == "reply address with a bad signature"


def test_customer_reply_to_a_resolved_ticket_reopens_it_in_a_new_cycle(desk: Desk) -> None:
    # Given a resolved ticket
    ref, reply_to, _ = _first_ticket(desk)
    _resolve(desk, ref)

    # When the customer replies
    desk.deliver(build_mail(subject="still broken", to=reply_to), recipients=[reply_to])

    # Then it is open again, in cycle 2, with a reopen event
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.OPEN and ticket.cycle == 2
    reopened = [e for e in desk.store.events(ref) if e.kind == "reopened"]
    assert reopened and reopened[0].detail == {"from": "resolved", "to": "open", "cycle": "2"}
    assert ticket.is_open


def test_out_of_office_reply_to_our_mail_is_recorded_without_reopening(desk: Desk) -> None:
    # Given a resolved ticket
    ref, _, ses_id = _first_ticket(desk)
    _resolve(desk, ref)

    # When an out-of-office answers our acknowledgement
    result = desk.deliver(
        build_mail(
            subject="Automatic reply: order", in_reply_to=ses_id, headers={"Auto-Submitted": "auto-replied"}
        )
    )

    # Then it is on the ticket, which stays resolved, and nothing is sent
    ticket = desk.store.get_ticket(ref)
    assert result.ref == ref and ticket is not None and ticket.status is Status.RESOLVED
    assert desk.store.thread(ref)[-1].kind is MessageKind.AUTO_REPLY
    assert "automatic_reply_recorded" in [e.kind for e in desk.store.events(ref)]
    assert len(desk.sent()) == 1
