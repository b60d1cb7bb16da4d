"""Snoozing a ticket from its page, in a real browser against the desk on a local moto server: the
usual moments offered in the agent's own time zone, a date and time typed, "until the customer
answers", the state said in words with "Unsnooze", each change one PATCH over the version on screen
(a colleague's change meanwhile said in words, nothing snoozed over it), told in the history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from postdesk import runtime
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
ZONE = "Europe/Madrid"


@pytest.fixture
def madrid_page(browser: Browser) -> Iterator[Page]:
    """A browser whose clock reads Madrid's time: the agent's own time zone, not the desk's."""
    context = browser.new_context(timezone_id=ZONE, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    # The browser's clock reads the coming Wednesday at 10:00 (the desk's is now: every moment
    # offered is then still ahead of it, within the year a snooze may last).
    page.clock.set_fixed_time(WEDNESDAY)
    yield page
    context.close()


def _coming_wednesday() -> datetime:
    now = datetime.now(ZoneInfo(ZONE))
    ahead = (2 - now.weekday()) % 7 or 7
    return (now + timedelta(days=ahead)).replace(hour=10, minute=0, second=0, microsecond=0)


WEDNESDAY = _coming_wednesday()


def _day(moment: datetime) -> str:
    """A day as the console names it in British English: "Mon 14 Dec"."""
    return f"{moment:%a} {moment.day} {moment:%b}"


def _ticket(desk: RunningDesk, token: str, ref: str) -> dict[str, Any]:
    ticket: dict[str, Any] = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]
    return ticket


def _no_sideways_scroll(page: Page) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_an_agent_snoozes_a_ticket_until_tomorrow_morning_and_unsnoozes_it(
    desk: RunningDesk, madrid_page: Page
) -> None:
    # Given an open ticket and an agent in Madrid on its page
    page = madrid_page
    token = desk.add_agent("sam@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Waiting for the courier"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Waiting for the courier")
    box = page.get_by_role("group", name="Snooze", exact=True)
    expect(box.locator("#snooze-state")).to_be_hidden()

    # When the agent opens "Snooze…"
    opener = box.get_by_role("button", name="Snooze…")
    opener.click()

    # Then the usual moments are offered, in the agent's time zone, the first one focused
    expect(opener).to_have_attribute("aria-expanded", "true")
    presets = box.get_by_role("group", name="Snooze until").get_by_role("button")
    expect(presets).to_have_count(3)
    expect(presets.nth(0)).to_be_focused()
    expect(presets.nth(0)).to_have_text("Later today, 13:00")
    expect(presets.nth(1)).to_have_text(f"Tomorrow, {_day(WEDNESDAY + timedelta(days=1))} 09:00")
    expect(presets.nth(2)).to_have_text(f"Next Monday, {_day(WEDNESDAY + timedelta(days=5))} 09:00")
    expect(box.locator("#snooze-zone")).to_have_text(f"In your time zone ({ZONE}).")
    # The ticket has no assignee: the panel does not promise that one is told
    assert not api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"].get("assignee")
    expect(box.locator("#snooze-hint")).to_contain_text("Nobody is told, as it has no assignee")
    expect(box).not_to_contain_text("its assignee is told")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "snooze-panel-1366.png"), full_page=True)

    # When they choose next Monday at 9:00
    presets.nth(2).click()

    # Then the ticket is on hold until 9:00 on Monday in Madrid, and the page says so
    expect(box.locator("#snooze-words")).to_contain_text("Snoozed until")
    expect(box.locator("#snooze-message")).to_have_text("Snoozed: the ticket is on hold until then.")
    ticket = _ticket(desk, token, ref)
    assert ticket["status"] == "on-hold"
    until = datetime.fromisoformat(ticket["snooze"]["until"]).astimezone(ZoneInfo(ZONE))
    assert until == (WEDNESDAY + timedelta(days=5)).replace(hour=9)
    expect(box.locator("#snooze-words")).to_contain_text("09:00")
    expect(page.locator("#ticket-status")).to_have_value("on-hold")
    expect(page.locator('#events li[data-kind="snoozed"]')).to_contain_text(
        "Sam Lee snoozed the ticket until"
    )
    expect(box.get_by_role("button", name="Change the snooze…")).to_be_visible()
    box.screenshot(path=str(SCREENSHOTS / "snoozed-box-1366.png"))

    # When they unsnooze it
    box.get_by_role("button", name="Unsnooze").click()

    # Then it is open again, not snoozed, and the history says who ended the snooze
    expect(box.locator("#snooze-message")).to_have_text("Snooze ended: the ticket is open again.")
    expect(box.locator("#snooze-state")).to_be_hidden()
    ticket = _ticket(desk, token, ref)
    assert (ticket["status"], ticket["snooze"]) == ("open", None)
    expect(page.locator('#events li[data-kind="unsnoozed"]')).to_contain_text("ended the snooze")


