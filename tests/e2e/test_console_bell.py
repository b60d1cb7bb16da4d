"""The bell in the account bar, in a real browser against the desk on a local moto server: the unread
count on the button (in its name for a screen reader), the panel listing what the desk told the
agent, newest first, each opening its ticket and marking it read, "Mark all read", the empty state in
words, the keyboard (Escape gives the focus back), and a phone's width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def _fits(page: Page) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_the_bell_counts_lists_opens_and_marks_read(desk: RunningDesk, page: Page) -> None:
    # Given two tickets Ana assigned to Sam, and a note of hers that mentions him
    sam = desk.add_agent("sam.bell@example.com", "Sam Bell")
    ana = desk.add_agent("ana.bell@example.com", "Ana Bell")
    refs = [desk.deliver(build_mail(subject=subject)) for subject in ("Broken zip", "Late parcel")]
    for ref in refs:
        version = api_ok(desk, ana, "GET", f"/tickets/{ref}")["ticket"]["version"]
        api_ok(
            desk, ana, "PATCH", f"/tickets/{ref}", {"version": version, "assignee": "sam.bell@example.com"}
        )
    api_ok(desk, ana, "POST", f"/tickets/{refs[0]}/notes", {"body": "@sam.bell can you call her?"})

    # When Sam opens the console
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, sam)

    # Then the bell says 3 unread, to the eye and in its name
    account = page.get_by_role("navigation", name="Account")
    bell = account.get_by_role("button", name="Notifications, 3 unread")
    expect(bell).to_be_visible()
    expect(page.locator("#bell-count")).to_have_text("3")

    # When he opens it: the panel lists them, newest first, the heading has the focus
    bell.click()
    expect(bell).to_have_attribute("aria-expanded", "true")
    panel = page.get_by_role("region", name="Notifications")
    expect(panel.get_by_role("heading", name="Notifications")).to_be_focused()
    items = panel.get_by_role("link").filter(has_text=re.compile("ticket"))
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text(f"Ana Bell mentioned you in a note on ticket {refs[0]} (Broken zip)")
    expect(items.nth(0)).to_contain_text("@sam.bell can you call her?")
    expect(items.nth(1)).to_contain_text(f"Ana Bell assigned ticket {refs[1]} (Late parcel) to you.")
    expect(items.nth(0)).to_contain_text("Unread:")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bell-open-1366.png"))

    # When he opens one: its ticket shows, the panel closes, the count drops
    items.nth(1).click()
    expect(page).to_have_url(re.compile(f"#/tickets/{refs[1]}$"))
    expect(page.locator("#ticket-subject")).to_have_text("Late parcel")
    expect(panel).to_be_hidden()
    expect(account.get_by_role("button", name="Notifications, 2 unread")).to_be_visible()

    # When he opens the bell again from the keyboard and marks all read
    bell = page.locator("#bell-button")
    bell.focus()
    page.keyboard.press("Enter")
    expect(items.nth(1)).not_to_contain_text("Unread:")
    panel.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#bell-count")).to_be_hidden()
    expect(bell).to_have_accessible_name("Notifications")
    expect(panel.get_by_role("button", name="Mark all read")).to_be_disabled()
    expect(items).to_have_count(3)
    expect(panel.get_by_role("heading", name="Notifications")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "bell-all-read-1366.png"))
    assert api_ok(desk, sam, "GET", "/notifications")["unread"] == 0

    # And Escape closes the panel and gives the focus back to the bell
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(bell).to_be_focused()

    # On a phone: the bell stays in the bar, the panel fits the screen
    page.set_viewport_size({"width": 390, "height": 844})
    expect(bell).to_be_visible()
    bell.click()
    expect(panel).to_be_visible()
    assert _fits(page)
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(SCREENSHOTS / "bell-open-390.png"))


def test_an_agent_told_of_nothing_reads_so_in_words(desk: RunningDesk, page: Page) -> None:
    quiet = desk.add_agent("quiet.bell@example.com", "Quiet Bell")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, quiet)
    bell = page.get_by_role("navigation", name="Account").get_by_role(
        "button", name="Notifications", exact=True
    )
    expect(page.locator("#bell-count")).to_be_hidden()
    bell.click()
    expect(page.locator("#bell-empty")).to_be_visible()
    expect(page.locator("#bell-empty")).to_contain_text("Nothing yet.")
    expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()
    page.screenshot(path=str(SCREENSHOTS / "bell-empty-1366.png"))
