"""What an agent sees where they are looking when something goes wrong: a reply the desk refuses
(a program named .pdf) is said beside Send reply with the file marked in the list, not only in the
page's flash far above; and a console whose module fails to load says so in words instead of a
blank page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
# A Linux program under a PDF's name: the upload is allowed by its name, the send refuses it by content.
FAKE_PDF = {
    "name": "fake-invoice.pdf",
    "mimeType": "application/pdf",
    "buffer": b"\x7fELF\x02\x01\x01" + bytes(120),
}
SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", SIZES)
def test_a_refused_reply_is_said_beside_send_reply_and_the_file_is_marked(
    desk: RunningDesk, page: Page, width: str
) -> None:
    page.set_viewport_size(SIZES[width])  # type: ignore[arg-type]
    token = desk.add_agent(f"ines.{width}@example.com", "Ines Roth")
    ref = desk.deliver(build_mail(subject=f"Where is my invoice ({width})"))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    form = page.locator("#reply-form")
    form.get_by_label("Attach files").set_input_files([FAKE_PDF])
    expect(form.locator(".upload-state")).to_have_text("Attached")
    form.get_by_label("Message").fill("Hello,\n\nthe invoice is attached.")

    form.get_by_role("button", name="Send reply").click()

    message = page.locator("#reply-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Reply not sent: fake-invoice.pdf is")
    expect(message).to_contain_text("Remove the marked file and send again; your text is kept as a draft.")
    expect(message).to_be_in_viewport()
    expect(page.locator("#reply-draft")).not_to_have_text("Draft saved")
    refused = form.locator(".upload", has_text="fake-invoice.pdf")
    expect(refused).to_have_class("upload upload-refused")
    expect(refused.locator(".upload-state")).to_have_text("Refused by the desk: remove it to send")
    expect(form.get_by_label("Message")).to_have_value("Hello,\n\nthe invoice is attached.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reply-refused-{width}.png"))

    # Sending again without removing it is stopped in the same line, before any request
    form.get_by_role("button", name="Send reply").click()
    expect(message).to_have_text("Not sent: Remove the file the desk refused (marked in the list) to send.")
    # Removed, the reply goes and the line empties
    refused.get_by_role("button", name="Remove fake-invoice.pdf").click()
    form.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread li.message.outbound", has_text="the invoice is attached")).to_be_visible()
    expect(message).to_be_hidden()


def test_a_note_that_fails_is_said_beside_add_note(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("noel@example.com", "Noel Ward")
    ref = desk.deliver(build_mail(subject="A note that fails"))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    page.route(
        "**/notes",
        lambda route: route.fulfill(
            status=503, json={"error": "Unavailable", "message": "The desk is busy."}
        ),
    )
    page.get_by_label("Note for the team (never mailed)").fill("Called the warehouse.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#note-message")).to_have_text(
        "Not confirmed: the desk did not say whether your note was added (it answered 503). It is not in"
        " the thread yet. Add it again as it is: that is safe, the desk will not do it twice. Your text"
        " is kept as a draft."
    )


@pytest.mark.parametrize("width", SIZES)
def test_a_console_module_that_fails_to_load_is_said_in_words(
    desk: RunningDesk, page: Page, width: str
) -> None:
    page.set_viewport_size(SIZES[width])  # type: ignore[arg-type]

    def broken(route: Route) -> None:
        route.fulfill(status=500, body="Internal Server Error", content_type="text/plain")

    page.route("**/console/reports.js", broken)
    page.goto(f"{desk.api_url}/console")
    failure = page.get_by_role("alert").filter(has_text="The console could not load.")
    expect(failure).to_have_text("The console could not load. Reload the page; if it stays, tell your admin.")
    expect(failure).to_be_in_viewport()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-not-loaded-{width}.png"))


def test_a_console_that_loads_shows_no_such_words(desk: RunningDesk, page: Page) -> None:
    page.goto(f"{desk.api_url}/console")
    expect(page.locator("#sign-in-view")).to_be_visible()
    expect(page.get_by_text("The console could not load.")).to_be_hidden()
