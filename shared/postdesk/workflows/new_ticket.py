"""A ticket an agent starts: the desk writes first (a customer to call back, an order to chase).

The ticket is made first, without a message, then its first mail goes out as any reply does
(workflows/reply.py: threaded, signed, through the send-once mechanism), so the customer's answer
lands on it by its Message-ID and signed Reply-To. Nobody is acknowledged; the survey follows a
resolution as for any ticket. The agent's mail counts as the ticket's first response: no
first-response clock runs and the reports' first-response times leave it out (it took no time).

Once per request: the ticket's guard (``new-ticket#<agent>#<request>``) is written with the ticket,
so a retry with the same Idempotency-Key finds the ticket instead of making a second, and sends its
first mail if the attempt before stopped short of it (the reply's own guard sends it once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from postdesk.attachments.outgoing import check_files
from postdesk.effects import keys
from postdesk.effects.guards import GuardClaim, GuardState
from postdesk.errors import ConcurrentUpdate, DuplicateRequest
from postdesk.hygiene.suppressions import RecipientSuppressed
from postdesk.mail.recipients import MAX_TICKET_CC, check_recipient_count
from postdesk.ports import Ports
from postdesk.rendering import available_languages
from postdesk.settings import Settings
from postdesk.tickets.model import PRIORITIES, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.refs import delivery_ref
from postdesk.tickets.store import Created
from postdesk.triage.language import detect
from postdesk.triage.rules import CATEGORIES, load_rules
from postdesk.workflows.copies import refuse_desk_addresses
from postdesk.workflows.reply import AgentReply, checked_body, send_reply
from postdesk.workflows.sla import new_ticket_clocks
from postdesk.workflows.ticket_work import InvalidEdit, checked_queue, checked_subject
from postdesk.workflows.timers import after_change

REF_CANDIDATES = 8
# What the agent may leave the ticket as once the mail is out (a new ticket is never "new").
START_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED)


@dataclass(frozen=True, slots=True)
class NewTicket:
    agent_email: str
    agent_name: str
    requester_email: str
    requester_name: str
    subject: str
    body: str
    request_id: str
    cc: tuple[str, ...] = ()
    # Blind copies of the first mail; the ticket keeps them only with ``keep_bcc`` (as a reply's).
    bcc: tuple[str, ...] = ()
    keep_bcc: bool = False
    queue: str | None = None
    category: str | None = None
    priority: str = "normal"
    language: str | None = None
    status_after: Status = Status.PENDING
    # The agent's signature by language (their name when empty): the first mail is signed as a reply.
    agent_signature: Mapping[str, str] = field(default_factory=dict)
    # The files the first mail carries (upload ids; attachments/outgoing.py).
    attachments: tuple[str, ...] = ()
    # The desk's address the ticket's mail goes from (mailboxes.py); None: the queue's address, else
    # the main one.
    mailbox: str | None = None


@dataclass(frozen=True, slots=True)
class Started:
    ticket: Ticket
    # The first mail, or None when an earlier attempt of the same request sent it.
    message: ThreadMessage | None
    # False when an earlier attempt of the same request made the ticket.
    new: bool


def _language(request: NewTicket, settings: Settings) -> str:
    """The language asked for, else the one the body is written in, else the desk's."""
    known = available_languages()
    if request.language is not None:
        if request.language not in known:
            raise InvalidEdit(f"language must be one of {', '.join(sorted(known))}")
        return request.language
    found = detect(f"{request.subject}\n{request.body}")
    return found[0] if found and found[0] in known else settings.default_language


def _checked(request: NewTicket, settings: Settings, now: datetime) -> Ticket:
    """The ticket the request describes (its ref still empty), assigned to the agent who starts it;
    InvalidEdit, EmptyReply, ReplyTooLarge or TooManyRecipients when it cannot be."""
    checked_body(request.body)
    if request.priority not in PRIORITIES:
        raise InvalidEdit(f"priority must be one of {', '.join(PRIORITIES)}")
    if request.category is not None and request.category not in CATEGORIES:
        raise InvalidEdit(f"category must be one of {', '.join(CATEGORIES)}")
    if request.status_after not in START_STATUSES:
        raise InvalidEdit(f"status must be one of {', '.join(s.value for s in START_STATUSES)}")
    requester = request.requester_email.lower()
    cc = tuple(address for address in dict.fromkeys(request.cc) if address != requester)
    bcc = _blind_copies(request, cc)
    refuse_desk_addresses(cc, settings, "cc")
    refuse_desk_addresses(bcc, settings, "bcc")
    check_recipient_count(
        1 + len(cc) + len(bcc),
        f"the requester, {len(cc)} Cc and {len(bcc)} Bcc addresses (at most {MAX_TICKET_CC} together)",
    )
    rules = load_rules(settings.triage_rules_path)
    queue = checked_queue(request.queue, settings) if request.queue is not None else rules.default_queue
    return Ticket(
        ref="",
        subject=checked_subject(request.subject),
        requester_email=requester,
        requester_name=request.requester_name.strip(),
        cc=cc,
        status=Status.OPEN,
        queue=queue,
        priority=request.priority,
        language=_language(request, settings),
        created_at=now,
        updated_at=now,
        waiting_since=now,
        # The agent wrote first: that is the first response, and no clock waits for one.
        first_response_at=now,
        category=request.category or "general",
        assignee=request.agent_email.lower(),
        mailbox=_mailbox(request, queue, settings),
    )


