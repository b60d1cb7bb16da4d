"""Agents' notifications by mail: what each agent wants to hear of (preferences) and what waits to be
mailed to them (the agent's pending notifications), so that a burst of events becomes one mail.

Preferences are durable: an item per agent in the agents table, ``NOTIFY#<email>`` (absent: the
defaults). The pending notifications are short-lived: one item per agent in the counters table (the
desk's table of short-lived items with a TTL), ``notify#<sha256(agent)[:32]>`` (effects/keys.py),
holding

- ``pending``: a map from the digest of each notification's cause to what it says (kind, ticket,
  subject, who did it, when, a line of detail);
- ``seen``: a map from the digest of every cause queued in the last :data:`SEEN_DAYS` days to when,
  so that a cause queued again (a retried delivery, a repeated edit request) is queued once, even
  after its mail went out;
- ``due``: while notifications wait, when the agent's mail goes (the one-time schedule that sends it
  is named after it); absent otherwise;
- ``feed``: what the console's bell lists, a map from the same digests to the notification and when
  the agent read it (``read``, empty: unread). Written by the same UpdateItem that queues the mail, so
  the mail and the bell are told the same things; mailing leaves it, and each mail's clearing drops
  what is older than :data:`FEED_DAYS` days or beyond the newest :data:`FEED_MAX`. The item expires
  (TTL) :data:`_ITEM_DAYS` days after its last notification, feed and all.

Queueing is one conditional UpdateItem (the cause not seen yet); the first notification of a window
sets ``due`` under ``attribute_not_exists(due)``, so of two queued at once exactly one opens the
window. Sending clears what it mailed and ``due`` under ``due = <the window it sent>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from postdesk.aws.dynamodb import DeskModel, read_item, update_if
from postdesk.clock import from_iso, to_iso
from postdesk.effects.keys import notification_queue_key
from postdesk.errors import Invalid
from postdesk.tickets.dynamo import bind_model

_PREFERENCES_PREFIX = "NOTIFY#"
# A cause queued again within this time is recognised and queued once.
SEEN_DAYS = 7
# How long the item outlives its last write (TTL): longer than anything it remembers.
_ITEM_DAYS = SEEN_DAYS + 1
# The first notification of an item meets another's creation of it at most this often.
_ATTEMPTS = 3
# A mail lists at most this many notifications; more wait for the next window (a map this size is
# a few tens of KB, far from DynamoDB's 400 KB).
MAX_PER_MAIL = 50
MAX_WATCHED_QUEUES = 50
# The bell keeps this many days of notifications, at most this many (a few hundred bytes each).
FEED_DAYS = SEEN_DAYS
FEED_MAX = 200
# How late a window's mail may be before a new notification takes the window for lost.
_STUCK_AFTER = timedelta(hours=1)


class NotificationKind(StrEnum):
    """What an agent may be told of."""

    ASSIGNED = "assigned"
    CUSTOMER_REPLIED = "customer_replied"
    MENTIONED = "mentioned"
    NEW_IN_QUEUE = "new_in_queue"
    SLA_WARNING = "sla_warning"
    # A snoozed ticket of theirs woke up, a time rule said to tell them.
    SNOOZE_ENDED = "snooze_ended"
    RULE = "rule"
    # A help-center article they own needs a look (workflows/knowledge_review.py): about no ticket.
    ARTICLE_FLAGGED = "article_flagged"


# New ones in a queue: only for the queues an agent watches, so the kind is on by default and the
# list of watched queues empty.
DEFAULT_KINDS = frozenset(NotificationKind)


class InvalidPreferences(Invalid):
    """Notification preferences that cannot be used (an unknown kind, a malformed queue)."""


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """What an agent is told of: the kinds that are on, and the queues whose new tickets they hear of."""

    kinds: frozenset[NotificationKind] = DEFAULT_KINDS
    queues: tuple[str, ...] = ()

    def wants(self, kind: NotificationKind) -> bool:
        return kind in self.kinds


@dataclass(frozen=True, slots=True)
class PendingNotification:
    """One notification waiting for its mail."""

    cause: str
    kind: NotificationKind
    ref: str
    subject: str
    at: datetime
    # When it was queued: a window's mail carries what was queued by its end, so an attempt after a
    # crash picks the same notifications as the first.
    queued_at: datetime
    # Who did it (name or address), empty for the desk itself (a timer, a customer's mail).
    actor: str = ""
    # One line saying more (the queue, the start of the note, the target due soon).
    detail: str = ""
    # The article (slug) a notification about no ticket speaks of; ``ref`` is "" then and
    # ``subject`` the article's title.
    article: str = ""
    # The language of the article the notification is about (its editor opens in it).
    article_language: str = ""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One notification of the bell: its id (the digest of its cause), what it says, when it was read."""

    id: str
    notification: PendingNotification
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """What queueing did: whether the notification is new, and the window it opened (None: it
    joins a window already open, or it was queued before)."""

    new: bool
    opened: datetime | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """An agent's pending notifications as read for the window ``due``."""

    agent: str
    due: datetime | None
    pending: Sequence[PendingNotification] = field(default_factory=tuple)


