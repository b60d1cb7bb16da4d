"""One sign-in serves every tab: a ticket opened in a new tab (a link from a mail, a link pasted from a
colleague) goes straight to the ticket, a tab waiting on the sign-in form signs in when another tab
does, and signing out in one tab signs out the others. The token never reaches the disk."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e


def test_one_sign_in_serves_every_tab_and_signing_out_ends_them_all(
    desk: RunningDesk, browser: Browser
) -> None:
    token = desk.add_agent("tia@example.com", "Tia Berg")
    ref = desk.deliver(build_mail(subject="Cannot log in to my account"))
    context = browser.new_context()
    try:
        # Given a tab waiting on the sign-in form, and the agent signing in in another
        waiting = context.new_page()
        waiting.goto(f"{desk.api_url}/console#/tickets/{ref}")
        expect(waiting.get_by_label("API token")).to_be_visible()
        first = context.new_page()
        sign_in(first, desk, token)
        expect(first.locator(f'#queue-rows tr[data-ref="{ref}"]')).to_be_visible()

        # Then the waiting tab signs in by itself and shows what its address asked for
        expect(waiting.get_by_role("heading", name="Cannot log in to my account")).to_be_visible()

        # When a link to the ticket is opened in a new tab
        opened = context.new_page()
        opened.goto(f"{desk.api_url}/console#/tickets/{ref}")

        # Then it goes straight to the ticket, without asking for the token
        expect(opened.get_by_role("heading", name="Cannot log in to my account")).to_be_visible()
        expect(opened.get_by_label("API token")).to_be_hidden()
        # The token is in no tab's localStorage (on disk), only in each tab's session
        assert opened.evaluate("() => Object.keys(localStorage).filter(k => k.includes('token'))") == []
        assert opened.evaluate("() => sessionStorage.getItem('postdesk.token')") == token

        # When the agent signs out in that tab
        opened.get_by_role("button", name="Sign out").click()

        # Then every tab asks for the token again, saying why
        for page in (opened, first, waiting):
            expect(page.get_by_label("API token")).to_be_visible()
            assert page.evaluate("() => sessionStorage.getItem('postdesk.token')") is None
        expect(first.locator("#sign-in-error")).to_have_text("You signed out in another tab.")
        # And a new tab now finds nobody to hand it a token
        late = context.new_page()
        late.goto(f"{desk.api_url}/console#/tickets/{ref}")
        expect(late.get_by_label("API token")).to_be_visible()
    finally:
        context.close()


def test_a_revoked_token_signs_out_every_tab_that_used_it(desk: RunningDesk, browser: Browser) -> None:
    token = desk.add_agent("uma@example.com", "Uma Roy")
    context = browser.new_context()
    try:
        one, two = context.new_page(), context.new_page()
        sign_in(one, desk, token)
        expect(one.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
        two.goto(f"{desk.api_url}/console#/")
        expect(two.get_by_role("heading", name="Tickets", level=1)).to_be_visible()

        # When the token stops working and one tab finds out (its next call answers 401)
        two.route(
            "**/me",
            lambda route: route.fulfill(
                status=401, json={"error": "Unauthenticated", "message": "The token is not valid."}
            ),
        )
        two.route(
            "**/tickets*",
            lambda route: route.fulfill(
                status=401, json={"error": "Unauthenticated", "message": "The token is not valid."}
            ),
        )
        two.reload()

        # Then both tabs ask for the token again, with the desk's own words
        expect(two.get_by_label("API token")).to_be_visible()
        expect(one.get_by_label("API token")).to_be_visible()
        expect(one.locator("#sign-in-error")).to_have_text(
            "Your sign-in is no longer valid (the token was revoked or replaced): sign in again."
        )
    finally:
        context.close()
