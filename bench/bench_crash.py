"""What a ``kill -9`` of every process of the local stack loses.

In each round agents' changes (saved replies made through the API by 4 clients, one after another as
fast as the API answers) and customers' mail (2 SMTP senders, each mail from its own address) flow for
a few seconds; then the stack, moto and the API are killed at once. After the next start has finished
the spool, we count:

- changes the API had confirmed (a 2xx) that are gone;
- mails SMTP had accepted (a 250) with no ticket, mails acknowledged twice, and acknowledgements cut
  off between their claim and SES's answer (not sent again: the ticket records ``ack_unconfirmed``);
- changes and mails in flight at the kill (sent, not yet answered), and how many of those were kept.
"""

from __future__ import annotations

import http.client
import json
import random
import smtplib
import tempfile
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROUNDS = 5
API_CLIENTS = 4
SMTP_SENDERS = 2
RUN_SECONDS = (3.0, 8.0)


class Traffic:
    """Agents and customers at work on a running stack until ``stop``; what was confirmed and what
    was in flight when the stack died."""

    def __init__(self, info: dict[str, Any], round_number: int) -> None:
        self.info = info
        self.round = round_number
        self.confirmed_changes: set[str] = set()
        self.changes_in_flight: set[str] = set()
        self.accepted_mail: set[str] = set()
        self.mail_in_flight: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._agent, args=(n,), daemon=True) for n in range(API_CLIENTS)
        ] + [threading.Thread(target=self._customer, args=(n,), daemon=True) for n in range(SMTP_SENDERS)]
        for thread in self.threads:
            thread.start()

    def _agent(self, client: int) -> None:
        address = urlsplit(self.info["api_url"])
        number = 0
        while not self.stopping.is_set():
            title = f"r{self.round}-c{client}-{number}"
            number += 1
            with self.lock:
                self.changes_in_flight.add(title)
            try:
                connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
                connection.request(
                    "POST",
                    "/saved-replies",
                    body=json.dumps({"title": title, "body": f"Saved reply {title}."}),
                    headers={
                        "Authorization": f"Bearer {self.info['admin_token']}",
                        "Content-Type": "application/json",
                    },
                )
                status = connection.getresponse().status
                connection.close()
            except OSError:
                return
            if status == 201:
                with self.lock:
                    self.changes_in_flight.discard(title)
                    self.confirmed_changes.add(title)

    def _customer(self, sender: int) -> None:
        number = 0
        try:
            smtp = smtplib.SMTP(self.info["smtp_host"], self.info["smtp_port"], timeout=30)
        except OSError:
            return
        while not self.stopping.is_set():
            address = f"r{self.round}-s{sender}-{number}@shop.example"
            number += 1
            message = EmailMessage()
            message["From"] = address
            message["To"] = self.info["support_address"]
            message["Subject"] = f"Order {address} never came"
            message.set_content("Hello,\n\nmy order never came.\n")
            with self.lock:
                self.mail_in_flight.add(address)
            try:
                smtp.send_message(message)
            except (OSError, smtplib.SMTPException):
                return
            with self.lock:
                self.mail_in_flight.discard(address)
                self.accepted_mail.add(address)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _get(info: dict[str, Any], path: str) -> Any:
    address = urlsplit(info["api_url"])
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
    connection.request("GET", path, headers={"Authorization": f"Bearer {info['admin_token']}"})
    document = json.loads(connection.getresponse().read())
    connection.close()
    return document


def _saved_titles(info: dict[str, Any]) -> set[str]:
    return {reply["title"] for reply in _get(info, "/saved-replies")["saved_replies"]}


def _ticket_events(info: dict[str, Any], requester: str) -> list[list[str]] | None:
    """The event kinds of each ticket of ``requester``."""
    found = _get(info, f"/tickets?requester={quote(requester)}")["tickets"]
    return [[e["kind"] for e in _get(info, f"/tickets/{t['ref']}")["events"]] for t in found]


def _acknowledged(outbox: Path) -> dict[str, int]:
    """How many acknowledgements each customer got."""
    counts: dict[str, int] = {}
    for path in outbox.glob("*.eml"):
        to = str(message_from_bytes(path.read_bytes(), policy=default_policy)["To"])
        counts[to] = counts.get(to, 0) + 1
    return counts


def _settled(state: Path, outbox: Path, accepted: set[str], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not list((state / "spool").glob("*.json")) and accepted <= set(_acknowledged(outbox)):
            return
        time.sleep(0.5)


def run() -> dict[str, Any]:
    from postdesk_tools.stack_process import kill_all, start, stop

    chance = random.Random(16)  # when to kill: not a secret
    rounds: list[dict[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="postdesk-crash-") as folder:
        state = Path(folder) / "desk"
        accepted_before: set[str] = set()
        process, info = start(state)
        for number in range(ROUNDS):
            traffic = Traffic(info, number)
            time.sleep(chance.uniform(*RUN_SECONDS))
            kill_all(process, info)
            traffic.stop()
            process, info = start(state)
            outbox = Path(info["outbox_dir"])
            accepted = accepted_before | traffic.accepted_mail
            _settled(state, outbox, accepted)
            titles = _saved_titles(info)
            acknowledged = _acknowledged(outbox)
            # A mail without an acknowledgement is lost unless it has its ticket, which then says the
            # acknowledgement was cut off between its claim and SES's answer (never sent twice).
            unacknowledged = {
                address: _ticket_events(info, address)
                for address in traffic.accepted_mail - set(acknowledged)
            }
            lost = [a for a, kinds in unacknowledged.items() if not kinds]
            unconfirmed = [
                a for a, kinds in unacknowledged.items() if kinds and "ack_unconfirmed" in kinds[0]
            ]
            unexplained = len(unacknowledged) - len(lost) - len(unconfirmed)
            rounds.append(
                {
                    "changes_confirmed": len(traffic.confirmed_changes),
                    "changes_confirmed_lost": len(traffic.confirmed_changes - titles),
                    "changes_in_flight": len(traffic.changes_in_flight),
                    "changes_in_flight_kept": len(traffic.changes_in_flight & titles),
                    "mails_accepted": len(traffic.accepted_mail),
                    "mails_accepted_lost": len(lost),
                    "mails_acknowledgement_unconfirmed": len(unconfirmed),
                    "mails_with_ticket_but_no_acknowledgement_unexplained": unexplained,
                    "mails_acknowledged_twice": sum(1 for n in acknowledged.values() if n > 1),
                    "mails_in_flight": len(traffic.mail_in_flight),
                    "mails_in_flight_kept": len(traffic.mail_in_flight & set(acknowledged)),
                }
            )
            accepted_before = accepted
        stop(process, state)
    totals = {key: sum(r[key] for r in rounds) for key in rounds[0]}
    return {"rounds": ROUNDS, "totals": totals, "per_round": rounds}