class PreferencesItem(DeskModel):
    """``NOTIFY#<email>`` in the agents table: an agent's notification preferences."""

    class Meta:
        table_name = "unbound-agents"

    pk = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    kinds = ListAttribute[str]()
    queues = ListAttribute[str]()
    updated_at = UnicodeAttribute()


class NotificationQueueItem(DeskModel):
    """``notify#<sha256(agent)[:32]>`` in the counters table: an agent's pending notifications."""

    class Meta:
        table_name = "unbound-counters"

    key = UnicodeAttribute(hash_key=True)
    agent = UnicodeAttribute()
    pending = MapAttribute[str, Any](null=True)
    seen = MapAttribute[str, Any](null=True)
    due = UnicodeAttribute(null=True)
    feed = MapAttribute[str, Any](null=True)
    expires_at = NumberAttribute(null=True)


def cause_digest(cause: str) -> str:
    """The key of a cause in the maps: fixed length, whatever the cause says."""
    return hashlib.sha256(cause.encode("utf-8")).hexdigest()[:32]


class NotificationBox:
    """Agents' notification preferences and pending notifications."""

    def __init__(self, agents_table: str, counters_table: str, region: str) -> None:
        bind_model(PreferencesItem, agents_table, region)
        bind_model(NotificationQueueItem, counters_table, region)

    # -- preferences ------------------------------------------------------------------------------

    def preferences(self, email: str) -> NotificationPreferences:
        """``email``'s preferences; the defaults when they never set any."""
        item = read_item(PreferencesItem, _PREFERENCES_PREFIX + email)
        if item is None:
            return NotificationPreferences()
        return _preferences_from(item)

    def set_preferences(self, email: str, preferences: NotificationPreferences, now: datetime) -> None:
        # UpdateItem rather than PutItem: the API's role updates the agents table, it never puts.
        PreferencesItem(_PREFERENCES_PREFIX + email).update(
            [
                PreferencesItem.email.set(email),
                PreferencesItem.kinds.set(sorted(kind.value for kind in preferences.kinds)),
                PreferencesItem.queues.set(list(preferences.queues)),
                PreferencesItem.updated_at.set(to_iso(now)),
            ]
        )

    def all_preferences(self) -> dict[str, NotificationPreferences]:
        """Every agent's preferences that differ from the defaults, by address (the agents table is
        small: tens of items)."""
        items = PreferencesItem.scan(PreferencesItem.pk.startswith(_PREFERENCES_PREFIX), consistent_read=True)
        return {item.email: _preferences_from(item) for item in items}

    # -- pending notifications ----------------------------------------------------------------------

    def queue(
        self, agent: str, notification: PendingNotification, now: datetime, window: timedelta
    ) -> Queued:
        """Add ``notification`` to ``agent``'s pending ones unless its cause was queued before; open a
        window ending ``window`` from ``now`` if none is open."""
        digest = cause_digest(notification.cause)
        entry = _entry(notification)
        seen_at = int(now.timestamp())
        expires_at = int((now + timedelta(days=_ITEM_DAYS)).timestamp())
        item = NotificationQueueItem(notification_queue_key(agent))
        shown = _feed_entry(notification)
        for _ in range(_ATTEMPTS):
            if update_if(
                item,
                [
                    NotificationQueueItem.pending[digest].set(entry),
                    NotificationQueueItem.seen[digest].set(seen_at),
                    NotificationQueueItem.feed[digest].set(shown),
                    NotificationQueueItem.expires_at.set(expires_at),
                ],
                NotificationQueueItem.pending.exists()
                & NotificationQueueItem.feed.exists()
                & NotificationQueueItem.seen[digest].does_not_exist(),
            ):
                break
            # Either the cause was seen (nothing to do) or the item has no maps yet (make them).
            current = _read(agent)
            if current is not None and current.pending is not None:
                seen = current.seen.as_dict() if current.seen is not None else {}
                if digest in seen:
                    return Queued(new=False)
                # (Typed as always there; an item written before the bell has none.)
                has_feed = current.feed is not None
                if has_feed:
                    continue
                # An item written before the bell had a feed: its first entry makes it.
                if update_if(
                    item,
                    [
                        NotificationQueueItem.pending[digest].set(entry),
                        NotificationQueueItem.seen[digest].set(seen_at),
                        NotificationQueueItem.feed.set({digest: shown}),
                        NotificationQueueItem.expires_at.set(expires_at),
                    ],
                    NotificationQueueItem.feed.does_not_exist()
                    & NotificationQueueItem.seen[digest].does_not_exist(),
                ):
                    break
                continue
            if update_if(
                item,
                [
                    NotificationQueueItem.agent.set(agent),
                    NotificationQueueItem.pending.set({digest: entry}),
                    NotificationQueueItem.seen.set({digest: seen_at}),
                    NotificationQueueItem.feed.set({digest: shown}),
                    NotificationQueueItem.expires_at.set(expires_at),
                ],
                NotificationQueueItem.pending.does_not_exist(),
            ):
                break
        else:
            return Queued(new=False)
        # A window that should have closed long ago lost its schedule (a crash between opening it and
        # scheduling its mail): this notification opens a new one.
        stuck_before = now - window - _STUCK_AFTER
        return Queued(new=True, opened=self.open_window(agent, now + window, stuck_before))

    def close_window(self, agent: str, due: datetime) -> None:
        """Close the window ``due`` without a mail (its schedule could not be made): the next
        notification opens another."""
        update_if(
            NotificationQueueItem(notification_queue_key(agent)),
            [NotificationQueueItem.due.remove()],
            NotificationQueueItem.due == to_iso(due),
        )

    def open_window(self, agent: str, due: datetime, stuck_before: datetime | None = None) -> datetime | None:
        """Make ``due`` the end of ``agent``'s window unless one is open (or, with ``stuck_before``,
        one that should have ended before then is: its schedule was never made); ``due`` when this
        call opened it (the caller schedules its mail), None otherwise."""
        closed = NotificationQueueItem.due.does_not_exist()
        if stuck_before is not None:
            closed = closed | (NotificationQueueItem.due < to_iso(stuck_before))
        opened = update_if(
            NotificationQueueItem(notification_queue_key(agent)),
            [NotificationQueueItem.due.set(to_iso(due))],
            NotificationQueueItem.pending.exists() & closed,
        )
        return due if opened else None

    def window(self, agent: str) -> Window:
        """``agent``'s pending notifications, oldest first, and the window they wait for."""
        item = _read(agent)
        if item is None or item.pending is None:
            return Window(agent, None)
        pending = sorted(
            (_notification(cause, entry) for cause, entry in item.pending.as_dict().items()),
            key=lambda notification: (notification.at, notification.cause),
        )
        return Window(agent, from_iso(item.due) if item.due else None, tuple(pending))

    def clear(self, agent: str, due: datetime, digests: Iterable[str], now: datetime) -> int | None:
        """Remove the notifications ``digests`` (mailed) and close the window ``due``, and forget the
        causes seen more than :data:`SEEN_DAYS` ago. The number of notifications still pending
        (queued meanwhile); None when the window ``due`` was closed already (another attempt)."""
        item = _read(agent)
        if item is None or item.due != to_iso(due):
            return None
        cutoff = int((now - timedelta(days=SEEN_DAYS)).timestamp())
        seen = item.seen.as_dict() if item.seen is not None else {}
        forgotten = [digest for digest, at in seen.items() if int(at) < cutoff]
        actions: list[Any] = [NotificationQueueItem.due.remove()]
        actions += [NotificationQueueItem.pending[digest].remove() for digest in set(digests)]
        actions += [NotificationQueueItem.seen[digest].remove() for digest in forgotten]
        actions += [NotificationQueueItem.feed[digest].remove() for digest in _stale_feed(item, now)]
        if not update_if(item, actions, NotificationQueueItem.due == to_iso(due)):
            return None
        return len(item.pending.as_dict()) if item.pending is not None else 0

    # -- the bell ---------------------------------------------------------------------------------

    def feed(self, agent: str, now: datetime) -> list[FeedEntry]:
        """``agent``'s notifications of the last :data:`FEED_DAYS` days, newest first."""
        item = _read(agent)
        if item is None or item.feed is None:
            return []
        cutoff = now - timedelta(days=FEED_DAYS)
        entries = [_feed_from(digest, value) for digest, value in item.feed.as_dict().items()]
        kept = [entry for entry in entries if entry.notification.at >= cutoff]
        return sorted(kept, key=lambda entry: (entry.notification.at, entry.id), reverse=True)

    def mark_read(self, agent: str, ids: Iterable[str] | None, now: datetime) -> int:
        """Mark ``agent``'s notifications ``ids`` (None: all) read; ids it does not have are passed
        over. How many were unread and are read now."""
        wanted = None if ids is None else set(ids)
        for _ in range(_ATTEMPTS):
            item = _read(agent)
            if item is None or item.feed is None:
                return 0
            feed = item.feed.as_dict()
            unread = [
                digest
                for digest, value in feed.items()
                if not (value or {}).get("read") and (wanted is None or digest in wanted)
            ]
            if not unread:
                return 0
            condition = NotificationQueueItem.feed.exists()
            for digest in unread:
                # Trimmed meanwhile (a mail's clearing): read again and mark what is left.
                condition = condition & NotificationQueueItem.feed[digest].exists()
            read_at = to_iso(now)
            if update_if(
                item, [NotificationQueueItem.feed[d]["read"].set(read_at) for d in unread], condition
            ):
                return len(unread)
        return 0


