"""No acknowledgement, and no loop, for automatic mail, bounces, lists, spam, forgeries and our own mail.
Each decision is on the ticket's event log with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from postdesk.tickets.listing import TicketFilter
from postdesk.tickets.model import MessageKind
from postdesk.triage.screening import Verdict
from postdesk.workflows.ingest import AckOutcome
from tests.integration.conftest import Desk
from tests.mails import build_mail

DSN = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
    b"To: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Message-ID: <dsn1@mx.customer.example>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n"
    b"Final-Recipient: rfc822; nobody@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--b--\r\n"
)

CASES: list[tuple[str, dict[str, Any], Verdict, str]] = [
    (
        "auto-submitted",
        {"raw": build_mail(headers={"Auto-Submitted": "auto-replied"})},
        Verdict.AUTO_REPLY,
        "Auto-Submitted: auto-replied",
    ),
    (
        "auto-generated",
        {"raw": build_mail(headers={"Auto-Submitted": "auto-generated"})},
        Verdict.AUTO_REPLY,
        "Auto-Submitted: auto-generated",
    ),
    (
        "x-autoreply",
        {"raw": build_mail(headers={"X-Autoreply": "yes"})},
        Verdict.AUTO_REPLY,
        "x-autoreply header",
    ),
    (
        "x-autorespond",
        {"raw": build_mail(headers={"X-Autorespond": "yes"})},
        Verdict.AUTO_REPLY,
        "x-autorespond header",
    ),
    (
        "x-auto-response-suppress",
        {"raw": build_mail(headers={"X-Auto-Response-Suppress": "All"})},
        Verdict.AUTO_REPLY,
        "x-auto-response-suppress header",
    ),
    (
        "precedence bulk",
        {"raw": build_mail(headers={"Precedence": "bulk"})},
        Verdict.AUTO_REPLY,
        "Precedence: bulk",
    ),
    (
        "precedence list",
        {"raw": build_mail(headers={"Precedence": "list"})},
        Verdict.AUTO_REPLY,
        "Precedence: list",
    ),
    (
        "precedence junk",
        {"raw": build_mail(headers={"Precedence": "junk"})},
        Verdict.AUTO_REPLY,
        "Precedence: junk",
    ),
    (
        "precedence auto_reply",
        {"raw": build_mail(headers={"Precedence": "auto_reply"})},
        Verdict.AUTO_REPLY,
        "Precedence: auto_reply",
    ),
    (
        "mailing list",
        {"raw": build_mail(headers={"List-Id": "<news.customer.example>"})},
        Verdict.AUTO_REPLY,
        "mailing list (List-* headers)",
    ),
    (
        "list-unsubscribe",
        {"raw": build_mail(headers={"List-Unsubscribe": "<mailto:u@x.example>"})},
        Verdict.AUTO_REPLY,
        "mailing list (List-* headers)",
    ),
    (
        "out-of-office subject",
        {"raw": build_mail(subject="Out of Office: back Monday")},
        Verdict.AUTO_REPLY,
        "subject of an automatic reply",
    ),
    (
        "delivery report",
        {"raw": DSN, "envelope_sender": ""},
        Verdict.BOUNCE,
        "multipart/report (delivery or disposition report)",
    ),
    (
        "null envelope sender",
        {"raw": build_mail(), "envelope_sender": "<>"},
        Verdict.BOUNCE,
        "null envelope sender",
    ),
    (
        "mailer-daemon",
        {
            "raw": build_mail(sender="MAILER-DAEMON@mx.customer.example"),
            "envelope_sender": "MAILER-DAEMON@mx.customer.example",
        },
        Verdict.BOUNCE,
        "envelope sender is a mailer daemon",
    ),
    (
        "postmaster",
        {"raw": build_mail(sender="postmaster@customer.example")},
        Verdict.BOUNCE,
        "From is a mailer daemon",
    ),
    ("spam", {"raw": build_mail(), "verdicts": {"spam": "FAIL"}}, Verdict.SPAM, "SES spam verdict FAIL"),
    ("virus", {"raw": build_mail(), "verdicts": {"virus": "FAIL"}}, Verdict.VIRUS, "SES virus verdict FAIL"),
    ("dmarc", {"raw": build_mail(), "verdicts": {"dmarc": "FAIL"}}, Verdict.FORGED, "DMARC verdict FAIL"),
    (
        "our own address",
        {"raw": build_mail(sender="Support <support@example.com>"), "envelope_sender": "support@example.com"},
        Verdict.OWN_MAIL,
        "From is one of our own addresses",
    ),
    (
        "our own message-id",
        {"raw": build_mail(message_id="<ack.0123abcd.postdesk@example.com>")},
        Verdict.OWN_MAIL,
        "Message-ID is one we generated (a loop)",
    ),
]


@pytest.mark.parametrize(
    ("raw_and_options", "verdict", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_screened_mail_gets_no_acknowledgement_and_the_reason_is_logged(
    desk: Desk, raw_and_options: dict[str, Any], verdict: Verdict, reason: str
) -> None:
    # Given a mail that must not be answered automatically
    options = dict(raw_and_options)
    raw = options.pop("raw")

    # When SES delivers it
    result = desk.deliver(raw, **options)

    # Then it is kept on a ticket, nothing is sent, and the log says why
    assert result.screening.verdict is verdict
    assert result.screening.reason == reason
    assert result.ack is AckOutcome.SUPPRESSED
    assert desk.sent() == []
    events = {e.kind: e for e in desk.store.events(result.ref)}
    assert events["mail_screened"].detail["reason"] == reason
    assert events["ack_suppressed"].detail["reason"] == verdict.value
    assert desk.metrics.counted[-1] == ("AcksSuppressed", {"reason": verdict.value})
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and ticket.quarantine is not None and reason in ticket.quarantine


@pytest.mark.parametrize("verdict", ["spam", "virus"])
def test_spam_and_virus_are_quarantined_not_dropped(desk: Desk, verdict: str) -> None:
    # Given mail SES flagged
    result = desk.deliver(build_mail(), verdicts={verdict: "FAIL"})

    # Then the raw mail and the message are kept, flagged, and out of the default queue
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and ticket.quarantine and ticket.quarantine.startswith(verdict)
    first = desk.store.thread(result.ref)[0]
    assert first.kind is MessageKind.QUARANTINED
    assert first.raw_key and desk.ports.blobs.get(first.raw_key).startswith(b"From:")
    assert "quarantined" in [e.kind for e in desk.store.events(result.ref)]
    assert desk.store.list_tickets(TicketFilter(), limit=10).tickets == []
    assert [t.ref for t in desk.store.list_tickets(TicketFilter(quarantined=True), limit=10).tickets] == [
        result.ref
    ]


def test_ordinary_mail_lands_in_the_open_queue(desk: Desk) -> None:
    result = desk.deliver(build_mail())
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None
    in_queue = desk.store.list_tickets(TicketFilter(queue=ticket.queue), limit=10).tickets
    assert [t.ref for t in in_queue] == [result.ref]


def test_automatic_mail_per_sender_is_rate_limited(desk: Desk) -> None:
    # Given the default limit of five acknowledgements an hour
    assert desk.settings.ack_limit_per_hour == 5

    # When one sender opens seven tickets within the hour
    topics = ("billing", "login", "delivery", "refund", "invoice", "password", "shipping")
    results = [desk.deliver(build_mail(subject=f"A question about {topic}")) for topic in topics]

    # Then five are acknowledged and two are not, with the reason logged
    assert [r.ack for r in results] == [AckOutcome.SENT] * 5 + [AckOutcome.SUPPRESSED] * 2
    assert len(desk.sent()) == 5
    suppressed = [e for e in desk.store.events(results[-1].ref) if e.kind == "ack_suppressed"]
    assert suppressed[0].detail["reason"] == "rate_limit"
    # And another sender is not affected
    other = desk.deliver(build_mail(sender="Ann <ann@other.example>"), envelope_sender="ann@other.example")
    assert other.ack is AckOutcome.SENT
