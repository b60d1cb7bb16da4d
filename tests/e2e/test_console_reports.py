"""Reports in the console, in a real browser against the desk on a local moto server: an admin sees
the desk's figures as charts with tables of the same numbers, chooses a range that the address
keeps, and reads it on a phone without sideways scrolling; an agent who is not an admin gets no
link and, at the address, a sentence instead."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect

from postdesk.agents.model import Role
from postdesk.workflows.sla import policy_of
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390
# Mails the triage rules put in a category whatever the model says (shared/postdesk/triage/rules.toml).
MAILS = [
    ("Charged twice", "Hello, you charged me twice for my order. Please refund one.", "billing"),
    ("Double charge", "Hi, I see a duplicate charge on my card statement this month.", "billing"),
    ("Cannot sign in", "Hello, I cannot log in to my account since yesterday.", "account"),
    ("Locked out", "Hi, I am locked out of my account, please help.", "account"),
    ("Everything broken", "Hello, your site is down for everyone in our office.", "technical"),
]


def _desk_today(desk: RunningDesk) -> date:
    zone = ZoneInfo(policy_of(desk.settings).calendar.timezone)
    return datetime.now(zone).date()


def _range_in_address(page: Page) -> dict[str, list[str]]:
    fragment = urlsplit(page.url).fragment
    assert fragment.startswith("/reports"), page.url
    return parse_qs(fragment.partition("?")[2])


def _table_of(page: Page, figure_id: str) -> list[list[str]]:
    """The rows of a figure's table (header first), once its "Show table" is opened."""
    figure = page.locator(f"#{figure_id}")
    figure.get_by_text("Show table").click()
    table = figure.get_by_role("table")
    expect(table).to_be_visible()
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tr").all()
    ]


