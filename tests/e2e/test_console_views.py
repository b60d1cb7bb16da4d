"""The list's views, column sorting and live updates, in a real browser against the desk on a local
moto server: the views with their counts and their place in the address, the headings that order the
list (aria-sort), and mail that arrives while the list is open showing within 15 seconds without a
reload, the agent's focus, ticks and place kept; the navigation at 390 px.

The desk runs on real time, so the tickets "due soon" and "breached" get their SLA due times set in
the table (as the clocks would have moved them), which keeps the test independent of the hour."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.store import TicketStore
from postdesk_tools.change_feed import ChangeFeed, deliver_changes
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.local_stack import lambda_function
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390
# A new mail shows within this (the list is read again every 10 seconds).
LIVE_TIMEOUT_MS = 15_000


def _ticket(desk: RunningDesk, token: str, ref: str) -> dict[str, Any]:
    ticket: dict[str, Any] = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    return ticket


def _patch(desk: RunningDesk, token: str, ref: str, **fields: Any) -> None:
    version = _ticket(desk, token, ref)["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, **fields})


def _first_response_due(desk: RunningDesk, ref: str, due: datetime) -> None:
    """The ticket's first response falls due at ``due`` (as a faster target would have set it)."""
    store = TicketStore(desk.settings.tables, desk.settings.region)
    before = store.get_ticket(ref)
    assert before is not None and before.sla is not None
    store.update_ticket(TicketUpdate(before, {"sla": replace(before.sla, first_response_due=due)}), [])


def _counts(desk: RunningDesk, token: str) -> dict[str, str]:
    """The counts as the nav should show them ("3", or "1000+")."""
    views = api_ok(desk, token, "GET", "/tickets/views")["views"]
    return {view["name"]: f"{view['count']}{'+' if view['capped'] else ''}" for view in views}


def _index_for_search(desk: RunningDesk) -> None:
    """What the local stack's feeder does: the tables' changes to the search_index function."""
    feed = ChangeFeed(desk.settings.region, (desk.settings.tables.tickets, desk.settings.tables.ticket_log))
    index_for_search = lambda_function("search_index")
    while deliver_changes(feed, lambda event: index_for_search(event, None)):
        pass


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_views_show_their_counts_and_stay_in_the_address(desk: RunningDesk, page: Page) -> None:
    # Given Sam's ticket, one nobody has that falls due in an hour, one past due, and a held spam
    token = desk.add_agent("sam@example.com", "Sam Lee")
    mine = desk.deliver(build_mail(subject="Zip of my jacket broke", sender="Ann <ann@customer.example>"))
    _patch(desk, token, mine, assignee="sam@example.com")
    soon = desk.deliver(build_mail(subject="Parcel stuck in Leipzig", sender="Bob <bob@customer.example>"))
    _first_response_due(desk, soon, datetime.now(UTC) + timedelta(hours=1))
    late = desk.deliver(build_mail(subject="Refund still missing", sender="Cy <cy@customer.example>"))
    _first_response_due(desk, late, datetime.now(UTC) - timedelta(hours=2))
    desk.deliver(build_mail(subject="Cheap watches", sender="promo@spam.example"), verdicts={"spam": "FAIL"})
    page.set_viewport_size({"width": 1366, "height": 900})

    # When Sam signs in
    sign_in(page, desk, token)
    lists = page.get_by_role("navigation", name="Lists")
    expect(page.locator(f'#queue-rows tr[data-ref="{mine}"]')).to_be_visible()

    # Then each view shows its count, as the API counts it
    counts = _counts(desk, token)
    assert (counts["mine"], counts["due_soon"], counts["breached"], counts["quarantine"]) == (
        "1",
        "1",
        "1",
        "1",
    )
    for name, label in (
        ("mine", "Mine"),
        ("unassigned", "Unassigned"),
        ("due_soon", "Due soon"),
        ("breached", "Breached"),
        ("follow_up", "Needs follow-up"),
        ("quarantine", "Quarantine"),
    ):
        expect(lists.get_by_role("link", name=f"{label} {counts[name]}", exact=True)).to_be_visible()
    expect(lists.get_by_role("link", name="Tickets", exact=True)).to_have_attribute("aria-current", "page")

    # When Sam opens "Breached"
    lists.get_by_role("link", name="Breached").click()

    # Then it is the list, the address says so, and it is ordered by due time
    expect(page.get_by_role("heading", name="Breached", level=1)).to_be_visible()
    expect(lists.get_by_role("link", name="Breached")).to_have_attribute("aria-current", "page")
    expect(page.locator("#queue-rows > tr")).to_have_count(1)
    expect(page.locator(f'#queue-rows tr[data-ref="{late}"]')).to_contain_text("Overdue")
    expect(page.locator("#view-hint")).to_contain_text("past due")
    expect(page.locator('th[data-column="due"]')).to_have_attribute("aria-sort", "ascending")
    assert _query(page) == {"view": ["breached"]}
    expect(page).to_have_title("Breached · Postdesk")

    # And a reload shows the same view
    page.reload()
    expect(page.get_by_role("heading", name="Breached", level=1)).to_be_visible()
    expect(page.locator(f'#queue-rows tr[data-ref="{late}"]')).to_be_visible()
    # (once the reloaded page has shown its counts: it has finished starting)
    expect(lists.get_by_role("link", name=f"Due soon {counts['due_soon']}", exact=True)).to_be_visible()

    # When Sam moves to "Due soon": its hint says the window from the SLA policy
    lists.get_by_role("link", name="Due soon").click()
    # (the heading first: Breached's one row would pass the count below before the list changed)
    expect(page.get_by_role("heading", name="Due soon", level=1)).to_be_visible()
    expect(page.locator("#queue-rows > tr")).to_have_count(1)
    expect(page.locator(f'#queue-rows tr[data-ref="{soon}"]')).to_be_visible()
    expect(page.locator("#view-hint")).to_contain_text("within 4 business hours")
    assert _query(page) == {"view": ["due_soon"]}

    # And to "Mine", with a filter: both in the address, and Back returns to "Due soon"
    lists.get_by_role("link", name="Mine").click()
    expect(page.locator("#queue-rows > tr")).to_have_count(1)
    expect(page.locator("#field-assignee")).to_be_hidden()
    page.locator("#filters").get_by_label("Priority").select_option("urgent")
    expect(page.get_by_text("No tickets match.")).to_be_visible()
    assert _query(page) == {"view": ["mine"], "priority": ["urgent"]}
    page.go_back()
    expect(page.locator(f'#queue-rows tr[data-ref="{mine}"]')).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Due soon", level=1)).to_be_visible()

    # When Sam types a search in "Due soon": it searches all open work, which the address says
    page.get_by_label("Search tickets").fill("jacket")
    expect(page.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
    assert _query(page) == {"q": ["jacket"]}

    # The views at both widths: at 390 px the names wrap, and nothing scrolls sideways
    page.get_by_label("Search tickets").fill("")
    lists.get_by_role("link", name="Due soon").click()
    expect(page.locator(f'#queue-rows tr[data-ref="{soon}"]')).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "views-1366.png"), full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    expect(lists.get_by_role("link", name="Quarantine")).to_be_in_viewport()
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"
    page.screenshot(path=str(SCREENSHOTS / "views-390.png"), full_page=True)


