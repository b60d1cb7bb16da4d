"""Automatic mail is limited per person, not per envelope, and a flood of fresh mails with the same
text from one sender stays on one ticket: 100 rounds of each."""

from __future__ import annotations

import string
from collections import Counter
from datetime import timedelta

from postdesk.tickets.dynamo import TicketItem
from postdesk.tickets.model import Status
from postdesk.tickets.threading import MatchedBy
from postdesk.triage.flood import text_fingerprint
from postdesk.workflows.ingest import AckOutcome
from postdesk.workflows.ticket_work import TicketEdit, edit_ticket
from tests.integration.conftest import Desk
from tests.mails import build_mail

SENDER = "Newsletter Robot <robot@shop.example>"
ROUNDS = 100


def _word(n: int) -> str:
    """A word of letters only, different for each n (digits would be taken out of the comparison)."""
    letters = string.ascii_lowercase
    return letters[n // 26 % 26] + letters[n % 26] + "ble"


def test_a_sender_with_a_return_path_per_mail_is_still_one_person_to_the_limit(desk: Desk) -> None:
    # 100 different mails from one From, each with its own VERP or SRS return path.
    results = []
    for n in range(ROUNDS):
        envelope = (
            f"bounces+{n}-robot=shop.example@mailer.example"
            if n % 2
            else f"SRS0=h{_word(n)}=TT={_word(n)}=shop.example=robot@forwarder.example"
        )
        raw = build_mail(
            sender=SENDER, subject=f"Your {_word(n)} order", body=f"About the {_word(n)} you asked for."
        )
        results.append(desk.deliver(raw, envelope_sender=envelope))

    assert len({result.ref for result in results}) == ROUNDS
    acknowledged = [result for result in results if result.ack is AckOutcome.SENT]
    # The desk's clock moves a minute a mail: at most 5 an hour by clock hour, 20 a day, to the person.
    hours = Counter(
        desk.store.get_ticket(result.ref).created_at.strftime("%Y%m%d%H")  # type: ignore[union-attr]
        for result in results
    )
    allowed = min(20, sum(min(5, count) for count in hours.values()))
    assert len(acknowledged) == allowed < 20
    assert len(desk.sent()) == allowed
    limited = [result for result in results if result.ack is AckOutcome.SUPPRESSED]
    assert len(limited) == ROUNDS - allowed
    reasons = {
        event.detail["reason"]
        for result in limited
        for event in desk.store.events(result.ref)
        if event.kind == "ack_suppressed"
    }
    assert reasons == {"rate_limit"}


def test_an_auto_responder_writing_fresh_mail_each_time_stays_on_one_ticket(desk: Desk) -> None:
    start = desk.clock_now
    results = []
    for n in range(ROUNDS):
        # No Auto-Submitted, no Precedence, a new Message-ID, a new date and counter in each.
        raw = build_mail(
            sender=SENDER,
            subject=f"Re: Your request #{4711 + n}",
            body=f"Thank you for your message of 2026-11-{1 + n % 28:02d} 09:{n % 60:02d}.\n"
            f"We will get back to you shortly. Case {n:05d}-X{n * 7919}.",
        )
        results.append(desk.deliver(raw, received_at=start + timedelta(seconds=2 * n)))

    first = results[0]
    assert first.ack is AckOutcome.SENT and first.new_ticket
    assert [result.ack for result in results[1:]] == [AckOutcome.REPEAT] * (ROUNDS - 1)
    assert {result.ref for result in results} == {first.ref}
    assert {result.matched_by for result in results[1:]} == {MatchedBy.REPEAT}
    assert len(list(TicketItem.scan())) == 1
    assert len(desk.sent()) == 1
    # Every mail is kept on the ticket, the repeats said as such, and the ticket stays as it was.
    inbound = [m for m in desk.store.thread(first.ref) if m.direction.value == "inbound"]
    assert len(inbound) == ROUNDS and all(m.raw_key for m in inbound)
    folded = [e for e in desk.store.events(first.ref) if e.kind == "repeat_folded"]
    assert len(folded) == ROUNDS - 1
    assert "same text as this ticket's first mail" in folded[0].detail["reason"]
    assert desk.store.get_ticket(first.ref).status is Status.NEW  # type: ignore[union-attr]
    assert desk.metrics.total("RepeatsFolded") == ROUNDS - 1


def test_the_same_text_again_after_the_ticket_was_resolved_or_from_another_sender_is_new(
    desk: Desk,
) -> None:
    said = {"subject": "Printer on fire", "body": "The printer is on fire again."}
    first = desk.deliver(build_mail(**said))
    other = desk.deliver(
        build_mail(sender="Ann <ann@other.example>", **said), envelope_sender="ann@other.example"
    )
    ticket = desk.store.get_ticket(first.ref)
    assert ticket is not None
    edit_ticket(
        TicketEdit(ticket.ref, ticket.version, "sam@example.com", "resolve-1", status=Status.RESOLVED),
        desk.settings,
        desk.ports,
        is_agent=lambda _: True,
    )

    again = desk.deliver(build_mail(**said))

    assert other.ref != first.ref and other.ack is AckOutcome.SENT
    assert again.ref != first.ref and again.new_ticket


def test_the_fingerprint_leaves_out_what_changes_and_keeps_what_is_said() -> None:
    one = text_fingerprint("Re: Order #4711", "Shipped on 2026-11-24 at 09:30. Tracking ZX81234.")
    two = text_fingerprint("RE: order #4712!", "Shipped on 2026-11-25 at 10:31.  Tracking ZX99999.")
    other = text_fingerprint("Re: Order #4711", "Cancelled on 2026-11-24 at 09:30.")
    assert one == two != other
    assert text_fingerprint("1234", "5678 !!") == ""
    # A very long word with no digit is read once, in linear time (a backtracking pattern would hang).
    assert len(text_fingerprint("x" * 300_000, "y" * 300_000)) == 24
