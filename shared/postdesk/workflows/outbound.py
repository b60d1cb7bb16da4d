"""Sending one of our mails in a ticket's thread: through SES, recorded as the thread message the
ticket keeps (with the Message-ID SES gave it, which the customer's client will answer to)."""

from __future__ import annotations

from datetime import datetime

from postdesk.hygiene.suppressions import RecipientSuppressed
from postdesk.mail.compose import OutboundMail, compose
from postdesk.settings import Settings
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage
from postdesk.tickets.store import message_key
from postdesk.workflows.ports import Ports


def send_in_thread(
    outbound: OutboundMail,
    *,
    ref: str,
    kind: MessageKind,
    unique: str,
    now: datetime,
    settings: Settings,
    ports: Ports,
    release_guard: str | None = None,
    author: tuple[str, str] | None = None,
    recorded_text: str | None = None,
) -> ThreadMessage:
    """Send ``outbound`` from the support address and describe it as the ticket's thread message
    (``unique`` makes its key; ``author`` and ``recorded_text`` record who wrote it and what, when
    that is not the sender and the text part: an agent's Markdown). When sending fails, the guard
    named by ``release_guard`` (claimed as "sending") is released, so a retry may send it: nothing
    went out. Raises RecipientSuppressed, sending nothing, when a recipient is on the suppression
    list."""
    suppressed = ports.suppressions.check(outbound.recipients)
    if suppressed:
        if release_guard is not None:
            ports.store.release_guard(release_guard, "sending")
        ports.metrics.count("MailsSuppressed", {"kind": kind.value})
        raise RecipientSuppressed(suppressed)
    try:
        ses_id = ports.mailer.send_raw(settings.support_address, outbound.recipients, compose(outbound))
    except Exception:
        if release_guard is not None:
            ports.store.release_guard(release_guard, "sending")
        raise
    return ThreadMessage(
        ref=ref,
        key=message_key(now, unique),
        direction=Direction.OUTBOUND,
        kind=kind,
        at=now,
        subject=outbound.subject,
        from_email=author[0] if author else outbound.sender.email,
        from_name=author[1] if author else outbound.sender.name,
        message_id=ports.mailer.ses_message_id_header(ses_id),
        ses_id=ses_id,
        text=outbound.text if recorded_text is None else recorded_text,
        text_key=None,
        raw_key=None,
        to=tuple(address.email for address in outbound.to),
        cc=tuple(address.email for address in outbound.cc),
    )
