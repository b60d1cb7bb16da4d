"""An agent answers a ticket: the mail goes out through SES in the ticket's thread, and the ticket
records it (first response time, status after the reply, an event).

Human mail: no Auto-Submitted header. The same request (same ``request_id``) is sent once: the send
is claimed in the guards table before SES is called, as the acknowledgement is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from postdesk.clock import to_iso
from postdesk.errors import PostdeskError, TicketNotFound
from postdesk.mail.addressing import reply_address
from postdesk.mail.compose import OutboundMail, compose, derived_message_id, ticket_thread_id
from postdesk.mail.model import Address
from postdesk.observability import logger
from postdesk.rendering import render_mail
from postdesk.settings import Settings
from postdesk.tickets.model import Direction, MessageKind, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.store import ClaimResult, message_key, open_queue_for, ticket_storage_changes
from postdesk.workflows.ports import Ports

MAX_BODY_CHARS = 100_000


class EmptyReply(PostdeskError):
    """A reply needs some text."""


class ReplyTooLarge(PostdeskError):
    """The reply is over the size limit."""


class DuplicateRequest(PostdeskError):
    """This request was already handled (or is being handled) under the same request id."""


@dataclass(frozen=True, slots=True)
class AgentReply:
    ref: str
    agent_email: str
    agent_name: str
    body: str
    request_id: str
    status_after: Status = Status.PENDING


def subject_for_reply(ticket: Ticket) -> str:
    subject = ticket.subject
    token = f"[#{ticket.ref}]"
    if token not in subject:
        subject = f"{token} {subject}"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _paragraphs(body: str) -> list[list[str]]:
    blocks = [block.strip("\n") for block in body.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


def send_reply(request: AgentReply, settings: Settings, ports: Ports) -> ThreadMessage:
    """Send the agent's reply and record it; raises TicketNotFound, EmptyReply, ReplyTooLarge,
    DuplicateRequest."""
    body = request.body.strip()
    if not body:
        raise EmptyReply("the reply has no text")
    if len(body) > MAX_BODY_CHARS:
        raise ReplyTooLarge(f"the reply is over {MAX_BODY_CHARS} characters")
    ticket = ports.store.get_ticket(request.ref)
    if ticket is None:
        raise TicketNotFound(request.ref)
    now = ports.clock()
    guard_key = f"reply#{request.ref}#{request.request_id}"
    domain = settings.support_domain
    message_id = derived_message_id("reply", f"{request.ref}:{request.request_id}", domain)
    if ports.store.claim(guard_key, state="sending", now=now, ref=ticket.ref) is not ClaimResult.CLAIMED:
        raise DuplicateRequest(f"request {request.request_id} was already sent")

    thread = ports.store.thread(ticket.ref)
    inbound = [m for m in thread if m.direction is Direction.INBOUND and m.message_id]
    known_ids = [m.message_id for m in thread if m.message_id]
    thread_id = ticket_thread_id(ticket.ref, domain)
    signature = (
        f"{request.agent_name}\n{settings.support_name}" if request.agent_name else settings.support_name
    )
    rendered = render_mail(
        "reply",
        ticket.language,
        {
            "body": body,
            "paragraphs": _paragraphs(body),
            "signature": signature,
            "ref": ticket.ref,
            "subject": ticket.subject,
        },
        fallback="en",
    )
    display = (
        f"{request.agent_name} ({settings.support_name})" if request.agent_name else settings.support_name
    )
    outbound = OutboundMail(
        sender=Address(display, settings.support_address),
        to=(Address(ticket.requester_name, ticket.requester_email),),
        cc=tuple(Address("", address) for address in ticket.cc),
        subject=subject_for_reply(ticket),
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        date=now,
        reply_to=reply_address(settings.support_address, ticket.ref, ports.signing_key()),
        in_reply_to=inbound[-1].message_id if inbound else None,
        references=(*[i for i in known_ids if i], thread_id),
    )
    try:
        ses_id = ports.mailer.send_raw(settings.support_address, outbound.recipients, compose(outbound))
    except Exception:
        # Nothing went out: let the agent (or the client's retry) send it again.
        ports.store.release_guard(guard_key, "sending")
        raise
    ses_header_id = ports.mailer.ses_message_id_header(ses_id)
    sent = ThreadMessage(
        ref=ticket.ref,
        key=message_key(now, f"reply-{request.request_id}"),
        direction=Direction.OUTBOUND,
        kind=MessageKind.AGENT_REPLY,
        at=now,
        subject=outbound.subject,
        from_email=request.agent_email,
        from_name=request.agent_name,
        message_id=ses_header_id,
        ses_id=ses_id,
        text=body,
        text_key=None,
        raw_key=None,
        to=(ticket.requester_email,),
        cc=ticket.cc,
    )
    changes: dict[str, object] = {"status": request.status_after, "updated_at": now, "waiting_since": now}
    if ticket.first_response_at is None:
        changes["first_response_at"] = now
    changes["open_queue"] = open_queue_for(replace(ticket, status=request.status_after))
    event = TicketEvent(
        ref=ticket.ref,
        at=now,
        kind="agent_replied",
        event_id=f"reply:{request.request_id}",
        actor=request.agent_email,
        detail={"ses_message_id": ses_id, "status_after": request.status_after.value},
    )
    ports.store.finish_guard(
        guard_key,
        from_state="sending",
        to_state="sent",
        detail={"ses_message_id": ses_id, "sent_at": to_iso(now)},
        messages=[sent],
        events=[event],
        ticket_changes=(ticket.ref, ticket_storage_changes(**changes)),
    )
    ports.store.index_message_ids(ticket.ref, [ses_header_id, message_id, thread_id], Direction.OUTBOUND)
    ports.metrics.count("AgentReplies")
    logger.info("agent reply sent", extra={"ref": ticket.ref})
    return sent
