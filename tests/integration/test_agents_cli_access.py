"""`postdesk agents deactivate` (and its old name `revoke`) does what the console's Deactivate does:
the account disabled and signed out, sessions ended, tokens deleted, an entry in the access audit;
`reactivate` lets the person in again."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.auth.accounts import CognitoAccounts
from postdesk.auth.audit import AccessAction, AccessAudit
from postdesk.workflows.invitations import invite
from postdesk_tools.agents_cli import COMMAND_LINE_ACTOR, run_agents
from tests.integration.conftest import Desk
from tests.integration.test_accounts import _entries


def _run(desk: Desk, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run_agents(argv, desk.settings, out, lambda: datetime.now(UTC)), out.getvalue()


@pytest.mark.parametrize("action", ["deactivate", "revoke"])
def test_the_command_ends_every_access_as_the_console_does_and_reactivate_undoes_it(
    desk: Desk, action: str
) -> None:
    accounts = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.sign_in.region)
    audit = AccessAudit(desk.settings.sign_in.access_audit_table, desk.settings.sign_in.region)
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region)
    invite("kim@example.com", "Kim Park", Role.AGENT, None, "alex@example.com", desk.settings, desk.ports)
    assert accounts.enabled("kim@example.com")

    status, output = _run(desk, action, "Kim@Example.com")

    assert status == 0 and output.startswith("kim@example.com is deactivated: signed out everywhere")
    assert not agents.get("kim@example.com").active
    assert agents.get("kim@example.com").sessions_valid_after is not None
    assert not accounts.enabled("kim@example.com")
    (entry,) = _entries(audit, AccessAction.DEACTIVATED)
    assert (entry.actor, entry.subject) == (COMMAND_LINE_ACTOR, "kim@example.com")
    # Again: said, made sure of, no second audit entry
    assert _run(desk, action, "kim@example.com")[1].startswith("kim@example.com was deactivated already")
    assert len(_entries(audit, AccessAction.DEACTIVATED)) == 1

    status, output = _run(desk, "reactivate", "kim@example.com")

    assert status == 0 and "is active again" in output
    assert agents.get("kim@example.com").active and accounts.enabled("kim@example.com")
    assert [entry.subject for entry in _entries(audit, AccessAction.REACTIVATED)] == ["kim@example.com"]
    assert _run(desk, "reactivate", "nobody@example.com") == (
        1,
        "error: no agent has the address 'nobody@example.com'\n",
    )
