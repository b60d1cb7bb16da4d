"""An agent answers a ticket: the mail goes out through SES in the ticket's thread, and the ticket
records it (first response time, status after the reply, an event).

The body is Markdown with variables (``{{ customer.first_name }}``...): the variables are replaced
first, the result is the stored text, its Markdown becomes the HTML part and, read back as a
person writes plain mail, the text part.

Human mail: no Auto-Submitted header. The same request (same ``request_id``) is sent once, through
the send-once mechanism (effects/send_once.py), as every mail of the desk is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from markupsafe import Markup

from postdesk.attachments.outgoing import files_for_mail
from postdesk.effects import keys
from postdesk.effects.send_once import OnceMail, Recording, SendOutcome, SendResult, send_once
from postdesk.errors import DuplicateRequest, Invalid, TicketNotFound, TooLarge
from postdesk.hygiene.suppressions import RecipientSuppressed
from postdesk.knowledge.links import linked_slugs, links_in_language
from postdesk.mail.model import Address
from postdesk.mail.recipients import MAX_TICKET_CC, check_recipient_count
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.rendering import RenderedMail, available_languages, render_mail
from postdesk.replies.markdown import reply_parts
from postdesk.replies.sign_off import SignOff, compose_sign_off, load_sign_off, sign_off_language
from postdesk.settings import Settings
from postdesk.sla.clocks import ClockEvent
from postdesk.tickets.model import (
    DONE_STATUSES,
    Direction,
    MessageKind,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)
from postdesk.tickets.states import require_released, require_unmerged, status_fields
from postdesk.workflows.collision import check_conversation
from postdesk.workflows.copies import copies_after, refuse_desk_addresses
from postdesk.workflows.sla import clocked_update
from postdesk.workflows.thread_mail import (
    agent_sender_name,
    desk_name,
    reply_subject,
    thread_mail,
    ticket_variables,
)
from postdesk.workflows.timers import after_change

MAX_BODY_CHARS = 100_000
# The articles one reply's event names (a reply linking more is a list, not an answer).
MAX_LINKED_ARTICLES = 20


class EmptyReply(Invalid):
    """A reply needs some text."""


class ReplyTooLarge(TooLarge):
    """The reply is over the size limit."""


@dataclass(frozen=True, slots=True)
class AgentReply:
    ref: str
    agent_email: str
    agent_name: str
    body: str
    request_id: str
    status_after: Status = Status.PENDING
    # The saved reply the body came from, if any: recorded in the ticket's event.
    saved_reply_id: str | None = None
    # The first mail of a ticket the agent started (workflows/new_ticket.py): its subject is the
    # ticket's, not an answer's ("Re: ...").
    first_mail: bool = False
    # The Cc addresses this reply goes to, and the ticket keeps from now on (checked, lower case);
    # None: the ticket's.
    cc: tuple[str, ...] | None = None
    # The Bcc addresses this reply goes to (checked, lower case; None: the ticket's). For this reply
    # only, unless ``keep_bcc``: then the ticket keeps them too (workflows/copies.py).
    bcc: tuple[str, ...] | None = None
    keep_bcc: bool = False
    # What the agent saw of the conversation (workflows/collision.py): a reply over messages they
    # have not read is not sent. None: not checked (an integration that names no marker, or "send
    # anyway").
    seen: frozenset[bytes] | None = None
    # The agent's signature, Markdown by language (agents/model.py); empty: they sign with their name.
    agent_signature: Mapping[str, str] = field(default_factory=dict)
    # The files the reply carries: upload ids and ids of files on the thread (attachments/outgoing.py).
    attachments: tuple[str, ...] = ()


def _reply_copies(
    ticket: Ticket, request: AgentReply, settings: Settings
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who the reply copies: the Cc and Bcc the request names, else the ticket's; never the
    requester, never twice (a Cc is not blind-copied too). InvalidCopy for a desk address named;
    TooManyRecipients when they and the requester are more than one mail may go to."""
    refuse_desk_addresses(request.cc or (), settings, "cc")
    refuse_desk_addresses(request.bcc or (), settings, "bcc")
    requester = ticket.requester_email.lower()
    chosen = ticket.cc if request.cc is None else request.cc
    cc = tuple(address for address in dict.fromkeys(chosen) if address != requester)
    blind = ticket.bcc if request.bcc is None else request.bcc
    bcc = tuple(address for address in dict.fromkeys(blind) if address != requester and address not in cc)

    def whose(given: tuple[str, ...] | None) -> str:
        return "the ticket's" if given is None else "the reply's"

    where = (
        f"the requester, {len(cc)} Cc addresses ({whose(request.cc)})"
        + (f" and {len(bcc)} Bcc addresses ({whose(request.bcc)})" if bcc else "")
        + f"; name the addresses that stay in the reply's `cc` and `bcc` (at most {MAX_TICKET_CC} together)"
    )
    check_recipient_count(1 + len(cc) + len(bcc), where)
    return cc, bcc


