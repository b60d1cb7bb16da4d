"""Forwarding to a third party in a real browser, on the local stack as a person runs it: the agent
forwards a customer's message with its attachment from the console, the supplier answers by SMTP to
the Reply-To of the forward as it lies in the outbox, and the answer shows in the thread as
internal, the customer mailed nothing more."""

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
SUPPLIER = "orders@supplier.example"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack")
    process, info = start(state_dir)
    try:
        yield info
    finally:
        stop(process, state_dir)


def _customer_mail_with_a_photo() -> EmailMessage:
    message = mail(
        "Boots arrived scuffed",
        "Hello,\n\nthe boots of order 5521 arrived scuffed. The delivery note is attached.\n\nJane",
    )
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="delivery-note.pdf")
    return message


def _sign_in(page: Page, stack: dict[str, Any], ref: str) -> None:
    sign_in_stack(page, stack, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Boots arrived scuffed")


def test_an_agent_forwards_to_a_supplier_and_the_answer_comes_back_as_internal(
    stack: dict[str, Any], page: Page
) -> None:
    # Given a customer's mail with a file, acknowledged
    send(stack, _customer_mail_with_a_photo())
    ref = ref_of(outbox(stack, "Boots arrived scuffed")[0])
    page.set_viewport_size({"width": 1366, "height": 900})
    _sign_in(page, stack, ref)

    # When the agent chooses "Forward this message" on it
    customer = page.locator("#thread > li.kind-customer")
    customer.get_by_role("button", name="Forward this message").click()
    dialog = page.get_by_role("dialog", name=f"Forward {ref} to a third party")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("never to the customer")
    # The message and its file are ticked
    expect(dialog.get_by_role("checkbox", name="the boots of order 5521", exact=False)).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="delivery-note.pdf", exact=False)).to_be_checked()
    # The customer cannot be the third party: the desk says so in the dialog
    dialog.get_by_role("textbox", name="To", exact=True).fill("jane.doe@customer.example")
    dialog.get_by_role("button", name="Forward", exact=True).click()
    expect(dialog.locator("#forward-error")).to_contain_text("is the ticket's requester")
    dialog.get_by_role("button", name="Remove To jane.doe@customer.example").click()
    dialog.get_by_role("textbox", name="To", exact=True).fill(SUPPLIER)
    dialog.get_by_role("textbox", name="To", exact=True).press("Enter")
    note = "Hello team,\n\ncould you check how order **5521** was packed?"
    dialog.get_by_label("Note", exact=True).fill(note)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "forward-dialog-1366.png"))
    dialog.get_by_role("button", name="Forward", exact=True).click()

    # Then the dialog closes, the page says where it went, and the thread shows it as internal
    expect(dialog).to_be_hidden()
    expect(page.locator("#ticket-notice")).to_contain_text(f"Forwarded to {SUPPLIER}")
    forwarded = page.locator("#thread > li.kind-forward")
    expect(forwarded).to_contain_text("Internal: not seen by the customer")
    expect(forwarded).to_contain_text(f"Forwarded to {SUPPLIER} by")
    expect(forwarded).to_contain_text("delivery-note.pdf")
    expect(page.locator("#events")).to_contain_text(f"forwarded a message with 1 file to {SUPPLIER}")

    # And the supplier got the mail with the file, the customer nothing more
    (forward,) = outbox(stack, f"Fwd: [#{ref}]")
    assert str(forward["To"]) == SUPPLIER and forward["Cc"] is None
    assert [part.get_filename() for part in forward.iter_attachments()] == ["delivery-note.pdf"]
    reply_to = str(forward["Reply-To"])
    assert reply_to.startswith("support+fw.")

    # When the supplier answers to the Reply-To the forward carries
    answer = mail(
        f"Re: {forward['Subject']}",
        "Hello,\n\nthe boots were packed without paper. We send a new pair today.\n\nOrders team",
        sender=f"Supplier Orders <{SUPPLIER}>",
        In_Reply_To=str(forward["Message-ID"]),
    )
    answer.replace_header("To", reply_to)
    send(stack, answer)

    # Then it shows on the ticket as the supplier's internal answer
    third_party = page.locator("#thread > li.kind-third_party")
    for _ in range(40):
        page.reload()
        expect(page.locator("#ticket-subject")).to_have_text("Boots arrived scuffed")
        if third_party.count():
            break
        page.wait_for_timeout(500)
    expect(third_party).to_contain_text("We send a new pair today")
    expect(third_party).to_contain_text("Internal: not seen by the customer")
    expect(third_party).to_contain_text("Third party's answer")
    page.screenshot(path=str(SCREENSHOTS / "forward-answered-1366.png"), full_page=True)
    # Nobody mailed the customer about it: the acknowledgement and the forward are all there is
    assert len(outbox(stack, f"[#{ref}]", count=3, seconds=2)) == 2

    # And at a phone's width the dialog and the thread fit without sideways scrolling
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Forward…").click()
    expect(dialog).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "forward-dialog-390.png"))
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Forward…")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "forward-answered-390.png"), full_page=True)
