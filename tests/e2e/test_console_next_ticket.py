"""From a ticket, the next one of the list it was opened from is one key away: j and k (and the
page's Next and Previous) open the tickets after and before it in that list, also on a ticket
opened from a link, and Back to the queue shows the list with the last ticket seen selected."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e


def _shown_refs(page: Page) -> list[str]:
    refs: list[str] = page.locator("#queue-rows tr").evaluate_all("rows => rows.map(row => row.dataset.ref)")
    return refs


def _expect_scrolled_to(page: Page, wanted: Callable[[float], bool]) -> None:
    for _ in range(50):
        if wanted(page.evaluate("() => window.scrollY")):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the page stays scrolled to {page.evaluate('() => window.scrollY')}")


def _expect_ticket(page: Page, ref: str) -> None:
    expect(page).to_have_url(re.compile(f"#/tickets/{ref}$"))
    expect(page.locator("#ticket-meta")).to_contain_text(ref)


def test_j_and_k_on_a_ticket_open_the_next_and_previous_of_its_list(desk: RunningDesk, page: Page) -> None:
    # Given three tickets in the list, oldest first
    token = desk.add_agent("nia@example.com", "Nia Park")
    for subject in ("Broken zip", "Wrong colour", "Late parcel"):
        desk.deliver(build_mail(subject=subject))
    sign_in(page, desk, token, "?sort=priority")
    expect(page.locator("#queue-rows tr")).to_have_count(3)
    refs = _shown_refs(page)

    # When the agent opens the first one
    page.locator("#queue-rows tr").first.get_by_role("link").click()

    # Then the page offers the next ticket of the list, and no previous one
    _expect_ticket(page, refs[0])
    neighbours = page.locator("#ticket-neighbours")
    expect(neighbours).to_be_visible()
    expect(neighbours).to_contain_text("1 of 3")
    expect(page.get_by_role("link", name="Previous")).to_be_hidden()
    expect(page.get_by_role("link", name="Next")).to_have_attribute("href", f"#/tickets/{refs[1]}")

    # When they press j twice, then k
    page.keyboard.press("j")
    _expect_ticket(page, refs[1])
    expect(neighbours).to_contain_text("2 of 3")
    page.keyboard.press("j")
    _expect_ticket(page, refs[2])
    expect(page.get_by_role("link", name="Next")).to_be_hidden()
    page.keyboard.press("j")
    _expect_ticket(page, refs[2])
    page.keyboard.press("k")

    # Then they are on the second ticket, the list's sort still in the address
    _expect_ticket(page, refs[1])
    assert "sort=priority" in page.url

    # And the list of keys says so
    page.keyboard.press("?")
    keys = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(keys).to_contain_text("Open the next ticket of the list")
    page.keyboard.press("Escape")

    # When the page is loaded afresh from its address (a link from a mail, a reload)
    page.reload()

    # Then the list is read behind the ticket and Previous and Next are there again
    _expect_ticket(page, refs[1])
    expect(neighbours).to_contain_text("2 of 3")
    expect(page.get_by_role("link", name="Previous")).to_have_attribute("href", f"#/tickets/{refs[0]}")
    page.keyboard.press("k")
    _expect_ticket(page, refs[0])

    # And u (as Back to the queue) shows the list with the ticket seen last selected
    page.keyboard.press("u")
    expect(page.locator("#queue-view")).to_be_visible()
    expect(page.locator("#queue-rows tr.selected")).to_have_attribute("data-ref", refs[0])


def test_a_ticket_outside_the_list_has_no_next(desk: RunningDesk, page: Page) -> None:
    # Given a ticket opened from a search that does not find it
    token = desk.add_agent("oli@example.com", "Oli Fenn")
    ref = desk.deliver(build_mail(subject="Cracked screen"))
    sign_in(page, desk, token, f"?q=nothingmatchesthis#/tickets/{ref}")

    # Then it shows without Previous and Next, and j does nothing
    _expect_ticket(page, ref)
    expect(page.locator("#ticket-subject")).to_have_text("Cracked screen")
    page.keyboard.press("j")
    _expect_ticket(page, ref)
    expect(page.locator("#ticket-neighbours")).to_be_hidden()


LONG_SUBJECT = (
    "Sehr geehrte Damen und Herren, ich schreibe Ihnen wegen meiner Bestellung vom letzten Monat, die "
    "leider immer noch nicht angekommen ist, obwohl mir die Lieferung bis Freitag zugesagt wurde"
)
LONG_NAME = "Maximilian Alexander von Hohenberg-Schwarzenbach zu Lichtenstein"


def test_a_long_subject_and_name_keep_a_row_to_two_lines(desk: RunningDesk, page: Page) -> None:
    # Given a ticket with a very long subject from a customer with a very long name
    token = desk.add_agent("ray@example.com", "Ray Dorn")
    ref = desk.deliver(
        build_mail(subject=LONG_SUBJECT, sender=f"{LONG_NAME} <max.hohenberg@sehr-lange-domain.example>")
    )
    sign_in(page, desk, token)
    row = page.locator(f'#queue-rows tr[data-ref="{ref}"]')
    expect(row).to_be_visible()

    # Then the subject is the widest column and takes two lines at most, the whole of it a tooltip
    subject = row.locator(".subject-text")
    expect(subject).to_have_attribute("title", LONG_SUBJECT)
    line = float(subject.evaluate("element => parseFloat(getComputedStyle(element).lineHeight)"))
    subject_box = subject.bounding_box()
    requester_box = row.locator("td.requester").bounding_box()
    assert subject_box and requester_box
    assert subject_box["height"] <= 2 * line + 1, f"the subject takes {subject_box['height']} px"
    assert subject_box["width"] > requester_box["width"]
    # And the times are one short line each, the full time in their tooltip
    waiting = row.locator("td.time time").first
    expect(waiting).to_have_attribute("title", re.compile(r"\d{4}"))
    assert waiting.evaluate("element => element.getBoundingClientRect().height") <= 2 * line


def test_a_snoozed_ticket_says_so_in_the_list(desk: RunningDesk, page: Page) -> None:
    # Given a ticket snoozed until the customer answers
    token = desk.add_agent("sol@example.com", "Sol Ray")
    ref = desk.deliver(build_mail(subject="Waiting for the courier"))
    version = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, "snooze_until_answer": True})
    sign_in(page, desk, token)

    # Then its row says it is snoozed, not only on hold
    status = page.locator(f'#queue-rows tr[data-ref="{ref}"] td[data-label="Status"]')
    expect(status).to_contain_text("On hold")
    expect(status.locator(".snoozed")).to_have_text("Snoozed until an answer")
    expect(status.locator(".snoozed")).to_have_attribute("title", "Snoozed until the customer answers")


def test_a_ticket_opens_at_its_top_and_the_list_comes_back_where_it_was(
    desk: RunningDesk, page: Page
) -> None:
    # Given a list longer than the window, scrolled down to its last row
    token = desk.add_agent("una@example.com", "Una Byrne")
    for subject in ("Strap broke", "Lid cracked", "Wrong size", "No invoice"):
        desk.deliver(build_mail(subject=subject))
    page.set_viewport_size({"width": 1366, "height": 420})
    try:
        sign_in(page, desk, token)
        rows = page.locator("#queue-rows tr")
        expect(rows.first).to_be_visible()
        last = rows.last.get_by_role("link")
        opened = last.inner_text()
        last.scroll_into_view_if_needed()
        scrolled = page.evaluate("scrollY")
        assert scrolled > 0

        # When the agent opens that ticket, then scrolls down it and presses k
        last.click()
        expect(page.locator("#ticket-neighbours")).to_be_visible()
        assert page.evaluate("scrollY") == 0
        page.evaluate("window.scrollTo(0, 600)")
        page.keyboard.press("k")
        expect(page).not_to_have_url(re.compile(f"#/tickets/{opened}$"))

        # Then each ticket shows from its top
        _expect_scrolled_to(page, lambda y: y == 0)

        # And Back to the queue shows the list where it was
        page.get_by_role("link", name="Back to the queue").click()
        expect(page.locator("#queue-view")).to_be_visible()
        _expect_scrolled_to(page, lambda y: abs(y - scrolled) < 80)
    finally:
        page.set_viewport_size({"width": 1366, "height": 900})


def test_merge_offers_the_customers_other_tickets(desk: RunningDesk, page: Page) -> None:
    # Given a customer who wrote twice about one parcel
    token = desk.add_agent("vic@example.com", "Vic Hale")
    customer = "Pia Lund <pia@kunde.example>"
    first = desk.deliver(build_mail(subject="Parcel lost", sender=customer))
    second = desk.deliver(build_mail(subject="Where is my parcel?", sender=customer, body="Still nothing."))
    sign_in(page, desk, token, f"#/tickets/{second}")
    expect(page.locator("#ticket-meta")).to_contain_text(second)

    # When the agent opens "Merge into…"
    page.get_by_role("button", name="Merge into…").click()

    # Then the customer's other ticket is offered, and one click chooses it
    dialog = page.get_by_role("dialog", name=re.compile("Merge"))
    offered = dialog.get_by_role("group", name="The customer's other tickets:")
    expect(offered.get_by_role("button")).to_have_count(1)
    offered.get_by_role("button", name=re.compile(first)).click()
    expect(dialog.get_by_label("Reference of the ticket to keep")).to_have_value(first)
    expect(dialog.get_by_role("button", name=f"Merge into {first}")).to_be_enabled()
    page.keyboard.press("Escape")


def test_going_away_is_said_as_done_not_as_a_problem(desk: RunningDesk, page: Page) -> None:
    # Given an agent on the list
    token = desk.add_agent("wes@example.com", "Wes Amon")
    sign_in(page, desk, token)
    away = page.locator("#away-toggle")
    expect(away).to_be_visible()

    # When they press Away, then come back
    away.click()
    line = page.locator("#flash")
    expect(line).to_have_text("You are away: no tickets are assigned to you automatically.")

    # Then the line says it as done (green), not as an error (red)
    expect(line).to_have_class(re.compile(r"\bdone\b"))
    away.click()
    expect(line).to_have_text("Welcome back: tickets are assigned to you again.")
    expect(line).to_have_class(re.compile(r"\bdone\b"))


def test_next_reads_the_next_page_and_back_keeps_it(desk: RunningDesk, page: Page) -> None:
    # Given a list longer than a page (25 rows and More)
    token = desk.add_agent("xan@example.com", "Xan Ode")
    for number in range(27):
        desk.deliver(build_mail(subject=f"Order {number} late", sender=f"buyer{number}@kunde.example"))
    sign_in(page, desk, token, "?view=unassigned")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(25)
    expect(page.get_by_role("button", name="More")).to_be_visible()

    # When the agent opens the last row of the page and presses j
    rows.last.get_by_role("link").click()
    expect(page.locator("#ticket-neighbours")).to_contain_text("25 of")
    page.keyboard.press("j")

    # Then the first ticket of the next page opens
    expect(page.locator("#ticket-neighbours")).to_contain_text("26 of")
    opened = page.url.rsplit("/", 1)[1]

    # And back on the list, both pages are there with that ticket selected
    page.keyboard.press("u")
    expect(page.locator("#queue-view")).to_be_visible()
    expect(page.locator("#queue-rows tr.selected")).to_have_attribute("data-ref", opened)
    assert rows.count() > 25
