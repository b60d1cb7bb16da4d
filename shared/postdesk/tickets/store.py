"""The one repository that reads and writes tickets, their log (thread and events), the Message-ID
index and the per-day figures. Nothing above this layer touches those tables; DynamoDB's refusals
become domain answers here. Every write that must be all or nothing is one named transaction
(aws/dynamodb.py), which may also claim or move a guard (effects/guards.py) and index Message-IDs.
How items map to the domain: tickets/items.py. A requester's records for export and erasure:
privacy/store.py."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from postdesk.aws.dynamodb import NamedTransaction, read_item, save_if, shared_connection
from postdesk.clock import Clock, from_iso, to_iso, utc_now
from postdesk.effects.guards import (
    Guard,
    GuardClaim,
    GuardMove,
    Guards,
    found_guard,
    guard_from_item,
    guard_item,
)
from postdesk.errors import ConcurrentUpdate, TicketNotFound
from postdesk.settings import TableNames
from postdesk.tickets.dynamo import (
    GuardItem,
    LogItem,
    MessageIndexItem,
    StatItem,
    TicketItem,
    bind_tables,
)
from postdesk.tickets.items import (
    TicketUpdate,
    epoch,
    event_from_item,
    expiry_of,
    from_epoch,
    item_from_event,
    item_from_message,
    item_from_ticket,
    message_from_item,
    stamped,
    ticket_from_item,
    update_actions,
    version_condition,
)
from postdesk.tickets.listing import (
    SNOOZED_READ_CAP,
    UNASSIGNED,
    ListPlan,
    Partition,
    TicketFilter,
    plan,
    wake_order,
)
from postdesk.tickets.model import Direction, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.stats import figures, stat_deltas

# A BatchGetItem reads at most 100 keys.
MAX_BATCH_KEYS = 100


@dataclass(frozen=True, slots=True)
class TicketPage:
    tickets: list[Ticket]
    # Where the next page starts (partition to start key, or "done"), or None after the last page.
    cursor: dict[str, Any] | None


_PARTITION_DONE = "done"
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class DayFigure:
    total: int
    values: list[float]


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the Message-ID index holds for one id: its ticket, which way the mail went, and the
    ticket's expiry when it is closed."""

    ref: str
    direction: Direction
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """What the tables know about a mail as it arrives, read at once: the Message-IDs it names that
    a ticket holds, and the guard of its delivery (set when an earlier attempt got that far)."""

    known: Mapping[str, IndexEntry]
    delivery: Guard | None
    # The guard of the first delivery of this mail from this sender (another SES id, an MTA's retry).
    first_delivery: Guard | None = None
    # The sender was released from quarantine by an agent before (workflows/quarantine.py).
    trusted_sender: bool = False


class DeliveredBefore(Exception):
    """The same mail from the same sender was delivered before under another SES id: ``first`` is
    the guard that first delivery wrote with its ticket or message. Nothing was written."""

    def __init__(self, first: Guard) -> None:
        super().__init__(f"delivered before to ticket {first.ref}")
        self.first = first


class Created(StrEnum):
    CREATED = "created"
    # Another attempt at this delivery holds its guard (with the ticket it chose): nothing written.
    CLAIMED_ELSEWHERE = "claimed_elsewhere"
    # Another ticket has this reference: nothing written.
    REF_TAKEN = "ref_taken"


