"""Presence says "is writing a reply…" within seconds of a colleague's first key, not only at the
next heartbeat (20 seconds), in two real browsers against the desk on a local moto server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.e2e.test_console_collision import _wait_until_writing, second_page
from tests.mails import build_mail

__all__ = ["second_page"]

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"


def test_a_colleague_writing_shows_within_seconds(desk: RunningDesk, page: Page, second_page: Page) -> None:
    # Given Ira and Sam on one ticket, each seeing the other there; Sam's clock moves as the test says
    ira_token = desk.add_agent("ira.n@example.com", "Ira Novak")
    sam_token = desk.add_agent("sam.l@example.com", "Sam Lee")
    ref = desk.deliver(build_mail(subject="Zip broke on day one"))
    ira, sam = page, second_page
    sam.clock.install()
    for agent, token in ((sam, sam_token), (ira, ira_token)):
        agent.set_viewport_size({"width": 1366, "height": 900})
        sign_in(agent, desk, token, f"#/tickets/{ref}")
        expect(agent.locator("#ticket-subject")).to_have_text("Zip broke on day one")
    # (Ira's console heard of Sam with its first heartbeat: the desk holds her there)
    expect(ira.locator("#ticket-presence")).to_have_text("Sam Lee is viewing this ticket")
    sam.clock.run_for(21_000)
    presence = sam.locator("#ticket-presence")
    expect(presence).to_have_text("Ira Novak is viewing this ticket")

    # When Ira starts typing a reply
    ira.locator("#reply-body").press_sequentially("Hello, a new pair")
    _wait_until_writing(desk, sam_token, ref, "Ira Novak")

    # Then Sam's line says so within five seconds, long before his next heartbeat
    sam.clock.run_for(5_000)
    expect(presence).to_have_text("Ira Novak is writing a reply…")
    sam.screenshot(path=str(SCREENSHOTS / "presence-writing.png"))
