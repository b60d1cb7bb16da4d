"""`postdesk agents`: invite people (an account with a temporary password, mailed), add agents with an
API token only (printed once; for integrations), list them, deactivate and reactivate them."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from postdesk.agents.model import Agent, AgentExists, AgentNotFound, InvalidAgent, Role
from postdesk.agents.store import AgentStore
from postdesk.agents.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from postdesk.errors import PostdeskError
from postdesk.settings import Settings
from postdesk_tools.local_clock import local_clock

if TYPE_CHECKING:
    from postdesk.workflows.account_changes import Released

_ROLES = ", ".join(role.value for role in Role)
_LIST_COLUMNS = ("email", "name", "role", "active", "created")
# Who the access audit names for what this command does: it runs with the operator's AWS
# credentials, not as an agent.
COMMAND_LINE_ACTOR = "command line"


def add_agents_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``agents`` command, with ``invite``, ``add``, ``list``, ``deactivate`` (``revoke``) and
    ``reactivate``, to a set of sub-commands."""
    agents = subparsers.add_parser("agents", help="manage the agents who may use the API, and their tokens")
    _add_actions(agents)


def _add_actions(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    invite = actions.add_parser(
        "invite", help="invite a person: an account with a temporary password, mailed to them (and printed)"
    )
    _add_agent_arguments(
        invite,
        email_help="their email address (they sign in with it)",
        name_help="their name as customers and colleagues see it",
    )
    invite.add_argument(
        "--queue",
        action="append",
        dest="queues",
        metavar="QUEUE",
        help="a queue they belong to (repeat for several; none given: every queue)",
    )
    add = actions.add_parser(
        "add", help="add an agent with an API token only (for an integration) and print the token once"
    )
    _add_agent_arguments(
        add,
        email_help="the agent's email address",
        name_help="the agent's name as customers and colleagues see it",
    )
    add.add_argument(
        "--token-days",
        type=int,
        default=DEFAULT_TOKEN_DAYS,
        help=f"days until the token expires, 1 to {MAX_TOKEN_DAYS} (default: {DEFAULT_TOKEN_DAYS})",
    )
    actions.add_parser("list", help="list every agent, active or deactivated (tokens are never shown)")
    deactivate = actions.add_parser(
        "deactivate",
        aliases=["revoke"],
        help="end an agent's access at once: signed out everywhere, their account disabled, their tokens "
        "deleted (as the console's Deactivate)",
    )
    deactivate.add_argument("email", help="the agent's email address")
    deactivate.add_argument(
        "--release-tickets",
        action="store_true",
        help="also put their open tickets back: unassigned, and given by the queue's assignment rule "
        "where one is set (each ticket's history says so)",
    )
    reactivate = actions.add_parser(
        "reactivate",
        help="let a deactivated agent in again (their password works again; tokens are made anew)",
    )
    reactivate.add_argument("email", help="the agent's email address")


def _add_agent_arguments(parser: argparse.ArgumentParser, *, email_help: str, name_help: str) -> None:
    """The agent's email address, name and role, as both ``invite`` and ``add`` take them."""
    parser.add_argument("email", help=email_help)
    parser.add_argument("--name", required=True, help=name_help)
    # Checked by run_agents rather than by argparse `choices`, so a wrong role is a plain error (exit 1).
    parser.add_argument("--role", default=Role.AGENT.value, help=f"one of: {_ROLES} (default: agent)")


def run_agents(argv: Sequence[str], settings: Settings, out: TextIO, now: Callable[[], datetime]) -> int:
    """Run ``agents`` with the arguments that follow it; 0 on success, 1 with a message on ``out``
    for an agent that exists already, an unknown agent, a wrong role, email address, name, queue or
    token lifetime, or a desk without a user pool (invite)."""
    parser = argparse.ArgumentParser(prog="postdesk agents")
    _add_actions(parser)
    arguments = parser.parse_args(argv)
    store = AgentStore(settings.tables.agents, settings.region)
    try:
        if arguments.action == "invite":
            return _invite(
                arguments.email, arguments.name, arguments.role, arguments.queues, settings, now, out
            )
        if arguments.action == "add":
            return _add(
                store, arguments.email, arguments.name, arguments.role, arguments.token_days, now(), out
            )
        if arguments.action == "list":
            _print_table(store.list(), out)
            return 0
        release = bool(getattr(arguments, "release_tickets", False))
        return _change_access(arguments.action, arguments.email, settings, now, out, release=release)
    except (AgentExists, AgentNotFound, InvalidAgent) as error:
        print(f"error: {error}", file=out)
        return 1


def _role(role_name: str, out: TextIO) -> Role | None:
    try:
        return Role(role_name.strip().lower())
    except ValueError:
        print(f"error: unknown role {role_name!r} (choose one of: {_ROLES})", file=out)
        return None


def _invite(
    email: str,
    name: str,
    role_name: str,
    queues: Sequence[str] | None,
    settings: Settings,
    now: Callable[[], datetime],
    out: TextIO,
) -> int:
    from postdesk import runtime
    from postdesk.workflows.invitations import invite

    role = _role(role_name, out)
    if role is None:
        return 1
    # On the local stack, its clock (which `postdesk local advance` moves).
    ports = runtime.aws_ports(settings, _NoMetrics(), local_clock() or now)
    try:
        invitation = invite(email, name, role, queues, COMMAND_LINE_ACTOR, settings, ports)
    except PostdeskError as error:
        print(f"error: {error}", file=out)
        return 1
    agent = invitation.agent
    belongs = "every queue" if agent.every_queue else ", ".join(agent.queues) or "no queue"
    print(f"Invited {agent.email} ({agent.name}) with the {agent.role.value} role ({belongs}).", file=out)
    print(f"Temporary password: {invitation.temporary_password}", file=out)
    print(f"Invitation mail: {invitation.mail}.", file=out)
    print("The first sign-in asks them for a password of their own.", file=out)
    if invitation.mail_failure:
        # The agent and the account are made; only the mail is missing.
        print(f"error: {invitation.mail_failure}", file=out)
        return 1
    return 0


def _change_access(
    action: str,
    email: str,
    settings: Settings,
    now: Callable[[], datetime],
    out: TextIO,
    *,
    release: bool = False,
) -> int:
    """``deactivate`` (or its old name ``revoke``) or ``reactivate`` the agent ``email``, as an admin
    does in the console: the same workflow, so the same effects and the same audit entry; with
    ``release``, their open tickets put back as the console's option does."""
    from postdesk import runtime
    from postdesk.workflows.account_changes import deactivate, reactivate

    ports = runtime.aws_ports(settings, _NoMetrics(), local_clock() or now)
    before = ports.agents.get(email)
    if action == "reactivate":
        agent = reactivate(before.email, COMMAND_LINE_ACTOR, settings, ports)
        said = "was active already" if before.active else "is active again: the password they had works again"
        print(f"{agent.email} {said}.", file=out)
        return 0
    released: list[Released] = []
    agent = deactivate(
        before.email, COMMAND_LINE_ACTOR, settings, ports, released=released if release else None
    )
    print(
        f"{agent.email} {'is deactivated' if before.active else 'was deactivated already; made sure'}: "
        "signed out everywhere, their account disabled, their API tokens deleted. "
        "`postdesk agents reactivate` lets them in again.",
        file=out,
    )
    if release:
        print(_released_words(released), file=out)
    return 0


def _released_words(released: Sequence[Released]) -> str:
    """What became of a deactivated agent's open tickets, one line per ticket after the count."""
    if not released:
        return "They had no open tickets."
    lines = [f"Open tickets put back: {len(released)}."]
    lines += [
        f"  {ticket.ref}: {ticket.assignee or 'nobody (no assignment rule, or nobody there)'}"
        for ticket in released
    ]
    return "\n".join(lines)


def _add(
    store: AgentStore, email: str, name: str, role_name: str, token_days: int, now: datetime, out: TextIO
) -> int:
    role = _role(role_name, out)
    if role is None:
        return 1
    if not 1 <= token_days <= MAX_TOKEN_DAYS:
        print(f"error: --token-days is a whole number from 1 to {MAX_TOKEN_DAYS}", file=out)
        return 1
    agent, token = store.add(email, name, role, now, token_days=token_days)
    print(f"Added {agent.email} ({agent.name}) with the {agent.role.value} role.", file=out)
    print(f"API token: {token}", file=out)
    expires = (now + timedelta(days=token_days)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"It expires on {expires}.", file=out)
    print(
        "This token will not be shown again: store it now. To issue another, deactivate the agent and add"
        " them again.",
        file=out,
    )
    return 0


class _NoMetrics:
    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
        return None

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
        return None


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
