"""A ticket's page in a real browser against the desk on a local moto server: its history told in
sentences with the agents' names (never keys, ids or SES message ids), the desk's own mails folded
to one line that opens on demand, and the keyboard: j and k over the list, Enter, ? for the list of
keys, r and n on a ticket, and no key firing while the agent types."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from postdesk.tickets.model import TicketEvent
from postdesk.tickets.store import TicketStore
from postdesk_tools.local_server import RunningDesk
from postdesk_tools.schedules import fire_due_schedules
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE_WIDTH = 390
# Details of events that identify something: none of their values may show in the history.
ID_DETAILS = re.compile(r"(^|_)(id|key)$")


def _edit(desk: RunningDesk, token: str, ref: str, **change: Any) -> None:
    version = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api_ok(desk, token, "PATCH", f"/tickets/{ref}", {"version": version, **change})


def _shown_refs(page: Page) -> list[str]:
    refs: list[str] = page.locator("#queue-rows tr").evaluate_all("rows => rows.map(row => row.dataset.ref)")
    return refs


def test_the_history_reads_as_sentences_and_the_desks_own_mails_are_one_line_each(
    desk: RunningDesk, page: Page
) -> None:
    # Given a ticket that was acknowledged, reprioritized and assigned by Sam, noted, resolved and
    # surveyed a day later
    token = desk.add_agent("sam@example.com", "Sam Lee")
    desk.add_agent("ana@example.com", "Ana Ruiz")
    ref = desk.deliver(build_mail(subject="Boots too small"))
    before = api_ok(desk, token, "GET", f"/tickets/{ref}")["ticket"]["priority"]
    raised = "urgent" if before == "high" else "high"
    _edit(desk, token, ref, priority=raised)
    _edit(desk, token, ref, assignee="ana@example.com")
    api_ok(desk, token, "POST", f"/tickets/{ref}/notes", {"body": "Asked the warehouse for a larger pair."})
    _edit(desk, token, ref, status="resolved")
    fired = fire_due_schedules(
        desk.settings.region,
        desk.settings.scheduling.group,
        datetime.now(UTC) + timedelta(days=1),
        prefix=f"survey-{ref}-",
    )
    assert [f.result["outcome"] for f in fired] == ["sent"]
    # and an event of a kind the console has no sentence for (yet)
    TicketStore(desk.settings.tables, desk.settings.region).record_event(
        TicketEvent(
            ref,
            datetime.now(UTC),
            "parcel_traced",
            "test:parcel_traced",
            "sam@example.com",
            {"carrier": "DHL", "ses_message_id": "0100019a-feed-beef", "message_key": "M#2026#x", "note": ""},
        )
    )
    events = api_ok(desk, token, "GET", f"/tickets/{ref}")["events"]
    kinds = {event["kind"] for event in events}
    assert {"ack_sent", "priority_changed", "assigned", "note_added", "survey_sent"} <= kinds

    # When Sam opens it
    sign_in(page, desk, token, f"#/tickets/{ref}")
    expect(page.locator("#ticket-subject")).to_have_text("Boots too small")

    # Then the history says what happened, in words, with the agents' names
    history = page.locator("#events")
    expect(history).to_contain_text(f"Sam Lee changed the priority from {before} to {raised}")
    expect(history).to_contain_text("Sam Lee assigned the ticket to Ana Ruiz")
    expect(history).to_contain_text("Sam Lee added an internal note")
    expect(history).to_contain_text(re.compile(r"Sam Lee changed the status from (New|Open) to Resolved"))
    expect(history).to_contain_text("Created from an email")
    expect(history).to_contain_text("Automatic acknowledgement sent")
    expect(history).to_contain_text("Satisfaction survey sent")
    # an unknown kind in words, with its details that are not ids
    expect(history.locator('li[data-kind="parcel_traced"] .sentence')).to_have_text(
        "Parcel traced by Sam Lee (carrier: DHL)"
    )
    expect(history.locator("li")).to_have_count(len(events))
    # And never an internal key, an id, an SES message id, an address the desk has a name for, or
    # a bare "from:"
    text = history.inner_text()
    ids = [
        value
        for event in events
        for key, value in event["detail"].items()
        if ID_DETAILS.search(key) and value
    ]
    assert ids, "the events carry ids (keys, SES message ids) the history must leave out"
    assert [value for value in ids if value in text] == []
    for leftover in ("sam@example.com", "ana@example.com", "from:", "_", "ses_message_id", "M#", "E#"):
        assert leftover not in text, leftover

    # And the desk's own mails are one line each, closed
    acknowledgement = page.locator("#thread li.kind-acknowledgement")
    survey = page.locator("#thread li.kind-survey")
    expect(acknowledgement.locator("summary")).to_have_text(
        re.compile(r"^Automatic acknowledgement sent · \S")
    )
    expect(survey.locator("summary")).to_have_text(re.compile(r"^Satisfaction survey sent · \S"))
    expect(acknowledgement.locator(".message-body")).to_be_hidden()
    expect(survey.locator(".message-body")).to_be_hidden()
    # while the customer's mail and the note show in full
    expect(page.locator("#thread li.kind-customer .message-body")).to_be_visible()
    expect(page.locator("#thread li.kind-note .message-body")).to_have_text(
        "Asked the warehouse for a larger pair."
    )

    # When Sam opens the acknowledgement from the keyboard
    acknowledgement.locator("summary").focus()
    page.keyboard.press("Enter")

    # Then it shows in full; a click on the survey's line opens that one too
    expect(acknowledgement.locator(".message-body")).to_be_visible()
    expect(acknowledgement.locator(".message-body")).to_contain_text(ref)
    survey.locator("summary").click()
    expect(survey.locator(".message-body")).to_be_visible()

    # The page at both widths, for a person to look at (.postdesk/screenshots)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "ticket-history-1366.png"), full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"
    page.screenshot(path=str(SCREENSHOTS / "ticket-history-390.png"), full_page=True)


def test_the_keyboard_moves_over_the_list_opens_a_ticket_and_finds_its_boxes(
    desk: RunningDesk, page: Page
) -> None:
    # Given three new tickets in the list
    token = desk.add_agent("kit@example.com", "Kit Moss")
    for subject in ("Zip broken", "Wrong colour", "Late parcel"):
        desk.deliver(build_mail(subject=subject))
    sign_in(page, desk, token)
    expect(page.locator("#queue-rows tr").first).to_be_visible()
    refs = _shown_refs(page)
    assert len(refs) >= 3

    # When the agent presses j twice and k once
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")

    # Then the first row is selected, shown as such and its link focused
    selected = page.locator("#queue-rows tr.selected")
    expect(selected).to_have_count(1)
    expect(selected).to_have_attribute("data-ref", refs[0])
    expect(selected.get_by_role("link")).to_be_focused()

    # When they type j and k into the search box, no selection moves and the words are typed
    page.keyboard.press("/")
    search = page.get_by_label("Search tickets")
    expect(search).to_be_focused()
    page.keyboard.type("jk")
    expect(search).to_have_value("jk")
    expect(selected).to_have_attribute("data-ref", refs[0])
    # Esc clears the box, a second Esc leaves it; j then goes on from the selected row
    search.press("Escape")
    expect(search).to_have_value("")
    # (the plain list is read again: the keys below work on it once it is there)
    expect(page.locator("#queue-table")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#queue-rows tr")).to_have_count(len(refs))
    search.press("Escape")
    expect(search).not_to_be_focused()
    page.keyboard.press("j")
    expect(selected).to_have_attribute("data-ref", refs[1])

    # When they ask which keys there are
    page.keyboard.press("?")

    # Then a dialog lists them; Esc closes it
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    for what in (
        "Select the next ticket",
        "Open the selected ticket",
        "Write a reply",
        "Write an internal note",
    ):
        expect(shortcuts).to_contain_text(what)
    page.keyboard.press("j")
    expect(selected).to_have_attribute("data-ref", refs[1])
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    # When they press Enter on the selected row
    page.keyboard.press("Enter")

    # Then that ticket opens
    expect(page).to_have_url(re.compile(f"#/tickets/{refs[1]}$"))
    expect(page.locator("#ticket-subject")).to_be_visible()
    expect(page.locator("#ticket-meta")).to_contain_text(refs[1])

    # And r goes to the reply, where r and n are letters, not keys
    page.keyboard.press("r")
    reply = page.get_by_label("Message", exact=True)
    expect(reply).to_be_focused()
    page.keyboard.type("Thanks, Jane")
    expect(reply).to_have_value("Thanks, Jane")
    expect(reply).to_be_focused()

    # And n, once out of the box, goes to the note
    page.locator("#ticket-subject").click()
    page.keyboard.press("n")
    expect(page.get_by_label("Note for the team (never mailed)")).to_be_focused()

    # And back on the list the ticket that was opened is still the selected one
    page.go_back()
    expect(page.locator("#queue-view")).to_be_visible()
    expect(page.locator("#queue-rows tr.selected")).to_have_attribute("data-ref", refs[1])


def test_single_key_shortcuts_can_be_turned_off(desk: RunningDesk, page: Page) -> None:
    # Given an agent whose speech input types single letters
    token = desk.add_agent("lou@example.com", "Lou Berg")
    desk.deliver(build_mail(subject="Missing receipt"))
    sign_in(page, desk, token)
    expect(page.locator("#queue-rows tr").first).to_be_visible()

    # When they turn the shortcuts off in the list of keys (opened from the top bar's "Your account")
    page.get_by_role("button", name="Your account").click()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.get_by_label("Use single-key shortcuts").uncheck()
    dialog.get_by_role("button", name="Close").click()

    # Then j selects nothing, even after a reload; turned on again, it does
    page.keyboard.press("j")
    expect(page.locator("#queue-rows tr.selected")).to_have_count(0)
    page.reload()
    expect(page.locator("#queue-rows tr").first).to_be_visible()
    page.keyboard.press("j")
    expect(page.locator("#queue-rows tr.selected")).to_have_count(0)
    page.get_by_role("button", name="Your account").click()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog.get_by_label("Use single-key shortcuts").check()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("#queue-rows tr.selected")).to_have_count(1)
