"""Two agents on one ticket, each in a browser of their own, against the desk on a local moto server:
one sees the other open the ticket and write a reply; a reply sent over a colleague's is held with
what changed said in words and the colleague's reply shown in the thread, the text kept; "Send
anyway" sends it, and the customer gets both mails. Screenshots at 1,366 and 390 px."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390
CUSTOMER = "jane.doe@customer.example"


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """Another agent's browser: a context of its own (its own session, storage and clock)."""
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _wait_until_writing(desk: RunningDesk, token: str, ref: str, name: str) -> None:
    """Until the desk holds ``name`` as writing on ``ref`` (her console says so at her first key, a
    request that may still be on its way when the test moves another browser's clock)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        others = api_ok(desk, token, "GET", f"/tickets/{ref}/presence")["others"]
        if any(o["agent"]["name"] == name and o["state"] == "writing" for o in others):
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} never showed as writing on {ref}")


def _replies_to_the_customer(desk: RunningDesk, ref: str) -> list[str]:
    """The texts of the agents' replies on ticket ``ref`` the customer got (not the acknowledgement)."""
    return [
        str(mail.message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
        for mail in desk.sent_mail()
        if CUSTOMER in mail.recipients and str(mail.message["Subject"]).startswith(f"Re: [#{ref}]")
    ]


def test_two_agents_see_each_other_and_a_crossing_reply_waits_for_the_agents_word(
    desk: RunningDesk, page: Page, second_page: Page
) -> None:
    # Given a customer's ticket, Ira and Sam at their desks; Sam's browser runs on a clock the test
    # moves (so his console's next heartbeat comes when the test says)
    ira_token = desk.add_agent("ira@example.com", "Ira Novak")
    sam_token = desk.add_agent("sam.lee@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Boots too small", body="Hello,\n\nthe boots pinch.\n\nJane"))
    ira, sam = page, second_page
    sam.clock.install()
    for agent, token in ((ira, ira_token), (sam, sam_token)):
        agent.set_viewport_size({"width": 1366, "height": 900})
        sign_in(agent, desk, token, f"#/tickets/{ref}")
        expect(agent.locator("#ticket-subject")).to_have_text("Boots too small")

    # When Ira starts writing a reply (the desk has heard it), and Sam's console says it is still there
    ira.locator("#reply-body").fill("Hello Jane, a size up is on its way.")
    _wait_until_writing(desk, sam_token, ref, "Ira Novak")
    sam.clock.run_for(21_000)

    # Then Sam sees, above his reply box, that Ira is writing one (said politely to a screen reader)
    presence = sam.locator("#ticket-presence")
    expect(presence).to_have_text("Ira Novak is writing a reply…")
    expect(presence).to_have_attribute("aria-live", "polite")
    # And Ira sees that Sam has the ticket open (her console learnt it with her typing's heartbeat)
    expect(ira.locator("#ticket-presence")).to_have_text("Sam Lee is viewing this ticket")
    sam.screenshot(path=str(SCREENSHOTS / "collision-presence.png"), full_page=True)

    # When Sam replies first
    sam.locator("#reply-body").fill("Hi Jane, we are sending a bigger pair today.")
    sam.get_by_role("button", name="Send reply").click()
    expect(sam.locator("#thread li.kind-agent_reply")).to_have_count(1)

    # And Ira sends hers over the thread she saw
    ira.get_by_role("button", name="Send reply").click()

    # Then hers is held: the box says who wrote, with the focus on it; Sam's reply is in her thread,
    # marked new; her text is still in the box, and the customer got one reply
    conflict = ira.get_by_role("group", name="Not sent: the conversation changed while you were writing.")
    expect(conflict).to_be_visible()
    expect(conflict).to_be_focused()
    expect(conflict.locator("li")).to_have_count(1)
    expect(conflict.locator("li")).to_contain_text("Sam Lee replied")
    crossed = ira.locator("#thread li.new-since")
    expect(crossed).to_have_count(1)
    expect(crossed).to_contain_text("we are sending a bigger pair today")
    expect(crossed.locator(".badge.new")).to_have_text("New")
    expect(ira.locator("#reply-body")).to_have_value("Hello Jane, a size up is on its way.")
    assert len(_replies_to_the_customer(desk, ref)) == 1
    ira.screenshot(path=str(SCREENSHOTS / "collision-conflict.png"), full_page=True)
    ira.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    conflict.scroll_into_view_if_needed()
    ira.screenshot(path=str(SCREENSHOTS / "collision-conflict-phone.png"))
    assert ira.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ira.set_viewport_size({"width": 1366, "height": 900})

    # When she looks first, then sends anyway
    conflict.get_by_role("button", name="Review first").click()
    expect(conflict).to_be_hidden()
    expect(ira.locator("#thread li.new-since")).to_be_focused()
    ira.get_by_role("button", name="Send reply").click()

    # Then it goes (she has now seen Sam's reply): both replies are in the thread, in the order sent,
    # and the customer got two mails
    expect(ira.locator("#thread li.kind-agent_reply")).to_have_count(2)
    expect(ira.locator("#reply-body")).to_have_value("")
    authors = ira.locator("#thread li.kind-agent_reply .message-head strong")
    expect(authors).to_have_text([re.compile("^Sam Lee"), re.compile("^Ira Novak")])
    replies = _replies_to_the_customer(desk, ref)
    assert len(replies) == 2
    assert "bigger pair today" in replies[0] and "a size up is on its way" in replies[1]

    # When Sam, who had not read Ira's reply yet, adds a note and sends anyway
    sam.locator("#note-body").fill("Customer asked twice, keep an eye on it.")
    sam.get_by_role("button", name="Add note").click()
    held = sam.get_by_role("group", name="Not added: the conversation changed while you were writing.")
    expect(held).to_contain_text("Ira Novak replied")
    held.get_by_role("button", name="Add anyway").click()

    # Then the note is added, and Ira leaving the ticket takes her off Sam's line
    expect(sam.locator("#thread li.kind-note")).to_have_count(1)
    ira.goto(f"{desk.api_url}/console#/")
    expect(ira.locator("#queue-rows tr").first).to_be_visible()
    sam.clock.run_for(21_000)
    expect(sam.locator("#ticket-presence")).to_have_text("")
    thread = api_ok(desk, sam_token, "GET", f"/tickets/{ref}")["thread"]
    assert [m["kind"] for m in thread] == [
        "customer",
        "acknowledgement",
        "agent_reply",
        "agent_reply",
        "note",
    ]
