"""A ticket's fields on its page, in a real browser against the desk on a local moto server: the queue
and category chosen from the desk's lists, tags in an editor (Enter or a comma adds, a button removes),
the subject edited in place (Enter saves, Escape cancels), each save one PATCH over the version on
screen and told in the history in words; a colleague's change meanwhile said in words with the
agent's own edit kept; who is on the thread (Cc) and where a reply goes; drafts kept per agent and
ticket across a reload and signing out and in, dropped on a send; and a slow answer for a ticket left
behind never replacing the ticket opened since."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in, sign_in_by_form
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390


def _ticket(desk: RunningDesk, token: str, ref: str) -> dict[str, Any]:
    ticket: dict[str, Any] = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    return ticket


def _edit(desk: RunningDesk, token: str, ref: str, **change: Any) -> None:
    version = _ticket(desk, token, ref)["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, **change})


def _open(page: Page, desk: RunningDesk, ref: str, subject: str) -> None:
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text(subject)


def _no_sideways_scroll(page: Page) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_an_agent_sets_queue_category_tags_and_subject_and_the_history_says_so(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket in the default queue with a tag, and an agent on its page
    token = desk.add_agent("sam@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Parcel never came"))
    _edit(desk, token, ref, tags=["damaged"])
    before = _ticket(desk, token, ref)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Parcel never came")
    properties = page.get_by_role("region", name="Properties")

    # Then the queue and category are chosen from the desk's lists, showing the ticket's own
    queue = properties.get_by_label("Queue")
    expect(queue).to_have_value(before["queue"])
    assert {"support", "billing", "orders", "technical"} <= set(
        queue.locator("option").evaluate_all("options => options.map(option => option.value)")
    )
    category = properties.get_by_label("Category")
    expect(category).to_have_value(before["category"])
    expect(category.locator("option")).to_have_count(6)

    # When the agent chooses a queue and a category, and types tags: Enter and a comma add them,
    # in lower case as the desk keeps them
    queue.select_option("billing")
    chosen = "feedback" if before["category"] != "feedback" else "account"
    category.select_option(label=chosen.capitalize())
    tag_box = properties.get_by_label("Add a tag")
    tag_box.fill("VIP")
    tag_box.press("Enter")
    tag_box.type("refund,")
    tags = properties.get_by_role("list", name="Tags on this ticket")
    expect(tags.get_by_role("listitem")).to_have_text(
        [re.compile("damaged"), re.compile("vip"), re.compile("refund")]
    )
    expect(tag_box).to_have_value("")

    # And what the desk would refuse is said, not added
    tag_box.fill("free-shipping!")
    tag_box.press("Enter")
    expect(properties.get_by_role("alert").first).to_contain_text("“free-shipping!” cannot be a tag")
    expect(tags.get_by_role("listitem")).to_have_count(3)
    tag_box.fill("")

    # When they remove a tag with its button: the focus moves to the next one
    properties.get_by_role("button", name="Remove tag damaged").click()
    expect(properties.get_by_role("button", name="Remove tag vip")).to_be_focused()
    expect(properties.locator("#properties-unsaved")).to_have_text("Not saved yet: queue, category and tags.")
    page.screenshot(path=str(SCREENSHOTS / "ticket-fields-1366.png"), full_page=True)

    # And save
    properties.get_by_role("button", name="Save", exact=True).click()

    # Then the desk has them, as one change, and the history says each in words
    expect(properties.locator("#properties-message")).to_have_text("Saved: queue, category and tags.")
    expect(properties.locator("#properties-unsaved")).to_be_hidden()
    after = _ticket(desk, token, ref)
    assert (after["queue"], after["category"], after["tags"]) == ("billing", chosen, ["vip", "refund"])
    assert after["version"] == before["version"] + 1
    history = page.locator("#events")
    expect(history).to_contain_text(f"Sam Lee changed the queue from {before['queue']} to billing")
    expect(history).to_contain_text(f"Sam Lee changed the category from {before['category']} to {chosen}")
    expect(history).to_contain_text("Sam Lee added the tags vip and refund and removed the tag damaged")

    # When they edit the subject and press Escape: nothing changes
    page.get_by_role("button", name="Edit subject").click()
    subject_box = page.get_by_label("Subject", exact=True)
    expect(subject_box).to_be_focused()
    expect(subject_box).to_have_value("Parcel never came")
    subject_box.fill("Something else")
    subject_box.press("Escape")
    expect(page.locator("#ticket-subject")).to_have_text("Parcel never came")
    expect(page.get_by_role("button", name="Edit subject")).to_be_focused()
    assert _ticket(desk, token, ref)["subject"] == "Parcel never came"

    # When they edit it again and press Enter: it is saved, and told in the history
    page.get_by_role("button", name="Edit subject").click()
    subject_box.fill("Parcel 4711 never came")
    subject_box.press("Enter")
    expect(page.locator("#ticket-subject")).to_have_text("Parcel 4711 never came")
    expect(subject_box).to_be_hidden()
    assert _ticket(desk, token, ref)["subject"] == "Parcel 4711 never came"
    expect(history).to_contain_text(
        "Sam Lee changed the subject from “Parcel never came” to “Parcel 4711 never came”"
    )

    # And an empty subject is refused in words before anything is sent
    page.get_by_role("button", name="Edit subject").click()
    subject_box.fill("   ")
    subject_box.press("Enter")
    expect(page.locator("#subject-error")).to_contain_text("A ticket needs a subject")
    subject_box.press("Escape")

    # And on a phone the fields fit the screen, nothing scrolls sideways
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    page.get_by_role("button", name="Edit subject").click()
    properties.scroll_into_view_if_needed()
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "ticket-fields-390.png"), full_page=True)


def test_a_colleagues_change_meanwhile_is_said_in_words_and_the_agents_edit_is_kept(
    desk: RunningDesk, page: Page
) -> None:
    # Given an agent on a ticket, and a colleague who raises its priority meanwhile
    token = desk.add_agent("lou@example.com", "Lou Park")
    colleague = desk.add_agent("ira@example.com", "Ira Novak")
    ref = desk.deliver(build_mail(subject="Invoice twice"))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Invoice twice")
    before = _ticket(desk, token, ref)
    _edit(desk, colleague, ref, priority="urgent")

    # When the agent, over what they saw, lowers the priority and moves the ticket to billing
    properties = page.get_by_role("region", name="Properties")
    properties.get_by_label("Priority").select_option("low")
    moved = "technical" if before["queue"] != "technical" else "orders"
    properties.get_by_label("Queue").select_option(moved)
    properties.get_by_role("button", name="Save", exact=True).click()

    # Then they read that a colleague changed the ticket, what they did, and that their own choices
    # are kept in the form, not saved
    message = properties.locator("#properties-message")
    expect(message).to_contain_text(
        f"A colleague changed this ticket while you were editing it: Ira Novak changed the priority from "
        f"{before['priority']} to urgent."
    )
    expect(message).to_contain_text("your changes to the priority and queue kept in the form, not saved yet")
    expect(message).to_contain_text("They changed the priority too: the form shows your choice.")
    expect(properties.get_by_label("Priority")).to_have_value("low")
    expect(properties.get_by_label("Queue")).to_have_value(moved)
    expect(properties.locator("#properties-unsaved")).to_have_text("Not saved yet: priority and queue.")
    expect(page.locator("#events")).to_contain_text("Ira Novak changed the priority")
    assert _ticket(desk, token, ref)["priority"] == "urgent"
    page.screenshot(path=str(SCREENSHOTS / "ticket-fields-conflict-1366.png"), full_page=True)

    # When they save again, over the ticket as it is now
    properties.get_by_role("button", name="Save", exact=True).click()
    expect(message).to_have_text("Saved: priority and queue.")
    now = _ticket(desk, token, ref)
    assert (now["priority"], now["queue"]) == ("low", moved)

    # And the subject: a colleague's change meanwhile keeps what the agent typed in the box
    page.get_by_role("button", name="Edit subject").click()
    subject_box = page.get_by_label("Subject", exact=True)
    subject_box.fill("Invoice sent twice in May")
    _edit(desk, colleague, ref, tags=["billing-error"])
    subject_box.press("Enter")
    expect(page.locator("#subject-error")).to_contain_text(
        "A colleague changed this ticket while you were editing it: Ira Novak added the tag billing-error."
    )
    expect(subject_box).to_have_value("Invoice sent twice in May")
    subject_box.press("Enter")
    expect(page.locator("#ticket-subject")).to_have_text("Invoice sent twice in May")
    assert _ticket(desk, token, ref)["subject"] == "Invoice sent twice in May"


def test_the_cc_of_a_ticket_and_where_a_reply_goes_are_shown(desk: RunningDesk, page: Page) -> None:
    # Given a customer's mail copied to two colleagues of theirs
    token = desk.add_agent("kim@example.com", "Kim Oh")
    ref = desk.deliver(
        build_mail(subject="Team order", cc="Pat Doe <pat@customer.example>, lee@customer.example")
    )

    # When an agent opens it
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Team order")

    # Then the people on the thread show under the subject, labelled Cc, and above the reply box
    # where the reply goes: to the requester, copied to them
    cc = page.locator("#ticket-cc")
    expect(cc).to_have_text("Cc pat@customer.example, lee@customer.example")
    recipients = page.locator("#reply-recipients")
    expect(recipients).to_contain_text("To Jane Doe <jane.doe@customer.example>")
    reply_cc = page.locator("#reply-cc-list .tag-name")
    expect(reply_cc).to_have_text(["pat@customer.example", "lee@customer.example"])
    page.screenshot(path=str(SCREENSHOTS / "ticket-cc-1366.png"))

    # And a ticket without Cc says only where the reply goes
    alone = desk.deliver(build_mail(subject="Just me", sender="solo@customer.example"))
    _open(page, desk, alone, "Just me")
    expect(cc).to_be_hidden()
    expect(recipients).to_have_text(re.compile(r"^To .*solo@customer\.example>?$"))


def test_drafts_are_kept_per_agent_and_ticket_and_dropped_once_sent(desk: RunningDesk, page: Page) -> None:
    # Given two agents sharing a browser, and two tickets
    token = desk.add_agent("ada@example.com", "Ada Stone")
    other = desk.add_agent("bo@example.com", "Bo Lind")
    ref = desk.deliver(build_mail(subject="Draft one"))
    second = desk.deliver(build_mail(subject="Draft two", sender="two@customer.example"))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Draft one")

    # When Ada writes a reply and a note and leaves them unsent
    page.get_by_label("Message", exact=True).fill("Hello, we are looking into it.")
    page.get_by_label("Note for the team (never mailed)").fill("Check the warehouse first.")
    expect(page.locator("#reply-draft")).to_have_text("Draft saved")
    expect(page.locator("#note-draft")).to_have_text("Draft saved")

    # Then another ticket has its own (empty) boxes, and a reload gives the drafts back
    _open(page, desk, second, "Draft two")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    page.reload()
    expect(page.locator("#ticket-subject")).to_have_text("Draft two")
    _open(page, desk, ref, "Draft one")
    expect(page.get_by_label("Message", exact=True)).to_have_value("Hello, we are looking into it.")
    expect(page.get_by_label("Note for the team (never mailed)")).to_have_value("Check the warehouse first.")
    expect(page.locator("#reply-draft")).to_contain_text("Draft restored")

    # When Ada signs out and Bo signs in on the same browser: Bo never sees Ada's drafts
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in_by_form(page, desk, other)
    expect(page.locator("#ticket-subject")).to_have_text("Draft one")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    expect(page.get_by_label("Note for the team (never mailed)")).to_have_value("")

    # When Ada signs in again: her drafts are there
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in_by_form(page, desk, token)
    expect(page.get_by_label("Message", exact=True)).to_have_value("Hello, we are looking into it.")

    # When a send fails, the draft stays (and a reload still has it)
    page.route(
        re.compile(rf"/tickets/{ref}/replies$"),
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"error": "Unavailable", "message": "The desk is busy, try again."}),
        ),
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-message")).to_have_text(
        "Not confirmed: the desk did not say whether your reply was sent (it answered 503). It is not in"
        " the thread yet. Send it again as it is: that is safe, the desk will not do it twice. Your"
        " text is kept as a draft."
    )
    page.unroute(re.compile(rf"/tickets/{ref}/replies$"))
    page.reload()
    expect(page.get_by_label("Message", exact=True)).to_have_value("Hello, we are looking into it.")

    # When the reply and the note are sent: their drafts are gone, after a reload too
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread")).to_contain_text("Hello, we are looking into it.")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#thread")).to_contain_text("Check the warehouse first.")
    page.reload()
    expect(page.locator("#ticket-subject")).to_have_text("Draft one")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    expect(page.get_by_label("Note for the team (never mailed)")).to_have_value("")
    expect(page.locator("#reply-draft")).to_have_text("")

    # And a draft left for over 30 days is dropped rather than restored
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    key = "postdesk.draft:" + json.dumps(["ada@example.com", second, "reply"], separators=(",", ":"))
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)",
        [key, json.dumps({"text": "Stale words", "saved_at": old})],
    )
    _open(page, desk, second, "Draft two")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    assert page.evaluate("key => localStorage.getItem(key)", key) is None


def test_a_late_answer_for_the_ticket_left_behind_never_replaces_the_one_opened_since(
    desk: RunningDesk, page: Page
) -> None:
    # Given two tickets and an agent on the list
    token = desk.add_agent("max@example.com", "Max Roe")
    first = desk.deliver(build_mail(subject="Slow ticket"))
    second = desk.deliver(build_mail(subject="Quick ticket", sender="quick@customer.example"))
    sign_in(page, desk, token)
    expect(page.get_by_role("link", name=first)).to_be_visible()
    first_before = _ticket(desk, token, first)

    # And the desk's answer for the first ticket is held back
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(rf"/tickets/{first}$"), hold)

    # When the agent opens the first, and before it comes, the second
    page.get_by_role("link", name=first).click()
    expect(page.locator("#ticket-meta")).to_contain_text("Loading")
    page.wait_for_timeout(500)
    assert held, "the first ticket's answer was not held"
    page.evaluate("ref => { location.hash = `#/tickets/${ref}`; }", second)
    expect(page.locator("#ticket-subject")).to_have_text("Quick ticket")

    # And the first's answer arrives late (about two seconds after it was asked for)
    page.wait_for_timeout(1500)
    for route in held:
        # The console may have given the request up when the second ticket was opened.
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    page.unroute(re.compile(rf"/tickets/{first}$"))
    page.wait_for_timeout(500)

    # Then the second stays on screen, and a status change goes to it, not to the first
    expect(page.locator("#ticket-subject")).to_have_text("Quick ticket")
    expect(page.locator("#ticket-meta")).to_contain_text(second)
    properties = page.get_by_role("region", name="Properties")
    properties.get_by_label("Status").select_option("resolved")
    properties.get_by_role("button", name="Save", exact=True).click()
    expect(properties.locator("#properties-message")).to_have_text("Saved: status.")
    assert _ticket(desk, token, second)["status"] == "resolved"
    first_now = _ticket(desk, token, first)
    assert (first_now["status"], first_now["version"]) == (first_before["status"], first_before["version"])

    # When the agent changes the first ticket and moves on before the desk answers
    _open(page, desk, first, "Slow ticket")
    second_before = _ticket(desk, token, second)
    saves: list[Route] = []

    def hold_change(route: Route) -> None:
        if route.request.method == "PATCH":
            saves.append(route)
        else:
            route.continue_()

    page.route(re.compile(rf"/tickets/{first}$"), hold_change)
    properties.get_by_label("Priority").select_option("urgent")
    properties.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_timeout(300)
    assert saves, "the first ticket's change was not held"
    page.evaluate("ref => { location.hash = `#/tickets/${ref}`; }", second)
    expect(page.locator("#ticket-subject")).to_have_text("Quick ticket")
    saves[0].continue_()
    page.unroute(re.compile(rf"/tickets/{first}$"))

    # Then the change went to the first ticket, and its answer never shows over the second
    for _ in range(50):
        if _ticket(desk, token, first)["priority"] == "urgent":
            break
        page.wait_for_timeout(100)
    assert _ticket(desk, token, first)["priority"] == "urgent"
    page.wait_for_timeout(500)
    expect(page.locator("#ticket-subject")).to_have_text("Quick ticket")
    expect(properties.get_by_label("Status")).to_have_value("resolved")
    expect(properties.locator("#properties-message")).to_be_hidden()
    assert _ticket(desk, token, second) == second_before
    page.screenshot(path=str(SCREENSHOTS / "ticket-late-answer-1366.png"))
