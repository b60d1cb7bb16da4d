"""Attaching files on the local stack, as an agent does it: `postdesk local`, a customer's mail over
SMTP, "Attach files" in the reply box (the browser uploads each file straight to the stack's S3,
moto in its own process, with the presigned POST the API signed), files the desk would not send
refused in words before any upload, the reply sent, the file in the thread and in the outbox's
.eml with its name and type. At a desktop's width and a phone's."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.sessions import sign_in_stack
from tests.e2e.stack import mail, outbox, ref_of, send, start, stop

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
LABEL = b"%PDF-1.7\n% the return label for order 88\n%%EOF\n"
PHONE_WIDTH = 390


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack-attachments")
    process, info = start(state_dir)
    try:
        yield info
    finally:
        stop(process, state_dir)


def _open_ticket(stack: dict[str, Any], page: Page, subject: str) -> str:
    send(stack, mail(subject, "Hello,\n\nthe invoice for order 88 is wrong.\n\nJane"))
    (acknowledgement,) = outbox(stack, subject)
    ref = ref_of(acknowledgement)
    sign_in_stack(page, stack, f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    return ref


def test_an_agent_attaches_a_file_to_a_reply_and_the_customer_gets_it(
    stack: dict[str, Any], page: Page
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    ref = _open_ticket(stack, page, "Invoice 88 is wrong")
    form = page.locator("#reply-form")

    # The limits are said before anything is uploaded
    expect(form.locator(".attach-box .hint")).to_have_text(
        "Up to 10 files, 10 MB each, 20 MB in all. Drop files here too. Programs and scripts are not sent."
    )

    # A program and a file over the limit are refused in words, and never uploaded
    form.get_by_label("Attach files").set_input_files(
        [
            {
                "name": "setup.exe",
                "mimeType": "application/x-msdownload",
                "buffer": b"MZ\x90\x00" + bytes(64),
            },
            {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n" + bytes(12_000_000)},
        ]
    )
    refused = form.get_by_role("alert")
    expect(refused).to_contain_text("setup.exe: the desk does not send this kind of file")
    expect(refused).to_contain_text("scan.pdf is 12 MB: files may be at most 10 MB.")
    expect(form.locator(".upload")).to_have_count(0)

    # When the agent attaches the return label, it goes straight to S3 and says so
    form.get_by_label("Attach files").set_input_files(
        [{"name": "return-label.pdf", "mimeType": "application/pdf", "buffer": LABEL}]
    )
    uploaded = form.locator(".upload", has_text="return-label.pdf")
    expect(uploaded.locator(".upload-state")).to_have_text("Attached")
    expect(uploaded.locator(".upload-size")).to_have_text(f"{len(LABEL)} B")
    # A file dropped on the form joins it (and a second one the agent then removes)
    page.evaluate(
        """() => {
          const drop = new DataTransfer();
          drop.items.add(new File(["%PDF-1.7\\n%%EOF\\n"], "old-invoice.pdf", { type: "application/pdf" }));
          document.querySelector("#reply-form").dispatchEvent(
            new DragEvent("drop", { dataTransfer: drop, bubbles: true, cancelable: true }));
        }"""
    )
    dropped = form.locator(".upload", has_text="old-invoice.pdf")
    expect(dropped.locator(".upload-state")).to_have_text("Attached")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reply-attachments-1366.png"), full_page=True)
    dropped.get_by_role("button", name="Remove old-invoice.pdf").click()
    expect(form.locator(".upload")).to_have_count(1)
    expect(form.get_by_label("Attach files")).to_be_focused()

    # When they send the reply
    form.get_by_label("Message").fill("Hello Jane,\n\nsorry about that: the corrected label is attached.")
    form.get_by_role("button", name="Send reply").click()

    # Then the thread shows the file on the agent's reply, with a link to it, and the box is empty
    reply = page.locator("#thread li.message.outbound", has_text="the corrected label is attached")
    expect(reply.locator(".attachments")).to_contain_text("return-label.pdf (application/pdf")
    expect(form.locator(".upload")).to_have_count(0)
    # And the customer's mail in the outbox carries it, named and typed
    (sent,) = outbox(stack, f"Re: [#{ref}] Invoice 88 is wrong")
    assert isinstance(sent, EmailMessage)
    files = [
        (part.get_filename(), part.get_content_type(), part.get_content()) for part in sent.iter_attachments()
    ]
    assert files == [("return-label.pdf", "application/pdf", LABEL)]


def test_the_reply_box_with_files_fits_a_phone(stack: dict[str, Any], page: Page) -> None:
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    _open_ticket(stack, page, "Invoice 89 is wrong too")
    form = page.locator("#reply-form")
    form.get_by_label("Attach files").set_input_files(
        [
            {
                "name": "a-rather-long-name-for-the-corrected-invoice-89-of-march.pdf",
                "mimeType": "application/pdf",
                "buffer": LABEL,
            },
            {"name": "run.bat", "mimeType": "application/x-bat", "buffer": b"echo hi"},
        ]
    )
    expect(form.locator(".upload .upload-state")).to_have_text("Attached")
    expect(form.get_by_role("alert")).to_contain_text("run.bat")
    form.locator(".upload").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "reply-attachments-390.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_new_ticket_goes_out_with_the_files_attached_to_it(stack: dict[str, Any], page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in_stack(page, stack, "#/new")
    form = page.locator("#new-ticket-form")
    form.get_by_label("To (customer's email)").fill("lena@customer.example")
    form.get_by_label("Subject line").fill("Your quote 5521")
    form.get_by_label("First message").fill("Hello Lena,\n\nthe quote is attached.")
    form.get_by_label("Attach files").set_input_files(
        [{"name": "quote-5521.pdf", "mimeType": "application/pdf", "buffer": LABEL}]
    )
    expect(form.locator(".upload-state")).to_have_text("Attached")
    form.get_by_role("button", name="Send and create the ticket").click()

    expect(page.locator("#thread li.message.outbound .attachments")).to_contain_text("quote-5521.pdf")
    (sent,) = outbox(stack, "Your quote 5521")
    assert isinstance(sent, EmailMessage)
    assert [(p.get_filename(), p.get_content_type()) for p in sent.iter_attachments()] == [
        ("quote-5521.pdf", "application/pdf")
    ]
    # A new form starts without the files of the last one
    page.goto(stack["console_url"] + "#/new")
    expect(page.locator("#new-ticket-form .upload")).to_have_count(0)
