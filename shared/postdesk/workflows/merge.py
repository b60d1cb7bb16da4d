"""Merging and splitting tickets. Merging: the same matter written twice (a customer who wrote
again instead of answering, two colleagues of one company) becomes one ticket.

The source's messages, notes and events join the target's log under their own keys, so the thread
reads in time order; its Cc join the target's. The source is closed, points at the target and stays
read-only; later mail threaded to it (its reply address, its Message-IDs, its reference in a
subject) lands on the target (workflows/ingest.py follows ``merged_into``). Nobody is mailed.

The source is marked first, over the version the agent saw: from then on the merge only goes
forward, and a merge cut short is finished by asking for it again (the copy and the target's event
are written once).

Splitting: a customer's later message about another matter becomes a ticket of its own
(``split_message``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from postdesk.effects.retry import retry_on_conflict
from postdesk.errors import ConcurrentUpdate, Invalid, MessageNotFound, TicketMerged, TicketNotFound
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.sla.clocks import ClockEvent
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import MessageKind, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.refs import delivery_ref, subject_of_matter
from postdesk.tickets.states import require_unmerged, status_fields
from postdesk.tickets.store import Created
from postdesk.workflows.retention import closed_until
from postdesk.workflows.sla import clocked_update, new_ticket_clocks
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


# -- split -------------------------------------------------------------------------------------------

SPLIT_KINDS = frozenset({MessageKind.CUSTOMER})
# A split's reference is derived from what it splits; another ticket holding it (one chance in 2^40)
# moves it to the next candidate.
SPLIT_REF_CANDIDATES = 5


class InvalidSplit(Invalid):
    """The message cannot be split off (an agent's answer, a note, the ticket's only message...)."""


@dataclass(frozen=True, slots=True)
class SplitResult:
    source: Ticket
    created: Ticket
    # False when an earlier request already made this split (the same ticket comes back).
    new: bool


def split_message(
    source_ref: str, message_key: str, actor: str, settings: Settings, ports: Ports
) -> SplitResult:
    """Make a new ticket of one customer's message of ``source_ref`` (a second matter in the same
    thread): the message is its first, its sender its requester, its queue, priority and language
    the source's, its clocks from now. The source keeps the message and says where it went. Asking
    again returns the same ticket. Nobody is mailed."""
    source = ports.store.get_ticket(source_ref)
    if source is None:
        raise TicketNotFound(source_ref)
    require_unmerged(source)
    if source.quarantine:
        raise InvalidSplit("a quarantined ticket cannot be split: release it from quarantine first")
    thread = ports.store.thread(source_ref)
    message = next((m for m in thread if m.key == message_key), None)
    if message is None:
        raise MessageNotFound("This ticket has no such message.")
    if message.kind not in SPLIT_KINDS:
        raise InvalidSplit("only a customer's message can be split into a ticket of its own")
    if [m for m in thread if m.kind in SPLIT_KINDS][:1] == [message]:
        raise InvalidSplit("the ticket's first message is the ticket: split a later one")
    now = ports.clock()
    key = ports.signing_key()
    for candidate in range(SPLIT_REF_CANDIDATES):
        ref = delivery_ref(key, f"split:{source.ref}:{message.key}", candidate)
        existing = ports.store.get_ticket(ref)
        if existing is not None:
            if any(m.key == message.key for m in ports.store.thread(ref)):
                return SplitResult(source, existing, new=False)
            continue
        created = _split_ticket(ref, source, message, now, settings)
        first = replace(message, ref=ref)
        events = [
            TicketEvent(
                ref,
                now,
                "split_from",
                f"split:{source.ref}:{message.key}:from",
                actor,
                {"from": source.ref, "subject": source.subject},
            ),
        ]
        outcome, _ = ports.store.create_ticket(created, first, events)
        if outcome is not Created.CREATED:
            continue
        after_change(None, created, settings, ports, events)
        ports.store.record_event(
            TicketEvent(
                source.ref,
                now,
                "split",
                f"split:{source.ref}:{message.key}:into",
                actor,
                {"into": ref, "from": message.from_email},
            ),
            expires_at=source.expires_at,
        )
        ports.metrics.count("TicketsSplit")
        return SplitResult(source, created, new=True)
    raise ConcurrentUpdate(f"no free reference for the split of {source.ref}; try again")


def _split_ticket(
    ref: str, source: Ticket, message: ThreadMessage, now: datetime, settings: Settings
) -> Ticket:
    ticket = Ticket(
        ref=ref,
        # Its own matter: not "Re: [#<source>] ..." (its replies carry its own token).
        subject=(subject_of_matter(message.subject) or subject_of_matter(source.subject) or "(no subject)")[
            :998
        ],
        requester_email=message.from_email.lower() or source.requester_email,
        requester_name=message.from_name if message.from_email else source.requester_name,
        status=Status.NEW,
        queue=source.queue,
        priority=source.priority,
        language=source.language,
        created_at=now,
        updated_at=now,
        waiting_since=now,
        category=source.category,
        tags=source.tags,
        # Its mail goes from the address the customer wrote to, as the source's does.
        mailbox=source.mailbox,
    )
    return new_ticket_clocks(ticket, settings)