class TicketStore:
    def __init__(
        self, tables: TableNames, region: str, stats_zone: str = "UTC", clock: Clock = utc_now
    ) -> None:
        bind_tables(tables, region)
        self._tables = tables
        self._region = region
        # What "now" is for retention: an item whose expiry has passed is never returned, whether
        # or not DynamoDB's TTL (which is lazy) deleted it yet.
        self._clock = clock
        # The desk's local days, which the per-day figures count in.
        self._stats_zone = ZoneInfo(stats_zone)

    def _transaction(self) -> NamedTransaction:
        return NamedTransaction(self._region)

    def _add_figures(
        self, transaction: NamedTransaction, events: Sequence[TicketEvent], before: Ticket | None
    ) -> None:
        """Add the events' figures to their days, in the transaction that writes the events
        (``before``: their ticket as the write found it, whose saved replies and suggested articles
        they add to)."""
        deltas = stat_deltas(
            events,
            self._stats_zone,
            before.saved_replies if before else (),
            suggested_articles=before.suggested_articles if before else (),
            answered_by_agent=before is not None and before.first_response_at is not None,
        )
        for (day, key), delta in deltas.items():
            actions: list[Action] = []
            if delta.count:
                actions.append(StatItem.total.add(delta.count))
            if delta.values:
                actions.append(StatItem.values.set((StatItem.values | []).append(delta.values)))
            if actions:
                transaction.update(f"stat:{day}:{key}", StatItem(day=day, key=key), actions=actions)

    def _add_log(
        self,
        transaction: NamedTransaction,
        messages: Sequence[ThreadMessage],
        events: Sequence[TicketEvent],
        expiry: datetime | None,
        update: TicketUpdate | None = None,
    ) -> None:
        """The messages and events, each written only if absent (the same cause writes the same key),
        and their figures (with those of the saved replies used on the ticket ``update`` changes)."""
        for message in messages:
            transaction.put(
                f"message:{message.key}",
                stamped(item_from_message(message), expiry),
                condition=LogItem.sk.does_not_exist(),
            )
        for event in events:
            transaction.put(
                f"event:{event.event_id}",
                stamped(item_from_event(event), expiry),
                condition=LogItem.sk.does_not_exist(),
            )
        self._add_figures(transaction, events, update.before if update else None)

    @staticmethod
    def _add_update(transaction: NamedTransaction, update: TicketUpdate | None) -> None:
        if update is not None:
            transaction.update(
                "ticket",
                TicketItem(ref=update.before.ref),
                actions=update_actions(update),
                condition=version_condition(update.before),
            )

    @staticmethod
    def _add_index(
        transaction: NamedTransaction,
        ref: str,
        index: Mapping[str, Direction],
        expiry: datetime | None,
        *,
        ours: bool,
    ) -> None:
        """Message-ID entries for ``ref``. Ids received are first-writer-wins (a client that reuses a
        Message-ID must not move a thread); ids ``ours`` (minted by us or SES for our mail) are
        written as they are."""
        for message_id, direction in index.items():
            transaction.put(
                f"index:{message_id}",
                MessageIndexItem(
                    message_id=message_id,
                    ref=ref,
                    direction=direction.value,
                    expires_at=epoch(expiry) if expiry else None,
                ),
                condition=None if ours else MessageIndexItem.message_id.does_not_exist(),
            )

    @staticmethod
    def _claim_in(
        transaction: NamedTransaction, claim: GuardClaim | None, first: GuardClaim | None = None
    ) -> None:
        if claim is not None:
            Guards.put_in(transaction, guard_item(claim.key, claim.state, claim.at, claim.ref, claim.detail))
        if first is not None:
            # Its 30 days are the rule (the same mail later is a new request), not housekeeping.
            Guards.put_in(
                transaction,
                guard_item(first.key, first.state, first.at, first.ref, first.detail),
                name="first-delivery",
                over_expired=True,
            )

    @staticmethod
    def _delivered_before(transaction: NamedTransaction) -> None:
        if "first-delivery" in transaction.failed:
            found = found_guard(transaction, "first-delivery")
            if found is not None and found.ref:
                raise DeliveredBefore(found)

    # Tickets -------------------------------------------------------------------------------------

    def _now_epoch(self) -> int:
        return epoch(self._clock())

    def get_ticket(self, ref: str) -> Ticket | None:
        item = read_item(TicketItem, ref)
        if item is None:
            return None
        if _expired(item.expires_at, self._now_epoch()):
            return None
        return ticket_from_item(item)

    def get_tickets(self, refs: Sequence[str]) -> dict[str, Ticket]:
        """The tickets of ``refs`` that exist and have not expired, by reference (batched reads)."""
        now = self._now_epoch()
        found: dict[str, Ticket] = {}
        wanted = list(dict.fromkeys(refs))
        for start in range(0, len(wanted), 100):
            for item in TicketItem.batch_get(wanted[start : start + 100], consistent_read=True):
                if not _expired(item.expires_at, now):
                    found[str(item.ref)] = ticket_from_item(item)
        return found

    def every_ref(self) -> Iterator[str]:
        """Every ticket's reference, read page by page: the one scan of the desk, for rebuilding the
        search index from the tables (an operator's command, never a request's path)."""
        for item in TicketItem.scan(attributes_to_get=["ref"], page_size=1000):
            yield str(item.ref)

    def create_ticket(
        self,
        ticket: Ticket,
        first_message: ThreadMessage | None,
        events: Sequence[TicketEvent],
        *,
        claim: GuardClaim | None = None,
        first: GuardClaim | None = None,
        index: Mapping[str, Direction] | None = None,
    ) -> tuple[Created, Guard | None]:
        """Store a new ticket with its first message, its events, the guard of the delivery that
        made it (``claim``), the guard of the mail's first delivery (``first``) and its Message-IDs
        (``index``), all or nothing: CLAIMED_ELSEWHERE when the delivery's guard exists, REF_TAKEN
        when the reference (or its log) does; DeliveredBefore is raised when ``first`` exists. An id
        another ticket holds stays that ticket's (the write is made again without it). With
        CLAIMED_ELSEWHERE, the guard found in the way."""
        pending = dict(index or {})
        while True:
            transaction = self._transaction()
            transaction.put("ticket", item_from_ticket(ticket), condition=TicketItem.ref.does_not_exist())
            self._claim_in(transaction, claim, first)
            # None: a ticket an agent starts, whose first message is the mail it then sends.
            self._add_log(transaction, [first_message] if first_message else [], events, None)
            self._add_index(transaction, ticket.ref, pending, None, ours=False)
            if transaction.commit():
                return Created.CREATED, None
            if "guard" in transaction.failed:
                return Created.CLAIMED_ELSEWHERE, found_guard(transaction)
            self._delivered_before(transaction)
            taken = {name.removeprefix("index:") for name in transaction.failed if name.startswith("index:")}
            if not taken or transaction.failed - {f"index:{message_id}" for message_id in taken}:
                return Created.REF_TAKEN, None
            pending = {message_id: d for message_id, d in pending.items() if message_id not in taken}

    def append_message(
        self,
        message: ThreadMessage,
        events: Sequence[TicketEvent],
        update: TicketUpdate | None = None,
        *,
        expires_at: datetime | None = None,
        claim: GuardClaim | None = None,
        first: GuardClaim | None = None,
        index: Mapping[str, Direction] | None = None,
    ) -> bool:
        """Add a message to a thread, apply ``update``, write the events, claim the guard of the
        delivery (``claim``) and of the mail's first delivery (``first``) and index the message's ids
        (``index``), all or nothing. False when the message or the guard is already there (an earlier
        attempt wrote it); DeliveredBefore when ``first`` is (another delivery of the same mail);
        ConcurrentUpdate when the ticket changed since it was read. The items carry the ticket's
        expiry (``update``'s, else ``expires_at``) while it is closed."""
        expiry = expiry_of(update, expires_at)
        pending = dict(index or {})
        while True:
            transaction = self._transaction()
            self._add_log(transaction, [message], events, expiry, update)
            self._add_update(transaction, update)
            self._claim_in(transaction, claim, first)
            self._add_index(transaction, message.ref, pending, expiry, ours=False)
            if transaction.commit():
                return True
            if transaction.failed & {f"message:{message.key}", "guard"}:
                return False
            self._delivered_before(transaction)
            if update is not None and "ticket" in transaction.failed:
                raise self._conflict(update.before.ref)
            taken = {name.removeprefix("index:") for name in transaction.failed if name.startswith("index:")}
            if not taken:
                return False
            pending = {message_id: d for message_id, d in pending.items() if message_id not in taken}

    def update_ticket(self, update: TicketUpdate, events: Sequence[TicketEvent]) -> bool:
        """Apply ``update`` and write its events together. False when these events are already in
        the log (an earlier attempt made the change); ConcurrentUpdate when the ticket changed since
        it was read; TicketNotFound when it does not exist."""
        transaction = self._transaction()
        self._add_update(transaction, update)
        self._add_log(transaction, [], events, expiry_of(update, None), update)
        if transaction.commit():
            return True
        if any(name.startswith("event:") for name in transaction.failed):
            return False
        raise self._conflict(update.before.ref)

    def finish_guard(
        self,
        move: GuardMove,
        *,
        events: Sequence[TicketEvent] = (),
        messages: Sequence[ThreadMessage] = (),
        update: TicketUpdate | None = None,
        expires_at: datetime | None = None,
        index: Mapping[str, Direction] | None = None,
        ref: str | None = None,
    ) -> bool:
        """Move a guard on (for example from sending to sent) and write what records its side effect:
        messages, events, a ticket update and the Message-IDs we minted for ``ref`` (``index``), all
        or nothing, the items with the ticket's expiry (``update``'s, else ``expires_at``). False if
        the guard moved on already; ConcurrentUpdate when the ticket changed since it was read."""
        expiry = expiry_of(update, expires_at)
        transaction = self._transaction()
        Guards.move_in(transaction, move.key, move.from_state, move.to_state, move.detail)
        self._add_update(transaction, update)
        self._add_log(transaction, messages, events, expiry, update)
        if index:
            owner = ref or (update.before.ref if update else messages[0].ref if messages else "")
            self._add_index(transaction, owner, index, expiry, ours=True)
        if transaction.commit():
            return True
        if "guard" in transaction.failed:
            return False
        if update is not None and "ticket" in transaction.failed:
            raise self._conflict(update.before.ref)
        return False

    def _conflict(self, ref: str) -> Exception:
        if self.get_ticket(ref) is None:
            return TicketNotFound(ref)
        return ConcurrentUpdate(f"ticket {ref} changed since it was read")

    def list_tickets(
        self, wanted: TicketFilter, limit: int, cursor: Mapping[str, Any] | None = None
    ) -> TicketPage:
        """A page of the tickets ``wanted`` asks for, in its order, read from the list indexes (one
        query per partition, merged); never a scan. ``cursor`` is the previous page's."""
        listing = plan(wanted)
        residual = _residual_condition(listing)
        alive = _alive(TicketItem.expires_at, self._now_epoch())
        filter_condition = alive if residual is None else residual & alive
        if wanted.snoozed:
            return self._list_by_wake(listing, filter_condition, limit, cursor)
        state: dict[str, Any] = dict(cursor or {})
        fetched: list[list[TicketItem]] = []
        for partition in listing.partitions:
            start = state.get(partition.hash_value)
            if start == _PARTITION_DONE:
                fetched.append([])
                continue
            index = _INDEXES[partition.index_name]
            fetched.append(
                list(
                    index.query(
                        partition.hash_value,
                        _range_condition(partition),
                        filter_condition=filter_condition,
                        scan_index_forward=partition.ascending,
                        limit=limit,
                        last_evaluated_key=start,
                    )
                )
            )
        ascending = all(partition.ascending for partition in listing.partitions)
        tagged = [
            [(getattr(item, partition.range_attribute), position, item) for item in items]
            for position, (partition, items) in enumerate(zip(listing.partitions, fetched, strict=True))
        ]
        taken = list(heapq.merge(*tagged, key=lambda entry: entry[0], reverse=not ascending))[:limit]
        next_state: dict[str, Any] = {}
        for position, (partition, items) in enumerate(zip(listing.partitions, fetched, strict=True)):
            mine = [item for _, where, item in taken if where == position]
            previous = state.get(partition.hash_value)
            if previous == _PARTITION_DONE or (len(items) < limit and len(mine) == len(items)):
                next_state[partition.hash_value] = _PARTITION_DONE
            elif mine:
                next_state[partition.hash_value] = _start_key(
                    mine[-1], partition.hash_attribute, partition.range_attribute
                )
            elif previous is not None:
                next_state[partition.hash_value] = previous
        more = any(value != _PARTITION_DONE for value in next_state.values()) or len(next_state) < len(
            listing.partitions
        )
        return TicketPage([ticket_from_item(item) for _, _, item in taken], next_state if more else None)

    def _list_by_wake(
        self, listing: ListPlan, condition: Condition, limit: int, cursor: Mapping[str, Any] | None
    ) -> TicketPage:
        """A page of the Snoozed view: no index is sorted by wake time, so its partitions are read
        whole (at most SNOOZED_READ_CAP tickets), sorted, and paged by position."""
        offset = (cursor or {}).get("offset", 0)
        if not isinstance(offset, int) or offset < 0:
            raise ValueError("a cursor of the Snoozed view holds its offset")
        tickets: list[Ticket] = []
        for partition in listing.partitions:
            items = _INDEXES[partition.index_name].query(
                partition.hash_value,
                _range_condition(partition),
                filter_condition=condition,
                limit=SNOOZED_READ_CAP - len(tickets),
            )
            tickets.extend(ticket_from_item(item) for item in items)
        tickets.sort(key=wake_order)
        page = tickets[offset : offset + limit]
        more = offset + limit < len(tickets)
        return TicketPage(page, {"offset": offset + limit} if more else None)

    def count_tickets(self, wanted: TicketFilter, cap: int) -> int:
        """How many tickets ``wanted`` asks for, counting at most ``cap`` (a view's count), with
        ``Select=COUNT`` over its index partitions: no ticket is read, nothing is scanned. Only for
        a filter its partitions answer whole (no residual condition: a view's plain list), but for
        the queues of an agent who sees some only (then the items of the partitions are evaluated,
        and only those of their queues counted)."""
        listing = plan(wanted)
        if set(listing.residual) - {"snoozed"} or listing.statuses:
            raise ValueError("a count is taken only of a list its index partitions hold exactly")
        alive = _alive(TicketItem.expires_at, self._now_epoch())
        if listing.queue_in is not None:
            alive &= TicketItem.queue.is_in(*listing.queue_in)
        if listing.residual:
            # The snoozed tickets of the on-hold partitions: their items are evaluated, not read.
            alive &= TicketItem.snoozed == True  # noqa: E712
        total = 0
        for partition in listing.partitions:
            if total >= cap:
                break
            # Limit caps the items DynamoDB evaluates (and bills); the alive filter only drops
            # closed tickets past their expiry, which the views never hold.
            total += int(
                _INDEXES[partition.index_name].count(
                    partition.hash_value,
                    range_key_condition=_range_condition(partition),
                    filter_condition=alive,
                    limit=cap - total,
                )
            )
        return min(total, cap)

    def tickets_of_requester(self, email: str, limit: int = 50) -> list[Ticket]:
        items = TicketItem.by_requester.query(
            email.lower(),
            filter_condition=_alive(TicketItem.expires_at, self._now_epoch()),
            scan_index_forward=False,
            limit=limit,
        )
        return [ticket_from_item(item) for item in items]

    # Thread and log ------------------------------------------------------------------------------

    def thread(self, ref: str) -> list[ThreadMessage]:
        return [message_from_item(item) for item in self._live_log(ref, "M#")]

    def log(self, ref: str) -> tuple[list[ThreadMessage], list[TicketEvent]]:
        """The ticket's thread and its events, read in one query of its log."""
        items = list(self._live_log(ref))
        thread = [message_from_item(item) for item in items if str(item.sk).startswith("M#")]
        return thread, [event_from_item(item) for item in items if str(item.sk).startswith("E#")]

    def copy_log(self, source: str, target: str) -> int:
        """Copy every message and event of ``source``'s log into ``target``'s under the same keys
        (their times keep them in order among the target's own). An item already there is left as it
        is, so a copy cut short and made again writes each item once. The number of items copied."""
        copied = 0
        for item in self._live_log(source):
            item.ref = target
            if save_if(item, LogItem.sk.does_not_exist()):
                copied += 1
        return copied

    def events(self, ref: str) -> list[TicketEvent]:
        return [event_from_item(item) for item in self._live_log(ref, "E#")]

    def _live_log(self, ref: str, prefix: str = "") -> Iterator[LogItem]:
        """The items of ``ref``'s log that have not expired (those whose key starts with ``prefix``:
        "M#" messages, "E#" events), read consistently: a write just made is among them."""
        return LogItem.query(
            ref,
            LogItem.sk.startswith(prefix) if prefix else None,
            filter_condition=_alive(LogItem.expires_at, self._now_epoch()),
            consistent_read=True,
        )

    def record_event(self, event: TicketEvent, *, expires_at: datetime | None = None) -> bool:
        """Append one event (with the ticket's expiry, while it is closed); False when that very event
        (same cause) is already in the log."""
        item = stamped(item_from_event(event), expires_at)
        if figures(event):
            transaction = self._transaction()
            self._add_log(transaction, [], [event], expires_at)
            return transaction.commit()
        return save_if(item, LogItem.sk.does_not_exist())

    # Figures --------------------------------------------------------------------------------------

    def figures_of(self, days: Sequence[date]) -> dict[date, dict[str, DayFigure]]:
        """The per-day figures of ``days`` (one query per day; days without any are left out)."""
        found: dict[date, dict[str, DayFigure]] = {}
        for day in days:
            items = list(StatItem.query(day.isoformat(), consistent_read=True))
            if items:
                found[day] = {
                    item.key: DayFigure(int(item.total or 0), [float(v) for v in item.values or []])
                    for item in items
                }
        return found

    def counts_of(self, key: str, days: Sequence[date]) -> dict[date, int]:
        """The count of one figure on each of ``days`` (0 where there is none), in one batch read."""
        counts = dict.fromkeys(days, 0)
        for item in StatItem.batch_get([(day.isoformat(), key) for day in days], consistent_read=True):
            counts[date.fromisoformat(item.day)] = int(item.total or 0)
        return counts

    def count_waiting(self, status: Status, since: datetime | None, before: datetime | None) -> int:
        """How many tickets of ``status`` have waited since a moment in [since, before) (a count
        over the status index: no ticket is read)."""
        condition: Condition | None = None
        if since is not None and before is not None:
            condition = TicketItem.waiting_since.between(to_iso(since), to_iso(before - _JUST_BEFORE))
        elif since is not None:
            condition = TicketItem.waiting_since >= to_iso(since)
        elif before is not None:
            condition = TicketItem.waiting_since < to_iso(before)
        return int(
            TicketItem.status_waiting.count(
                status.value,
                range_key_condition=condition,
                filter_condition=_alive(TicketItem.expires_at, self._now_epoch()),
            )
        )

    # Message-ID index ----------------------------------------------------------------------------

    def index_message_ids(
        self,
        ref: str,
        message_ids: Iterable[str],
        direction: Direction,
        *,
        expires_at: datetime | None = None,
    ) -> None:
        """Map Message-IDs to the ticket (with its expiry, while it is closed). The first ticket to
        claim an id keeps it: a client that reuses a Message-ID must not move a thread to another
        ticket."""
        for message_id in dict.fromkeys(message_ids):
            item = MessageIndexItem(
                message_id=message_id,
                ref=ref,
                direction=direction.value,
                expires_at=epoch(expires_at) if expires_at else None,
            )
            save_if(item, MessageIndexItem.message_id.does_not_exist())

    def lookup_message_ids(self, message_ids: Sequence[str]) -> dict[str, tuple[str, Direction]]:
        """Which of these Message-IDs we know: id to (ref, direction)."""
        return {
            message_id: (entry.ref, entry.direction)
            for message_id, entry in self.message_index_entries(message_ids).items()
        }

    def message_index_entries(self, message_ids: Sequence[str]) -> dict[str, IndexEntry]:
        """The index entries of these Message-IDs (the first 100), leaving out expired ones."""
        return dict(self.lookup_arrival(message_ids, None).known)

    def lookup_arrival(
        self,
        message_ids: Sequence[str],
        delivery_guard: str | None,
        first_delivery_guard: str | None = None,
        trusted_sender_guard: str | None = None,
    ) -> Arrival:
        """The index entries of these Message-IDs (as many as fit beside the guards; expired ones
        left out), the guard ``delivery_guard``, the live guard ``first_delivery_guard`` and whether
        the sender is trusted (``trusted_sender_guard``), in one BatchGetItem over both tables."""
        guard_keys = [key for key in (delivery_guard, first_delivery_guard, trusted_sender_guard) if key]
        room = MAX_BATCH_KEYS - len(guard_keys)
        wanted = list(dict.fromkeys(message_ids))[:room]
        requests: dict[str, dict[str, Any]] = {}
        if wanted:
            requests[self._tables.message_index] = {
                "Keys": [{"message_id": {"S": message_id}} for message_id in wanted],
                "ConsistentRead": True,
            }
        if guard_keys:
            requests[self._tables.guards] = {
                "Keys": [{"key": {"S": key}} for key in guard_keys],
                "ConsistentRead": True,
            }
        found: dict[str, list[dict[str, Any]]] = {}
        client = shared_connection(self._region).client
        while requests:
            answer = client.batch_get_item(RequestItems=requests)
            for table, items in answer.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            requests = answer.get("UnprocessedKeys") or {}
        now = self._now_epoch()
        known: dict[str, IndexEntry] = {}
        for raw in found.get(self._tables.message_index, []):
            item = MessageIndexItem.from_raw_data(raw)
            if not _expired(item.expires_at, now):
                known[item.message_id] = IndexEntry(
                    item.ref, Direction(item.direction), from_epoch(item.expires_at)
                )
        guards: dict[str, Guard] = {}
        for raw in found.get(self._tables.guards, []):
            guard = GuardItem.from_raw_data(raw)
            if not _expired(guard.expires_at, now):
                guards[guard.key] = guard_from_item(guard)
        return Arrival(
            known,
            guards.get(delivery_guard) if delivery_guard else None,
            guards.get(first_delivery_guard) if first_delivery_guard else None,
            trusted_sender=bool(trusted_sender_guard and trusted_sender_guard in guards),
        )

    # Retention (workflows/retention.py) ----------------------------------------------------------

    def expire_log(self, ref: str, expires_at: datetime | None) -> list[ThreadMessage]:
        """Give every item of the ticket's log the expiry ``expires_at`` (None: none), one
        conditional put per item that differs (items already right are left alone, so a repeat is
        cheap; an item deleted meanwhile stays deleted). Returns the ticket's thread as it is stored."""
        wanted = epoch(expires_at) if expires_at else None
        thread: list[ThreadMessage] = []
        for item in LogItem.query(ref, consistent_read=True):
            if item.sk.startswith("M#"):
                thread.append(message_from_item(item))
            if (int(item.expires_at) if item.expires_at is not None else None) == wanted:
                continue
            item.expires_at = wanted
            save_if(item, LogItem.sk.exists())
        return thread

    def expire_message_ids(
        self, ref: str, entries: Mapping[str, Direction], expires_at: datetime | None
    ) -> int:
        """Give the index entries of ``entries`` that belong to ``ref`` the expiry ``expires_at``
        (None: none); an id another ticket claimed first, or that was never written, is left alone.
        How many entries were written."""
        written = 0
        for message_id, direction in entries.items():
            item = MessageIndexItem(
                message_id=message_id,
                ref=ref,
                direction=direction.value,
                expires_at=epoch(expires_at) if expires_at else None,
            )
            ours = (MessageIndexItem.ref == ref) & (MessageIndexItem.direction == direction.value)
            if save_if(item, ours):
                written += 1
        return written


