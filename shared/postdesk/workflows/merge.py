"""Merging tickets: the same matter written twice (a customer who wrote again instead of answering,
two colleagues of one company) becomes one ticket.

The source's messages, notes and events join the target's log under their own keys, so the thread
reads in time order; its Cc join the target's. The source is closed, points at the target and stays
read-only; later mail threaded to it (its reply address, its Message-IDs, its reference in a
subject) lands on the target (workflows/ingest.py follows ``merged_into``). Nobody is mailed.

The source is marked first, over the version the agent saw: from then on the merge only goes
forward, and a merge cut short is finished by asking for it again (the copy and the target's event
are written once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from postdesk.effects.retry import retry_on_conflict
from postdesk.errors import ConcurrentUpdate, Invalid, TicketMerged, TicketNotFound
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.sla.clocks import ClockEvent
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Status, Ticket, TicketEvent
from postdesk.tickets.states import status_fields
from postdesk.workflows.retention import closed_until
from postdesk.workflows.sla import clocked_update
from postdesk.workflows.timers import after_change


class InvalidMerge(Invalid):
    """The merge cannot be made as asked (into itself, a quarantined ticket...)."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    source: Ticket
    target: Ticket
    copied: int


def merge_tickets(
    source_ref: str,
    target_ref: str,
    actor: str,
    expected_version: int | None,
    settings: Settings,
    ports: Ports,
) -> MergeResult:
    """Merge ``source_ref`` into ``target_ref``. Raises TicketNotFound, InvalidMerge, TicketMerged
    (the source went into another ticket, or the target is itself merged) and ConcurrentUpdate (the
    source changed since the agent saw ``expected_version``)."""
    if source_ref == target_ref:
        raise InvalidMerge("a ticket cannot be merged into itself")
    source = ports.store.get_ticket(source_ref)
    if source is None:
        raise TicketNotFound(source_ref)
    target = ports.store.get_ticket(target_ref)
    if target is None:
        raise TicketNotFound(target_ref)
    if target.merged_into:
        raise TicketMerged(
            f"Ticket {target.ref} was merged into {target.merged_into}: merge into that one instead."
        )
    if source.quarantine or target.quarantine:
        raise InvalidMerge("a quarantined ticket cannot be merged: release it from quarantine first")
    if source.merged_into and source.merged_into != target.ref:
        raise TicketMerged(f"Ticket {source.ref} was already merged into {source.merged_into}.")
    if not source.merged_into:
        if expected_version is not None and source.version != expected_version:
            raise ConcurrentUpdate(
                f"Ticket {source.ref} was changed by someone else since you opened it (you had version "
                f"{expected_version}, it is now {source.version}). Reload it and merge again."
            )
        source = _mark_merged(source, target, actor, settings, ports)
    copied = ports.store.copy_log(source.ref, target.ref)
    target = retry_on_conflict(
        lambda current: _take_in(current, source, actor, settings, ports), target.ref, ports.store
    )
    ports.metrics.count("TicketsMerged")
    return MergeResult(source, target, copied)


def _mark_merged(source: Ticket, target: Ticket, actor: str, settings: Settings, ports: Ports) -> Ticket:
    now = ports.clock()
    changes: dict[str, object] = {"merged_into": target.ref, "updated_at": now}
    if source.status is not Status.CLOSED:
        changes.update(status_fields(Status.CLOSED, source.cycle, now, closed_until(now, settings)))
    event = TicketEvent(
        ref=source.ref,
        at=now,
        kind="merged",
        event_id=f"merge:{source.ref}:into",
        actor=actor,
        detail={"into": target.ref, "subject": target.subject},
    )
    update, stopped = clocked_update(
        source, changes, ClockEvent.EDIT, actor, now, f"merge:{source.ref}", settings
    )
    written = [event, *stopped]
    ports.store.update_ticket(update, written)
    after = replace(update.after(), version=source.version + 1)
    after_change(source, after, settings, ports, written)
    return after


def _take_in(target: Ticket, source: Ticket, actor: str, settings: Settings, ports: Ports) -> Ticket:
    """The target's side: the source's Cc and the event, once (a repeated merge finds it there)."""
    event_id = f"merge:{source.ref}:from"
    if any(event.event_id == event_id for event in ports.store.events(target.ref)):
        return target
    now = ports.clock()
    known = {address.lower() for address in (target.requester_email, *target.cc)}
    joining = [source.requester_email, *source.cc]
    cc = (*target.cc, *(a for a in dict.fromkeys(joining) if a.lower() not in known))
    changes: dict[str, object] = {"updated_at": now}
    if cc != target.cc:
        changes["cc"] = cc
    event = TicketEvent(
        ref=target.ref,
        at=now,
        kind="merged_in",
        event_id=event_id,
        actor=actor,
        detail={"from": source.ref, "subject": source.subject},
    )
    update = TicketUpdate(target, changes)
    ports.store.update_ticket(update, [event])
    after = replace(update.after(), version=target.version + 1)
    after_change(target, after, settings, ports, [event])
    return after
