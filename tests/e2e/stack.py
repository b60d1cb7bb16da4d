"""Running the local stack as a person does (`postdesk local`, its own processes) and talking to it
as a person's tools do: SMTP in, HTTP, the outbox folder. Shared by the local stack's e2e tests."""

from __future__ import annotations

import http.client
import json
import re
import smtplib
import time
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from postdesk_tools.stack_process import (
    CHECKOUT,
    alive,
    clean_environment,
    kill_all,
    launch,
    output_file,
    start,
    stop,
)

__all__ = [
    "CHECKOUT",
    "alive",
    "api",
    "clean_environment",
    "kill_all",
    "launch",
    "mail",
    "outbox",
    "output_file",
    "ref_of",
    "send",
    "start",
    "stop",
]


def send(stack: dict[str, Any], message: EmailMessage) -> None:
    with smtplib.SMTP(stack["smtp_host"], stack["smtp_port"], timeout=30) as smtp:
        smtp.send_message(message)


def mail(
    subject: str, body: str, sender: str = "Jane Doe <jane.doe@customer.example>", **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def outbox(stack: dict[str, Any], contains: str, count: int = 1, seconds: float = 30) -> list[Message]:
    """The outbox's mails whose subject contains ``contains``, once there are ``count`` of them."""
    deadline = time.monotonic() + seconds
    while True:
        found = [
            message_from_bytes(path.read_bytes(), policy=default_policy)
            for path in sorted(Path(stack["outbox_dir"]).glob("*.eml"))
        ]
        matching = [m for m in found if contains in str(m["Subject"])]
        if len(matching) >= count or time.monotonic() > deadline:
            return matching
        time.sleep(0.25)


def api(stack: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    address = urlsplit(stack["api_url"])
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    connection.request(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"Bearer {stack['admin_token']}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert 200 <= response.status < 300, document
    return document


def ref_of(message: Message) -> str:
    match = re.search(r"\[#([A-Z0-9]{4}-[A-Z0-9]{4})\]", str(message["Subject"]))
    assert match, message["Subject"]
    return match.group(1)
