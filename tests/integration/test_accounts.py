"""People's accounts through the API and the command line, on moto (Cognito, DynamoDB, SES): inviting
(the temporary password mailed once), renewing an invitation, changing a role, deactivating (tokens
and sessions end, the account is disabled) and reactivating, and the access audit of each."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.agents.tokens import TokenScope
from postdesk.auth.accounts import CognitoAccounts
from postdesk.auth.audit import AccessAction, AccessAudit, AccessEntry
from postdesk.aws.clients import client as aws_client
from postdesk.aws.ses import SesMailer
from postdesk.effects.send_once import SendOutcome
from postdesk.workflows.account_mail import AccountMailKind, send_account_mail
from postdesk.workflows.invitations import invite
from postdesk_tools.agents_cli import run_agents
from tests.integration.conftest import Desk, SentMail, auth, body_of
from tests.integration.test_openapi import _check
from tests.integration.test_sessions import PASSWORD, _enrol_two_step, _person, _signed_in, _with_session

PASSWORD_LINE = "Temporary password: "


@pytest.fixture
def accounts(desk: Desk) -> CognitoAccounts:
    return CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.sign_in.region)


@pytest.fixture
def audit(desk: Desk) -> AccessAudit:
    return AccessAudit(desk.settings.sign_in.access_audit_table, desk.settings.sign_in.region)


def _entries(audit: AccessAudit, action: AccessAction) -> list[AccessEntry]:
    now = datetime.now(UTC)
    page = audit.entries(now - timedelta(days=30), now + timedelta(days=1), action=action)
    return list(page.entries)


def _mails_to(desk: Desk, address: str) -> list[SentMail]:
    return [mail for mail in desk.sent() if address in mail.recipients]


def _text(mail: SentMail) -> str:
    part = mail.message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _password_in(mail: SentMail) -> str:
    (line,) = [line for line in _text(mail).splitlines() if line.strip().startswith(PASSWORD_LINE)]
    return line.strip().removeprefix(PASSWORD_LINE)


def _challenge(desk: Desk, email: str, password: str) -> str:
    """What Cognito answers a sign-in with this password: the challenge named, or the error's code."""
    cognito = aws_client("cognito-idp", desk.settings.region)
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=desk.settings.sign_in.client_id,
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except cognito.exceptions.ClientError as error:
        return str(error.response["Error"]["Code"])
    return str(answer.get("ChallengeName") or "signed in")


def _invite(client: Client, admin_token: str, **document: Any) -> Any:
    return client.http.post("/agents", headers=auth(admin_token), body=json.dumps(document))


def test_an_invitation_makes_the_agent_and_the_account_and_mails_the_password_once(
    desk: Desk, client: Client, admin_token: str, accounts: CognitoAccounts, audit: AccessAudit
) -> None:
    # When an admin invites Kim to the billing queue
    answer = _invite(
        client, admin_token, email="Kim@Example.com", name="Kim Park", role="agent", queues=["billing"]
    )

    # Then the agent exists, belongs to billing only, and has no API token
    body = _check(answer, "/agents", "post")
    assert answer.status_code == 201
    assert body["agent"]["email"] == "kim@example.com" and body["agent"]["queues"] == ["billing"]
    assert body["agent"]["every_queue"] is False and body["mail"] == "sent"
    assert AgentStore(desk.settings.tables.agents, desk.settings.region).tokens("kim@example.com") == ()
    # and Kim's account waits for its first sign-in
    assert accounts.status("kim@example.com") == "FORCE_CHANGE_PASSWORD"
    # and one mail carries the temporary password, which Cognito takes as the first sign-in's
    (mail,) = _mails_to(desk, "kim@example.com")
    password = _password_in(mail)
    assert len(password) >= 12 and password not in json.dumps(body)
    assert _challenge(desk, "kim@example.com", password) == "NEW_PASSWORD_REQUIRED"
    assert "Hello Kim Park" in _text(mail)
    assert mail.message["Subject"] == "Your account on Example Support"
    # and the audit says who invited whom, without the password
    (entry,) = _entries(audit, AccessAction.INVITED)
    assert (entry.actor, entry.subject) == ("alex@example.com", "kim@example.com")
    assert entry.detail == {"role": "agent", "queues": "billing", "mail": "sent"}
    assert password not in json.dumps(entry.as_json())

    # When the same address is invited again, or an agent tries to invite
    again = _invite(client, admin_token, email="kim@example.com", name="Kim Park")
    assert again.status_code == 409 and "renew the invitation" in body_of(again)["message"]
    assert len(_mails_to(desk, "kim@example.com")) == 1


