"""The Webhooks page says in red, on its card, that a webhook is failing (its delivery failed after
every try: GET /webhooks' failing_since and failing_error), and names events with the words
GET /webhooks/event-types gives (the desk's one table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
FAILING = {
    "id": "wh_0123456789abcdef",
    "url": "https://crm.example.com/hooks/postdesk",
    "events": ["ticket.mail_screened", "ticket.sla_warning"],
    "format": "json",
    "enabled": True,
    "description": "CRM sync",
    "created_at": "2026-12-01T09:00:00Z",
    "created_by": "ada@example.com",
    "failing_since": "2026-12-06T10:31:00Z",
    "failing_error": "HTTP 500: Internal Server Error",
}


def test_a_failing_webhook_says_so_on_its_card(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("ada@example.com", "Ada Admin", Role.ADMIN)

    def webhooks(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"webhooks": [FAILING]}))

    def no_deliveries(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"deliveries": []}))

    page.route("**/webhooks", webhooks)
    page.route(f"**/webhooks/{FAILING['id']}/deliveries*", no_deliveries)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, desk, admin)
        page.goto(f"{desk.api_url}/console#/webhooks")
        card = page.get_by_role("article", name="CRM sync")
        notice = card.locator(".webhook-failing")
        expect(notice).to_contain_text("Failing since")
        expect(notice).to_contain_text(
            "a delivery failed after every try (last answer: HTTP 500: Internal Server Error)"
        )
        # The events in the words of the served table
        expect(card).to_contain_text("Mail screened, SLA warning")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"webhook-failing-{width}.png"), full_page=True)


def test_a_replay_that_goes_through_clears_the_failing_notice(desk: RunningDesk, page: Page) -> None:
    admin = desk.add_agent("rhea@example.com", "Rhea Admin", Role.ADMIN)
    # The desk's answers: failing until the replay went through, then not
    replayed: list[str] = []
    failed = {
        "id": "dl_1",
        "event_id": "ev_1",
        "event_type": "ticket.sla_warning",
        "event_at": "2026-12-06T10:00:00Z",
        "attempts": 8,
        "status": "dead_lettered",
        "status_code": 500,
        "last_error": "HTTP 500: Internal Server Error",
    }

    def webhooks(route: Route) -> None:
        shown = {**FAILING, "failing_since": None, "failing_error": None} if replayed else FAILING
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"webhooks": [shown]}))

    def deliveries(route: Route) -> None:
        delivery = (
            {**failed, "status": "delivered", "status_code": 200, "last_error": None} if replayed else failed
        )
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"deliveries": [delivery]})
        )

    def replay(route: Route) -> None:
        replayed.append(route.request.url)
        route.fulfill(status=202, content_type="application/json", body=json.dumps({"replayed": True}))

    page.route("**/webhooks", webhooks)
    page.route(f"**/webhooks/{FAILING['id']}/deliveries?*", deliveries)
    page.route(f"**/webhooks/{FAILING['id']}/deliveries/dl_1/replay", replay)
    sign_in(page, desk, admin)
    page.goto(f"{desk.api_url}/console#/webhooks")
    card = page.get_by_role("article", name="CRM sync")
    expect(card.locator(".webhook-failing")).to_be_visible()

    # When the admin replays the failed delivery and it goes through
    card.get_by_role("button", name="Deliveries of CRM sync").click()
    card.get_by_role("button", name="Replay SLA warning", exact=False).click()

    # Then the card no longer says it is failing, without a reload, and the log shows it delivered
    expect(card.locator(".webhook-failing")).to_have_count(0)
    expect(card).to_contain_text("Sent again to CRM sync")
    assert len(replayed) == 1
