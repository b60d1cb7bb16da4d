"""A load test of the local stack over SMTP: new requests from many customers, then their replies,
from several concurrent senders; then a check that nothing was lost or doubled.

Every raw mail must be in the bucket; every request a ticket of its own with exactly one
acknowledgement (to its customer); every reply on its request's ticket with none. The figures:
throughput, and the time from SMTP acceptance to the acknowledgement being sent.
"""

from __future__ import annotations

import smtplib
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from postdesk_tools.local_stack import Delivery, LocalStack

WAIT_SECONDS = 600
# Requests in the languages the desk answers in (each customer writes one).
REQUESTS = (
    (
        "Order {n} has not arrived",
        "Hello,\n\nmy order {n} has not arrived yet. Can you check where it is?\n\nThanks",
    ),
    (
        "Rechnung {n} doppelt",
        "Guten Tag,\n\ndie Rechnung {n} wurde doppelt abgebucht. Bitte erstatten Sie den Betrag.",
    ),
    (
        "Commande {n} introuvable",
        "Bonjour,\n\nje n'ai toujours pas reçu ma commande {n}. Pouvez-vous vérifier ?",
    ),
    ("No puedo entrar ({n})", "Hola,\n\nno puedo iniciar sesión en mi cuenta desde ayer. Mi número es {n}."),
    ("Fatura {n} errada", "Olá,\n\na fatura {n} tem um valor errado. Podem corrigir, por favor?"),
)


@dataclass(frozen=True, slots=True)
class Sent:
    sender: str
    message_id: str
    ses_id: str
    reply_to: str | None  # the Message-ID of the request a reply answers


def _request(number: int, domain: str) -> tuple[str, EmailMessage]:
    subject, body = REQUESTS[number % len(REQUESTS)]
    sender = f"customer{number:05d}@load.example"
    message = EmailMessage()
    message["From"] = f"Customer {number} <{sender}>"
    message["To"] = f"support@{domain}"
    message["Subject"] = subject.format(n=4000 + number)
    message["Message-ID"] = make_msgid(domain="load.example")
    message.set_content(body.format(n=4000 + number))
    return sender, message


