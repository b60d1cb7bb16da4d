"""The Webhooks page in a real browser, on the local stack as a person runs it: an admin adds a
webhook for a receiver on localhost, copies the secret shown once, a customer's mail is delivered to
the receiver signed with it, the delivery shows in the page's log and is replayed; the webhook is
turned off and deleted. Addresses the desk refuses are said in words."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from postdesk.webhooks.signature import HEADER, verify_signature
from tests.e2e.sessions import sign_in_context, stack_access
from tests.e2e.stack import api, mail, outbox, ref_of, send, start, stop
from tests.integration.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack-webhooks-console")
    process, info = start(state_dir)
    try:
        yield info
    finally:
        stop(process, state_dir)


def _sign_in(page: Page, stack: dict[str, Any], token: str) -> None:
    sign_in_context(page.context, stack_access(stack), token)
    page.goto(f"{stack['console_url']}#/webhooks")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()


def _wait_for(condition: Any, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError("not within the time")


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _deliveries_once_logged(page: Page, card: Locator, rows: int) -> Locator:
    """The webhook's delivery rows once the log has ``rows`` of them (read again as an admin does)."""
    button = card.get_by_role("button", name="Deliveries of", exact=False)
    table_rows = card.locator(".deliveries-table tbody tr")
    for _ in range(60):
        if button.get_attribute("aria-expanded") == "true":
            button.click()
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(card.locator(".webhook-deliveries")).not_to_have_attribute("aria-busy", "true")
        if table_rows.count() >= rows:
            break
        page.wait_for_timeout(500)
    expect(table_rows).to_have_count(rows)
    return table_rows


