"""The admins' pages of the console: Agents (invite, a new invitation, role and queues, deactivate
and reactivate), API tokens (create, shown once, revoke) and the access audit that records them; an
agent who opens their addresses is told they are for admins, and has no links to them."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Page, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import call_api, sign_in

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def _shots(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{name} scrolls sideways at {width} px ({scroll} > {client})"
    page.set_viewport_size({"width": 1366, "height": 900})


def _invitations_to(desk: RunningDesk, address: str) -> list[str]:
    found = []
    for sent in desk.sent_mail():
        if address in sent.recipients:
            body = cast(EmailMessage, sent.message).get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body is not None else ""
            match = re.search(r"Temporary password: (\S+)", text)
            if match:
                found.append(match.group(1))
    return found


def test_an_admin_invites_changes_and_deactivates_an_agent_makes_and_revokes_a_token_and_reads_the_audit(
    desk: RunningDesk, page: Page
) -> None:
    # Given an admin on the Agents page
    admin = desk.add_agent("ada@example.com", "Ada Stone", Role.ADMIN)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin)
    page.get_by_role("link", name="Agents").click()
    expect(page.get_by_role("heading", name="Agents", level=1)).to_be_visible()
    expect(page.locator("#agents-list tr[data-email='ada@example.com']")).to_contain_text("Ada Stone")

    # When she invites an agent to one queue
    page.get_by_role("button", name="Invite an agent").click()
    form = page.get_by_role("form", name="Invite an agent")
    form.get_by_label("Email").fill("oli@example.com")
    form.get_by_label("Name").fill("Oli Stone")
    form.get_by_label("Only these queues").check()
    queues = form.locator("#agent-queue-list input[type=checkbox]")
    expect(queues.first).to_be_visible()
    first_queue = queues.first.get_attribute("value") or ""
    queues.first.check()
    _shots(page, "agents-invite")
    form.get_by_role("button", name="Send the invitation").click()

    # Then the page says the mail went out, the row shows the new agent, and the mail has a password
    expect(page.locator("#agents-status")).to_contain_text("Oli Stone is invited")
    row = page.locator("#agents-list tr[data-email='oli@example.com']")
    expect(row.locator("[data-label=Role]")).to_have_text("Agent")
    expect(row.locator("[data-label=Queues]")).to_have_text(first_queue)
    expect(row.locator("[data-label=Active]")).to_have_text("Yes")
    expect(row.locator("[data-label='Signed in']")).to_have_text("Not yet")
    # (two-step sign-in read from the account: off until they turn it on)
    expect(row.locator("[data-label=Two-step]")).to_have_text("Off")
    assert len(_invitations_to(desk, "oli@example.com")) == 1
    # An address already invited is refused in the desk's words
    page.get_by_role("button", name="Invite an agent").click()
    form.get_by_label("Email").fill("oli@example.com")
    form.get_by_label("Name").fill("Oli Again")
    form.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#agent-form-error")).to_be_visible()
    form.get_by_role("button", name="Cancel").click()

    # When she sends a new invitation: a new temporary password is mailed
    row.get_by_role("button", name="Send a new invitation to Oli Stone").click()
    expect(page.locator("#agents-status")).to_contain_text("mailed oli@example.com a new temporary password")
    passwords = _invitations_to(desk, "oli@example.com")
    assert len(passwords) == 2 and passwords[0] != passwords[1]

    # When she makes Oli an admin of every queue
    row.get_by_role("button", name="Change Oli Stone").click()
    change = page.get_by_role("form", name="Change Oli Stone")
    change.get_by_label("Admin: also accounts").check()
    change.get_by_label("Every queue").check()
    change.get_by_role("button", name="Save").click()
    expect(page.locator("#agents-status")).to_have_text("Oli Stone: saved.")
    expect(row.locator("[data-label=Role]")).to_have_text("Admin")

    # When she deactivates Oli, then reactivates them
    row.get_by_role("button", name="Deactivate Oli Stone…").click()
    page.get_by_role("dialog", name="Deactivate Oli Stone?").get_by_role("button", name="Deactivate").click()
    expect(row.locator("[data-label=Active]")).to_have_text("No: deactivated")
    expect(page.locator("#agents-status")).to_contain_text("Oli Stone is deactivated")
    _shots(page, "agents")
    row.get_by_role("button", name="Reactivate Oli Stone").click()
    expect(row.locator("[data-label=Active]")).to_have_text("Yes")
    # Her own row cannot deactivate herself
    expect(page.get_by_role("button", name="Deactivate Ada Stone")).to_have_count(0)

    # When she creates a read token for an integration
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    page.get_by_role("button", name="Create a token").click()
    token_form = page.get_by_role("form", name="Create a token")
    token_form.get_by_label("Name").fill("Order system")
    token_form.get_by_label("Scope").select_option("read")
    token_form.get_by_label("Expires after (days)").fill("30")
    token_form.get_by_role("button", name="Create the token").click()

    # Then the token is shown once, with a copy button, and it reads the desk but changes nothing
    expect(page.locator("#token-secret")).to_be_focused()
    created = page.locator("#token-secret-value").input_value()
    assert created.startswith("pdk_")
    page.get_by_role("button", name="Copy token").click()
    expect(page.locator("#token-secret-copied")).not_to_have_text("")
    _shots(page, "tokens-created")
    status, _ = call_api(desk, created, "GET", "/tickets")
    assert status == 200
    status, refusal = call_api(desk, created, "PUT", "/me/away", {"away": True})
    assert status == 403, refusal
    order_row = page.locator("#tokens-list tbody tr", has_text="Order system")
    expect(order_row.locator("[data-label=Scope]")).to_have_text("Read")
    expect(order_row.locator("[data-label='Acts as']")).to_contain_text("ada@example.com")
    page.get_by_role("button", name="I have saved the token").click()
    expect(page.locator("#token-secret")).to_be_hidden()
    page.reload()
    expect(order_row).to_be_visible()
    assert created not in page.content()

    # When she asks to revoke it, a dialog names it; Esc gives the focus back to the button
    revoke = order_row.get_by_role("button", name="Revoke Order system…")
    revoke.click()
    dialog = page.get_by_role("dialog", name="Revoke the token Order system?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    _shots(page, "tokens-revoke-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    status, _ = call_api(desk, created, "GET", "/tickets")
    assert status == 200

    # When she revokes it
    revoke.click()
    dialog.get_by_role("button", name="Revoke").click()

    # Then it is gone, and the desk refuses it
    expect(page.locator("#tokens-status")).to_contain_text('The token "Order system" is revoked')
    expect(order_row).to_have_count(0)
    status, _ = call_api(desk, created, "GET", "/tickets")
    assert status == 401

    # And the access audit has what she did: who, what, from where
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Access audit")).to_be_visible()
    rows = page.locator("#audit-list tbody tr")
    for action in (
        "Invited",
        "Sent a new invitation",
        "Changed the role",
        "Deactivated",
        "Reactivated",
        "Created an API token",
        "Revoked an API token",
    ):
        expect(rows.filter(has_text=action).first).to_be_visible()
    invited = rows.filter(has_text="Invited").first
    expect(invited.locator("[data-label=Who]")).to_have_text("ada@example.com")
    expect(invited.locator("[data-label=What]")).to_contain_text("oli@example.com")
    expect(invited.locator("[data-label='From where']")).to_contain_text("127.0.0.1")
    assert created not in page.content()
    _shots(page, "audit")

    # When she filters on one kind of entry: the address says so, and a reload keeps it
    page.get_by_label("What").select_option(label="Revoked an API token")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    assert "action=token_revoked" in page.url
    page.reload()
    expect(page.get_by_label("What")).to_have_value("token_revoked")
    expect(rows).to_have_count(1)


def test_an_agent_has_no_admin_pages(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("bo@example.com", "Bo Lind")
    sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Bo Lind (agent)")
    for link in ("Agents", "API tokens", "Audit"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_hidden()
    for address, refusal in (
        ("#/agents", "#agents-refused"),
        ("#/tokens", "#tokens-refused"),
        ("#/audit", "#audit-refused"),
    ):
        page.goto(f"{desk.api_url}/console{address}")
        expect(page.locator(refusal)).to_be_visible()
        expect(page.locator(refusal)).to_contain_text("signed in as an agent")
