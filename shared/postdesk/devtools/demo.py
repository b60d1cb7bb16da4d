"""`make demo`: the inbound path end to end on in-process moto, told as a story.

A new request, the customer's answer to our acknowledgement, an out-of-office, a bounce and a German
request go through the same ingest workflow the Lambda runs, against moto's DynamoDB, S3, SES and
Secrets Manager, provisioned from infra/template.json.
"""

from __future__ import annotations

import os
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, TextIO

DEMO_MAIL = Path(__file__).resolve().parent / "demo_mail"
REGION = "eu-west-1"
SUPPORT = "support@example.com"
ENVELOPE = {
    "01-new-request.eml": "jane.doe@customer.example",
    "02-reply-to-ack.eml": "jane.doe@customer.example",
    "03-out-of-office.eml": "jane.doe@customer.example",
    "04-bounce.eml": "",
    "05-german-request.eml": "juergen.mueller@kunde.example",
}


def run_demo(out: TextIO) -> int:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from moto import mock_aws
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from postdesk.aws.clients import reset_clients
    from postdesk.devtools.provision import provision
    from postdesk.devtools.ses_events import store_and_describe
    from postdesk.handlers import aws_ports, deliveries_from_ses_event
    from postdesk.workflows.ingest import ingest

    class CountingMetrics:
        def __init__(self) -> None:
            self.counts: dict[str, int] = {}

        def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
            label = name + "".join(f"[{v}]" for v in (dimensions or {}).values())
            self.counts[label] = self.counts.get(label, 0) + 1

        def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
            return

    with mock_aws():
        reset_clients()
        desk = provision(REGION, "demo", SUPPORT, "Example Support")
        settings = desk.settings
        metrics = CountingMetrics()
        ports = aws_ports(settings, metrics)
        outbox = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        placeholders: dict[str, str] = {}
        out.write("Postdesk demo: the inbound path on moto (DynamoDB, S3, SES, Secrets Manager)\n")
        out.write(f"Support address: {SUPPORT}\n\n")
        for number, path in enumerate(sorted(DEMO_MAIL.glob("*.eml")), start=1):
            raw = path.read_text(encoding="utf-8")
            for key, value in placeholders.items():
                raw = raw.replace("{" + key + "}", value)
            raw_bytes = raw.replace("\n", "\r\n").encode("utf-8")
            envelope = ENVELOPE[path.name]
            recipients = [placeholders["reply_to"]] if "{reply_to}" in path.read_text() else [SUPPORT]
            event = store_and_describe(
                raw_bytes,
                bucket=settings.mail_bucket,
                prefix=settings.raw_mail_prefix,
                region=REGION,
                recipients=recipients,
                envelope_sender=envelope,
            )
            sent_before = len(outbox)
            (delivery,) = deliveries_from_ses_event(event)
            result = ingest(delivery, settings, ports)
            parsed = message_from_bytes(raw_bytes, policy=default_policy)
            out.write(f"{number}. {path.stem.split('-', 1)[1].replace('-', ' ')}\n")
            out.write(f"   mail     From: {parsed['From']}\n")
            out.write(f"            Subject: {parsed['Subject']}\n")
            out.write(f"   screened {result.screening.verdict.value}: {result.screening.reason}\n")
            ticket = ports.store.get_ticket(result.ref)
            assert ticket is not None
            joined = f"joined {result.ref} via {result.matched_by.value}" if result.matched_by else None
            out.write(
                f"   ticket   {joined or ('new ticket ' + result.ref)}; status {ticket.status.value}, "
                f"language {ticket.language}"
                + (f", quarantined ({ticket.quarantine})" if ticket.quarantine else "")
                + "\n"
            )
            out.write(
                f"   ack      {result.ack.value}"
                + (f" ({result.ack_reason})" if result.ack_reason else "")
                + "\n"
            )
            for sent in list(outbox)[sent_before:]:
                ack = _sent_message(sent)
                placeholders.setdefault("reply_to", str(ack["Reply-To"]))
                placeholders.setdefault("ack_subject", str(ack["Subject"]))
                thread = ports.store.thread(result.ref)
                ses_header = next(m.message_id for m in thread if m.kind.value == "acknowledgement")
                placeholders.setdefault("ack_message_id", ses_header or "")
                out.write("   sent     acknowledgement headers:\n")
                for name in (
                    "From",
                    "To",
                    "Reply-To",
                    "Subject",
                    "In-Reply-To",
                    "References",
                    "Auto-Submitted",
                    "X-Auto-Response-Suppress",
                ):
                    out.write(f"              {name}: {ack[name]}\n")
                body = ack.get_body(("plain",))
                first_lines = body.get_content().strip().splitlines()[:3] if body else []
                for line in first_lines:
                    out.write(f"              | {line}\n")
            out.write("\n")
        out.write("Tickets\n")
        from postdesk.tickets.dynamo import TicketItem

        for item in sorted(TicketItem.scan(), key=lambda i: i.created_at):
            ticket = ports.store.get_ticket(item.ref)
            assert ticket is not None
            messages = ports.store.thread(ticket.ref)
            events = [e.kind for e in ports.store.events(ticket.ref)]
            out.write(
                f"  {ticket.ref}  {ticket.status.value:<8} {ticket.subject[:48]:<48} "
                f"{len(messages)} messages; events: {', '.join(events)}\n"
            )
        out.write(f"\nMails sent: {len(outbox)}; metrics: {metrics.counts}\n")
    reset_clients()
    return 0


def _sent_message(sent: Any) -> Any:
    data = sent.raw_data
    return message_from_bytes(data.encode("utf-8") if isinstance(data, str) else data, policy=default_policy)
