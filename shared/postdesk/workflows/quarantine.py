"""Quarantine review: an agent who finds a good mail among the quarantined (a spam verdict on a
first-time sender, an automatic-looking mail from a person) releases it into the normal flow. The
ticket leaves quarantine as a new ticket whose clocks start now (nobody could see it before), and
the sender is remembered for a year, so SES's spam verdict no longer keeps their mail out
(triage/screening.py ``trusted``). Nobody is mailed."""

from __future__ import annotations

from dataclasses import replace

from postdesk.effects import keys
from postdesk.effects.guards import GuardState
from postdesk.errors import Conflict, TicketNotFound
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.tickets.states import require_unmerged
from postdesk.workflows.sla import new_ticket_clocks
from postdesk.workflows.timers import after_change

TRUSTED_SENDER_SECONDS = 365 * 24 * 3600


class NotQuarantined(Conflict):
    """The ticket is not in quarantine (a 409: its state, not the request, is in the way)."""


def release(ref: str, actor: str, trust_sender: bool, settings: Settings, ports: Ports) -> Ticket:
    """Take ``ref`` out of quarantine (idempotent for a ticket already released by the same call's
    event). Raises TicketNotFound, TicketMerged and NotQuarantined."""
    ticket = ports.store.get_ticket(ref)
    if ticket is None:
        raise TicketNotFound(ref)
    require_unmerged(ticket)
    if not ticket.quarantine:
        raise NotQuarantined(f"Ticket {ref} is not in quarantine.")
    now = ports.clock()
    # The clocks run from now: until the release nobody could see the mail.
    clocked = new_ticket_clocks(replace(ticket, quarantine=None, created_at=now, waiting_since=now), settings)
    changes: dict[str, object] = {
        "quarantine": None,
        "waiting_since": now,
        "updated_at": now,
        "sla": clocked.sla,
    }
    event = TicketEvent(
        ref=ref,
        at=now,
        kind="released",
        event_id=f"release:{ref}:{ticket.version}",
        actor=actor,
        detail={"was": ticket.quarantine, "sender_trusted": "yes" if trust_sender else "no"},
    )
    update = TicketUpdate(ticket, changes)
    ports.store.update_ticket(update, [event])
    if trust_sender:
        ports.guards.remember(
            keys.trusted_sender_guard(ticket.requester_email),
            GuardState.TRUSTED,
            now,
            # Named by its tag, never the address: an erasure of the address finds it (by-owner index).
            owner=keys.recipient_tag(ticket.requester_email),
            seconds=TRUSTED_SENDER_SECONDS,
        )
    after = replace(update.after(), version=ticket.version + 1)
    after_change(ticket, after, settings, ports, [event])
    ports.metrics.count("TicketsReleased")
    return after
