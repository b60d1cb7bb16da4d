"""Agents work on tickets: change status, priority, queue, assignee, category, tags or subject (one
edit, one version of the ticket), and leave internal notes (never mailed).

Edits are optimistic: the agent says which version of the ticket it saw, and the edit is written
only over that version. A second agent who saw the same version gets ConcurrentUpdate and nothing of
theirs is written, so no change is ever silently overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from postdesk.agents.model import AgentNotFound
from postdesk.effects import keys
from postdesk.effects.guards import ClaimResult, GuardState
from postdesk.errors import ConcurrentUpdate, DuplicateRequest, Invalid, TicketNotFound
from postdesk.mail.compose import is_header_safe
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.sla.clocks import ClockEvent
from postdesk.sla.policy import load_policy
from postdesk.tickets.model import (
    PRIORITIES,
    Direction,
    MessageKind,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)
from postdesk.tickets.states import agent_transition, require_released, require_unmerged, status_fields
from postdesk.triage.rules import CATEGORIES, load_rules
from postdesk.workflows.collision import check_conversation
from postdesk.workflows.copies import edited_copies
from postdesk.workflows.lifecycle import snooze_changes
from postdesk.workflows.notify import notify_mentions
from postdesk.workflows.retention import apply_retention, closed_until
from postdesk.workflows.sla import clocked_update
from postdesk.workflows.timers import after_change

MAX_NOTE_CHARS = 100_000
MAX_SUBJECT_CHARS = 998
MAX_TAGS = 20
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class InvalidEdit(Invalid):
    """A value of the edit cannot be used (an unknown priority, a malformed tag, an empty note...)."""


@dataclass(frozen=True, slots=True)
class TicketEdit:
    """What an agent changes; a field left out (None, or absent from ``assignee_set``) stays."""

    ref: str
    expected_version: int
    actor: str
    request_id: str
    status: Status | None = None
    priority: str | None = None
    queue: str | None = None
    category: str | None = None
    tags: tuple[str, ...] | None = None
    # Tags added to, or taken from, the ticket's own (a bulk change keeps each ticket's other tags).
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    subject: str | None = None
    # Assigning is the one change where "nobody" is a value: set ``assignee_set`` to change it.
    assignee_set: bool = False
    assignee: str | None = None
    # True clears the follow-up flag (an agent followed up on a bad survey answer).
    clear_follow_up: bool = False
    # Who stays on the thread (workflows/copies.py): the whole Cc and Bcc lists (checked addresses,
    # lower case; None: as they are), and offered addresses the agent turns down.
    cc: tuple[str, ...] | None = None
    bcc: tuple[str, ...] | None = None
    dismiss_cc_offered: tuple[str, ...] = ()
    # Snooze (workflows/lifecycle.py): on hold until a time and/or until the customer answers; or
    # ``unsnooze``: open again now.
    snooze_until: datetime | None = None
    snooze_until_answer: bool = False
    unsnooze: bool = False


@dataclass(frozen=True, slots=True)
class EditResult:
    ticket: Ticket
    changed: tuple[str, ...] = field(default_factory=tuple)


def edit_ticket(
    edit: TicketEdit, settings: Settings, ports: Ports, is_agent: Callable[[str], bool]
) -> EditResult:
    """Apply ``edit`` over the version the agent saw. Raises TicketNotFound, ConcurrentUpdate
    (someone changed the ticket since), IllegalTransition (the status cannot move that way) and
    InvalidEdit. ``is_agent`` says whether an address belongs to an active agent (assignees)."""
    check_edit(edit)
    ticket = ports.store.get_ticket(edit.ref)
    if ticket is None:
        raise TicketNotFound(edit.ref)
    require_released(require_unmerged(ticket))
    if ticket.version != edit.expected_version:
        raise ConcurrentUpdate(
            f"Ticket {ticket.ref} was changed by someone else since you opened it (you had version "
            f"{edit.expected_version}, it is now {ticket.version}). Reload it and make your change again."
        )
    now = ports.clock()
    changes: dict[str, Any] = {}
    events: list[TicketEvent] = []

    def record(name: str, before: object, after: object, kind: str | None = None) -> None:
        events.append(
            TicketEvent(
                ref=ticket.ref,
                at=now,
                kind=kind or f"{name}_changed",
                event_id=f"edit:{edit.request_id}:{name}",
                actor=edit.actor,
                detail={"from": _shown(before), "to": _shown(after)},
            )
        )

    # Closing a closed ticket again makes sure it has its expiry, and its log and Message-ID
    # entries carry it (a close whose follow-up failed, a ticket closed before retention existed).
    reapply_retention = edit.status is Status.CLOSED and ticket.status is Status.CLOSED
    if reapply_retention and ticket.expires_at is None:
        changes["expires_at"] = closed_until(ticket.waiting_since or now, settings)
    if edit.status is not None and edit.status is not ticket.status:
        transition = agent_transition(ticket, edit.status)
        changes.update(status_fields(transition.status, transition.cycle, now, closed_until(now, settings)))
        record(
            "status",
            ticket.status.value,
            transition.status.value,
            "reopened" if transition.reopened else None,
        )
    if edit.priority is not None and edit.priority != ticket.priority:
        changes["priority"] = edit.priority
        record("priority", ticket.priority, edit.priority)
    if edit.queue is not None and edit.queue != ticket.queue:
        changes["queue"] = checked_queue(edit.queue, settings)
        record("queue", ticket.queue, edit.queue)
    if edit.category is not None and edit.category != ticket.category:
        changes["category"] = edit.category
        record("category", ticket.category, edit.category)
    if edit.tags is not None or edit.add_tags or edit.remove_tags:
        tags = _tags_after(ticket.tags, edit)
        if tags != ticket.tags:
            changes["tags"] = tags
            record("tags", ", ".join(ticket.tags), ", ".join(tags))
    if edit.subject is not None:
        subject = checked_subject(edit.subject)
        if subject != ticket.subject:
            changes["subject"] = subject
            record("subject", ticket.subject, subject)
    if edit.assignee_set:
        assignee = edit.assignee.strip().lower() if edit.assignee else None
        if assignee is not None and not is_agent(assignee):
            raise InvalidEdit(f"no active agent has the address {assignee}")
        if assignee != ticket.assignee:
            changes["assignee"] = assignee
            record("assignee", ticket.assignee, assignee, "assigned" if assignee else "unassigned")
    if "queue" in changes or "assignee" in changes:
        _require_assignee_sees_queue(ticket, changes, ports)
    if edit.clear_follow_up and ticket.follow_up is not None:
        changes["follow_up"] = None
        record("follow_up", ticket.follow_up, None, "follow_up_done")
    if edit.cc is not None or edit.bcc is not None or edit.dismiss_cc_offered:
        copies, said = edited_copies(ticket, edit.cc, edit.bcc, edit.dismiss_cc_offered, settings)
        changes.update(copies)
        events.extend(
            TicketEvent(ticket.ref, now, kind, f"edit:{edit.request_id}:{kind}", edit.actor, detail)
            for kind, detail in said
        )
    if edit.snooze_until is not None or edit.snooze_until_answer or edit.unsnooze:
        if edit.status is not None and edit.status is not Status.ON_HOLD and not edit.unsnooze:
            raise InvalidEdit("a snoozed ticket is on hold: leave status out, or set it to on-hold")
        snoozing, snooze_events = snooze_changes(
            replace(ticket, **changes),
            edit.snooze_until,
            edit.snooze_until_answer,
            edit.unsnooze,
            now,
            f"edit:{edit.request_id}",
            edit.actor,
        )
        changes.update(snoozing)
        events.extend(snooze_events)
    if not changes:
        if reapply_retention:
            apply_retention(ticket, settings, ports)
        return EditResult(ticket)
    changes["updated_at"] = now
    update, stopped = clocked_update(
        ticket, changes, ClockEvent.EDIT, edit.actor, now, f"edit:{edit.request_id}", settings
    )
    written = [*events, *stopped]
    ports.store.update_ticket(update, written)
    ports.metrics.count("TicketEdits")
    after = replace(update.after(), version=ticket.version + 1)
    after_change(ticket, after, settings, ports, written)
    return EditResult(
        after,
        tuple(name for name in changes if name not in ("updated_at", "waiting_since", "cycle", "expires_at")),
    )


def add_note(
    ref: str,
    actor: str,
    actor_name: str,
    body: str,
    request_id: str,
    ports: Ports,
    seen: frozenset[bytes] | None = None,
    *,
    settings: Settings | None = None,
) -> ThreadMessage:
    """Add an internal note to the ticket's thread: seen by agents, never mailed. The same
    ``request_id`` adds it once (DuplicateRequest after). With ``seen`` (what the agent saw of the
    conversation), ConversationChanged when someone wrote since (workflows/collision.py). With
    ``settings``, the agents it mentions (``@sam``) are notified (workflows/notify.py)."""
    text = body.strip()
    if not text:
        raise InvalidEdit("the note has no text")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidEdit(f"a note has at most {MAX_NOTE_CHARS} characters")
    ticket = ports.store.get_ticket(ref)
    if ticket is None:
        raise TicketNotFound(ref)
    require_unmerged(ticket)
    if seen is not None:
        unique = f"note-{request_id}"
        check_conversation(
            seen, ticket, ports.store.thread(ref), actor, unique=unique, action="The note was not added."
        )
    now = ports.clock()
    claim = ports.guards.claim(keys.note_guard(ref, request_id), GuardState.WRITTEN, now, ref=ref)
    if claim.result is not ClaimResult.CLAIMED:
        raise DuplicateRequest(f"request {request_id} was already handled")
    note = ThreadMessage(
        ref=ref,
        key=keys.thread_message_key(now, f"note-{request_id}"),
        direction=Direction.INTERNAL,
        kind=MessageKind.NOTE,
        at=now,
        subject="",
        from_email=actor,
        from_name=actor_name,
        message_id=None,
        ses_id=None,
        text=text,
        text_key=None,
        raw_key=None,
    )
    event = TicketEvent(
        ref=ref,
        at=now,
        kind="note_added",
        event_id=f"note:{request_id}",
        actor=actor,
        detail={"key": note.key},
    )
    # A note on a closed ticket goes when the ticket goes.
    ports.store.append_message(note, [event], expires_at=ticket.expires_at)
    ports.metrics.count("NotesAdded")
    if settings is not None:
        notify_mentions(ticket, text, request_id, actor, actor_name, settings, ports)
    return note


def _require_assignee_sees_queue(ticket: Ticket, changes: dict[str, Any], ports: Ports) -> None:
    """InvalidEdit, in words, when the edit would leave the ticket with an assignee who does not
    work in its queue (they could not see it): assigning them, or moving the ticket away from them
    without assigning it to someone who works in the new queue (or to nobody)."""
    assignee = changes.get("assignee", ticket.assignee)
    queue = changes.get("queue", ticket.queue)
    if assignee is None:
        return
    try:
        agent = ports.agents.get(assignee)
    except AgentNotFound:
        # An assignee who left: nobody to keep the ticket from (an assignment checks is_agent).
        return
    if agent.sees_queue(queue):
        return
    if "assignee" in changes:
        raise InvalidEdit(
            f"{agent.name} does not work in queue {queue}: add them to it on the Agents page, "
            "or move the ticket"
        )
    raise InvalidEdit(
        f"{agent.name}, the ticket's assignee, does not work in queue {queue}: add them to it on "
        "the Agents page, or assign the ticket to someone who does (or to nobody) in the same change"
    )


def check_edit(edit: TicketEdit) -> None:
    """InvalidEdit for a value no ticket could take: the checks that need no ticket, made before
    one is read (and once for every ticket of a bulk change)."""
    if edit.priority is not None and edit.priority not in PRIORITIES:
        raise InvalidEdit(f"priority must be one of {', '.join(PRIORITIES)}")
    if edit.category is not None and edit.category not in CATEGORIES:
        raise InvalidEdit(f"category must be one of {', '.join(CATEGORIES)}")
    if edit.queue is not None:
        checked_slug(edit.queue, "queue")
    if edit.tags is not None:
        for tag in edit.tags:
            checked_slug(tag, "tag")
        if len(set(edit.tags)) > MAX_TAGS:
            raise InvalidEdit(f"a ticket has at most {MAX_TAGS} tags")
    if edit.tags is not None and (edit.add_tags or edit.remove_tags):
        raise InvalidEdit("say either tags (the whole list) or the tags to add and remove, not both")
    if len(edit.add_tags) > MAX_TAGS or len(edit.remove_tags) > MAX_TAGS:
        raise InvalidEdit(f"name at most {MAX_TAGS} tags to add and {MAX_TAGS} to remove")
    added = {checked_slug(tag, "tag") for tag in edit.add_tags}
    both = sorted(added & {checked_slug(tag, "tag") for tag in edit.remove_tags})
    if both:
        raise InvalidEdit(f"tag {both[0]!r} is both added and removed")


def _tags_after(current: tuple[str, ...], edit: TicketEdit) -> tuple[str, ...]:
    """The ticket's tags once ``edit`` is applied (normalised, in order, without repeats): the list
    it gives, or the current ones with its additions after them and its removals left out."""
    if edit.tags is not None:
        tags = tuple(dict.fromkeys(checked_slug(tag, "tag") for tag in edit.tags))
    else:
        removed = {checked_slug(tag, "tag") for tag in edit.remove_tags}
        kept = (tag for tag in current if tag not in removed)
        tags = tuple(dict.fromkeys([*kept, *(checked_slug(tag, "tag") for tag in edit.add_tags)]))
    if len(tags) > MAX_TAGS:
        raise InvalidEdit(f"a ticket has at most {MAX_TAGS} tags")
    return tags


def desk_queues(settings: Settings) -> list[str]:
    """The desk's queues: those its triage rules route to (the default first), then those only its
    SLA policy or its mailboxes (the queue of an address, mailboxes.py) name."""
    rules = load_rules(settings.triage_rules_path)
    timed = load_policy(settings.sla_policy_path).queue_targets
    addressed = {mailbox.queue for mailbox in settings.mailboxes.all if mailbox.queue}
    return [*rules.queues, *sorted((set(timed) | addressed) - set(rules.queues))]


def checked_queue(value: str, settings: Settings) -> str:
    """One of the desk's queues, as an agent named it; InvalidEdit otherwise (a ticket in a queue
    nobody lists would be seen by nobody)."""
    queue = checked_slug(value, "queue")
    known = desk_queues(settings)
    if queue not in known:
        raise InvalidEdit(f"queue {value[:50]!r} is not one of the desk's queues: {', '.join(known)}")
    return queue


def checked_subject(text: str) -> str:
    """A ticket's subject as an agent gave it: one line of 1 to MAX_SUBJECT_CHARS characters."""
    subject = text.strip()
    if not is_header_safe(subject):
        raise InvalidEdit("the subject must be one line: no line breaks or control characters")
    if not subject or len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidEdit(f"the subject needs 1 to {MAX_SUBJECT_CHARS} characters")
    return subject


def checked_slug(value: str, what: str) -> str:
    """A queue's or tag's name as an agent gave it, in lower case; InvalidEdit if it is none."""
    slug = value.strip().lower()
    if not _SLUG.fullmatch(slug):
        raise InvalidEdit(
            f"{what} {value[:50]!r} must be 1 to 40 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return slug


def _shown(value: object) -> str:
    return "" if value is None else str(value)
