"""The one repository of agents and their API tokens, in the agents table (partition key ``pk``).

Items:
- ``AGENT#<email>``: name, role, active, created_at, ``signature`` (the agent's sign-off, Markdown
  by language; absent when they have none), ``away``/``away_until`` and ``queues`` (automatic
  assignment: workflows/assignment.py), and ``key_id``, the key id of the one token that works
  (absent once revoked), so revoking finds the token item without a scan;
- ``TOKEN#<key id>``: the agent's email, the SHA-256 of the secret, created_at.

Authenticating reads the token item, then the agent item, both with consistent reads, so a revoked
token fails from the moment revoke returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from postdesk.agents.model import (
    Agent,
    AgentExists,
    AgentNotFound,
    InvalidAgent,
    Role,
)
from postdesk.agents.tokens import ApiToken, hash_secret, issue_token, parse_token, secret_matches
from postdesk.aws.dynamodb import DeskModel, shared_connection
from postdesk.clock import from_iso, to_iso
from postdesk.errors import PostdeskError, Unauthenticated
from postdesk.mail.compose import clean_header_text, is_header_safe
from postdesk.observability import logger, mask_address
from postdesk.tickets.dynamo import bind_model

_AGENT_ITEM_PREFIX = "AGENT#"
_KEY_ITEM_PREFIX = "TOKEN#"
_CONDITION_FAILED = "ConditionalCheckFailed"
# RFC 5321 caps a forward path at 256 octets, so an address is at most 254 characters.
_EMAIL_LIMIT = 254
_NAME_LIMIT = 200
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
# Key ids are 50 random bits: a clash is already improbable, three in a row means a broken generator.
_KEY_ID_ATTEMPTS = 3
# The same answer whatever was wrong, so a caller learns nothing about which tokens exist.
_REJECTED = "missing, malformed, unknown or revoked token"


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
    # Automatic assignment (workflows/assignment.py): away (and until when), and the queues served.
    away = BooleanAttribute(null=True)
    away_until = UnicodeAttribute(null=True)
    queues = ListAttribute[str](null=True)


class TokenItem(DeskModel):
    class Meta:
        table_name = "unbound-agents"

    pk = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()


def normalize_email(email: str) -> str:
    """The stored form of an address: surrounding spaces removed, lower case."""
    return email.strip().lower()


class AgentStore:
    def __init__(self, table_name: str, region: str) -> None:
        self._region = region
        self._transaction_connection: Connection | None = None
        for model in (AgentItem, TokenItem):
            bind_model(model, table_name, region)

    def add(self, email: str, name: str, role: Role, now: datetime) -> tuple[Agent, str]:
        """Make ``email`` an active agent with a fresh token and return the agent and the token,
        which is shown this once. An agent revoked earlier is reactivated with the new name and role.
        Raises AgentExists if the address is already an active agent, InvalidAgent for an address
        or a name that cannot be used."""
        address = normalize_email(email)
        if len(address) > _EMAIL_LIMIT or not _EMAIL.fullmatch(address):
            raise InvalidAgent(f"not an email address: {clean_header_text(email, limit=100)!r}")
        display_name = name.strip()
        if not display_name:
            raise InvalidAgent("an agent needs a name")
        # The name goes into the From header of the agent's replies: one line, refused otherwise.
        if not is_header_safe(display_name) or len(display_name) > _NAME_LIMIT:
            raise InvalidAgent(
                f"a name is one line of at most {_NAME_LIMIT} characters, without control characters"
            )
        agent = Agent(email=address, name=display_name, role=Role(role), active=True, created_at=now)
        for _ in range(_KEY_ID_ATTEMPTS):
            token = issue_token()
            if self._save_new_agent(agent, token):
                logger.info("agent added", extra={"agent": mask_address(address), "role": agent.role.value})
                return agent, token.text
        raise PostdeskError("no unused token key id after several draws; the random generator is broken")

    def _save_new_agent(self, agent: Agent, token: ApiToken) -> bool:
        """Write the agent item and its token item together; False if the key id is taken."""
        agent_item = AgentItem(
            pk=_AGENT_ITEM_PREFIX + agent.email,
            email=agent.email,
            name=agent.name,
            role=agent.role.value,
            active=True,
            created_at=to_iso(agent.created_at),
            key_id=token.key_id,
        )
        token_item = TokenItem(
            pk=_KEY_ITEM_PREFIX + token.key_id,
            email=agent.email,
            secret_hash=hash_secret(token.secret),
            created_at=to_iso(agent.created_at),
        )
        try:
            with self._transaction() as transaction:
                transaction.save(
                    agent_item,
                    condition=AgentItem.pk.does_not_exist() | (AgentItem.active == False),  # noqa: E712
                )
                transaction.save(token_item, condition=TokenItem.pk.does_not_exist())
        except TransactWriteError as error:
            agent_reason, token_reason = error.cancellation_reasons
            if agent_reason is not None and agent_reason.code == _CONDITION_FAILED:
                raise AgentExists(f"{agent.email} is already an active agent") from None
            if token_reason is not None and token_reason.code == _CONDITION_FAILED:
                return False
            raise
        return True

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
        try:
            # One write, only while the agent is active: a token revoked meanwhile changes nothing.
            item.update(actions=[change], condition=AgentItem.active == True)  # noqa: E712
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise AgentNotFound(
                    f"no active agent has the address {clean_header_text(address, limit=100)!r}"
                ) from None
            raise
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

    def set_queues(self, email: str, queues: Sequence[str]) -> Agent:
        """Replace the queues automatic assignment gives the active agent ``email`` tickets from
        (checked against the desk's queues by the caller). AgentNotFound for an unknown or revoked
        address."""
        chosen = sorted(set(queues))
        agent = self._update_active(
            email, [AgentItem.queues.set(chosen) if chosen else AgentItem.queues.remove()]
        )
        logger.info("agent queues changed", extra={"agent": mask_address(agent.email), "queues": chosen})
        return agent

    def _update_active(self, email: str, actions: Sequence[Action]) -> Agent:
        address = normalize_email(email)
        item = AgentItem(pk=_AGENT_ITEM_PREFIX + address)
        try:
            # Only while the agent is active: an agent revoked meanwhile is not brought back half-way.
            item.update(actions=[*actions], condition=AgentItem.active == True)  # noqa: E712
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise AgentNotFound(
                    f"no active agent has the address {clean_header_text(address, limit=100)!r}"
                ) from None
            raise
        return _agent_from_item(item)

    def revoke(self, email: str) -> None:
        """Deactivate the agent and delete its token: from the moment this returns, the token fails.
        Revoking an agent already revoked changes nothing. Raises AgentNotFound for an unknown address."""
        address = normalize_email(email)
        item = self._agent_item(address)
        if item is None:
            raise AgentNotFound(f"no agent has the address {clean_header_text(address, limit=100)!r}")
        if not item.active or item.key_id is None:
            return
        try:
            with self._transaction() as transaction:
                transaction.update(
                    AgentItem(pk=item.pk),
                    actions=[AgentItem.active.set(False), AgentItem.key_id.remove()],
                    condition=AgentItem.key_id == item.key_id,
                )
                transaction.delete(TokenItem(pk=_KEY_ITEM_PREFIX + item.key_id))
        except TransactWriteError as error:
            # The key id only changes through revoke, so another revoke took this token away first.
            if any(
                reason is not None and reason.code == _CONDITION_FAILED
                for reason in error.cancellation_reasons
            ):
                return
            raise
        logger.info("agent revoked", extra={"agent": mask_address(address)})

    def authenticate(self, token: str) -> Agent:
        """The active agent the token belongs to. Raises Unauthenticated, with the same message,
        for a missing, malformed, unknown, wrong or revoked token."""
        parsed = parse_token(token)
        if parsed is None:
            raise Unauthenticated(_REJECTED)
        try:
            token_item = TokenItem.get(_KEY_ITEM_PREFIX + parsed.key_id, consistent_read=True)
        except DoesNotExist:
            raise Unauthenticated(_REJECTED) from None
        if not secret_matches(parsed.secret, token_item.secret_hash):
            raise Unauthenticated(_REJECTED)
        agent_item = self._agent_item(token_item.email)
        if agent_item is None or not agent_item.active or agent_item.key_id != parsed.key_id:
            raise Unauthenticated(_REJECTED)
        return _agent_from_item(agent_item)

    def _agent_item(self, address: str) -> AgentItem | None:
        try:
            return AgentItem.get(_AGENT_ITEM_PREFIX + address, consistent_read=True)
        except DoesNotExist:
            return None

    def _transaction(self) -> TransactWrite:
        # One connection (one botocore client) for the store's life: making one costs ~0.1 s.
        if self._transaction_connection is None:
            self._transaction_connection = shared_connection(self._region)
        return TransactWrite(connection=self._transaction_connection)


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
    )
