"""The local stack over a long day, in four parts on one desk:

1. idle: 50 mails, one at a time, SMTP acceptance to the acknowledgement sent (p50, p99);
2. sustained: new requests at 5 mails/s for 5 minutes (and the same time measured per mail);
3. bulk: the desk filled to 10,000 mails (70 % requests, 30 % replies) from 8 senders, with the peak
   resident memory of every process of the stack sampled throughout;
4. restart: the stack stopped (its state written) and started again, timed until the console's API
   lists tickets and SMTP accepts mail.

Nothing may be lost or doubled (the same checks as bench_load, on the bulk part).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

IDLE_MAILS = 50
RATE_PER_SECOND = 5.0
SUSTAINED_SECONDS = 300
TOTAL_MAILS = 10_000
SENDERS = 8


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


class PeakMemory:
    """The largest sum of the resident memory of the stack's processes, sampled twice a second."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, sum(_rss_bytes(pid) for pid in self.pids))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(_percentile(values, 0.99) * 1000, 1),
    }


def _accept_to_done(stack: Any, ses_ids: list[str]) -> list[float]:
    with stack.state.lock:
        found = [stack.state.deliveries[i] for i in ses_ids if i in stack.state.deliveries]
    return [d.done_at - d.accepted_at for d in found if d.done_at is not None]


def _send_at_rate(stack: Any, first_number: int, count: int, rate: float) -> list[str]:
    """New requests from one connection, each sent at its own time on a fixed schedule (a slow
    acknowledgement does not slow the arrivals down)."""
    import smtplib
    from email.utils import parseaddr

    from postdesk_tools.load import _request

    info = stack.info
    domain = str(info["support_address"]).rpartition("@")[2]
    sent: list[str] = []
    started = time.monotonic()
    with smtplib.SMTP(info["smtp_host"], info["smtp_port"], timeout=60) as smtp:
        smtp.ehlo()
        for index in range(count):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sender, message = _request(first_number + index, domain)
            smtp.mail(sender)
            smtp.rcpt(parseaddr(str(message["To"]))[1])
            code, reply = smtp.data(message.as_bytes())
            assert code == 250, reply
            sent.append(reply.decode().rsplit(" ", 1)[-1])
    return sent


def _wait_done(stack: Any, ses_ids: list[str], seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(_accept_to_done(stack, ses_ids)) == len(ses_ids):
            return
        time.sleep(0.1)


def run() -> dict[str, Any]:
    from postdesk_tools.load import run_load
    from postdesk_tools.local_stack import local_stack, quiet_empty_metrics

    quiet_empty_metrics()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="postdesk-soak-") as folder:
        state = Path(folder)
        with local_stack(state, smtp_port=0, api_port=0, moto_port=0) as stack:
            pids = [os.getpid(), int(stack.info["moto_pid"]), int(stack.info["api_pid"])]
            memory = PeakMemory(pids)
            idle: list[str] = []
            for number in range(IDLE_MAILS):
                # One at a time: each is sent once the one before it is done.
                idle += _send_at_rate(stack, number, 1, 1.0)
                _wait_done(stack, idle[-1:])
            figures["idle_accept_to_ack"] = _ms(_accept_to_done(stack, idle))
            count = int(RATE_PER_SECOND * SUSTAINED_SECONDS)
            sustained = _send_at_rate(stack, 1000, count, RATE_PER_SECOND)
            _wait_done(stack, sustained)
            figures["sustained"] = {
                "rate_per_second": RATE_PER_SECOND,
                "seconds": SUSTAINED_SECONDS,
                "accept_to_ack": _ms(_accept_to_done(stack, sustained)),
            }
            sent = IDLE_MAILS + count
            remaining = TOTAL_MAILS - sent
            requests = round(remaining * 0.7)
            # Customers of their own: those of the phases before would be repeating themselves.
            bulk = run_load(
                stack,
                requests=requests,
                replies=remaining - requests,
                senders=SENDERS,
                first_customer=1000 + count,
            )
            figures["bulk"] = {key: bulk[key] for key in ("mails", "seconds", "mails_per_second", "problems")}
            figures["mails_in_all"] = sent + int(bulk["mails"])
            figures["peak_rss_mb_all_processes"] = round(memory.stop() / 1_000_000)
            figures["moto_rss_mb_at_end"] = round(_rss_bytes(int(stack.info["moto_pid"])) / 1_000_000)
        snapshot = state / "aws" / "snapshot.pickle"
        figures["snapshot_mb"] = round(snapshot.stat().st_size / 1_000_000, 1) if snapshot.exists() else None
        started = time.monotonic()
        with local_stack(state, smtp_port=0, api_port=0, moto_port=0) as again:
            import http.client
            import json
            from urllib.parse import urlsplit

            address = urlsplit(again.info["api_url"])
            connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
            connection.request(
                "GET", "/tickets?limit=10", headers={"Authorization": f"Bearer {again.info['admin_token']}"}
            )
            listed = json.loads(connection.getresponse().read())
            connection.close()
            figures["restart_seconds"] = round(time.monotonic() - started, 2)
            figures["restart_lists_tickets"] = len(listed.get("tickets", []))
    return figures
