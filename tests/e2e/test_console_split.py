"""Splitting a customer's later message off into a ticket of its own, in a real browser against the
desk on a local moto server: the button is on each later customer message (not the first), a small
dialog says which message and what the split does, and confirming opens the new ticket; the source's
history says where the message went."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, call_api, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def _ticket_with_a_second_question(desk: RunningDesk, subject: str) -> str:
    ref = desk.deliver(build_mail(subject=subject, body="Hello,\n\nthe boots are too small.\n\nJane"))
    again = desk.deliver(
        build_mail(
            subject=f"Re: [#{ref}] {subject}",
            body="Hello again,\n\nalso: my invoice 88 shows the wrong address.\n\nJane",
        )
    )
    assert again == ref
    return ref


def test_an_agent_splits_a_later_message_into_a_new_ticket_and_lands_on_it(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket whose customer asked a second, unrelated question in a later mail
    token = desk.add_agent("sam@example.com", "Sam Lee")
    source = _ticket_with_a_second_question(desk, "Boots too small")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{source}")
    expect(page.locator("#ticket-subject")).to_have_text("Boots too small")
    messages = page.locator("#thread > li.kind-customer")
    expect(messages).to_have_count(2)

    # Then only the later message can be split: the first one is the ticket
    split = page.get_by_role("button", name="Split into a new ticket")
    expect(split).to_have_count(1)
    expect(messages.nth(0).get_by_role("button", name="Split into a new ticket")).to_have_count(0)
    later = messages.nth(1).get_by_role("button", name="Split into a new ticket")

    # When the agent chooses it, a dialog says which message and what the split does
    later.click()
    dialog = page.get_by_role("dialog", name=f"Split this message off {source} into a new ticket")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("also: my invoice 88 shows the wrong address.")
    expect(dialog).to_contain_text("From Jane Doe <jane.doe@customer.example>")
    expect(dialog).to_contain_text("Nobody is mailed.")
    confirm = dialog.get_by_role("button", name="Create the new ticket")
    expect(confirm).to_be_focused()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "split-dialog-1366.png"))

    # And Esc or Cancel leaves everything as it was, the focus back on the message's button
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(later).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(later).to_be_focused()
    assert not [e for e in api_ok(desk, token, "GET", f"/tickets/{source}")["events"] if e["kind"] == "split"]

    # When they confirm
    later.click()
    confirm.click()

    # Then the new ticket opens with the message as its first, saying where it came from
    expect(page).to_have_url(re.compile(r"#/tickets/(?!" + source + r")[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$"))
    new_ref = page.url.rsplit("/", 1)[1]
    notice = page.locator("#ticket-notice")
    expect(notice).to_contain_text(f"Split off from {source}: this message is now a ticket of its own.")
    expect(notice).to_be_in_viewport()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("my invoice 88 shows the wrong address")
    expect(thread).not_to_contain_text("the boots are too small")
    # its only customer message is its first: nothing on it to split again
    expect(page.get_by_role("button", name="Split into a new ticket")).to_have_count(0)
    expect(page.locator("#events")).to_contain_text(f"Split off from {source} (Boots too small) by Sam Lee")
    page.screenshot(path=str(SCREENSHOTS / "split-new-ticket-1366.png"))

    # And the source keeps the message, its history saying where it went
    page.go_back()
    expect(page.locator("#ticket-subject")).to_have_text("Boots too small")
    expect(page.locator("#thread")).to_contain_text("my invoice 88 shows the wrong address")
    expect(page.locator("#events")).to_contain_text(
        re.compile(rf"Sam Lee split Jane Doe's message off into ticket {new_ref}")
    )
    # and splitting it again gives the same ticket, not a second one
    thread_now = api_ok(desk, token, "GET", f"/tickets/{source}")["thread"]
    message_id = [message for message in thread_now if message["kind"] == "customer"][1]["id"]
    status, again = call_api(desk, token, "POST", f"/tickets/{source}/messages/{message_id}/split")
    assert (status, again["ticket"]["ref"]) == (200, new_ref)


def test_the_split_dialog_fits_a_phone_and_a_merged_ticket_offers_no_split(
    desk: RunningDesk, page: Page
) -> None:
    # Given an agent on a phone, on a ticket with a later customer message
    token = desk.add_agent("ira@example.com", "Ira Novak")
    source = _ticket_with_a_second_question(desk, "Wrong size")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, desk, token, f"#/tickets/{source}")
    expect(page.locator("#ticket-subject")).to_have_text("Wrong size")

    # When they open the split dialog
    page.get_by_role("button", name="Split into a new ticket").click()
    dialog = page.get_by_role("dialog", name=f"Split this message off {source} into a new ticket")

    # Then it fits the screen, its buttons in reach, and nothing scrolls sideways
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    expect(dialog.get_by_role("button", name="Create the new ticket")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "split-dialog-390.png"))
    dialog.get_by_role("button", name="Cancel").click()

    # When the ticket is merged into another one
    other = desk.deliver(build_mail(subject="Other", sender="Tom Berg <tom.berg@customer.example>"))
    version = api_ok(desk, token, "GET", f"/tickets/{source}")["ticket"]["version"]
    api_ok(desk, token, "POST", f"/tickets/{source}/merge", {"into": other, "version": version})
    page.reload()

    # Then it is read-only: no message of it can be split
    expect(page.locator("#merged-banner")).to_be_visible()
    expect(page.get_by_role("button", name="Split into a new ticket")).to_have_count(0)
