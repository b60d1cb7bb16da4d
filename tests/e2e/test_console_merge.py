"""Merging a ticket into another in the console, in a real browser against the desk on a local moto
server: the agent types the other ticket's reference, sees which ticket it is, confirms, and lands
on it; the merged ticket then says where it went and takes no more work. What cannot be merged is
said in words in the dialog."""

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


def test_an_agent_merges_a_ticket_into_the_one_they_see_and_the_merged_one_is_read_only(
    desk: RunningDesk, page: Page
) -> None:
    # Given a customer who wrote twice about the same boots, and an agent on the second ticket
    token = desk.add_agent("sam@example.com", "Sam Lee")
    target = desk.deliver(
        build_mail(subject="Boots too small", body="Hello,\n\nthe boots are too small.\n\nJane")
    )
    source = desk.deliver(
        build_mail(subject="Exchange please", body="Hello,\n\ncan I have size 39 instead?\n\nJane")
    )
    sign_in(page, desk, token, f"#/tickets/{source}")
    expect(page.locator("#ticket-subject")).to_have_text("Exchange please")

    # When they choose "Merge into…" and type the other reference as they read it, in lower case
    page.get_by_role("button", name="Merge into…").click()
    dialog = page.get_by_role("dialog", name=f"Merge {source} into another ticket")
    expect(dialog).to_be_visible()
    into = dialog.get_by_label("Reference of the ticket to keep")
    expect(into).to_be_focused()
    confirm = dialog.locator("#merge-confirm")
    expect(confirm).to_be_disabled()
    into.press_sequentially(target.lower().replace("-", ""), delay=20)

    # Then the dialog shows which ticket that is before anything happens
    card = dialog.locator(".merge-card")
    expect(card).to_contain_text("Boots too small")
    expect(card).to_contain_text("Jane Doe <jane.doe@customer.example>")
    expect(card).to_contain_text(target)
    expect(confirm).to_be_enabled()
    expect(confirm).to_have_text(f"Merge into {target}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "merge-dialog-1366.png"))

    # When they confirm
    confirm.click()

    # Then the ticket that keeps the conversation opens, holding both mails, and says what joined it
    expect(page).to_have_url(re.compile(f"#/tickets/{target}$"))
    expect(page.locator("#ticket-subject")).to_have_text("Boots too small")
    expect(page.locator("#ticket-notice")).to_contain_text(f"{source} was merged into this ticket")
    thread = page.locator("#thread")
    expect(thread).to_contain_text("the boots are too small")
    expect(thread).to_contain_text("can I have size 39 instead?")
    expect(page.locator("#events")).to_contain_text(
        f"Ticket {source} (Exchange please) merged into this one by Sam Lee"
    )
    assert api_ok(desk, token, "GET", f"/tickets/{source}")["ticket"]["merged_into"] == target

    # When the agent goes back to the merged ticket
    page.go_back()
    expect(page.locator("#ticket-subject")).to_have_text("Exchange please")

    # Then it says where it went, and nothing on it can be changed
    banner = page.locator("#merged-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"Merged into {target} (Boots too small)")
    expect(page.locator("#events")).to_contain_text(f"Merged into {target} (Boots too small) by Sam Lee")
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()
    expect(page.locator("#send-reply")).to_be_disabled()
    expect(page.get_by_label("Note for the team (never mailed)")).to_be_disabled()
    expect(page.locator("#add-note")).to_be_disabled()
    properties = page.get_by_role("region", name="Properties")
    expect(properties.get_by_label("Status")).to_be_disabled()
    expect(properties.get_by_role("button", name="Save")).to_be_disabled()
    expect(page.get_by_role("button", name="Merge into…")).to_be_hidden()
    # and the reply and note boxes give way to where to write; the subject has no edit button
    expect(page.locator("#reply-card")).to_be_hidden()
    expect(page.locator("#note-card")).to_be_hidden()
    expect(page.locator("#merged-compose")).to_have_text(
        f"Replies and notes go on {target}, the ticket this one was merged into."
    )
    expect(page.get_by_role("button", name="Edit subject")).to_be_hidden()
    # and the reply key finds no box to write in
    page.locator("#ticket-subject").click()
    page.keyboard.press("r")
    expect(page.get_by_label("Message", exact=True)).not_to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "merged-ticket-1366.png"))

    # And the banner's link leads to the ticket it went into
    banner.get_by_role("link", name=target).click()
    expect(page.locator("#ticket-subject")).to_have_text("Boots too small")
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Edit subject")).to_be_visible()
    expect(page.locator("#merged-compose")).to_be_hidden()


