"""The agent's own reply, previewed before it goes: "Preview" shows the text as the customer will
read it (variables filled in, Markdown made HTML, the sign-off under it), follows what is typed, and
sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


@pytest.mark.parametrize("width", [1366, 390])
def test_an_agent_previews_their_reply_as_the_customer_will_read_it(
    desk: RunningDesk, page: Page, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    token = desk.add_agent(f"ada{width}@example.com", "Ada Stone")
    sender = f"Jane Doe <jane{width}@customer.example>"
    ref = desk.deliver(build_mail(subject=f"Where is my parcel ({width})", sender=sender))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill("Hello {{ customer.first_name }},\n\nwe send it **today**.")
    sent_before = len(desk.sent_mail())

    form.get_by_role("button", name="Preview").click()

    preview = page.get_by_role("region", name="Preview of your reply")
    expect(preview).to_contain_text("As Jane Doe will read it")
    frame = preview.frame_locator("iframe")
    expect(frame.locator("body")).to_contain_text("Hello Jane,")
    expect(frame.locator("strong")).to_have_text("today")
    expect(frame.locator("body")).to_contain_text("Ada Stone")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reply-preview-{width}.png"), full_page=True)

    # What is typed next shows in it too
    form.get_by_label("Message").press("End")
    form.get_by_label("Message").type(" It arrives *tomorrow*.")
    expect(frame.locator("em")).to_have_text("tomorrow")
    assert len(desk.sent_mail()) == sent_before

    # Closed, it goes; sent, the reply leaves no preview behind
    preview.get_by_role("button", name="Close preview").click()
    expect(preview).to_be_hidden()
    expect(form.get_by_role("button", name="Preview")).to_be_focused()
    form.get_by_role("button", name="Preview").click()
    form.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread > li.message.outbound", has_text="It arrives")).to_have_count(1)
    expect(preview).to_be_hidden()
