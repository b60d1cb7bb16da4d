"""Agents and their API tokens on the agents table (moto, provisioned from infra/template.json):
adding, authenticating, revoking, roles, listing, the `postdesk agents` command, and logs."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from postdesk.agents import store as store_module
from postdesk.agents.model import (
    AgentExists,
    AgentNotFound,
    InvalidAgent,
    Role,
    require_role,
)
from postdesk.agents.store import AgentStore, TokenItem
from postdesk.agents.tokens import ApiToken, hash_secret, issue_token, parse_token
from postdesk.errors import Forbidden, Unauthenticated
from postdesk_tools.agents_cli import run_agents
from tests.integration.conftest import Desk

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TOKEN_IN_TEXT = re.compile(r"pdk_[A-Z2-7]{10}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def agents(desk: Desk) -> AgentStore:
    return AgentStore(desk.settings.tables.agents, desk.settings.region)


def _forged(token: str, *, key_id: str | None = None, secret: str | None = None) -> str:
    parsed = parse_token(token)
    assert parsed is not None
    return ApiToken(key_id=key_id or parsed.key_id, secret=secret or parsed.secret).text


def test_an_added_agent_authenticates_with_its_token(agents: AgentStore) -> None:
    # Given an agent added with messy input
    agent, token = agents.add("  Sam.Lee@Example.COM ", "  Sam Lee ", Role.AGENT, NOW)

    # Then the address is normalized and the name trimmed
    assert agent.email == "sam.lee@example.com"
    assert agent.name == "Sam Lee"
    assert agent.role is Role.AGENT and agent.active and agent.created_at == NOW

    # And the token it got back authenticates as that agent
    assert agents.authenticate(token) == agent


def test_the_store_keeps_only_a_hash_of_the_secret(agents: AgentStore) -> None:
    _, token = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    parsed = parse_token(token)
    assert parsed is not None

    item = TokenItem.get(f"TOKEN#{parsed.key_id}", consistent_read=True)

    assert item.email == "sam@example.com"
    assert item.secret_hash == hash_secret(parsed.secret)
    assert parsed.secret not in str(item.attribute_values)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda token: _forged(token, secret=issue_token().secret), id="wrong secret"),
        pytest.param(lambda token: _forged(token, key_id="AAAAAAAAAA"), id="unknown key id"),
        pytest.param(lambda token: token[:-1], id="malformed"),
        pytest.param(lambda token: "Bearer " + token, id="with a scheme"),
        pytest.param(lambda token: "", id="empty"),
    ],
)
def test_a_wrong_token_is_rejected_with_one_message(agents: AgentStore, spoil: Callable[[str], str]) -> None:
    # Given an agent with a valid token
    _, token = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)

    # When a spoiled form of it is presented, Then it is refused, with a message that names nothing
    with pytest.raises(Unauthenticated, match=r"^missing, malformed, unknown or revoked token$"):
        agents.authenticate(spoil(token))


def test_another_agents_key_id_with_this_secret_is_rejected(agents: AgentStore) -> None:
    # Given two agents
    _, sams = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    _, kims = agents.add("kim@example.com", "Kim", Role.ADMIN, NOW)
    kim_key = parse_token(kims)
    assert kim_key is not None

    # When Sam's secret is sent under Kim's key id, Then it is refused
    with pytest.raises(Unauthenticated):
        agents.authenticate(_forged(sams, key_id=kim_key.key_id))


def test_a_revoked_token_fails_at_once(agents: AgentStore) -> None:
    # Given an agent whose token works
    _, token = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    assert agents.authenticate(token).email == "sam@example.com"

    # When the agent is revoked
    agents.revoke(" SAM@example.com")

    # Then the very next request with the token fails, and the agent is listed as inactive
    with pytest.raises(Unauthenticated):
        agents.authenticate(token)
    (listed,) = agents.list()
    assert listed.email == "sam@example.com" and not listed.active


def test_revoking_twice_is_harmless_and_revoking_a_stranger_is_an_error(agents: AgentStore) -> None:
    agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    agents.revoke("sam@example.com")

    agents.revoke("sam@example.com")

    assert [agent.active for agent in agents.list()] == [False]
    with pytest.raises(AgentNotFound, match=re.escape("nobody@example.com")):
        agents.revoke("nobody@example.com")


def test_re_adding_a_revoked_agent_gives_a_new_token_and_the_old_one_stays_dead(agents: AgentStore) -> None:
    # Given an agent revoked after using a first token
    _, old_token = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    agents.revoke("sam@example.com")

    # When the agent is added again, as an admin now
    later = NOW + timedelta(days=3)
    agent, new_token = agents.add("sam@example.com", "Sam Lee", Role.ADMIN, later)

    # Then it is active with the new name and role, the new token works and the old one does not
    assert new_token != old_token
    assert agent.active and agent.role is Role.ADMIN and agent.name == "Sam Lee" and agent.created_at == later
    assert agents.authenticate(new_token) == agent
    with pytest.raises(Unauthenticated):
        agents.authenticate(old_token)


def test_an_active_agent_cannot_be_added_twice(agents: AgentStore) -> None:
    # Given an active agent
    first, token = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)

    # When the same address is added again in another case, Then it is refused
    with pytest.raises(AgentExists, match=re.escape("sam@example.com")):
        agents.add("SAM@example.com", "Someone Else", Role.ADMIN, NOW)

    # And the first agent and its token are untouched
    assert agents.list() == [first]
    assert agents.authenticate(token) == first


@pytest.mark.parametrize(
    ("email", "name", "message"),
    [
        ("sam", "Sam", "not an email address"),
        ("sam@example", "Sam", "not an email address"),
        ("sam lee@example.com", "Sam", "not an email address"),
        ("sam@example.com", " \r\n ", "needs a name"),
        ("sam@example.com", "Sam\r\nBcc: victim@example.org", "one line"),
    ],
)
def test_unusable_addresses_and_names_are_refused(
    agents: AgentStore, email: str, name: str, message: str
) -> None:
    with pytest.raises(InvalidAgent, match=message):
        agents.add(email, name, Role.AGENT, NOW)
    assert agents.list() == []


def test_a_key_id_that_is_taken_is_drawn_again(agents: AgentStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an agent, and a generator that first repeats that agent's key id
    _, sams = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    taken = parse_token(sams)
    assert taken is not None
    draws = iter([ApiToken(key_id=taken.key_id, secret=issue_token().secret), issue_token()])
    monkeypatch.setattr(store_module, "issue_token", lambda: next(draws))

    # When another agent is added
    kim, kims = agents.add("kim@example.com", "Kim", Role.AGENT, NOW)

    # Then it gets a fresh key id, and both tokens authenticate as their own agent
    kim_key = parse_token(kims)
    assert kim_key is not None and kim_key.key_id != taken.key_id
    assert agents.authenticate(kims) == kim
    assert agents.authenticate(sams).email == "sam@example.com"


def test_roles_come_from_the_authenticated_agent(agents: AgentStore) -> None:
    _, admin_token = agents.add("kim@example.com", "Kim", Role.ADMIN, NOW)
    _, agent_token = agents.add("sam@example.com", "Sam", Role.AGENT, NOW)

    admin = agents.authenticate(admin_token)
    agent = agents.authenticate(agent_token)

    require_role(admin, Role.ADMIN)
    require_role(admin, Role.AGENT)
    require_role(agent, Role.AGENT)
    with pytest.raises(Forbidden):
        require_role(agent, Role.ADMIN)


def test_list_returns_every_agent_by_address_and_no_token_items(agents: AgentStore) -> None:
    agents.add("sam@example.com", "Sam", Role.AGENT, NOW)
    agents.add("kim@example.com", "Kim", Role.ADMIN, NOW + timedelta(hours=1))
    agents.add("ali@example.com", "Ali", Role.AGENT, NOW + timedelta(hours=2))
    agents.revoke("ali@example.com")

    listed = agents.list()

    assert [(agent.email, agent.role, agent.active) for agent in listed] == [
        ("ali@example.com", Role.AGENT, False),
        ("kim@example.com", Role.ADMIN, True),
        ("sam@example.com", Role.AGENT, True),
    ]
    assert listed[1].created_at == NOW + timedelta(hours=1)


def test_the_command_prints_the_token_once_and_list_never_shows_it(desk: Desk) -> None:
    # Given the agents command run to add an admin
    added = io.StringIO()
    status = run_agents(
        ["add", "Kim@Example.com", "--name", "Kim Park", "--role", "admin"], desk.settings, added, lambda: NOW
    )

    # Then it succeeds, prints exactly one token, and says it will not be shown again
    assert status == 0
    (token,) = TOKEN_IN_TEXT.findall(added.getvalue())
    assert "will not be shown again" in added.getvalue()
    assert "It expires on 2027-02-22 09:00 UTC." in added.getvalue()
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region, lambda: NOW)
    assert agents.authenticate(token).role is Role.ADMIN

    # When the agents are listed
    listed = io.StringIO()
    assert run_agents(["list"], desk.settings, listed, lambda: NOW) == 0

    # Then the table shows the agent and no token, no part of one, and no hash
    parsed = parse_token(token)
    assert parsed is not None
    header, row = listed.getvalue().splitlines()
    assert header.split() == ["email", "name", "role", "active", "created"]
    assert row.split() == ["kim@example.com", "Kim", "Park", "admin", "yes", "2026-11-24", "09:00", "UTC"]
    for secret_part in ("pdk_", parsed.key_id, parsed.secret, hash_secret(parsed.secret)):
        assert secret_part not in listed.getvalue()


def test_the_command_revokes_and_reports_errors_with_exit_code_1(desk: Desk) -> None:
    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return run_agents(argv, desk.settings, out, lambda: NOW), out.getvalue()

    status, output = run("add", "sam@example.com", "--name", "Sam")
    (token,) = TOKEN_IN_TEXT.findall(output)
    assert status == 0 and "with the agent role" in output

    assert run("add", "sam@example.com", "--name", "Sam") == (
        1,
        "error: sam@example.com is already an active agent\n",
    )
    assert run("add", "kim@example.com", "--name", "Kim", "--role", "owner") == (
        1,
        "error: unknown role 'owner' (choose one of: agent, admin)\n",
    )
    assert run("add", "kim", "--name", "Kim") == (1, "error: not an email address: 'kim'\n")
    assert run("add", "kim@example.com", "--name", "Kim", "--token-days", "366") == (
        1,
        "error: --token-days is a whole number from 1 to 365\n",
    )
    assert run("revoke", "nobody@example.com") == (
        1,
        "error: no agent has the address 'nobody@example.com'\n",
    )
    status, output = run("revoke", "Sam@Example.com")
    assert status == 0 and output.startswith("sam@example.com is deactivated: ")
    with pytest.raises(Unauthenticated):
        AgentStore(desk.settings.tables.agents, desk.settings.region).authenticate(token)
    assert run("list")[1].splitlines()[1].split()[-4] == "no"


def test_the_list_of_no_agents_says_so(desk: Desk) -> None:
    out = io.StringIO()

    assert run_agents(["list"], desk.settings, out, lambda: NOW) == 0
    assert out.getvalue() == "No agents yet.\n"


def test_no_token_or_hash_reaches_the_logs(
    agents: AgentStore, capsys: pytest.CaptureFixture[str], log_output: io.StringIO
) -> None:
    # Given an agent added, authenticated, refused with a wrong secret, then revoked
    _, token = agents.add("sam@example.com", "Sam", Role.ADMIN, NOW)
    parsed = parse_token(token)
    assert parsed is not None
    agents.authenticate(token)
    with pytest.raises(Unauthenticated):
        agents.authenticate(_forged(token, secret=issue_token().secret))
    agents.revoke("sam@example.com")

    # Then the desk logged the changes, with the address masked
    output = capsys.readouterr().out + log_output.getvalue()
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [(line["message"], line["agent"]) for line in logged] == [
        ("agent added", "***@example.com"),
        ("agent revoked", "***@example.com"),
    ]

    # And no token, key id, secret or hash appears anywhere in the output
    for secret_part in ("pdk_", parsed.key_id, parsed.secret, hash_secret(parsed.secret)):
        assert secret_part not in output
