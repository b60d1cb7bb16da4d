"""The one repository that reads and writes tickets, their log, the Message-ID index, counters and
guards. Nothing above this module touches DynamoDB; DynamoDB errors become domain answers here."""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from postdesk.aws.dynamodb import shared_connection
from postdesk.clock import Clock, from_iso, to_iso, utc_now
from postdesk.errors import ConcurrentUpdate, TicketNotFound
from postdesk.settings import TableNames
from postdesk.tickets.dynamo import (
    AttachmentMap,
    CounterItem,
    GuardItem,
    LogItem,
    MessageIndexItem,
    StatItem,
    TicketItem,
    bind_tables,
)
from postdesk.tickets.listing import UNASSIGNED, ListPlan, TicketFilter, index_keys, plan
from postdesk.tickets.model import (
    AttachmentRef,
    Direction,
    MessageKind,
    SlaClocks,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)
from postdesk.tickets.stats import figures, stat_deltas

_CONDITION_FAILED = "ConditionalCheckFailed"
# Guards outlive every retry SES and Lambda can make (hours) by a wide margin.
GUARD_TTL_SECONDS = 30 * 24 * 3600


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    ALREADY_CLAIMED = "already_claimed"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class Guard:
    key: str
    state: str
    ref: str | None
    detail: dict[str, str]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` claims per window; ``window_key`` names the window (for example the hour)."""

    window_key: str
    limit: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class TicketUpdate:
    """Changes to a ticket as it was read (``before``): Ticket field names to their new values.
    Written only over that very version of the ticket, else :class:`ConcurrentUpdate`."""

    before: Ticket
    changes: Mapping[str, Any]

    def after(self) -> Ticket:
        return replace(self.before, **self.changes)


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


class TicketStore:
    def __init__(
        self, tables: TableNames, region: str, stats_zone: str = "UTC", clock: Clock = utc_now
    ) -> None:
        bind_tables(tables, region)
        self._region = region
        # What "now" is for retention: an item whose expiry has passed is never returned, whether
        # or not DynamoDB's TTL (which is lazy) deleted it yet.
        self._clock = clock
        self._transaction_connection: Connection | None = None
        # The desk's local days, which the per-day figures count in.
        self._stats_zone = ZoneInfo(stats_zone)

    def _add_figures(self, transaction: TransactWrite, events: Sequence[TicketEvent]) -> None:
        """Add the events' figures to their days, in the transaction that writes the events (after
        every other update, so the positions the callers read failures at stay as they are)."""
        for (day, key), delta in stat_deltas(events, self._stats_zone).items():
            actions: list[Action] = []
            if delta.count:
                actions.append(StatItem.total.add(delta.count))
            if delta.values:
                actions.append(StatItem.values.set((StatItem.values | []).append(delta.values)))
            if actions:
                transaction.update(StatItem(day=day, key=key), actions=actions)

    def _transaction(self, token: str | None = None) -> TransactWrite:
        # A client request token makes DynamoDB itself treat a retried transaction as done (10 min).
        return TransactWrite(connection=self._connection(), client_request_token=token)

    def _connection(self) -> Connection:
        # One connection (one botocore client) for the store's life: making one costs ~0.1 s, and
        # a ticket's arrival takes several transactions.
        if self._transaction_connection is None:
            self._transaction_connection = shared_connection(self._region)
        return self._transaction_connection

    # Tickets -------------------------------------------------------------------------------------

    def _now_epoch(self) -> int:
        return _epoch(self._clock())

    def get_ticket(self, ref: str) -> Ticket | None:
        try:
            item = TicketItem.get(ref, consistent_read=True)
        except DoesNotExist:
            return None
        if _expired(item.expires_at, self._now_epoch()):
            return None
        return _ticket_from_item(item)

    def create_ticket(
        self,
        ticket: Ticket,
        first_message: ThreadMessage,
        events: Sequence[TicketEvent],
    ) -> bool:
        """Store a new ticket with its first message and events, all or nothing. False when the ticket
        already exists (a retried delivery that got this far before)."""
        try:
            with self._transaction() as transaction:
                transaction.save(_item_from_ticket(ticket), condition=TicketItem.ref.does_not_exist())
                transaction.save(_item_from_message(first_message), condition=LogItem.sk.does_not_exist())
                for event in events:
                    transaction.save(_item_from_event(event), condition=LogItem.sk.does_not_exist())
                self._add_figures(transaction, events)
        except TransactWriteError as error:
            if _failed_conditions(error):
                return False
            raise
        return True

    def append_message(
        self,
        message: ThreadMessage,
        events: Sequence[TicketEvent],
        update: TicketUpdate | None = None,
        *,
        expires_at: datetime | None = None,
    ) -> bool:
        """Add a message to a thread, apply ``update`` and write the events, all or nothing. False
        when the message is already there; ConcurrentUpdate when the ticket changed since it was read.
        The items carry the ticket's expiry (``update``'s, else ``expires_at``) while it is closed."""
        expiry = _expiry(update, expires_at)
        try:
            with self._transaction() as transaction:
                transaction.save(
                    _stamped(_item_from_message(message), expiry), condition=LogItem.sk.does_not_exist()
                )
                if update is not None:
                    transaction.update(
                        TicketItem(ref=update.before.ref),
                        actions=_update_actions(update),
                        condition=_version_condition(update.before),
                    )
                for event in events:
                    transaction.save(
                        _stamped(_item_from_event(event), expiry), condition=LogItem.sk.does_not_exist()
                    )
                self._add_figures(transaction, events)
        except TransactWriteError as error:
            if _failed_at(error, 0):
                return False
            if update is not None and _failed_at(error, 1 + len(events)):
                raise self._conflict(update.before.ref) from error
            if _failed_conditions(error):
                return False
            raise
        return True

    def update_ticket(self, update: TicketUpdate, events: Sequence[TicketEvent]) -> bool:
        """Apply ``update`` and write its events together. False when these events are already in
        the log (an earlier attempt made the change); ConcurrentUpdate when the ticket changed since
        it was read; TicketNotFound when it does not exist."""
        ref = update.before.ref
        expiry = _expiry(update, None)
        try:
            with self._transaction() as transaction:
                transaction.update(
                    TicketItem(ref=ref),
                    actions=_update_actions(update),
                    condition=_version_condition(update.before),
                )
                for event in events:
                    transaction.save(
                        _stamped(_item_from_event(event), expiry), condition=LogItem.sk.does_not_exist()
                    )
                self._add_figures(transaction, events)
        except TransactWriteError as error:
            if any(_failed_at(error, index) for index in range(len(events))):
                return False
            if _failed_at(error, len(events)):
                raise self._conflict(ref) from error
            raise
        return True

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
        state: dict[str, Any] = dict(cursor or {})
        fetched: list[list[TicketItem]] = []
        for partition in listing.partitions:
            start = state.get(partition.hash_value)
            if start == _PARTITION_DONE:
                fetched.append([])
                continue
            index = _INDEXES[partition.index_name]
            range_attribute = getattr(TicketItem, partition.range_attribute)
            prefix = partition.range_prefix
            fetched.append(
                list(
                    index.query(
                        partition.hash_value,
                        range_attribute.startswith(prefix) if prefix else None,
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
        return TicketPage([_ticket_from_item(item) for _, _, item in taken], next_state if more else None)

    def tickets_of_requester(self, email: str, limit: int = 50) -> list[Ticket]:
        items = TicketItem.by_requester.query(
            email.lower(),
            filter_condition=_alive(TicketItem.expires_at, self._now_epoch()),
            scan_index_forward=False,
            limit=limit,
        )
        return [_ticket_from_item(item) for item in items]

    # Thread and log ------------------------------------------------------------------------------

    def thread(self, ref: str) -> list[ThreadMessage]:
        items = LogItem.query(
            ref,
            LogItem.sk.startswith("M#"),
            filter_condition=_alive(LogItem.expires_at, self._now_epoch()),
            consistent_read=True,
        )
        return [_message_from_item(item) for item in items]

    def events(self, ref: str) -> list[TicketEvent]:
        items = LogItem.query(
            ref,
            LogItem.sk.startswith("E#"),
            filter_condition=_alive(LogItem.expires_at, self._now_epoch()),
            consistent_read=True,
        )
        return [_event_from_item(item) for item in items]

    def record_event(self, event: TicketEvent, *, expires_at: datetime | None = None) -> bool:
        """Append one event (with the ticket's expiry, while it is closed); False when that very event
        (same cause) is already in the log."""
        item = _stamped(_item_from_event(event), expires_at)
        if figures(event):
            try:
                with self._transaction() as transaction:
                    transaction.save(item, condition=LogItem.sk.does_not_exist())
                    self._add_figures(transaction, [event])
            except TransactWriteError as error:
                if _failed_at(error, 0):
                    return False
                raise
            return True
        try:
            item.save(condition=LogItem.sk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

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
            try:
                MessageIndexItem(
                    message_id=message_id,
                    ref=ref,
                    direction=direction.value,
                    expires_at=_epoch(expires_at) if expires_at else None,
                ).save(condition=MessageIndexItem.message_id.does_not_exist())
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise

    def lookup_message_ids(self, message_ids: Sequence[str]) -> dict[str, tuple[str, Direction]]:
        """Which of these Message-IDs we know: id to (ref, direction)."""
        return {
            message_id: (entry.ref, entry.direction)
            for message_id, entry in self.message_index_entries(message_ids).items()
        }

    def message_index_entries(self, message_ids: Sequence[str]) -> dict[str, IndexEntry]:
        """The index entries of these Message-IDs (the first 100), leaving out expired ones."""
        found: dict[str, IndexEntry] = {}
        wanted = list(dict.fromkeys(message_ids))[:100]
        now = self._now_epoch()
        if wanted:
            for item in MessageIndexItem.batch_get(wanted):
                if _expired(item.expires_at, now):
                    continue
                found[item.message_id] = IndexEntry(
                    item.ref, Direction(item.direction), _from_epoch(item.expires_at)
                )
        return found

    # Retention (workflows/retention.py) ----------------------------------------------------------

    def expire_log(self, ref: str, expires_at: datetime | None) -> list[ThreadMessage]:
        """Give every item of the ticket's log the expiry ``expires_at`` (None: none), one
        conditional put per item that differs (items already right are left alone, so a repeat is
        cheap; an item deleted meanwhile stays deleted). Returns the ticket's thread as it is stored."""
        wanted = _epoch(expires_at) if expires_at else None
        thread: list[ThreadMessage] = []
        for item in LogItem.query(ref, consistent_read=True):
            if item.sk.startswith("M#"):
                thread.append(_message_from_item(item))
            if (int(item.expires_at) if item.expires_at is not None else None) == wanted:
                continue
            item.expires_at = wanted
            try:
                item.save(condition=LogItem.sk.exists())
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
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
                expires_at=_epoch(expires_at) if expires_at else None,
            )
            try:
                item.save(
                    condition=(MessageIndexItem.ref == ref) & (MessageIndexItem.direction == direction.value)
                )
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue
            written += 1
        return written

    # Guards and counters -------------------------------------------------------------------------

    def get_guard(self, key: str) -> Guard | None:
        try:
            item = GuardItem.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        return Guard(item.key, item.state, item.ref, dict(item.detail.as_dict()) if item.detail else {})

    def claim(
        self,
        key: str,
        *,
        state: str,
        now: datetime,
        ref: str | None = None,
        detail: dict[str, str] | None = None,
        rate_limits: Sequence[RateLimit] = (),
    ) -> ClaimResult:
        """Create the guard ``key`` unless it exists, counting the claim against every rate limit in
        the same transaction: either the guard is created and every counter moves, or nothing does."""
        guard = GuardItem(
            key=key,
            state=state,
            ref=ref,
            detail=detail or None,
            created_at=to_iso(now),
            expires_at=int(now.timestamp()) + GUARD_TTL_SECONDS,
        )
        try:
            with self._transaction() as transaction:
                transaction.save(guard, condition=GuardItem.key.does_not_exist())
                for limit in rate_limits:
                    transaction.update(
                        CounterItem(key=limit.window_key),
                        actions=[CounterItem.hits.add(1), CounterItem.expires_at.set(limit.expires_at)],
                        condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit.limit),
                    )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if reasons and reasons[0] is not None and reasons[0].code == _CONDITION_FAILED:
                return ClaimResult.ALREADY_CLAIMED
            if any(reason is not None and reason.code == _CONDITION_FAILED for reason in reasons[1:]):
                return ClaimResult.RATE_LIMITED
            raise
        return ClaimResult.CLAIMED

    def claim_or_get(self, key: str, *, state: str, now: datetime, ref: str) -> Guard:
        """Create the guard ``key`` holding ``ref``, or return the one a previous attempt created."""
        if self.claim(key, state=state, now=now, ref=ref) is ClaimResult.CLAIMED:
            return Guard(key, state, ref, {})
        existing = self.get_guard(key)
        if existing is None:  # Only possible if the guard expired between the two calls.
            return self.claim_or_get(key, state=state, now=now, ref=ref)
        return existing

    def finish_guard(
        self,
        key: str,
        *,
        from_state: str,
        to_state: str,
        detail: dict[str, str],
        events: Sequence[TicketEvent] = (),
        messages: Sequence[ThreadMessage] = (),
        update: TicketUpdate | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """Move a guard on (for example claimed to sent) with what the side effect produced, and
        write the events, messages and ticket update that record it, all or nothing (the items with
        the ticket's expiry: ``update``'s, else ``expires_at``). False if already moved on;
        ConcurrentUpdate when the ticket changed since it was read."""
        expiry = _expiry(update, expires_at)
        try:
            with self._transaction() as transaction:
                transaction.update(
                    GuardItem(key=key),
                    actions=[GuardItem.state.set(to_state), GuardItem.detail.set(detail)],
                    condition=GuardItem.state == from_state,
                )
                if update is not None:
                    transaction.update(
                        TicketItem(ref=update.before.ref),
                        actions=_update_actions(update),
                        condition=_version_condition(update.before),
                    )
                for message in messages:
                    transaction.save(
                        _stamped(_item_from_message(message), expiry), condition=LogItem.sk.does_not_exist()
                    )
                for event in events:
                    transaction.save(
                        _stamped(_item_from_event(event), expiry), condition=LogItem.sk.does_not_exist()
                    )
                self._add_figures(transaction, events)
        except TransactWriteError as error:
            puts = len(messages) + len(events)
            if _failed_at(error, puts):
                return False
            if update is not None and _failed_at(error, puts + 1):
                raise self._conflict(update.before.ref) from error
            if _failed_conditions(error):
                return False
            raise
        return True

    def release_guard(self, key: str, state: str) -> None:
        """Delete a guard still in ``state`` (its side effect failed before happening, so a retry may
        try again)."""
        try:
            GuardItem(key=key).delete(condition=GuardItem.state == state)
        except DeleteError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def counter_value(self, key: str) -> int:
        try:
            return int(CounterItem.get(key, consistent_read=True).hits)
        except DoesNotExist:
            return 0

    # Privacy: a requester's records, for export and erasure (postdesk/privacy/) -------------------
    # Only the privacy package reads every ticket of a requester at once, and nothing else deletes
    # a ticket, its log, its Message-ID entries, or guards and counters before they expire.

    def every_ticket_of_requester(self, stored_email: str) -> list[Ticket]:
        """Every ticket whose requester is ``stored_email`` exactly as stored (all pages, oldest first)."""
        return [_ticket_from_item(item) for item in TicketItem.by_requester.query(stored_email)]

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


def _epoch(moment: datetime) -> int:
    """A moment as DynamoDB's TTL reads it: whole seconds since the epoch."""
    return int(moment.timestamp())


def _from_epoch(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value is not None else None


def _expired(expires_at: float | None, now: int) -> bool:
    return expires_at is not None and int(expires_at) <= now


def _alive(attribute: Any, now: int) -> Condition:
    """Items without an expiry, or whose expiry is still ahead (TTL deletes expired ones lazily)."""
    condition: Condition = attribute.does_not_exist() | (attribute > now)
    return condition


def _expiry(update: TicketUpdate | None, expires_at: datetime | None) -> datetime | None:
    """The expiry the items of a write carry: the ticket's after ``update``, else ``expires_at``."""
    return update.after().expires_at if update is not None else expires_at


def _stamped(item: LogItem, expires_at: datetime | None) -> LogItem:
    item.expires_at = _epoch(expires_at) if expires_at else None
    return item


def _failed_conditions(error: TransactWriteError) -> bool:
    return any(
        reason is not None and reason.code == _CONDITION_FAILED for reason in error.cancellation_reasons
    )


def _failed_at(error: TransactWriteError, index: int) -> bool:
    """Whether the transaction's ``index``-th operation failed its condition. PynamoDB sends a
    transaction's operations grouped: condition checks, deletes, puts, then updates, each group in
    the order it was added; ``index`` counts in that order."""
    reasons = error.cancellation_reasons
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == _CONDITION_FAILED


def sla_to_json(clocks: SlaClocks) -> str:
    """The SLA clocks as the ticket item keeps them: one small JSON attribute."""
    document = {
        name: to_iso(value)
        if isinstance(value, datetime)
        else list(value)
        if isinstance(value, tuple)
        else value
        for name, value in ((f.name, getattr(clocks, f.name)) for f in fields(clocks))
        if value not in (None, (), 0.0)
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def sla_from_json(text: str) -> SlaClocks:
    document: dict[str, Any] = json.loads(text)
    values: dict[str, Any] = {}
    for f in fields(SlaClocks):
        if f.name not in document:
            continue
        raw = document[f.name]
        if f.name in ("warned", "breached"):
            values[f.name] = tuple(raw)
        elif f.name == "resolution_used":
            values[f.name] = float(raw)
        else:
            values[f.name] = from_iso(raw)
    return SlaClocks(**values)


def _stored_value(value: Any) -> Any:
    """A domain value as the ticket item stores it."""
    if isinstance(value, SlaClocks):
        return sla_to_json(value)
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _update_actions(update: TicketUpdate) -> list[Action]:
    """The changed fields, the list-index keys they imply, and the next version."""
    after = update.after()
    stored = {name: _stored_value(getattr(after, name)) for name in update.changes}
    if "requester_email" in stored:
        stored["requester_email"] = str(stored["requester_email"]).lower()
    if stored.get("expires_at") is not None and after.expires_at is not None:
        stored["expires_at"] = _epoch(after.expires_at)
    stored.update(index_keys(after))
    stored["version"] = update.before.version + 1
    actions: list[Action] = []
    for name, value in stored.items():
        attribute = getattr(TicketItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def _version_condition(before: Ticket) -> Condition:
    exists: Condition = TicketItem.ref.exists()
    same_version: Condition = TicketItem.version == before.version
    if not before.version:
        # Tickets written before versions existed have none: version 0.
        same_version = TicketItem.version.does_not_exist() | same_version
    combined: Condition = exists & same_version
    return combined


_INDEXES: dict[str, Any] = {
    "by-requester": TicketItem.by_requester,
    "status-waiting": TicketItem.status_waiting,
    "status-priority": TicketItem.status_priority,
    "assignee-waiting": TicketItem.assignee_waiting,
    "assignee-priority": TicketItem.assignee_priority,
    "queue-waiting": TicketItem.queue_waiting,
    "queue-priority": TicketItem.queue_priority,
    "follow-up": TicketItem.follow_up_index,
}


def _residual_condition(listing: ListPlan) -> Condition | None:
    conditions: list[Condition] = []
    for name, value in listing.residual.items():
        if name == "assignee" and value == UNASSIGNED:
            conditions.append(TicketItem.assignee.does_not_exist())
        else:
            conditions.append(getattr(TicketItem, name) == value)
    if listing.statuses:
        conditions.append(TicketItem.status_key.is_in(*listing.statuses))
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


def _item_from_ticket(ticket: Ticket) -> TicketItem:
    item = TicketItem(
        ref=ticket.ref,
        subject=ticket.subject,
        requester_email=ticket.requester_email.lower(),
        requester_name=ticket.requester_name,
        cc=list(ticket.cc),
        status=ticket.status.value,
        queue=ticket.queue,
        priority=ticket.priority,
        language=ticket.language,
        created_at=to_iso(ticket.created_at),
        updated_at=to_iso(ticket.updated_at),
        cycle=ticket.cycle,
        quarantine=ticket.quarantine,
        first_response_at=to_iso(ticket.first_response_at) if ticket.first_response_at else None,
        category=ticket.category,
        tags=list(ticket.tags),
        sentiment=ticket.sentiment,
        triage_confidence=ticket.triage_confidence,
        triage_explanation=ticket.triage_explanation,
        assignee=ticket.assignee,
        # A stored ticket starts at version 1, so 0 always means "never written".
        version=max(ticket.version, 1),
        resolved_at=to_iso(ticket.resolved_at) if ticket.resolved_at else None,
        survey_rating=ticket.survey_rating,
        survey_cycle=ticket.survey_cycle,
        survey_comment=ticket.survey_comment or None,
        survey_answered_at=to_iso(ticket.survey_answered_at) if ticket.survey_answered_at else None,
        follow_up=ticket.follow_up,
        sla=sla_to_json(ticket.sla) if ticket.sla else None,
    )
    for name, value in index_keys(ticket).items():
        setattr(item, name, value)
    return item


def _ticket_from_item(item: TicketItem) -> Ticket:
    return Ticket(
        ref=item.ref,
        subject=item.subject,
        requester_email=item.requester_email,
        requester_name=item.requester_name or "",
        cc=tuple(item.cc or ()),
        status=Status(item.status),
        queue=item.queue,
        priority=item.priority,
        language=item.language,
        created_at=from_iso(item.created_at),
        updated_at=from_iso(item.updated_at),
        cycle=int(item.cycle),
        quarantine=item.quarantine,
        first_response_at=from_iso(item.first_response_at) if item.first_response_at else None,
        waiting_since=from_iso(item.waiting_since) if item.waiting_since else None,
        category=item.category or "general",
        tags=tuple(item.tags or ()),
        sentiment=item.sentiment or "neutral",
        triage_confidence=float(item.triage_confidence or 0),
        triage_explanation=item.triage_explanation or "",
        assignee=item.assignee,
        version=int(item.version or 0),
        resolved_at=from_iso(item.resolved_at) if item.resolved_at else None,
        survey_rating=int(item.survey_rating) if item.survey_rating is not None else None,
        survey_cycle=int(item.survey_cycle) if item.survey_cycle is not None else None,
        survey_comment=item.survey_comment or "",
        survey_answered_at=from_iso(item.survey_answered_at) if item.survey_answered_at else None,
        follow_up=item.follow_up,
        sla=sla_from_json(item.sla) if item.sla else None,
        expires_at=_from_epoch(item.expires_at),
    )


def message_key(at: datetime, unique: str) -> str:
    return f"M#{to_iso(at)}#{unique}"


def event_key(at: datetime, event_id: str) -> str:
    return f"E#{to_iso(at)}#{event_id}"


def _item_from_message(message: ThreadMessage) -> LogItem:
    return LogItem(
        ref=message.ref,
        sk=message.key,
        kind=message.kind.value,
        at=to_iso(message.at),
        direction=message.direction.value,
        subject=message.subject,
        from_email=message.from_email,
        from_name=message.from_name,
        message_id=message.message_id,
        ses_id=message.ses_id,
        text=message.text,
        text_key=message.text_key,
        raw_key=message.raw_key,
        to=list(message.to) or None,
        cc=list(message.cc) or None,
        attachments=[
            AttachmentMap(
                filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256, key=a.key
            )
            for a in message.attachments
        ]
        or None,
        screening=message.screening,
        visible_text=message.visible_text,
        has_html=message.has_html or None,
    )


def _message_from_item(item: LogItem) -> ThreadMessage:
    return ThreadMessage(
        ref=item.ref,
        key=item.sk,
        direction=Direction(item.direction or Direction.INBOUND.value),
        kind=MessageKind(item.kind),
        at=from_iso(item.at),
        subject=item.subject or "",
        from_email=item.from_email or "",
        from_name=item.from_name or "",
        message_id=item.message_id,
        ses_id=item.ses_id,
        text=item.text,
        text_key=item.text_key,
        raw_key=item.raw_key,
        attachments=tuple(
            AttachmentRef(a.filename, a.content_type, int(a.size), a.sha256, a.key)
            for a in (item.attachments or ())
        ),
        to=tuple(item.to or ()),
        cc=tuple(item.cc or ()),
        screening=item.screening,
        visible_text=item.visible_text,
        has_html=bool(item.has_html),
    )


def _item_from_event(event: TicketEvent) -> LogItem:
    return LogItem(
        ref=event.ref,
        sk=event_key(event.at, event.event_id),
        kind=event.kind,
        at=to_iso(event.at),
        actor=event.actor,
        detail=dict(event.detail) or None,
    )


def _event_from_item(item: LogItem) -> TicketEvent:
    return TicketEvent(
        ref=item.ref,
        at=from_iso(item.at),
        kind=item.kind,
        event_id=item.sk.split("#", 2)[2],
        actor=item.actor or "system",
        detail={k: str(v) for k, v in (item.detail.as_dict() if item.detail else {}).items()},
    )
