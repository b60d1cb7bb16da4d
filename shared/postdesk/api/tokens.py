"""API tokens for integrations: list (GET /tokens: an admin sees every agent's, an agent their own),
make (POST /tokens: the secret is in this one answer, never again) and revoke (DELETE
/tokens/{key_id}). A token acts as its owner within its scope (agents/tokens.py); making one with
the admin scope needs an admin owner and an admin asking with the admin scope. Making and revoking
are in the access audit (the key id and name, never the token)."""

from __future__ import annotations

from typing import Any

from postdesk.agents.model import Agent, Role
from postdesk.agents.store import TokenNotFound
from postdesk.agents.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, TokenScope
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.auth.audit import AccessAction
from postdesk.clock import to_iso
from postdesk.errors import BadRequest, NotAllowed
from postdesk.workflows.invitations import audit_of

# RFC 5321's longest address.
MAX_ADDRESS_LENGTH = 254
_CREATE_FIELDS = frozenset({"name", "scope", "expires_days", "agent"})
# The secret must stay in the answer that carries it: no cache keeps a copy.
_NO_STORE = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def acts_as_admin(request: ApiRequest, context: ApiContext, agent: Agent) -> bool:
    """Whether the request may use the admin role: ``authenticated`` gives an admin's token without
    the admin scope the agent role (TokenAccess.acting_agent), so the role says it all."""
    return agent.role is Role.ADMIN and agent.active


def list_tokens(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The tokens an admin may see (every agent's; ``?agent=`` narrows to one) or the agent's own,
    newest first, each with its key id, name, scope, owner, dates and whether it has expired."""
    agent = authenticated(request, context)
    request.only_query(frozenset({"agent"}))
    wanted = request.query.get("agent")
    if wanted is not None and not 1 <= len(wanted.strip()) <= MAX_ADDRESS_LENGTH:
        raise BadRequest("agent names an agent's address; leave it out for every token you may see")
    if acts_as_admin(request, context, agent):
        tokens = context.agents.tokens(wanted.strip().lower() if wanted else None)
    elif wanted and wanted.strip().lower() != agent.email:
        raise NotAllowed("you may list your own tokens only: leave out agent, or ask an admin")
    else:
        tokens = context.agents.tokens(agent.email)
    now = context.ports.clock()
    return ApiResponse(200, {"tokens": [token.as_json(now) for token in tokens]})


def create_token(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """``{"name", "scope", "expires_days", "agent"}``: a new token (scope read, write or admin;
    ``expires_days`` 1 to 365, 90 by default; ``agent``, whose it is: the caller by default, another
    agent only for an admin). 201 with the token's text, shown this once."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(allowed=_CREATE_FIELDS, required=frozenset({"name", "scope"}))
    name = text_field(document, "name") or ""
    scope = _scope(document.get("scope"))
    days = _days(document.get("expires_days", DEFAULT_TOKEN_DAYS))
    owner = (text_field(document, "agent") or agent.email).strip().lower()
    admin = acts_as_admin(request, context, agent)
    if owner != agent.email and not admin:
        raise NotAllowed("you may make tokens for yourself only: leave out agent, or ask an admin")
    if scope is TokenScope.ADMIN and not admin:
        raise NotAllowed(
            "a token with the admin scope is made by an admin signed in (or with an admin token)"
        )
    now = context.ports.clock()
    info, text = context.agents.create_token(owner, name, scope, days, agent.email, now)
    audit_of(context.settings).record(
        AccessAction.TOKEN_CREATED,
        agent.email,
        now,
        subject=info.key_id,
        caller=request.caller(),
        detail={
            "agent": info.email,
            "name": info.name,
            "scope": info.scope.value,
            "expires_at": to_iso(info.expires_at) if info.expires_at else "",
        },
    )
    body: dict[str, Any] = {
        **info.as_json(now),
        "token": text,
        "message": "Store this token now: it is not shown again.",
    }
    return ApiResponse(201, body, _NO_STORE)


def revoke_token(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Revoke a token (an admin: anyone's; an agent: their own): it fails from this moment. 204;
    404 for a key id unknown or not the agent's to revoke (the same words)."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    key_id = request.path_params.get("key_id", "")
    token = context.agents.token(key_id)
    if token.email != agent.email and not acts_as_admin(request, context, agent):
        raise TokenNotFound(f"no API token has the key id {token.key_id}")
    revoked = context.agents.revoke_token(token.key_id)
    audit_of(context.settings).record(
        AccessAction.TOKEN_REVOKED,
        agent.email,
        context.ports.clock(),
        subject=revoked.key_id,
        caller=request.caller(),
        detail={"agent": revoked.email, "name": revoked.name, "scope": revoked.scope.value},
    )
    return ApiResponse(204, "", headers={})


def _scope(value: object) -> TokenScope:
    if isinstance(value, str) and value in {scope.value for scope in TokenScope}:
        return TokenScope(value)
    raise BadRequest("scope must be read, write or admin")


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOKEN_DAYS:
        raise BadRequest(f"expires_days must be a whole number of days from 1 to {MAX_TOKEN_DAYS}")
    return value
