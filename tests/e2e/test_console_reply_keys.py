"""Ctrl+Enter in the reply or the note box sends it, as in mail programs: once, however fast the
keys are pressed again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e


def test_control_enter_sends_the_reply_and_adds_the_note(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("ben@example.com", "Ben Kraus")
    ref = desk.deliver(build_mail(subject="Keys please"))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    message = page.locator("#reply-form").get_by_label("Message")
    message.fill("The keys are in the mail.")

    message.press("Control+Enter")
    message.press("Control+Enter")

    expect(page.locator("#thread > li.message.outbound", has_text="The keys are in the mail.")).to_have_count(
        1
    )
    expect(message).to_have_value("")
    assert len([m for m in desk.sent_mail() if str(m.message["Subject"]).startswith(f"Re: [#{ref}]")]) == 1

    note = page.get_by_label("Note for the team (never mailed)")
    note.fill("Sent by registered mail.")
    note.press("Control+Enter")
    expect(page.locator("#thread > li", has_text="Sent by registered mail.")).to_have_count(1)
    expect(note).to_have_value("")
