"""Inviting a person to the desk: the agent item (no API token: they sign in as people do), the
account in the stack's Cognito user pool with a temporary password, the invitation mail that
carries it (workflows/account_mail.py, sent once), and the access audit's entry. The first sign-in
sets a password of their own (auth/sign_in.py).

An invitation can be renewed while the person has not signed in yet (Cognito's status
FORCE_CHANGE_PASSWORD): a new temporary password, mailed again. An agent made before people signed
in (``postdesk agents add``, an API token only) has no account yet: renewing their invitation makes
it, which is how such an agent comes to sign in.

When the mail cannot be sent (SES refuses it or cannot be reached), the agent and the account stay
made: the invitation says the mail ``failed`` and why, in words, and the audit's entry says so too;
renewing the invitation once mail works sends a new temporary password.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from postdesk.agents.model import Agent, AgentExists, AgentNotFound, Role
from postdesk.agents.store import checked_identity
from postdesk.auth.accounts import CognitoAccounts
from postdesk.auth.audit import NO_CALLER, AccessAction, AccessAudit, Caller
from postdesk.aws.ses import send_problem
from postdesk.effects.send_once import SendOutcome
from postdesk.errors import BadRequest, ConfigurationError, Conflict
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.workflows.account_mail import AccountMailKind, send_account_mail, sign_in_url
from postdesk.workflows.ticket_work import desk_queues

# Cognito's status of an account whose first sign-in has not set a password yet.
AWAITING_FIRST_SIGN_IN = "FORCE_CHANGE_PASSWORD"
# What an invitation says of a mail whose sending raised (beside the values of SendOutcome).
MAIL_FAILED: Final = "failed"


@dataclass(frozen=True, slots=True)
class Invitation:
    """What an invitation made: the agent, the temporary password (mailed; shown to the command
    line's user too, never logged: ``repr`` leaves it out) and what became of the mail: a
    SendOutcome's value, or MAIL_FAILED with ``mail_failure`` saying why and what to do, in words."""

    agent: Agent
    temporary_password: str = field(repr=False)
    mail: str
    mail_failure: str = ""


@dataclass(frozen=True, slots=True)
class _Mailed:
    outcome: str
    # Why sending failed, in words ("" when it did not).
    problem: str = ""

    def failure(self) -> str:
        if not self.problem:
            return ""
        return (
            f"The invitation could not be mailed ({self.problem}): send a new invitation from the "
            "Agents page once mail works."
        )

    def audit_detail(self) -> dict[str, str]:
        return {"mail": self.outcome, **({"mail_problem": self.problem} if self.problem else {})}


def accounts_of(settings: Settings) -> CognitoAccounts:
    """The desk's user pool; ConfigurationError, in words, when the stack has none."""
    if not settings.sign_in.user_pool_id:
        raise ConfigurationError(
            "this desk has no user pool for people's accounts (POSTDESK_USER_POOL_ID): "
            "people cannot be invited, only given API tokens (postdesk agents add)"
        )
    return CognitoAccounts(settings.sign_in.user_pool_id, settings.sign_in.region)


def audit_of(settings: Settings) -> AccessAudit:
    """The desk's access audit; ConfigurationError, in words, when the stack has none."""
    if not settings.sign_in.access_audit_table:
        raise ConfigurationError("this desk has no access audit table (POSTDESK_ACCESS_AUDIT_TABLE)")
    return AccessAudit(settings.sign_in.access_audit_table, settings.sign_in.region)


def checked_queues(queues: Sequence[str] | None, settings: Settings) -> list[str] | None:
    """The queues a person is to belong to, each one of the desk's (None: every queue)."""
    if queues is None:
        return None
    known = desk_queues(settings)
    chosen = [queue.strip() for queue in queues]
    unknown = sorted({queue for queue in chosen if queue not in known})
    if unknown:
        raise BadRequest(f"not the desk's queues: {', '.join(unknown)}; the desk has: {', '.join(known)}")
    return chosen


def invite(
    email: str,
    name: str,
    role: Role,
    queues: Sequence[str] | None,
    invited_by: str,
    settings: Settings,
    ports: Ports,
    *,
    caller: Caller = NO_CALLER,
) -> Invitation:
    """Make ``email`` an agent of ``role`` belonging to ``queues`` (None: every queue), give them an
    account with a temporary password, mail it, and record who invited them. An agent deactivated
    earlier is invited again (their account enabled, a new temporary password). AgentExists for an
    active agent (renew_invitation sends a new password), InvalidAgent / BadRequest for an address,
    name or queue that cannot be used."""
    address, display_name = checked_identity(email, name)
    chosen_role = Role(role)
    chosen_queues = checked_queues(queues, settings)
    accounts = accounts_of(settings)
    audit = audit_of(settings)
    existing = _agent_or_none(address, ports)
    if existing is not None and existing.active:
        raise AgentExists(
            f"{address} is already an agent: to mail them a new temporary password, renew the "
            "invitation (POST /agents/{email}/invitation)"
        )
    if accounts.exists(address):
        accounts.enable(address)
        password = accounts.new_temporary_password(address)
    else:
        password = accounts.create(address, display_name)
    now = ports.clock()
    agent = ports.agents.add_invited(address, display_name, chosen_role, now, chosen_queues)
    mail = _mail_invitation(agent, password, settings, ports)
    audit.record(
        AccessAction.INVITED,
        invited_by,
        now,
        subject=agent.email,
        caller=caller,
        detail={
            "role": agent.role.value,
            "queues": "every queue" if chosen_queues is None else ", ".join(chosen_queues) or "no queue",
            **mail.audit_detail(),
        },
    )
    return Invitation(agent, password, mail.outcome, mail.failure())


def renew_invitation(
    email: str,
    renewed_by: str,
    settings: Settings,
    ports: Ports,
    *,
    caller: Caller = NO_CALLER,
) -> Invitation:
    """A new temporary password for the active agent ``email``, mailed, while they have not signed
    in yet (or have no account: an agent made with an API token only). Conflict, in words, once
    they have set a password of their own, or when they are deactivated; AgentNotFound for an
    unknown address."""
    agent = ports.agents.get(email)
    if not agent.active:
        raise Conflict(f"{agent.email} is deactivated: reactivate them (PUT /agents/{{email}}) first")
    accounts = accounts_of(settings)
    audit = audit_of(settings)
    if accounts.exists(agent.email):
        if accounts.status(agent.email) != AWAITING_FIRST_SIGN_IN:
            raise Conflict(
                f"{agent.email} has signed in and set a password already: they can reset it from "
                "the sign-in page (Forgot your password?)"
            )
        password = accounts.new_temporary_password(agent.email)
    else:
        password = accounts.create(agent.email, agent.name)
    mail = _mail_invitation(agent, password, settings, ports)
    audit.record(
        AccessAction.INVITATION_RENEWED,
        renewed_by,
        ports.clock(),
        subject=agent.email,
        caller=caller,
        detail=mail.audit_detail(),
    )
    return Invitation(agent, password, mail.outcome, mail.failure())


def _mail_invitation(agent: Agent, password: str, settings: Settings, ports: Ports) -> _Mailed:
    """Mail the invitation. A send that raises (send-once released its guard, so a renewed
    invitation may send) leaves the agent and the account as they are: the admin is told in words."""
    try:
        outcome: SendOutcome = send_account_mail(
            AccountMailKind.INVITATION,
            agent.email,
            agent.name,
            {"temporary_password": password, "sign_in_url": sign_in_url(settings)},
            settings,
            ports,
        )
    except Exception as error:
        problem = send_problem(error)
        if problem is None:
            raise
        logger.exception("invitation not mailed", extra={"to": mask_address(agent.email)})
        return _Mailed(MAIL_FAILED, problem)
    return _Mailed(outcome.value)


def _agent_or_none(address: str, ports: Ports) -> Agent | None:
    try:
        return ports.agents.get(address)
    except AgentNotFound:
        return None
