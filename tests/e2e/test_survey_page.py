"""The survey in a real browser: a customer follows a link from the survey mail in moto's outbox,
changes the rating, comments and submits; the agent finds the bad answer in the follow-up view."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from postdesk.tickets.store import TicketStore
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.desk_api import call_api, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e


def _api(desk: RunningDesk, token: str, method: str, path: str, body: Any = None) -> Any:
    status, document = call_api(desk, token, method, path, body)
    assert status == 200, document
    return document


def _resolved_and_surveyed(desk: RunningDesk, token: str, subject: str) -> tuple[str, dict[int, str]]:
    """A customer's ticket, resolved by the agent, and the links of the survey a day later."""
    ref = desk.deliver(build_mail(subject=subject))
    version = _api(desk, token, "GET", f"/tickets/{ref}")["ticket"]["version"]
    _api(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, "status": "resolved"})
    fired = fire_due_schedules(
        desk.settings.region,
        desk.settings.scheduling.group,
        datetime.now(UTC) + timedelta(days=1),
        prefix=f"survey-{ref}-",
    )
    assert [(f.target, f.result["outcome"]) for f in fired] == [("survey", "sent")]
    (survey,) = [m.message for m in desk.sent_mail() if ref in str(m.message["Subject"])][-1:]
    assert survey["Auto-Submitted"] == "auto-generated"
    html = survey.get_body(preferencelist=("html",))
    assert html is not None
    links = re.findall(r'href="([^"]+/survey/[^"]+)"', html.get_content())
    return ref, {int(urlsplit(link).path.split(".")[2]): link for link in links}


def test_a_customer_changes_the_rating_comments_and_the_agent_follows_up(
    desk: RunningDesk, page: Page
) -> None:
    token = desk.add_agent("sam@example.com", "Sam Lee")
    ref, links = _resolved_and_surveyed(desk, token, "Refund for order 4711")
    assert sorted(links) == [1, 2, 3, 4, 5]
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))

    # The customer clicks "4 - Good" in the mail: the page asks, with 4 chosen, and stores nothing yet
    page.goto(links[4])
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    expect(page.get_by_text("Refund for order 4711")).to_be_visible()
    expect(page.get_by_label("4 – Good")).to_be_checked()
    store = TicketStore(desk.settings.tables, desk.settings.region)
    ticket = store.get_ticket(ref)
    assert ticket is not None and ticket.survey_rating is None

    # She thinks again: 2, with a comment, and sends it
    page.get_by_label("2 – Poor").check()
    page.get_by_label("Anything you would like to tell us? (optional)").fill("It took three weeks.")
    page.get_by_role("button", name="Send my rating").click()

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.get_by_text("We have saved your rating: 2 – Poor.")).to_be_visible()
    expect(page.get_by_text("Someone from our team will get back to you.")).to_be_visible()
    ticket = store.get_ticket(ref)
    assert ticket is not None
    assert (ticket.survey_rating, ticket.survey_comment, ticket.follow_up) == (
        2,
        "It took three weeks.",
        "rated 2 of 5",
    )
    # The page's own style passed its policy: the browser reported nothing blocked.
    assert problems == []

    # The agent sees it in the follow-up view, opens it and marks it as followed up
    sign_in(page, desk, token)
    # A filter applies as soon as it changes.
    page.get_by_label("Needs follow-up").check()
    row = page.locator(f'#queue-rows tr[data-ref="{ref}"]')
    expect(row).to_contain_text("Follow up")
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    row.get_by_role("link", name=ref).click()
    expect(page.locator("#follow-up-reason")).to_have_text("Needs a follow-up: rated 2 of 5.")
    expect(page.locator("#ticket-facts")).to_contain_text("2 of 5 “It took three weeks.”")
    page.get_by_role("button", name="Mark as followed up").click()
    expect(page.locator("#follow-up-box")).to_be_hidden()
    ticket = store.get_ticket(ref)
    assert ticket is not None and ticket.follow_up is None


def test_the_survey_page_runs_no_script_and_a_forged_link_gets_the_403_page(
    desk: RunningDesk, page: Page
) -> None:
    token = desk.add_agent("ira@example.com", "Ira Novak")
    _, links = _resolved_and_surveyed(desk, token, "Password reset")
    messages: list[ConsoleMessage] = []
    page.on("console", lambda message: messages.append(message))

    page.goto(links[5])
    scripts = page.evaluate("() => document.scripts.length")
    forged = page.goto(links[5][:-1] + ("a" if not links[5].endswith("a") else "b"))

    assert scripts == 0
    assert forged is not None and forged.status == 403
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    assert [m.text for m in messages if m.type == "error" and "403" not in m.text] == []
