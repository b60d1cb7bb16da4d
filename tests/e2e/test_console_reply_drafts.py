"""A reply's draft is the whole reply the agent was writing: its text and the Cc and Bcc chosen for
it come back after a reload, and the mail goes to them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e


def test_the_cc_and_bcc_of_a_reply_come_back_with_its_draft(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("vera@example.com", "Vera Holm")
    ref = desk.deliver(build_mail(subject="Invoice for the team"))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill("Hello,\n\nthe invoice is on its way to your accounts team.")
    form.get_by_role("textbox", name="Cc", exact=True).fill("accounts@customer.example")
    form.get_by_role("textbox", name="Cc", exact=True).press("Enter")
    form.get_by_role("textbox", name="Bcc", exact=True).fill("billing@partner.example")
    form.get_by_role("textbox", name="Bcc", exact=True).press("Enter")
    expect(page.locator("#reply-draft")).to_have_text("Draft saved")

    # When the page is reloaded
    page.reload()

    # Then the text, the Cc and the Bcc are back
    expect(form.get_by_label("Message")).to_have_value(
        "Hello,\n\nthe invoice is on its way to your accounts team."
    )
    expect(form.get_by_role("button", name="Remove Cc accounts@customer.example")).to_be_visible()
    expect(form.get_by_role("button", name="Remove Bcc billing@partner.example")).to_be_visible()
    expect(page.locator("#reply-draft")).to_contain_text("Draft restored")

    # And the reply goes to them
    form.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread > li.message.outbound", has_text="accounts team")).to_have_count(1)
    (sent,) = [mail for mail in desk.sent_mail() if str(mail.message["Subject"]).startswith("Re: ")]
    assert str(sent.message["Cc"]) == "accounts@customer.example"
    assert "billing@partner.example" in sent.recipients
    expect(form.get_by_label("Message")).to_have_value("")
