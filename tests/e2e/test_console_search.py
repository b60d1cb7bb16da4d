"""Searching the ticket list in the console, in a real browser against the desk on a local moto
server: words as they are typed (accents folded, the match marked), a quoted phrase, a filter with
the words, and the list's state in the address, so that a reload or a link opened in another tab
shows the same thing.

The desk fixture runs no search feeder: each test hands the tables' changes to the search_index
function itself, as the local stack's feeder (and the event source mappings on AWS) do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.change_feed import ChangeFeed, deliver_changes
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.local_stack import lambda_function
from tests.e2e.desk_api import call_api, sign_in_here
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390


@pytest.fixture(scope="module")
def search_feed(desk: RunningDesk) -> ChangeFeed:
    """The tables' streams, read from their start once for the module (the desk is the module's)."""
    return ChangeFeed(desk.settings.region, (desk.settings.tables.tickets, desk.settings.tables.ticket_log))


def _index(feed: ChangeFeed) -> None:
    index_for_search = lambda_function("search_index")
    while deliver_changes(feed, lambda event: index_for_search(event, None)):
        pass


@pytest.fixture(scope="module")
def tickets(desk: RunningDesk, search_feed: ChangeFeed) -> Iterator[dict[str, str]]:
    """Three customers' tickets with words of their own, indexed for search."""
    refs = {
        "muller": desk.deliver(
            build_mail(
                subject="Parcel 4711 missing",
                body="Hello,\n\nthe courier left parcel 4711 with a neighbour I do not know.\n\nJörg Müller",
                sender="Jörg Müller <joerg.mueller@customer.example>",
            )
        ),
        "twice": desk.deliver(
            build_mail(
                subject="Charged twice",
                body="Hello,\n\nyou charged me twice for the blue kettle I ordered last week.\n\nAna",
                sender="Ana Silva <ana.silva@customer.example>",
            )
        ),
        "leaks": desk.deliver(
            build_mail(
                subject="Kettle leaks",
                body="Hello,\n\nthe kettle is blue and it leaks water since Monday.\n\nTom",
                sender="Tom Berg <tom.berg@customer.example>",
            )
        ),
    }
    _index(search_feed)
    yield refs


def _shown_refs(page: Page) -> list[str]:
    refs: list[str] = page.locator("#queue-rows tr").evaluate_all("rows => rows.map(row => row.dataset.ref)")
    return refs


def _list_query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_an_agent_finds_a_ticket_by_a_name_typed_without_its_umlaut(
    desk: RunningDesk, page: Page, tickets: dict[str, str]
) -> None:
    # Given an agent at the list of open work, where all three tickets show
    token = desk.add_agent("rio@example.com", "Rio Tan")
    page.goto(f"{desk.api_url}/console")
    sign_in_here(page, desk, token)
    expect(page.locator(f'#queue-rows tr[data-ref="{tickets["leaks"]}"]')).to_be_visible()
    assert set(tickets.values()) <= set(_shown_refs(page))

    # When they press "/" and type the name as a keyboard without umlauts writes it
    page.keyboard.press("/")
    search = page.get_by_label("Search tickets")
    expect(search).to_be_focused()
    search.press_sequentially("muller", delay=30)

    # Then only Jörg Müller's ticket is left, the name marked in its passage as it was written
    row = page.locator(f'#queue-rows tr[data-ref="{tickets["muller"]}"]')
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(row).to_contain_text("Parcel 4711 missing")
    expect(row.locator(".passage mark").first).to_have_text("Müller")
    expect(page.locator("#queue-summary")).to_have_text("1 ticket found in open work.")
    # The mark is an element the console built, not markup from the API
    assert row.locator(".passage").evaluate("p => [...p.children].every(c => c.localName === 'mark')")
    # And the address holds the search
    expect(page).to_have_url(re.compile(r"[?&]q=muller(&|#|$)"))

    # When they clear it with Escape
    search.press("Escape")

    # Then the list of open work is back, and the address is the plain list's
    expect(search).to_have_value("")
    expect(page.locator(f'#queue-rows tr[data-ref="{tickets["leaks"]}"]')).to_be_visible()
    assert set(tickets.values()) <= set(_shown_refs(page))
    assert "q" not in _list_query(page)


