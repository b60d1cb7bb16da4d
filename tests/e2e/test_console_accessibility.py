"""Accessibility: axe-core (vendored, tests/e2e/vendor/axe-core) audits every page and state of the
console, and the public pages the desk serves, in Debian's Chromium at a desktop's width and a
phone's; a serious or critical violation fails the test, naming the rule, the elements and the fix.

Every page or state is one line of STATES (or PUBLIC_PAGES): its name, its address, what shows
once it is there and, when it takes a click or two, what the agent does to reach it. A new page
gets its line here when it is added (docs/console.md, "How it is tested")."""

from __future__ import annotations

import io
import json
import re
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from postdesk.agents.model import Role
from postdesk_tools.change_feed import ChangeFeed, deliver_changes
from postdesk_tools.knowledge_cli import run_knowledge
from postdesk_tools.local_api import OUTBOX_VARIABLE
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.local_stack import lambda_function
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.accessibility import report, violations
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail, mail_with_attachments

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots" / "accessibility"
WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
AGENT = ("sam@example.com", "Sam Lee")

Refs = Mapping[str, str]
Action = Callable[[Page, Refs], None]


@dataclass(frozen=True)
class State:
    """A page of the console as an agent sees it.

    ``address`` follows ``/console`` ("#/reports", "?view=quarantine#/"); ``{name}`` in it is one of
    the tickets the module makes (``desk_data``). ``shown`` is visible once the page is there;
    ``then`` is what the agent does on it to reach the state (opens a dialog, ticks rows); ``who``
    is signed in: "agent", "admin", or None for the sign-in form."""

    name: str
    address: str
    shown: str = "main > section:not([hidden]) h1"
    then: Action | None = None
    who: str | None = "agent"


@dataclass(frozen=True)
class PublicPage:
    """A page the desk serves to customers: ``link`` names one of the links ``desk_data`` made."""

    name: str
    link: str
    shown: str = "h1"
    then: Action | None = None


# ---- what the agent does to reach a state ----


def send_a_new_ticket_without_subject(page: Page, refs: Refs) -> None:
    form = page.get_by_role("region", name="New ticket")
    form.get_by_label("To (customer's email)").fill("ines.ramos@customer.example")
    form.get_by_role("button", name="Send and create the ticket").click()
    expect(page.locator("#new-ticket-error")).to_be_visible()


def preview_a_saved_reply(page: Page, refs: Refs) -> None:
    page.locator("#saved-reply").select_option(label="Parcel on its way")
    expect(page.frame_locator("#saved-reply-preview iframe").locator("body")).to_contain_text("Hi Jörg,")


def save_a_broken_saved_reply(page: Page, refs: Refs) -> None:
    page.get_by_label("Title").fill("Greeting")
    page.get_by_label("Text", exact=True).fill("Hi {{ customer.age }}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved-reply-body-error")).to_be_visible()


def find_articles_for_a_saved_reply(page: Page, refs: Refs) -> None:
    editor = page.locator("#saved-reply-editor")
    editor.get_by_role("button", name="Find a help article…").click()
    editor.get_by_label("Search articles to link").fill("parcel")
    expect(page.locator("#saved-reply-article-results li").first).to_be_visible()


def open_saved_reply_delete(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Delete Parcel on its way…").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def wrong_password(page: Page, refs: Refs) -> None:
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill("nobody@example.com")
    form.get_by_label("Password", exact=True).fill("Not-the-password-1")
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_be_visible()


def _answer_sign_in_with(page: Page, answer: dict[str, object]) -> None:
    """POST /session answers ``answer`` (a step the desk asks for): the page's markup is what is
    audited, whatever account would reach it."""

    def fulfil(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))
        else:
            route.continue_()

    page.route(re.compile(r"/session$"), fulfil)
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill("nia@example.com")
    form.get_by_label("Password", exact=True).fill("Temporary-2026-pass")
    form.get_by_role("button", name="Sign in").click()


def asked_for_a_new_password(page: Page, refs: Refs) -> None:
    _answer_sign_in_with(
        page, {"signed_in": False, "next": "new_password", "challenge": "c1", "message": "Send new_password."}
    )
    page.locator("#new-password").fill("Harbour-lights-42")
    page.locator("#new-password-again").fill("Harbour-lights-43")
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("#sign-in-error")).to_be_visible()


def asked_to_set_up_two_step(page: Page, refs: Refs) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    _answer_sign_in_with(
        page,
        {
            "signed_in": False,
            "next": "totp_setup",
            "challenge": "c2",
            "message": "Send code.",
            "secret": secret,
            "otpauth_uri": f"otpauth://totp/Postdesk:nia%40example.com?secret={secret}&issuer=Postdesk",
        },
    )
    expect(page.locator("#totp-setup-secret")).to_have_text("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP")


def asked_for_a_code(page: Page, refs: Refs) -> None:
    _answer_sign_in_with(
        page, {"signed_in": False, "next": "code", "challenge": "c3", "message": "Send code."}
    )
    expect(page.locator("#sign-in-code")).to_be_focused()


