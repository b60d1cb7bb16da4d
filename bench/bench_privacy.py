"""Privacy at scale: the export and the erasure of a requester with 500 tickets on a desk of 10,000,
against moto in a server process of its own (every AWS call an HTTP request, as in AWS), and the AWS
calls each makes by operation (no Scan may be among them).

The desk is written straight into the tables once (the tickets, each with its first mail and two events,
the Message-ID entries, the guards of its delivery, its acknowledgement and its first delivery; the
requester's raw mails and attachments in the bucket, their acknowledgement counters): what 10,000
deliveries leave, without running 10,000 deliveries. Figures: seconds of the export (to the bucket,
as ``POST /privacy/exports`` makes it) and of the erasure (as ``POST /privacy/erasures``), the median
of ``ROUNDS`` rounds (each writes the requester's tickets again, then exports and erases them),
against the API's limit of 29 s."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TICKETS = 10_000
REQUESTER_TICKETS = 500
REQUESTER = "rosalind.quenby@quenby-mail.example"
ROUNDS = 3
API_LIMIT_SECONDS = 29.0
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _moto_server() -> Iterator[str]:
    """A moto server of the local stack's kind (journaled, moto_fit's patches) on a free port."""
    with tempfile.TemporaryDirectory(prefix="bench-privacy-") as state:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "postdesk_tools.moto_server", "--state-dir", state, "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "shared")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=60)


@contextmanager
def _counted_calls() -> Iterator[Counter[str]]:
    """Every AWS API call made meanwhile, by service:Operation."""
    from botocore.client import BaseClient

    counted: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(client: Any, operation: str, parameters: Any) -> Any:
        counted[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, parameters)

    BaseClient._make_api_call = counting
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original


def _seed(settings: Any, ports: Any, numbers: range, requester: str | None, round_number: int) -> None:
    """Tickets ``numbers``, as deliveries leave them: the ``requester``'s (with their raw mails and
    attachments in the bucket), or each of another customer when ``requester`` is None."""
    from postdesk.effects import keys
    from postdesk.effects.guards import GuardState, guard_item
    from postdesk.tickets.dynamo import CounterItem, GuardItem, LogItem, MessageIndexItem, TicketItem
    from postdesk.tickets.items import item_from_event, item_from_message, item_from_ticket
    from postdesk.tickets.model import (
        AttachmentRef,
        Direction,
        MessageKind,
        Status,
        ThreadMessage,
        Ticket,
        TicketEvent,
    )

    start = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    with (
        TicketItem.batch_write() as tickets,
        LogItem.batch_write() as log,
        MessageIndexItem.batch_write() as index,
        GuardItem.batch_write() as guards,
    ):
        for n in numbers:
            mine = requester is not None
            who = requester or f"customer{n}@example.org"
            at = start + timedelta(minutes=13 * n)
            ref = f"R{round_number}{n:03d}-{n:04d}"[:9] if mine else f"B{n:03d}-{n:04d}"[:9]
            ses_id = f"bench-{round_number}-{n:06d}"
            raw_key = f"{settings.raw_mail_prefix}{ses_id}"
            attachments: tuple[AttachmentRef, ...] = ()
            if mine:
                ports.blobs.put(raw_key, b"From: " + who.encode() + b"\r\n\r\nHello\r\n", "message/rfc822")
                key = f"{settings.attachments_prefix}{ref}/{ses_id}/000-invoice"
                ports.blobs.put(key, b"%PDF-1.4 invoice", "application/pdf")
                attachments = (AttachmentRef("invoice.pdf", "application/pdf", 16, "0" * 64, key),)
            ticket = Ticket(
                ref=ref,
                subject=f"Question {n}",
                requester_email=who,
                requester_name="Rosalind Quenby" if mine else "A Customer",
                status=Status.OPEN if n % 3 else Status.RESOLVED,
                queue="support",
                priority="normal",
                language="en",
                created_at=at,
                updated_at=at,
                waiting_since=at,
            )
            message_id = f"<m{round_number}.{n}@customer.example>"
            tickets.save(item_from_ticket(ticket))
            log.save(
                item_from_message(
                    ThreadMessage(
                        ref=ref,
                        key=keys.thread_message_key(at, ses_id),
                        direction=Direction.INBOUND,
                        kind=MessageKind.CUSTOMER,
                        at=at,
                        subject=ticket.subject,
                        from_email=who,
                        from_name=ticket.requester_name,
                        message_id=message_id,
                        ses_id=ses_id,
                        text="Hello, a question about my order.",
                        text_key=None,
                        raw_key=raw_key,
                        attachments=attachments,
                    )
                )
            )
            for kind in ("ticket_created", "ack_sent"):
                log.save(item_from_event(TicketEvent(ref, at, kind, f"{ses_id}:{kind}")))
            index.save(MessageIndexItem(message_id=message_id, ref=ref, direction=Direction.INBOUND.value))
            thread_id = keys.ticket_thread_id(ref, settings.support_domain)
            index.save(MessageIndexItem(message_id=thread_id, ref=ref, direction=Direction.OUTBOUND.value))
            for guard in (
                keys.delivery_guard(ses_id),
                keys.ack_guard(ses_id),
                keys.first_delivery_guard(who, message_id),
            ):
                guards.save(guard_item(guard, GuardState.SENT, at, ref, {}))
    if requester is not None:
        now = ports.clock()
        with CounterItem.batch_write() as counters:
            for key in (keys.ack_rate_hour(requester, now), keys.ack_rate_day(requester, now)):
                counters.save(CounterItem(key=key, hits=3, expires_at=int(now.timestamp()) + 86_400))


def _desk(endpoint: str) -> tuple[Any, Any]:
    """A desk on the moto server at ``endpoint`` with the other customers' tickets written."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    from postdesk.aws.clients import reset_clients
    from postdesk.observability import PowertoolsMetrics
    from postdesk.runtime import aws_ports
    from postdesk_tools.provision import provision

    reset_clients()
    desk = provision("eu-west-1", "bench", "support@example.com", "Example Support")
    os.environ.update(desk.environment)
    ports = aws_ports(desk.settings, PowertoolsMetrics())
    _seed(desk.settings, ports, range(TICKETS - REQUESTER_TICKETS), None, 0)
    return desk, ports


