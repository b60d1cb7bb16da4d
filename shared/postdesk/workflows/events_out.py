"""Events out: the ticket log's stream (every entry the workflows append) becomes public events on the
stack's bus (events/public.py says what one carries, docs/events.md documents it). A separate function
from the search indexer, on its own event source mapping, so one failing never holds the other back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from postdesk.events.public import PublicEvent, public_event
from postdesk.tickets.model import TicketEvent
from postdesk.tickets.store import TicketStore

# Entries written long after they happened are history copied from elsewhere (a merge copies the
# merged ticket's log into the one it went into): they were published when they happened.
COPIED_HISTORY_AGE = timedelta(hours=24)


class Publisher(Protocol):
    def publish(self, events: Sequence[PublicEvent]) -> int: ...


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A log entry the stream says was written: the ticket, the entry's id and when it was written."""

    ref: str
    event_id: str
    written_at: datetime | None


def new_log_events(records: Iterable[Mapping[str, Any]]) -> list[NewEntry]:
    """The events (``E#`` keys) the stream records say were inserted, in order; messages, changed
    entries (an expiry set) and removals are not changes of a ticket."""
    entries = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        change = record.get("dynamodb", {})
        ref = change.get("Keys", {}).get("ref", {}).get("S")
        sort_key = change.get("Keys", {}).get("sk", {}).get("S")
        if not isinstance(ref, str) or not isinstance(sort_key, str) or not sort_key.startswith("E#"):
            continue
        parts = sort_key.split("#", 2)
        if len(parts) != 3:
            continue
        created = change.get("ApproximateCreationDateTime")
        written_at = (
            datetime.fromtimestamp(float(created), UTC) if isinstance(created, (int, float)) else None
        )
        entries.append(NewEntry(ref, parts[2], written_at))
    return entries


def _copied(event: TicketEvent, entry: NewEntry) -> bool:
    return entry.written_at is not None and event.at < entry.written_at - COPIED_HISTORY_AGE


def publish_changes(
    records: Iterable[Mapping[str, Any]], store: TicketStore, publisher: Publisher, console_url: str = ""
) -> int:
    """Publish the public event of every new log entry of ``records``; the number published. An
    entry gone meanwhile (erased) is not published. A failure raises: the batch is handed on again,
    and subscribers drop the events they saw by their ids."""
    entries = new_log_events(records)
    by_ref: dict[str, list[NewEntry]] = {}
    for entry in entries:
        by_ref.setdefault(entry.ref, []).append(entry)
    published: list[PublicEvent] = []
    for ref, wanted in by_ref.items():
        logged = {event.event_id: event for event in store.events(ref)}
        ticket = store.get_ticket(ref)
        for entry in wanted:
            event = logged.get(entry.event_id)
            if event is None or _copied(event, entry):
                continue
            published.append(public_event(event, ticket, console_url))
    if published:
        publisher.publish(published)
    return len(published)
