"""An admin changes a person's standing at the desk: their role, or whether they may use it at all.

Deactivating ends everything at once: the agent item turns inactive (every API token of theirs is
refused from that moment, and deleted), every session begun before now ends
(``sessions_valid_after``), and their Cognito account is disabled and signed out everywhere (its
refresh tokens revoked), so a session checked with Cognito within the minute fails too.
Reactivating enables the account again; the tokens stay gone (an admin makes new ones), the
sessions stay ended. Each change is an entry of the access audit.
"""

from __future__ import annotations

from postdesk.agents.model import Agent, Role
from postdesk.auth.audit import NO_CALLER, AccessAction, Caller
from postdesk.errors import NotAllowed
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.workflows.invitations import accounts_of, audit_of


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
) -> Agent:
    """End the agent ``email``'s access (see the module): inactive, tokens deleted, sessions ended,
    the account disabled and signed out everywhere. Deactivating yourself is refused (someone must
    be left to undo it); an agent already inactive is made sure of again, without a second entry."""
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
    return ports.agents.get(agent.email)


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