def _stale_feed(item: NotificationQueueItem, now: datetime) -> list[str]:
    """The bell's entries to drop: older than :data:`FEED_DAYS` days, or beyond the newest
    :data:`FEED_MAX`."""
    feed = item.feed.as_dict() if item.feed is not None else {}
    cutoff = to_iso(now - timedelta(days=FEED_DAYS))
    times = ((str((value or {}).get("at") or ""), digest) for digest, value in feed.items())
    newest = sorted(times, reverse=True)
    return [digest for index, (at, digest) in enumerate(newest) if index >= FEED_MAX or at < cutoff]


def _feed_entry(notification: PendingNotification) -> dict[str, str]:
    """What the bell keeps of a notification: what it says, without the cause (its key says it)."""
    entry = _entry(notification)
    del entry["cause"], entry["queued"]
    entry["read"] = ""
    return entry


def _feed_from(digest: str, value: Mapping[str, Any]) -> FeedEntry:
    read = str(value.get("read") or "")
    return FeedEntry(digest, _notification(digest, value), from_iso(read) if read else None)


def _read(agent: str) -> NotificationQueueItem | None:
    return read_item(NotificationQueueItem, notification_queue_key(agent))


def _entry(notification: PendingNotification) -> dict[str, str]:
    return {
        "cause": notification.cause[:500],
        "kind": notification.kind.value,
        "ref": notification.ref,
        "subject": notification.subject[:300],
        "at": to_iso(notification.at),
        "queued": to_iso(notification.queued_at),
        "actor": notification.actor[:300],
        "detail": notification.detail[:500],
        "article": notification.article[:100],
        "article_language": notification.article_language[:10],
    }


def _notification(digest: str, entry: Mapping[str, Any]) -> PendingNotification:
    try:
        kind = NotificationKind(str(entry.get("kind")))
    except ValueError:
        kind = NotificationKind.RULE
    at = from_iso(str(entry["at"])) if entry.get("at") else datetime.fromtimestamp(0, UTC)
    return PendingNotification(
        cause=str(entry.get("cause") or digest),
        kind=kind,
        ref=str(entry.get("ref") or ""),
        subject=str(entry.get("subject") or ""),
        at=at,
        queued_at=from_iso(str(entry["queued"])) if entry.get("queued") else at,
        actor=str(entry.get("actor") or ""),
        detail=str(entry.get("detail") or ""),
        article=str(entry.get("article") or ""),
        article_language=str(entry.get("article_language") or ""),
    )


def _preferences_from(item: PreferencesItem) -> NotificationPreferences:
    kinds = set()
    for value in item.kinds or []:
        try:
            kinds.add(NotificationKind(value))
        except ValueError:
            continue  # A kind the desk no longer has.
    return NotificationPreferences(frozenset(kinds), tuple(item.queues or ()))
