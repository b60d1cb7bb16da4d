"""The one repository of agents and their API tokens, in the agents table (partition key ``pk``).

Items:
- ``AGENT#<email>``: name, role, active, created_at, ``signature`` (the agent's sign-off, Markdown
  by language; absent when they have none), ``away``/``away_until`` and ``queues`` (the queues the
  agent belongs to, which automatic assignment gives tickets from: workflows/assignment.py; absent:
  every queue, and none for assignment; an empty list: no queue), ``key_id``, the key id of the
  first token ``add`` made (as versions before many tokens kept it; revoking no longer needs it),
  and ``sessions_valid_after`` (ISO; the sessions begun before it are over: auth/sign_in.py);
- ``TOKEN#<key id>``: an API token (agents/tokens.py): the owner's email, the SHA-256 of the
  secret, created_at, and ``name``, ``scope`` (read, write, admin), ``created_by``, ``expires_at``
  (ISO; absent: never) and ``last_used_at`` (written at most once an hour). An agent holds any
  number of them. Token items made before tokens had names lack all five: they are listed as
  "initial", with their owner's role's scope, never expiring, and keep working as they did.

Authenticating reads the token item, then the agent item, both with consistent reads, so a revoked
token, or one of an agent deactivated, fails from the moment revoke returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from postdesk.agents.model import (
    Agent,
    AgentExists,
    AgentNotFound,
    InvalidAgent,
    Role,
)
from postdesk.agents.tokens import (
    INITIAL_TOKEN_NAME,
    KEY_ID_ALPHABET,
    KEY_ID_LENGTH,
    MAX_TOKEN_DAYS,
    TOKEN_NAME_LIMIT,
    ApiToken,
    ExpiredToken,
    TokenAccess,
    TokenInfo,
    TokenScope,
    hash_secret,
    issue_token,
    parse_token,
    role_scope,
    secret_matches,
)
from postdesk.aws.dynamodb import DeskModel, NamedTransaction, delete_if, read_item, save_if, update_if
from postdesk.clock import Clock, from_iso, to_iso, utc_now
from postdesk.errors import Invalid, NotFound, PostdeskError, Unauthenticated
from postdesk.mail.compose import clean_header_text, is_header_safe
from postdesk.observability import logger, mask_address
from postdesk.tickets.dynamo import bind_model

_AGENT_ITEM_PREFIX = "AGENT#"
_KEY_ITEM_PREFIX = "TOKEN#"
# RFC 5321 caps a forward path at 256 octets, so an address is at most 254 characters.
_EMAIL_LIMIT = 254
_NAME_LIMIT = 200
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
# Key ids are 50 random bits: a clash is already improbable, three in a row means a broken generator.
_KEY_ID_ATTEMPTS = 3
# The same answer whatever was wrong, so a caller learns nothing about which tokens exist.
_REJECTED = "missing, malformed, unknown or revoked token"
# How often a token's last use is written: often enough to tell a live integration from a dead
# one, rarely enough that a busy one costs no write per request.
_LAST_USE_EVERY = timedelta(hours=1)
_KEY_ID = re.compile(f"[{KEY_ID_ALPHABET}]{{{KEY_ID_LENGTH}}}")


class AgentItem(DeskModel):
    class Meta:
        table_name = "unbound-agents"

    pk = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    active = BooleanAttribute()
    created_at = UnicodeAttribute()
    key_id = UnicodeAttribute(null=True)
    signature = MapAttribute[str, Any](null=True)
    # Away (and until when: workflows/assignment.py) and the queues the agent belongs to.
    away = BooleanAttribute(null=True)
    away_until = UnicodeAttribute(null=True)
    queues = ListAttribute[str](null=True)
    # Sessions begun before this ISO time are over (auth/sessions.py).
    sessions_valid_after = UnicodeAttribute(null=True)


class TokenItem(DeskModel):
    class Meta:
        table_name = "unbound-agents"

    pk = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # Absent on the tokens made before tokens had names, scopes and expiry (see the module).
    name = UnicodeAttribute(null=True)
    scope = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    last_used_at = UnicodeAttribute(null=True)


class TokenNotFound(NotFound):
    """No API token has that key id (or it was revoked)."""


class InvalidToken(Invalid):
    """The name, scope or lifetime asked for a new API token cannot be used."""


def normalize_email(email: str) -> str:
    """The stored form of an address: surrounding spaces removed, lower case."""
    return email.strip().lower()


class AgentStore:
    def __init__(self, table_name: str, region: str, clock: Clock | None = None) -> None:
        self._region = region
        # What "now" is when a token's expiry is checked and its use noted (the workflows' clock).
        self._clock = clock or utc_now
        for model in (AgentItem, TokenItem):
            bind_model(model, table_name, region)

    def add(
        self, email: str, name: str, role: Role, now: datetime, *, token_days: int | None = None
    ) -> tuple[Agent, str]:
        """Make ``email`` an active agent with a fresh token and return the agent and the token,
        which is shown this once: named "initial", with the role's scope (agent: write, admin:
        admin), expiring after ``token_days`` (None: never, like the tokens made before tokens
        expired). An agent revoked earlier is reactivated with the new name and role.
        Raises AgentExists if the address is already an active agent, InvalidAgent for an address
        or a name that cannot be used."""
        address, display_name = checked_identity(email, name)
        agent = Agent(email=address, name=display_name, role=Role(role), active=True, created_at=now)
        expires_at = now + timedelta(days=token_days) if token_days is not None else None
        for _ in range(_KEY_ID_ATTEMPTS):
            token = issue_token()
            if self._save_new_agent(agent, token, expires_at):
                logger.info("agent added", extra={"agent": mask_address(address), "role": agent.role.value})
                return agent, token.text
        raise PostdeskError("no unused token key id after several draws; the random generator is broken")

    def add_invited(
        self, email: str, name: str, role: Role, now: datetime, queues: Sequence[str] | None
    ) -> Agent:
        """Make ``email`` an active agent without an API token (an invitation: they sign in with the
        pool's password), belonging to ``queues`` (None: every queue). An agent deactivated earlier
        is made again, every session they had before ``now`` over. AgentExists for an active
        agent, InvalidAgent for an address or a name that cannot be used."""
        address, display_name = checked_identity(email, name)
        chosen = None if queues is None else sorted(set(queues))
        item = AgentItem(
            pk=_AGENT_ITEM_PREFIX + address,
            email=address,
            name=display_name,
            role=Role(role).value,
            active=True,
            created_at=to_iso(now),
            queues=chosen,
            sessions_valid_after=to_iso(now),
        )
        if not save_if(item, AgentItem.pk.does_not_exist() | (AgentItem.active == False)):  # noqa: E712
            raise AgentExists(f"{address} is already an active agent")
        logger.info("agent invited", extra={"agent": mask_address(address), "role": item.role})
        return _agent_from_item(item)

    def _save_new_agent(self, agent: Agent, token: ApiToken, expires_at: datetime | None) -> bool:
        """Write the agent item and its token item together; False if the key id is taken."""
        agent_item = AgentItem(
            pk=_AGENT_ITEM_PREFIX + agent.email,
            email=agent.email,
            name=agent.name,
            role=agent.role.value,
            active=True,
            created_at=to_iso(agent.created_at),
            # The key id of its first token, as versions before named tokens kept it.
            key_id=token.key_id,
        )
        token_item = TokenItem(
            pk=_KEY_ITEM_PREFIX + token.key_id,
            email=agent.email,
            secret_hash=hash_secret(token.secret),
            created_at=to_iso(agent.created_at),
            name=INITIAL_TOKEN_NAME,
            scope=role_scope(agent.role).value,
            created_by=agent.email,
            expires_at=to_iso(expires_at) if expires_at else None,
        )
        transaction = NamedTransaction(self._region)
        transaction.put(
            "agent",
            agent_item,
            condition=AgentItem.pk.does_not_exist() | (AgentItem.active == False),  # noqa: E712
        )
        transaction.put("token", token_item, condition=TokenItem.pk.does_not_exist())
        if transaction.commit():
            return True
        if "agent" in transaction.failed:
            raise AgentExists(f"{agent.email} is already an active agent")
        return False  # the token's key id is taken

    def get(self, email: str) -> Agent:
        """The agent with that address, active or revoked; AgentNotFound when there is none."""
        address = normalize_email(email)
        item = self._agent_item(address)
        if item is None:
            raise AgentNotFound(f"no agent has the address {clean_header_text(address, limit=100)!r}")
        return _agent_from_item(item)

    def list(self) -> list[Agent]:
        """Every agent, active or revoked, by email address."""
        items = AgentItem.scan(AgentItem.pk.startswith(_AGENT_ITEM_PREFIX), consistent_read=True)
        return sorted((_agent_from_item(item) for item in items), key=lambda agent: agent.email)

    def set_signature(self, email: str, signature: Mapping[str, str]) -> Agent:
        """Replace the signature of the active agent ``email`` (checked by the caller:
        replies/sign_off.py ``validated_signature``); an empty one removes it. Returns the agent as
        it now is. Raises AgentNotFound for an unknown or revoked address."""
        address = normalize_email(email)
        item = AgentItem(pk=_AGENT_ITEM_PREFIX + address)
        change = AgentItem.signature.set(dict(signature)) if signature else AgentItem.signature.remove()
        # One write, only while the agent is active: a token revoked meanwhile changes nothing.
        if not update_if(item, [change], AgentItem.active == True):  # noqa: E712
            raise AgentNotFound(f"no active agent has the address {clean_header_text(address, limit=100)!r}")
        logger.info("agent signature changed", extra={"agent": mask_address(address)})
        return _agent_from_item(item)

    def set_away(self, email: str, away: bool, until: datetime | None) -> Agent:
        """Mark the active agent ``email`` away (until ``until``, if given) or back. Returns the
        agent as it now is; AgentNotFound for an unknown or revoked address."""
        actions = [
            AgentItem.away.set(away),
            AgentItem.away_until.set(to_iso(until)) if away and until else AgentItem.away_until.remove(),
        ]
        agent = self._update_active(email, actions)
        logger.info("agent availability changed", extra={"agent": mask_address(agent.email), "away": away})
        return agent

    def set_queues(self, email: str, queues: Sequence[str] | None) -> Agent:
        """Make the active agent ``email`` belong to ``queues`` (checked against the desk's queues by
        the caller; ``[]``: none), or to every queue (None: the attribute is removed, as on agents
        made before queues restricted anything). AgentNotFound for an unknown or revoked address."""
        chosen = None if queues is None else sorted(set(queues))
        agent = self._update_active(
            email, [AgentItem.queues.remove() if chosen is None else AgentItem.queues.set(chosen)]
        )
        logger.info("agent queues changed", extra={"agent": mask_address(agent.email), "queues": chosen})
        return agent

    def end_sessions(self, email: str, at: datetime) -> None:
        """End every session of ``email`` begun before ``at`` (sign out everywhere, deactivation,
        a password reset): later checks of those sessions refuse them. An earlier moment never
        replaces a later one. AgentNotFound for an unknown address."""
        address = normalize_email(email)
        moment = to_iso(at)
        item = AgentItem(pk=_AGENT_ITEM_PREFIX + address)
        later = AgentItem.sessions_valid_after.does_not_exist() | (AgentItem.sessions_valid_after < moment)
        if not update_if(item, [AgentItem.sessions_valid_after.set(moment)], AgentItem.pk.exists() & later):
            if self._agent_item(address) is None:
                raise AgentNotFound(f"no agent has the address {clean_header_text(address, limit=100)!r}")
            return
        logger.info("agent sessions ended", extra={"agent": mask_address(address)})

    def _update_active(self, email: str, actions: Sequence[Action]) -> Agent:
        address = normalize_email(email)
        item = AgentItem(pk=_AGENT_ITEM_PREFIX + address)
        # Only while the agent is active: an agent revoked meanwhile is not brought back half-way.
        if not update_if(item, [*actions], AgentItem.active == True):  # noqa: E712
            raise AgentNotFound(f"no active agent has the address {clean_header_text(address, limit=100)!r}")
        return _agent_from_item(item)

    def revoke(self, email: str) -> tuple[str, ...]:
        """Deactivate the agent and delete every API token of theirs: from the moment this returns,
        their tokens fail (authenticating checks the agent is active, whatever is left to delete).
        Returns the key ids of the tokens deleted. Revoking an agent already revoked deletes what
        tokens remain. Raises AgentNotFound for an unknown address."""
        address = normalize_email(email)
        item = self._agent_item(address)
        if item is None:
            raise AgentNotFound(f"no agent has the address {clean_header_text(address, limit=100)!r}")
        if item.active:
            AgentItem(pk=item.pk).update(actions=[AgentItem.active.set(False), AgentItem.key_id.remove()])
            logger.info("agent revoked", extra={"agent": mask_address(address)})
        return self.revoke_tokens_of(address)

    def reactivate(self, email: str) -> Agent:
        """Make a deactivated agent active again (with no API token: they sign in, or an admin makes
        them new ones). An active agent stays as it is. AgentNotFound for an unknown address."""
        address = normalize_email(email)
        item = AgentItem(pk=_AGENT_ITEM_PREFIX + address)
        if not update_if(item, [AgentItem.active.set(True)], AgentItem.pk.exists()):
            raise AgentNotFound(f"no agent has the address {clean_header_text(address, limit=100)!r}")
        logger.info("agent reactivated", extra={"agent": mask_address(address)})
        return _agent_from_item(item)

    def set_profile(self, email: str, *, name: str | None = None, role: Role | None = None) -> Agent:
        """Change the name and/or the role of the active agent ``email``. InvalidAgent for a name
        that cannot be used, AgentNotFound for an unknown or deactivated address."""
        actions: list[Action] = []
        if name is not None:
            actions.append(AgentItem.name.set(checked_name(name)))
        if role is not None:
            actions.append(AgentItem.role.set(Role(role).value))
        if not actions:
            return self.get(email)
        agent = self._update_active(email, actions)
        logger.info("agent changed", extra={"agent": mask_address(agent.email), "role": agent.role.value})
        return agent

    # -- API tokens ------------------------------------------------------------------------------

    def create_token(
        self,
        owner: str,
        name: str,
        scope: TokenScope,
        days: int,
        created_by: str,
        now: datetime,
    ) -> tuple[TokenInfo, str]:
        """A new token of the active agent ``owner``, named ``name``, of ``scope``, expiring ``days``
        days from ``now``; returns it as listed and its text, shown this once. InvalidToken for a
        name, scope or lifetime that cannot be used (the admin scope needs an admin owner),
        AgentNotFound for an owner who is not an active agent."""
        token_name = _checked_token_name(name)
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise InvalidToken(f"a token lives from 1 to {MAX_TOKEN_DAYS} days, not {days}")
        agent = self.get(owner)
        if not agent.active:
            raise AgentNotFound(f"{agent.email} is deactivated: reactivate them before making tokens")
        if scope is TokenScope.ADMIN and agent.role is not Role.ADMIN:
            raise InvalidToken(
                f"{agent.email} has the agent role: a token with the admin scope needs an admin owner"
            )
        expires_at = now + timedelta(days=days)
        for _ in range(_KEY_ID_ATTEMPTS):
            token = issue_token()
            item = TokenItem(
                pk=_KEY_ITEM_PREFIX + token.key_id,
                email=agent.email,
                secret_hash=hash_secret(token.secret),
                created_at=to_iso(now),
                name=token_name,
                scope=TokenScope(scope).value,
                created_by=normalize_email(created_by),
                expires_at=to_iso(expires_at),
            )
            transaction = NamedTransaction(self._region)
            # The owner must still be active when the token is written.
            transaction.check(
                "owner",
                AgentItem,
                _AGENT_ITEM_PREFIX + agent.email,
                None,
                AgentItem.active == True,  # noqa: E712
            )
            transaction.put("token", item, condition=TokenItem.pk.does_not_exist())
            if not transaction.commit():
                if "owner" in transaction.failed:
                    raise AgentNotFound(f"{agent.email} is deactivated: reactivate them first")
                continue  # the key id is taken: draw another
            logger.info(
                "api token created",
                # Never the key id: it is part of the token (agents/tokens.py).
                extra={"agent": mask_address(agent.email), "scope": item.scope},
            )
            return _token_info(item, agent.role), token.text
        raise PostdeskError("no unused token key id after several draws; the random generator is broken")

    def tokens(self, owner: str | None = None) -> tuple[TokenInfo, ...]:
        """The tokens of ``owner`` (None: of every agent), newest first; expired ones included until
        someone revokes them."""
        condition = TokenItem.pk.startswith(_KEY_ITEM_PREFIX)
        if owner is not None:
            condition = condition & (TokenItem.email == normalize_email(owner))
        roles: dict[str, Role] = {}
        found = []
        for item in TokenItem.scan(condition, consistent_read=True):
            if not item.scope and item.email not in roles:
                agent_item = self._agent_item(item.email)
                roles[item.email] = Role(agent_item.role) if agent_item else Role.AGENT
            found.append(_token_info(item, roles.get(item.email, Role.AGENT)))
        return tuple(sorted(found, key=lambda token: (token.created_at, token.key_id), reverse=True))

    def token(self, key_id: str) -> TokenInfo:
        """The token with that key id; TokenNotFound when there is none."""
        item = self._token_item(key_id)
        role = Role.AGENT
        if not item.scope:
            agent_item = self._agent_item(item.email)
            role = Role(agent_item.role) if agent_item else Role.AGENT
        return _token_info(item, role)

    def revoke_token(self, key_id: str) -> TokenInfo:
        """Delete the token: from the moment this returns, it fails. Returns it as it was listed;
        TokenNotFound when no token has that key id."""
        info = self.token(key_id)
        if not delete_if(TokenItem(pk=_KEY_ITEM_PREFIX + info.key_id), TokenItem.pk.exists()):
            raise TokenNotFound(f"no API token has the key id {info.key_id}")
        logger.info("api token revoked", extra={"agent": mask_address(info.email), "scope": info.scope.value})
        return info

    def revoke_tokens_of(self, owner: str) -> tuple[str, ...]:
        """Delete every token of ``owner``; the key ids deleted."""
        deleted = tuple(token.key_id for token in self.tokens(owner))
        for key_id in deleted:
            TokenItem(pk=_KEY_ITEM_PREFIX + key_id).delete()
        return deleted

    def authenticate(self, token: str) -> Agent:
        """The active agent the token belongs to. Raises Unauthenticated, with the same message,
        for a missing, malformed, unknown, wrong or revoked token (and in words for an expired one)."""
        return self.authenticate_token(token).agent

    def authenticate_token(self, token: str) -> TokenAccess:
        """The active agent the token belongs to, with the token's scope and key id. Raises
        Unauthenticated, with the same message, for a missing, malformed, unknown, wrong or revoked
        token, or one of a deactivated agent; in words, with the date, for an expired one."""
        parsed = parse_token(token)
        if parsed is None:
            raise Unauthenticated(_REJECTED)
        token_item = read_item(TokenItem, _KEY_ITEM_PREFIX + parsed.key_id)
        if token_item is None:
            raise Unauthenticated(_REJECTED)
        if not secret_matches(parsed.secret, token_item.secret_hash):
            raise Unauthenticated(_REJECTED)
        agent_item = self._agent_item(token_item.email)
        if agent_item is None or not agent_item.active:
            raise Unauthenticated(_REJECTED)
        now = self._clock()
        if token_item.expires_at is not None and now >= from_iso(token_item.expires_at):
            raise ExpiredToken(
                f"this API token expired on {from_iso(token_item.expires_at):%Y-%m-%d %H:%M} UTC: "
                "ask an admin for a new one (or make one on the console's API tokens page)"
            )
        agent = _agent_from_item(agent_item)
        scope = TokenScope(token_item.scope) if token_item.scope else role_scope(agent.role)
        self._note_use(token_item, now)
        return TokenAccess(agent=agent, scope=scope, key_id=parsed.key_id)

    def _note_use(self, item: TokenItem, now: datetime) -> None:
        """Write the token's last use, at most once an hour (the condition keeps concurrent requests
        to one write and never brings back a token revoked meanwhile). Never fails the request."""
        if item.last_used_at is not None and now - from_iso(item.last_used_at) < _LAST_USE_EVERY:
            return
        due = to_iso(now - _LAST_USE_EVERY)
        try:
            # False (a concurrent request noted it, or the token is gone) is as good as written.
            update_if(
                TokenItem(pk=item.pk),
                [TokenItem.last_used_at.set(to_iso(now))],
                TokenItem.pk.exists()
                & (TokenItem.last_used_at.does_not_exist() | (TokenItem.last_used_at <= due)),
            )
        except UpdateError:
            logger.exception("api token use not noted", extra={"agent": mask_address(item.email)})

    def _token_item(self, key_id: str) -> TokenItem:
        wanted = key_id.strip().upper()
        if not _KEY_ID.fullmatch(wanted):
            raise TokenNotFound(f"no API token has the key id {clean_header_text(key_id, limit=40)!r}")
        item = read_item(TokenItem, _KEY_ITEM_PREFIX + wanted)
        if item is None:
            raise TokenNotFound(f"no API token has the key id {wanted}")
        return item

    def _agent_item(self, address: str) -> AgentItem | None:
        return read_item(AgentItem, _AGENT_ITEM_PREFIX + address)


def checked_identity(email: str, name: str) -> tuple[str, str]:
    """The stored forms of a new agent's address and name; InvalidAgent when either cannot be used."""
    address = normalize_email(email)
    if len(address) > _EMAIL_LIMIT or not _EMAIL.fullmatch(address):
        raise InvalidAgent(f"not an email address: {clean_header_text(email, limit=100)!r}")
    return address, checked_name(name)