def test_the_merge_dialog_says_in_words_what_cannot_be_merged_and_merges_after_a_conflict(
    desk: RunningDesk, page: Page
) -> None:
    # Given an agent on a ticket, and another customer's ticket
    token = desk.add_agent("ira@example.com", "Ira Novak")
    target = desk.deliver(build_mail(subject="Lost parcel", sender="Tom Berg <tom.berg@customer.example>"))
    source = desk.deliver(build_mail(subject="Parcel?"))
    sign_in(page, desk, token, f"#/tickets/{source}")
    expect(page.locator("#ticket-subject")).to_have_text("Parcel?")
    page.get_by_role("button", name="Merge into…").click()
    dialog = page.get_by_role("dialog", name=f"Merge {source} into another ticket")
    into = dialog.get_by_label("Reference of the ticket to keep")
    confirm = dialog.locator("#merge-confirm")
    shown = dialog.locator("#merge-target")

    # Then what is not a reference, no ticket, or this very ticket is said, and nothing can be confirmed
    into.fill("boots")
    expect(shown).to_have_text("A reference has eight letters and digits, such as K7Q2-M9XD.")
    expect(confirm).to_be_disabled()
    into.fill("ZZZZ-ZZZZ")
    expect(shown).to_have_text("No ticket ZZZZ-ZZZZ: check the reference.")
    expect(confirm).to_be_disabled()
    into.fill(source)
    expect(shown).to_have_text("That is this ticket: give the reference of the one to keep.")
    expect(confirm).to_be_disabled()

    # And another customer's ticket is shown with what the merge does to its copies
    into.fill(f"[#{target}]")
    expect(dialog.locator(".merge-card")).to_contain_text("Lost parcel")
    expect(dialog.locator(".merge-card")).to_contain_text(
        f"Jane Doe <jane.doe@customer.example> is another customer: they will be copied (Cc) on the "
        f"replies of {target}."
    )

    # When a colleague changes the ticket before the agent confirms
    version = api_ok(desk, token, "GET", f"/tickets/{source}")["ticket"]["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{source}", {"version": version, "priority": "urgent"})
    confirm.click()

    # Then the dialog says so in words, and the ticket behind it is shown as it is now
    error = dialog.locator("#merge-error")
    expect(error).to_contain_text(f"Ticket {source} was changed by someone else since you opened it")
    expect(page.get_by_role("region", name="Properties").get_by_label("Priority")).to_have_value("urgent")

    # When they confirm again, over what they now see (the button waits for the ticket to reload)
    expect(confirm).to_be_enabled()
    confirm.click()

    # Then the merge is made
    expect(page).to_have_url(re.compile(f"#/tickets/{target}$"))
    expect(page.locator("#ticket-notice")).to_contain_text(f"{source} was merged into this ticket")


def test_the_merge_dialog_is_a_keyboard_dialog(desk: RunningDesk, page: Page) -> None:
    # Given an agent on a ticket
    token = desk.add_agent("noa@example.com", "Noa Berg")
    source = desk.deliver(build_mail(subject="Where is it?"))
    sign_in(page, desk, token, f"#/tickets/{source}")
    expect(page.locator("#ticket-subject")).to_have_text("Where is it?")

    # When they open the dialog from the keyboard
    opener = page.get_by_role("button", name="Merge into…")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Merge {source} into another ticket")
    expect(dialog.get_by_label("Reference of the ticket to keep")).to_be_focused()
    # the keys of the page do nothing while it is open
    page.keyboard.press("Escape")

    # Then Esc closes it and the focus is back on the button
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
