"""An agent's reply shows in the ticket's thread as the customer read it: the Markdown the agent typed
(bold, a list, a link) laid out, never its asterisks and dashes, and raw HTML in it still text."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
REPLY = (
    "Hello {{ customer.first_name }},\n\n"
    "you are right, the invoice was wrong. **Attached** is a credit note for 50 EUR.\n\n"
    "- it is booked today\n"
    "- you see it on your next statement\n\n"
    "See [the guide](https://help.example/refunds). <b>not bold</b>"
)


@pytest.mark.parametrize("width", SIZES)
def test_a_markdown_reply_shows_formatted_in_the_thread(desk: RunningDesk, page: Page, width: str) -> None:
    # Given a customer's ticket open in the console
    page.set_viewport_size(SIZES[width])  # type: ignore[arg-type]
    token = desk.add_agent(f"tina.{width}@example.com", "Tina Tryout")
    ref = desk.deliver(
        build_mail(
            subject=f"Invoice 2026-117 is wrong ({width})",
            sender=f"Jane Doe <jane.{width}@customer.example>",
            message_id=f"<invoice-{width}@customer.example>",
        )
    )
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()

    # When the agent sends a reply written in Markdown
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill(REPLY)
    form.get_by_role("button", name="Send reply").click()

    # Then the thread shows it laid out: bold words, a list of two items, a link; no Markdown marks
    body = page.locator("#thread li.kind-agent_reply .message-body")
    expect(body.locator("strong")).to_have_text("Attached")
    expect(body.locator("ul > li")).to_have_text(["it is booked today", "you see it on your next statement"])
    link = body.get_by_role("link", name="the guide")
    expect(link).to_have_attribute("href", "https://help.example/refunds")
    expect(link).to_have_attribute("target", "_blank")
    expect(body).to_contain_text("Hello Jane,")
    expect(body).not_to_contain_text("**")
    expect(body).not_to_contain_text("- it is")
    # the HTML the agent typed is shown as the characters typed, never as an element
    expect(body).to_contain_text("<b>not bold</b>")
    expect(body.locator("b")).to_have_count(0)
    # the frame the HTML was read in is gone
    expect(page.locator("#thread iframe.written-parser")).to_have_count(0)
    # and the customer's own message is still its text
    expect(page.locator("#thread li.kind-customer .message-body")).not_to_have_class("message-body written")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#thread li.kind-agent_reply").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"thread-markdown-reply-{width}.png"))