def test_the_column_headings_order_the_list_by_what_the_api_can(desk: RunningDesk, page: Page) -> None:
    # Given an older normal ticket and a newer urgent one
    token = desk.add_agent("ira@example.com", "Ira Novak")
    older = desk.deliver(build_mail(subject="Strap came loose", sender="Dee <dee@customer.example>"))
    newer = desk.deliver(build_mail(subject="Buckle missing", sender="Eve <eve@customer.example>"))
    _patch(desk, token, newer, priority="urgent")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token)
    rows = page.locator("#queue-rows > tr")
    waiting = page.locator('th[data-column="waiting"]')
    priority = page.locator('th[data-column="priority"]')
    expect(page.locator(f'#queue-rows tr[data-ref="{newer}"]')).to_be_visible()

    # Then the list is in its default order, oldest waiting first, and the heading says so
    expect(waiting).to_have_attribute("aria-sort", "ascending")
    expect(priority).not_to_have_attribute("aria-sort", re.compile(".*"))
    refs = rows.evaluate_all("rows => rows.map(row => row.dataset.ref)")
    assert refs.index(older) < refs.index(newer)

    # When Ira presses the Priority heading
    priority.get_by_role("button", name="Priority").click()

    # Then the urgent ticket comes first, the heading says so with an arrow, and so does the address
    expect(priority).to_have_attribute("aria-sort", "descending")
    expect(priority.locator(".sort-arrow")).to_have_text("▼")
    expect(waiting).not_to_have_attribute("aria-sort", re.compile(".*"))
    expect(rows.first).to_have_attribute("data-ref", newer)
    assert _query(page) == {"sort": ["priority"]}
    expect(page.locator("#filters").get_by_label("Sort", exact=True)).to_have_value("priority")
    expect(priority.get_by_role("button", name="Priority")).to_be_focused()

    # When Ira goes back to the waiting order with the keyboard
    page.keyboard.press("Tab")
    expect(waiting.get_by_role("button", name="Waiting since")).to_be_focused()
    page.keyboard.press("Enter")

    # Then the list is oldest first again, and the address is the plain list's
    expect(waiting).to_have_attribute("aria-sort", "ascending")
    expect(rows.last).to_have_attribute("data-ref", newer)
    assert "sort" not in _query(page)
    refs = rows.evaluate_all("rows => rows.map(row => row.dataset.ref)")
    assert refs.index(older) < refs.index(newer)

    # And with words ranked by best match, no column heading claims the order (no arrow, no
    # aria-sort); "Last activity" sorts them by date
    _index_for_search(desk)
    page.get_by_label("Search tickets").fill("buckle")
    expect(page.locator(f'#queue-rows tr[data-ref="{newer}"]')).to_be_visible()
    expect(page.locator("#filters").get_by_label("Sort results")).to_have_value("relevance")
    expect(page.locator("#queue-table th[aria-sort]")).to_have_count(0)
    expect(page.locator("#queue-table .sort-arrow")).to_have_count(0)
    expect(waiting).to_contain_text("Last activity")
    waiting.get_by_role("button", name="Last activity").click()
    expect(waiting).to_have_attribute("aria-sort", "descending")
    assert _query(page) == {"q": ["buckle"], "order": ["date"]}
    page.screenshot(path=str(SCREENSHOTS / "views-sorted-search-1366.png"), full_page=True)


