"""The one way the desk sends a mail of its own: exactly once, whatever is retried, duplicated or
crashes. Acknowledgements, agents' replies, surveys and notices to the team all go through
:func:`send_once`; a new kind of mail is one call to it.

claim → send → record → index → count:

1. the suppression list is asked about every recipient: a suppressed one stops the mail (nothing is
   claimed, so a retry after the address is cleared may send it);
2. the guard (effects/keys.py) is claimed in state ``sending``, together with any rate limits, in one
   conditional write: another attempt that finds it sends nothing;
3. SES sends the MIME; when that raises, the error is raised and, for mail a person asked for (an
   agent's reply, a survey), the guard is released so that a retry may send it. An automatic
   acknowledgement keeps its guard: a send that raised may still have gone out, and a customer must
   never get two;
4. one transaction moves the guard to ``sent`` and writes what records the mail: the thread message,
   the caller's events and ticket update, and the Message-IDs it carries (SES's and ours), so that a
   reply to it finds the ticket. When the ticket changed meanwhile, the record is made again over
   the new version (the mail is out: it is recorded, never lost);
5. the metric is counted.

A crash between 3 and 4 leaves the guard in ``sending``: every later attempt finds it, sends nothing,
and is told UNCONFIRMED (our own Message-ID of the mail is indexed then, so an answer still threads).
At most once is the promise; exactly once whenever the function lives through step 4.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from postdesk.clock import to_iso
from postdesk.effects.guards import ClaimResult, Guard, GuardMove, GuardState, RateLimit
from postdesk.effects.keys import thread_message_key
from postdesk.effects.retry import retry_on_conflict
from postdesk.mail.compose import OutboundMail, compose
from postdesk.mail.recipients import check_recipient_count
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import (
    AttachmentRef,
    Direction,
    MessageKind,
    ThreadMessage,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from postdesk.hygiene.suppressions import Suppression
    from postdesk.ports import Ports


class SendOutcome(StrEnum):
    SENT = "sent"
    # An earlier attempt sent it and recorded it.
    ALREADY_SENT = "already_sent"
    # An earlier attempt claimed it and never recorded it (it crashed, or it is still at work).
    UNCONFIRMED = "unconfirmed"
    # A recipient is on the suppression list (or an earlier attempt decided so).
    SUPPRESSED = "suppressed"
    # The claim would go over a rate limit.
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class OnceMail:
    """One mail of ours and what keeps it to once."""

    # The guard's key (effects/keys.py): the same cause names the same guard.
    guard: str
    ref: str
    mail: OutboundMail
    kind: MessageKind
    # What the mail is recorded as in the ticket's thread: the unique end of its key
    # (``ack-<ses id>``, ``reply-<request>``...); None for mail that is not part of the thread
    # (notices to the team), which is neither recorded there nor indexed.
    thread_unique: str | None
    # Counted once the mail is recorded (None: not counted).
    metric: str | None = None
    rate_limits: Sequence[RateLimit] = ()
    # Who wrote it and what, when that is not the sender and the text part (an agent's Markdown).
    author: tuple[str, str] | None = None
    recorded_text: str | None = None
    # The ticket's expiry while it is closed: what records the mail goes when the ticket goes.
    expires_at: datetime | None = None
    # Whether a send that raised may be tried again (see step 3 above).
    retry_failed_send: bool = True
    # Whether a mail the suppression list stops counts as MailsSuppressed (a caller with a metric of
    # its own for it says no).
    count_suppressed: bool = True
    # Where the files the mail carries are kept (in the ticket's S3 prefix, so erasure and retention
    # take them with it): the thread message names them.
    attachments: tuple[AttachmentRef, ...] = ()
    # How the thread message is recorded (a forward to a third party is internal: never shown to
    # the customer).
    direction: Direction = Direction.OUTBOUND


@dataclass(frozen=True, slots=True)
class Recording:
    """What the caller records with the mail, in the same transaction."""

    events: Sequence[TicketEvent] = ()
    update: TicketUpdate | None = None


# Given the thread message (None for mail outside the thread) and the ticket as it is now (when the
# caller asked for it to be read again), what to record.
Record = Callable[[ThreadMessage | None, Ticket | None], Recording]


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    # The thread message as recorded, and what the caller recorded with it (SENT only).
    message: ThreadMessage | None = None
    recording: Recording = field(default_factory=Recording)
    # The ticket the recording was made over (when the caller passed one).
    ticket: Ticket | None = None
    # Who is suppressed (SUPPRESSED by the list now), by address.
    suppressed: Mapping[str, Suppression] = field(default_factory=dict)
    # The guard an earlier attempt left (ALREADY_SENT, UNCONFIRMED, SUPPRESSED from before).
    earlier: Guard | None = None


def send_once(
    once: OnceMail,
    ports: Ports,
    record: Record | None = None,
    *,
    ticket: Ticket | None = None,
) -> SendResult:
    """Send ``once.mail`` unless it went out before, and record it (see the module docstring).
    ``record`` says what to write with it; given a ``ticket``, the record is made over that version
    of it, and over each newer one while agents' changes cross it."""
    # SES would refuse the whole message: refused here, before anything is claimed, so a retry of the
    # same request gets the same clear answer.
    check_recipient_count(len(once.mail.recipients))
    now = ports.clock()
    suppressed = ports.suppressions.check(once.mail.recipients)
    if suppressed:
        if once.count_suppressed:
            ports.metrics.count("MailsSuppressed", {"kind": once.kind.value})
        return SendResult(SendOutcome.SUPPRESSED, suppressed=suppressed)
    claimed = ports.guards.claim(
        once.guard,
        GuardState.SENDING,
        now,
        ref=once.ref,
        detail={"message_id": once.mail.message_id},
        rate_limits=once.rate_limits,
    )
    if claimed.result is ClaimResult.RATE_LIMITED:
        return SendResult(SendOutcome.RATE_LIMITED)
    if claimed.result is ClaimResult.ALREADY_CLAIMED:
        return _claimed_before(once, claimed.existing, ports)

    try:
        ses_id = ports.mailer.send_raw(once.mail.sender.email, once.mail.recipients, compose(once.mail))
    except Exception:
        if once.retry_failed_send:
            ports.guards.release(once.guard, GuardState.SENDING)
        raise

    header_id = ports.mailer.ses_message_id_header(ses_id)
    message = _thread_message(once, now, ses_id, header_id)
    # Indexed under the direction the mail is recorded with: an answer to a forward (internal) is
    # told from a customer's answer by it (workflows/ingest.py).
    index = {header_id: once.direction, once.mail.message_id: once.direction} if message else {}
    sent = GuardMove(
        once.guard,
        GuardState.SENDING,
        GuardState.SENT,
        {"message_id": once.mail.message_id, "ses_message_id": ses_id, "sent_at": to_iso(now)},
    )

    def write(current: Ticket | None) -> tuple[Recording, Ticket | None]:
        recording = record(message, current) if record is not None else Recording()
        ports.store.finish_guard(
            sent,
            events=recording.events,
            messages=[message] if message else [],
            update=recording.update,
            expires_at=once.expires_at,
            index=index,
            ref=once.ref,
        )
        return recording, current

    if ticket is None:
        recording, current = write(None)
    else:
        recording, current = retry_on_conflict(write, once.ref, ports.store, ticket=ticket)
    if once.metric:
        ports.metrics.count(once.metric)
    return SendResult(SendOutcome.SENT, message, recording, current)


