"""Our mails in a ticket's thread are addressed and threaded alike: from the address the ticket came
in on (its mailbox, mailboxes.py), answering the mail they follow (In-Reply-To), naming the thread
before them and the ticket's own id (References, which clients copy into their answers), with a
Reply-To signed for the ticket (a plus-address of its mailbox) that brings an answer back to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from postdesk.effects import keys
from postdesk.mail.addressing import reply_address
from postdesk.mail.compose import OutboundMail, quoted_lines
from postdesk.mail.model import Address
from postdesk.rendering import RenderedMail, render_mail
from postdesk.replies.markdown import markdown_to_text
from postdesk.replies.variables import ReplyVariables
from postdesk.settings import Settings
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket

# Lines of the agent's last reply an automatic mail quotes (the pending reminder: what we asked).
LAST_REPLY_LINES = 8


def reply_subject(ticket: Ticket) -> str:
    """``Re: [#K7Q2-M9XD] <subject>``: the ticket's token once, and one "Re:"."""
    subject = ticket.subject
    token = f"[#{ticket.ref}]"
    if token not in subject:
        subject = f"{token} {subject}"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def desk_name(ticket: Ticket, settings: Settings) -> str:
    """The name the desk writes to ``ticket``'s customer under: the brand of its mailbox."""
    return settings.mailboxes.of_ticket(ticket.mailbox).brand


def agent_sender_name(agent_name: str, ticket: Ticket, settings: Settings) -> str:
    """The From name of a mail an agent writes about ``ticket``: "Sam Lee (Example Billing)", or
    the brand alone when the agent has no name."""
    brand = desk_name(ticket, settings)
    return f"{agent_name} ({brand})" if agent_name else brand


def ticket_variables(ticket: Ticket, agent_name: str, settings: Settings) -> ReplyVariables:
    """What the variables of a text an agent writes about ``ticket`` stand for (replies, forwards'
    notes, the saved-reply preview): its customer, its reference and subject, the agent, and the
    brand of its mailbox."""
    return ReplyVariables(
        customer_name=ticket.requester_name,
        customer_email=ticket.requester_email,
        ticket_ref=ticket.ref,
        ticket_subject=ticket.subject,
        agent_name=agent_name,
        support_name=desk_name(ticket, settings),
    )


def thread_mail(
    ticket: Ticket,
    rendered: RenderedMail,
    *,
    settings: Settings,
    key: bytes,
    sender_name: str,
    to: tuple[Address, ...],
    subject: str,
    message_id: str,
    now: datetime,
    answering: str | None,
    earlier: Sequence[str],
    cc: tuple[Address, ...] = (),
    bcc: tuple[Address, ...] = (),
    auto_submitted: str | None = None,
) -> OutboundMail:
    """One mail of ours in ``ticket``'s thread, from its mailbox: ``answering`` is the Message-ID of
    the mail it answers, ``earlier`` the ids of the thread before it, oldest first. Message-IDs stay
    on the support address's domain whatever the mailbox (effects/keys.py derives them, and the
    desk recognises its own by them)."""
    mailbox = settings.mailboxes.of_ticket(ticket.mailbox)
    return OutboundMail(
        sender=Address(sender_name, mailbox.address),
        to=to,
        cc=cc,
        # Destinations only: compose writes no Bcc header.
        bcc=bcc,
        subject=subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        date=now,
        reply_to=reply_address(mailbox.address, ticket.ref, key),
        in_reply_to=answering,
        references=(*earlier, keys.ticket_thread_id(ticket.ref, settings.support_domain)),
        auto_submitted=auto_submitted,
    )


def automatic_mail(
    ticket: Ticket,
    template: str,
    context: Mapping[str, Any],
    thread: Sequence[ThreadMessage],
    *,
    settings: Settings,
    key: bytes,
    message_id: str,
    now: datetime,
    cc: tuple[Address, ...] = (),
) -> tuple[OutboundMail, str]:
    """A mail the desk sends ``ticket``'s customer by itself (the survey, the pending reminder, the
    closing message): ``template`` in the ticket's language (its variables: the reference, the
    subject, the customer's name, the brand, and ``context``), from the brand, with the subject of a
    reply, answering the last mail of ``thread``; ``last_reply_lines``, the start of what an agent
    last wrote to the customer, as its mail's text part showed it. Also the language it is in."""
    rendered = render_mail(
        template,
        ticket.language,
        {
            "ref": ticket.ref,
            "subject": ticket.subject,
            "customer_name": ticket.requester_name,
            "support_name": desk_name(ticket, settings),
            "last_reply_lines": last_reply_lines(thread),
            **context,
        },
        fallback=settings.default_language,
    )
    known_ids = [message.message_id for message in thread if message.message_id]
    mail = thread_mail(
        ticket,
        rendered,
        settings=settings,
        key=key,
        sender_name=desk_name(ticket, settings),
        to=(Address(ticket.requester_name, ticket.requester_email),),
        cc=cc,
        subject=reply_subject(ticket),
        message_id=message_id,
        now=now,
        answering=known_ids[-1] if known_ids else None,
        earlier=known_ids,
        # Mail the desk sends by itself (RFC 3834): out-of-office replies must not answer it.
        auto_submitted="auto-generated",
    )
    return mail, rendered.language


def last_reply_lines(thread: Sequence[ThreadMessage]) -> list[str]:
    """The first lines of the last reply an agent wrote to the customer (not the desk's own automatic
    mail, which shares its kind), as plain text; none when no agent has replied."""
    for message in reversed(thread):
        written = message.key.split("#", 2)[-1].startswith("reply-")
        if message.direction is Direction.OUTBOUND and message.kind is MessageKind.AGENT_REPLY and written:
            return quoted_lines(markdown_to_text(message.text or ""), LAST_REPLY_LINES)
    return []
