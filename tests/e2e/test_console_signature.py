"""An agent's signature in the console, in a real browser against the desk on a local moto server:
"Your signature" from the account bar, a signature for every language and one for German, the
sign-off previewed for a ticket's language and queue (with the queue's legal footer), a refusal said
at the field, and a reply that goes out with exactly one sign-off: the German closing, the German
signature, the desk's name and the footer; on a phone as on a desk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk import runtime
from postdesk_tools.local_server import RunningDesk, running_desk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE = {"width": 390, "height": 844}
IMPRINT = "Example Payments GmbH · Beispielstraße 1 · 10115 Berlin · HRB 67890 B"
SIGN_OFF_FILE = f"""
[closing]
en = "Best regards,"
de = "Viele Grüße"

[recognised]
de = ["Danke"]

[queues.billing-de.footer]
de = "{IMPRINT} · [Impressum](https://example.com/impressum)"
"""
GERMAN_BILLING_MAIL = build_mail(
    subject="Rechnung doppelt abgebucht",
    body="Guten Tag,\n\nmeine Rechnung wurde zweimal abgebucht. Bitte erstatten Sie den Betrag.\n\nMax",
    sender="Max Mustermann <max@kunde.example>",
)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDesk]:
    """The desk of this module runs with a sign-off file that gives billing-de a legal footer (the
    environment is restored when the desk stops)."""
    sign_off = tmp_path_factory.mktemp("sign-off") / "sign_off.toml"
    sign_off.write_text(SIGN_OFF_FILE, encoding="utf-8")
    with running_desk() as running:
        os.environ["POSTDESK_SIGN_OFF"] = str(sign_off)
        runtime.reset_runtime()
        yield running


def _text_part(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_agent_writes_a_signature_previews_it_and_a_reply_signs_off_once(
    desk: RunningDesk, page: Page
) -> None:
    # Given the agent, Local Admin, and a German billing ticket
    token = desk.add_agent("admin@example.com", "Local Admin")
    ref = desk.deliver(GERMAN_BILLING_MAIL)
    ticket = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    assert (ticket["language"], ticket["queue"]) == ("de", "billing-de")

    # When they open "Your signature" from the account bar
    sign_in(page, desk, token)
    account = page.get_by_role("navigation", name="Account")
    account.get_by_role("button", name="Your account").click()
    account.get_by_role("link", name="Your signature").click()
    expect(page.get_by_role("heading", name="Your signature", level=1)).to_be_focused()
    assert page.url.endswith("#/signature")
    preview = page.locator("#signature-preview")

    # Then the preview shows the sign-off they have now: the desk's closing, their name, the desk's
    expect(preview.locator(".signature-sign-off")).to_have_text("Best regards,\nLocal Admin\nExample Support")

    # When they write a signature for every language and one for German, and preview German billing
    page.get_by_label("Signature in every language").fill(
        "**Local Admin**\nSupport team · [Help centre](https://example.com/help)"
    )
    page.get_by_text("Signatures for one language").click()
    page.get_by_label("Signature in German (de)").fill(
        "**Local Admin**\nKundenservice · [Hilfe](https://example.com/hilfe)"
    )
    choices = page.get_by_role("region", name="Preview of the sign-off")
    choices.get_by_label("Ticket language").select_option("de")
    choices.get_by_label("Queue").select_option("billing-de")

    # Then the preview is the German sign-off as the mail's text reads, with billing-de's footer
    expect(preview.locator(".signature-sign-off")).to_have_text(
        "Viele Grüße\nLocal Admin\nKundenservice · Hilfe <https://example.com/hilfe>\nExample Support"
    )
    expect(preview.locator(".signature-footer")).to_have_text(
        f"{IMPRINT} · Impressum <https://example.com/impressum>"
    )
    expect(page.locator("#signature-status")).to_have_text("Not saved yet.")

    # When the German one holds HTML and they save
    german = page.get_by_label("Signature in German (de)")
    german.fill("<b>Local Admin</b>")
    # Then the preview says why it cannot show it, and saving is refused at the field, in words
    expect(page.locator("#signature-preview-problem")).to_contain_text("signature.de holds HTML (<b>)")
    page.get_by_role("button", name="Save signature").click()
    expect(page.locator("#signature-de-error")).to_contain_text("write Markdown instead")
    expect(german).to_have_attribute("aria-invalid", "true")
    expect(german).to_be_focused()
    assert api_ok(desk, token, "GET", "/me")["signature"] == {}

    # When they write it in Markdown and save
    german.fill("**Local Admin**\nKundenservice · [Hilfe](https://example.com/hilfe)")
    page.get_by_role("button", name="Save signature").click()
    expect(page.locator("#signature-status")).to_have_text("Saved. Your next replies sign with it.")
    expect(german).not_to_have_attribute("aria-invalid", "true")
    assert api_ok(desk, token, "GET", "/me")["signature"] == {
        "default": "**Local Admin**\nSupport team · [Help centre](https://example.com/help)",
        "de": "**Local Admin**\nKundenservice · [Hilfe](https://example.com/hilfe)",
    }
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=str(SCREENSHOTS / "signature.png"), full_page=True)
    page.set_viewport_size(PHONE)
    expect(preview.locator(".signature-footer")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "signature-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # When they answer the German ticket from the console
    sent_before = len(desk.sent_mail())
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Rechnung doppelt abgebucht")
    page.locator("#reply-body").fill("Hallo Max,\n\nwir erstatten den Betrag heute.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread .kind-agent_reply .message-body")).to_contain_text(
        "wir erstatten den Betrag"
    )

    # Then the mail carries exactly one sign-off: the German closing, the German signature, the
    # desk's name, then billing-de's footer, in the text part as plain text ...
    (sent,) = desk.sent_mail()[sent_before:]
    message = sent.message
    assert isinstance(message, EmailMessage)
    text = _text_part(message)
    assert text == (
        "Hallo Max,\n\nwir erstatten den Betrag heute.\n\n"
        "Viele Grüße\nLocal Admin\nKundenservice · Hilfe <https://example.com/hilfe>\nExample Support\n\n"
        f"{IMPRINT} · Impressum <https://example.com/impressum>\n\n--\n[#{ref}]\n"
    )
    # ... and in the HTML part with the Markdown rendered
    html = _html_part(message)
    assert html.count("Viele Grüße") == 1 and html.count("Local Admin") == 1
    assert "<strong>Local Admin</strong>" in html
    assert '<a href="https://example.com/hilfe">Hilfe</a>' in html
    assert '<a href="https://example.com/impressum">Impressum</a>' in html
    assert "Best regards" not in text and "Support team" not in text
