"""The ticket list as an agent reads it, in a real browser against the desk on a local moto server:
the Snoozed tab (snoozed tickets apart, the soonest to wake first, each row saying until when), whose
turn each row is, the subject and the row opening the ticket; and a ticket page that opens without a
Content-Security-Policy error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from postdesk.clock import to_iso
from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def _patch(desk: RunningDesk, token: str, ref: str, **fields: Any) -> None:
    version = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, **fields})


def test_the_snoozed_tab_lists_snoozed_tickets_by_wake_time_saying_until_when(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket snoozed for two days, one until the customer answers, one for a day, one on hold
    token = desk.add_agent("sam@example.com", "Sam Lee")
    later = desk.deliver(build_mail(subject="Snoozed for two days"))
    answer = desk.deliver(build_mail(subject="Snoozed until they answer"))
    sooner = desk.deliver(build_mail(subject="Snoozed for a day"))
    held = desk.deliver(build_mail(subject="Simply on hold"))
    now = datetime.now(UTC)
    _patch(desk, token, later, snooze_until=to_iso(now + timedelta(days=2)))
    _patch(desk, token, answer, snooze_until_answer=True)
    _patch(desk, token, sooner, snooze_until=to_iso(now + timedelta(days=1)))
    _patch(desk, token, held, status="on-hold")

    # When the agent opens the Snoozed tab
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, "#/")
    tab = page.locator("#list-tabs").get_by_role("link", name="Snoozed")
    expect(tab.locator(".view-count")).to_have_text("3")
    tab.click()

    # Then it lists the snoozed tickets only, the soonest to wake first, each saying until when
    expect(tab).to_have_attribute("aria-current", "page")
    expect(page.locator("#queue-title")).to_have_text("Snoozed")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("td.ref-cell")).to_have_text([sooner, later, answer])
    expect(rows.nth(0)).to_contain_text("Snoozed until")
    expect(rows.nth(2)).to_contain_text("Snoozed until an answer")
    # And it has no Sort and no Status filter: the view sets both
    expect(page.locator("#field-sort")).to_be_hidden()
    expect(page.locator("#field-status")).to_be_hidden()
    assert "view=snoozed" in page.url
    page.screenshot(path=str(SCREENSHOTS / "list-snoozed-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    expect(rows).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "list-snoozed-390.png"), full_page=True)


def test_a_row_says_whose_turn_it_is(desk: RunningDesk, page: Page) -> None:
    # Given a ticket nobody answered (opened) and one an agent answered, leaving it open
    token = desk.add_agent("kim@example.com", "Kim Park")
    waiting = desk.deliver(build_mail(subject="Nobody answered me"))
    _patch(desk, token, waiting, status="open")
    answered = desk.deliver(build_mail(subject="We answered this one"))
    api_ok(
        desk,
        token,
        "POST",
        f"/tickets/{answered}/replies",
        {"body": "Hello,\n\nit left today.", "status": "open"},
    )

    # When the agent reads the list
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, "#/")

    # Then the unanswered row says so, and the answered one that the customer has the next word
    row = page.locator("#queue-rows tr")
    expect(row.filter(has_text=waiting).locator(".badge.turn-us")).to_have_text("Not answered yet")
    expect(row.filter(has_text=answered).locator(".badge.turn-customer")).to_have_text("Waiting on customer")
    page.screenshot(path=str(SCREENSHOTS / "list-turn-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(f'#queue-rows tr[data-ref="{answered}"]').scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "list-turn-390.png"))


def test_the_subject_and_the_row_open_the_ticket(desk: RunningDesk, page: Page) -> None:
    # Given a ticket in the list
    token = desk.add_agent("lee@example.com", "Lee Chan")
    ref = desk.deliver(build_mail(subject="Where is my refund"))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, "#/")
    row = page.locator(f'#queue-rows tr[data-ref="{ref}"]')

    # Then the row has one link and Tab stop, its reference, described by the subject for a
    # screen reader
    expect(row.get_by_role("link")).to_have_count(1)
    expect(row.get_by_role("link", name=ref)).to_have_accessible_description("Where is my refund")
    subject = row.locator(".subject-text")

    # When the agent clicks the subject, the ticket opens
    subject.click()
    expect(page.locator("#ticket-subject")).to_have_text("Where is my refund")

    # When they go back and click the requester's cell of the row, the ticket opens too
    page.go_back()
    row.locator("td.requester").click()
    expect(page.locator("#ticket-subject")).to_have_text("Where is my refund")

    # But a click on the row's box ticks it and stays on the list
    page.go_back()
    row.locator("td.select-cell input").click()
    expect(row.locator("td.select-cell input")).to_be_checked()
    assert "#/tickets/" not in page.url


def test_a_ticket_with_a_written_reply_opens_without_a_policy_error(desk: RunningDesk, page: Page) -> None:
    # Given a ticket an agent answered with bold and a list (shown as written, through a frame)
    token = desk.add_agent("noa@example.com", "Noa Berg")
    ref = desk.deliver(build_mail(subject="Sizes of the boots"))
    api_ok(desk, token, "POST", f"/tickets/{ref}/replies", {"body": "Hello,\n\n**Two** sizes:\n\n- 42\n- 43"})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # When the agent opens it
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, desk, token, f"#/tickets/{ref}")

    # Then the reply shows as written, and the browser logs no Content-Security-Policy error
    reply = page.locator("#thread li.kind-agent_reply")
    written = reply.locator(".message-body.written")
    expect(written.locator("strong")).to_have_text("Two")
    expect(written.locator("li")).to_have_count(2)
    assert not [text for text in errors if "Content Security Policy" in text], errors
