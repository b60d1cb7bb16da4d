"""An agent sees what a mail's attachments were, safely named, and what was not extracted: in the
console, a ticket whose mail had 120 attachments (among them a Japanese name and a name with a
bidirectional override) lists 100, says 20 were not extracted with a link to the raw mail, and both
the raw mail and the Japanese attachment download from the local stack."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import mail_with_attachments

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def test_the_console_shows_what_was_not_extracted_and_safe_names(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("kim@example.com", "Kim Park")
    names = ["見積書.pdf", "invoice\u202egpj.exe", *(f"page-{n:03d}.pdf" for n in range(118))]
    ref = desk.deliver(
        mail_with_attachments(
            names,
            subject="The scanned pages",
            body="Hello,\n\nthe scanned pages are attached.\n\nJane\n",
            message_id="<pages.1@customer.example>",
        )
    )

    sign_in(page, desk, token)
    page.locator(f'#queue-rows tr[data-ref="{ref}"]').get_by_role("link", name=ref).click()

    message = page.locator("li.message.inbound").first
    expect(message.locator(".attachments li")).to_have_count(100)
    expect(message.locator(".attachments")).to_contain_text("見積書.pdf")
    expect(message.locator(".attachments")).to_contain_text("invoicegpj.exe")
    notice = message.locator(".not-extracted")
    expect(notice).to_have_text(
        "20 attachments not extracted; the raw mail holds them. Download the raw mail"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "not-extracted.png"), full_page=False)

    raw = page.request.get(notice.get_by_role("link").get_attribute("href") or "")
    assert raw.status == 200 and b"page-117.pdf" in raw.body()
    japanese = message.locator(".attachments a", has_text="見積書.pdf").get_attribute("href") or ""
    download = page.request.get(japanese)
    assert download.status == 200 and download.body() == "見積書.pdf".encode()
    disposition = download.headers["content-disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "見積書.pdf"
