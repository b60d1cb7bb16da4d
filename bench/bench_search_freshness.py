"""How soon a new mail can be found on the local stack: 30 mails sent over SMTP one at a time, each
with a word of its own; the time from SMTP accepting it to the first search through the API that
finds its ticket by that word (median, 95th percentile, the slowest)."""

from __future__ import annotations

import json
import secrets
import smtplib
import statistics
import tempfile
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

MAILS = 30
GIVE_UP_SECONDS = 30.0


def _search(info: dict[str, Any], words: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - the stack's own API on 127.0.0.1
        f"{info['api_url']}/tickets?{urlencode({'q': words})}",
        headers={"Authorization": f"Bearer {info['admin_token']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        tickets: list[dict[str, Any]] = json.loads(answer.read())["tickets"]
    return tickets


def run() -> dict[str, Any]:
    from postdesk_tools.local_stack import local_stack, quiet_empty_metrics

    quiet_empty_metrics()
    seconds: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="postdesk-search-") as state,
        local_stack(Path(state), smtp_port=0, api_port=0) as stack,
    ):
        info = stack.info
        for number in range(MAILS):
            word = "zq" + secrets.token_hex(4)
            message = EmailMessage()
            message["From"] = f"Customer {number} <searcher{number}@bench.example>"
            message["To"] = info["support_address"]
            message["Subject"] = f"Question {number}"
            message.set_content(f"Hello,\n\nmy device {word} stopped working.\n\nThanks")
            with smtplib.SMTP(info["smtp_host"], info["smtp_port"], timeout=30) as smtp:
                smtp.send_message(message)
            accepted = time.monotonic()
            while not _search(info, word):
                if time.monotonic() - accepted > GIVE_UP_SECONDS:
                    raise RuntimeError(f"mail {number} was not found after {GIVE_UP_SECONDS} s")
                time.sleep(0.02)
            seconds.append(time.monotonic() - accepted)
    ordered = sorted(seconds)
    return {
        "mails": MAILS,
        "accepted_to_found_seconds": {
            "median": round(statistics.median(ordered), 3),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            "max": round(ordered[-1], 3),
        },
    }