def test_an_admin_sees_the_desks_figures_and_chooses_the_range(desk: RunningDesk, page: Page) -> None:
    # Given mails in three categories today, two of them answered and one resolved by Ada
    admin = desk.add_agent("ada@example.com", "Ada Admin", Role.ADMIN)
    refs = [
        desk.deliver(build_mail(subject=subject, body=body, sender=f"c{index} <c{index}@shop.example>"))
        for index, (subject, body, _) in enumerate(MAILS)
    ]
    categories = Counter(api_ok(desk, admin, "GET", f"/tickets/{ref}")["ticket"]["category"] for ref in refs)
    assert categories == Counter(category for _, _, category in MAILS)
    for ref in refs[:2]:
        api_ok(desk, admin, "POST", f"/tickets/{ref}/replies", {"body": "We are on it.", "status": "pending"})
    version = api_ok(desk, admin, "GET", f"/tickets/{refs[0]}")["ticket"]["version"]
    api_ok(desk, admin, "PATCH", f"/tickets/{refs[0]}", {"version": version, "status": "resolved"})
    # And a ticket Ada gave Sam, who was told by mail
    desk.add_agent("sam.told@example.com", "Sam Told")
    version = api_ok(desk, admin, "GET", f"/tickets/{refs[2]}")["ticket"]["version"]
    api_ok(
        desk, admin, "PATCH", f"/tickets/{refs[2]}", {"version": version, "assignee": "sam.told@example.com"}
    )
    fired = fire_due_schedules(
        desk.settings.region,
        desk.settings.scheduling.group,
        datetime.now(UTC) + timedelta(hours=1),
        prefix="notify-",
    )
    assert [f.result["outcome"] for f in fired] == ["sent"], fired
    today = _desk_today(desk)

    # When Ada opens Reports from the navigation
    sign_in(page, desk, admin)
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Reports").click()

    # Then the last seven days show: the figures, and the chart of new tickets per day by category
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page).to_have_title("Reports · Postdesk")
    expect(page.locator("#reports-view").get_by_label("From", exact=True)).to_have_value(
        (today - timedelta(days=6)).isoformat()
    )
    expect(page.locator("#reports-view").get_by_label("To", exact=True)).to_have_value(today.isoformat())
    tiles = page.locator("#report-tiles")
    expect(tiles.locator(".tile").filter(has_text="New tickets").locator(".tile-figure")).to_have_text("5")
    expect(tiles.locator(".tile").filter(has_text="First response").locator(".tile-figure")).to_have_text(
        re.compile(r"^\d+ (s|min)$")
    )
    expect(tiles.locator(".tile").filter(has_text="First response")).to_contain_text("2 tickets")
    volume = page.locator("#report-volume")
    expect(volume.get_by_role("heading", name="New tickets per day, by category")).to_be_visible()
    expect(volume.locator("svg.chart rect.bar")).to_have_count(3)
    expect(volume.locator(".legend li")).to_have_text(["account", "billing", "technical"])
    # And its table says the same numbers: today's row, each category and the total
    rows = _table_of(page, "report-volume")
    assert rows[0] == ["Day", "account", "billing", "technical", "Total"]
    assert len(rows) == 1 + 7 + 1
    today_row = rows[-2]
    assert today_row[1:] == ["2", "2", "1", "5"], rows
    assert rows[-1] == ["All days", "2", "2", "1", "5"]
    assert all(row[1:] == ["0", "0", "0", "0"] for row in rows[1:-2]), rows
    # And the other charts with their numbers: Ada's work, the backlog, the SLA targets
    assert _table_of(page, "report-agents")[1:] == [["Ada Admin (ada@example.com)", "2", "1"]]
    backlog = _table_of(page, "report-backlog")
    assert backlog[1] == ["Under a day", "4"] and backlog[-1] == ["All", "4"]
    sla = _table_of(page, "report-sla")
    assert [row[0] for row in sla[1:]] == ["First response", "Next response", "Resolution"]
    expect(page.locator("#report-first-response svg.chart")).to_be_visible()
    expect(page.locator("#report-satisfaction .report-empty")).to_have_text(re.compile("^No survey went out"))
    # And what the desk did by itself: the notification mailed to Sam, nothing on its timers yet
    automation = page.locator("#report-automation")
    expect(automation.get_by_role("heading", name="Automation")).to_be_visible()
    expect(automation.locator(".meter-row").filter(has_text="Notifications sent")).to_contain_text("1")
    assert _table_of(page, "report-automation") == [
        ["Action", "Count", "Detail"],
        ["Reminders sent", "0", "to customers a ticket was pending on"],
        ["Resolved by the desk", "0", "no answer after the reminder"],
        ["Reopened after the desk resolved", "0", "–"],
        ["Closed by the desk", "0", "some days after their resolution"],
        ["Assigned automatically", "0", "–"],
        ["Notifications sent", "1", "to agents, by mail"],
    ]

    # The report at both widths, for a person to look at (.postdesk/screenshots)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "reports-1366.png"), full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    expect(volume.locator("svg.chart")).to_have_attribute("viewBox", re.compile(r"^0 0 3[0-9]{2} "))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"
    page.screenshot(path=str(SCREENSHOTS / "reports-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    # When she chooses the last 30 days
    presets = page.get_by_role("group", name="Quick ranges")
    presets.get_by_role("button", name="Last 30 days").click()

    # Then the address keeps the range, and a reload shows the same
    month = {"from": [(today - timedelta(days=29)).isoformat()], "to": [today.isoformat()]}
    expect(presets.get_by_role("button", name="Last 30 days")).to_have_attribute("aria-pressed", "true")
    assert _range_in_address(page) == month
    expect(page.locator("#report-volume svg.chart rect.bar")).to_have_count(3)
    page.reload()
    expect(page.locator("#reports-view").get_by_label("From", exact=True)).to_have_value(month["from"][0])
    expect(page.locator("#reports-view").get_by_label("To", exact=True)).to_have_value(today.isoformat())
    assert len(_table_of(page, "report-volume")) == 1 + 30 + 1

    # When she types a range that ended before today's mail
    page.locator("#reports-view").get_by_label("From", exact=True).fill(
        (today - timedelta(days=10)).isoformat()
    )
    page.locator("#reports-view").get_by_label("To", exact=True).fill((today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Show", exact=True).click()

    # Then a sentence says nothing happened, instead of empty charts; the backlog (now) still shows
    expect(page.locator("#reports-charts > .report-empty")).to_contain_text("Nothing happened between")
    expect(page.locator("#report-volume")).to_have_count(0)
    expect(page.locator("#report-backlog")).to_be_visible()
    assert _range_in_address(page) == {
        "from": [(today - timedelta(days=10)).isoformat()],
        "to": [(today - timedelta(days=3)).isoformat()],
    }
    # And Back returns to the 30 days
    page.go_back()
    expect(page.locator("#reports-view").get_by_label("From", exact=True)).to_have_value(month["from"][0])
    expect(page.locator("#report-volume")).to_be_visible()

    # A first day after the last is said in words, and nothing is asked of the desk
    page.locator("#reports-view").get_by_label("From", exact=True).fill(today.isoformat())
    page.locator("#reports-view").get_by_label("To", exact=True).fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#reports-error")).to_have_text(re.compile("The first day is after the last one"))
    assert _range_in_address(page) == month

    # A range in the future, typed into the address, gets the desk's own words
    tomorrow = (today + timedelta(days=1)).isoformat()
    page.goto(f"{desk.api_url}/console#/reports?from={today.isoformat()}&to={tomorrow}")
    expect(page.locator("#reports-error")).to_contain_text(f"until: {tomorrow} is after today")
    expect(page.locator("#report-volume")).to_have_count(0)


def test_the_desks_own_work_shows_with_its_table(desk: RunningDesk, page: Page) -> None:
    """The automation figure with every figure the report can carry: the desk's reminders,
    resolutions, closings, reopenings after its resolutions, automatic assignments by rule and
    notifications (the report as the API gives it, with those figures set: reaching them for real
    takes days of the desk's clock, which a report of today cannot show)."""
    # Given a report whose range saw the desk at work by itself
    admin = desk.add_agent("ada.auto@example.com", "Ada Auto", Role.ADMIN)
    desk.deliver(
        build_mail(subject="Where is my parcel", body="Hello, any news?", sender="Kim <kim@shop.example>")
    )

    def busy_desk(route: Route) -> None:
        report = route.fetch().json()
        report["automation"] = {
            "reminders": 12,
            "auto_resolved": 8,
            "auto_closed": 5,
            "reopened_after_auto_resolve": 2,
            "reopen_rate": 0.25,
        }
        report["assignment"] = {
            "automatic": 9,
            "by_rule": {"round_robin": 6, "fewest_open": 3},
            "nobody_available": 1,
        }
        report["notifications"] = {"sent": 30}
        route.fulfill(json=report)

    page.route(re.compile(r"/metrics(\?|$)"), busy_desk)

    # When Ada opens the reports
    sign_in(page, desk, admin, "#/reports")

    # Then the automation figure says each in words, with its numbers
    automation = page.locator("#report-automation")
    expect(automation.locator(".meter-row")).to_have_count(6)
    expect(
        automation.locator(".meter-row").filter(has_text="Reopened after the desk resolved")
    ).to_contain_text("25 % of 8 the desk resolved")
    expect(automation.locator(".meter-row").filter(has_text="Assigned automatically")).to_contain_text(
        "round robin 6 · fewest open 3; nobody available for 1"
    )
    # And its table, the same numbers for a screen reader or a copy
    assert _table_of(page, "report-automation")[1:] == [
        ["Reminders sent", "12", "to customers a ticket was pending on"],
        ["Resolved by the desk", "8", "no answer after the reminder"],
        ["Reopened after the desk resolved", "2", "25 % of 8 the desk resolved"],
        ["Closed by the desk", "5", "some days after their resolution"],
        ["Assigned automatically", "9", "round robin 6 · fewest open 3; nobody available for 1"],
        ["Notifications sent", "30", "to agents, by mail"],
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    automation.scroll_into_view_if_needed()
    automation.screenshot(path=str(SCREENSHOTS / "reports-automation-1366.png"))
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"
    automation.screenshot(path=str(SCREENSHOTS / "reports-automation-390.png"))


def test_an_agent_who_is_not_an_admin_gets_no_reports(desk: RunningDesk, page: Page) -> None:
    # Given an agent
    token = desk.add_agent("sam@example.com", "Sam Lee")

    # When Sam signs in
    sign_in(page, desk, token)

    # Then the navigation has no Reports
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_text("Sam Lee (agent)")).to_be_visible()
    expect(account.get_by_role("link", name="Reports")).to_be_hidden()

    # And the address of the reports says why there is nothing to see
    page.goto(f"{desk.api_url}/console#/reports?from=2026-11-01&to=2026-11-07")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.locator("#reports-refused")).to_have_text(re.compile("Reports are for the desk's admins"))
    expect(page.locator("#reports-view").get_by_label("From", exact=True)).to_be_hidden()
    expect(page.locator("#reports-charts")).to_be_empty()
