"""Guards: one item per side effect that must happen once, keyed by its cause (effects/keys.py), in
the guards table; and the rate-limit counters a claim may count against, in the counters table.

A guard is claimed (created, conditional on its absence) before the side effect, moved on (say from
``sending`` to ``sent``) inside the transaction of whoever records the effect, and released (deleted)
when the effect failed before it happened, so a retry may try again. Guards expire after
``GUARD_TTL_SECONDS``, longer than any retry SES, Lambda or Scheduler makes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from botocore.exceptions import ClientError

from postdesk.aws.dynamodb import NamedTransaction, delete_if, read_item, shared_connection, update_if
from postdesk.clock import to_iso
from postdesk.tickets.dynamo import CounterItem, GuardItem, bind_model

GUARD_TTL_SECONDS = 30 * 24 * 3600


class GuardState(StrEnum):
    # A delivery's guard: it made a new ticket, or joined one.
    NEW = "new"
    EXISTING = "existing"
    # A mail's guard: claimed before sending, sent once recorded, or never to be sent.
    SENDING = "sending"
    SENT = "sent"
    SUPPRESSED = "suppressed"
    # A note's guard, and the guard of SES's word on a mail: written, done.
    WRITTEN = "written"
    DONE = "done"
    # A sender an agent vouched for (released from quarantine).
    TRUSTED = "trusted"


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    ALREADY_CLAIMED = "already_claimed"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class Guard:
    key: str
    state: GuardState
    ref: str | None
    detail: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Claim:
    result: ClaimResult
    # The guard an earlier claim made (ALREADY_CLAIMED), as the refused write found it.
    existing: Guard | None = None


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` claims per window; ``window_key`` names the window (effects/keys.py)."""

    window_key: str
    limit: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class GuardMove:
    """A guard to move on inside a caller's write, from one state to the next."""

    key: str
    from_state: GuardState
    to_state: GuardState
    detail: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class GuardClaim:
    """A guard to claim inside a write, created only if absent."""

    key: str
    state: GuardState
    at: datetime
    ref: str | None
    detail: Mapping[str, str] = field(default_factory=dict)


def guard_item(
    key: str,
    state: GuardState,
    now: datetime,
    ref: str | None,
    detail: Mapping[str, str],
    owner: str | None = None,
) -> GuardItem:
    """The item of a guard; its ``owner`` (for an erasure to find it) is the ticket ``ref`` unless
    another is given (the tag of an address, for a guard of no ticket)."""
    return GuardItem(
        key=key,
        state=state.value,
        ref=ref,
        detail=dict(detail) or None,
        created_at=to_iso(now),
        expires_at=int(now.timestamp()) + GUARD_TTL_SECONDS,
        owner=owner or ref or None,
    )


def found_guard(transaction: NamedTransaction, name: str = "guard") -> Guard | None:
    """The guard a transaction's claim ``name`` found in its way, if it failed for that."""
    raw = transaction.found.get(name)
    return guard_from_item(GuardItem.from_raw_data(raw)) if raw else None


def guard_from_item(item: GuardItem) -> Guard:
    return Guard(
        item.key, GuardState(item.state), item.ref, dict(item.detail.as_dict()) if item.detail else {}
    )