def checked_body(body: str) -> str:
    """The text of a mail an agent writes, stripped; EmptyReply or ReplyTooLarge if it cannot go."""
    text = body.strip()
    if not text:
        raise EmptyReply("the reply has no text")
    if len(text) > MAX_BODY_CHARS:
        raise ReplyTooLarge(f"the reply is over {MAX_BODY_CHARS} characters")
    return text


def _after_reply(
    ticket: Ticket, request: AgentReply, now: datetime
) -> tuple[dict[str, object], list[TicketEvent]]:
    """The ticket's changes after the reply: the status asked for (a resolved or closed ticket that
    is answered with an open status reopens in a new cycle) and the first response time."""
    reopened = ticket.status in DONE_STATUSES and request.status_after not in DONE_STATUSES
    changes = status_fields(request.status_after, ticket.cycle + 1 if reopened else ticket.cycle, now)
    changes["updated_at"] = now
    events: list[TicketEvent] = []
    if ticket.first_response_at is None:
        changes["first_response_at"] = now
    if reopened:
        events.append(
            TicketEvent(
                ref=ticket.ref,
                at=now,
                kind="reopened",
                event_id=f"reply:{request.request_id}:reopened",
                actor=request.agent_email,
                detail={
                    "from": ticket.status.value,
                    "to": request.status_after.value,
                    "cycle": str(ticket.cycle + 1),
                },
            )
        )
    return changes, events


def _saved_reply_used(ticket: Ticket, request: AgentReply) -> dict[str, object]:
    """The ticket remembers the saved reply the reply came from, so that its figures count what
    becomes of the ticket (resolutions, reopenings, ratings; tickets/stats.py)."""
    if not request.saved_reply_id or request.saved_reply_id in ticket.saved_replies:
        return {}
    return {"saved_replies": tuple(sorted({*ticket.saved_replies, request.saved_reply_id}))}


def article_links_in_language(body: str, language: str, settings: Settings, ports: Ports) -> str:
    """``body`` with its links to help-center articles in another language turned to ``language``
    (the ticket's) where the article is published in it: a saved reply written in English links the
    German article on a German ticket. The catalogue out of reach leaves the links as written."""
    try:
        return links_in_language(body, settings.survey.public_url, language, ports.catalogue.languages_of)
    except Exception:
        logger.exception("article links not turned to the ticket's language", extra={"language": language})
        ports.metrics.count("ArticleLinksNotTranslated")
        return body


def reply_sign_off(ticket: Ticket, request: AgentReply, body_text: str, settings: Settings) -> SignOff:
    """The one sign-off under the reply (replies/sign_off.py): in the ticket's language (the desk's
    when it does not answer in that one), under the brand of the ticket's mailbox, with the footer of
    that mailbox or of the ticket's queue."""
    return compose_sign_off(
        body_text,
        language=sign_off_language(ticket.language, settings.default_language, available_languages()),
        default_language=settings.default_language,
        agent_name=request.agent_name,
        agent_signature=request.agent_signature,
        support_name=desk_name(ticket, settings),
        queue=ticket.queue,
        mailbox=settings.mailboxes.of_ticket(ticket.mailbox).address,
        policy=load_sign_off(settings.sign_off_path),
    )


def reply_mail(
    body_text: str,
    body_html: str,
    sign_off: SignOff,
    *,
    language: str,
    ref: str,
    subject: str,
    template: str = "reply",
    extra: Mapping[str, object] | None = None,
) -> RenderedMail:
    """The mail an agent's reply is: the body's parts (replies/markdown.py), the one sign-off under
    them and the queue's footer, in the ticket's language (the saved-reply preview shows this too).
    Other mails an agent writes (a forward) use their own ``template`` with ``extra`` values."""
    return render_mail(
        template,
        language,
        {
            **(extra or {}),
            "body": body_text,
            # Safe as it is: markdown-it escapes every character of raw HTML in the body.
            "body_html": Markup(body_html),  # noqa: S704
            "signature": sign_off.text,
            "footer": sign_off.footer_text,
            # Safe as they are: Markdown the checks of replies/sign_off.py let through, rendered as
            # the body is (markdown-it escapes raw HTML).
            "signature_html": Markup(sign_off.html),  # noqa: S704
            "footer_html": Markup(sign_off.footer_html),  # noqa: S704
            "ref": ref,
            "subject": subject,
        },
        fallback="en",
    )


