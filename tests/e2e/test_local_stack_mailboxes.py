"""Several addresses on the local stack, as a person tries them: `postdesk local --mailboxes ...`,
mail over SMTP to an address on another domain, the acknowledgement in the outbox from that address,
the ticket page saying where the mail came, and a new ticket sent from the address the agent chose."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.sessions import sign_in_stack
from tests.e2e.stack import api, mail, outbox, ref_of, send, start, stop

pytestmark = pytest.mark.e2e

MAILBOXES = "billing@example.com=billing:Example Billing,help@other.example=general:Other Brand"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack-mailboxes")
    process, info = start(state_dir, options=["--mailboxes", MAILBOXES])
    try:
        yield info
    finally:
        stop(process, state_dir)


def _sender(message: Any) -> tuple[str, str]:
    (address,) = message["From"].addresses
    return str(address.display_name), str(address.addr_spec)


def test_local_json_lists_every_address_and_smtp_takes_their_domains_only(stack: dict[str, Any]) -> None:
    assert stack["mailboxes"] == [
        {"address": "support@example.com", "name": "Example Support", "queue": None},
        {"address": "billing@example.com", "name": "Example Billing", "queue": "billing"},
        {"address": "help@other.example", "name": "Other Brand", "queue": "general"},
    ]
    with (
        smtplib.SMTP(stack["smtp_host"], stack["smtp_port"], timeout=30) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        smtp.sendmail("jane@customer.example", ["someone@elsewhere.example"], b"Subject: hi\r\n\r\nhi\r\n")
    said = str(refused.value)
    assert "@example.com" in said and "@other.example" in said


def test_mail_to_the_other_brand_is_acknowledged_from_it_and_the_ticket_says_so(
    stack: dict[str, Any], page: Page
) -> None:
    # When a customer writes to the other brand's address over SMTP
    message = mail("Lost parcel 4410", "Hello,\n\nparcel 4410 never arrived.")
    message.replace_header("To", "help@other.example")
    send(stack, message)

    # Then its acknowledgement in the outbox comes from that address, under its brand, and the
    # customer's answer goes to a plus-address of it
    (ack,) = outbox(stack, "Lost parcel 4410")
    assert _sender(ack) == ("Other Brand", "help@other.example")
    reply_to = str(ack["Reply-To"].addresses[0].addr_spec)
    assert reply_to.startswith("help+") and reply_to.endswith("@other.example")
    ref = ref_of(ack)
    shown = api(stack, "GET", f"/tickets/{ref}")
    assert shown["mailbox"] == {"address": "help@other.example", "name": "Other Brand"}
    assert shown["ticket"]["queue"] == "general"

    # And the ticket page says where the mail came and under which name it is answered
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_stack(page, stack, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Lost parcel 4410")
    line = page.locator("#ticket-mailbox")
    expect(line).to_have_text("Came to help@other.example · answered as Other Brand")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ticket-mailbox-390.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_new_ticket_goes_from_the_address_the_agent_chooses(stack: dict[str, Any], page: Page) -> None:
    sign_in_stack(page, stack, "#/new")

    # The From follows the queue until the agent chooses
    form = page.locator("#new-ticket-form")
    source = form.get_by_label("Send from")
    expect(source).to_have_value("support@example.com")
    form.get_by_label("Queue").select_option("billing")
    expect(source).to_have_value("billing@example.com")
    source.select_option("help@other.example")
    form.get_by_label("Queue").select_option("orders")
    expect(source).to_have_value("help@other.example")

    form.get_by_label("To (customer's email)").fill("lena@customer.example")
    form.get_by_label("Customer's name").fill("Lena Vogel")
    form.get_by_label("Subject line").fill("Your replacement part 5521")
    form.get_by_label("First message").fill("Hello Lena,\n\nthe replacement part is ready.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "new-ticket-from.png"), full_page=True)
    page.get_by_role("button", name="Send and create the ticket").click()
    expect(page.locator("#ticket-mailbox")).to_have_text(
        "Came to help@other.example · answered as Other Brand"
    )

    (sent,) = outbox(stack, "Your replacement part 5521")
    assert _sender(sent) == ("Local Admin (Other Brand)", "help@other.example")
