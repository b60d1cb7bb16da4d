"""Whose turn it is in each queue that assigns tickets by itself: one item per queue in the agents
table, ``ROTATION#<queue>``, holding the agent who got the last ticket (``last``) and how many turns
were taken (``turn``).

A turn is taken with a write conditional on the turn read, so two tickets arriving at the same moment
never both take the same turn: the one whose write lost reads the item again and takes the next
(workflows/assignment.py). The pointer is an agent's address, not a position in a list, so an agent
joining, leaving or going away does not shift everybody else's turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from postdesk.aws.dynamodb import DeskModel, read_item, save_if
from postdesk.tickets.dynamo import bind_model

_ROTATION_ITEM_PREFIX = "ROTATION#"


class RotationItem(DeskModel):
    class Meta:
        table_name = "unbound-agents"

    pk = UnicodeAttribute(hash_key=True)
    queue = UnicodeAttribute()
    last = UnicodeAttribute()
    turn = NumberAttribute()
    at = UnicodeAttribute()


@dataclass(frozen=True, slots=True)
class Turn:
    """Where a queue's rotation stands: the agent who got the last ticket (None: nobody yet) and the
    number of turns taken, which the next write is conditional on."""

    last: str | None = None
    taken: int = 0


class Rotation:
    def __init__(self, table_name: str, region: str) -> None:
        bind_model(RotationItem, table_name, region)

    def current(self, queue: str) -> Turn:
        """Where ``queue``'s rotation stands now (a consistent read)."""
        item = read_item(RotationItem, _ROTATION_ITEM_PREFIX + queue)
        if item is None:
            return Turn()
        return Turn(item.last, int(item.turn))

    def take(self, queue: str, seen: Turn, agent: str, at: str) -> bool:
        """Record that ``agent`` got ``queue``'s next ticket, only if the rotation still stands at
        ``seen``; False when someone took a turn since (read it again and choose again)."""
        item = RotationItem(
            pk=_ROTATION_ITEM_PREFIX + queue, queue=queue, last=agent, turn=seen.taken + 1, at=at
        )
        condition = RotationItem.pk.does_not_exist() if seen.taken == 0 else RotationItem.turn == seen.taken
        return save_if(item, condition)
