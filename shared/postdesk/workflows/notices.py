"""Notices to the team: a short internal mail to the address of the ticket's queue when something
needs a person's attention (a bad survey answer, an SLA about to break or broken). Without an address
configured, the ticket's flag, its event and the metric are the notice."""

from __future__ import annotations

from postdesk.effects import keys
from postdesk.effects.send_once import OnceMail, SendOutcome, send_once
from postdesk.mail.compose import OutboundMail
from postdesk.mail.model import Address
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.model import MessageKind, Ticket
from postdesk.workflows.thread_mail import desk_name


def notify_queue(
    ticket: Ticket, headline: str, lines: list[str], notice_id: str, settings: Settings, ports: Ports
) -> bool:
    """Mail ``headline`` and ``lines`` about ``ticket`` to its queue's team address, with a link to
    the ticket in the console. ``notice_id`` names the notice: it is sent once (effects/send_once.py)
    and its Message-ID is derived from it.
    False when there is no address or the mail could not be sent (logged; never raised: the change
    the notice is about is already written)."""
    address = settings.survey.team_address_for(ticket.queue)
    if not address:
        logger.warning("no team address to tell", extra={"ref": ticket.ref, "notice": headline})
        return False
    public_url = settings.survey.public_url
    console = f"{public_url}/console#/tickets/{ticket.ref}" if public_url else ""
    text = "\n".join(
        [
            f"Ticket {ticket.ref} ({ticket.subject}): {headline}.",
            f"Queue: {ticket.queue}. Priority: {ticket.priority}. Assignee: {ticket.assignee or 'nobody'}.",
            f"Customer: {ticket.requester_name or ticket.requester_email}.",
            *lines,
            "",
            console,
            "",
        ]
    )
    outbound = OutboundMail(
        # From the ticket's own address, under its brand: the team sees which brand the ticket is of.
        sender=Address(desk_name(ticket, settings), settings.mailboxes.of_ticket(ticket.mailbox).address),
        to=(Address("", address),),
        subject=f"[#{ticket.ref}] {headline[:1].upper()}{headline[1:]}",
        text=text,
        html=None,
        message_id=keys.notice_message_id(ticket.ref, notice_id, settings.support_domain),
        date=ports.clock(),
        auto_submitted="auto-generated",
    )
    once = OnceMail(
        guard=keys.notice_guard(ticket.ref, notice_id),
        ref=ticket.ref,
        mail=outbound,
        kind=MessageKind.TEAM_NOTICE,
        thread_unique=None,
        # Nothing would try a notice again; TeamNoticesFailed counts one that is not sent.
        retry_failed_send=False,
        count_suppressed=False,
    )
    try:
        result = send_once(once, ports)
    except Exception:
        logger.exception("team notice not sent", extra={"ref": ticket.ref})
        ports.metrics.count("TeamNoticesFailed")
        return False
    if result.outcome is SendOutcome.SUPPRESSED:
        logger.warning("the team address is on the suppression list", extra={"ref": ticket.ref})
        ports.metrics.count("TeamNoticesFailed")
        return False
    return result.outcome in (SendOutcome.SENT, SendOutcome.ALREADY_SENT)
