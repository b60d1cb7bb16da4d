"""`postdesk agents`: add agents (their API token is printed once), list them, revoke them."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from postdesk.agents.model import Agent, AgentExists, AgentNotFound, InvalidAgent, Role
from postdesk.agents.store import AgentStore
from postdesk.settings import Settings

_ROLES = ", ".join(role.value for role in Role)
_LIST_COLUMNS = ("email", "name", "role", "active", "created")


def add_agents_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``agents`` command, with ``add``, ``list`` and ``revoke``, to a set of sub-commands."""
    agents = subparsers.add_parser("agents", help="manage the agents who may use the API, and their tokens")
    _add_actions(agents)


def _add_actions(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="add an agent (or reactivate a revoked one) and print its token once"
    )
    add.add_argument("email", help="the agent's email address")
    add.add_argument("--name", required=True, help="the agent's name as customers and colleagues see it")
    # Checked by run_agents rather than by argparse `choices`, so a wrong role is a plain error (exit 1).
    add.add_argument("--role", default=Role.AGENT.value, help=f"one of: {_ROLES} (default: agent)")
    actions.add_parser("list", help="list every agent, active or revoked (tokens are never shown)")
    revoke = actions.add_parser("revoke", help="deactivate an agent: its token stops working at once")
    revoke.add_argument("email", help="the agent's email address")


def run_agents(argv: Sequence[str], settings: Settings, out: TextIO, now: Callable[[], datetime]) -> int:
    """Run ``agents`` with the arguments that follow it; 0 on success, 1 with a message on ``out``
    for an agent that exists already, an unknown agent, a wrong role, email address or name."""
    parser = argparse.ArgumentParser(prog="postdesk agents")
    _add_actions(parser)
    arguments = parser.parse_args(argv)
    store = AgentStore(settings.tables.agents, settings.region)
    try:
        if arguments.action == "add":
            return _add(store, arguments.email, arguments.name, arguments.role, now(), out)
        if arguments.action == "list":
            _print_table(store.list(), out)
            return 0
        store.revoke(arguments.email)
        print(f"Revoked {arguments.email.strip().lower()}: its token no longer works.", file=out)
        return 0
    except (AgentExists, AgentNotFound, InvalidAgent) as error:
        print(f"error: {error}", file=out)
        return 1


def _add(store: AgentStore, email: str, name: str, role_name: str, now: datetime, out: TextIO) -> int:
    try:
        role = Role(role_name.strip().lower())
    except ValueError:
        print(f"error: unknown role {role_name!r} (choose one of: {_ROLES})", file=out)
        return 1
    agent, token = store.add(email, name, role, now)
    print(f"Added {agent.email} ({agent.name}) with the {agent.role.value} role.", file=out)
    print(f"API token: {token}", file=out)
    print(
        "This token will not be shown again: store it now. Revoke and add the agent to issue another.",
        file=out,
    )
    return 0


def _print_table(agents: Sequence[Agent], out: TextIO) -> None:
    if not agents:
        print("No agents yet.", file=out)
        return
    rows = [_LIST_COLUMNS] + [
        (
            agent.email,
            agent.name,
            agent.role.value,
            "yes" if agent.active else "no",
            agent.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        for agent in agents
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_LIST_COLUMNS))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out
        )