def _mailbox(request: NewTicket, queue: str, settings: Settings) -> str:
    """The address the new ticket's mail goes from: the one the agent chose, else the queue's."""
    mailboxes = settings.mailboxes
    if request.mailbox is None:
        return mailboxes.of_queue(queue).address
    chosen = mailboxes.get(request.mailbox)
    if chosen is None:
        known = ", ".join(mailbox.address for mailbox in mailboxes.all)
        raise InvalidEdit(f"mailbox {request.mailbox[:80]!r} is not one of the desk's addresses: {known}")
    return chosen.address


def _blind_copies(request: NewTicket, cc: tuple[str, ...]) -> tuple[str, ...]:
    """The first mail's Bcc: never the requester, never a Cc address (who gets it named already)."""
    requester = request.requester_email.lower()
    named = dict.fromkeys(request.bcc)
    return tuple(address for address in named if address != requester and address not in cc)


def start_ticket(request: NewTicket, settings: Settings, ports: Ports) -> Started:
    """Make the ticket and send its first mail (see the module docstring). Raises InvalidEdit,
    EmptyReply, ReplyTooLarge, TooManyRecipients, RecipientSuppressed, InvalidReplyTemplate."""
    now = ports.clock()
    draft = _checked(request, settings, now)
    # Before anything is written: no ticket is left behind for a mail that may not go.
    recipients = [draft.requester_email, *draft.cc, *_blind_copies(request, draft.cc)]
    suppressed = ports.suppressions.check(recipients)
    if suppressed:
        raise RecipientSuppressed(suppressed)
    # The files too: a refused one must leave no ticket behind.
    check_files(request.attachments, settings, ports)
    key = ports.signing_key()
    guard = keys.new_ticket_guard(request.agent_email, request.request_id)
    ticket: Ticket | None = None
    new = False
    for candidate in range(REF_CANDIDATES):
        ref = delivery_ref(key, f"new:{guard}", candidate)
        made = new_ticket_clocks(replace(draft, ref=ref), settings)
        # Counted in the reports' volume like any new ticket (tickets/stats.py), by its channel.
        event = TicketEvent(
            ref=ref,
            at=now,
            kind="ticket_created",
            event_id=f"new:{request.request_id}",
            actor=request.agent_email,
            detail={
                "channel": "agent",
                "requester": made.requester_email,
                "category": made.category,
                "language": made.language,
                "queue": made.queue,
                "mailbox": made.mailbox or "",
            },
        )
        outcome, found = ports.store.create_ticket(
            made, None, [event], claim=GuardClaim(guard, GuardState.NEW, now, ref)
        )
        if outcome is Created.CREATED:
            ticket, new = made, True
            after_change(None, made, settings, ports, [event])
            ports.metrics.count("TicketsStartedByAgents")
            break
        if outcome is Created.CLAIMED_ELSEWHERE and found is not None and found.ref:
            # An earlier attempt of this request made it: finish what it began.
            ticket = ports.store.get_ticket(found.ref)
            break
    if ticket is None:
        raise ConcurrentUpdate("no free reference for the new ticket; try again")
    try:
        message: ThreadMessage | None = send_reply(
            AgentReply(
                ref=ticket.ref,
                agent_email=request.agent_email,
                agent_name=request.agent_name,
                body=request.body,
                request_id=request.request_id,
                status_after=request.status_after,
                first_mail=True,
                bcc=request.bcc,
                keep_bcc=request.keep_bcc,
                agent_signature=request.agent_signature,
                attachments=request.attachments,
            ),
            settings,
            ports,
        )
    except DuplicateRequest:
        message = None  # sent by the earlier attempt
    after = ports.store.get_ticket(ticket.ref)
    return Started(after or ticket, message, new)