def _expired(expires_at: float | None, now: int) -> bool:
    return expires_at is not None and int(expires_at) <= now


def _alive(attribute: Any, now: int) -> Condition:
    """Items without an expiry, or whose expiry is still ahead (TTL deletes expired ones lazily)."""
    condition: Condition = attribute.does_not_exist() | (attribute > now)
    return condition


_INDEXES: dict[str, Any] = {
    "by-requester": TicketItem.by_requester,
    "status-waiting": TicketItem.status_waiting,
    "status-priority": TicketItem.status_priority,
    "assignee-waiting": TicketItem.assignee_waiting,
    "assignee-priority": TicketItem.assignee_priority,
    "queue-waiting": TicketItem.queue_waiting,
    "queue-priority": TicketItem.queue_priority,
    "follow-up": TicketItem.follow_up_index,
    "sla-due": TicketItem.sla_due_index,
}


def _range_condition(partition: Partition) -> Condition | None:
    """The key condition on a partition's range key: its prefix, or its range of times."""
    attribute = getattr(TicketItem, partition.range_attribute)
    if partition.range_prefix:
        condition: Condition = attribute.startswith(partition.range_prefix)
        return condition
    low, high = partition.range_from, partition.range_before
    if low is not None and high is not None:
        # ISO times of one width: "before" is exclusive, BETWEEN inclusive.
        return attribute.between(low, to_iso(from_iso(high) - _JUST_BEFORE))  # type: ignore[no-any-return]
    if low is not None:
        return attribute >= low  # type: ignore[no-any-return]
    if high is not None:
        return attribute < high  # type: ignore[no-any-return]
    return None


def _residual_condition(listing: ListPlan) -> Condition | None:
    conditions: list[Condition] = []
    for name, value in listing.residual.items():
        if name == "assignee" and value == UNASSIGNED:
            conditions.append(TicketItem.assignee.does_not_exist())
        else:
            conditions.append(getattr(TicketItem, name) == value)
    if listing.statuses:
        conditions.append(TicketItem.status_key.is_in(*listing.statuses))
    if listing.queue_in is not None:
        conditions.append(TicketItem.queue.is_in(*listing.queue_in))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined &= condition
    return combined


def _start_key(item: TicketItem, hash_attribute: str, range_attribute: str) -> dict[str, Any]:
    """Where a query of an index continues after ``item`` (DynamoDB's ExclusiveStartKey)."""
    return {
        "ref": {"S": item.ref},
        hash_attribute: {"S": getattr(item, hash_attribute)},
        range_attribute: {"S": getattr(item, range_attribute)},
    }
