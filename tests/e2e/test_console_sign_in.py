"""Signing in to the console as a person (Cognito through POST /session): an invitation's first
sign-in with its temporary password, a new password, an admin's TOTP enrolment with real RFC 6238
codes (moto checks them: postdesk_tools/moto_fit.py), signing out; a deep link that survives the
sign-in; "Sign out everywhere" ending another browser's session; a forgotten password reset by a
code in the mail; an agent turning two-step sign-in on and off."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.totp import totp_code
from tests.e2e.desk_api import api_ok, desk_access, sign_in_by_form
from tests.e2e.sessions import (
    SESSION_COOKIE,
    ensure_account,
    give_session,
    open_session,
    remember_password,
    remember_totp_secret,
)
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
# The pool's policy: 12 or more characters with an upper-case letter, a lower-case letter, a digit.
NEW_PASSWORD = "Harbour-lights-42"
SESSION_ENDED = (
    "Your session has ended (you signed out elsewhere, it expired, or an admin ended it): sign in again."
)


def _mail_to(desk: RunningDesk, address: str, contains: str) -> str:
    """The plain text of the last mail the desk sent to ``address`` that holds ``contains``."""
    for sent in reversed(desk.sent_mail()):
        if address in sent.recipients:
            body = cast(EmailMessage, sent.message).get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            if contains in text:
                return str(text)
    raise AssertionError(f"no mail to {address} holds {contains!r}")


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{name} scrolls sideways ({scroll} > {client} px)"


def test_an_invited_admin_sets_a_password_and_two_step_sign_in_then_signs_out(
    desk: RunningDesk, page: Page
) -> None:
    # Given an admin invited by another admin: the invitation mail holds a temporary password
    inviter = desk.add_agent("ada@example.com", "Ada Stone", Role.ADMIN)
    api_ok(
        desk, inviter, "POST", "/agents", {"email": "nia@example.com", "name": "Nia Gold", "role": "admin"}
    )
    invitation = _mail_to(desk, "nia@example.com", "Temporary password")
    match = re.search(r"Temporary password: (\S+)", invitation)
    assert match, invitation
    temporary = match.group(1)

    # When Nia signs in with it
    page.set_viewport_size(DESKTOP)
    page.goto(f"{desk.api_url}/console")
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill("nia@example.com")
    form.get_by_label("Password", exact=True).fill(temporary)
    form.get_by_role("button", name="Sign in").click()

    # Then the console asks for a password of her own, saying what the desk requires
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    expect(page.locator("#new-password-policy")).to_have_text(
        re.compile(r"At least 12 characters, with an upper-case letter, a\s+lower-case letter and a digit\.")
    )
    expect(page.locator("#new-password")).to_be_focused()
    _shot(page, "sign-in-new-password-1366.png")
    # Two different passwords are refused before anything is sent; a weak one in the desk's words
    page.locator("#new-password").fill(NEW_PASSWORD)
    page.locator("#new-password-again").fill("Harbour-lights-43")
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("#sign-in-error")).to_have_text(
        "The two passwords are not the same: type the new one twice."
    )
    page.locator("#new-password").fill("short")
    page.locator("#new-password-again").fill("short")
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("#sign-in-error")).to_be_visible()
    expect(page.locator("#sign-in-error")).not_to_have_text(
        "The two passwords are not the same: type the new one twice."
    )
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.locator("#new-password").fill(NEW_PASSWORD)
    page.locator("#new-password-again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()

    # Then, as an admin, she must set up two-step sign-in: the key in groups of four and as a link
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    grouped = page.locator("#totp-setup-secret").inner_text().strip()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", grouped), grouped
    secret = grouped.replace(" ", "")
    assert len(secret) == 32
    link = page.get_by_role("link", name="open the key in the app").get_attribute("href") or ""
    assert link.startswith("otpauth://totp/") and f"secret={secret}" in link, link
    # and as a QR code of that link, with its quiet zone (console/qr-code.js; test_console_qr_code.py)
    qr_code = page.get_by_role("img", name="QR code of the key, for the authenticator app's camera")
    expect(qr_code).to_be_visible()
    expected_size = page.evaluate(
        """async (link) => (await import("./console/qr-code.js")).qrMatrix(link).length + 8""", link
    )
    assert qr_code.get_attribute("viewBox") == f"0 0 {expected_size} {expected_size}"
    _shot(page, "sign-in-totp-setup-1366.png")
    page.set_viewport_size(PHONE)
    _shot(page, "sign-in-totp-setup-390.png")
    page.set_viewport_size(DESKTOP)
    # A wrong code is refused in words, and the step stays
    page.locator("#totp-setup-code").fill("000000" if totp_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Turn on and sign in").click()
    expect(page.locator("#sign-in-error")).to_be_visible()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    # The right one signs her in
    page.locator("#totp-setup-code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on and sign in").click()
    expect(page.locator("#who")).to_have_text("Nia Gold (admin)")
    expect(page.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
    access = desk_access(desk)
    remember_totp_secret(access.user_pool_id, "nia@example.com", secret)
    remember_password(access.user_pool_id, "nia@example.com", NEW_PASSWORD)
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"

    # When she signs out
    page.get_by_role("button", name="Sign out", exact=True).click()

    # Then the form shows, saying so, and the session is over on the desk too
    expect(page.locator("#sign-in-notice")).to_have_text("You are signed out.")
    expect(page.locator("#sign-in-email")).to_have_value("nia@example.com")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # And the temporary password no longer works, while her own asks for the app's code
    form.get_by_label("Email").fill("nia@example.com")
    form.get_by_label("Password", exact=True).fill(temporary)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_have_text("The email or password is not right.")
    form.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    _shot(page, "sign-in-code-1366.png")
    page.locator("#code-form").get_by_label("Code from the app").fill(totp_code(secret))
    page.locator("#code-form").get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text("Nia Gold (admin)")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_deep_link_survives_the_sign_in(desk: RunningDesk, page: Page) -> None:
    # Given a ticket, and a link to it inside a search, opened by an agent who is signed out
    token = desk.add_agent("ivo@example.com", "Ivo Lund")
    ref = desk.deliver(build_mail(subject="The lid of my kettle is cracked"))
    link = f"{desk.api_url}/console?q=kettle&status=all#/tickets/{ref}"
    page.goto(link)

    # Then the sign-in form shows, the address as it was
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url == link
    _shot(page, "sign-in-1366.png")

    # When the agent signs in with the form
    sign_in_by_form(page, desk, token)

    # Then the ticket the link named is on screen at that same address, and Back to the queue
    # returns to the search it was part of
    expect(page.locator("#ticket-subject")).to_have_text("The lid of my kettle is cracked")
    assert page.url == link
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.get_by_label("Search tickets")).to_have_value("kettle")


def test_sign_out_everywhere_ends_the_session_of_another_browser(desk: RunningDesk, browser: Browser) -> None:
    # Given an agent signed in on two browsers (two sessions of their own)
    token = desk.add_agent("ren@example.com", "Ren Ota")
    access = desk_access(desk)
    laptop = browser.new_context()
    phone = browser.new_context(viewport=PHONE)
    try:
        first = laptop.new_page()
        first.goto(f"{desk.api_url}/console")
        sign_in_by_form(first, desk, token)
        expect(first.locator("#who")).to_have_text("Ren Ota (agent)")
        give_session(phone, desk.api_url, open_session(access, "ren@example.com"))
        second = phone.new_page()
        second.goto(f"{desk.api_url}/console")
        expect(second.locator("#who")).to_have_text("Ren Ota (agent)")

        # When they sign out everywhere on the laptop
        first.get_by_role("button", name="Your account").click()
        first.get_by_role("button", name="Sign out everywhere").click()

        # Then the laptop says so, and the phone's next request shows the form, in words
        expect(first.locator("#sign-in-notice")).to_contain_text("You are signed out everywhere")
        second.evaluate("() => { location.hash = '#/notifications'; }")
        expect(second.locator("#sign-in-error")).to_have_text(SESSION_ENDED)
        expect(second.locator("#sign-in-email")).to_have_value("ren@example.com")
        _shot(second, "sign-in-ended-390.png")
        second.reload()
        expect(second.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        laptop.close()
        phone.close()


def test_a_forgotten_password_is_reset_with_a_code_from_the_mail(desk: RunningDesk, page: Page) -> None:
    # Given an agent who forgot their password
    desk.add_agent("pia@example.com", "Pia Berg")
    access = desk_access(desk)
    ensure_account(access, "pia@example.com")
    page.goto(f"{desk.api_url}/console")
    page.locator("#sign-in-form").get_by_label("Email").fill("pia@example.com")

    # When they ask for a code
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(page.locator("#reset-email")).to_have_value("pia@example.com")
    page.get_by_role("button", name="Mail me a code").click()

    # Then the console says a code was mailed (the same words for any address), and the mail has it
    expect(page.locator("#sign-in-notice")).to_have_text(
        "If pia@example.com is an agent's address, the desk mailed a code to it. It is good for 15 minutes."
    )
    _shot(page, "sign-in-reset-1366.png")
    match = re.search(r"\b(\d{8})\b", _mail_to(desk, "pia@example.com", "The code is"))
    assert match
    code = match.group(1)

    # A wrong code is refused in words
    page.get_by_label("Code from the mail").fill("00000000" if code != "00000000" else "11111111")
    page.locator("#reset-password").fill(NEW_PASSWORD)
    page.locator("#reset-password-again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#sign-in-error")).to_be_visible()

    # When they give the code and a new password
    page.get_by_label("Code from the mail").fill(code)
    page.get_by_role("button", name="Set the new password").click()

    # Then the sign-in form says the password is set, and it signs them in
    expect(page.locator("#sign-in-notice")).to_have_text(
        "Your new password is set, and every session you had has ended. Sign in with it."
    )
    remember_password(access.user_pool_id, "pia@example.com", NEW_PASSWORD)
    page.locator("#sign-in-form").get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.locator("#sign-in-form").get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text("Pia Berg (agent)")


def test_an_agent_turns_two_step_sign_in_on_and_off(desk: RunningDesk, page: Page) -> None:
    # Given an agent, signed in, on the Two-step sign-in page (optional for agents)
    token = desk.add_agent("ole@example.com", "Ole Dahl")
    access = desk_access(desk)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{desk.api_url}/console")
    sign_in_by_form(page, desk, token)
    page.get_by_role("button", name="Your account").click()
    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in", level=1)).to_be_visible()
    expect(page.locator("#two-step-state")).to_have_text(
        "Two-step sign-in is off: signing in takes your password only."
    )

    # When they turn it on with the key and a code of their app
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#two-step-secret")).to_have_text(re.compile(r"^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$"))
    secret = page.locator("#two-step-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    expect(page.locator("#two-step-qr svg")).to_be_visible()
    _shot(page, "two-step-setup-1366.png")
    page.locator("#two-step-code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on", exact=True).click()

    # Then it is on, and the next sign-in asks for the code
    expect(page.locator("#two-step-status")).to_contain_text("Two-step sign-in is on.")
    remember_totp_secret(access.user_pool_id, "ole@example.com", secret)
    page.set_viewport_size(PHONE)
    _shot(page, "two-step-on-390.png")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Sign out", exact=True).click()
    form = page.locator("#sign-in-form")
    form.get_by_label("Password", exact=True).fill(ensure_account(access, "ole@example.com"))
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.locator("#code-form").get_by_label("Code from the app").fill(totp_code(secret))
    page.locator("#code-form").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in", level=1)).to_be_visible()

    # When they turn it off again: it takes their password and a code, a wrong one refused in words
    # on the same page (the session stands)
    page.get_by_role("button", name="Turn off two-step sign-in").click()
    page.get_by_label("Your password").fill("Not-The-Password-1")
    page.locator("#two-step-off-form").get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn off", exact=True).click()
    expect(page.locator("#two-step-error")).to_have_text(
        "The password is not right: two-step sign-in stays on."
    )
    expect(page.get_by_label("Your password")).to_be_focused()
    page.get_by_label("Your password").fill(ensure_account(access, "ole@example.com"))
    page.locator("#two-step-off-form").get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn off", exact=True).click()
    expect(page.locator("#two-step-state")).to_have_text(
        "Two-step sign-in is off: signing in takes your password only."
    )
    page.get_by_role("button", name="Sign out", exact=True).click()
    form.get_by_label("Password", exact=True).fill(ensure_account(access, "ole@example.com"))
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text("Ole Dahl (agent)")