def checked_name(name: str) -> str:
    """An agent's name as stored; InvalidAgent when it cannot be used."""
    display_name = name.strip()
    if not display_name:
        raise InvalidAgent("an agent needs a name")
    # The name goes into the From header of the agent's replies: one line, refused otherwise.
    if not is_header_safe(display_name) or len(display_name) > _NAME_LIMIT:
        raise InvalidAgent(
            f"a name is one line of at most {_NAME_LIMIT} characters, without control characters"
        )
    return display_name


def _checked_token_name(name: str) -> str:
    token_name = name.strip()
    if not token_name:
        raise InvalidToken('a token needs a name saying what uses it (for example "CRM sync")')
    if len(token_name) > TOKEN_NAME_LIMIT or not is_header_safe(token_name):
        raise InvalidToken(
            f"a token's name is one line of at most {TOKEN_NAME_LIMIT} characters, without control characters"
        )
    return token_name


def _token_info(item: TokenItem, owner_role: Role) -> TokenInfo:
    """A token item as listed; one made before tokens had names gets the name "initial" and its
    owner's role's scope (``owner_role``), as it worked."""
    return TokenInfo(
        key_id=item.pk[len(_KEY_ITEM_PREFIX) :],
        email=item.email,
        name=item.name or INITIAL_TOKEN_NAME,
        scope=TokenScope(item.scope) if item.scope else role_scope(owner_role),
        created_at=from_iso(item.created_at),
        created_by=item.created_by or item.email,
        expires_at=from_iso(item.expires_at) if item.expires_at else None,
        last_used_at=from_iso(item.last_used_at) if item.last_used_at else None,
    )


def _agent_from_item(item: AgentItem) -> Agent:
    return Agent(
        email=item.email,
        name=item.name,
        role=Role(item.role),
        active=bool(item.active),
        created_at=from_iso(item.created_at),
        signature={
            str(key): str(text) for key, text in (item.signature.as_dict() if item.signature else {}).items()
        },
        away=bool(item.away),
        away_until=from_iso(item.away_until) if item.away_until else None,
        queues=tuple(sorted(item.queues or ())),
        # No attribute at all (not an empty list): every queue.
        every_queue=item.queues is None,
        sessions_valid_after=from_iso(item.sessions_valid_after) if item.sessions_valid_after else None,
    )
