"""Deactivating an agent from the Agents page can put their open tickets back: the dialog's
checkbox (off unless ticked) sends release_tickets, the status line says what became of them and
links the ones left unassigned, and each ticket's history says who unassigned it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def test_deactivating_with_the_box_ticked_puts_the_open_tickets_back(desk: RunningDesk, page: Page) -> None:
    # Given an admin, and Nina with an open ticket assigned to her
    admin = desk.add_agent("rita@example.com", "Rita Admin", Role.ADMIN)
    desk.add_agent("nina@example.com", "Nina Holt")
    ref = desk.deliver(
        build_mail(
            subject="Where is my refund?",
            body="Hello,\n\nI returned the shoes two weeks ago.\n\nJo",
            sender="Jo Park <jo@customer.example>",
        )
    )
    version = api_ok(desk, admin, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api_ok(desk, admin, "PATCH", f"/tickets/{ref}", {"version": version, "assignee": "nina@example.com"})
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin)
    page.get_by_role("link", name="Agents").click()

    # When she deactivates Nina with "Put their open tickets back" ticked
    page.get_by_role("button", name="Deactivate Nina Holt…").click()
    dialog = page.get_by_role("dialog", name="Deactivate Nina Holt?")
    box = dialog.get_by_label("Put their open tickets back")
    expect(box).not_to_be_checked()
    box.check()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "deactivate-release-1366.png"))
    dialog.get_by_role("button", name="Deactivate").click()

    # Then the page says what became of the ticket and links the unassigned ones
    status = page.locator("#agents-status")
    expect(status).to_contain_text("1 open ticket put back: 1 left unassigned.")
    expect(status.get_by_role("link", name="The unassigned tickets")).to_be_visible()
    # And the ticket has nobody, its history saying who unassigned it
    assert api_ok(desk, admin, "GET", f"/tickets/{ref}")["ticket"]["assignee"] is None
    events = api_ok(desk, admin, "GET", f"/tickets/{ref}")["events"]
    unassigned = [event for event in events if event["kind"] == "unassigned"]
    assert unassigned[-1]["actor"] == "rita@example.com"
    assert unassigned[-1]["detail"]["why"] == "Nina Holt (nina@example.com) was deactivated"
    # And the ticket's page says why
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#events")).to_contain_text(
        "unassigned the ticket (was nina@example.com): Nina Holt (nina@example.com) was deactivated"
    )
