"""One sign-in serves every tab: the session is a cookie the browser sends from each tab. A ticket
opened in a new tab (a link from a mail, a link pasted from a colleague) goes straight to the ticket,
a tab waiting on the sign-in form goes on when another tab signs in, and signing out in one tab
signs out the others. Nothing of the session is in the page's storage."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in_by_form
from tests.e2e.sessions import SESSION_COOKIE
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
        expect(waiting.locator("#sign-in-email")).to_be_visible()
        first = context.new_page()
        first.goto(f"{desk.api_url}/console")
        sign_in_by_form(first, desk, token)
        expect(first.locator(f'#queue-rows tr[data-ref="{ref}"]')).to_be_visible()

        # Then the waiting tab signs in by itself and shows what its address asked for
        expect(waiting.get_by_role("heading", name="Cannot log in to my account")).to_be_visible()

        # When a link to the ticket is opened in a new tab
        opened = context.new_page()
        opened.goto(f"{desk.api_url}/console#/tickets/{ref}")

        # Then it goes straight to the ticket, without asking to sign in
        expect(opened.get_by_role("heading", name="Cannot log in to my account")).to_be_visible()
        expect(opened.locator("#sign-in-view")).to_be_hidden()
        # The session is an HttpOnly cookie: the page cannot read it, and keeps nothing of it
        (cookie,) = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
        assert SESSION_COOKIE not in opened.evaluate("() => document.cookie")
        assert opened.evaluate("() => Object.keys(sessionStorage).length") == 0
        assert opened.evaluate("() => Object.keys(localStorage).filter(k => /token|session/.test(k))") == []

        # When the agent signs out in that tab
        opened.get_by_role("button", name="Sign out", exact=True).click()

        # Then every tab shows the sign-in form again, saying why
        for page in (opened, first, waiting):
            expect(page.locator("#sign-in-email")).to_be_visible()
        expect(first.locator("#sign-in-error")).to_have_text("You signed out in another tab.")
        expect(opened.locator("#sign-in-notice")).to_have_text("You are signed out.")
        # And a new tab has no session to use
        late = context.new_page()
        late.goto(f"{desk.api_url}/console#/tickets/{ref}")
        expect(late.locator("#sign-in-email")).to_be_visible()
        assert late.url.endswith(f"#/tickets/{ref}")
    finally:
        context.close()


def test_a_session_ended_elsewhere_shows_the_form_at_the_next_request(
    desk: RunningDesk, browser: Browser
) -> None:
    token = desk.add_agent("uma@example.com", "Uma Roy")
    context = browser.new_context()
    try:
        one = context.new_page()
        one.goto(f"{desk.api_url}/console")
        sign_in_by_form(one, desk, token)
        expect(one.get_by_role("heading", name="Tickets", level=1)).to_be_visible()

        # When the session ends on the desk's side (here: its cookie is dropped) and the tab moves on
        context.clear_cookies()
        one.evaluate("() => { location.hash = '#/notifications'; }")

        # Then the sign-in form shows, in words, with the address kept and the email filled in
        expect(one.locator("#sign-in-error")).to_have_text(
            "Your session has ended (you signed out elsewhere, it expired, or an admin ended it): "
            "sign in again."
        )
        expect(one.locator("#sign-in-email")).to_have_value("uma@example.com")
        assert one.url.endswith("#/notifications")
    finally:
        context.close()
