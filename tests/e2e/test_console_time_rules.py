"""A time rule of the rules file at work on the local desk, with the clock moved: the rule's timer
fires after the ticket's idle business hours and the ticket's page says in words what the rule did,
naming it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk import runtime
from postdesk.triage.rules import DEFAULT_RULES_PATH
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
RULE = """
[[time_rule]]
name = "Nudge idle new tickets"
when = { status = ["new"], idle_business_hours = 1 }
then = { add_tag = "stale", set = { priority = "high" }, notify = ["sam@example.com"] }
"""


@pytest.fixture
def ruled_desk(desk: RunningDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningDesk]:
    """The desk reading the shipped rules file with the rule above (POSTDESK_TRIAGE_RULES)."""
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8") + RULE, encoding="utf-8")
    monkeypatch.setenv("POSTDESK_TRIAGE_RULES", str(path))
    runtime.reset_runtime()
    yield desk
    monkeypatch.delenv("POSTDESK_TRIAGE_RULES")
    runtime.use_clock(None)


def test_the_history_names_the_time_rule_and_says_what_it_did(ruled_desk: RunningDesk, page: Page) -> None:
    # Given a new ticket nobody touches
    desk = ruled_desk
    token = desk.add_agent("sam@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Parcel never came"))

    # When the clock moves past its idle business hour (at most three days: a weekend and a holiday)
    later = datetime.now(UTC) + timedelta(days=4)
    runtime.use_clock(lambda: later)
    fired = fire_due_schedules(
        desk.settings.region, desk.settings.scheduling.group, later, prefix=f"rules-{ref}-"
    )

    # Then the rule applied once
    assert [f.result["outcome"] for f in fired] == ["applied"]
    ticket = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    assert "stale" in ticket["tags"] and ticket["priority"] == "high"

    # And Sam reads it in the ticket's history, in words, with the rule's name
    sign_in(page, desk, token, f"#/tickets/{ref}")
    line = page.locator('#events li[data-kind="rule_applied"] .sentence')
    expect(line).to_have_text(
        "Rule \u201cNudge idle new tickets\u201d (idle 1 business hour): tagged stale, set priority to high, "
        "notified Sam Lee"
    )
    expect(page.locator("#events")).to_contain_text("A time rule")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    line.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "time-rule-history.png"), full_page=True)
