"""Running the local stack as a person does (`postdesk local`, its own processes) and talking to it
as a person's tools do: SMTP in, HTTP, the outbox folder. Shared by the local stack's e2e tests."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHECKOUT = Path(__file__).resolve().parents[2]
START_SECONDS = 90


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone but for its exit status.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def clean_environment(state_dir: Path) -> dict[str, str]:
    """The environment of a person's shell: no desk named, the stack found through its folder."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_") and k != "AWS_ENDPOINT_URL"
    }
    environment["POSTDESK_LOCAL_DIR"] = str(state_dir)
    return environment


def launch(state_dir: Path, ports: tuple[int, int, int] = (0, 0, 0)) -> subprocess.Popen[bytes]:
    """`postdesk local` on ``state_dir`` with (SMTP, API, moto) ``ports`` (0: any free one)."""
    smtp_port, api_port, moto_port = ports
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "postdesk_tools.cli",
            "local",
            "--state-dir",
            str(state_dir),
            "--smtp-port",
            str(smtp_port),
            "--api-port",
            str(api_port),
            "--moto-port",
            str(moto_port),
        ],
        cwd=CHECKOUT,
        env=clean_environment(state_dir),
        # A file, not a pipe: nobody reads a pipe while the stack runs, and a full one would stop it.
        stdout=output_file(state_dir).open("ab"),
        stderr=subprocess.STDOUT,
    )


def output_file(state_dir: Path) -> Path:
    """Where the stack launched on ``state_dir`` writes what it prints."""
    return state_dir.parent / f"{state_dir.name}.out"


def start(
    state_dir: Path, ports: tuple[int, int, int] = (0, 0, 0)
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Launch the stack and wait until it says where everything is."""
    process = launch(state_dir, ports)
    info_file = state_dir / "local.json"
    deadline = time.monotonic() + START_SECONDS
    # A killed stack leaves its local.json behind: wait for the one this process writes.
    while (info := _info_of(info_file)) is None or info.get("pid") != process.pid:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = output_file(state_dir).read_text(errors="replace")
            raise AssertionError(f"the local stack did not start:\n{output[-3000:]}")
        time.sleep(0.2)
    return process, info


def _info_of(info_file: Path) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = json.loads(info_file.read_text())
    except (OSError, ValueError):
        return None
    return info


def stop(process: subprocess.Popen[bytes], state_dir: Path, how: int = signal.SIGTERM) -> str:
    """Stop the stack as Ctrl-C (SIGINT) or a service manager (SIGTERM) does; what it printed."""
    process.send_signal(how)
    process.wait(timeout=90)
    return output_file(state_dir).read_text(errors="replace")


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
