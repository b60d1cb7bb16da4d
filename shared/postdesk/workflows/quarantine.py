"""Quarantine review: an agent who finds a good mail among the quarantined (a spam verdict on a
first-time sender, an automatic-looking mail from a person) releases it into the normal flow. The
ticket leaves quarantine as a new ticket whose clocks start now (nobody could see it before), and
the sender is remembered for a year, so SES's spam verdict no longer keeps their mail out
(triage/screening.py ``trusted``). Nobody is mailed, unless the agent asks for the acknowledgement the
mail would have had (only for mail held as spam: a forged sender, a virus or an automatic mail is
never answered automatically). Mail that is what it seemed is deleted whole instead."""

from __future__ import annotations

from dataclasses import dataclass, replace

from postdesk.effects import keys
from postdesk.effects.guards import GuardState
from postdesk.errors import BadRequest, Conflict, TicketNotFound
from postdesk.ports import Ports
from postdesk.privacy.erase import ErasureReport, delete_ticket
from postdesk.privacy.records import PrivacyDesk, TicketRecords
from postdesk.settings import Settings
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.tickets.states import require_unmerged
from postdesk.tickets.store import TicketStore
from postdesk.triage.screening import Verdict
from postdesk.workflows.ingest import AckOutcome, acknowledge_release
from postdesk.workflows.sla import new_ticket_clocks
from postdesk.workflows.timers import after_change

TRUSTED_SENDER_SECONDS = 365 * 24 * 3600


class NotQuarantined(Conflict):
    """The ticket is not in quarantine (a 409: its state, not the request, is in the way)."""


class NotAcknowledgeable(BadRequest):
    """An acknowledgement asked for mail that must never be answered automatically."""


@dataclass(frozen=True, slots=True)
class Released:
    ticket: Ticket
    # What became of the acknowledgement asked for (None: not asked for).
    acknowledgement: AckOutcome | None = None
    acknowledgement_reason: str | None = None


def held_verdict(ticket: Ticket) -> str:
    """Why the ticket is held, as screening's verdict (``spam``, ``virus``, ``forged``, ``auto_reply``…)."""
    return (ticket.quarantine or "").split(":", 1)[0].strip()


def _held(ref: str, store: TicketStore) -> Ticket:
    ticket = store.get_ticket(ref)
    if ticket is None:
        raise TicketNotFound(ref)
    require_unmerged(ticket)
    if not ticket.quarantine:
        raise NotQuarantined(f"Ticket {ref} is not in quarantine.")
    return ticket


def release(
    ref: str, actor: str, trust_sender: bool, settings: Settings, ports: Ports, acknowledge: bool = False
) -> Released:
    """Take ``ref`` out of quarantine (idempotent for a ticket already released by the same call's
    event), and with ``acknowledge`` send the acknowledgement its first mail would have had.
    Raises TicketNotFound, TicketMerged, NotQuarantined and NotAcknowledgeable."""
    ticket = _held(ref, ports.store)
    if acknowledge and held_verdict(ticket) != Verdict.SPAM.value:
        raise NotAcknowledgeable(
            "Only mail held as spam can be acknowledged on release: a forged sender, a virus or an "
            "automatic mail is never answered automatically."
        )
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
        detail={"was": ticket.quarantine or "", "sender_trusted": "yes" if trust_sender else "no"},
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
    if not acknowledge:
        return Released(after)
    outcome, reason = acknowledge_release(after, settings, ports)
    return Released(after, outcome, reason)


def delete_held(ref: str, actor: str, desk: PrivacyDesk) -> ErasureReport:
    """ "Delete" on held mail that is what it seemed: the ticket goes whole, with its raw mail,
    attachments, log and index entries, as an erasure removes a requester's tickets (the sender's
    other tickets stay). Only quarantined tickets: any other is kept, or erased through privacy.
    Raises TicketNotFound, TicketMerged and NotQuarantined."""
    ticket = _held(ref, desk.store)
    thread, events = desk.store.log(ref)
    return delete_ticket(TicketRecords(ticket, thread, events), desk, actor, "api")
