"""An agent forwards messages of a ticket to a third party (a supplier, a carrier, another team), with a
note, and the third party's answer comes back to the same ticket.

The mail goes to the addresses the agent names and to nobody else: never the requester, never the
ticket's Cc or Bcc, never one of the desk's own addresses (each refused in words). It quotes every
forwarded message in a "Forwarded message" block (From, Date, Subject, To, the text), in the text and
the HTML part, carries their files when asked, and is signed as a reply is (workflows/reply.py). Its
Reply-To is a plus-address signed for this one forward (mail/addressing.py ``forward_address``), and
its Message-IDs are indexed as internal, so the answer finds the ticket by either: it lands there as
an internal message (``MessageKind.THIRD_PARTY``, workflows/ingest.py), never acknowledged, never
mailed to the customer.

The forward is recorded in the thread as internal (``MessageKind.FORWARD``): the customer never sees
it. It changes nothing of the ticket (no status, no SLA clock, no first response): it is work done
for the customer, not an answer to them. Once per request, through the send-once mechanism
(effects/send_once.py), as every mail of the desk is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from email.utils import format_datetime, formataddr

from postdesk.attachments.outgoing import MailFiles, attachment_id, files_for_mail
from postdesk.aws.s3 import BlobNotFound
from postdesk.effects import keys
from postdesk.effects.send_once import OnceMail, Recording, send_once
from postdesk.errors import Invalid, TicketNotFound, TooLarge
from postdesk.mail.addressing import ForwardAddressCheck, forward_address
from postdesk.mail.model import Address, ParsedMessage
from postdesk.mail.recipients import check_recipient_count
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.replies.markdown import reply_parts
from postdesk.settings import Settings
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.states import require_released, require_unmerged
from postdesk.tickets.store import IndexEntry
from postdesk.tickets.threading import MatchedBy, referenced_ids
from postdesk.workflows.reply import AgentReply, reply_mail, reply_sign_off, requested_mail_sent
from postdesk.workflows.thread_mail import agent_sender_name, thread_mail, ticket_variables

MAX_NOTE_CHARS = 100_000
# A forward quotes a handful of messages; a whole long thread is better summed up in the note.
MAX_FORWARDED_MESSAGES = 20
# Each forwarded text is quoted up to this many characters (a long mail's raw form stays on the ticket).
MAX_QUOTED_CHARS = 100_000
# What a third party may be sent: what the customer and the agents wrote, and earlier answers of
# third parties. Automatic mail, held mail and internal notes are not forwarded.
FORWARDABLE = frozenset({MessageKind.CUSTOMER, MessageKind.AGENT_REPLY, MessageKind.THIRD_PARTY})


class InvalidForward(Invalid):
    """The forward cannot go as asked (no recipient, a recipient it may never go to, a message that
    cannot be forwarded); the message says which and why."""


class ForwardTooLarge(TooLarge):
    """The note is over the size limit."""


@dataclass(frozen=True, slots=True)
class ForwardRequest:
    ref: str
    agent_email: str
    agent_name: str
    # The third party: checked addresses, lower case (api/forwards.py normalizes them).
    to: tuple[str, ...]
    note: str
    request_id: str
    cc: tuple[str, ...] = ()
    # The thread messages forwarded, by their keys; None: the customer's latest message.
    messages: tuple[str, ...] | None = None
    # Files to carry besides (uploads, or files of the thread, by id: attachments/outgoing.py).
    attachments: tuple[str, ...] = ()
    # Whether the files of the forwarded messages go with them, as a mail client forwards them.
    include_attachments: bool = True
    agent_signature: Mapping[str, str] = field(default_factory=dict)


def forward_subject(ticket: Ticket) -> str:
    """``Fwd: [#K7Q2-M9XD] <subject>``: the ticket's token once."""
    token = f"[#{ticket.ref}]"
    subject = ticket.subject if token in ticket.subject else f"{token} {ticket.subject}"
    return f"Fwd: {subject}"


def _is_own(address: str, settings: Settings) -> bool:
    """One of the desk's addresses, or a plus-address of one (a signed Reply-To of ours)."""
    local, _, domain = address.rpartition("@")
    return (
        address in settings.own_addresses or f"{local.partition('+')[0]}@{domain}" in settings.own_addresses
    )


def checked_recipients(
    ticket: Ticket, to: Sequence[str], cc: Sequence[str], settings: Settings
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(To, Cc) of the forward, each address once; InvalidForward for an address it may never go to
    (the customer and those copied on the ticket hear from the desk by replies only), and
    TooManyRecipients past what one mail may have."""
    chosen_to = tuple(dict.fromkeys(to))
    if not chosen_to:
        raise InvalidForward("A forward needs at least one address in `to`: the third party it goes to.")
    chosen_cc = tuple(address for address in dict.fromkeys(cc) if address not in chosen_to)
    on_ticket = {ticket.requester_email.lower(): "the ticket's requester"}
    on_ticket.update({address.lower(): "copied on the ticket (Cc)" for address in ticket.cc})
    on_ticket.update({address.lower(): "copied on the ticket (Bcc)" for address in ticket.bcc})
    for address in (*chosen_to, *chosen_cc):
        if address in on_ticket:
            raise InvalidForward(
                f"{address} is {on_ticket[address]}: a forward goes to a third party and never to the "
                "customer or those copied on the ticket. Answer them with a reply."
            )
        if _is_own(address, settings):
            raise InvalidForward(
                f"{address} is one of the desk's own addresses: a forward goes to a third party."
            )
    check_recipient_count(
        len(chosen_to) + len(chosen_cc), f"{len(chosen_to)} in To and {len(chosen_cc)} in Cc"
    )
    return chosen_to, chosen_cc


def chosen_messages(
    thread: Sequence[ThreadMessage], keys_wanted: Sequence[str] | None
) -> list[ThreadMessage]:
    """The messages to forward, in the thread's order: those named (InvalidForward for one the
    thread lacks or that is not forwardable), or, when none are named, the customer's latest."""
    if keys_wanted is None:
        latest = [m for m in thread if m.kind is MessageKind.CUSTOMER and m.direction is Direction.INBOUND]
        if not latest:
            raise InvalidForward(
                "This ticket has no message from the customer to forward: name the messages in `messages` "
                "(an empty list forwards only the note)."
            )
        return latest[-1:]
    wanted = list(dict.fromkeys(keys_wanted))
    if len(wanted) > MAX_FORWARDED_MESSAGES:
        raise InvalidForward(
            f"A forward quotes at most {MAX_FORWARDED_MESSAGES} messages; this one names {len(wanted)}."
        )
    by_key = {m.key: m for m in thread}
    for key in wanted:
        message = by_key.get(key)
        if message is None:
            raise InvalidForward(f"The ticket has no message {key}.")
        if message.kind not in FORWARDABLE:
            what = message.kind.value.replace("_", " ")
            raise InvalidForward(
                f"The message {key} ({what}) is not forwarded: only the customer's messages, the agents' "
                "replies and third parties' answers are."
            )
    chosen = set(wanted)
    return [m for m in thread if m.key in chosen]


def _full_text(message: ThreadMessage, ports: Ports) -> str:
    """The message's whole text (a long one is kept in S3), cut at :data:`MAX_QUOTED_CHARS`."""
    text = message.text or ""
    if message.text_key:
        # When the bucket's lifecycle rule removed the long text, its preview is what is left.
        with suppress(BlobNotFound):
            text = ports.blobs.get(message.text_key).decode("utf-8", "replace")
    if len(text) > MAX_QUOTED_CHARS:
        return f"{text[:MAX_QUOTED_CHARS]}\n[… the rest of this message is on the ticket]"
    return text


def _quoted(message: ThreadMessage, ports: Ports) -> dict[str, str]:
    return {
        "from": formataddr((message.from_name, message.from_email))
        if message.from_email
        else message.from_name,
        "date": format_datetime(message.at),
        "subject": message.subject,
        "to": ", ".join(message.to),
        "cc": ", ".join(message.cc),
        "text": _full_text(message, ports),
    }


def _files(
    ticket: Ticket,
    request: ForwardRequest,
    chosen: Sequence[ThreadMessage],
    thread: Sequence[ThreadMessage],
    settings: Settings,
    ports: Ports,
) -> MailFiles:
    """The files the forward carries: those of the forwarded messages (when asked), then the others
    named, each once."""
    carried = [attachment_id(a) for m in chosen for a in m.attachments] if request.include_attachments else []
    wanted = tuple(dict.fromkeys((*carried, *request.attachments)))
    return files_for_mail(ticket.ref, wanted, thread, settings, ports, unique=f"forward:{request.request_id}")


def _note(ticket: Ticket, request: ForwardRequest, settings: Settings) -> tuple[str, str, str]:
    """(stored, text, html) of the note: Markdown with the reply variables, made as a reply's body is;
    all empty when there is no note (or only variables with no value)."""
    if not request.note.strip():
        return "", "", ""
    parts = reply_parts(request.note, ticket_variables(ticket, request.agent_name, settings))
    if len(parts.text) > MAX_NOTE_CHARS:
        raise ForwardTooLarge(f"the note is over {MAX_NOTE_CHARS} characters")
    return (parts.text, parts.plain, parts.html) if parts.text else ("", "", "")


def send_forward(request: ForwardRequest, settings: Settings, ports: Ports) -> ThreadMessage:
    """Forward the chosen messages to the third party and record it (see the module docstring).
    Raises TicketNotFound, TicketMerged, TicketHeld, InvalidForward, ForwardTooLarge,
    TooManyRecipients, the attachments' refusals (attachments/outgoing.py), InvalidReplyTemplate,
    RecipientSuppressed, DuplicateRequest."""
    if len(request.note.strip()) > MAX_NOTE_CHARS:
        raise ForwardTooLarge(f"the note is over {MAX_NOTE_CHARS} characters")
    ticket = ports.store.get_ticket(request.ref)
    if ticket is None:
        raise TicketNotFound(request.ref)
    require_released(require_unmerged(ticket))
    to, cc = checked_recipients(ticket, request.to, request.cc, settings)
    thread = ports.store.thread(ticket.ref)
    chosen = chosen_messages(thread, request.messages)
    stored, note_text, note_html = _note(ticket, request, settings)
    if not stored and not chosen:
        raise InvalidForward("Nothing to forward: write a note or choose a message.")
    files = _files(ticket, request, chosen, thread, settings, ports)
    # Signed as a reply is, in the desk's language: the third party is the desk's contact, not the
    # customer.
    signer = AgentReply(
        ref=ticket.ref,
        agent_email=request.agent_email,
        agent_name=request.agent_name,
        body=stored,
        request_id=request.request_id,
        agent_signature=request.agent_signature,
    )
    sign_off = reply_sign_off(
        replace(ticket, language=settings.default_language), signer, note_text, settings
    )
    forwarded = [_quoted(m, ports) for m in chosen]
    rendered = reply_mail(
        note_text,
        note_html,
        sign_off,
        language=settings.default_language,
        ref=ticket.ref,
        subject=forward_subject(ticket),
        template="forward",
        extra={"forwarded": forwarded},
    )
    now = ports.clock()
    forward = keys.forward_id(ticket.ref, request.request_id)
    key = ports.signing_key()
    mail = thread_mail(
        ticket,
        rendered,
        settings=settings,
        key=key,
        sender_name=agent_sender_name(request.agent_name, ticket, settings),
        to=tuple(Address("", address) for address in to),
        cc=tuple(Address("", address) for address in cc),
        subject=forward_subject(ticket),
        message_id=keys.forward_message_id(ticket.ref, forward, settings.support_domain),
        now=now,
        answering=None,
        earlier=(),
    )
    # A conversation of its own: the answer comes back by this Reply-To and these ids, never by the
    # customer's (the forward names none of the customer's Message-IDs or the ticket's thread id).
    mail = replace(
        mail,
        reply_to=forward_address(mail.sender.email, ticket.ref, forward, key),
        in_reply_to=None,
        references=(),
        attachments=files.files,
    )

    def record(sent: ThreadMessage | None, _: Ticket | None) -> Recording:
        assert sent is not None
        detail = {
            "key": sent.key,
            "forward": forward,
            "to": ", ".join(to)[:2000],
            "messages": str(len(chosen)),
            "files": str(len(files.refs)),
        }
        if cc:
            detail["cc"] = ", ".join(cc)[:2000]
        return Recording(
            [
                TicketEvent(
                    ref=ticket.ref,
                    at=now,
                    kind="forwarded",
                    event_id=f"forward:{forward}",
                    actor=request.agent_email,
                    detail=detail,
                )
            ]
        )

    result = send_once(
        OnceMail(
            guard=keys.forward_guard(ticket.ref, request.request_id),
            ref=ticket.ref,
            mail=mail,
            kind=MessageKind.FORWARD,
            thread_unique=f"forward-{forward}",
            metric="ForwardsSent",
            author=(request.agent_email, request.agent_name),
            recorded_text=stored,
            # A closed ticket's forward goes when the ticket goes.
            expires_at=ticket.expires_at,
            attachments=files.refs,
            direction=Direction.INTERNAL,
        ),
        ports,
        record,
    )
    message = requested_mail_sent(result, request.request_id)
    logger.info("forward sent", extra={"ref": ticket.ref, "recipients": len(to) + len(cc)})
    return message


@dataclass(frozen=True, slots=True)
class ForwardAnswer:
    """Where a third party's mail goes: the ticket, how it was found, and the forward it answers
    (its id; None when it was found by a Message-ID, which the thread's forward carries)."""

    ref: str
    matched_by: MatchedBy
    forward: str | None = None


def answer_to_forward(
    message: ParsedMessage,
    recipients: Sequence[str],
    known: Mapping[str, IndexEntry],
    settings: Settings,
    key: bytes,
) -> ForwardAnswer | None:
    """The forward ``message`` answers, if it answers one: it came to a validly signed forward
    address, or the nearest Message-ID it answers that the index knows is a forward's (or a third
    party's earlier answer), indexed as internal. None for any other mail, and for one that came to
    a forward address of ours with a bad signature: that is the forged plus-address of
    tickets/threading.py, which decides it as it decides any other."""
    found, forged = ForwardAddressCheck(settings.own_addresses, key).find(recipients)
    if found is not None:
        return ForwardAnswer(found[0], MatchedBy.REPLY_ADDRESS, found[1])
    if forged:
        return None
    for message_id in referenced_ids(message):
        entry = known.get(message_id)
        if entry is not None:
            # The nearest id the desk knows decides: a customer's answer names ours, never these.
            return (
                ForwardAnswer(entry.ref, MatchedBy.MESSAGE_ID)
                if entry.direction is Direction.INTERNAL
                else None
            )
    return None