def test_a_quoted_phrase_keeps_its_words_together(
    desk: RunningDesk, page: Page, tickets: dict[str, str]
) -> None:
    # Given two tickets that both hold "blue" and "kettle", only one of them as "blue kettle"
    token = desk.add_agent("ola@example.com", "Ola Lind")
    page.goto(f"{desk.api_url}/console")
    sign_in_here(page, desk, token)
    search = page.get_by_label("Search tickets")

    # When the agent looks for the words, then for the phrase
    search.fill("blue kettle")
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    assert set(_shown_refs(page)) == {tickets["twice"], tickets["leaks"]}
    search.fill('"blue kettle"')

    # Then only the ticket with the phrase is left, the phrase marked
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    row = page.locator(f'#queue-rows tr[data-ref="{tickets["twice"]}"]')
    expect(row.locator(".passage")).to_contain_text("blue kettle")
    marked = row.locator(".passage mark").all_text_contents()
    assert " ".join(marked).lower() == "blue kettle"


def test_the_search_with_a_filter_survives_a_reload_and_a_ticket_link_opens_in_another_tab(
    desk: RunningDesk, page: Page, tickets: dict[str, str], search_feed: ChangeFeed
) -> None:
    # Given the leaking kettle's ticket waits on its customer (and the index knows it)
    token = desk.add_agent("ute@example.com", "Ute Lang")
    status, seen = call_api(desk, token, "GET", f"/tickets/{tickets['leaks']}")
    assert status == 200
    status, _ = call_api(
        desk,
        token,
        "PATCH",
        f"/tickets/{tickets['leaks']}",
        {"version": seen["ticket"]["version"], "status": "pending"},
    )
    assert status == 200
    _index(search_feed)

    # When an agent searches "kettle" among the pending tickets, newest activity first
    page.goto(f"{desk.api_url}/console")
    sign_in_here(page, desk, token)
    filters = page.get_by_role("search")
    search = page.get_by_label("Search tickets")
    search.fill("kettle")
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    filters.get_by_label("Status", exact=True).select_option("pending")
    filters.get_by_label("Sort results").select_option("date")

    # Then only that ticket shows, and the address says what was asked
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(page.locator(f'#queue-rows tr[data-ref="{tickets["leaks"]}"]')).to_be_visible()
    expect(page.locator("#search-all-statuses")).to_be_hidden()
    assert _list_query(page) == {"q": ["kettle"], "status": ["pending"], "order": ["date"]}

    # When the page is reloaded
    page.reload()

    # Then the same search, filter and result show
    expect(search).to_have_value("kettle")
    expect(filters.get_by_label("Status", exact=True)).to_have_value("pending")
    expect(filters.get_by_label("Sort results")).to_have_value("date")
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(page.locator(f'#queue-rows tr[data-ref="{tickets["leaks"]}"]')).to_be_visible()

    # When the agent opens the ticket and its address is opened in a new tab
    page.get_by_role("link", name=tickets["leaks"]).click()
    expect(page.locator("#ticket-subject")).to_have_text("Kettle leaks")
    link = page.url
    assert urlsplit(link).fragment == f"/tickets/{tickets['leaks']}"
    other = page.context.new_page()
    other.goto(link)

    # Then the new tab lands on that ticket without asking to sign in (the session serves every tab)
    expect(other.locator("#ticket-subject")).to_have_text("Kettle leaks")
    expect(other.locator("#sign-in-view")).to_be_hidden()
    assert other.url == link

    # And "Back to the queue" there returns to the search it was opened from
    other.get_by_role("link", name="Back to the queue").click()
    expect(other.get_by_label("Search tickets")).to_have_value("kettle")
    expect(other.locator("#queue-rows tr")).to_have_count(1)
    other.close()

    # And Back in the first tab returns from the ticket to the list it came from
    page.go_back()
    expect(page.locator("#queue-view")).to_be_visible()
    expect(search).to_have_value("kettle")
    expect(page.locator("#queue-rows tr")).to_have_count(1)