def _claimed_before(once: OnceMail, guard: Guard | None, ports: Ports) -> SendResult:
    """Another attempt claimed this mail (``guard``, as the refused claim found it): never send it
    again; say what that attempt got to."""
    if guard is not None and guard.state is GuardState.SENT:
        return SendResult(SendOutcome.ALREADY_SENT, earlier=guard)
    if guard is not None and guard.state is GuardState.SUPPRESSED:
        return SendResult(SendOutcome.SUPPRESSED, earlier=guard)
    if once.thread_unique is not None:
        # It may have gone out: an answer to it must still find the ticket.
        ports.store.index_message_ids(
            once.ref, [once.mail.message_id], once.direction, expires_at=once.expires_at
        )
    return SendResult(SendOutcome.UNCONFIRMED, earlier=guard)


def _thread_message(once: OnceMail, now: datetime, ses_id: str, header_id: str) -> ThreadMessage | None:
    if once.thread_unique is None:
        return None
    mail = once.mail
    return ThreadMessage(
        ref=once.ref,
        key=thread_message_key(now, once.thread_unique),
        direction=once.direction,
        kind=once.kind,
        at=now,
        subject=mail.subject,
        from_email=once.author[0] if once.author else mail.sender.email,
        from_name=once.author[1] if once.author else mail.sender.name,
        message_id=header_id,
        ses_id=ses_id,
        text=mail.text if once.recorded_text is None else once.recorded_text,
        text_key=None,
        raw_key=None,
        to=tuple(address.email for address in mail.to),
        cc=tuple(address.email for address in mail.cc),
        bcc=tuple(address.email for address in mail.bcc),
        attachments=once.attachments,
    )
