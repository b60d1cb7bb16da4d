"""The send-once mechanism (postdesk/effects/send_once.py) on its own: the same mail asked for twice,
by eight workers at once, or by a retry after the function died at each step, goes out at most once
and is recorded exactly once when the function lives through the record."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from postdesk.effects import keys
from postdesk.effects.guards import Guards, GuardState, RateLimit
from postdesk.effects.send_once import OnceMail, Recording, SendOutcome, send_once
from postdesk.mail.compose import OutboundMail
from postdesk.mail.model import Address
from postdesk.ports import Ports
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.store import TicketStore
from tests.integration.conftest import Desk
from tests.mails import build_mail


class Died(BaseException):
    """The function's runtime dies (a timeout, out of memory): no handler of the code runs."""


def _ticket(desk: Desk) -> Ticket:
    result = desk.deliver(build_mail(), envelope_sender="jane.doe@customer.example")
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None
    return ticket


def _once(desk: Desk, ticket: Ticket, name: str = "note-to-jane", **options: Any) -> OnceMail:
    domain = desk.settings.support_domain
    mail = OutboundMail(
        sender=Address("Example Support", desk.settings.support_address),
        to=(Address("Jane Doe", ticket.requester_email),),
        subject=f"[#{ticket.ref}] {name}",
        text="A mail of ours.",
        html=None,
        message_id=keys.reply_message_id(ticket.ref, name, domain),
        date=desk.now(),
    )
    return OnceMail(
        guard=keys.reply_guard(ticket.ref, name),
        ref=ticket.ref,
        mail=mail,
        kind=MessageKind.AGENT_REPLY,
        thread_unique=f"reply-{name}",
        metric="AgentReplies",
        **options,
    )


def _event(ticket: Ticket, desk: Desk, name: str = "note-to-jane") -> Recording:
    return Recording([TicketEvent(ticket.ref, desk.now(), "agent_replied", f"reply:{name}")])


def _record(desk: Desk) -> Any:
    def record(message: ThreadMessage | None, current: Ticket | None) -> Recording:
        assert message is not None
        return _event(current or _ticket(desk), desk)

    return record


def _sent_of(desk: Desk, ticket: Ticket) -> list[Any]:
    return [m for m in desk.sent() if f"[#{ticket.ref}] note-to-jane" in str(m.message["Subject"])]


def _recorded(desk: Desk, ticket: Ticket) -> list[ThreadMessage]:
    return [m for m in desk.store.thread(ticket.ref) if m.key.endswith("#reply-note-to-jane")]


def test_the_same_mail_twice_goes_out_once_and_the_second_is_told_so(desk: Desk) -> None:
    # Given a ticket and a mail of ours about it
    ticket = _ticket(desk)
    once = _once(desk, ticket)

    # When the mechanism is asked to send it twice
    first = send_once(once, desk.ports, lambda message, _: _event(ticket, desk))
    second = send_once(once, desk.ports, lambda message, _: _event(ticket, desk))

    # Then it went out once, is recorded once, and the second attempt knows it was sent
    assert (first.outcome, second.outcome) == (SendOutcome.SENT, SendOutcome.ALREADY_SENT)
    assert len(_sent_of(desk, ticket)) == 1
    (message,) = _recorded(desk, ticket)
    assert [e.kind for e in desk.store.events(ticket.ref)].count("agent_replied") == 1
    guard = desk.ports.guards.get(once.guard)
    assert guard is not None and guard.state is GuardState.SENT and guard.detail["ses_message_id"]
    # Every id an answer may carry finds the ticket: SES's and ours
    assert message.message_id is not None
    known = desk.store.lookup_message_ids([message.message_id, once.mail.message_id])
    assert {ref for ref, _ in known.values()} == {ticket.ref} and len(known) == 2
    assert desk.metrics.total("AgentReplies") == 1


def test_eight_workers_at_once_send_it_once(desk: Desk) -> None:
    ticket = _ticket(desk)
    once = _once(desk, ticket)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: send_once(once, desk.ports, _record(desk)), range(8)))

    outcomes = [r.outcome for r in results]
    assert outcomes.count(SendOutcome.SENT) == 1
    assert set(outcomes) <= {SendOutcome.SENT, SendOutcome.ALREADY_SENT, SendOutcome.UNCONFIRMED}
    assert len(_sent_of(desk, ticket)) == 1
    assert len(_recorded(desk, ticket)) == 1


class DyingGuards(Guards):
    """The real guards; the function dies right after the claim was written."""

    def __init__(self, real: Guards) -> None:
        self.__dict__.update(real.__dict__)

    def claim(self, *args: Any, **kwargs: Any) -> Any:
        super().claim(*args, **kwargs)
        raise Died("after the claim")