def test_a_snooze_until_the_customer_answers_a_typed_time_and_a_colleagues_change(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket and an agent on its page
    token = desk.add_agent("ana@example.com", "Ana Ruiz")
    ref = desk.deliver(build_mail(subject="Refund for order 5521"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Refund for order 5521")
    box = page.get_by_role("group", name="Snooze", exact=True)

    # When the agent types a time already past
    box.get_by_role("button", name="Snooze…").click()
    box.get_by_label("Until a date and time").fill("2020-01-01T09:00")
    box.get_by_role("button", name="Snooze until then").click()

    # Then it is refused in words, and nothing changed
    expect(box.locator("#snooze-message")).to_have_text("That time has passed: choose a later one.")
    assert _ticket(desk, token, ref)["snooze"] is None

    # When a colleague changes the ticket meanwhile and the agent then snoozes it
    version = _ticket(desk, token, ref)["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, "priority": "high"})
    box.get_by_label("Until a date and time").fill(
        (datetime.now() + timedelta(days=3)).replace(hour=14, minute=30).strftime("%Y-%m-%dT%H:%M")
    )
    box.get_by_role("button", name="Snooze until then").click()

    # Then nothing is snoozed over their change: the ticket is shown as it is now, in words
    expect(box.locator("#snooze-message")).to_contain_text("A colleague changed this ticket meanwhile")
    expect(page.locator("#ticket-priority")).to_have_value("high")
    assert _ticket(desk, token, ref)["snooze"] is None

    # When the agent snoozes it until the customer answers
    box.get_by_role("button", name="Snooze…").click()
    box.get_by_role("button", name="Until the customer answers").click()

    # Then it waits on hold with no time, said in words on the page and in the history
    expect(box.locator("#snooze-words")).to_have_text("Snoozed until the customer answers")
    ticket = _ticket(desk, token, ref)
    assert ticket["status"] == "on-hold"
    assert ticket["snooze"] == {"until": None}
    expect(page.locator('#events li[data-kind="snoozed"]')).to_contain_text(
        "snoozed the ticket until the customer answers"
    )

    # And on a phone the box fits, with nothing to scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    box.get_by_role("button", name="Change the snooze…").click()
    box.scroll_into_view_if_needed()
    assert _no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "snooze-390.png"), full_page=True)
    box.screenshot(path=str(SCREENSHOTS / "snooze-box-390.png"))
    page.set_viewport_size({"width": 1366, "height": 900})
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "snoozed-1366.png"), full_page=True)


def test_a_snooze_that_ends_opens_the_ticket_and_the_history_says_who_was_told(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket assigned to Kim, snoozed by a colleague for two hours
    kim = desk.add_agent("kim@example.com", "Kim Park")
    lee = desk.add_agent("lee@example.com", "Lee Chan")
    ref = desk.deliver(build_mail(subject="Call me back on Monday"))
    version = _ticket(desk, lee, ref)["version"]
    until = datetime.now(UTC) + timedelta(hours=2)
    api_ok(
        desk,
        lee,
        "PATCH",
        f"/tickets/{ref}",
        {"version": version, "assignee": "kim@example.com", "snooze_until": until.isoformat()},
    )

    # When the clock passes the end of the snooze, and Kim's notification mail goes
    later = until + timedelta(minutes=1)
    runtime.use_clock(lambda: later)
    try:
        group = desk.settings.scheduling.group
        woken = fire_due_schedules(desk.settings.region, group, later, prefix=f"auto-{ref}-snooze-end-")
        assert [f.result["outcome"] for f in woken] == ["woken"], woken
        told_at = later + timedelta(hours=1)
        runtime.use_clock(lambda: told_at)
        fire_due_schedules(desk.settings.region, group, told_at, prefix="notify-")
    finally:
        runtime.use_clock(None)

    # Then the ticket is open again, no longer snoozed
    ticket = _ticket(desk, kim, ref)
    assert (ticket["status"], ticket["snooze"]) == ("open", None)

    # And its page says in words that the snooze ended and that Kim was told by mail
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, kim, f"#/tickets/{ref}")
    expect(page.locator("#snooze-state")).to_be_hidden()
    expect(page.locator('#events li[data-kind="snooze_ended"] .sentence')).to_have_text(
        re.compile(r"^Snooze ended \(.+\): open again; Kim Park was told$")
    )
    expect(page.locator('#events li[data-kind="agent_notified"] .sentence').last).to_have_text(
        re.compile(r"^Kim Park was told by mail \(their notification settings\): .*the snooze ended")
    )
    page.locator("#events").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#events").screenshot(path=str(SCREENSHOTS / "snooze-ended-history.png"))