def test_an_agent_cannot_invite_and_bad_invitations_are_refused_in_words(
    client: Client, token: str, admin_token: str
) -> None:
    assert _invite(client, token, email="kim@example.com", name="Kim").status_code == 403
    cases: list[tuple[dict[str, Any], str]] = [
        ({"email": "kim", "name": "Kim"}, "not an email address"),
        ({"email": "kim@example.com", "name": "Kim", "role": "owner"}, "role must be agent or admin"),
        ({"email": "kim@example.com", "name": "Kim", "queues": ["nowhere"]}, "not the desk's queues"),
        ({"email": "kim@example.com", "name": "Kim", "queues": "billing"}, "queues must be a list"),
        ({"email": "kim@example.com"}, "missing field(s): name"),
    ]
    for document, words in cases:
        answer = _invite(client, admin_token, **document)
        assert answer.status_code == 400, document
        assert words in body_of(answer)["message"], (document, body_of(answer))


def test_renewing_an_invitation_mails_a_new_password_until_the_first_sign_in(
    desk: Desk, client: Client, admin_token: str, accounts: CognitoAccounts, audit: AccessAudit
) -> None:
    _invite(client, admin_token, email="kim@example.com", name="Kim Park")
    (first,) = _mails_to(desk, "kim@example.com")

    renewed = client.http.post("/agents/kim@example.com/invitation", headers=auth(admin_token), body="{}")

    assert _check(renewed, "/agents/{email}/invitation", "post")["mail"] == "sent"
    second = _mails_to(desk, "kim@example.com")[-1]
    assert _password_in(second) != _password_in(first)
    assert _challenge(desk, "kim@example.com", _password_in(first)) == "NotAuthorizedException"
    assert _challenge(desk, "kim@example.com", _password_in(second)) == "NEW_PASSWORD_REQUIRED"
    assert [entry.subject for entry in _entries(audit, AccessAction.INVITATION_RENEWED)] == [
        "kim@example.com"
    ]

    # Once Kim has set a password of her own, there is nothing to renew
    accounts.set_password("kim@example.com", "A-password-of-her-own-1")
    refused = client.http.post("/agents/kim@example.com/invitation", headers=auth(admin_token), body="{}")
    assert refused.status_code == 409 and "reset it" in body_of(refused)["message"]
    unknown = client.http.post("/agents/nobody@example.com/invitation", headers=auth(admin_token), body="{}")
    assert unknown.status_code == 404
    assert len(_mails_to(desk, "kim@example.com")) == 2


def test_an_agent_made_with_a_token_only_gets_an_account_by_renewing_the_invitation(
    desk: Desk, client: Client, token: str, admin_token: str, accounts: CognitoAccounts
) -> None:
    # Sam (the `token` fixture) was added with an API token only, as agents were before accounts
    assert not accounts.exists("sam@example.com")
    listed = body_of(client.http.get("/agents?all=true", headers=auth(admin_token)))["agents"]
    assert {agent["email"]: agent["account"] for agent in listed}["sam@example.com"] == "none"

    client.http.post("/agents/sam@example.com/invitation", headers=auth(admin_token), body="{}")

    assert accounts.status("sam@example.com") == "FORCE_CHANGE_PASSWORD"
    (mail,) = _mails_to(desk, "sam@example.com")
    assert _challenge(desk, "sam@example.com", _password_in(mail)) == "NEW_PASSWORD_REQUIRED"
    listed = body_of(client.http.get("/agents?all=true", headers=auth(admin_token)))["agents"]
    assert {agent["email"]: agent["account"] for agent in listed}["sam@example.com"] == "invited"
    assert client.http.get("/agents?all=true", headers=auth(token)).status_code == 403
    assert client.http.get("/agents?all=yes", headers=auth(admin_token)).status_code == 400


def test_an_account_mail_is_sent_once_for_the_same_content(desk: Desk) -> None:
    variables = {
        "temporary_password": "Xy7-not-a-real-one-A1",
        "sign_in_url": "https://desk.example.com/console",
    }

    first = send_account_mail(
        AccountMailKind.INVITATION, "kim@example.com", "Kim", variables, desk.settings, desk.ports
    )
    repeated = send_account_mail(
        AccountMailKind.INVITATION, "kim@example.com", "Kim", variables, desk.settings, desk.ports
    )
    code = send_account_mail(
        AccountMailKind.PASSWORD_RESET_CODE,
        "kim@example.com",
        "Kim",
        {"code": "12345678"},
        desk.settings,
        desk.ports,
    )
    code_again = send_account_mail(
        AccountMailKind.PASSWORD_RESET_CODE,
        "kim@example.com",
        "Kim",
        {"code": "12345678"},
        desk.settings,
        desk.ports,
    )
    new_code = send_account_mail(
        AccountMailKind.PASSWORD_RESET_CODE,
        "kim@example.com",
        "Kim",
        {"code": "87654321"},
        desk.settings,
        desk.ports,
    )

    assert (first, repeated) == (SendOutcome.SENT, SendOutcome.ALREADY_SENT)
    assert (code, code_again, new_code) == (SendOutcome.SENT, SendOutcome.ALREADY_SENT, SendOutcome.SENT)
    mails = _mails_to(desk, "kim@example.com")
    assert len(mails) == 3
    assert "https://desk.example.com/console" in _text(mails[0])
    assert "12345678" in _text(mails[1]) and "87654321" in _text(mails[2])
    # The HTML part says the same, escaped
    html = mails[0].message.get_body(preferencelist=("html",))
    assert html is not None and "Xy7-not-a-real-one-A1" in str(html.get_content())
    # A mail missing what it needs is refused before anything is sent
    with pytest.raises(Exception, match="needs"):
        send_account_mail(AccountMailKind.INVITATION, "kim@example.com", "Kim", {}, desk.settings, desk.ports)


