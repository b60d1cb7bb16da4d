"""What the desk does by itself as time passes, on the local stack as a person runs it (`postdesk
local`, its own processes, its clock moved as `postdesk local advance` moves it): a ticket pending on
the customer is reminded after three business days, resolved four later with a closing mail, and
closed a week after that; an agent hears by mail, once the notification window ends, that the
customer answered their ticket."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from postdesk.clock import utc_now
from postdesk.sla.policy import load_policy
from postdesk_tools.local_stack import advance, status
from tests.e2e.stack import CHECKOUT, api, clean_environment, mail, outbox, ref_of, send, start, stop

pytestmark = pytest.mark.e2e

# How late a due schedule may fire after the clock passed it (the stack's tick), with room to spare.
FIRING_SLACK = timedelta(minutes=2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack-automations")
    process, info = start(state_dir)
    try:
        yield info
    finally:
        stop(process, state_dir)


def _stack_now(stack: dict[str, Any]) -> datetime:
    """The stack's clock: real time plus what `postdesk local advance` added."""
    return utc_now() + timedelta(seconds=float(status(stack)["offset_seconds"]))


def _advance_to(stack: dict[str, Any], moment: datetime) -> None:
    """Move the stack's clock to ``moment`` (never back); what became due fires before it returns."""
    seconds = (moment - _stack_now(stack)).total_seconds()
    if seconds >= 1:
        advance(f"{seconds:.0f}s", stack)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _event_at(ticket: dict[str, Any], kind: str) -> datetime:
    (at,) = [event["at"] for event in ticket["events"] if event["kind"] == kind]
    return _when(at)


def _automatic(messages: list[Message], to: str) -> list[Message]:
    """The mails to ``to`` marked as sent by the desk on its own (RFC 3834)."""
    return [m for m in messages if to in str(m["To"]) and m["Auto-Submitted"] == "auto-generated"]


def test_a_ticket_pending_on_the_customer_is_reminded_resolved_and_closed(stack: dict[str, Any]) -> None:
    # Given a customer's ticket the agent answered, pending on the customer
    subject = "Parcel 88 never arrived"
    customer = "ana.silva@store.example"
    send(stack, mail(subject, "Hello,\n\nparcel 88 never arrived.\n\nAna", sender=f"Ana Silva <{customer}>"))
    ref = ref_of(outbox(stack, subject)[0])
    api(
        stack,
        "POST",
        f"/tickets/{ref}/replies",
        {"body": "Hello Ana,\n\ncould you send us the tracking number?", "status": "pending"},
    )
    assert len(outbox(stack, subject, count=2)) == 2
    ticket = api(stack, "GET", f"/tickets/{ref}")
    assert ticket["ticket"]["status"] == "pending"
    automation = load_policy().automation_for(ticket["ticket"]["queue"])
    calendar = load_policy().calendar
    reminder_due = calendar.add(_when(ticket["ticket"]["waiting_since"]), automation.remind_after)

    # When the clock reaches three business days less a few minutes: nothing yet
    _advance_to(stack, reminder_due - FIRING_SLACK)
    assert _automatic(outbox(stack, subject, count=3, seconds=2), customer) == []
    # Then at three business days: the reminder, the ticket still pending
    _advance_to(stack, reminder_due + FIRING_SLACK)
    (reminder,) = _automatic(outbox(stack, subject, count=3), customer)
    assert ref in str(reminder["Subject"])
    ticket = api(stack, "GET", f"/tickets/{ref}")
    assert ticket["ticket"]["status"] == "pending"
    reminded_at = _event_at(ticket, "reminder_sent")

    # When four more business days pass without an answer: resolved, with the closing mail
    resolve_due = calendar.add(reminded_at, automation.resolve_after)
    _advance_to(stack, resolve_due - FIRING_SLACK)
    assert api(stack, "GET", f"/tickets/{ref}")["ticket"]["status"] == "pending"
    _advance_to(stack, resolve_due + FIRING_SLACK)
    ticket = api(stack, "GET", f"/tickets/{ref}")
    assert ticket["ticket"]["status"] == "resolved"
    assert [event["actor"] for event in ticket["events"] if event["kind"] == "auto_resolved"] == [
        "automation"
    ]
    closing = _automatic(outbox(stack, subject, count=4), customer)
    assert len(closing) == 2 and reminder["Message-ID"] != closing[1]["Message-ID"]

    # When seven days pass after the resolution: closed
    close_due = _when(ticket["ticket"]["resolved_at"]) + automation.close_after
    _advance_to(stack, close_due - FIRING_SLACK)
    assert api(stack, "GET", f"/tickets/{ref}")["ticket"]["status"] == "resolved"
    _advance_to(stack, close_due + FIRING_SLACK)
    ticket = api(stack, "GET", f"/tickets/{ref}")
    assert ticket["ticket"]["status"] == "closed"
    assert [event["actor"] for event in ticket["events"] if event["kind"] == "auto_closed"] == ["automation"]


