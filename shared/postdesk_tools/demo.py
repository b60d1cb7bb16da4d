"""`make demo`: a story on the local stack (the running one, or one started for the demo).

Realistic mail goes in over SMTP (an English request, the customer's answer to our acknowledgement,
an out-of-office, a bounce, a German and a French request); an agent answers through the API and
resolves; the clock moves a day; the survey goes out and the customer's rating comes back through
the survey page. Every step is told with what the desk did.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import tempfile
import time
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit

DEMO_MAIL = Path(__file__).resolve().parent / "demo_mail"
# The envelope sender of each mail (a bounce comes from the null sender).
ENVELOPE = {
    "01-new-request.eml": "jane.doe@customer.example",
    "02-reply-to-ack.eml": "jane.doe@customer.example",
    "03-out-of-office.eml": "jane.doe@customer.example",
    "04-bounce.eml": "",
    "05-german-request.eml": "juergen.mueller@kunde.example",
    "06-french-request.eml": "marie.dupont@client.example",
}
WAIT_SECONDS = 30


class Stack:
    """The running local stack, as a person's tools see it: SMTP, HTTP and its outbox folder."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.outbox = Path(info["outbox_dir"])

    def send(self, raw: bytes, envelope_sender: str, recipients: list[str]) -> None:
        with smtplib.SMTP(self.info["smtp_host"], self.info["smtp_port"], timeout=30) as smtp:
            smtp.sendmail(envelope_sender, recipients, raw)

    def http(
        self, method: str, url: str, body: Any = None, form: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.info['admin_token']}"}
        data: bytes | None = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if form is not None:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            data = urlencode(form).encode()
        connection.request(
            method, address.path + (f"?{address.query}" if address.query else ""), body=data, headers=headers
        )
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        kind = response.getheader("Content-Type") or ""
        return response.status, json.loads(raw) if "json" in kind else raw.decode("utf-8", "replace")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        status, document = self.http(method, self.info["api_url"] + path, body)
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {status} {document}")
        return document

    def control(self, method: str, path: str, body: Any = None) -> Any:
        _, document = self.http(method, self.info["control_url"] + path, body)
        return document

    def sent(self) -> list[Path]:
        return sorted(self.outbox.glob("*.eml"))

    def wait_for_deliveries(self, count: int) -> list[dict[str, Any]]:
        """Until ``count`` deliveries are done (ingested, or dead-lettered)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            deliveries: list[dict[str, Any]] = self.control("GET", "/status")["deliveries"]
            if sum(1 for d in deliveries if d["done_at"] is not None) >= count or time.monotonic() > deadline:
                return deliveries
            time.sleep(0.2)

    def wait_for_mail(self, wanted: Callable[[EmailMessage], bool], after: int) -> list[Path]:
        """The outbox's mails after the first ``after`` that ``wanted`` picks, once there is one."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = [path for path in self.sent()[after:] if wanted(_message(path))]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def wait_for_outbox(self, count: int) -> list[Path]:
        # The outbox folder is written twice a second.
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.sent()) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.sent()