def test_deactivating_ends_tokens_sessions_and_the_account_and_reactivating_enables_it(
    desk: Desk, client: Client, admin_token: str, accounts: CognitoAccounts, audit: AccessAudit
) -> None:
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region)
    invite("kim@example.com", "Kim Park", Role.AGENT, None, "alex@example.com", desk.settings, desk.ports)
    _, kims_token = agents.create_token(
        "kim@example.com", "CRM sync", TokenScope.WRITE, 30, "alex@example.com", datetime.now(UTC)
    )
    assert client.http.get("/me", headers=auth(kims_token)).status_code == 200
    # and a session of hers in the console, signed in with a password of her own
    accounts.set_password("kim@example.com", PASSWORD)
    session_id, _ = _signed_in(client, "kim@example.com")
    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 200

    answer = client.http.put("/agents/kim@example.com", headers=auth(admin_token), body='{"active": false}')

    assert _check(answer, "/agents/{email}", "put")["active"] is False
    # Her token fails at once, and is gone
    assert client.http.get("/me", headers=auth(kims_token)).status_code == 401
    assert agents.tokens("kim@example.com") == ()
    # Her session ends, and her account can no longer sign in
    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 401
    assert agents.get("kim@example.com").sessions_valid_after is not None
    assert not accounts.enabled("kim@example.com")
    assert _challenge(desk, "kim@example.com", PASSWORD) == "NotAuthorizedException"
    (entry,) = _entries(audit, AccessAction.DEACTIVATED)
    assert (entry.actor, entry.subject, entry.detail) == (
        "alex@example.com",
        "kim@example.com",
        {"tokens_revoked": "1"},
    )

    # When she is reactivated, her account signs in again; the old token and session stay dead
    back = client.http.put("/agents/kim@example.com", headers=auth(admin_token), body='{"active": true}')
    assert body_of(back)["active"] is True
    assert accounts.enabled("kim@example.com")
    assert _challenge(desk, "kim@example.com", PASSWORD) == "signed in"
    assert client.http.get("/me", headers=auth(kims_token)).status_code == 401
    assert client.http.get("/me", headers=_with_session(session_id)).status_code == 401
    assert [entry.subject for entry in _entries(audit, AccessAction.REACTIVATED)] == ["kim@example.com"]


def test_an_admin_changes_roles_and_names_but_cannot_demote_or_deactivate_themselves(
    desk: Desk, client: Client, token: str, admin_token: str, audit: AccessAudit
) -> None:
    promoted = client.http.put(
        "/agents/sam@example.com", headers=auth(admin_token), body='{"role": "admin", "name": "Sam Lee-Park"}'
    )
    body = _check(promoted, "/agents/{email}", "put")
    assert (body["role"], body["name"]) == ("admin", "Sam Lee-Park")
    (entry,) = _entries(audit, AccessAction.ROLE_CHANGED)
    assert (entry.subject, entry.detail) == ("sam@example.com", {"before": "agent", "after": "admin"})

    for document, words in (
        ({"active": False}, "deactivate yourself"),
        ({"role": "agent"}, "own admin role"),
    ):
        refused = client.http.put(
            "/agents/alex@example.com", headers=auth(admin_token), body=json.dumps(document)
        )
        assert refused.status_code == 403 and words in body_of(refused)["message"]
    for document in ({"role": "owner"}, {"active": "no"}, {"name": ""}):
        assert (
            client.http.put(
                "/agents/sam@example.com", headers=auth(admin_token), body=json.dumps(document)
            ).status_code
            == 400
        )
    assert (
        client.http.put("/agents/alex@example.com", headers=auth(token), body='{"role": "agent"}').status_code
        == 403
    )


