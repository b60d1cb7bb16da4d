"""The reads and deletes of a requester's rights (export and erasure) that nothing else may make:
every ticket of a requester at once, and deleting a ticket, its log, its Message-ID entries, and guards
and counters before they expire."""

from __future__ import annotations

from collections.abc import Iterable

from postdesk.settings import TableNames
from postdesk.tickets.dynamo import CounterItem, GuardItem, LogItem, MessageIndexItem, TicketItem, bind_tables
from postdesk.tickets.items import ticket_from_item
from postdesk.tickets.model import Ticket
from postdesk.tickets.store import MAX_BATCH_KEYS


class PrivacyStore:
    def __init__(self, tables: TableNames, region: str) -> None:
        bind_tables(tables, region)

    def every_ticket_of_requester(self, stored_email: str) -> list[Ticket]:
        """Every ticket whose requester is ``stored_email`` exactly as stored (all pages, oldest first)."""
        return [ticket_from_item(item) for item in TicketItem.by_requester.query(stored_email)]

    def log_keys(self, ref: str) -> list[str]:
        """The sort keys of every item of the ticket's log (``M#...`` messages, ``E#...`` events)."""
        return [
            str(item.sk) for item in LogItem.query(ref, consistent_read=True, attributes_to_get=["ref", "sk"])
        ]

    def erase_log_items(self, items: Iterable[tuple[str, str]]) -> None:
        """Delete these (ref, sort key) items of ticket logs, 25 to a request."""
        with LogItem.batch_write() as batch:
            for ref, sk in dict.fromkeys(items):
                batch.delete(LogItem(ref=ref, sk=sk))

    def erase_tickets(self, refs: Iterable[str]) -> None:
        """Delete the ticket items (their entries in every list index go with them), 25 to a request."""
        with TicketItem.batch_write() as batch:
            for ref in dict.fromkeys(refs):
                batch.delete(TicketItem(ref=ref))

    def erase_message_ids(self, entries: Iterable[tuple[str, str]]) -> int:
        """Delete the Message-ID entries among these (ref, id) that map to that ref (an id another
        ticket claimed first stays that ticket's): read 100 to a request, deleted 25 to a request;
        how many were deleted."""
        wanted = dict(((message_id, ref) for ref, message_id in entries))
        ids = list(wanted)
        doomed = [
            str(item.message_id)
            for start in range(0, len(ids), MAX_BATCH_KEYS)
            for item in MessageIndexItem.batch_get(ids[start : start + MAX_BATCH_KEYS], consistent_read=True)
            if item.ref == wanted[str(item.message_id)]
        ]
        with MessageIndexItem.batch_write() as batch:
            for message_id in doomed:
                batch.delete(MessageIndexItem(message_id=message_id))
        return len(doomed)

    def guard_keys(self, owner: str) -> list[str]:
        """The keys of every guard of ``owner`` (a ticket's ref, an address's tag), through the guards'
        ``by-owner`` index: never a scan."""
        return [str(item.key) for item in GuardItem.by_owner.query(owner)] if owner else []

    def erase_guards(self, keys: Iterable[str]) -> int:
        """Delete these guards, 25 to a request; how many."""
        doomed = list(dict.fromkeys(keys))
        with GuardItem.batch_write() as batch:
            for key in doomed:
                batch.delete(GuardItem(key=key))
        return len(doomed)

    def erase_counters(self, keys: Iterable[str]) -> int:
        """Delete the counters among ``keys`` that exist (read in batches of 100, never a scan); how
        many."""
        wanted = list(dict.fromkeys(keys))
        found = [
            str(item.key)
            for start in range(0, len(wanted), MAX_BATCH_KEYS)
            for item in CounterItem.batch_get(
                wanted[start : start + MAX_BATCH_KEYS], attributes_to_get=["key"]
            )
        ]
        with CounterItem.batch_write() as batch:
            for key in found:
                batch.delete(CounterItem(key=key))
        return len(found)
