"""Keeping search true: the tickets a batch of changes touched are read again and written to the
index as they are now, or removed from it when they are gone (erased, expired, merged away)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from postdesk.search.documents import document_of
from postdesk.search.index import SearchIndex
from postdesk.tickets.store import TicketStore

# Both tables the feed watches (tickets and their logs) are keyed by the ticket's reference.
REF_ATTRIBUTE = "ref"


@dataclass(frozen=True, slots=True)
class IndexRun:
    indexed: int
    removed: int
    generation: int


def refs_of_changes(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The tickets named by DynamoDB stream records (any view type: the keys are always there), in
    the order of their first change."""
    refs: dict[str, None] = {}
    for record in records:
        keys = record.get("dynamodb", {}).get("Keys", {})
        value = keys.get(REF_ATTRIBUTE, {}).get("S")
        if isinstance(value, str) and value:
            refs[value] = None
    return list(refs)


def index_tickets(store: TicketStore, index: SearchIndex, refs: Sequence[str]) -> IndexRun:
    """Write the current state of ``refs`` to the index. Idempotent: a batch handed on twice (a
    retry, a feeder restarted before it saved its position) writes the same state again."""
    documents = []
    removed = []
    for ref in dict.fromkeys(refs):
        ticket = store.get_ticket(ref)
        # A merged ticket is found through the ticket it went into (its words are there now).
        if ticket is None or ticket.merged_into:
            removed.append(ref)
        else:
            documents.append(document_of(ticket, store.thread(ref)))
    manifest = index.publish(documents, removed)
    return IndexRun(len(documents), len(removed), manifest.generation)


# Tickets read per segment while rebuilding (each publish past eight segments merges them).
REBUILD_BATCH = 2000


def rebuild_index(store: TicketStore, index: SearchIndex) -> IndexRun:
    """Write every ticket of the tables to the index (a desk that had no index, or lost it). Changes
    made meanwhile reach the index through the feed as usual."""
    total = IndexRun(0, 0, 0)
    batch: list[str] = []
    refs = store.every_ref()
    while True:
        ref = next(refs, None)
        if ref is not None:
            batch.append(ref)
        if batch and (ref is None or len(batch) == REBUILD_BATCH):
            run = index_tickets(store, index, batch)
            total = IndexRun(total.indexed + run.indexed, total.removed + run.removed, run.generation)
            batch = []
        if ref is None:
            return total
