"""The quarantine in the console, in a real browser against the desk on a local moto server: the
list of held mail with why each was held, its place in the address, and "Not spam" on a held
ticket, which puts it in the queue as a new ticket and (ticked by default) trusts its sender."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import call_api, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390


def _quarantined(desk: RunningDesk, token: str, ref: str) -> bool:
    status, document = call_api(desk, token, "GET", f"/tickets/{ref}")
    assert status == 200, document
    return document["ticket"]["quarantine"] is not None


def test_the_quarantine_lists_held_mail_and_not_spam_puts_one_in_the_queue(
    desk: RunningDesk, page: Page
) -> None:
    # Given a customer's mail SES took for spam, a mail with a virus, and an ordinary one
    token = desk.add_agent("sam@example.com", "Sam Lee")
    sender = "Mia Roth <mia.roth@customer.example>"
    spam = desk.deliver(build_mail(subject="Wholesale order", sender=sender), verdicts={"spam": "FAIL"})
    virus = desk.deliver(
        build_mail(subject="Invoice attached", sender="Bad Actor <x@malware.example>"),
        verdicts={"virus": "FAIL"},
    )
    ordinary = desk.deliver(build_mail(subject="Zip broken"))

    # When the agent opens the Quarantine list
    sign_in(page, desk, token)
    expect(page.locator(f'#queue-rows tr[data-ref="{ordinary}"]')).to_be_visible()
    expect(page.locator(f'#queue-rows tr[data-ref="{spam}"]')).to_have_count(0)
    lists = page.get_by_role("navigation", name="Lists")
    lists.get_by_role("link", name="Quarantine").click()

    # Then it lists the held mail with why each was held, and the address says which list it is
    expect(page.get_by_role("heading", name="Quarantine", level=1)).to_be_visible()
    expect(lists.get_by_role("link", name="Quarantine")).to_have_attribute("aria-current", "page")
    held = page.locator("#quarantine-rows")
    spam_row = held.locator(f'tr[data-ref="{spam}"]')
    expect(spam_row).to_contain_text("Wholesale order")
    expect(spam_row).to_contain_text("Mia Roth <mia.roth@customer.example>")
    expect(spam_row.locator(".held-reason")).to_have_text("Spam SES spam verdict FAIL")
    expect(held.locator(f'tr[data-ref="{virus}"] .held-reason')).to_have_text("Virus SES virus verdict FAIL")
    expect(held.locator(f'tr[data-ref="{ordinary}"]')).to_have_count(0)
    expect(page.locator("#queue-summary")).to_have_text("2 mails held.")
    assert parse_qs(urlsplit(page.url).query) == {"view": ["quarantine"]}
    expect(page).to_have_title("Quarantine · Postdesk")

    # And a reload shows the same list
    page.reload()
    expect(held.locator(f'tr[data-ref="{spam}"]')).to_be_visible()
    expect(page.locator("#queue-table")).to_be_hidden()

    # The list at both widths, for a person to look at (.postdesk/screenshots)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(SCREENSHOTS / "quarantine-1366.png"), full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"
    page.screenshot(path=str(SCREENSHOTS / "quarantine-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})

    # When they open the customer's mail
    spam_row.get_by_role("link", name=spam).click()

    # Then the page says it is held and why, with "Not spam" and the sender trusted by default
    box = page.get_by_role("region", name="Held in quarantine")
    expect(box).to_be_visible()
    expect(box.locator("#quarantine-reason")).to_have_text("Spam SES spam verdict FAIL")
    expect(box.get_by_label("Trust this sender from now on")).to_be_checked()
    # Held mail is not answered or changed before it is released; a note about it is fine
    expect(page.locator("#reply-body")).to_be_disabled()
    expect(page.locator("#ticket-status")).to_be_disabled()
    expect(page.locator("#note-body")).to_be_enabled()
    expect(page.get_by_role("button", name="Merge into…")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to the quarantine")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "quarantined-ticket-1366.png"))

    # When they release it
    box.get_by_role("button", name="Not spam").click()

    # Then it is an ordinary new ticket, and the history says who let it in and why it was held
    expect(box).to_be_hidden()
    expect(page.locator("#ticket-notice")).to_have_text(
        f"Released from quarantine: {spam} is in the queue as a new ticket."
    )
    meta = page.locator("#ticket-meta")
    expect(meta).to_contain_text("New")
    expect(meta).not_to_contain_text("Quarantined")
    expect(page.locator("#reply-body")).to_be_enabled()
    expect(page.locator("#events")).to_contain_text(
        "Released from quarantine (was: spam: SES spam verdict FAIL) by Sam Lee; the sender is trusted"
    )
    assert not _quarantined(desk, token, spam)

    # And back in the quarantine it is gone; in the tickets it is there
    page.get_by_role("link", name="Back to the quarantine").click()
    expect(held.locator(f'tr[data-ref="{virus}"]')).to_be_visible()
    expect(held.locator(f'tr[data-ref="{spam}"]')).to_have_count(0)
    lists.get_by_role("link", name="Tickets").click()
    expect(page.locator(f'#queue-rows tr[data-ref="{spam}"]')).to_be_visible()
    assert urlsplit(page.url).query == ""
    # and Back returns to the quarantine
    page.go_back()
    expect(page.get_by_role("heading", name="Quarantine", level=1)).to_be_visible()
    expect(held.locator(f'tr[data-ref="{virus}"]')).to_be_visible()

    # And the sender's next mail that SES takes for spam is not held
    later = desk.deliver(
        build_mail(subject="Wholesale order, part 2", sender=sender), verdicts={"spam": "FAIL"}
    )
    assert not _quarantined(desk, token, later)


def test_a_sender_left_untrusted_is_held_again(desk: RunningDesk, page: Page) -> None:
    # Given a held mail from a sender the agent does not want to vouch for
    token = desk.add_agent("ola@example.com", "Ola Lind")
    sender = "Ben Ode <ben.ode@customer.example>"
    held = desk.deliver(build_mail(subject="Prize inside", sender=sender), verdicts={"spam": "FAIL"})
    sign_in(page, desk, token, "?view=quarantine#/")
    expect(page.get_by_role("heading", name="Quarantine", level=1)).to_be_visible()
    page.locator(f'#quarantine-rows tr[data-ref="{held}"]').get_by_role("link", name=held).click()

    # When they release this one mail without trusting the sender
    box = page.get_by_role("region", name="Held in quarantine")
    box.get_by_label("Trust this sender from now on").uncheck()
    box.get_by_role("button", name="Not spam").click()

    # Then the history says so, and the sender's next spam is held again
    expect(page.locator("#events")).to_contain_text(
        "Released from quarantine (was: spam: SES spam verdict FAIL) by Ola Lind; the sender is not trusted"
    )
    later = desk.deliver(build_mail(subject="Another prize", sender=sender), verdicts={"spam": "FAIL"})
    assert _quarantined(desk, token, later)


def test_a_search_in_the_quarantine_stays_in_it(desk: RunningDesk, page: Page) -> None:
    # Given an agent in the quarantine
    token = desk.add_agent("kai@example.com", "Kai Moss")
    desk.deliver(build_mail(subject="Cheap watches"), verdicts={"spam": "FAIL"})
    sign_in(page, desk, token, "?view=quarantine#/")
    expect(page.locator("#quarantine-rows tr").first).to_be_visible()

    # Then the Status filter, which the quarantine has none of, is not offered
    expect(page.get_by_role("search").get_by_label("Status", exact=True)).to_be_hidden()

    # When they choose a filter
    page.get_by_role("search").get_by_label("Priority").select_option("urgent")

    # Then the address keeps both the list and the filter, and the list stays the quarantine's
    assert parse_qs(urlsplit(page.url).query) == {"view": ["quarantine"], "priority": ["urgent"]}
    expect(page.get_by_role("heading", name="Quarantine", level=1)).to_be_visible()
    # Clear all clears the filters, not which list it is
    page.get_by_role("button", name="Clear all").click()
    expect(page).to_have_url(re.compile(r"\?view=quarantine#/$"))


def test_not_spam_can_send_the_acknowledgement_and_delete_removes_held_mail(
    desk: RunningDesk, page: Page
) -> None:
    # Given two held mails: a customer's that SES took for spam, and real spam
    token = desk.add_agent("lea@example.com", "Lea Park")
    customer = "Tom Reyes <tom.reyes@customer.example>"
    wanted = desk.deliver(
        build_mail(subject="Bulk order of 40 chairs", sender=customer), verdicts={"spam": "FAIL"}
    )
    junk = desk.deliver(
        build_mail(subject="You won a cruise", sender="Prize Desk <win@lottery.example>"),
        verdicts={"spam": "FAIL"},
    )
    forged = desk.deliver(
        build_mail(subject="Password reset", sender="IT <it@bank.example>"),
        verdicts={"dmarc": "FAIL", "dmarc_policy": "REJECT"},
    )
    sent_before = len(desk.sent_mail())
    sign_in(page, desk, token, "?view=quarantine#/")
    held = page.locator("#quarantine-rows")

    # A forged sender is never acknowledged: the choice is not offered
    held.locator(f'tr[data-ref="{forged}"]').get_by_role("link", name=forged).click()
    box = page.get_by_role("region", name="Held in quarantine")
    expect(box.get_by_role("button", name="Not spam")).to_be_visible()
    expect(box.get_by_label("Send the acknowledgement")).to_be_hidden()
    page.get_by_role("link", name="Back to the quarantine").click()

    # When the agent releases the customer's mail with its acknowledgement
    held.locator(f'tr[data-ref="{wanted}"]').get_by_role("link", name=wanted).click()
    expect(box.get_by_label("Send the acknowledgement")).not_to_be_checked()
    box.get_by_label("Send the acknowledgement").check()
    box.get_by_role("button", name="Not spam").click()

    # Then the customer gets the acknowledgement, once, and the page says so
    expect(page.locator("#ticket-notice")).to_have_text(
        f"Released from quarantine: {wanted} is in the queue as a new ticket. "
        "The sender got the acknowledgement."
    )
    acknowledgements = [m for m in desk.sent_mail()[sent_before:] if f"[#{wanted}]" in m.message["Subject"]]
    assert [m.recipients for m in acknowledgements] == [frozenset({"tom.reyes@customer.example"})]
    expect(page.locator("#events")).to_contain_text("acknowledgement", ignore_case=True)

    # When they open the real spam and choose Delete, a dialog says what goes, with Cancel focused
    page.get_by_role("link", name="Back to the quarantine").click()
    held.locator(f'tr[data-ref="{junk}"]').get_by_role("link", name=junk).click()
    box.get_by_role("button", name="Delete…").click()
    dialog = page.get_by_role("dialog", name=f"Delete {junk} for good?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "quarantine-delete-dialog.png"))
    # Cancel deletes nothing
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(box.get_by_role("button", name="Delete…")).to_be_focused()
    assert _quarantined(desk, token, junk)
    box.get_by_role("button", name="Delete…").click()
    dialog.get_by_role("button", name="Delete", exact=True).click()

    # Then the quarantine shows again without it, and says what was done
    expect(page.get_by_role("heading", name="Quarantine", level=1)).to_be_visible()
    expect(page.locator("#flash")).to_have_text(
        f"Deleted {junk}: the mail, its attachments and its history are gone."
    )
    expect(held.locator(f'tr[data-ref="{forged}"]')).to_be_visible()
    expect(held.locator(f'tr[data-ref="{junk}"]')).to_have_count(0)
    status, _ = call_api(desk, token, "GET", f"/tickets/{junk}")
    assert status == 404
    # A link to it now says so, with no forms of a ticket that is not there
    page.goto(f"{desk.api_url}/console#/tickets/{junk}")
    expect(page.locator("#flash")).to_contain_text(junk)
    expect(page.locator("#ticket-meta")).to_contain_text("This ticket could not be shown.")
    expect(page.locator("#ticket-body")).to_be_hidden()
    # Nobody was mailed but the customer whose mail was acknowledged
    assert len(desk.sent_mail()) == sent_before + 1
