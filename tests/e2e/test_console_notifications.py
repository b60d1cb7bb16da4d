"""An agent's notifications in a real browser against the desk on a local moto server: the
"Notifications" page (which kinds of mail are on, which queues' new tickets they hear of, saved with
a confirmation in words, a refusal said in words), and the link of a notification mail, opened signed
out, leading through the sign-in form to the ticket it names."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from postdesk import runtime
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.desk_api import api_ok, sign_in, sign_in_by_form
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
KINDS = [
    "assigned",
    "customer_replied",
    "mentioned",
    "new_in_queue",
    "sla_warning",
    "snooze_ended",
    "rule",
    "article_flagged",
]


def _no_sideways_scroll(page: Page) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_an_agent_chooses_their_notifications_and_the_queues_they_watch(
    desk: RunningDesk, page: Page
) -> None:
    # Given an agent who never changed their notifications
    token = desk.add_agent("sam@example.com", "Sam Lee")
    queues = [queue["name"] for queue in api_ok(desk, token, "GET", "/queues")["queues"]]
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token)

    # When they follow "Notifications" under "Your account" in the header, beside "Your signature"
    account = page.get_by_role("navigation", name="Account")
    account.get_by_role("button", name="Your account").click()
    expect(account.get_by_role("link", name="Your signature")).to_be_visible()
    account.get_by_role("link", name="Notifications").click()

    # Then every kind is on, the desk's queues are offered and none is watched
    expect(page).to_have_url(re.compile(r"#/notifications$"))
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_focused()
    kinds = page.get_by_role("group", name="Tell me when")
    expect(kinds.get_by_role("checkbox")).to_have_count(len(KINDS))
    for box in kinds.get_by_role("checkbox").all():
        expect(box).to_be_checked()
    expect(kinds.get_by_role("checkbox", name="I am mentioned in a note")).to_have_accessible_description(
        "A colleague writes @sam or @sam.lee in an internal note."
    )
    watched = page.get_by_role("group", name="Queues I watch")
    assert watched.get_by_role("checkbox").evaluate_all("boxes => boxes.map(box => box.value)") == queues
    for box in watched.get_by_role("checkbox").all():
        expect(box).not_to_be_checked()
    expect(page.locator("#notifications-hint")).to_contain_text("comes together in one mail")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "notifications-1366.png"), full_page=True)

    # When they turn off assignments and rules, watch billing and orders, and save
    kinds.get_by_role("checkbox", name="A ticket is assigned to me").uncheck()
    kinds.get_by_role("checkbox", name="A rule says to tell me").uncheck()
    watched.get_by_role("checkbox", name="billing", exact=True).check()
    watched.get_by_role("checkbox", name="orders", exact=True).check()
    expect(page.locator("#notifications-status")).to_have_text("Not saved yet.")
    page.get_by_role("button", name="Save notifications").click()

    # Then the page confirms in words what they now get, and the desk keeps it
    expect(page.locator("#notifications-status")).to_have_text(
        "Saved. You get 6 of 8 kinds of notification and hear of new tickets in billing, orders."
    )
    stored = api_ok(desk, token, "GET", "/me/notifications")
    assert stored["kinds"] == {kind: kind not in ("assigned", "rule") for kind in KINDS}
    assert stored["queues"] == ["billing", "orders"]

    # And a reload shows what was saved
    page.reload()
    expect(kinds.get_by_role("checkbox", name="A ticket is assigned to me")).not_to_be_checked()
    expect(watched.get_by_role("checkbox", name="orders", exact=True)).to_be_checked()

    # When new tickets are turned off, the queues say that watching them brings nothing
    kinds.get_by_role("checkbox", name="A new ticket comes into a queue I watch").uncheck()
    expect(page.locator("#notifications-queues-note")).to_have_text(
        "New tickets are turned off above: you hear of none, whatever you watch."
    )
    kinds.get_by_role("checkbox", name="A new ticket comes into a queue I watch").check()

    # When the desk refuses what is sent (a queue it does not have), the refusal is said in words
    def unknown_queue(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "queues": [*body["queues"], "nowhere"]}))

    page.route("**/me/notifications", unknown_queue)
    page.get_by_role("button", name="Save notifications").click()
    expect(page.get_by_role("alert").filter(has_text="could not be saved")).to_contain_text(
        "Your notifications could not be saved: queue 'nowhere' is not one of the desk's queues"
    )
    expect(page.locator("#notifications-status")).to_have_text("Not saved.")
    page.unroute("**/me/notifications")
    assert api_ok(desk, token, "GET", "/me/notifications")["queues"] == ["billing", "orders"]

    # And on a phone the page fits, nothing to scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "notifications-390.png"), full_page=True)


def _mail_text(desk: RunningDesk, ref: str) -> str:
    """The text part of the last mail that names the ticket in its subject."""
    mails = [sent.message for sent in desk.sent_mail() if isinstance(sent.message, EmailMessage)]
    (last,) = [mail for mail in mails if ref in str(mail["Subject"])][-1:]
    text = last.get_body(preferencelist=("plain",))
    assert isinstance(text, EmailMessage)
    content: str = text.get_content()
    return content


def _notification_link(desk: RunningDesk, ref: str) -> str:
    """The ticket's link in the last notification mail that names it."""
    mails = [sent.message for sent in desk.sent_mail() if isinstance(sent.message, EmailMessage)]
    texts = [mail.get_body(preferencelist=("plain",)) for mail in mails if ref in str(mail["Subject"])]
    links = [
        link
        for text in texts
        if isinstance(text, EmailMessage)
        for link in re.findall(r"https?://\S+/console#/tickets/" + ref, text.get_content())
    ]
    assert links, "no notification mail names the ticket"
    return links[-1]


def test_the_link_of_a_notification_mail_leads_through_signing_in_to_the_ticket(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket a colleague assigned to Sam, and the notification mail that tells Sam so
    sam = desk.add_agent("sam.link@example.com", "Sam Link")
    ana = desk.add_agent("ana.link@example.com", "Ana Link")
    ref = desk.deliver(build_mail(subject="Broken zip on my bag"))
    version = api_ok(desk, ana, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api_ok(desk, ana, "PATCH", f"/tickets/{ref}", {"version": version, "assignee": "sam.link@example.com"})
    later = datetime.now(UTC) + timedelta(hours=1)
    runtime.use_clock(lambda: later)
    try:
        fired = fire_due_schedules(
            desk.settings.region, desk.settings.scheduling.group, later, prefix="notify-"
        )
    finally:
        runtime.use_clock(None)
    assert fired, "the notification mail was never due"
    link = _notification_link(desk, ref)
    assert link == f"{desk.api_url}/console#/tickets/{ref}"
    assert f"{desk.api_url}/console#/notifications" in _mail_text(desk, ref), (
        "the mail says where to change them"
    )

    # When Sam opens it in a browser that is not signed in
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(link)

    # Then the sign-in form shows, the address still naming the ticket
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url == link

    # When Sam signs in
    sign_in_by_form(page, desk, sam)

    # Then the ticket the mail named is on screen, at its own address
    expect(page.locator("#ticket-subject")).to_have_text("Broken zip on my bag")
    expect(page.locator("#ticket-meta .ref")).to_have_text(ref)
    assert page.url == link
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "notification-link-signed-in.png"))