def _reply(request: EmailMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = request["From"]
    message["To"] = request["To"]
    message["Subject"] = f"Re: {request['Subject']}"
    message["Message-ID"] = make_msgid(domain="load.example")
    message["In-Reply-To"] = request["Message-ID"]
    message["References"] = request["Message-ID"]
    message.set_content("One more thing: please send the answer to this address.\n\n> earlier text")
    return message


def _send_all(
    info: dict[str, Any], mails: Sequence[tuple[str, EmailMessage, str | None]], senders: int
) -> list[Sent]:
    """Send ``mails`` from ``senders`` concurrent SMTP connections; what the listener queued them as."""
    slices = [mails[index::senders] for index in range(senders)]

    def send(batch: Sequence[tuple[str, EmailMessage, str | None]]) -> list[Sent]:
        done = []
        with smtplib.SMTP(info["smtp_host"], info["smtp_port"], timeout=60) as smtp:
            smtp.ehlo()
            for sender, message, answers in batch:
                smtp.mail(sender)
                smtp.rcpt(parseaddr(str(message["To"]))[1])
                code, reply = smtp.data(message.as_bytes())
                if code != 250:
                    raise RuntimeError(f"SMTP refused a mail: {code} {reply!r}")
                ses_id = reply.decode().rsplit(" ", 1)[-1]
                done.append(Sent(sender, str(message["Message-ID"]), ses_id, answers))
        return done

    with ThreadPoolExecutor(max_workers=senders) as pool:
        return [sent for batch in pool.map(send, slices) for sent in batch]


def _wait(stack: LocalStack, ses_ids: Iterable[str]) -> dict[str, Delivery]:
    wanted = set(ses_ids)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with stack.state.lock:
            done = {i: d for i, d in stack.state.deliveries.items() if i in wanted and d.done_at is not None}
        if len(done) == len(wanted) or time.monotonic() > deadline:
            return done
        time.sleep(0.1)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def run_load(
    stack: LocalStack, requests: int = 700, replies: int = 300, senders: int = 8, first_customer: int = 0
) -> dict[str, Any]:
    """Send ``requests`` new requests, then ``replies`` answers to some of them, from ``senders``
    concurrent connections; check the desk's state; return the figures and any problem found.
    Customers are numbered from ``first_customer``: one who wrote the same words within the hour
    would be a repeat of their open ticket, not a new request (triage/flood.py)."""
    from postdesk.aws.clients import client
    from postdesk.settings import Settings
    from postdesk.tickets.store import TicketStore

    info = stack.info
    settings = Settings.from_environment()
    domain = settings.support_domain
    outbox = Path(info["outbox_dir"])
    sent_before = set(outbox.glob("*.eml"))
    started = time.monotonic()
    built = [_request(number, domain) for number in range(first_customer, first_customer + requests)]
    first = _send_all(info, [(sender, message, None) for sender, message in built], senders)
    first_done = _wait(stack, (s.ses_id for s in first))
    answered = built[: min(replies, requests)]
    second = _send_all(info, [(s, _reply(m, s), str(m["Message-ID"])) for s, m in answered], senders)
    second_done = _wait(stack, (s.ses_id for s in second))
    finished = time.monotonic()

    problems: list[str] = []
    deliveries = {**first_done, **second_done}
    everything = [*first, *second]
    if len(deliveries) != len(everything):
        problems.append(
            f"{len(everything) - len(deliveries)} mails were not ingested within {WAIT_SECONDS} s"
        )
    outcomes = Counter(d.outcome for d in deliveries.values())
    if outcomes["dead_letter"]:
        problems.append(f"{outcomes['dead_letter']} mails failed every retry")
    # Every raw mail is in the bucket, under its SES id.
    s3 = client("s3", settings.region)
    for sent in everything:
        try:
            s3.head_object(Bucket=settings.mail_bucket, Key=f"{settings.raw_mail_prefix}{sent.ses_id}")
        except Exception:
            problems.append(f"raw mail {sent.ses_id} is not in the bucket")
    # Every request made a ticket of its own; every reply joined its request's ticket.
    ref_of_request = {s.message_id: deliveries[s.ses_id].ref for s in first if s.ses_id in deliveries}
    refs = list(ref_of_request.values())
    if len(set(refs)) != requests or [d.outcome for d in first_done.values()].count("created") != requests:
        problems.append(f"{requests} requests made {len(set(refs))} tickets")
    for sent in second:
        delivery = deliveries.get(sent.ses_id)
        if (
            delivery is None
            or delivery.ref != ref_of_request.get(sent.reply_to or "")
            or delivery.outcome != "added"
        ):
            problems.append(f"reply {sent.message_id} did not join its ticket")
    store = TicketStore(settings.tables, settings.region)
    replied = {ref_of_request[str(m["Message-ID"])] for _, m in answered}
    for ref in refs:
        kinds = [m.kind.value for m in store.thread(ref or "")]
        expected = ["customer", "acknowledgement", *(["customer"] if ref in replied else [])]
        if kinds != expected:
            problems.append(f"ticket {ref} holds {kinds}, not {expected}")
    # Exactly one acknowledgement per request, to its customer; none for a reply.
    acks: Counter[str] = Counter()
    for path in sorted(set(outbox.glob("*.eml")) - sent_before):
        message = BytesParser().parsebytes(path.read_bytes(), headersonly=True)
        if str(message.get("Auto-Submitted", "")).strip() == "auto-replied":
            addresses = {address.lower() for _, address in getaddresses(message.get_all("To", []))}
            acks.update(a for a in addresses if a.endswith("@load.example"))
    customers = {s.sender for s in first}
    if set(acks) != customers or any(count != 1 for count in acks.values()):
        doubled = sum(1 for count in acks.values() if count > 1)
        problems.append(
            f"acknowledgements: {len(acks)} customers got one, {doubled} more than one, of {len(customers)}"
        )
    to_ack = [
        first_done[s.ses_id].done_at - first_done[s.ses_id].accepted_at  # type: ignore[operator]
        for s in first
        if s.ses_id in first_done
    ]
    return {
        "mails": len(everything),
        "requests": requests,
        "replies": len(second),
        "senders": senders,
        "seconds": round(finished - started, 2),
        "mails_per_second": round(len(everything) / (finished - started), 1),
        "accept_to_ack_median_ms": round(statistics.median(to_ack) * 1000, 1) if to_ack else None,
        "accept_to_ack_p99_ms": round(_percentile(to_ack, 0.99) * 1000, 1) if to_ack else None,
        "ingest_retries": sum(d.attempts - 1 for d in deliveries.values() if d.attempts),
        "problems": problems[:20],
        "problem_count": len(problems),
    }