def test_the_assignee_hears_by_mail_that_the_customer_answered(stack: dict[str, Any]) -> None:
    # Given an agent, Sam, and a customer's ticket assigned to Sam, answered by the desk
    environment = clean_environment(Path(stack["outbox_dir"]).parent)
    added = subprocess.run(
        [sys.executable, "-m", "postdesk_tools.cli", "agents", "add", "sam@example.com", "--name", "Sam Lee"],
        cwd=CHECKOUT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    subject = "Refund for order 5150"
    send(
        stack,
        mail(
            subject,
            "Hello,\n\nI returned order 5150. When is my refund?\n\nLi",
            sender="Li <li@shop.example>",
        ),
    )
    ref = ref_of(outbox(stack, subject)[0])
    version = api(stack, "GET", f"/tickets/{ref}")["ticket"]["version"]
    api(stack, "PATCH", f"/tickets/{ref}", {"version": version, "assignee": "sam@example.com"})
    api(
        stack,
        "POST",
        f"/tickets/{ref}/replies",
        {"body": "Hello Li,\n\nit is on its way.", "status": "pending"},
    )
    replies = outbox(stack, subject, count=2)
    (reply,) = [m for m in replies if "li@shop.example" in str(m["To"]) and m["Auto-Submitted"] is None]
    window = timedelta(minutes=5)
    # The assignment's notification window ends: Sam's mail of it is out of the way
    _advance_to(stack, _stack_now(stack) + window + FIRING_SLACK)
    (assigned,) = _to_sam(stack, ref, count=1)
    assert "assigned" in str(assigned["Subject"]).lower()

    # When the customer answers the reply
    answer = mail(
        f"Re: {reply['Subject']}",
        "Thanks! It arrived today.\n\nLi",
        sender="Li <li@shop.example>",
        In_Reply_To=str(reply["Message-ID"]),
        References=str(reply["Message-ID"]),
    )
    answer.replace_header("To", str(reply["Reply-To"]))
    send(stack, answer)
    assert _eventually_open(stack, ref)
    # Nothing more reaches Sam before the notification window ends
    assert [m["Message-ID"] for m in _to_sam(stack, ref, count=2, seconds=2)] == [assigned["Message-ID"]]
    # Then, once it ends, a mail at Sam's address says the customer answered
    _advance_to(stack, _stack_now(stack) + window + FIRING_SLACK)
    to_sam = _to_sam(stack, ref, count=2)
    assert len(to_sam) == 2
    notification = to_sam[-1]
    assert notification["Auto-Submitted"] == "auto-generated"
    text = notification.get_body(preferencelist=("plain",))
    assert text is not None and f"The customer answered on ticket {ref}" in text.get_content()


def _to_sam(stack: dict[str, Any], ref: str, count: int, seconds: float = 30) -> list[Message]:
    """The outbox's mails about ``ref`` to Sam, once there are ``count`` of them (or the time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        found = [m for m in outbox(stack, ref, seconds=0) if "sam@example.com" in str(m["To"])]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def _eventually_open(stack: dict[str, Any], ref: str, seconds: float = 30) -> bool:
    """The customer's answer was taken in: the ticket pending on them is open again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api(stack, "GET", f"/tickets/{ref}")["ticket"]["status"] == "open":
            return True
        time.sleep(0.25)
    return False
