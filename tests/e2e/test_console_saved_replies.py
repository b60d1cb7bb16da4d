"""Saved replies in the console, in a real browser against the desk on a local moto server: an admin
writes, changes and deletes them on their page with a live preview (a sample ticket's details or a
chosen ticket's) and the desk's refusals said at the field; an agent reads them there without
changing anything; in the reply box an agent sees those of the ticket's language first, finds one by
its title, previews it with the ticket's details and inserts it; the reports count its use."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE = {"width": 390, "height": 844}
PARCEL = "Hi {{ customer.first_name }},\n\nyour parcel is **on its way**.\n\n{{ agent.first_name }}"
GERMAN_MAIL = (
    "Guten Tag,\n\nmein Paket ist noch nicht angekommen. Können Sie bitte nachsehen, wo es bleibt?"
    "\n\nViele Grüße\nJörg"
)


def _preview_frame(page: Page, box: str) -> FrameLocator:
    return page.frame_locator(f"{box} iframe.reply-preview-frame")


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_admin_writes_changes_and_deletes_a_saved_reply_with_a_preview(
    desk: RunningDesk, page: Page
) -> None:
    # Given an admin, and a customer's ticket to preview with
    admin = desk.add_agent("ada@example.com", "Ada Admin", Role.ADMIN)
    ref = desk.deliver(build_mail(subject="Where is my parcel?", sender="Ines Ramos <ines@shop.example>"))

    # When Ada opens Saved replies from the navigation and starts a new one
    sign_in(page, desk, admin)
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Saved replies").click()
    expect(page.get_by_role("heading", name="Saved replies", level=1)).to_be_visible()
    page.get_by_role("link", name="New saved reply").click()
    editor = page.locator("#saved-reply-editor")
    expect(editor.get_by_role("heading", name="New saved reply")).to_be_visible()
    assert page.url.endswith("#/saved-replies/new")

    # Then what she types shows at once as a customer reads it, with a sample ticket's details
    editor.get_by_label("Title").fill("Parcel on its way")
    editor.get_by_label("Language").fill("en")
    editor.get_by_label("Text", exact=True).fill(PARCEL)
    sample = _preview_frame(page, "#saved-reply-editor-preview")
    expect(sample.locator("body")).to_contain_text("Hi Jane,")
    expect(sample.locator("strong")).to_have_text("on its way")
    expect(sample.locator("body")).to_contain_text("Ada")

    # And with a chosen ticket's details when she names one
    editor.get_by_label("With the details of ticket").fill(ref.lower())
    expect(_preview_frame(page, "#saved-reply-editor-preview").locator("body")).to_contain_text("Hi Ines,")
    expect(page.locator("#saved-reply-editor-preview")).to_contain_text(f"ticket {ref} (Ines Ramos)")
    editor.get_by_label("With the details of ticket").fill("ZZZZ-ZZZZ")
    expect(page.locator("#saved-reply-preview-ref-error")).to_have_text(
        "No ticket has the reference ZZZZ-ZZZZ."
    )
    editor.get_by_label("With the details of ticket").fill(ref)
    expect(_preview_frame(page, "#saved-reply-editor-preview").locator("body")).to_contain_text("Hi Ines,")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=str(SCREENSHOTS / "saved-reply-editor.png"), full_page=True)

    # When the text uses a variable that does not exist
    editor.get_by_label("Text", exact=True).fill("Hi {{ customer.age }}")
    # Then the preview says why in words, and saving is refused at the field
    expect(page.locator("#saved-reply-editor-preview .error")).to_contain_text(
        "unknown variable customer.age"
    )
    editor.get_by_role("button", name="Save").click()
    body_error = page.locator("#saved-reply-body-error")
    expect(body_error).to_contain_text("The desk cannot save this: line 1: unknown variable customer.age")
    expect(editor.get_by_label("Text", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(editor.get_by_label("Text", exact=True)).to_be_focused()

    # And a title or language the desk would refuse is said before anything is sent
    editor.get_by_label("Title").fill(" ")
    editor.get_by_label("Language").fill("e1")
    editor.get_by_role("button", name="Save").click()
    expect(page.locator("#saved-reply-title-error")).to_have_text(
        "Give the saved reply a title: it is what agents choose it by."
    )
    expect(page.locator("#saved-reply-language-error")).to_contain_text("A language is two letters")
    expect(editor.get_by_label("Title")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "saved-reply-editor-refused.png"), full_page=True)

    # When she puts it right and saves
    editor.get_by_label("Title").fill("Parcel on its way")
    editor.get_by_label("Language").fill("en")
    editor.get_by_label("Text", exact=True).fill(PARCEL)
    editor.get_by_role("button", name="Save").click()

    # Then the list shows it, with its language and no use yet
    expect(page.locator("#saved-replies-status")).to_have_text("Saved “Parcel on its way”.")
    expect(page.locator("#saved-replies-status")).to_have_class("notice-ok")
    expect(page.locator("#flash")).to_be_hidden()
    row = page.locator("#saved-replies-list tbody tr", has_text="Parcel on its way")
    expect(row).to_contain_text("English (en)")
    expect(row.locator("td").first.locator("xpath=following-sibling::td[1]")).to_have_text("0")
    (stored,) = [
        r
        for r in api_ok(desk, admin, "GET", "/saved-replies")["saved_replies"]
        if r["title"] == "Parcel on its way"
    ]
    assert (stored["language"], stored["body"]) == ("en", PARCEL)
    page.screenshot(path=str(SCREENSHOTS / "saved-replies.png"), full_page=True)

    # When she edits it: the title changes
    row.get_by_role("link", name="Edit Parcel on its way").click()
    expect(editor.get_by_role("heading", name="Edit “Parcel on its way”")).to_be_visible()
    expect(editor.get_by_label("Title")).to_have_value("Parcel on its way")
    editor.get_by_label("Title").fill("Parcel sent")
    editor.get_by_role("button", name="Save").click()
    expect(page.locator("#saved-replies-status")).to_have_text("Saved “Parcel sent”.")
    expect(page.locator("#saved-replies-list tbody tr", has_text="Parcel sent")).to_be_visible()

    # And on a phone the list and the editor fit the width
    page.set_viewport_size(PHONE)
    expect(page.locator("#saved-replies-list tbody tr", has_text="Parcel sent")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "saved-replies-phone.png"), full_page=True)
    page.locator("#saved-replies-list tbody tr", has_text="Parcel sent").get_by_role(
        "link", name="Parcel sent", exact=True
    ).click()
    # (the ticket chosen for the preview stays while she looks at one saved reply after another)
    expect(_preview_frame(page, "#saved-reply-editor-preview").locator("body")).to_contain_text("Hi Ines,")
    _no_sideways_scroll(page)
    page.locator("#saved-reply-editor-preview").scroll_into_view_if_needed()
    # (a frame just made is painted a moment after its document is there)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "saved-reply-editor-phone.png"))
    page.go_back()
    page.set_viewport_size({"width": 1280, "height": 900})

    # When she deletes it, confirming in the dialog
    sent_row = page.locator("#saved-replies-list tbody tr", has_text="Parcel sent")
    sent_row.get_by_role("button", name="Delete Parcel sent…").click()
    dialog = page.get_by_role("dialog", name="Delete “Parcel sent”?")
    expect(dialog).to_contain_text("“Parcel sent” goes for good")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "saved-reply-delete.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(sent_row.get_by_role("button", name="Delete Parcel sent…")).to_be_focused()
    sent_row.get_by_role("button", name="Delete Parcel sent…").click()
    dialog.get_by_role("button", name="Delete").click()

    # Then it is gone from the list and from the desk
    expect(page.locator("#saved-replies-status")).to_have_text("Deleted “Parcel sent”.")
    expect(page.locator("#saved-replies-list")).not_to_contain_text("Parcel sent")
    assert all(r["id"] != stored["id"] for r in api_ok(desk, admin, "GET", "/saved-replies")["saved_replies"])


def test_an_agent_reads_saved_replies_but_changes_nothing(desk: RunningDesk, page: Page) -> None:
    # Given a saved reply an admin wrote
    admin = desk.add_agent("lou@example.com", "Lou Admin", Role.ADMIN)
    created = api_ok(
        desk,
        admin,
        "POST",
        "/saved-replies",
        {"title": "Opening hours", "body": "We answer from 8 to 18, {{ customer.first_name }}."},
    )["saved_reply"]
    agent = desk.add_agent("eli@example.com", "Eli Hart")

    # When an agent opens the page
    sign_in(page, desk, agent, "#/saved-replies")
    row = page.locator("#saved-replies-list tbody tr", has_text="Opening hours")

    # Then the list has no figures, no new, edit or delete
    expect(row).to_contain_text("Any language")
    expect(page.get_by_role("link", name="New saved reply")).to_be_hidden()
    expect(page.locator("#saved-replies-list thead")).not_to_contain_text("Uses")
    expect(row.get_by_role("button")).to_have_count(0)

    # And a saved reply reads with its preview, its fields locked
    row.get_by_role("link", name="Opening hours", exact=True).click()
    expect(page.locator("#saved-reply-readonly")).to_be_visible()
    expect(page.get_by_label("Title")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_be_hidden()
    expect(_preview_frame(page, "#saved-reply-editor-preview").locator("body")).to_contain_text(
        "We answer from 8 to 18, Jane."
    )
    assert page.url.endswith(f"#/saved-replies/{created['id']}")

    # And the new-reply address sends the agent back to the list, saying why
    page.goto(f"{desk.api_url}/console#/saved-replies/new")
    expect(page.locator("#flash")).to_have_text("Only the desk's admins can write saved replies.")
    expect(page.locator("#saved-replies-list tbody tr", has_text="Opening hours")).to_be_visible()


def test_the_reply_box_offers_the_tickets_language_first_and_previews_with_its_details(
    desk: RunningDesk, page: Page
) -> None:
    # Given saved replies in German, English and French and for any language, enough to search
    admin = desk.add_agent("mia@example.com", "Mia Admin", Role.ADMIN)
    written = {
        title: api_ok(
            desk, admin, "POST", "/saved-replies", {"title": title, "body": body, "language": language}
        )["saved_reply"]["id"]
        for title, body, language in [
            ("Paket unterwegs", "Hallo {{ customer.first_name }},\n\nIhr Paket ist **unterwegs**.", "de"),
            ("Rückerstattung", "Hallo {{ customer.first_name }},\n\ndas Geld ist zurück.", "de"),
            ("Parcel in transit", PARCEL, "en"),
            ("Invoice copy", "Hi, your invoice is attached.", "en"),
            ("Colis en route", "Bonjour, votre colis est en route.", "fr"),
            ("Thanks", "Thank you, {{ customer.first_name }}!", ""),
            ("Password reset", "Use the link on the sign-in page.", ""),
            ("Address change", "We changed the address.", "en"),
        ]
    }
    # and a customer's ticket in German
    ref = desk.deliver(
        build_mail(subject="Paket fehlt", body=GERMAN_MAIL, sender="Jörg Müller <joerg@shop.example>")
    )
    assert api_ok(desk, admin, "GET", f"/tickets/{ref}")["ticket"]["language"] == "de"
    agent = desk.add_agent("noa@example.com", "Noa Berg")
    sent_before = len(desk.sent_mail())

    # When an agent opens the ticket
    sign_in(page, desk, agent, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Paket fehlt")
    saved = page.get_by_label("Saved reply")

    # Then the German saved replies come first, then those for any language, then the others by language
    groups = saved.locator("optgroup")
    expect(groups).to_have_count(4)
    labels = [groups.nth(index).get_attribute("label") for index in range(4)]
    assert labels == [
        "German (this ticket's language)",
        "Any language",
        "English (en)",
        "French (fr)",
    ]
    expect(groups.first.locator("option")).to_have_text(["Paket unterwegs", "Rückerstattung"])
    expect(page.get_by_role("button", name="Insert")).to_be_disabled()

    # When the agent types part of a title, without accents, and presses Enter
    search = page.get_by_label("Search saved replies")
    search.fill("ruckerst")
    expect(saved.locator("option:not([value=''])")).to_have_text(["Rückerstattung"])
    total = len(api_ok(desk, admin, "GET", "/saved-replies")["saved_replies"])
    expect(page.locator("#saved-reply-count")).to_have_text(
        f"1 of {total} saved replies have those words in their title."
    )
    search.fill("paket")
    search.press("Enter")

    # Then that saved reply is chosen and previewed with this ticket's details, nothing sent
    expect(saved).to_have_value(written["Paket unterwegs"])
    preview = page.locator("#saved-reply-preview")
    expect(preview.get_by_role("heading", name="Preview: Paket unterwegs")).to_be_visible()
    expect(_preview_frame(page, "#saved-reply-preview").locator("body")).to_contain_text("Hallo Jörg,")
    expect(_preview_frame(page, "#saved-reply-preview").locator("strong")).to_have_text("unterwegs")
    # (with the one sign-off the reply will carry: the ticket's language, under the body)
    expect(_preview_frame(page, "#saved-reply-preview").locator("body")).to_contain_text("Viele Grüße")
    expect(preview).to_contain_text(
        f"With the details of {ref} filled in, as Jörg Müller will read it, with the sign-off"
    )
    assert len(desk.sent_mail()) == sent_before
    page.locator("#saved-reply-preview").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "reply-box-saved-reply-preview.png"), full_page=True)
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.locator("#saved-reply-preview").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "reply-box-saved-reply-preview-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # When the agent inserts it and sends
    page.get_by_role("button", name="Insert").click()
    message = page.locator("#reply-body")
    expect(message).to_have_value("Hallo {{ customer.first_name }},\n\nIhr Paket ist **unterwegs**.")
    expect(preview).to_be_hidden()
    expect(message).to_be_focused()
    page.get_by_role("button", name="Send reply").click()

    # Then the customer gets it with his name, and the report counts the use
    expect(page.locator("#thread .kind-agent_reply .message-body")).to_contain_text("Hallo Jörg,")
    (mail,) = desk.sent_mail()[sent_before:]
    plain = mail.message.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content().startswith("Hallo Jörg,")
    assert plain.get_content().count("Viele Grüße") == 1
    figures = {row["id"]: row for row in api_ok(desk, admin, "GET", "/metrics")["saved_replies"]}
    assert figures[written["Paket unterwegs"]]["uses"] == 1
    assert figures[written["Rückerstattung"]]["uses"] == 0

    # And an admin sees the use on the Reports page and the saved replies page
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("#sign-in-notice")).to_have_text("You are signed out.")
    sign_in(page, desk, admin, "#/reports")
    figure = page.locator("#report-saved-replies")
    expect(figure).to_contain_text("Paket unterwegs")
    figure.get_by_text("Show table").click()
    expect(figure.get_by_role("row", name="Paket unterwegs")).to_contain_text("1")
    figure.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "reports-saved-replies.png"), full_page=True)
    page.goto(f"{desk.api_url}/console#/saved-replies")
    used = page.locator("#saved-replies-list tbody tr", has_text="Paket unterwegs")
    expect(used.locator("td[data-label^='Uses']")).to_have_text("1")
