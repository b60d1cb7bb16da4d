"""The reads and deletes of a requester's rights (export and erasure) that nothing else may make:
every ticket of a requester at once, and deleting a ticket, its log, its Message-ID entries, and guards
and counters before they expire."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DeleteError

from postdesk.settings import TableNames
from postdesk.tickets.dynamo import CounterItem, GuardItem, LogItem, MessageIndexItem, TicketItem, bind_tables
from postdesk.tickets.items import ticket_from_item
from postdesk.tickets.model import Ticket


class PrivacyStore:
    def __init__(self, tables: TableNames, region: str) -> None:
        bind_tables(tables, region)

    def every_ticket_of_requester(self, stored_email: str) -> list[Ticket]:
        """Every ticket whose requester is ``stored_email`` exactly as stored (all pages, oldest first)."""
        return [ticket_from_item(item) for item in TicketItem.by_requester.query(stored_email)]

    def erase_log(self, ref: str) -> tuple[int, int]:
        """Delete every item of the ticket's log: (messages, events) deleted."""
        keys = [item.sk for item in LogItem.query(ref, consistent_read=True, attributes_to_get=["ref", "sk"])]
        with LogItem.batch_write() as batch:
            for sk in keys:
                batch.delete(LogItem(ref=ref, sk=sk))
        messages = sum(1 for sk in keys if sk.startswith("M#"))
        return messages, len(keys) - messages

    def erase_message_ids(self, ref: str, message_ids: Iterable[str]) -> int:
        """Delete the Message-ID entries among ``message_ids`` that map to ``ref`` (an id another
        ticket claimed first stays that ticket's); how many were deleted."""
        deleted = 0
        for message_id in dict.fromkeys(message_ids):
            try:
                MessageIndexItem(message_id=message_id).delete(condition=MessageIndexItem.ref == ref)
            except DeleteError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue
            deleted += 1
        return deleted

    def erase_guards(self, refs: Iterable[str], key_fragments: Iterable[str]) -> int:
        """Delete the guards of ``refs`` and every guard whose key holds one of ``key_fragments``, in
        one scan (the table stays small: guards expire after GUARD_TTL_SECONDS); how many."""
        wanted = set(refs)
        fragments = [fragment for fragment in key_fragments if fragment]
        doomed = [
            str(item.key)
            for item in GuardItem.scan(consistent_read=True, attributes_to_get=["key", "ref"])
            if (item.ref is not None and item.ref in wanted) or any(f in item.key for f in fragments)
        ]
        with GuardItem.batch_write() as batch:
            for key in doomed:
                batch.delete(GuardItem(key=key))
        return len(doomed)

    def erase_counters(self, key_prefixes: Iterable[str]) -> int:
        """Delete the counters whose key starts with one of ``key_prefixes``, in one scan (counters
        expire within days); how many."""
        prefixes = tuple(prefix for prefix in key_prefixes if prefix)
        if not prefixes:
            return 0
        doomed = [
            str(item.key)
            for item in CounterItem.scan(consistent_read=True, attributes_to_get=["key"])
            if str(item.key).startswith(prefixes)
        ]
        with CounterItem.batch_write() as batch:
            for key in doomed:
                batch.delete(CounterItem(key=key))
        return len(doomed)

    def erase_ticket(self, ref: str) -> bool:
        """Delete the ticket item (its entries in every list index go with it); False if none."""
        try:
            TicketItem(ref=ref).delete(condition=TicketItem.ref.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