def _round(desk: Any, ports: Any, round_number: int) -> dict[str, Any]:
    """The requester's REQUESTER_TICKETS tickets written, then exported, then erased."""
    from postdesk.privacy.erase import erase
    from postdesk.privacy.export import export_to_bucket
    from postdesk.privacy.records import privacy_desk

    seeding = time.perf_counter()
    _seed(desk.settings, ports, range(REQUESTER_TICKETS), REQUESTER, round_number + 1)
    seeded = time.perf_counter() - seeding
    privacy = privacy_desk(desk.settings, ports)

    with _counted_calls() as export_calls:
        started = time.perf_counter()
        exported = export_to_bucket(REQUESTER, privacy, "bench@example.com")
        export_seconds = time.perf_counter() - started
    with _counted_calls() as erase_calls:
        started = time.perf_counter()
        report = erase(REQUESTER, privacy, "bench@example.com", "api")
        erase_seconds = time.perf_counter() - started
    assert report.tickets == REQUESTER_TICKETS, report
    assert exported.summary.tickets == REQUESTER_TICKETS, exported.summary
    return {
        "seed_seconds": round(seeded, 1),
        "export_seconds": export_seconds,
        "erase_seconds": erase_seconds,
        "export_calls": dict(sorted(export_calls.items())),
        "erase_calls": dict(sorted(erase_calls.items())),
        "removed": report.counts(),
    }


def run() -> dict[str, Any]:
    with _moto_server() as endpoint:
        started = time.perf_counter()
        desk, ports = _desk(endpoint)
        desk_seconds = time.perf_counter() - started
        rounds = [_round(desk, ports, number) for number in range(ROUNDS)]
    export = statistics.median(r["export_seconds"] for r in rounds)
    erasure = statistics.median(r["erase_seconds"] for r in rounds)
    scans = sorted(
        {
            call
            for r in rounds
            for calls in (r["export_calls"], r["erase_calls"])
            for call in calls
            if call.endswith(":Scan")
        }
    )
    return {
        "desk_tickets": TICKETS,
        "requester_tickets": REQUESTER_TICKETS,
        "rounds": ROUNDS,
        "export_seconds_median": round(export, 2),
        "erase_seconds_median": round(erasure, 2),
        "erase_share_of_api_limit": round(erasure / API_LIMIT_SECONDS, 2),
        "export_share_of_api_limit": round(export / API_LIMIT_SECONDS, 2),
        "scans": scans,
        "export_calls": rounds[-1]["export_calls"],
        "erase_calls": rounds[-1]["erase_calls"],
        "removed": rounds[-1]["removed"],
        "desk_seed_seconds": round(desk_seconds, 1),
    }
