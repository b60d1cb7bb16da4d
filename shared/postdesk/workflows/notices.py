"""Notices to the team: a short internal mail to the address of the ticket's queue when something
needs a person's attention (bad feedback, an SLA about to break or broken). Without an address
configured, the ticket's flag, its event and the metric are the notice."""

from __future__ import annotations

from postdesk.mail.compose import OutboundMail, compose, derived_message_id
from postdesk.mail.model import Address
from postdesk.observability import logger
from postdesk.settings import Settings
from postdesk.tickets.model import Ticket
from postdesk.workflows.ports import Ports


def notify_queue(
    ticket: Ticket, headline: str, lines: list[str], notice_id: str, settings: Settings, ports: Ports
) -> bool:
    """Mail ``headline`` and ``lines`` about ``ticket`` to its queue's team address, with a link to
    the ticket in the console. ``notice_id`` names the notice (its Message-ID is derived from it).
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
        sender=Address(settings.support_name, settings.support_address),
        to=(Address("", address),),
        subject=f"[#{ticket.ref}] {headline[:1].upper()}{headline[1:]}",
        text=text,
        html=None,
        message_id=derived_message_id("notice", f"{ticket.ref}:{notice_id}", settings.support_domain),
        date=ports.clock(),
        auto_submitted="auto-generated",
    )
    if ports.suppressions.check(outbound.recipients):
        logger.warning("the team address is on the suppression list", extra={"ref": ticket.ref})
        ports.metrics.count("TeamNoticesFailed")
        return False
    try:
        ports.mailer.send_raw(settings.support_address, outbound.recipients, compose(outbound))
    except Exception:
        logger.exception("team notice not sent", extra={"ref": ticket.ref})
        ports.metrics.count("TeamNoticesFailed")
        return False
    return True
