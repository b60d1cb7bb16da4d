"""Automatic assignment in a real browser against the desk on a local moto server: a queue assigning
by round robin, the history line that names the rule and the choice, and the "Away" toggle of the
header (pressed, the next ticket passes the agent over; pressed again, they are back); on a phone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.sla.policy import DEFAULT_POLICY_PATH
from postdesk_tools.local_server import RunningDesk, running_desk
from tests.e2e.desk_api import api_ok, call_api, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDesk]:
    """The desk of this module assigns the orders queue by round robin."""
    policy = tmp_path_factory.mktemp("policy") / "policy.toml"
    policy.write_text(
        DEFAULT_POLICY_PATH.read_text(encoding="utf-8") + '\n[queues.orders]\nassignment = "round_robin"\n',
        encoding="utf-8",
    )
    with running_desk() as running:
        os.environ["POSTDESK_SLA_POLICY"] = str(policy)
        runtime.reset_runtime()
        yield running


def _order(n: int) -> bytes:
    return build_mail(
        subject=f"My order {4800 + n} has not arrived",
        body=f"Hello,\n\nmy order {4800 + n} has not arrived yet. Where is my parcel?\n\nJane",
        sender=f"Jane Doe <jane{n}@customer.example>",
    )


def test_round_robin_assigns_says_so_in_the_history_and_the_away_toggle_passes_an_agent_over(
    desk: RunningDesk, page: Page
) -> None:
    # Given Sam and Ana taking orders (an admin set their queues through the API)
    admin = desk.add_agent("lead@example.com", "Lee Admin", Role.ADMIN)
    sam = desk.add_agent("sam@example.com", "Sam Lee")
    desk.add_agent("ana@example.com", "Ana Ruiz")
    for email in ("sam@example.com", "ana@example.com"):
        assert api_ok(desk, admin, "PUT", f"/agents/{email}", {"queues": ["orders"]})["queues"] == ["orders"]
    # (an unknown queue is refused in words)
    status, refused = call_api(desk, admin, "PUT", "/agents/sam@example.com", {"queues": ["nowhere"]})
    assert status == 400 and "not the desk's queues: nowhere" in refused["message"]

    # When an order mail arrives
    first = desk.deliver(_order(0))

    # Then it is Ana's (first in turn), and the history names the rule and the choice
    assert api_ok(desk, sam, "GET", f"/tickets/{first}")["ticket"]["assignee"] == "ana@example.com"
    page.set_viewport_size(PHONE)
    sign_in(page, desk, sam, f"#/tickets/{first}")
    history = page.locator("#events")
    expect(history).to_contain_text(
        "Assigned automatically to Ana Ruiz by round robin in orders; 2 available"
    )

    # When Sam presses "Away" in the header (on a phone, under its Menu)
    menu = page.get_by_role("navigation", name="Account").get_by_role("button", name="Menu")
    menu.click()
    away = page.get_by_role("button", name="Away")
    expect(away).to_have_attribute("aria-pressed", "false")
    away.click()

    # Then the button stays pressed, the desk knows, and the next order passes Sam over
    expect(away).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#flash")).to_contain_text("You are away")
    assert api_ok(desk, sam, "GET", "/me")["away"] is True
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "assignment-away-phone.png"))
    second = desk.deliver(_order(1))
    assert api_ok(desk, sam, "GET", f"/tickets/{second}")["ticket"]["assignee"] == "ana@example.com"
    page.goto(f"{desk.api_url}/console#/tickets/{second}")
    expect(page.locator("#events")).to_contain_text("away: Sam Lee")
    page.screenshot(path=str(SCREENSHOTS / "assignment-history-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # When Sam presses it again, they are back and take their turn
    menu.click()
    away = page.get_by_role("button", name="Away")
    away.click()
    expect(away).to_have_attribute("aria-pressed", "false")
    third = desk.deliver(_order(2))
    assert api_ok(desk, sam, "GET", f"/tickets/{third}")["ticket"]["assignee"] == "sam@example.com"