def test_the_command_invites_and_prints_the_temporary_password_mailed_once(
    desk: Desk, accounts: CognitoAccounts
) -> None:
    out = io.StringIO()
    status = run_agents(
        ["invite", "Lee@Example.com", "--name", "Lee Chan", "--role", "admin", "--queue", "billing"],
        desk.settings,
        out,
        lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )

    assert status == 0, out.getvalue()
    printed = out.getvalue()
    assert "Invited lee@example.com (Lee Chan) with the admin role (billing)." in printed
    (mail,) = _mails_to(desk, "lee@example.com")
    assert f"{PASSWORD_LINE}{_password_in(mail)}" in printed
    assert accounts.status("lee@example.com") == "FORCE_CHANGE_PASSWORD"

    again = io.StringIO()
    assert run_agents(["invite", "lee@example.com", "--name", "Lee"], desk.settings, again, datetime.now) == 1
    assert again.getvalue().startswith("error: lee@example.com is already an agent")
    wrong = io.StringIO()
    assert (
        run_agents(
            ["invite", "kim@example.com", "--name", "Kim", "--queue", "nowhere"],
            desk.settings,
            wrong,
            datetime.now,
        )
        == 1
    )
    assert "not the desk's queues: nowhere" in wrong.getvalue()
    assert len(_mails_to(desk, "lee@example.com")) == 1 and _mails_to(desk, "kim@example.com") == []


def _ses_refuses(*_: Any, **__: Any) -> str:
    raise ClientError(
        {"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."}}, "SendRawEmail"
    )


def test_an_invitation_whose_mail_fails_keeps_the_agent_and_says_so_in_words(
    desk: Desk,
    client: Client,
    admin_token: str,
    accounts: CognitoAccounts,
    audit: AccessAudit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given SES refuses every mail
    monkeypatch.setattr(SesMailer, "send_raw", _ses_refuses)

    # When an admin invites Kim, and renews the invitation
    answer = _invite(client, admin_token, email="kim@example.com", name="Kim Park")
    renewed = client.http.post(
        "/agents/kim@example.com/invitation", headers=auth(admin_token), body=json.dumps({})
    )

    # Then both answers say, in words, that the mail failed and what to do; nothing is a 500
    for response, status in ((answer, 201), (renewed, 200)):
        assert response.status_code == status, body_of(response)
        body = body_of(response)
        assert body["mail"] == "failed"
        assert body["message"] == (
            "The invitation could not be mailed (SES answered MessageRejected: Email address is not "
            "verified.): send a new invitation from the Agents page once mail works."
        )
    _check(answer, "/agents", "post")
    # and the agent and the account are made
    assert AgentStore(desk.settings.tables.agents, desk.settings.region).get("kim@example.com").active
    assert accounts.status("kim@example.com") == "FORCE_CHANGE_PASSWORD"
    assert _mails_to(desk, "kim@example.com") == []
    # and the audit says the mail failed and why
    (entry,) = _entries(audit, AccessAction.INVITED)
    assert entry.detail["mail"] == "failed"
    assert entry.detail["mail_problem"].startswith("SES answered MessageRejected")
    (renewal,) = _entries(audit, AccessAction.INVITATION_RENEWED)
    assert renewal.detail["mail"] == "failed"

    # When the command invites Lee while SES still refuses
    out = io.StringIO()
    status = run_agents(["invite", "lee@example.com", "--name", "Lee Chan"], desk.settings, out, datetime.now)

    # Then it prints the agent, the password and the failure in words, and exits non-zero
    assert status == 1
    printed = out.getvalue()
    assert "Invited lee@example.com (Lee Chan)" in printed and PASSWORD_LINE in printed
    assert "error: The invitation could not be mailed (SES answered MessageRejected" in printed

    # When mail works again, renewing the invitation mails it
    monkeypatch.undo()
    again = client.http.post(
        "/agents/kim@example.com/invitation", headers=auth(admin_token), body=json.dumps({})
    )
    assert again.status_code == 200 and body_of(again)["mail"] == "sent"
    assert len(_mails_to(desk, "kim@example.com")) == 1


def test_every_agent_says_whether_their_account_signs_in_with_two_steps(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given Lee, who signed in and turned on two-step sign-in, Kim, invited, and Sam, a token only
    _person(desk, "lee@example.com")
    session_id, csrf = _signed_in(client, "lee@example.com")
    _enrol_two_step(client, session_id, csrf)
    assert _invite(client, admin_token, email="kim@example.com", name="Kim Park").status_code == 201

    # When the admin lists every agent
    answer = client.http.get("/agents?all=true", headers=auth(admin_token))

    # Then each says two_step: on, off, or null without an account
    body = _check(answer, "/agents", "get")
    two_step = {agent["email"]: agent["two_step"] for agent in body["agents"]}
    assert two_step["lee@example.com"] is True
    assert two_step["kim@example.com"] is False
    assert two_step["sam@example.com"] is None