def test_an_admin_adds_a_webhook_sees_its_deliveries_replays_one_then_turns_it_off_and_deletes_it(
    stack: dict[str, Any], page: Page
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size({"width": 1366, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    receiver: Receiver
    with webhook_receiver() as receiver:
        # Given an admin on the Webhooks page, which has none yet
        _sign_in(page, stack, stack["admin_token"])
        expect(page.get_by_role("link", name="Webhooks")).to_be_visible()
        expect(page.locator("#webhooks-list")).to_contain_text("No webhooks yet")

        # When they add one with an http:// address on the internet, then a private address
        page.get_by_role("button", name="Add webhook").click()
        form = page.get_by_role("form", name="Add webhook")
        address = form.get_by_label("Address (URL)")
        expect(address).to_be_focused()
        address.fill("http://hooks.example.com/postdesk")
        form.get_by_role("button", name="Add webhook").click()
        # Then each is refused in words, on the field
        expect(form.locator("#webhook-url-error")).to_have_text(
            "The address must start with https://: the desk sends events over encrypted connections only."
        )
        expect(address).to_have_attribute("aria-invalid", "true")
        address.fill("https://169.254.169.254/latest")
        form.get_by_role("button", name="Add webhook").click()
        expect(form.locator("#webhook-url-error")).to_contain_text("That address is private")
        expect(address).to_be_focused()

        # When they give the receiver's address, only new tickets, as JSON
        address.fill(receiver.url)
        form.get_by_label("Only these events").check()
        form.get_by_role("checkbox", name="Created ticket.created").check()
        form.get_by_label("Description (optional)").fill("Order system")
        page.screenshot(path=str(SCREENSHOTS / "webhooks-form-1366.png"), full_page=True)
        form.get_by_role("button", name="Add webhook").click()

        # Then the secret shows once, with how to check a delivery, and copies to the clipboard
        secret_box = page.get_by_role("region", name="Secret of Order system")
        expect(secret_box).to_be_focused()
        expect(secret_box).to_contain_text("it is shown this once")
        expect(secret_box).to_contain_text("Postdesk-Signature: t=…,v1=…")
        secret = secret_box.get_by_label("Secret", exact=True).input_value()
        assert len(secret) >= 32
        secret_box.get_by_role("button", name="Copy secret").click()
        expect(secret_box.get_by_role("status")).to_have_text("Copied to the clipboard.")
        assert page.evaluate("navigator.clipboard.readText()") == secret
        card = page.get_by_role("article", name="Order system")
        expect(card).to_contain_text(receiver.url)
        expect(card).to_contain_text("Created")
        expect(card).to_contain_text("JSON")
        expect(card).to_contain_text("None yet")
        page.screenshot(path=str(SCREENSHOTS / "webhooks-secret-1366.png"), full_page=True)
        secret_box.get_by_role("button", name="I have saved the secret").click()
        expect(secret_box).to_be_hidden()
        # Shown once: a reload shows the webhook, never its secret
        page.reload()
        expect(card).to_be_visible()
        expect(page.locator("#webhook-secret")).to_be_hidden()
        assert page.locator("#webhook-secret-value").input_value() == ""

        # When a customer writes
        send(stack, mail("Webhook console parcel", "Hello,\n\nwhere is parcel 31?\n\nJane"))
        ref = ref_of(outbox(stack, "Webhook console parcel")[0])

        # Then the receiver gets the new ticket, signed with the secret the page showed
        _wait_for(lambda: len(receiver.received) >= 1)
        first = receiver.received[0]
        assert json.loads(first.body)["ref"] == ref
        assert verify_signature(secret, first.headers[HEADER.lower()], first.body, int(time.time()))

        # And the page's log shows the delivery, and the list its last delivery
        rows = _deliveries_once_logged(page, card, 1)
        expect(rows.first).to_contain_text("Created")
        expect(rows.first).to_contain_text("Delivered (HTTP 200)")
        expect(rows.first.get_by_role("cell").nth(1)).to_have_text("1")
        # (the log read brings the card's last delivery up to date, without a reload)
        expect(card.locator("dd").filter(has_text="Delivered (HTTP 200)")).to_be_visible()
        page.reload()
        expect(card).to_contain_text("Last delivery")
        expect(card.locator("dd").filter(has_text="Delivered (HTTP 200)")).to_be_visible()
        rows = _deliveries_once_logged(page, card, 1)
        page.screenshot(path=str(SCREENSHOTS / "webhooks-deliveries-1366.png"), full_page=True)

        # When the admin replays it
        rows.first.get_by_role("button", name="Replay", exact=False).click()
        expect(card.get_by_role("status")).to_have_text(
            "Sent again to Order system: the log below shows how it went in a moment."
        )
        # Then the receiver gets the same event again
        _wait_for(lambda: len(receiver.received) >= 2)
        assert json.loads(receiver.received[1].body)["event_id"] == json.loads(first.body)["event_id"]
        assert receiver.received[1].headers["postdesk-event-id"] == first.headers["postdesk-event-id"]

        # When they turn it off
        card.get_by_role("button", name="Turn off Order system").click()
        expect(page.locator("#webhooks-status")).to_contain_text("Order system is off")
        expect(card).to_contain_text("Off: nothing is sent")
        assert api(stack, "GET", "/webhooks")["webhooks"][0]["enabled"] is False
        # Then a replay is refused in words
        rows = _deliveries_once_logged(page, card, 1)
        rows.first.get_by_role("button", name="Replay", exact=False).click()
        expect(card.get_by_role("status")).to_have_text(
            "Not sent again: Order system is off. Turn it on first."
        )

        # At a phone's width the page fits
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(200)
        _no_horizontal_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / "webhooks-390.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})

        # When they ask for a new secret: a dialog, then the new secret once
        card.get_by_role("button", name="New secret for Order system…").click()
        dialog = page.get_by_role("dialog", name="A new secret for Order system?")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        dialog.get_by_role("button", name="Make a new secret").click()
        rolled = page.get_by_role("region", name="New secret of Order system")
        expect(rolled).to_be_focused()
        assert page.locator("#webhook-secret-value").input_value() not in ("", secret)

        # When they change its events to every event
        rolled.get_by_role("button", name="I have saved the secret").click()
        card.get_by_role("button", name="Change events of Order system").click()
        events_form = page.get_by_role("form", name="Change the events of Order system")
        expect(events_form.get_by_label("Only these events")).to_be_focused()
        expect(events_form.get_by_role("checkbox", name="Created ticket.created")).to_be_checked()
        expect(events_form.get_by_label("Address (URL)")).to_be_hidden()
        page.set_viewport_size({"width": 390, "height": 844})
        _no_horizontal_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / "webhooks-events-390.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})
        events_form.get_by_role("checkbox", name="Created ticket.created").uncheck()
        events_form.get_by_role("button", name="Save events").click()
        expect(events_form.locator("#webhook-events-error")).to_have_text(
            "Tick at least one event, or choose every event."
        )
        events_form.get_by_label("Every event, including those added later").check()
        events_form.get_by_role("button", name="Save events").click()
        # Then the card and the desk say so
        expect(events_form).to_be_hidden()
        expect(card.locator("dd").filter(has_text="Every event")).to_be_visible()
        assert api(stack, "GET", "/webhooks")["webhooks"][0]["events"] == ["*"]

        # When they delete it: a dialog names it; Cancel keeps it and gives the focus back
        delete = card.get_by_role("button", name="Delete Order system…")
        delete.click()
        dialog = page.get_by_role("dialog", name="Delete the webhook Order system?")
        expect(dialog).to_contain_text(receiver.url)
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(delete).to_be_focused()
        delete.click()
        dialog.get_by_role("button", name="Delete", exact=True).click()

        # Then it is gone, from the page and the desk
        expect(dialog).to_be_hidden()
        expect(page.locator("#webhooks-status")).to_have_text("Deleted the webhook Order system.")
        expect(page.locator("#webhooks-list")).to_contain_text("No webhooks yet")
        assert api(stack, "GET", "/webhooks")["webhooks"] == []