class Guards:
    """The guards and the rate-limit counters of one deployment."""

    def __init__(self, guards_table: str, counters_table: str, region: str) -> None:
        bind_model(GuardItem, guards_table, region)
        bind_model(CounterItem, counters_table, region)
        self._region = region

    def get(self, key: str) -> Guard | None:
        item = read_item(GuardItem, key)
        return None if item is None else guard_from_item(item)

    def claim(
        self,
        key: str,
        state: GuardState,
        now: datetime,
        *,
        ref: str | None = None,
        detail: Mapping[str, str] | None = None,
        rate_limits: Sequence[RateLimit] = (),
        owner: str | None = None,
    ) -> Claim:
        """Create the guard ``key`` unless it exists (then the guard found comes back with the refusal:
        no second read). With rate limits, one transaction counts the claim against each: either the
        guard is created and every counter moves, or nothing happens."""
        item = guard_item(key, state, now, ref, detail or {}, owner)
        if not rate_limits:
            # One item: a conditional put is all it takes (and half a transaction's price).
            return self._put_if_absent(item)
        transaction = NamedTransaction(self._region)
        self.put_in(transaction, item)
        for limit in rate_limits:
            transaction.update(
                f"limit:{limit.window_key}",
                CounterItem(key=limit.window_key),
                actions=[CounterItem.hits.add(1), CounterItem.expires_at.set(limit.expires_at)],
                condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit.limit),
            )
        if transaction.commit():
            return Claim(ClaimResult.CLAIMED)
        if "guard" in transaction.failed:
            return Claim(ClaimResult.ALREADY_CLAIMED, found_guard(transaction))
        return Claim(ClaimResult.RATE_LIMITED)

    def remember(self, key: str, state: GuardState, now: datetime, owner: str, seconds: int) -> None:
        """Write the guard ``key`` (again: its expiry starts over) for ``seconds``; ``owner`` names
        the address it concerns (keys.recipient_tag), so an erasure finds it."""
        item = guard_item(key, state, now, None, {}, owner)
        item.expires_at = int(now.timestamp()) + seconds
        item.save()

    def _put_if_absent(self, item: GuardItem) -> Claim:
        # PynamoDB's put cannot ask for the item a failed condition found; the client can.
        try:
            shared_connection(self._region).client.put_item(
                TableName=GuardItem.Meta.table_name,
                Item=item.serialize(),
                ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": "key"},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            found = error.response.get("Item")
            return Claim(
                ClaimResult.ALREADY_CLAIMED,
                guard_from_item(GuardItem.from_raw_data(found)) if found else None,
            )
        return Claim(ClaimResult.CLAIMED)

    @staticmethod
    def put_in(
        transaction: NamedTransaction, item: GuardItem, *, name: str = "guard", over_expired: bool = False
    ) -> None:
        """Claim a guard inside a caller's transaction (its operation is named ``name``); when the
        guard exists, the transaction fails and :func:`found_guard` tells what it found. With
        ``over_expired``, a guard past its expiry that DynamoDB's TTL has not deleted yet (it may
        take days) counts as absent: for guards whose expiry is a rule, not only housekeeping."""
        condition = GuardItem.key.does_not_exist()
        if over_expired:
            condition = condition | (GuardItem.expires_at < int(item.expires_at) - GUARD_TTL_SECONDS)
        transaction.put(name, item, condition=condition, return_existing=True)

    @staticmethod
    def move_in(
        transaction: NamedTransaction,
        key: str,
        from_state: GuardState,
        to_state: GuardState,
        detail: Mapping[str, str],
    ) -> None:
        """Move a guard on inside a caller's transaction, only from ``from_state`` (its operation is
        named "guard"): a second attempt at the same move fails that condition."""
        transaction.update(
            "guard",
            GuardItem(key=key),
            actions=[GuardItem.state.set(to_state.value), GuardItem.detail.set(dict(detail))],
            condition=GuardItem.state == from_state.value,
        )

    def release(self, key: str, state: GuardState) -> None:
        """Delete a guard still in ``state``: its side effect failed before happening, so a retry may
        try again."""
        delete_if(GuardItem(key=key), GuardItem.state == state.value)

    def count_within(self, limit: RateLimit) -> bool:
        """Count one hit in the window ``limit.window_key`` unless it has ``limit.limit`` already:
        True when it was counted (one conditional update, no guard)."""
        return update_if(
            CounterItem(key=limit.window_key),
            [CounterItem.hits.add(1), CounterItem.expires_at.set(limit.expires_at)],
            CounterItem.hits.does_not_exist() | (CounterItem.hits < limit.limit),
        )

    def counter_value(self, key: str) -> int:
        item = read_item(CounterItem, key)
        return 0 if item is None else int(item.hits)