def _message(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def _first_lines(message: EmailMessage, count: int) -> list[str]:
    body = message.get_body(("plain",))
    return str(body.get_content()).strip().splitlines()[:count] if body else []


def _fresh(raw: str) -> bytes:
    """The mail with a Message-ID of its own, so the demo can run again on the same stack."""
    head = BytesHeaderParser().parsebytes(raw.encode("utf-8"))
    old = str(head.get("Message-ID", ""))
    domain = old.rsplit("@", 1)[1].rstrip(">") if "@" in old else "demo.example"
    return raw.replace(old, make_msgid(domain=domain), 1).replace("\n", "\r\n").encode("utf-8")


def tell(stack: Stack, out: TextIO) -> int:
    """Run the story on ``stack``; 0 when every step did what it should."""
    out.write("Postdesk demo on the local stack (everything on 127.0.0.1, moto in place of AWS)\n")
    out.write(f"Support address: {stack.info['support_address']}; console: {stack.info['console_url']}\n\n")
    placeholders: dict[str, str] = {}
    done_before = len(stack.control("GET", "/status")["deliveries"])
    first_ref = ""
    for number, path in enumerate(sorted(DEMO_MAIL.glob("*.eml")), start=1):
        text = path.read_text(encoding="utf-8")
        for key, value in placeholders.items():
            text = text.replace("{" + key + "}", value)
        raw = _fresh(text)
        parsed = message_from_bytes(raw, policy=default_policy)
        recipient = parseaddr(str(parsed["To"]))[1]
        sent_before = len(stack.sent())
        stack.send(raw, ENVELOPE[path.name], [recipient])
        deliveries = stack.wait_for_deliveries(done_before + number)
        delivery = deliveries[-1]
        out.write(f"{number}. {path.stem.split('-', 1)[1].replace('-', ' ')} (over SMTP)\n")
        out.write(f"   From: {parsed['From']}\n   Subject: {parsed['Subject']}\n")
        ticket = stack.api("GET", f"/tickets/{delivery['ref']}")["ticket"] if delivery["ref"] else None
        if ticket is None:
            out.write(f"   desk     {delivery['outcome']}\n\n")
            continue
        first_ref = first_ref or ticket["ref"]
        what = "new ticket" if delivery["outcome"] == "created" else "added to"
        out.write(
            f"   ticket   {what} {ticket['ref']}: status {ticket['status']}, language {ticket['language']}, "
            f"queue {ticket['queue']}, priority {ticket['priority']}"
            + (f", quarantined ({ticket['quarantine']})" if ticket["quarantine"] else "")
            + "\n"
        )
        out.write(f"   ack      {delivery['acknowledgement']}\n")
        if delivery["acknowledgement"] == "sent":
            (ack_path,) = stack.wait_for_outbox(sent_before + 1)[sent_before:][:1]
            ack = _message(ack_path)
            placeholders.setdefault("reply_to", str(ack["Reply-To"]))
            placeholders.setdefault("ack_subject", str(ack["Subject"]))
            placeholders.setdefault("ack_message_id", str(ack["Message-ID"]))
            out.write(f"   sent     {ack['Subject']}  (Auto-Submitted: {ack['Auto-Submitted']})\n")
            for line in _first_lines(ack, 6):
                out.write(f"            | {line}\n")
        out.write("\n")

    out.write(f"7. an agent answers {first_ref} through the API and resolves it\n")
    replied = stack.api(
        "POST",
        f"/tickets/{first_ref}/replies",
        {
            "body": "Hello {{ customer.first_name }},\n\nyour boots left our warehouse today; "
            "they will be delivered to your office.\n\nThe Example team",
            "status": "resolved",
        },
    )
    out.write(f"   sent     {replied['message']['subject']}\n")
    ticket = stack.api("GET", f"/tickets/{first_ref}")["ticket"]
    out.write(
        f"   ticket   {first_ref}: status {ticket['status']}, answered at {ticket['first_response_at']}\n\n"
    )

    out.write("8. the clock moves a day (postdesk local advance 24h)\n")
    sent_before = len(stack.sent())
    advanced = stack.control("POST", "/advance", {"seconds": 24 * 3600 + 120})
    surveys = [f for f in advanced["fired"] if f["name"] == f"survey-{first_ref}-{ticket['cycle']}"]
    fired = ", ".join(f"{f['name']}: {f['result'].get('outcome')}" for f in surveys) or "nothing"
    out.write(f"   fired    {fired}\n")
    survey_paths = stack.wait_for_mail(
        lambda m: m["Auto-Submitted"] == "auto-generated" and f"[#{first_ref}]" in str(m["Subject"]),
        sent_before,
    )
    if not survey_paths:
        out.write("   the survey did not go out\n")
        return 1
    survey = _message(survey_paths[0])
    out.write(f"   sent     {survey['Subject']}  (Auto-Submitted: {survey['Auto-Submitted']})\n")
    lines = _first_lines(survey, 30)
    for line in lines[:14]:
        out.write(f"            | {line}\n")
    link = next(line.strip() for line in lines if "/survey/" in line and f".{ticket['cycle']}.4." in line)

    out.write('\n9. the customer clicks "4 - Good", adds a word and sends it\n')
    shown, _ = stack.http("GET", link)
    answered, _ = stack.http("POST", link, form={"rating": "4", "comment": "Quick and friendly, thank you."})
    out.write(f"   GET  {shown} (the page; nothing recorded yet)   POST {answered} (recorded)\n")
    ticket = stack.api("GET", f"/tickets/{first_ref}")["ticket"]
    out.write(f"   ticket   {first_ref}: survey {ticket['survey']}\n\n")

    out.write("Tickets\n")
    listed = stack.api("GET", "/tickets?status=new,open,pending,on-hold,resolved,closed&limit=100")["tickets"]
    for item in listed:
        out.write(f"  {item['ref']}  {item['status']:<8} {item['language']}  {item['subject'][:56]}\n")
    quarantined = stack.api("GET", "/tickets?quarantined=true")["tickets"]
    for item in quarantined:
        out.write(f"  {item['ref']}  quarantined  {item['subject'][:56]}\n")
    report = stack.api("GET", "/metrics?since=2d")
    out.write(
        f"\nNumbers: {report['volume']['total']} tickets, {report['csat']['answers']} survey answers, "
        f"{len(stack.sent())} mails in the outbox ({stack.outbox})\n"
    )
    return 0 if shown == 200 and answered == 200 and ticket["survey"] else 1


def run_demo(out: TextIO, state_dir: Path | None = None) -> int:
    """Tell the story on the running local stack, or on one started for it (and stopped after)."""
    from postdesk_tools.local_stack import local_stack, quiet_empty_metrics, running_stack_info

    quiet_empty_metrics()
    info = running_stack_info(state_dir)
    if info is not None:
        return tell(Stack(info), out)
    out.write("No local stack is running: starting one for the demo (make local keeps one running).\n\n")
    with (
        tempfile.TemporaryDirectory(prefix="postdesk-demo-") as temporary,
        local_stack(state_dir or Path(temporary), smtp_port=0, api_port=0) as stack,
    ):
        return tell(Stack(stack.info), out)
