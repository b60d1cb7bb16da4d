"""An admin changes a person's standing at the desk: their role, or whether they may use it at all.

Deactivating ends everything at once: the agent item turns inactive (every API token of theirs is
refused from that moment, and deleted), every session begun before now ends
(``sessions_valid_after``), and their Cognito account is disabled and signed out everywhere (its
refresh tokens revoked), so a session checked with Cognito within the minute fails too.
Reactivating enables the account again; the tokens stay gone (an admin makes new ones), the
sessions stay ended. Each change is an entry of the access audit.

Deactivating may also put the agent's open tickets back (``release_tickets``): each one unassigned
and given by its queue's assignment rule, where the queue has one, to an active agent who is there
(workflows/assignment.py), the ticket's history saying so in words. Without it they stay assigned
to the deactivated agent, for an admin to reassign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from postdesk.agents.model import Agent, Role
from postdesk.auth.audit import NO_CALLER, AccessAction, Caller
from postdesk.errors import NotAllowed
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.listing import TicketFilter
from postdesk.workflows.assignment import release
from postdesk.workflows.invitations import accounts_of, audit_of

# Tickets read per page while putting a deactivated agent's tickets back.
RELEASE_PAGE = 100


@dataclass(frozen=True, slots=True)
class Released:
    """One open ticket put back: its ref and whom its queue's rule gave it to (None: nobody)."""

    ref: str
    assignee: str | None


def change_role(
    email: str,
    role: Role,
    changed_by: str,
    settings: Settings,
    ports: Ports,
    *,
    caller: Caller = NO_CALLER,
) -> Agent:
    """Give the active agent ``email`` the role ``role``; an admin cannot take their own admin role
    (the desk would risk having no admin). Records ``role_changed`` when the role changed."""
    before = ports.agents.get(email)
    role = Role(role)
    if before.role is role:
        return before
    if before.email == changed_by.strip().lower() and before.role is Role.ADMIN:
        raise NotAllowed("you cannot take away your own admin role: ask another admin")
    after = ports.agents.set_profile(before.email, role=role)
    audit_of(settings).record(
        AccessAction.ROLE_CHANGED,
        changed_by,
        ports.clock(),
        subject=after.email,
        caller=caller,
        detail={"before": before.role.value, "after": after.role.value},
    )
    return after


def deactivate(
    email: str,
    deactivated_by: str,
    settings: Settings,
    ports: Ports,
    *,
    caller: Caller = NO_CALLER,
    released: list[Released] | None = None,
) -> Agent:
    """End the agent ``email``'s access (see the module): inactive, tokens deleted, sessions ended,
    the account disabled and signed out everywhere. Deactivating yourself is refused (someone must
    be left to undo it); an agent already inactive is made sure of again, without a second entry.
    With a ``released`` list, their open tickets are put back afterwards (release_tickets), each
    one appended to it."""
    agent = ports.agents.get(email)
    if agent.email == deactivated_by.strip().lower():
        raise NotAllowed("you cannot deactivate yourself: ask another admin")
    now = ports.clock()
    revoked = ports.agents.revoke(agent.email)
    ports.agents.end_sessions(agent.email, now)
    if settings.sign_in.user_pool_id:
        accounts = accounts_of(settings)
        if accounts.exists(agent.email):
            accounts.disable(agent.email)
            accounts.sign_out_everywhere(agent.email)
    logger.info("agent deactivated", extra={"agent": mask_address(agent.email), "tokens": len(revoked)})
    if agent.active:
        audit_of(settings).record(
            AccessAction.DEACTIVATED,
            deactivated_by,
            now,
            subject=agent.email,
            caller=caller,
            detail={"tokens_revoked": str(len(revoked))},
        )
    if released is not None:
        released.extend(release_tickets(agent.email, deactivated_by, settings, ports))
    return ports.agents.get(agent.email)


def release_tickets(email: str, released_by: str, settings: Settings, ports: Ports) -> list[Released]:
    """Put the open tickets of the deactivated agent ``email`` back: each unassigned by
    ``released_by`` and given by its queue's rule (workflows/assignment.py). Refused for an active
    agent (they can hand their tickets on themselves). A ticket someone reassigned meanwhile is
    left as they made it."""
    agent = ports.agents.get(email)
    if agent.active:
        raise NotAllowed(f"{agent.name} is active: only a deactivated agent's tickets are put back")
    why = f"{agent.name} ({agent.email}) was deactivated"
    wanted = TicketFilter(assignee=agent.email)
    released: list[Released] = []
    cursor: dict[str, Any] | None = None
    while True:
        page = ports.store.list_tickets(wanted, RELEASE_PAGE, cursor)
        for ticket in page.tickets:
            after = release(ticket, released_by, why, settings, ports)
            if after is not None:
                released.append(Released(after.ref, after.assignee))
        if not page.cursor or not page.tickets:
            break
        cursor = page.cursor
    logger.info("tickets put back", extra={"agent": mask_address(agent.email), "tickets": len(released)})
    return released


def reactivate(
    email: str,
    reactivated_by: str,
    settings: Settings,
    ports: Ports,
    *,
    caller: Caller = NO_CALLER,
) -> Agent:
    """Let the deactivated agent ``email`` use the desk again: active, their account enabled (the
    password they had works again; API tokens are made anew). Records ``reactivated``; an active
    agent is left as is."""
    agent = ports.agents.get(email)
    if agent.active:
        return agent
    agent = ports.agents.reactivate(agent.email)
    if settings.sign_in.user_pool_id:
        accounts = accounts_of(settings)
        if accounts.exists(agent.email):
            accounts.enable(agent.email)
    audit_of(settings).record(
        AccessAction.REACTIVATED,
        reactivated_by,
        ports.clock(),
        subject=agent.email,
        caller=caller,
    )
    return agent
