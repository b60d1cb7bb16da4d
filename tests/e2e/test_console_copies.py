"""Cc and Bcc in the console, in Chromium against the desk on a local moto server: the reply box's
To, Cc and Bcc filled from the ticket and changed for one reply (the Bcc sent in no header, shown on
the thread), SES's 50 recipients said and refused before sending; the ticket's Cc and Bcc edited
under its subject and told in the history; an address the customer copied on a later mail offered,
not applied, then added to the Cc (and another dismissed). Screenshots at 1,366 and 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
CUSTOMER = "jane.doe@customer.example"


def _ticket(desk: RunningDesk, token: str, ref: str) -> dict[str, Any]:
    ticket: dict[str, Any] = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    return ticket


def _fits(page: Page) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_an_agent_changes_cc_and_bcc_in_the_reply_box_and_sends(desk: RunningDesk, page: Page) -> None:
    # Given a customer's mail copied to a colleague, and an agent on its page
    token = desk.add_agent("sam@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Team order", cc="Pat Doe <pat@customer.example>"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Team order")

    # Then the reply box says where the reply goes, filled from the ticket
    expect(page.locator("#reply-recipients")).to_have_text(f"To Jane Doe <{CUSTOMER}>")
    cc_chips = page.locator("#reply-cc-list .tag-name")
    expect(cc_chips).to_have_text(["pat@customer.example"])
    expect(page.locator("#reply-bcc-list .tag-name")).to_have_count(0)

    # When the agent takes Pat off, copies Lee, blind-copies the warehouse (a typo said first)
    page.get_by_role("button", name="Remove Cc pat@customer.example").click()
    expect(page.locator("#reply-cc-input")).to_be_focused()
    page.locator("#reply-cc-input").fill("Lee@Customer.example")
    page.locator("#reply-cc-input").press("Enter")
    bcc = page.locator("#reply-bcc-input")
    bcc.fill("warehouse-at-partner")
    bcc.press("Enter")
    expect(page.locator("#reply-bcc-error")).to_have_text(
        "warehouse-at-partner is not an email address (Bcc)."
    )
    bcc.fill("warehouse@partner.example,")
    expect(page.locator("#reply-bcc-list .tag-name")).to_have_text(["warehouse@partner.example"])
    expect(page.locator("#reply-bcc-error")).to_be_hidden()
    page.locator("#reply-body").fill("Hello Jane, the order for your team is on its way.")
    page.screenshot(path=str(SCREENSHOTS / "reply-copies-1366.png"))
    sent_before = len(desk.sent_mail())
    page.locator("#send-reply").click()

    # Then the mail went to Jane and Lee, and blind to the warehouse: no header names it
    expect(page.locator("#thread .kind-agent_reply")).to_have_count(1)
    mail = desk.sent_mail()[sent_before]
    assert mail.recipients == {CUSTOMER, "lee@customer.example", "warehouse@partner.example"}
    assert b"warehouse@partner.example" not in mail.raw.lower()
    # And the thread shows agents who got it, Bcc too
    expect(page.locator("#thread .kind-agent_reply .message-recipients")).to_have_text(
        f"To: {CUSTOMER} · Cc: lee@customer.example · Bcc: warehouse@partner.example"
    )
    # And the ticket keeps the Cc chosen, not the Bcc; the box starts from the ticket again
    expect(page.locator("#ticket-cc")).to_have_text("Cc lee@customer.example")
    expect(page.locator("#ticket-bcc")).to_be_hidden()
    expect(cc_chips).to_have_text(["lee@customer.example"])
    expect(page.locator("#reply-bcc-list .tag-name")).to_have_count(0)
    ticket = _ticket(desk, token, ref)
    assert ticket["cc"] == ["lee@customer.example"] and ticket["bcc"] == []
    expect(page.locator("#events")).to_contain_text(
        "Sam Lee replied to the customer (Cc: lee@customer.example; Bcc: warehouse@partner.example)"
    )


def test_the_reply_box_says_and_refuses_more_than_50_recipients(desk: RunningDesk, page: Page) -> None:
    # Given a ticket copying 45 people
    token = desk.add_agent("ada@example.com", "Ada Stone")
    ref = desk.deliver(build_mail(subject="Big team"))
    version = _ticket(desk, token, ref)["version"]
    crowd = [f"p{n}@partner.example" for n in range(45)]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, "cc": crowd})
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Big team")

    # Then the box counts the recipients against SES's limit
    count = page.locator("#reply-recipient-count")
    expect(count).to_have_text(
        "46 of at most 50 recipients per mail (To, Cc and Bcc together; the limit of Amazon SES)."
    )

    # When the agent pastes five more into Bcc
    page.locator("#reply-bcc-input").fill(" ".join(f"b{n}@partner.example" for n in range(5)) + " ")
    expect(count).to_contain_text("51 recipients: a mail goes to at most 50")
    expect(count).to_contain_text("Remove 1 to send.")
    page.locator("#reply-body").fill("Hello all.")
    sent_before = len(desk.sent_mail())
    page.locator("#send-reply").click()

    # Then nothing is sent and the reply box says why, beside Send reply
    expect(page.locator("#reply-message")).to_contain_text(
        "Not sent: a mail goes to at most 50 recipients (the limit of Amazon SES); this one would go to 51."
    )
    assert len(desk.sent_mail()) == sent_before
    page.get_by_role("button", name="Remove Bcc b4@partner.example").click()
    expect(count).to_contain_text("50 of at most 50")
    page.locator("#send-reply").click()
    expect(page.locator("#thread .kind-agent_reply")).to_have_count(1)
    assert len(desk.sent_mail()[sent_before].recipients) == 50


def test_an_agent_edits_the_tickets_cc_and_bcc(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("kim@example.com", "Kim Oh")
    ref = desk.deliver(build_mail(subject="Invoice copy"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Invoice copy")

    # When the agent adds a Cc and a Bcc to the ticket
    page.get_by_role("button", name="Add Cc or Bcc").click()
    expect(page.locator("#copies-cc-input")).to_be_focused()
    page.locator("#copies-cc-input").fill("accounts@customer.example")
    page.locator("#copies-bcc-input").fill("ledger@partner.example")
    page.screenshot(path=str(SCREENSHOTS / "ticket-copies-editor-1366.png"))
    page.get_by_role("button", name="Save Cc and Bcc").click()

    # Then they show under the subject, the reply box has them, and the history says who
    expect(page.locator("#ticket-cc")).to_have_text("Cc accounts@customer.example")
    expect(page.locator("#ticket-bcc")).to_have_text("Bcc ledger@partner.example")
    expect(page.locator("#copies-form")).to_be_hidden()
    expect(page.locator("#copies-edit")).to_be_focused()
    expect(page.locator("#reply-bcc-list .tag-name")).to_have_text(["ledger@partner.example"])
    expect(page.locator("#events")).to_contain_text("Kim Oh added accounts@customer.example to the Cc")
    expect(page.locator("#events")).to_contain_text("Kim Oh added ledger@partner.example to the Bcc")

    # When the agent names the customer herself, the desk says why not
    page.get_by_role("button", name="Edit Cc and Bcc").click()
    page.locator("#copies-cc-input").fill(CUSTOMER)
    page.get_by_role("button", name="Save Cc and Bcc").click()
    expect(page.locator("#copies-error")).to_have_text(
        f"{CUSTOMER} is the requester: every mail of the ticket goes to them already"
    )
    page.locator("#copies-cc-input").press("Escape")
    expect(page.locator("#copies-form")).to_be_hidden()


def test_a_cc_the_customer_adds_later_is_offered_and_added(desk: RunningDesk, page: Page) -> None:
    # Given a ticket the agent answered
    token = desk.add_agent("rui@example.com", "Rui Lopes")
    ref = desk.deliver(build_mail(subject="Broken hinge"))
    api_ok(desk, token, "POST", f"/tickets/{ref}/replies", {"body": "Could you send a photo?"})
    answer = desk.sent_mail()[-1].message

    # When the customer answers copying her colleague and her lawyer
    desk.deliver(
        build_mail(
            sender=f"Jane Doe <{CUSTOMER}>",
            subject=f"Re: [#{ref}] Broken hinge",
            body="Here it is. I copied Bob, who ordered it, and my lawyer.",
            cc="Bob Stone <bob@customer.example>, lawyer@firm.example",
            in_reply_to=answer["Message-ID"],
        )
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Broken hinge")

    # Then both are offered, and neither is on the thread
    offers = page.locator("#cc-offers")
    expect(offers).to_be_visible()
    expect(page.locator("#cc-offers-list li")).to_have_count(2)
    expect(page.locator("#cc-offers-list li").first).to_contain_text(
        "Jane Doe copied bob@customer.example on a mail of"
    )
    expect(page.locator("#ticket-cc")).to_be_hidden()
    expect(page.locator("#reply-cc-list .tag-name")).to_have_count(0)
    expect(page.locator("#events")).to_contain_text(
        "Jane Doe copied bob@customer.example and lawyer@firm.example on their mail: "
        "offered for the Cc, not added"
    )
    page.screenshot(path=str(SCREENSHOTS / "cc-offered-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    expect(offers).to_be_visible()
    assert _fits(page)
    page.screenshot(path=str(SCREENSHOTS / "cc-offered-390.png"))
    page.set_viewport_size({"width": 1366, "height": 900})

    # When the agent adds Bob and dismisses the lawyer
    page.get_by_role("button", name="Add to Cc: bob@customer.example").click()
    expect(page.locator("#ticket-cc")).to_have_text("Cc bob@customer.example")
    expect(page.locator("#flash")).to_have_text(
        "bob@customer.example is on the Cc: replies go to them from now on."
    )
    # (the focus on the next offer)
    expect(page.get_by_role("button", name="Add to Cc: lawyer@firm.example")).to_be_focused()
    page.get_by_role("button", name="Dismiss: lawyer@firm.example").click()

    # Then nothing is offered any more, Bob is on the Cc of the next reply, the history says both
    expect(offers).to_be_hidden()
    expect(page.locator("#reply-cc-list .tag-name")).to_have_text(["bob@customer.example"])
    expect(page.locator("#events")).to_contain_text(
        "Rui Lopes added bob@customer.example to the Cc (copied by the customer)"
    )
    expect(page.locator("#events")).to_contain_text(
        "Rui Lopes chose not to copy lawyer@firm.example; not offered again"
    )
    ticket = _ticket(desk, token, ref)
    assert ticket["cc"] == ["bob@customer.example"] and ticket["cc_offered"] == []


def test_the_reply_box_and_editor_fit_a_phone(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("bo@example.com", "Bo Lind")
    ref = desk.deliver(
        build_mail(
            subject="Phone",
            cc="a.very.long.address.of.a.colleague@a-long-customer-domain.example, pat@customer.example",
        )
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Phone")
    page.locator("#reply-bcc-input").fill("warehouse@partner.example ")
    page.get_by_role("button", name="Edit Cc and Bcc").click()
    expect(page.locator("#copies-form")).to_be_visible()
    assert _fits(page)
    page.locator("#copies-form").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "ticket-copies-390.png"))
    page.locator("#reply-body").scroll_into_view_if_needed()
    assert _fits(page)
    page.screenshot(path=str(SCREENSHOTS / "reply-copies-390.png"))
