"""Admins manage people: invite them (POST /agents), mail a new temporary password to one who has
not signed in yet (POST /agents/{email}/invitation), and change their name, role and whether they
may use the desk at all (``name``, ``role``, ``active`` of PUT /agents/{email}, beside the queues
and availability api/availability.py handles). Every change is in the access audit."""

from __future__ import annotations

from typing import Any

from postdesk.agents.model import Agent, Role
from postdesk.api.availability import availability
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.effects.send_once import SendOutcome
from postdesk.errors import BadRequest
from postdesk.workflows.account_changes import Released, change_role, deactivate, reactivate
from postdesk.workflows.invitations import Invitation, accounts_of, invite, renew_invitation

ACCOUNT_FIELDS = frozenset({"name", "role", "active"})
_INVITE_FIELDS = frozenset({"email", "name", "role", "queues"})
# What the answer says of the invitation mail, by what send-once did (a failed send has its own
# words, with the reason: Invitation.mail_failure).
_MAIL_WORDS = {
    SendOutcome.SENT: "The invitation with a temporary password was mailed.",
    SendOutcome.ALREADY_SENT: "The invitation with this temporary password was mailed before.",
    SendOutcome.UNCONFIRMED: "The invitation may not have gone out: renew it if it does not arrive.",
    SendOutcome.SUPPRESSED: (
        "The invitation was NOT mailed: the address is on the suppression list (it bounced or "
        "complained). Clear it, then renew the invitation."
    ),
    SendOutcome.RATE_LIMITED: "The invitation was not mailed (too many mails): renew it later.",
}


def _mail_words(invitation: Invitation) -> str:
    return invitation.mail_failure or _MAIL_WORDS[SendOutcome(invitation.mail)]


def agent_json(agent: Agent) -> dict[str, Any]:
    """An agent as the admin pages show them."""
    return {
        "email": agent.email,
        "name": agent.name,
        "role": agent.role.value,
        "active": agent.active,
        "created_at": agent.created_at.isoformat().replace("+00:00", "Z"),
        **availability(agent),
    }


def _role(value: object) -> Role:
    if isinstance(value, str) and value in {role.value for role in Role}:
        return Role(value)
    raise BadRequest("role must be agent or admin")


def invite_agent(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """``{"email", "name", "role", "queues"}`` (role: agent by default; queues: a list of the desk's
    queues, absent or null for every queue): make the agent and their account, mail the temporary
    password. 201 with the agent and what became of the mail; 409 for an active agent."""
    admin = authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset())
    document = request.json_body(allowed=_INVITE_FIELDS, required=frozenset({"email", "name"}))
    email, name = text_field(document, "email"), text_field(document, "name")
    if not email or not name:
        raise BadRequest("email and name must be non-empty strings")
    queues = document.get("queues")
    if queues is not None and (not isinstance(queues, list) or not all(isinstance(q, str) for q in queues)):
        raise BadRequest("queues must be a list of queue names, or null for every queue")
    invitation = invite(
        email,
        name,
        _role(document.get("role", Role.AGENT.value)),
        queues,
        admin.email,
        context.settings,
        context.ports,
        caller=request.caller(),
    )
    return _invitation_answer(201, invitation)


def renew_agent_invitation(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Mail a new temporary password to an agent who has not signed in yet (or has no account: made
    with an API token only). 200 with the agent and what became of the mail; 409 once they signed in."""
    admin = authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset())
    request.json_body(allowed=frozenset())
    invitation = renew_invitation(
        request.path_params.get("email", ""),
        admin.email,
        context.settings,
        context.ports,
        caller=request.caller(),
    )
    return _invitation_answer(200, invitation)


def _invitation_answer(status: int, invitation: Invitation) -> ApiResponse:
    """The agent invited (or whose invitation was renewed) and what became of the mail."""
    return ApiResponse(
        status,
        {"agent": agent_json(invitation.agent), "mail": invitation.mail, "message": _mail_words(invitation)},
    )


def check_account_fields(document: dict[str, Any]) -> None:
    """BadRequest, in words, for a ``name``, ``role`` or ``active`` of PUT /agents/{email} of the
    wrong type (before anything is changed)."""
    if "name" in document and (not isinstance(document["name"], str) or not document["name"].strip()):
        raise BadRequest("name must be a non-empty string")
    if "role" in document:
        _role(document["role"])
    if "active" in document and not isinstance(document["active"], bool):
        raise BadRequest("active must be true or false")
    if "release_tickets" in document:
        if not isinstance(document["release_tickets"], bool):
            raise BadRequest("release_tickets must be true or false")
        if document.get("active") is not False:
            raise BadRequest("release_tickets goes with active: false (deactivating the agent)")


def reactivate_if_asked(
    document: dict[str, Any], request: ApiRequest, context: ApiContext, admin: Agent, email: str
) -> None:
    """PUT /agents/{email} with ``"active": true``: first of all, so the other changes of the same
    request apply to an active agent."""
    if document.get("active") is True:
        reactivate(email, admin.email, context.settings, context.ports, caller=request.caller())


def apply_account_fields(
    document: dict[str, Any],
    request: ApiRequest,
    context: ApiContext,
    admin: Agent,
    email: str,
    released: list[Released] | None = None,
) -> Agent:
    """PUT /agents/{email}'s ``name`` and ``role``, then ``"active": false`` last of all (a
    deactivated agent's item changes no more), with ``"release_tickets": true`` their open tickets
    put back, each appended to ``released``. Returns the agent as it now is."""
    agent = context.agents.get(email)
    if "name" in document and document["name"].strip() != agent.name:
        agent = context.agents.set_profile(agent.email, name=document["name"])
    if "role" in document:
        agent = change_role(
            agent.email,
            _role(document["role"]),
            admin.email,
            context.settings,
            context.ports,
            caller=request.caller(),
        )
    if document.get("active") is False:
        agent = deactivate(
            agent.email,
            admin.email,
            context.settings,
            context.ports,
            caller=request.caller(),
            released=released if document.get("release_tickets") is True else None,
        )
    return agent


def released_json(released: list[Released]) -> list[dict[str, str | None]]:
    """The tickets put back, as PUT /agents/{email} answers them."""
    return [{"ref": ticket.ref, "assignee": ticket.assignee} for ticket in released]


def every_agent(context: ApiContext) -> list[dict[str, Any]]:
    """Every agent, deactivated ones too, with their account's state in the user pool: ``invited``
    (no sign-in yet: the invitation can be renewed), ``active``, ``disabled``, or ``none`` (an agent
    with API tokens only, made before people signed in); and ``two_step``: whether the account signs
    in with a TOTP code (AdminGetUser, one per account: ListUsers does not say), null without one."""
    if not context.settings.sign_in.user_pool_id:
        return [{**agent_json(agent), "account": "none", "two_step": None} for agent in context.agents.list()]
    accounts = accounts_of(context.settings)
    states = accounts.states()
    listed = []
    for agent in context.agents.list():
        state = states.get(agent.email, "none")
        two_step = None if state == "none" else accounts.two_step_enabled(agent.email)
        listed.append({**agent_json(agent), "account": state, "two_step": two_step})
    return listed