def offered_single_sign_on(page: Page, refs: Refs) -> None:
    """GET /session/options says the desk offers single sign-on (this desk has no provider set)."""
    page.route(
        re.compile(r"/session/options$"),
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"sso": True, "sso_provider": "Okta"}),
        ),
    )
    page.reload()
    expect(page.get_by_role("link", name="Sign in with Okta")).to_be_visible()


def forgot_the_password(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.locator("#reset-email")).to_be_focused()


def asked_for_the_reset_code(page: Page, refs: Refs) -> None:
    forgot_the_password(page, refs)
    page.locator("#reset-email").fill("nobody@example.com")
    page.get_by_role("button", name="Mail me a code").click()
    expect(page.locator("#reset-code")).to_be_visible()


def open_the_invitation_form(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Invite an agent").click()
    page.get_by_label("Only these queues").check()
    expect(page.locator("#agent-queue-list")).to_be_visible()


def invite_without_a_name(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Invite an agent").click()
    page.get_by_role("form", name="Invite an agent").get_by_label("Email").fill("new@example.com")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#agent-form-error")).to_be_visible()


def open_the_token_form(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_label("Scope")).to_be_visible()


def create_a_token(page: Page, refs: Refs) -> None:
    open_the_token_form(page, refs)
    page.get_by_role("form", name="Create a token").get_by_label("Name").fill("Accessibility check")
    page.get_by_role("button", name="Create the token").click()
    expect(page.locator("#token-secret")).to_be_focused()


def open_the_revoke_dialog(page: Page, refs: Refs) -> None:
    page.locator("#tokens-list button[data-action=revoke]").first.click()
    expect(page.locator("#token-revoke-dialog")).to_be_visible()


def start_two_step(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#two-step-code")).to_be_focused()


def open_filters(page: Page, refs: Refs) -> None:
    panel = page.locator("#filter-panel")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(page.locator("#filter-priority")).to_be_visible()


def tick_two_rows(page: Page, refs: Refs) -> None:
    page.get_by_label(f"Select {refs['ticket']}").check()
    page.get_by_label(f"Select {refs['files']}").check()
    expect(page.locator("#bulk-bar")).to_be_visible()


def choose_merge_into_one(page: Page, refs: Refs) -> None:
    tick_two_rows(page, refs)
    page.locator("#bulk-bar").get_by_label("Action").select_option(label="Merge into one")
    expect(page.locator("#bulk-bar").get_by_label("Ticket to keep")).to_be_visible()


def add_a_tag_that_cannot_be(page: Page, refs: Refs) -> None:
    tick_two_rows(page, refs)
    bar = page.locator("#bulk-bar")
    bar.get_by_label("Action").select_option(label="Add tags")
    bar.get_by_label("Tags to add").fill("free shipping!")
    bar.get_by_role("button", name="Apply").click()
    expect(bar.get_by_role("alert")).to_be_visible()


def unassign_two(page: Page, refs: Refs) -> None:
    tick_two_rows(page, refs)
    page.locator("#bulk-bar").get_by_label("Assign to").select_option(label="Nobody (unassigned)")
    page.locator("#bulk-bar").get_by_role("button", name="Apply").click()
    expect(page.locator("#bulk-result")).to_be_visible()


def open_account_menu(page: Page, refs: Refs) -> None:
    """The account bar's menu: "Menu" (the whole bar) on a phone, "Your account" on a desktop."""
    account = page.get_by_role("navigation", name="Account")
    opener = account.locator("#account-menu-button:visible, #account-more-button:visible").first
    opener.click()
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(account.get_by_role("link", name="Your signature")).to_be_visible()


def open_the_bell(page: Page, refs: Refs) -> None:
    """The bell's panel with an unread mention, a read assignment and an article to look at (the
    list as the API gives it, so the panel is full whatever the desk told this agent)."""
    ref = refs["ticket"]
    items = [
        ("mentioned", f"Ana Ruiz mentioned you in a note on ticket {ref} (Parcel 4711 missing):", ref, False),
        ("assigned", f"Ana Ruiz assigned ticket {ref} (Parcel 4711 missing) to you.", ref, True),
        ("article_flagged", "Your help-center article “Returns” (returns) needs a look.", None, False),
    ]
    body = {
        "notifications": [
            {
                "id": f"{index:032x}",
                "kind": kind,
                "text": text,
                "ref": about,
                "subject": "Parcel 4711 missing",
                "article": None if about else "returns",
                "article_language": None if about else "en",
                "actor": "Ana Ruiz",
                "detail": "@sam can you call him?" if kind == "mentioned" else "",
                "at": "2026-12-01T09:30:00.000Z",
                "read": read,
                "read_at": "2026-12-01T09:40:00.000Z" if read else None,
            }
            for index, (kind, text, about, read) in enumerate(items)
        ],
        "unread": 2,
        "next_cursor": None,
    }
    page.route("**/notifications?*", lambda route: route.fulfill(json=body))
    page.get_by_role("navigation", name="Account").locator("#bell-button").click()
    expect(page.locator("#bell-list li")).to_have_count(3)
    page.unroute("**/notifications?*")


def press_question_mark(page: Page, refs: Refs) -> None:
    page.locator("body").press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def open_automatic_mails(page: Page, refs: Refs) -> None:
    folded = page.locator("#thread details:not([open]) > summary")
    expect(folded.first).to_be_visible()
    while folded.count():
        folded.first.click()


def show_original(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Show original").first.click()
    expect(page.locator("iframe.original")).to_be_visible()


def save_nothing(page: Page, refs: Refs) -> None:
    page.locator("#properties-form").get_by_role("button", name="Save").click()
    expect(page.locator("#properties-message")).to_be_visible()


def edit_properties_unsaved(page: Page, refs: Refs) -> None:
    properties = page.locator("#properties-form")
    properties.get_by_label("Priority").select_option("urgent")
    properties.get_by_label("Add a tag").fill("vip")
    properties.get_by_label("Add a tag").press("Enter")
    expect(page.locator("#ticket-tags li")).to_have_count(1)
    expect(page.locator("#properties-unsaved")).to_be_visible()


def edit_the_subject(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Edit subject").click()
    expect(page.get_by_label("Subject", exact=True)).to_be_focused()


def merge_into_the_kept_ticket(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Merge into…").click()
    page.get_by_label("Reference of the ticket to keep").fill(refs["kept"])
    expect(page.locator("#merge-target .merge-card")).to_be_visible()


def merge_into_itself(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Merge into…").click()
    page.get_by_label("Reference of the ticket to keep").fill(refs["ticket"])
    expect(page.locator("#merge-target .error")).to_be_visible()


def open_split(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Split into a new ticket").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def open_delete(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def send_over_an_older_thread(page: Page, refs: Refs) -> None:
    """The reply names a thread the agent saw before the customer's mail (the empty marker): the
    API's 409 says what changed, the box offers to send anyway."""

    def older(route: Route) -> None:
        route.continue_(post_data=json.dumps({**json.loads(route.request.post_data or "{}"), "seen": "s1."}))

    page.route("**/replies", older)
    page.locator("#reply-body").fill("We are on it.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-conflict")).to_be_visible()


ATTACHED_PDF = {"name": "return-label.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n%%EOF\n"}
REFUSED_PROGRAM = {"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ" + bytes(62)}
DISGUISED_PROGRAM = {
    "name": "fake-invoice.pdf",
    "mimeType": "application/pdf",
    "buffer": b"\x7fELF\x02\x01\x01" + bytes(120),
}


def send_a_refused_reply(page: Page, refs: Refs) -> None:
    """A program named .pdf: uploaded by its name, refused by its content when the reply goes; the
    refusal beside Send reply and the file marked."""
    page.locator("#reply-files").set_input_files([DISGUISED_PROGRAM])
    expect(page.locator("#reply-attachments .upload-state")).to_have_text("Attached")
    page.get_by_label("Message", exact=True).fill("The invoice is attached.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-message")).to_be_visible()
    expect(page.locator("#reply-attachments .upload-refused")).to_be_visible()


def attach_files(page: Page, refs: Refs) -> None:
    """A file uploaded to the reply (its row says Attached) and a program refused in words."""
    page.locator("#reply-files").set_input_files([ATTACHED_PDF, REFUSED_PROGRAM])
    expect(page.locator("#reply-attachments .upload-state")).to_have_text("Attached")
    expect(page.locator("#reply-attachments [role=alert]")).to_be_visible()


def attach_files_to_a_new_ticket(page: Page, refs: Refs) -> None:
    page.locator("#new-ticket-files").set_input_files([ATTACHED_PDF, REFUSED_PROGRAM])
    expect(page.locator("#new-ticket-attachments .upload-state")).to_have_text("Attached")
    expect(page.locator("#new-ticket-attachments [role=alert]")).to_be_visible()


def open_forward(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Forward this message").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()


def forward_to_the_customer(page: Page, refs: Refs) -> None:
    """The customer named as the third party: the API refuses it in words, in the dialog."""
    open_forward(page, refs)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="To", exact=True).fill("jane.doe@customer.example")
    dialog.get_by_role("button", name="Forward", exact=True).click()
    expect(page.locator("#forward-error")).to_be_visible()


def split_off(page: Page, refs: Refs) -> None:
    open_split(page, refs)
    page.get_by_role("button", name="Create the new ticket").click()
    expect(page.locator("#ticket-notice")).to_be_visible()


def send_the_rating(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Send my rating").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()


def send_no_rating(page: Page, refs: Refs) -> None:
    # No customer can untick a radio button; a form sent by a broken client can lack the rating.
    page.evaluate(
        """() => {
          document.querySelector("form").noValidate = true;
          document.querySelectorAll("input[type=radio]").forEach((radio) => (radio.checked = false));
        }"""
    )
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Send my rating").click()
    assert answer.value.status == 400
    expect(page.get_by_role("button", name="Send my rating")).to_be_visible()


def open_the_copies_editor(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Edit Cc and Bcc").click()
    page.locator("#copies-bcc-input").fill("not-an-address ")
    expect(page.locator("#copies-bcc-error")).to_be_visible()


def copy_too_many_on_the_reply(page: Page, refs: Refs) -> None:
    page.locator("#reply-bcc-input").fill(" ".join(f"p{n}@partner.example" for n in range(50)) + " ")
    expect(page.locator("#reply-recipient-count.error")).to_be_visible()


def open_snooze(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Snooze…").click()
    expect(page.locator("#snooze-presets button").first).to_be_focused()


def save_notifications(page: Page, refs: Refs) -> None:
    """The preferences saved: the confirmation in words."""
    page.get_by_role("button", name="Save notifications").click()
    expect(page.locator("#notifications-status")).to_contain_text("Saved")


# ---- every page and state: one line each ----

# A list has loaded: its rows, or the line that says there are none.
LIST_LOADED = "#queue-rows tr, #queue-empty:not([hidden])"


def add_a_webhook(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Add webhook").click()
    page.get_by_label("Address (URL)").fill("https://hooks.example.com/postdesk-audit")
    page.get_by_label("Only these events").check()
    page.get_by_role("checkbox", name="Created ticket.created").check()
    page.get_by_role("form", name="Add webhook").get_by_role("button", name="Add webhook").click()
    expect(page.locator("#webhook-secret")).to_be_focused()


def add_a_webhook_to_a_private_address(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Add webhook").click()
    page.get_by_label("Address (URL)").fill("https://10.0.0.8/hook")
    page.get_by_role("form", name="Add webhook").get_by_role("button", name="Add webhook").click()
    expect(page.locator("#webhook-url-error")).to_contain_text("That address is private")


def open_webhook_deliveries(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Deliveries of Order system").click()
    expect(page.locator(".webhook-deliveries:not([hidden]) p")).to_be_visible()


def create_an_empty_article(page: Page, refs: Refs) -> None:
    page.locator("#knowledge-form").get_by_label("Title").fill("Gift cards")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator("#knowledge-body-error")).to_be_visible()


def show_a_versions_changes(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Changes in version 2").click()
    expect(page.locator("#knowledge-diff .diff")).to_be_visible()


def show_what_changed_in_the_original(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Show what changed in the original").click()
    expect(page.locator("#knowledge-original-diff .diff")).to_be_visible()


def save_over_a_colleagues_draft(page: Page, refs: Refs) -> None:
    """PUT answers the 409 of a draft a colleague saved meanwhile: the box that says so is audited."""

    def stale(route: Route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        newer = {"number": 3, "author": "ana@example.com", "at": "2026-12-05T10:31:00Z"}
        message = "ana@example.com saved version 3 of the en translation at 2026-12-05 10:31 UTC"
        route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps({"error": "StaleDraft", "message": message, "newer": newer}),
        )

    page.route(re.compile(r"/articles/[a-z0-9-]+/[a-z]{2}$"), stale)
    page.locator("#knowledge-body").fill("Sizes run small: order one size up.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#knowledge-conflict")).to_be_visible()


def open_article_delete(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Delete the article…").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def search_help_articles(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Find a help article…").click()
    page.get_by_label("Search help articles").fill("parcel")
    expect(page.locator("#article-results li").first).to_be_visible()


def open_webhook_delete(page: Page, refs: Refs) -> None:
    page.get_by_role("button", name="Delete Order system…").click()
    expect(page.get_by_role("dialog", name="Delete the webhook Order system?")).to_be_visible()


STATES = [
    State("sign-in", "", shown="#sign-in-view h1", who=None),
    State("sign-in refused", "", shown="#sign-in-view h1", then=wrong_password, who=None),
    State("sign-in, a new password", "", shown="#sign-in-view h1", then=asked_for_a_new_password, who=None),
    State("sign-in, two-step set-up", "", shown="#sign-in-view h1", then=asked_to_set_up_two_step, who=None),
    State("sign-in, a code", "", shown="#sign-in-view h1", then=asked_for_a_code, who=None),
    State(
        "sign-in, single sign-on offered", "", shown="#sign-in-view h1", then=offered_single_sign_on, who=None
    ),
    State("sign-in, forgot password", "", shown="#sign-in-view h1", then=forgot_the_password, who=None),
    State("sign-in, reset code", "", shown="#sign-in-view h1", then=asked_for_the_reset_code, who=None),
    State("tickets", "#/", shown="#queue-rows tr"),
    State("search results", "?q=parcel#/", shown="#queue-rows mark"),
    State(
        "filters open", "?status=all&assignee=none&sort=priority#/", shown="#queue-rows tr", then=open_filters
    ),
    State("follow-up filter", "?status=all&follow_up=true#/", shown="#queue-rows tr"),
    State("empty list", "?assignee=ana%40example.com#/", shown="#queue-empty"),
    State("nothing found", "?q=zebra#/", shown="#search-all-statuses"),
    State("selection and bulk bar", "#/", shown="#queue-rows tr", then=tick_two_rows),
    State("bulk merge", "#/", shown="#queue-rows tr", then=choose_merge_into_one),
    State("bulk refused", "#/", shown="#queue-rows tr", then=add_a_tag_that_cannot_be),
    State("bulk applied", "#/", shown="#queue-rows tr", then=unassign_two),
    State("keyboard shortcuts", "#/", shown="#queue-rows tr", then=press_question_mark),
    State("account menu", "#/", shown="#queue-rows tr", then=open_account_menu),
    State("notifications panel", "#/", shown="#queue-rows tr", then=open_the_bell),
    State("quarantine", "?view=quarantine#/", shown="#quarantine-rows tr"),
    State("mine", "?view=mine#/", shown=LIST_LOADED),
    State("unassigned", "?view=unassigned#/", shown=LIST_LOADED),
    State("due soon", "?view=due_soon#/", shown=LIST_LOADED),
    State("breached", "?view=breached#/", shown=LIST_LOADED),
    State("needs follow-up", "?view=follow_up#/", shown=LIST_LOADED),
    State("ticket", "#/tickets/{ticket}", shown="#thread li"),
    State(
        "ticket, automatic mails opened",
        "#/tickets/{followup}",
        shown="#thread li",
        then=open_automatic_mails,
    ),
    State("ticket, original html", "#/tickets/{ticket}", shown="#thread li", then=show_original),
    State("ticket, attachments", "#/tickets/{files}", shown="#thread .attachments"),
    State("ticket, nothing to save", "#/tickets/{ticket}", shown="#thread li", then=save_nothing),
    State(
        "ticket, properties edited", "#/tickets/{ticket}", shown="#thread li", then=edit_properties_unsaved
    ),
    State("ticket, subject edited", "#/tickets/{ticket}", shown="#thread li", then=edit_the_subject),
    State("ticket, reply crossed", "#/tickets/{ticket}", shown="#thread li", then=send_over_an_older_thread),
    State("ticket, files attached to the reply", "#/tickets/{ticket}", shown="#thread li", then=attach_files),
    State("ticket, a reply refused", "#/tickets/{ticket}", shown="#thread li", then=send_a_refused_reply),
    State("ticket, needs follow-up", "#/tickets/{followup}", shown="#follow-up-box"),
    State("ticket, keyboard shortcuts", "#/tickets/{ticket}", shown="#thread li", then=press_question_mark),
    State("ticket, snooze choices", "#/tickets/{ticket}", shown="#thread li", then=open_snooze),
    State("snoozed ticket", "#/tickets/{snoozed}", shown="#snooze-state"),
    State("merge dialog", "#/tickets/{ticket}", shown="#thread li", then=merge_into_the_kept_ticket),
    State("merge dialog refusing", "#/tickets/{ticket}", shown="#thread li", then=merge_into_itself),
    State("merged ticket", "#/tickets/{merged}", shown="#merged-banner"),
    State("forward dialog", "#/tickets/{files}", shown="#thread .attachments", then=open_forward),
    State("forward dialog refusing", "#/tickets/{files}", shown="#thread li", then=forward_to_the_customer),
    State("ticket, forwarded and answered", "#/tickets/{forwarded}", shown="#thread li.kind-third_party"),
    State("ticket with a Cc", "#/tickets/{split}", shown="#ticket-cc"),
    State("ticket, Cc and Bcc editor", "#/tickets/{split}", shown="#ticket-cc", then=open_the_copies_editor),
    State("ticket, reply to many", "#/tickets/{split}", shown="#ticket-cc", then=copy_too_many_on_the_reply),
    State("ticket, Cc offered", "#/tickets/{offered}", shown="#cc-offers"),
    State("split dialog", "#/tickets/{split}", shown="#thread li", then=open_split),
    State("split off", "#/tickets/{split}", shown="#thread li", then=split_off),
    State("held ticket", "?view=quarantine#/tickets/{held}", shown="#quarantine-box"),
    State(
        "held ticket, delete dialog",
        "?view=quarantine#/tickets/{held}",
        shown="#quarantine-box",
        then=open_delete,
    ),
    State("held ticket with a virus", "?view=quarantine#/tickets/{virus}", shown="#quarantine-risk"),
    State("unknown ticket", "#/tickets/ZZZZ-ZZZZ", shown="#flash"),
    State("outbox", "#/outbox", shown="#outbox-mails li"),
    State("your signature", "#/signature", shown="#signature-preview-sign-off:not(:empty)"),
    State("notifications", "#/notifications", shown="#notifications-kinds input"),
    State(
        "notifications saved", "#/notifications", shown="#notifications-kinds input", then=save_notifications
    ),
    State("new ticket", "#/new", shown="#new-ticket-view h1"),
    State(
        "new ticket, files attached", "#/new", shown="#new-ticket-view h1", then=attach_files_to_a_new_ticket
    ),
    State("new ticket refused", "#/new", shown="#new-ticket-view h1", then=send_a_new_ticket_without_subject),
    State("reports", "#/reports", shown="#reports-charts svg", who="admin"),
    State(
        "reports of a range",
        "#/reports?from=2026-11-01&to=2026-11-30",
        shown="#reports-charts svg",
        who="admin",
    ),
    State("reports refused to an agent", "#/reports", shown="#reports-refused"),
    State("saved replies", "#/saved-replies", shown="#saved-replies-list tbody tr", who="admin"),
    State("saved replies, read by an agent", "#/saved-replies", shown="#saved-replies-list tbody tr"),
    State(
        "saved reply editor",
        "#/saved-replies/{saved}",
        shown="#saved-reply-editor-preview iframe",
        who="admin",
    ),
    State(
        "saved reply, help articles found",
        "#/saved-replies/{saved}",
        shown="#saved-reply-editor-preview iframe",
        then=find_articles_for_a_saved_reply,
        who="admin",
    ),
    State(
        "saved reply refused",
        "#/saved-replies/new",
        shown="#saved-reply-editor",
        then=save_a_broken_saved_reply,
        who="admin",
    ),
    State(
        "saved reply delete dialog",
        "#/saved-replies",
        shown="#saved-replies-list tbody tr",
        then=open_saved_reply_delete,
        who="admin",
    ),
    State(
        "saved reply, read by an agent", "#/saved-replies/{saved}", shown="#saved-reply-editor-preview iframe"
    ),
    State(
        "ticket, saved reply preview", "#/tickets/{ticket}", shown="#thread li", then=preview_a_saved_reply
    ),
    State("knowledge base", "#/knowledge", shown="#knowledge-list tbody tr"),
    State(
        "knowledge base, filtered to nothing",
        "#/knowledge?flag=rated_low_after_suggestion",
        shown="#knowledge-list .report-empty",
    ),
    State(
        "knowledge article, its versions' changes",
        "#/knowledge/delivery-and-returns/en",
        shown="#knowledge-version-list tbody tr",
        then=show_a_versions_changes,
    ),
    State(
        "knowledge translation outdated",
        "#/knowledge/delivery-and-returns/de",
        shown="#knowledge-outdated",
        then=show_what_changed_in_the_original,
    ),
    State("knowledge, translating", "#/knowledge/gift-cards/de", shown="#knowledge-translating"),
    State(
        "knowledge, a colleague's draft meanwhile",
        "#/knowledge/gift-cards/en",
        shown="#knowledge-version-list tbody tr",
        then=save_over_a_colleagues_draft,
    ),
    State(
        "knowledge, delete dialog",
        "#/knowledge/gift-cards/en",
        shown="#knowledge-version-list tbody tr",
        then=open_article_delete,
        who="admin",
    ),
    State("knowledge, new article", "#/knowledge/new", shown="#knowledge-new-fields"),
    State(
        "knowledge, new article refused",
        "#/knowledge/new",
        shown="#knowledge-new-fields",
        then=create_an_empty_article,
    ),
    State("ticket, help articles found", "#/tickets/{ticket}", shown="#thread li", then=search_help_articles),
    State("webhooks", "#/webhooks", shown="#webhooks-list article", who="admin"),
    State("webhook added", "#/webhooks", shown="#webhooks-list article", then=add_a_webhook, who="admin"),
    State(
        "webhook refused",
        "#/webhooks",
        shown="#webhooks-list article",
        then=add_a_webhook_to_a_private_address,
        who="admin",
    ),
    State(
        "webhook deliveries",
        "#/webhooks",
        shown="#webhooks-list article",
        then=open_webhook_deliveries,
        who="admin",
    ),
    State(
        "webhook delete dialog",
        "#/webhooks",
        shown="#webhooks-list article",
        then=open_webhook_delete,
        who="admin",
    ),
    State("webhooks refused to an agent", "#/webhooks", shown="#webhooks-refused"),
    State("agents", "#/agents", shown="#agents-list tbody tr", who="admin"),
    State(
        "agents, invitation form",
        "#/agents",
        shown="#agents-list tbody tr",
        then=open_the_invitation_form,
        who="admin",
    ),
    State(
        "agents, invitation refused",
        "#/agents",
        shown="#agents-list tbody tr",
        then=invite_without_a_name,
        who="admin",
    ),
    State("agents refused to an agent", "#/agents", shown="#agents-refused"),
    State("api tokens", "#/tokens", shown="#tokens-list tbody tr", who="admin"),
    State(
        "api tokens, the form",
        "#/tokens",
        shown="#tokens-list tbody tr",
        then=open_the_token_form,
        who="admin",
    ),
    State("api token created", "#/tokens", shown="#tokens-list tbody tr", then=create_a_token, who="admin"),
    State(
        "api token revoke dialog",
        "#/tokens",
        shown="#tokens-list tbody tr",
        then=open_the_revoke_dialog,
        who="admin",
    ),
    State("api tokens refused to an agent", "#/tokens", shown="#tokens-refused"),
    State("access audit", "#/audit", shown="#audit-list tbody tr", who="admin"),
    State(
        "access audit, filtered to nothing",
        "#/audit?action=password_reset",
        shown="#audit-list p",
        who="admin",
    ),
    State("access audit refused to an agent", "#/audit", shown="#audit-refused"),
    State("two-step sign-in", "#/two-step", shown="#two-step-start"),
    State("two-step sign-in, set-up", "#/two-step", shown="#two-step-start", then=start_two_step),
]

PUBLIC_PAGES = [
    PublicPage("survey question", "survey"),
    PublicPage("survey thanks", "survey", then=send_the_rating),
    PublicPage("survey without a rating", "survey", then=send_no_rating),
    PublicPage("survey link forged", "forged"),
    PublicPage("survey link expired", "expired"),
]


# ---- the desk: one ticket of each kind ----


@dataclass(frozen=True)
class DeskData:
    tokens: dict[str, str]
    refs: dict[str, str]
    links: dict[str, str]


def _edit(desk: RunningDesk, token: str, ref: str, **change: object) -> None:
    version = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, **change})


def _surveyed(desk: RunningDesk, token: str, ref: str) -> str:
    """Resolve ``ref``, let the survey go out a day later, and return its "4 - Good" link."""
    _edit(desk, token, ref, status="resolved")
    fired = fire_due_schedules(
        desk.settings.region,
        desk.settings.scheduling.group,
        datetime.now(UTC) + timedelta(days=1),
        prefix=f"survey-{ref}-",
    )
    assert [f.result["outcome"] for f in fired] == ["sent"]
    (survey,) = [m.message for m in desk.sent_mail() if ref in str(m.message["Subject"])][-1:]
    assert isinstance(survey, EmailMessage)
    html = survey.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    link: str
    (link,) = [
        link for link in re.findall(r'href="([^"]+/survey/[^"]+)"', html.get_content()) if ".4." in link
    ]
    return link


def _answer(link: str, rating: int, comment: str) -> None:
    form = urlencode({"rating": rating, "comment": comment}).encode()
    request = urllib.request.Request(link, data=form, method="POST")  # noqa: S310 (the local desk)
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200


@pytest.fixture(scope="module")
def desk_data(desk: RunningDesk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskData]:
    token = desk.add_agent(*AGENT)
    admin = desk.add_agent("ana@example.com", "Ana Ruiz", Role.ADMIN)
    ticket = desk.deliver(
        build_mail(
            subject="Parcel 4711 missing",
            body="Hello,\n\nthe courier left parcel 4711 with a neighbour I do not know.\n\nJörg",
            sender="Jörg Müller <joerg.mueller@customer.example>",
            html="<p>Hello,</p><p>the courier left <b>parcel 4711</b> with a neighbour.</p>"
            '<img src="https://img.example/logo.png" alt="Shop logo">',
        )
    )
    files = desk.deliver(
        mail_with_attachments(["invoice.pdf", "photo of the parcel.pdf"], subject="Parcel photos")
    )
    split = desk.deliver(
        build_mail(
            subject="Boots too small",
            body="Hello,\n\nthe boots pinch.\n\nJane",
            cc="Max Roe <max.roe@customer.example>",
        )
    )
    again = desk.deliver(
        build_mail(
            subject=f"Re: [#{split}] Boots too small",
            body="Hello again,\n\nalso: my invoice 88 shows the wrong address.\n\nJane",
        )
    )
    assert again == split
    offered = desk.deliver(build_mail(subject="Hinge broken", sender="Ola Berg <ola.berg@customer.example>"))
    copied = desk.deliver(
        build_mail(
            subject=f"Re: [#{offered}] Hinge broken",
            body="I copied my colleague.",
            sender="Ola Berg <ola.berg@customer.example>",
            cc="Per Lund <per.lund@customer.example>",
        )
    )
    assert copied == offered
    kept = desk.deliver(build_mail(subject="Exchange please", body="Hello,\n\nsize 39 please.\n\nJane"))
    merged = desk.deliver(
        build_mail(subject="Exchange, again", body="Hello,\n\nany news on size 39?\n\nJane")
    )
    api_ok(
        desk,
        token,
        "POST",
        f"/tickets/{merged}/merge",
        {"into": kept, "version": _version(desk, token, merged)},
    )
    held = desk.deliver(
        build_mail(subject="Wholesale order", sender="Mia Roth <mia.roth@customer.example>"),
        verdicts={"spam": "FAIL"},
    )
    virus = desk.deliver(
        build_mail(subject="Invoice attached", sender="Bad Actor <x@malware.example>"),
        verdicts={"virus": "FAIL"},
    )
    followup = desk.deliver(build_mail(subject="Refund for order 4712", body="Hello,\n\nmy refund?\n\nKim"))
    _answer(_surveyed(desk, token, followup), 2, "It took three weeks.")
    survey = _surveyed(
        desk, token, desk.deliver(build_mail(subject="Password reset", body="Hi,\n\nlocked out."))
    )
    reopened = desk.deliver(build_mail(subject="Printer jam", body="Hello,\n\nthe printer jams.\n\nLee"))
    expired = _surveyed(desk, token, reopened)
    _edit(desk, token, reopened, status="open")
    forged = survey[:-1] + ("a" if not survey.endswith("a") else "b")
    forwarded = _forwarded_and_answered(desk, token)
    snoozed = desk.deliver(build_mail(subject="Waiting for the courier", body="Hello,\n\nany news?\n\nJane"))
    _edit(desk, token, snoozed, snooze_until=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    saved = api_ok(
        desk,
        admin,
        "POST",
        "/saved-replies",
        {
            "title": "Parcel on its way",
            "body": "Hi {{ customer.first_name }},\n\n"
            f"[Delivery and returns]({desk.api_url}/help/en/articles/delivery-and-returns)",
        },
    )["saved_reply"]["id"]
    api_ok(
        desk,
        admin,
        "POST",
        "/webhooks",
        {"url": "https://hooks.example.com/postdesk", "events": ["*"], "description": "Order system"},
    )
    _knowledge(desk, admin)

    # The search index, fed as the local stack's feeder does (the desk fixture runs none).
    feed = ChangeFeed(desk.settings.region, (desk.settings.tables.tickets, desk.settings.tables.ticket_log))
    index_for_search = lambda_function("search_index")
    while deliver_changes(feed, lambda event: index_for_search(event, None)):
        pass

    # The outbox page lists a folder of sent mail, as the local stack keeps it.
    outbox = tmp_path_factory.mktemp("outbox")
    for number, sent in enumerate(desk.sent_mail()):
        (outbox / f"{number:04d}.eml").write_bytes(sent.raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(OUTBOX_VARIABLE, str(outbox))
        yield DeskData(
            tokens={"agent": token, "admin": admin},
            refs={
                "ticket": ticket,
                "files": files,
                "split": split,
                "offered": offered,
                "kept": kept,
                "merged": merged,
                "held": held,
                "virus": virus,
                "followup": followup,
                "saved": saved,
                "forwarded": forwarded,
                "snoozed": snoozed,
            },
            links={"survey": survey, "expired": expired, "forged": forged},
        )


def _knowledge(desk: RunningDesk, token: str) -> None:
    """The shipped articles, imported as `postdesk kb import` does; one with its English changed and
    published (its translations outdated), and one new article published in English only."""
    out = io.StringIO()
    owner = api_ok(desk, token, "GET", "/me")["email"]
    assert run_knowledge(["import", "--owner", owner], desk.settings, out, lambda: datetime.now(UTC)) == 0, (
        out.getvalue()
    )
    draft = api_ok(desk, token, "GET", "/articles/delivery-and-returns/en")["draft"]
    api_ok(
        desk,
        token,
        "PUT",
        "/articles/delivery-and-returns/en",
        {
            "title": draft["title"],
            "tags": draft["tags"],
            "body": draft["body"] + "\n\n## Sizes\n\nOrder one up.",
            "base_version": draft["number"],
            "note": "Sizes",
        },
    )
    api_ok(desk, token, "POST", "/articles/delivery-and-returns/en/publish", {"version": draft["number"] + 1})
    api_ok(
        desk,
        token,
        "POST",
        "/articles",
        {
            "slug": "gift-cards",
            "category": "billing",
            "language": "en",
            "title": "Gift cards",
            "tags": ["voucher"],
            "body": "A gift card is valid for **three years**.",
        },
    )
    api_ok(desk, token, "POST", "/articles/gift-cards/en/publish", {"version": 1})


def _forwarded_and_answered(desk: RunningDesk, token: str) -> str:
    """A ticket forwarded to a supplier, whose answer came back to the forward's Reply-To."""
    ref = desk.deliver(
        build_mail(subject="Wrong colour delivered", body="Hello,\n\nthe boots are red.\n\nJane")
    )
    api_ok(
        desk,
        token,
        "POST",
        f"/tickets/{ref}/forwards",
        {"to": ["orders@supplier.example"], "note": "Colour?"},
    )
    forward = desk.sent_mail()[-1].message
    reply_to = str(forward["Reply-To"])
    answered = desk.deliver(
        build_mail(
            subject=f"Re: {forward['Subject']}",
            body="We sent red by mistake; blue goes out today.",
            sender="Supplier Orders <orders@supplier.example>",
            to=reply_to,
            in_reply_to=str(forward["Message-ID"]),
        ),
        recipients=[reply_to],
    )
    assert answered == ref
    return ref


def _version(desk: RunningDesk, token: str, ref: str) -> int:
    version: int = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]["version"]
    return version


# ---- the audit ----


@pytest.fixture(params=list(WIDTHS))
def screen(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    """A fresh tab at a desktop's or a phone's size."""
    context = browser.new_context(viewport=WIDTHS[request.param], ignore_https_errors=True)
    context.set_default_timeout(10_000)
    yield request.param, context.new_page()
    context.close()


def _audit(page: Page, name: str, width: str) -> None:
    # The state's own expectations said when it is there: the console polls for new tickets, so
    # the network is never idle for long.
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    page.screenshot(path=str(SCREENSHOTS / f"{slug}-{width}.png"), full_page=True)
    found = violations(page)
    assert not found, f"{name} at {width} width:\n{report(found)}"
    # Usable on a phone means no sideways scrolling too.
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{name} scrolls sideways at {width} width ({scroll} > {client} px)"


@pytest.mark.parametrize("state", STATES, ids=[state.name for state in STATES])
def test_every_console_page_passes_axe(
    desk: RunningDesk, desk_data: DeskData, screen: tuple[str, Page], state: State
) -> None:
    # Given the console at the state's address, signed in unless it is the sign-in form
    width, page = screen
    address = state.address.format(**desk_data.refs)
    if state.who is not None:
        sign_in(page, desk, desk_data.tokens[state.who], address)
        expect(page.locator("#sign-in-view")).to_be_hidden()
    else:
        page.goto(f"{desk.api_url}/console{address}")
    expect(page.locator(state.shown).first).to_be_visible()

    # When the agent does what reaches the state
    if state.then is not None:
        state.then(page, desk_data.refs)

    # Then axe finds nothing serious or critical
    _audit(page, state.name, width)


@pytest.mark.parametrize("public", PUBLIC_PAGES, ids=[public.name for public in PUBLIC_PAGES])
def test_every_public_page_passes_axe(
    desk_data: DeskData, screen: tuple[str, Page], public: PublicPage
) -> None:
    width, page = screen
    link = desk_data.links[public.link]
    assert urlsplit(link).path.startswith("/survey/")
    page.goto(link)
    expect(page.locator(public.shown).first).to_be_visible()
    if public.then is not None:
        public.then(page, desk_data.refs)
    _audit(page, public.name, width)