def _no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"


def test_the_list_and_its_search_fit_a_phone_without_sideways_scrolling(
    desk: RunningDesk, page: Page, tickets: dict[str, str]
) -> None:
    # Given an agent on a 390 px wide phone
    token = desk.add_agent("kai@example.com", "Kai Moss")
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    page.goto(f"{desk.api_url}/console")
    sign_in_here(page, desk, token)
    expect(page.locator(f'#queue-rows tr[data-ref="{tickets["muller"]}"]')).to_be_visible()

    # Then the list fits the screen, as does a search's result with its passage
    _no_sideways_scrolling(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-list-390.png"), full_page=True)
    page.get_by_label("Search tickets").fill("muller")
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(page.locator("#queue-rows .passage mark").first).to_have_text("Müller")
    _no_sideways_scrolling(page)
    page.screenshot(path=str(SCREENSHOTS / "console-search-390.png"), full_page=True)


def test_a_search_at_desktop_width(desk: RunningDesk, page: Page, tickets: dict[str, str]) -> None:
    # The picture of a search on a laptop screen (.postdesk/screenshots) for a person to look at
    token = desk.add_agent("ira@example.com", "Ira Holt")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{desk.api_url}/console?q=kettle&status=all")
    sign_in_here(page, desk, token)
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    expect(page.locator("#queue-summary")).to_have_text("2 tickets found.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-search-1366.png"), full_page=True)


def test_more_continues_a_search_past_its_first_page(
    desk: RunningDesk, page: Page, search_feed: ChangeFeed
) -> None:
    # Given 26 resolved tickets about toasters (resolved, so they stay out of the other tests' lists)
    token = desk.add_agent("una@example.com", "Una Reyes")
    for n in range(26):
        ref = desk.deliver(
            build_mail(
                subject=f"Toaster {n} smokes",
                body=f"Hello,\n\nmy toaster smokes every morning (case {n}).\n\nCustomer {n}",
                sender=f"Customer {n} <customer.{n}@toasters.example>",
            )
        )
        status, seen = call_api(desk, token, "GET", f"/tickets/{ref}")
        assert status == 200
        status, _ = call_api(
            desk,
            token,
            "PATCH",
            f"/tickets/{ref}",
            {"version": seen["ticket"]["version"], "status": "resolved"},
        )
        assert status == 200
    _index(search_feed)

    # When an agent follows a link to that search
    page.goto(f"{desk.api_url}/console?q=toaster&status=resolved")
    sign_in_here(page, desk, token)

    # Then a page of 25 shows, and More brings the last one
    expect(page.locator("#queue-rows tr")).to_have_count(25)
    expect(page.locator("#queue-summary")).to_have_text("25 tickets found, more below.")
    page.get_by_role("button", name="More").click()
    expect(page.locator("#queue-rows tr")).to_have_count(26)
    expect(page.locator("#queue-summary")).to_have_text("26 tickets found.")
    expect(page.get_by_role("button", name="More")).to_be_hidden()
    refs = _shown_refs(page)
    assert len(set(refs)) == 26


def test_the_queue_is_chosen_from_the_desks_queues(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("quinn@example.com", "Quinn Park")
    page.goto(f"{desk.api_url}/console")
    sign_in_here(page, desk, token)
    queue = page.get_by_role("search").get_by_label("Queue")

    expect(queue.locator("option[value=billing]")).to_have_count(1)
    options = queue.locator("option").all_inner_texts()
    assert options[:2] == ["Any", "support"] and {"billing", "orders", "triage"} <= set(options)
    queue.select_option("billing")
    expect(page).to_have_url(re.compile(r"[?&]queue=billing"))
    page.reload()
    expect(page.get_by_role("search").get_by_label("Queue")).to_have_value("billing")
