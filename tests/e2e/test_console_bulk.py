"""Bulk actions on the ticket list, in a real browser against the desk on a local moto server: the
agent ticks rows (a click, "Select all on this page" or x on the row j and k selected), a bar says
how many and changes them all over the versions on screen, and the answer is said ticket by ticket
in words: a ticket a colleague changed meanwhile is left as it was and stays selected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from postdesk.agents.store import AgentStore
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def _ticket(desk: RunningDesk, token: str, ref: str) -> dict[str, Any]:
    ticket: dict[str, Any] = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    return ticket


def test_an_agent_assigns_tags_and_merges_a_selection_and_reads_what_happened_to_each(
    desk: RunningDesk, page: Page
) -> None:
    # Given three open tickets, two agents, and one of the tickets already tagged
    token = desk.add_agent("sam@example.com", "Sam Lee")
    desk.add_agent("ira@example.com", "Ira Novak")
    first = desk.deliver(build_mail(subject="Parcel one"))
    second = desk.deliver(build_mail(subject="Parcel two"))
    third = desk.deliver(build_mail(subject="Parcel three"))
    version = _ticket(desk, token, first)["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{first}", {"version": version, "tags": ["damaged"]})
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token)
    rows = page.locator("#queue-rows > tr")
    expect(rows).to_have_count(3)
    bar = page.get_by_role("form", name="Change the selected tickets")
    expect(bar).to_be_hidden()

    # When the agent ticks two rows with a click, and the third with x on the row j and k select
    page.get_by_label(f"Select {first}").check()
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("1 selected")
    page.get_by_label(f"Select {second}").check()
    page.get_by_role("link", name=third).focus()
    page.keyboard.press("x")

    # Then the bar counts them, and "Select all on this page" shows they are all ticked
    expect(bar).to_contain_text("3 selected")
    expect(page.get_by_label(f"Select {third}")).to_be_checked()
    expect(page.get_by_label("Select all on this page")).to_be_checked()
    # x again unticks it
    page.keyboard.press("x")
    expect(bar).to_contain_text("2 selected")
    expect(page.get_by_label("Select all on this page")).not_to_be_checked()
    page.keyboard.press("x")
    expect(bar).to_contain_text("3 selected")

    # When a colleague changes the first ticket, then the agent assigns the three to Ira Novak
    version = _ticket(desk, token, first)["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{first}", {"version": version, "priority": "urgent"})
    bar.get_by_label("Action").select_option(label="Assign")
    bar.get_by_label("Assign to").select_option(label="Ira Novak (ira@example.com)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bulk-bar-1366.png"))
    bar.get_by_role("button", name="Apply to 3 tickets").click()

    # Then what happened to each ticket is said in words, and the list is read again
    result = page.locator("#bulk-result")
    expect(result).to_have_text(
        f"2 changed; {first} was changed by someone else meanwhile and was left as it was. "
        "It stays selected, as it is now, to try again."
    )
    page.screenshot(path=str(SCREENSHOTS / "bulk-result-1366.png"))
    assert _ticket(desk, token, second)["assignee"] == "ira@example.com"
    assert _ticket(desk, token, third)["assignee"] == "ira@example.com"
    assert _ticket(desk, token, first).get("assignee") is None
    expect(rows.filter(has_text=second)).to_contain_text("Ira Novak")
    expect(bar).to_contain_text("1 selected")
    expect(page.get_by_label(f"Select {first}")).to_be_checked()

    # When they apply again, over the ticket as it is now
    bar.get_by_role("button", name="Apply to 1 ticket").click()
    expect(result).to_have_text("1 changed.")
    assert _ticket(desk, token, first)["assignee"] == "ira@example.com"
    expect(bar).to_be_hidden()

    # When they select the page and add tags: each ticket keeps its own
    page.get_by_label("Select all on this page").check()
    expect(bar).to_contain_text("3 selected")
    bar.get_by_label("Action").select_option(label="Add tags")
    bar.get_by_label("Tags to add").fill("VIP, refund")
    bar.get_by_role("button", name="Apply to 3 tickets").click()
    expect(result).to_have_text("3 changed.")
    assert set(_ticket(desk, token, first)["tags"]) >= {"damaged", "vip", "refund"}
    assert {"vip", "refund"} <= set(_ticket(desk, token, second)["tags"])
    assert "damaged" not in _ticket(desk, token, second)["tags"]

    # And a value no ticket can take is said in the bar, nothing changed: tags the desk would
    # refuse, before anything is sent; an agent who left meanwhile, in the API's words
    page.get_by_label("Select all on this page").check()
    bar.get_by_label("Tags to add").fill("free shipping!")
    bar.get_by_role("button", name="Apply to 3 tickets").click()
    expect(bar.get_by_role("alert")).to_contain_text("“shipping!” cannot be a tag")
    AgentStore(desk.settings.tables.agents, desk.settings.region).revoke("ira@example.com")
    bar.get_by_label("Action").select_option(label="Assign")
    bar.get_by_label("Assign to").select_option(label="Ira Novak (ira@example.com)")
    bar.get_by_role("button", name="Apply to 3 tickets").click()
    expect(bar.get_by_role("alert")).to_contain_text("no active agent has the address")
    expect(result).to_be_hidden()

    # When they merge the selection, keeping the third
    bar.get_by_label("Action").select_option(label="Merge into one")
    bar.get_by_label("Ticket to keep").select_option(value=third)
    bar.get_by_role("button", name=f"Merge 2 tickets into {third}").click()

    # Then the two others went into it
    expect(result).to_have_text(f"2 merged into {third}.")
    assert _ticket(desk, token, first)["merged_into"] == third
    assert _ticket(desk, token, second)["merged_into"] == third
    expect(rows).to_have_count(1)
    expect(bar).to_be_hidden()


def test_priority_queue_category_and_tags_removed_for_a_selection_chosen_from_the_desks_lists(
    desk: RunningDesk, page: Page
) -> None:
    # Given two tagged tickets
    token = desk.add_agent("eli@example.com", "Eli Moss")
    first = desk.deliver(build_mail(subject="Select one"))
    second = desk.deliver(build_mail(subject="Select two"))
    for ref, tags in ((first, ["vip", "damaged"]), (second, ["vip"])):
        version = _ticket(desk, token, ref)["version"]
        api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, "tags": tags})
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token)

    def select_both() -> None:
        page.get_by_label(f"Select {first}").check()
        page.get_by_label(f"Select {second}").check()

    select_both()
    bar = page.get_by_role("form", name="Change the selected tickets")
    result = page.locator("#bulk-result")

    # When the agent raises their priority
    bar.get_by_label("Action").select_option(label="Priority")
    bar.get_by_label("New priority").select_option(label="Urgent")
    bar.get_by_role("button", name="Apply to 2 tickets").click()
    expect(result).to_have_text("2 changed.")
    assert {_ticket(desk, token, ref)["priority"] for ref in (first, second)} == {"urgent"}

    # When they move them to a queue chosen from the desk's queues (never typed)
    select_both()
    bar.get_by_label("Action").select_option(label="Queue")
    queue = bar.get_by_label("Move to queue")
    desks_queues = [entry["name"] for entry in api_ok(desk, token, "GET", "/queues")["queues"]]
    expect(queue.locator("option")).to_have_text(desks_queues)
    queue.select_option("billing")
    page.screenshot(path=str(SCREENSHOTS / "bulk-queue-1366.png"))
    bar.get_by_role("button", name="Apply to 2 tickets").click()
    expect(result).to_have_text("2 changed.")
    assert {_ticket(desk, token, ref)["queue"] for ref in (first, second)} == {"billing"}

    # When they set a category chosen from the desk's categories
    select_both()
    bar.get_by_label("Action").select_option(label="Category")
    bar.get_by_label("New category").select_option(label="Feedback")
    bar.get_by_role("button", name="Apply to 2 tickets").click()
    expect(result).to_have_text("2 changed.")
    assert {_ticket(desk, token, ref)["category"] for ref in (first, second)} == {"feedback"}

    # When they remove a tag: each ticket keeps its other tags
    select_both()
    bar.get_by_label("Action").select_option(label="Remove tags")
    bar.get_by_label("Tags to remove").fill("VIP")
    bar.get_by_role("button", name="Apply to 2 tickets").click()
    expect(result).to_have_text("2 changed.")
    assert _ticket(desk, token, first)["tags"] == ["damaged"]
    assert _ticket(desk, token, second)["tags"] == []

    # And each ticket's history says what was done to it, in words
    page.get_by_role("link", name=first).click()
    history = page.locator("#events")
    expect(history).to_contain_text("Eli Moss changed the queue")
    expect(history).to_contain_text("Eli Moss changed the priority")
    expect(history).to_contain_text("Eli Moss removed the tag vip")


def test_the_bulk_bar_works_on_a_phone_and_not_in_the_quarantine(desk: RunningDesk, page: Page) -> None:
    # Given two tickets and an agent on a phone
    token = desk.add_agent("noa@example.com", "Noa Berg")
    first = desk.deliver(build_mail(subject="Phone one"))
    second = desk.deliver(build_mail(subject="Phone two"))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, desk, token)
    expect(page.get_by_label(f"Select {second}")).to_be_visible()

    # When they select both and choose a status
    page.get_by_label(f"Select {first}").check()
    page.get_by_label(f"Select {second}").check()
    bar = page.get_by_role("form", name="Change the selected tickets")
    expect(bar).to_contain_text("2 selected")
    bar.get_by_label("Action").select_option(label="Status")
    bar.get_by_label("New status").select_option(label="Pending")

    # Then the bar fits the screen, nothing scrolls sideways
    apply = bar.get_by_role("button", name="Apply to 2 tickets")
    expect(apply).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bulk-bar-390.png"), full_page=True)

    # And applying changes both
    apply.click()
    expect(page.locator("#bulk-result")).to_have_text("2 changed.")
    assert _ticket(desk, token, first)["status"] == "pending"
    assert _ticket(desk, token, second)["status"] == "pending"
    page.screenshot(path=str(SCREENSHOTS / "bulk-result-390.png"), full_page=True)

    # And the quarantine has no checkboxes and no bar
    page.get_by_role("link", name="Quarantine").click()
    expect(page.locator("#queue-title")).to_have_text("Quarantine")
    expect(page.get_by_label("Select all on this page")).to_be_hidden()
    expect(bar).to_be_hidden()
