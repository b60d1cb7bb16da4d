"""The account bar: at a desktop's width one row, the agent's own pages and "Sign out everywhere"
under "Your account"; on a phone the whole bar folds under one "Menu" button that a keyboard and a
screen reader use like any disclosure, and the list's ticket cards are dense enough to show several
tickets on a screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def _tops(page: Page, selector: str) -> list[float]:
    tops: list[float] = page.locator(selector).evaluate_all(
        "items => items.filter(item => item.offsetParent).map(item => item.getBoundingClientRect().top)"
    )
    return tops


def test_at_a_desktop_width_the_account_bar_is_one_row(desk: RunningDesk, page: Page) -> None:
    # Given an admin (every link of the bar shown) at 1366 px
    token = desk.add_agent("tina@example.com", "Tina Tryout", Role.ADMIN)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token)
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Audit")).to_be_visible()

    # Then the brand and every item of the bar are on one row
    tops = _tops(page, ".brand, #account-menu > *")
    assert max(tops) - min(tops) < 12, tops
    expect(account.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(account.get_by_role("button", name="Sign out everywhere")).to_be_hidden()

    # When Tina opens "Your account" with the keyboard
    more = account.get_by_role("button", name="Your account")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.focus()
    page.keyboard.press("Enter")

    # Then her own pages show under it, "Sign out everywhere" last and smaller than "Sign out"
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(account.get_by_role("link", name="Your signature")).to_be_visible()
    everywhere = account.get_by_role("button", name="Sign out everywhere")
    expect(everywhere).to_be_visible()
    size = "element => parseFloat(getComputedStyle(element).fontSize)"
    assert everywhere.evaluate(size) < page.locator("#sign-out").evaluate(size)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "account-bar-1366.png"))

    # And Esc closes it, the focus back on its button
    page.keyboard.press("Escape")
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(everywhere).to_be_hidden()
    expect(more).to_be_focused()


def test_on_a_phone_the_account_links_fold_into_one_menu_and_cards_are_dense(
    desk: RunningDesk, page: Page
) -> None:
    # Given an admin with a few tickets, on a phone
    token = desk.add_agent("pia@example.com", "Pia Lund", Role.ADMIN)
    for n in range(4):
        desk.deliver(build_mail(subject=f"Parcel {n} is late", sender=f"C{n} <c{n}@customer.example>"))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, desk, token)
    rows = page.locator("#queue-rows > tr")
    expect(rows.nth(3)).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "account-bar-390.png"))

    # Then the bar is one row: the brand and "Menu"; none of the links shows
    account = page.get_by_role("navigation", name="Account")
    menu = account.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(account.get_by_role("link", name="Reports")).to_be_hidden()
    expect(account.get_by_role("button", name="Sign out", exact=True)).to_be_hidden()
    topbar = page.locator(".topbar").bounding_box()
    assert topbar is not None and topbar["height"] < 60, topbar
    # and a ticket card is a few short lines: at least three tickets start on the first screen
    first_card = rows.first.bounding_box()
    assert first_card is not None and first_card["height"] < 230, first_card
    starts = [box["y"] for box in (rows.nth(n).bounding_box() for n in range(4)) if box]
    assert sum(1 for y in starts if y < 844) >= 3, starts

    # When Pia opens the menu with the keyboard
    menu.focus()
    page.keyboard.press("Enter")

    # Then it holds the whole bar, her own pages and both ways to sign out
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Reports", "Saved replies", "Audit", "Your signature", "Two-step sign-in"):
        expect(account.get_by_role("link", name=name)).to_be_visible()
    expect(account.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(account.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    expect(account.get_by_role("button", name="Your account")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "account-menu-open-390.png"))

    # And the keyboard moves into it; Esc closes it, the focus back on "Menu"
    page.keyboard.press("Tab")
    expect(account.get_by_role("link", name="Reports")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()

    # And choosing a page closes the menu
    menu.click()
    account.get_by_role("link", name="Saved replies").click()
    expect(page).to_have_url(re.compile(r"#/saved-replies$"))
    expect(menu).to_have_attribute("aria-expanded", "false")
