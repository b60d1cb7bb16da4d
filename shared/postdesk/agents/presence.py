"""Who has a ticket open in the console, and who is writing on it: short-lived presence, so that two
agents do not answer one customer at once without knowing.

One item per ticket in the counters table (the desk's table of short-lived items with a TTL, without
point-in-time recovery: nothing here is worth restoring), key ``presence#<ref>`` (effects/keys.py),
holding a map from each agent's address to ``{name, state, box, until}``. An agent's console writes
its entry when the ticket opens and every 20 seconds while it stays open (and at once when the agent
starts typing), each write good for :data:`PRESENCE_SECONDS`; closing the page removes it. Every read
skips entries whose ``until`` has passed, since nothing else removes an entry of an agent who just
went away, and DynamoDB's TTL deletes the whole item (``expires_at``: its newest entry's end) only
some time after that, often hours.

One write per heartbeat: the entry is set inside the map (under the condition that the map exists;
the first heartbeat of a ticket creates it), and the item as written comes back with the same call
(``ReturnValues=ALL_NEW``), so the heartbeat also says who else is there. The map holds at most one
entry per agent: it grows with the team, never with time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from postdesk.aws.dynamodb import DeskModel, update_if
from postdesk.clock import Clock, utc_now
from postdesk.effects.keys import presence_key
from postdesk.errors import Invalid
from postdesk.tickets.dynamo import bind_model

# How long one heartbeat says an agent is there: three heartbeats' worth, so one lost request (a
# network hiccup, a tab the browser throttles) does not make them vanish.
PRESENCE_SECONDS = 60
# How often the console says it again while the ticket stays open.
REFRESH_SECONDS = 20
# A first heartbeat that meets another's creation of the item tries again this often.
_ATTEMPTS = 3


class PresenceState(StrEnum):
    VIEWING = "viewing"
    WRITING = "writing"


class Box(StrEnum):
    """What an agent who is writing writes: a reply to the customer or an internal note."""

    REPLY = "reply"
    NOTE = "note"


class InvalidPresence(Invalid):
    """A presence that cannot be: a box named while only viewing."""


@dataclass(frozen=True, slots=True)
class Presence:
    email: str
    name: str
    state: PresenceState
    box: Box | None
    until: datetime


class PresenceItem(DeskModel):
    """``presence#<ref>`` in the counters table: who is on one ticket (see the module)."""

    class Meta:
        table_name = "unbound-counters"

    key = UnicodeAttribute(hash_key=True)
    # Address -> {"name", "state", "box", "until" (epoch seconds)}.
    agents = MapAttribute[str, Any](null=True)
    # DynamoDB's TTL: the end of the newest entry written.
    expires_at = NumberAttribute(null=True)


class PresenceBoard:
    """Presence on tickets: written by each agent's console, read for everybody else."""

    def __init__(self, table: str, region: str, clock: Clock = utc_now) -> None:
        bind_model(PresenceItem, table, region)
        self._clock = clock

    def mark(
        self, ref: str, email: str, name: str, state: PresenceState, box: Box | None = None
    ) -> list[Presence]:
        """``email`` is on ticket ``ref`` for the next minute, viewing it or writing a reply or a
        note (``box``); the others on it now, as the write found them."""
        if box is not None and state is not PresenceState.WRITING:
            raise InvalidPresence("box says what is being written: only with the state writing")
        now = self._clock()
        until = int((now + timedelta(seconds=PRESENCE_SECONDS)).timestamp())
        entry = {"name": name, "state": state.value, "until": until, **({"box": box.value} if box else {})}
        item = PresenceItem(presence_key(ref))
        for _ in range(_ATTEMPTS):
            if update_if(
                item,
                [PresenceItem.agents[email].set(entry), PresenceItem.expires_at.set(until)],
                PresenceItem.agents.exists(),
            ):
                break
            # The ticket's first heartbeat (or the first since TTL deleted the item): the map is made
            # with this entry, unless another agent's first heartbeat made it meanwhile.
            if update_if(
                item,
                [PresenceItem.agents.set({email: entry}), PresenceItem.expires_at.set(until)],
                PresenceItem.agents.does_not_exist(),
            ):
                break
        return _present(item.agents, email, now)

    def others(self, ref: str, email: str) -> list[Presence]:
        """Who else than ``email`` is on ticket ``ref`` now."""
        try:
            item = PresenceItem.get(presence_key(ref))
        except DoesNotExist:
            return []
        return _present(item.agents, email, self._clock())

    def leave(self, ref: str, email: str) -> None:
        """``email`` closed ticket ``ref``: their entry goes (nothing happens when there is none)."""
        update_if(
            PresenceItem(presence_key(ref)),
            [PresenceItem.agents[email].remove()],
            PresenceItem.agents.exists(),
        )


def _present(
    agents: Mapping[str, Any] | MapAttribute[str, Any] | None, caller: str, now: datetime
) -> list[Presence]:
    """The entries of ``agents`` still good at ``now``, but the caller's: writers first, then by name."""
    if agents is None:
        return []
    entries = agents.as_dict() if isinstance(agents, MapAttribute) else dict(agents)
    present = []
    for email, entry in entries.items():
        until = datetime.fromtimestamp(int(entry.get("until", 0)), UTC)
        if email == caller or until <= now:
            continue
        try:
            state = PresenceState(entry.get("state"))
            box = Box(entry["box"]) if entry.get("box") else None
        except ValueError:
            continue
        present.append(Presence(email, str(entry.get("name") or ""), state, box, until))
    return sorted(present, key=lambda p: (p.state is not PresenceState.WRITING, p.name.lower(), p.email))
