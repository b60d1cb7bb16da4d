"""The agent as the rest of the desk sees it, its roles, and the errors of the agents store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from postdesk.errors import Conflict, Forbidden, Invalid, NotFound


class Role(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


# An admin may do everything an agent may do, and more.
_ROLE_RANK = {Role.AGENT: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Agent:
    """A person who answers tickets. It carries no token: tokens are shown once, when issued."""

    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    # Their sign-off under replies, Markdown by language code ("default" for the others); empty
    # when they have none (replies then sign with their name). See replies/sign_off.py.
    signature: Mapping[str, str] = field(default_factory=dict)
    # Away (holiday, sick): automatic assignment passes them over, until ``away_until`` if set
    # (then they count as back from that moment, without anyone switching it off).
    away: bool = False
    away_until: datetime | None = None
    # The queues they belong to (sorted): the tickets they see and touch, and the queues whose new
    # and reopened tickets automatic assignment may give them. ``every_queue``: they were given no
    # list (agents made before queues restricted anything, invitations without one) and see every
    # queue, while automatic assignment still gives tickets only to those who name the queue.
    queues: tuple[str, ...] = ()
    every_queue: bool = True
    # Sessions begun before this moment are over ("sign out everywhere", deactivation, a password
    # reset); None: no such moment.
    sessions_valid_after: datetime | None = None

    def is_away(self, now: datetime) -> bool:
        """Whether automatic assignment passes them over at ``now``."""
        return self.away and (self.away_until is None or now < self.away_until)

    def sees_queue(self, queue: str) -> bool:
        """Whether they may see and touch the tickets of ``queue`` (admins see every queue)."""
        return self.visible_queues is None or queue in self.visible_queues

    @property
    def visible_queues(self) -> tuple[str, ...] | None:
        """The queues whose tickets they see, or None for every queue (admins, and agents given no
        list of queues)."""
        if self.role is Role.ADMIN or self.every_queue:
            return None
        return self.queues


class AgentExists(Conflict):
    """An active agent already has that email address."""


class AgentNotFound(NotFound):
    """No agent has that email address."""


class InvalidAgent(Invalid):
    """The email address or the name given for a new agent cannot be used."""


def require_role(agent: Agent, role: Role) -> None:
    """Return if ``agent`` is active and its role includes ``role`` (admin includes agent);
    raise Forbidden otherwise."""
    if not agent.active or _ROLE_RANK[agent.role] < _ROLE_RANK[role]:
        raise Forbidden(f"this needs the {role.value} role")