class DyingMailer:
    """SES takes the mail, then the function dies before it can record it."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str:
        self._real.send_raw(source, destinations, raw)
        raise Died("after the send")

    def ses_message_id_header(self, ses_id: str) -> str:
        header: str = self._real.ses_message_id_header(ses_id)
        return header


class DyingStore(TicketStore):
    """The real store; the function dies right after the record was written."""

    def __init__(self, real: TicketStore) -> None:
        self.__dict__.update(real.__dict__)

    def finish_guard(self, *args: Any, **kwargs: Any) -> bool:
        super().finish_guard(*args, **kwargs)
        raise Died("after the record")


def _dying(desk: Desk, step: str) -> Ports:
    if step == "claim":
        return replace(desk.ports, guards=DyingGuards(desk.ports.guards))
    if step == "send":
        return replace(desk.ports, mailer=DyingMailer(desk.ports.mailer))
    return replace(desk.ports, store=DyingStore(desk.store))


@pytest.mark.parametrize(
    ("step", "retried", "sent"),
    [
        # Claimed, not sent: at most once, so the retry does not send what may have gone out.
        ("claim", SendOutcome.UNCONFIRMED, 0),
        # Sent, not recorded: never sent again; the mail stays unrecorded, and the caller says so.
        ("send", SendOutcome.UNCONFIRMED, 1),
        # Recorded: the retry finds it sent.
        ("record", SendOutcome.ALREADY_SENT, 1),
    ],
)
def test_a_retry_after_the_function_died_at_each_step_never_sends_twice(
    desk: Desk, step: str, retried: SendOutcome, sent: int
) -> None:
    # Given a mail whose first attempt dies right after one step
    ticket = _ticket(desk)
    once = _once(desk, ticket)
    with pytest.raises(Died):
        send_once(once, _dying(desk, step), _record(desk))

    # When Lambda (or the caller) tries again, twice
    results = [send_once(once, desk.ports, _record(desk)).outcome for _ in range(2)]

    # Then nothing goes out twice, and an answer to what may have gone out still finds the ticket
    assert results == [retried, retried]
    assert len(_sent_of(desk, ticket)) == sent
    assert len(_recorded(desk, ticket)) == (1 if step == "record" else 0)
    assert desk.store.lookup_message_ids([once.mail.message_id])[once.mail.message_id][0] == ticket.ref


class RefusingMailer:
    """SES refuses the mail (nothing went out)."""

    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str:
        raise ClientError({"Error": {"Code": "MessageRejected", "Message": "no"}}, "SendRawEmail")

    def ses_message_id_header(self, ses_id: str) -> str:
        return ses_id


def test_a_refused_send_may_be_tried_again_unless_the_mail_is_automatic(desk: Desk) -> None:
    ticket = _ticket(desk)
    refusing = replace(desk.ports, mailer=RefusingMailer())
    person = _once(desk, ticket)
    automatic = replace(_once(desk, ticket, "automatic"), retry_failed_send=False)

    for once in (person, automatic):
        with pytest.raises(ClientError):
            send_once(once, refusing, _record(desk))

    # A person's mail goes out on the retry; an automatic one never risks a second copy
    assert send_once(person, desk.ports, _record(desk)).outcome is SendOutcome.SENT
    assert send_once(automatic, desk.ports, _record(desk)).outcome is SendOutcome.UNCONFIRMED


def test_the_record_is_made_over_a_ticket_an_agent_changed_meanwhile(desk: Desk) -> None:
    # Given a ticket an agent changes while our mail is on its way
    ticket = _ticket(desk)
    seen: list[int] = []

    def record(message: ThreadMessage | None, current: Ticket | None) -> Recording:
        assert current is not None
        seen.append(current.version)
        if len(seen) == 1:
            changed = TicketUpdate(current, {"priority": "high"})
            desk.store.update_ticket(changed, [TicketEvent(current.ref, desk.now(), "priority_changed", "x")])
        return Recording(_event(current, desk).events, TicketUpdate(current, {"tags": ("answered",)}))

    # When the mechanism records the mail over the version it had
    result = send_once(_once(desk, ticket), desk.ports, record, ticket=ticket)

    # Then it read the ticket again and recorded over the agent's change, keeping both
    assert result.outcome is SendOutcome.SENT and seen == [ticket.version, ticket.version + 1]
    after = desk.store.get_ticket(ticket.ref)
    assert after is not None and (after.priority, after.tags) == ("high", ("answered",))
    assert len(_sent_of(desk, ticket)) == 1


def test_rate_limits_are_counted_with_the_claim(desk: Desk) -> None:
    ticket = _ticket(desk)
    window = RateLimit("test-window", 1, int((desk.now() + timedelta(hours=1)).timestamp()))
    first = send_once(_once(desk, ticket, "one", rate_limits=(window,)), desk.ports)
    second = send_once(_once(desk, ticket, "two", rate_limits=(window,)), desk.ports)

    assert (first.outcome, second.outcome) == (SendOutcome.SENT, SendOutcome.RATE_LIMITED)
    assert desk.ports.guards.counter_value("test-window") == 1
    assert desk.ports.guards.get(keys.reply_guard(ticket.ref, "two")) is None


def test_a_suppressed_recipient_stops_the_mail_before_anything_is_claimed(desk: Desk) -> None:
    from postdesk.hygiene.suppressions import Reason

    ticket = _ticket(desk)
    desk.ports.suppressions.suppress(ticket.requester_email, Reason.COMPLAINT, desk.now(), "abuse")
    once = _once(desk, ticket)

    result = send_once(once, desk.ports, _record(desk))

    assert result.outcome is SendOutcome.SUPPRESSED and ticket.requester_email in result.suppressed
    assert _sent_of(desk, ticket) == [] and desk.ports.guards.get(once.guard) is None
    assert desk.metrics.total("MailsSuppressed") == 1


def test_mail_outside_the_thread_is_sent_once_and_not_recorded_there(desk: Desk) -> None:
    ticket = _ticket(desk)
    once = replace(_once(desk, ticket), kind=MessageKind.TEAM_NOTICE, thread_unique=None, metric=None)

    outcomes = [send_once(once, desk.ports).outcome for _ in range(2)]

    assert outcomes == [SendOutcome.SENT, SendOutcome.ALREADY_SENT]
    assert len(_sent_of(desk, ticket)) == 1 and _recorded(desk, ticket) == []
    assert desk.store.lookup_message_ids([once.mail.message_id]) == {}
    assert all(
        m.direction is not Direction.OUTBOUND or m.kind is not MessageKind.TEAM_NOTICE
        for m in desk.store.thread(ticket.ref)
    )
