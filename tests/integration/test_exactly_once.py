"""The same SES event twice, concurrently, or retried after a crash at any side effect: one ticket,
one acknowledgement, nothing done twice."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from postdesk.tickets.dynamo import TicketItem
from postdesk.tickets.store import TicketStore
from postdesk.workflows.ingest import AckOutcome
from tests.integration.conftest import Desk
from tests.mails import build_mail


class Crash(Exception):
    """Stands for the Lambda runtime dying right after a side effect."""


def _assert_one_ticket_one_ack(desk: Desk) -> str:
    tickets = list(TicketItem.scan())
    assert len(tickets) == 1
    ref = tickets[0].ref
    assert len(desk.sent()) == 1
    kinds = [event.kind for event in desk.store.events(ref)]
    assert kinds.count("ticket_created") == 1
    assert kinds.count("mail_screened") == 1
    assert len([m for m in desk.store.thread(ref) if m.direction.value == "inbound"]) == 1
    return ref


def test_same_event_delivered_twice_makes_one_ticket_and_one_ack(desk: Desk) -> None:
    # Given one SES event
    event = desk.event(build_mail())

    # When it is delivered twice, one after the other
    first = desk.deliver_event(event)
    second = desk.deliver_event(event)

    # Then there is one ticket and one acknowledgement; the second run knew it was done
    assert first.ref == second.ref
    assert (first.ack, second.ack) == (AckOutcome.SENT, AckOutcome.ALREADY_SENT)
    _assert_one_ticket_one_ack(desk)
    assert desk.metrics.total("TicketsCreated") == 1 and desk.metrics.total("AcksSent") == 1


def test_same_event_delivered_concurrently_makes_one_ticket_and_one_ack(desk: Desk) -> None:
    # Given one SES event
    event = desk.event(build_mail())

    # When eight workers deliver it at the same moment
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: desk.deliver_event(event), range(8)))

    # Then every worker names the same ticket, and only one of them sent the acknowledgement
    assert len({result.ref for result in results}) == 1
    assert [result.ack for result in results].count(AckOutcome.SENT) == 1
    _assert_one_ticket_one_ack(desk)


class CrashingStore(TicketStore):
    """The real store, dying right after the named operation succeeded (once)."""

    def __init__(self, real: TicketStore, after: str) -> None:
        self.__dict__.update(real.__dict__)
        self._after = after
        self.crashed = False

    def _maybe_crash(self, name: str) -> None:
        if name == self._after and not self.crashed:
            self.crashed = True
            raise Crash(name)

    def create_ticket(self, *args: Any, **kwargs: Any) -> bool:
        done = super().create_ticket(*args, **kwargs)
        self._maybe_crash("create_ticket")
        return done

    def finish_guard(self, *args: Any, **kwargs: Any) -> bool:
        done = super().finish_guard(*args, **kwargs)
        self._maybe_crash("finish_guard")
        return done


class CrashingMailer:
    """SES accepts the mail, then the function dies before it can record that."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.crashed = False

    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str:
        ses_id: str = self._real.send_raw(source, destinations, raw)
        if not self.crashed:
            self.crashed = True
            raise Crash("after send")
        return ses_id

    def ses_message_id_header(self, ses_id: str) -> str:
        header: str = self._real.ses_message_id_header(ses_id)
        return header


# The delivery's guard is written with the ticket (create_ticket); the crashes around each step of
# sending the acknowledgement are in test_send_once.py.
@pytest.mark.parametrize("after", ["create_ticket", "finish_guard"])
def test_crash_after_a_store_side_effect_then_retry_completes_once(desk: Desk, after: str) -> None:
    # Given a delivery whose first attempt dies right after a side effect
    event = desk.event(build_mail())
    crashing = replace(desk.ports, store=CrashingStore(desk.store, after))
    with pytest.raises(Crash):
        desk.deliver_event(event, crashing)

    # When Lambda retries it
    retry = desk.deliver_event(event)

    # Then the work is complete, with one ticket and one acknowledgement
    ref = _assert_one_ticket_one_ack(desk)
    assert retry.ref == ref
    thread = desk.store.thread(ref)
    ack_message = thread[-1]
    assert ack_message.message_id is not None
    assert desk.store.lookup_message_ids([ack_message.message_id])  # indexed even after the crash


def test_crash_right_after_the_ack_was_sent_never_sends_it_again(desk: Desk) -> None:
    # Given a delivery whose first attempt dies right after SES accepted the acknowledgement
    event = desk.event(build_mail())
    crashing = replace(desk.ports, mailer=CrashingMailer(desk.ports.mailer))
    with pytest.raises(Crash):
        desk.deliver_event(event, crashing)
    assert len(desk.sent()) == 1

    # When Lambda retries, twice
    retry = desk.deliver_event(event)
    again = desk.deliver_event(event)

    # Then no second acknowledgement goes out, the ticket says so once, and its thread id is indexed
    assert retry.ack is AckOutcome.UNCONFIRMED and again.ack is AckOutcome.UNCONFIRMED
    ref = _assert_one_ticket_one_ack(desk)
    kinds = [e.kind for e in desk.store.events(ref)]
    assert kinds.count("ack_unconfirmed") == 1
    thread_id = f"<ticket.{ref.replace('-', '').lower()}.postdesk@example.com>"
    assert desk.store.lookup_message_ids([thread_id])[thread_id][0] == ref
