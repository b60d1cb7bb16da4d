"""What the admin pages ask, refuse or say before and after they change something: deactivating
(which ends the agent's sessions and deletes their API tokens for good) asks in a dialog first and
links the tickets left assigned to them; an agent of no queue, who would see no ticket at all, is
refused in words before anything is sent; an admin cannot choose to drop their own admin role; the
access audit writes moments and browsers as people read them; a failed webhook delivery says when
it is tried again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, call_api, sign_in

pytestmark = pytest.mark.e2e


def test_deactivating_an_agent_asks_first_and_says_their_tokens_do_not_come_back(
    desk: RunningDesk, page: Page
) -> None:
    # Given an admin on the Agents page, and an agent whose token a script uses
    admin = desk.add_agent("ines@example.com", "Ines Roth", Role.ADMIN)
    script_token = desk.add_agent("tom@example.com", "Tom Berg")
    desk.add_agent("zoe@example.com", "Zoe Wolf")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin)
    page.get_by_role("link", name="Agents").click()
    row = page.locator("#agents-list tr[data-email='tom@example.com']")
    deactivate = row.get_by_role("button", name="Deactivate Tom Berg…")

    # When she presses Deactivate, a dialog says what it does, Cancel focused; Esc changes nothing
    deactivate.click()
    dialog = page.get_by_role("dialog", name="Deactivate Tom Berg?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("every API token acting as them is deleted")
    expect(dialog).to_contain_text("not the tokens")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(deactivate).to_be_focused()
    expect(row.locator("[data-label=Active]")).to_have_text("Yes")
    assert call_api(desk, script_token, "GET", "/tickets")[0] == 200

    # When she confirms
    deactivate.click()
    dialog.get_by_role("button", name="Deactivate").click()

    # Then the agent is deactivated, the page says the tokens are gone, and they are
    expect(row.locator("[data-label=Active]")).to_have_text("No: deactivated")
    status = page.locator("#agents-status")
    expect(status).to_contain_text("Reactivate brings the account back, not the tokens")
    # and lists them after the active agents
    emails = page.locator("#agents-list tbody tr").evaluate_all(
        "rows => rows.map((row) => row.dataset.email)"
    )
    assert emails[-1] == "tom@example.com" and emails.index("ines@example.com") < emails.index(
        "tom@example.com"
    )
    # and links the tickets still assigned to them, to give them to others
    status.get_by_role("link", name="Their open tickets").click()
    expect(page.locator("#filter-assignee")).to_have_value("tom@example.com")
    assert call_api(desk, script_token, "GET", "/tickets")[0] == 401


def test_an_agent_of_no_queue_is_refused_before_anything_is_sent(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("vera@example.com", "Vera Lund", Role.ADMIN)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin)
    page.get_by_role("link", name="Agents").click()

    # When she invites an agent with "Only these queues" and none ticked
    page.get_by_role("button", name="Invite an agent").click()
    form = page.get_by_role("form", name="Invite an agent")
    form.get_by_label("Email").fill("noq@example.com")
    form.get_by_label("Name").fill("No Queue")
    form.get_by_label("Only these queues").check()
    expect(form.locator("#agent-queue-list input[type=checkbox]").first).to_be_visible()
    form.get_by_role("button", name="Send the invitation").click()

    # Then the form says why, the first queue has the focus, and nobody was invited
    expect(page.locator("#agent-form-error")).to_have_text(
        "Tick at least one queue, or choose Every queue: an agent of no queue sees no ticket."
    )
    expect(form.locator("#agent-queue-list input[type=checkbox]").first).to_be_focused()
    emails = [agent["email"] for agent in api_ok(desk, admin, "GET", "/agents?all=true")["agents"]]
    assert "noq@example.com" not in emails

    # An admin needs no queue: the same choice invites one
    form.get_by_label("Admin: also accounts").check()
    form.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#agents-status")).to_contain_text("No Queue is invited")

    # An address already invited is said in words that point to the row's button, not to a route
    page.get_by_role("button", name="Invite an agent").click()
    form.get_by_label("Email").fill("noq@example.com")
    form.get_by_label("Name").fill("No Queue Again")
    form.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#agent-form-error")).to_contain_text(
        "noq@example.com is already an agent. To mail them a new temporary password, "
        'use "Send a new invitation"'
    )
    expect(page.locator("#agent-form-error")).not_to_contain_text("POST")
    expect(form.get_by_label("Email")).to_be_focused()


def test_the_access_audit_writes_a_tokens_expiry_as_a_date_and_the_browser_by_its_name(
    desk: RunningDesk, page: Page
) -> None:
    admin = desk.add_agent("pia@example.com", "Pia Holm", Role.ADMIN)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("button", name="Create a token").click()
    page.get_by_role("form", name="Create a token").get_by_label("Name").fill("Billing sync")
    page.get_by_role("button", name="Create the token").click()
    expect(page.locator("#token-secret")).to_be_focused()
    page.get_by_role("link", name="Audit").click()
    rows = page.locator("#audit-list tbody tr", has_text="Created an API token")
    row = rows.filter(has_text="Billing sync")
    details = row.locator("[data-label=Details]")
    expect(details).to_contain_text("expires at: ")
    # and where from: the browser as people name it, its whole User-Agent in the title
    browser = row.locator("[data-label='From where'] .audit-agent")
    expect(browser).to_have_text(re.compile(r"^ Chrome \d+ on Linux$"))
    expect(browser).to_have_attribute("title", re.compile(r"^Mozilla/5\.0 .*Chrome/"))
    expect(details).not_to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}T"))  # not "2027-01-05T12:07:57.622Z"


def test_an_admin_cannot_choose_to_take_away_their_own_admin_role(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("rui@example.com", "Rui Costa", Role.ADMIN)
    desk.add_agent("eli@example.com", "Eli Park", Role.ADMIN)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin)
    page.get_by_role("link", name="Agents").click()

    # Their own row: "Agent" is not a choice, and the form says why
    page.get_by_role("button", name="Change Rui Costa").click()
    form = page.get_by_role("form", name="Change Rui Costa")
    expect(form.get_by_label("Agent: works on tickets")).to_be_disabled()
    expect(form.locator("#agent-role-own")).to_be_visible()
    form.get_by_role("button", name="Cancel").click()

    # Another admin's row: both roles are choices
    page.get_by_role("button", name="Change Eli Park").click()
    form = page.get_by_role("form", name="Change Eli Park")
    expect(form.get_by_label("Agent: works on tickets")).to_be_enabled()
    expect(form.locator("#agent-role-own")).to_be_hidden()


def test_a_webhook_delivery_that_failed_says_when_it_is_tried_again(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("noa@example.com", "Noa Berg", Role.ADMIN)
    webhook = api_ok(
        desk,
        admin,
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["*"], "description": "CRM"},
    )["webhook"]
    retrying = {
        "id": "20261206T120855908000Z-evt_1",
        "event_id": "evt_1",
        "event_type": "ticket.priority_changed",
        "event_at": "2026-12-06T12:08:55.908Z",
        "status": "retrying",
        "attempts": 2,
        "status_code": 500,
        "last_error": "HTTP 500: boom",
        "last_attempt_at": "2026-12-06T12:09:25.000Z",
        "next_attempt_at": "2026-12-06T12:10:25.000Z",
    }
    # The log as the API gives it while the receiver keeps failing (the back-off itself: integration)
    page.route(
        f"**/webhooks/{webhook['id']}/deliveries?*",
        lambda route: route.fulfill(json={"deliveries": [retrying]}),
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin, "#/webhooks")

    card = page.locator(f"article[data-id='{webhook['id']}']")
    expect(card.locator(f"#webhook-{webhook['id']}-last")).to_contain_text(
        re.compile(r"^Failed, trying again \(HTTP 500\); next try .+ · Priority changed")
    )


def test_publishing_an_article_says_so_while_it_runs(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("ada.k@example.com", "Ada Kern", Role.ADMIN)
    api_ok(
        desk,
        admin,
        "POST",
        "/articles",
        {
            "title": "Change your address",
            "body": "Open **Account**.",
            "language": "en",
            "category": "general",
        },
    )
    held: list[Route] = []
    page.route("**/articles/change-your-address/en/publish", lambda route: held.append(route))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin, "#/knowledge/change-your-address/en")
    publish = page.locator("#knowledge-publish")
    expect(publish).to_be_enabled()

    # While the desk publishes, the button says so and cannot be pressed twice
    publish.click()
    expect(publish).to_have_text("Publishing…")
    expect(publish).to_be_disabled()
    held[0].continue_()

    # Then it is published, and the button is Publish again
    expect(page.locator("#knowledge-publish-state")).to_contain_text("Published: version 1")
    expect(publish).to_have_text("Publish")


def test_a_review_date_already_past_is_refused_before_anything_is_sent(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("lou@example.com", "Lou Meier", Role.ADMIN)
    api_ok(
        desk,
        admin,
        "POST",
        "/articles",
        {"title": "Opening hours", "body": "We answer every day.", "language": "en", "category": "general"},
    )
    patches: list[str] = []
    page.on("request", lambda request: patches.append(request.url) if request.method == "PATCH" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, admin, "#/knowledge/opening-hours/en")
    review = page.locator("#knowledge-review-by")
    expect(review).not_to_have_value("")

    review.fill("2020-01-31")
    page.get_by_role("button", name="Save the article's settings").click()

    expect(page.locator("#knowledge-review-by-error")).to_have_text(
        "That day is past: choose today or a later day for the next review."
    )
    expect(review).to_be_focused()
    assert patches == []
