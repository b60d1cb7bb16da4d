"""One mail, one ticket: the same message delivered again under another SES id (an MTA's retry, a copy
to a second address of ours) joins the first delivery's ticket as a recorded duplicate, with no second
acknowledgement, also when the copies arrive at once. Only the same sender within 30 days joins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3

from postdesk.effects import keys
from postdesk.tickets.dynamo import GuardItem, TicketItem
from postdesk.workflows.ingest import AckOutcome
from tests.integration.conftest import Desk
from tests.mails import build_mail

MESSAGE_ID = "<order-4711.1@customer.example>"


def _tickets() -> list[str]:
    return sorted(item.ref for item in TicketItem.scan())


def _duplicates(desk: Desk, ref: str) -> list[dict[str, str]]:
    return [dict(event.detail) for event in desk.store.events(ref) if event.kind == "duplicate_delivery"]


def test_the_same_mail_delivered_again_joins_the_first_ticket_without_a_second_ack(desk: Desk) -> None:
    raw = build_mail(message_id=MESSAGE_ID)
    first_event = desk.event(raw)
    second_event = desk.event(raw)

    first = desk.deliver_event(first_event)
    second = desk.deliver_event(second_event)

    assert first.ack is AckOutcome.SENT
    assert second.ack is AckOutcome.DUPLICATE
    assert (second.ref, second.created, second.new_ticket) == (first.ref, False, False)
    assert _tickets() == [first.ref]
    assert len(desk.sent()) == 1
    # The copy is on the first ticket's record, and its raw mail is kept where the event says.
    (duplicate,) = _duplicates(desk, first.ref)
    assert duplicate["message_id"] == MESSAGE_ID
    second_ses_id = second_event["Records"][0]["ses"]["mail"]["messageId"]
    assert duplicate["first_delivery"] == first_event["Records"][0]["ses"]["mail"]["messageId"]
    kept = boto3.client("s3", region_name=desk.settings.region).get_object(
        Bucket=desk.settings.mail_bucket, Key=duplicate["raw_key"]
    )
    assert duplicate["raw_key"].endswith(second_ses_id)
    assert kept["Body"].read() == raw
    # One inbound message on the thread: the copy is not shown twice.
    assert len([m for m in desk.store.thread(first.ref) if m.direction.value == "inbound"]) == 1
    assert desk.metrics.total("DuplicateDeliveries") == 1


def test_a_retried_duplicate_is_recorded_once(desk: Desk) -> None:
    raw = build_mail(message_id=MESSAGE_ID)
    first = desk.deliver(raw)
    copy = desk.event(raw)

    results = [desk.deliver_event(copy) for _ in range(3)]

    assert {result.ack for result in results} == {AckOutcome.DUPLICATE}
    assert len(_duplicates(desk, first.ref)) == 1
    assert desk.metrics.total("DuplicateDeliveries") == 1


def test_copies_arriving_at_once_make_one_ticket_and_one_ack(desk: Desk) -> None:
    raw = build_mail(message_id=MESSAGE_ID)
    events = [desk.event(raw) for _ in range(6)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(desk.deliver_event, events))

    assert len(_tickets()) == 1
    assert len({result.ref for result in results}) == 1
    assert [result.ack for result in results].count(AckOutcome.SENT) == 1
    assert [result.ack for result in results].count(AckOutcome.DUPLICATE) == 5
    assert len(desk.sent()) == 1
    assert len(_duplicates(desk, results[0].ref)) == 5


def test_the_same_message_id_from_another_sender_is_not_joined(desk: Desk) -> None:
    first = desk.deliver(build_mail(message_id=MESSAGE_ID))

    stranger = desk.deliver(
        build_mail(message_id=MESSAGE_ID, sender="Mallory <mallory@elsewhere.example>"),
        envelope_sender="mallory@elsewhere.example",
    )

    assert stranger.ref != first.ref and stranger.new_ticket
    assert stranger.ack is AckOutcome.SENT
    assert _duplicates(desk, first.ref) == []
    assert len(_tickets()) == 2


def test_the_same_mail_after_thirty_days_is_a_new_request(desk: Desk) -> None:
    raw = build_mail(message_id=MESSAGE_ID)
    first = desk.deliver(raw)
    desk.clock_now += timedelta(days=30, minutes=5)

    later = desk.deliver(raw)

    # The first delivery's guard is past its 30 days even while DynamoDB's TTL has not deleted it.
    guard = GuardItem.get(keys.first_delivery_guard("jane.doe@customer.example", MESSAGE_ID))
    assert guard.ref == later.ref
    assert later.ref != first.ref and later.new_ticket and later.ack is AckOutcome.SENT


def test_a_reply_delivered_twice_is_on_the_thread_once(desk: Desk) -> None:
    first = desk.deliver(build_mail())
    ack = desk.sent()[0].message["Message-ID"]
    reply = build_mail(subject="Re: My order", message_id="<reply-1@customer.example>", in_reply_to=ack)
    copies = [desk.event(reply) for _ in range(4)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(desk.deliver_event, copies))

    assert {result.ref for result in results} == {first.ref}
    assert [result.ack for result in results].count(AckOutcome.DUPLICATE) == 3
    inbound = [m for m in desk.store.thread(first.ref) if m.direction.value == "inbound"]
    assert len(inbound) == 2
    assert [e.kind for e in desk.store.events(first.ref)].count("customer_replied") == 1
    assert len(_duplicates(desk, first.ref)) == 3


def test_a_mail_without_a_message_id_is_never_taken_for_a_copy(desk: Desk) -> None:
    raw = b"\r\n".join(
        line for line in build_mail().split(b"\r\n") if not line.lower().startswith(b"message-id:")
    )

    first, second = desk.deliver(raw), desk.deliver(raw)

    # Without an id nothing says it is the same delivery: the second is the sender repeating
    # themselves (triage/flood.py), recorded on the first ticket as that, not as a copy.
    assert (first.ack, second.ack) == (AckOutcome.SENT, AckOutcome.REPEAT)
    assert _duplicates(desk, first.ref) == []
    assert [e.kind for e in desk.store.events(first.ref)].count("repeat_folded") == 1
