"""A send whose answer is lost: the desk did the work, but the page hears a 502 (or nothing). The
console says beside the button that the desk did not confirm it, and that sending again is safe;
sent again, the same content carries the same Idempotency-Key and the desk does it once: one
message in the thread, one mail in the outbox. When the thread can be read and holds the message,
the console says it went instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, Route, expect

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
SUPPLIER = "orders@supplier.example"
# What API Gateway answers when the function behind it fails or times out.
BAD_GATEWAY = {"status": 502, "json": {"message": "Internal server error"}}


def _answer_lost(page: Page, path_end: str) -> list[int]:
    """The next POST to a URL ending with ``path_end`` reaches the desk, which does the work; the
    page is answered 502. Returns the statuses the desk gave."""
    statuses: list[int] = []

    def handle(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.fallback()
            return
        response = route.fetch()
        statuses.append(response.status)
        route.fulfill(**BAD_GATEWAY)  # type: ignore[arg-type]

    page.route(lambda url: url.split("?")[0].endswith(path_end), handle, times=1)
    return statuses


def _desk_unreachable_once(page: Page, ref: str) -> None:
    """The next read of the ticket fails too (the desk cannot be reached for a moment): the page
    cannot look in the thread."""

    def handle(route: Route, request: Request) -> None:
        if request.method != "GET":
            route.fallback()
            return
        route.fulfill(status=503, json={"message": "Service Unavailable"})

    page.route(lambda url: url.split("?")[0].endswith(f"/tickets/{ref}"), handle, times=1)


def _mails_to(desk: RunningDesk, subject_part: str) -> int:
    return sum(1 for sent in desk.sent_mail() if subject_part in str(sent.message["Subject"]))


def _opened(desk: RunningDesk, page: Page, name: str, subject: str) -> str:
    token = desk.add_agent(f"{name}@example.com", name.title())
    # Each from its own customer: the same customer's like mail would join their open ticket.
    sender = f"Customer {name} <{name}.customer@example.net>"
    ref = desk.deliver(build_mail(subject=subject, sender=sender))
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    return ref


@pytest.mark.parametrize("width", [1366, 390])
def test_a_reply_whose_answer_is_lost_is_said_and_sent_again_once(
    desk: RunningDesk, page: Page, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    ref = _opened(desk, page, f"rosa{width}", f"Parcel lost ({width})")
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill("Hello,\n\nwe sent a new parcel today.")
    statuses = _answer_lost(page, f"/tickets/{ref}/replies")
    _desk_unreachable_once(page, ref)

    # When the desk sends the reply but the page hears 502, and cannot read the thread either
    form.get_by_role("button", name="Send reply").click()

    # Then the agent reads beside the button that it is not known, and what to do
    message = page.locator("#reply-message")
    expect(message).to_have_text(
        "Not confirmed: the desk did not say whether your reply was sent (it answered 502). "
        "Send it again as it is: that is safe, the desk will not do it twice. "
        "Your text is kept as a draft."
    )
    expect(message).to_be_in_viewport()
    assert statuses == [201]
    expect(form.get_by_label("Message")).to_have_value("Hello,\n\nwe sent a new parcel today.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reply-unconfirmed-{width}.png"))

    # When they send it again
    form.get_by_role("button", name="Send reply").click()

    # Then it went once: one reply in the thread, one mail, and the page says it went
    expect(page.locator("#reply-draft")).to_have_text(
        "Done: your reply was sent (its answer was lost on the way; the thread shows it)."
    )
    expect(message).to_be_hidden()
    expect(form.get_by_label("Message")).to_have_value("")
    expect(
        page.locator("#thread > li.message.outbound", has_text="we sent a new parcel today")
    ).to_have_count(1)
    assert _mails_to(desk, f"Re: [#{ref}]") == 1


def test_a_reply_whose_answer_is_lost_is_found_in_the_thread(desk: RunningDesk, page: Page) -> None:
    ref = _opened(desk, page, "tomas", "Wrong size")
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill("We exchange the shoes.")
    statuses = _answer_lost(page, f"/tickets/{ref}/replies")

    form.get_by_role("button", name="Send reply").click()

    # The page looks in the thread, finds the reply there and says it went
    expect(page.locator("#reply-draft")).to_have_text(
        "Done: your reply was sent (its answer was lost on the way; the thread shows it)."
    )
    assert statuses == [201]
    expect(page.locator("#reply-message")).to_be_hidden()
    expect(form.get_by_label("Message")).to_have_value("")
    expect(page.locator("#thread > li.message.outbound", has_text="We exchange the shoes.")).to_have_count(1)
    assert _mails_to(desk, f"Re: [#{ref}]") == 1


def test_a_reply_that_never_reached_the_desk_is_said_and_goes_when_sent_again(
    desk: RunningDesk, page: Page
) -> None:
    ref = _opened(desk, page, "lena", "Refund please")
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill("The refund is on its way.")
    page.route(
        lambda url: url.split("?")[0].endswith(f"/tickets/{ref}/replies"),
        lambda route: route.abort("connectionreset"),
        times=1,
    )

    form.get_by_role("button", name="Send reply").click()

    expect(page.locator("#reply-message")).to_have_text(
        "Not confirmed: the desk did not say whether your reply was sent (no answer came). "
        "It is not in the thread yet. Send it again as it is: that is safe, the desk will not do it "
        "twice. Your text is kept as a draft."
    )
    form.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread > li.message.outbound", has_text="The refund is on its way.")).to_have_count(
        1
    )
    expect(page.locator("#reply-draft")).not_to_contain_text("answer was lost")
    assert _mails_to(desk, f"Re: [#{ref}]") == 1


def test_a_note_whose_answer_is_lost_is_added_once(desk: RunningDesk, page: Page) -> None:
    ref = _opened(desk, page, "oskar", "Invoice address")
    page.get_by_label("Note for the team (never mailed)").fill("Called the customer, new address noted.")
    statuses = _answer_lost(page, f"/tickets/{ref}/notes")
    _desk_unreachable_once(page, ref)

    page.get_by_role("button", name="Add note").click()

    expect(page.locator("#note-message")).to_have_text(
        "Not confirmed: the desk did not say whether your note was added (it answered 502). "
        "Add it again as it is: that is safe, the desk will not do it twice. "
        "Your text is kept as a draft."
    )
    assert statuses == [201]
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#note-draft")).to_have_text(
        "Done: your note was added (its answer was lost on the way; the thread shows it)."
    )
    expect(page.locator("#thread > li", has_text="new address noted")).to_have_count(1)


def test_a_forward_whose_answer_is_lost_is_sent_once(desk: RunningDesk, page: Page) -> None:
    ref = _opened(desk, page, "greta", "Broken zipper")
    page.locator("#thread > li.kind-customer").get_by_role("button", name="Forward this message").click()
    dialog = page.get_by_role("dialog", name=f"Forward {ref} to a third party")
    dialog.get_by_role("textbox", name="To", exact=True).fill(SUPPLIER)
    dialog.get_by_role("textbox", name="To", exact=True).press("Enter")
    dialog.get_by_label("Note", exact=True).fill("Could you check the zipper of order 4711?")
    statuses = _answer_lost(page, f"/tickets/{ref}/forwards")

    dialog.get_by_role("button", name="Forward", exact=True).click()

    expect(dialog.locator("#forward-error")).to_have_text(
        "Not confirmed: the desk did not say whether the forward was sent (it answered 502). "
        "Send it again as it is: that is safe, the desk will not send it twice."
    )
    assert statuses == [201]
    dialog.get_by_role("button", name="Forward", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#ticket-notice")).to_contain_text(
        f"Forwarded to {SUPPLIER} (the first answer was lost on the way; it went once)."
    )
    expect(page.locator("#thread > li.kind-forward")).to_have_count(1)
    assert _mails_to(desk, f"Fwd: [#{ref}]") == 1


def test_a_new_ticket_whose_answer_is_lost_is_started_once(desk: RunningDesk, page: Page) -> None:
    token = desk.add_agent("paula@example.com", "Paula Neri")
    sign_in(page, desk, token, "#/new")
    form = page.get_by_role("region", name="New ticket")
    form.get_by_label("To (customer's email)").fill("ines.ramos@customer.example")
    form.get_by_label("Subject line").fill("Your replacement card")
    form.get_by_label("First message").fill("Hello Ines,\n\nyour new card is on its way.")
    statuses = _answer_lost(page, "/tickets")

    form.get_by_role("button", name="Send and create the ticket").click()

    expect(page.locator("#new-ticket-error")).to_have_text(
        "Not confirmed: the desk did not say whether the ticket was started and its mail sent "
        "(it answered 502). Send it again as it is: that is safe, the desk will not make a second "
        "ticket or send twice."
    )
    assert statuses == [201]
    form.get_by_role("button", name="Send and create the ticket").click()
    expect(page.locator("#ticket-subject")).to_have_text("Your replacement card")
    assert _mails_to(desk, "Your replacement card") == 1


def test_a_reply_not_confirmed_before_a_reload_is_sent_once_after_it(desk: RunningDesk, page: Page) -> None:
    ref = _opened(desk, page, "mira", "Damaged lamp")
    form = page.locator("#reply-form")
    form.get_by_label("Message").fill("A new lamp is on its way.")
    _answer_lost(page, f"/tickets/{ref}/replies")
    _desk_unreachable_once(page, ref)
    form.get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-message")).to_contain_text("Not confirmed")

    # When the agent reloads the page: the draft is back, and sent again it goes once
    page.reload()
    expect(form.get_by_label("Message")).to_have_value("A new lamp is on its way.")
    form.get_by_role("button", name="Send reply").click()

    expect(page.locator("#reply-draft")).to_have_text(
        "Done: your reply was sent (its answer was lost on the way; the thread shows it)."
    )
    expect(page.locator("#thread > li.message.outbound", has_text="A new lamp")).to_have_count(1)
    assert _mails_to(desk, f"Re: [#{ref}]") == 1