def send_reply(request: AgentReply, settings: Settings, ports: Ports) -> ThreadMessage:
    """Send the agent's reply and record it; raises TicketNotFound, EmptyReply, ReplyTooLarge,
    InvalidReplyTemplate, ConversationChanged (someone wrote since ``seen``), DuplicateRequest."""
    # Checked before and after the variables are replaced: before, so no work is done on a body that
    # is refused anyway; after, because the values make the text longer (or a body of only an empty
    # variable leaves nothing to send).
    checked_body(request.body)
    ticket = ports.store.get_ticket(request.ref)
    if ticket is None:
        raise TicketNotFound(request.ref)
    require_released(require_unmerged(ticket))
    cc, bcc = _reply_copies(ticket, request, settings)
    variables = ticket_variables(ticket, request.agent_name, settings)
    written = article_links_in_language(request.body, ticket.language, settings, ports)
    # The HTML and text parts come from the same body with the values escaped, so a customer's name
    # or subject is shown as it is written and never read as Markdown (a link, a heading). The text
    # part says what the HTML part shows, as a plain mail would: no Markdown marks, a link's address
    # after its words (the stored text keeps the Markdown the agent typed).
    parts = reply_parts(written, variables)
    body = checked_body(parts.text)
    body_html, body_text = parts.html, parts.plain
    now = ports.clock()
    domain = settings.support_domain
    thread = ports.store.thread(ticket.ref)
    check_conversation(
        request.seen,
        ticket,
        thread,
        request.agent_email,
        unique=f"reply-{request.request_id}",
        action="Nothing was sent.",
    )
    # After the collision check (nothing is copied for a reply that is not sent), named by the request
    # (a retry copies to the same keys).
    files = files_for_mail(
        ticket.ref, request.attachments, thread, settings, ports, unique=f"reply-{request.request_id}"
    )
    inbound = [m for m in thread if m.direction is Direction.INBOUND and m.message_id]
    known_ids = [m.message_id for m in thread if m.message_id]
    sign_off = reply_sign_off(ticket, request, body_text, settings)
    rendered = reply_mail(
        body_text, body_html, sign_off, language=ticket.language, ref=ticket.ref, subject=ticket.subject
    )
    outbound = thread_mail(
        ticket,
        rendered,
        settings=settings,
        key=ports.signing_key(),
        sender_name=agent_sender_name(request.agent_name, ticket, settings),
        to=(Address(ticket.requester_name, ticket.requester_email),),
        cc=tuple(Address("", address) for address in cc),
        bcc=tuple(Address("", address) for address in bcc),
        subject=f"[#{ticket.ref}] {ticket.subject}" if request.first_mail else reply_subject(ticket),
        message_id=keys.reply_message_id(ticket.ref, request.request_id, domain),
        now=now,
        answering=inbound[-1].message_id if inbound else None,
        earlier=[i for i in known_ids if i],
    )
    event_id = f"reply:{request.request_id}"

    def record(sent: ThreadMessage | None, current: Ticket | None) -> Recording:
        """The reply's changes over the ticket as it is now (agents may have changed it meanwhile)."""
        assert sent is not None and current is not None
        detail = {"ses_message_id": sent.ses_id or "", "status_after": request.status_after.value}
        if request.saved_reply_id:
            detail["saved_reply_id"] = request.saved_reply_id
        linked = linked_slugs(body, settings.survey.public_url)
        if linked:
            # The help-center articles the reply links to: each counts it (tickets/stats.py). Whole
            # slugs only, and few: a cut one would count an article that does not exist.
            detail["articles"] = ",".join(linked[:MAX_LINKED_ARTICLES])
        if cc != current.cc:
            detail["cc"] = ", ".join(cc)[:2000]
        if bcc:
            # Agents see who was blind-copied; the customer never does (privacy/export.py leaves it out).
            detail["bcc"] = ", ".join(bcc)[:2000]
            if request.keep_bcc and bcc != current.bcc:
                detail["bcc_kept"] = "yes"
        replied = TicketEvent(
            ref=current.ref,
            at=now,
            kind="agent_replied",
            event_id=event_id,
            actor=request.agent_email,
            detail=detail,
        )
        changes, events = _after_reply(current, request, now)
        changes.update(_saved_reply_used(current, request))
        # The Cc the agent chose stays on the ticket: the next reply goes to the same people. The
        # Bcc stays only when the agent asked to keep it.
        changes.update(copies_after(current, cc, bcc if request.keep_bcc else current.bcc))
        update, stopped = clocked_update(
            current, changes, ClockEvent.AGENT_REPLY, request.agent_email, now, event_id, settings
        )
        return Recording([replied, *events, *stopped], update)

    result = send_once(
        OnceMail(
            guard=keys.reply_guard(request.ref, request.request_id),
            ref=ticket.ref,
            mail=replace(outbound, attachments=files.files),
            kind=MessageKind.AGENT_REPLY,
            thread_unique=f"reply-{request.request_id}",
            metric="AgentReplies",
            author=(request.agent_email, request.agent_name),
            recorded_text=body,
            attachments=files.refs,
        ),
        ports,
        record,
        ticket=ticket,
    )
    message = requested_mail_sent(result, request.request_id)
    assert result.ticket is not None and result.recording.update is not None
    after_change(result.ticket, result.recording.update.after(), settings, ports, result.recording.events)
    logger.info("agent reply sent", extra={"ref": ticket.ref})
    return message


def requested_mail_sent(result: SendResult, request_id: str) -> ThreadMessage:
    """The message a mail an agent asked for (a reply, a forward) was recorded as. A suppressed
    recipient is refused in words the agent sees (RecipientSuppressed); a request an earlier attempt
    sent, or left unconfirmed, is a DuplicateRequest: nothing goes out twice."""
    if result.outcome is SendOutcome.SUPPRESSED and result.suppressed:
        raise RecipientSuppressed(dict(result.suppressed))
    if result.outcome is not SendOutcome.SENT or result.message is None:
        raise DuplicateRequest(f"request {request_id} was already sent")
    return result.message