def test_new_mail_shows_in_the_open_list_within_15_seconds_without_a_reload(
    desk: RunningDesk, page: Page
) -> None:
    # Given the list open at Unassigned, a row ticked for a bulk action and another row's link focused
    token = desk.add_agent("max@example.com", "Max Mustermann")
    first = desk.deliver(build_mail(subject="Sole came off", sender="Flo <flo@customer.example>"))
    second = desk.deliver(build_mail(subject="Laces too short", sender="Gus <gus@customer.example>"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, "?view=unassigned#/")
    lists = page.get_by_role("navigation", name="Lists")
    expect(page.locator(f'#queue-rows tr[data-ref="{second}"]')).to_be_visible()
    page.get_by_label(f"Select {first}").check()
    page.get_by_role("link", name=second).focus()
    unassigned_before = _counts(desk, token)["unassigned"]
    expect(lists.get_by_role("link", name=f"Unassigned {unassigned_before}", exact=True)).to_be_visible()
    # A mark on the page that a reload or a navigation would wipe
    page.evaluate("() => { window.stillTheSamePage = true; }")
    address = page.url

    # When a customer writes while the list is open
    arrived = desk.deliver(build_mail(subject="Heel squeaks", sender="Hal <hal@customer.example>"))

    # Then the new ticket shows within 15 seconds, marked, and said once to a screen reader
    new_row = page.locator(f'#queue-rows tr[data-ref="{arrived}"]')
    expect(new_row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(new_row).to_have_class(re.compile(r"\barrived\b"))
    expect(page.locator("#list-announcer")).to_have_text(f"1 new ticket at the end of the list: {arrived}.")
    # And the count of Unassigned with it
    expect(
        lists.get_by_role("link", name=f"Unassigned {int(unassigned_before) + 1}", exact=True)
    ).to_be_visible()
    # Without a reload or a navigation: the page, the focus, the tick and the rows kept where they were
    assert page.evaluate("() => window.stillTheSamePage === true")
    assert page.url == address
    expect(page.get_by_role("link", name=second)).to_be_focused()
    expect(page.get_by_label(f"Select {first}")).to_be_checked()
    expect(page.get_by_role("form", name="Change the selected tickets")).to_contain_text("1 selected")
    refs = page.locator("#queue-rows > tr").evaluate_all("rows => rows.map(row => row.dataset.ref)")
    assert refs[-1] == arrived and refs.index(first) < refs.index(second)


def test_a_ticket_that_would_move_rows_waits_until_the_agent_shows_it(desk: RunningDesk, page: Page) -> None:
    # Given the list by priority, open
    token = desk.add_agent("nia@example.com", "Nia Okafor")
    desk.deliver(build_mail(subject="Colour faded", sender="Ivy <ivy@customer.example>"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, "?sort=priority#/")
    rows = page.locator("#queue-rows > tr")
    expect(rows.first).to_be_visible()
    top_before = rows.first.get_attribute("data-ref")
    page.evaluate("() => { window.stillTheSamePage = true; }")

    # When an urgent ticket arrives, which belongs above the rows shown
    urgent = desk.deliver(build_mail(subject="Shoe fell apart", sender="Jo <jo@customer.example>"))
    _patch(desk, token, urgent, priority="urgent")

    # Then no row moves: a bar says what changed, and the new ticket shows when asked for
    updates = page.locator("#list-updates")
    expect(updates).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(updates).to_contain_text("Updates to this list:")
    expect(rows.first).to_have_attribute("data-ref", top_before or "")
    page.screenshot(path=str(SCREENSHOTS / "views-updates-bar-1366.png"))
    page.get_by_role("button", name="Show").click()
    expect(updates).to_be_hidden()
    expect(page.locator(f'#queue-rows tr[data-ref="{urgent}"]')).to_be_visible()
    listed = [t["ref"] for t in api_ok(desk, token, "GET", "/tickets?sort=priority&limit=100")["tickets"]]
    assert rows.evaluate_all("rows => rows.map(row => row.dataset.ref)") == listed
    # The button went with the bar: the focus is on the first row, not lost
    expect(rows.first.locator("a")).to_be_focused()
    assert page.evaluate("() => window.stillTheSamePage === true")
