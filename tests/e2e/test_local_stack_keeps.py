"""The local stack as a desk left running for a week: its data survives stops, starts and a kill -9
(no mail SMTP accepted is lost, none is handled twice), it stops clean every time, it runs on one clock,
its SMTP door is as lenient as SES's, and TTL removes what retention says is gone."""

from __future__ import annotations

import json
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.stack import (
    CHECKOUT,
    alive,
    api,
    clean_environment,
    kill_all,
    launch,
    mail,
    outbox,
    ref_of,
    send,
    start,
    stop,
)

pytestmark = pytest.mark.e2e


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _processes_of(state_dir: Path) -> list[int]:
    """Every live process that belongs to the stack of ``state_dir`` (its clock file is in the
    environment of each: the stack, moto and the API)."""
    marker = str(state_dir / "clock.json").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if (marker in environment or str(state_dir).encode() in command) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _postdesk(state_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "postdesk_tools.cli", *arguments],
        cwd=CHECKOUT,
        env=clean_environment(state_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _wait(condition: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def _aws(info: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=info["endpoint_url"],
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_everything_survives_a_stop_and_a_start(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    # A customer writes; an admin writes a saved reply; the clock moves an hour
    send(info, mail("Parcel 1 missing", "Hello,\n\nmy parcel 1 did not arrive. Can you check?\n\nJane"))
    (ack,) = outbox(info, "Parcel 1 missing")
    ref = ref_of(ack)
    api(
        info,
        "POST",
        "/saved-replies",
        {"title": "Refund", "body": "We refunded it, {{ customer.first_name }}."},
    )
    assert _postdesk(state, "local", "advance", "1h").returncode == 0
    schedules = _aws(info, "scheduler").list_schedules()["Schedules"]
    assert [s["Name"] for s in schedules if ref in s["Name"]]
    stop(process, state)

    # Everything is there after a start: ticket, thread, raw mail, the agent and token, the saved
    # reply, the schedules, the clock, the outbox
    process, again = start(state)
    try:
        assert again["admin_token"] == info["admin_token"]
        ticket = api(again, "GET", f"/tickets/{ref}")
        assert [m["kind"] for m in ticket["thread"]] == ["customer", "acknowledgement"]
        objects = _aws(again, "s3").list_objects_v2(Bucket="local-mail", Prefix="inbound/")["Contents"]
        assert len(objects) == 1
        assert [r["title"] for r in api(again, "GET", "/saved-replies")["saved_replies"]] == ["Refund"]
        assert [s["Name"] for s in _aws(again, "scheduler").list_schedules()["Schedules"]] == [
            s["Name"] for s in schedules
        ]
        status = json.loads(_postdesk(state, "local", "status").stdout)
        assert status["offset_seconds"] == 3600
        # The acknowledgement and the first admin's invitation, each once
        assert len(list(Path(again["outbox_dir"]).glob("*.eml"))) == 2
        assert again["admin_temporary_password"] == info["admin_temporary_password"]
        # And the desk goes on: the customer's answer joins the ticket
        send(again, mail(f"Re: {ack['Subject']}", "Any news?", In_Reply_To=str(ack["Message-ID"])))
        assert _wait(lambda: len(api(again, "GET", f"/tickets/{ref}")["thread"]) == 3)
        # and the outbox's numbers go on from where they were, so that they still tell the order
        api(again, "POST", f"/tickets/{ref}/replies", {"body": "It is on its way."})
        assert len(outbox(again, "Re:", count=1)) == 1
        numbers = sorted(path.name.split("-")[1] for path in Path(again["outbox_dir"]).glob("*.eml"))
        assert numbers == ["0001", "0002", "0003"]
    finally:
        stop(process, state)


def test_a_kill_minus_9_loses_no_accepted_mail_and_doubles_none(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    pids = [int(info["pid"]), int(info["moto_pid"]), int(info["api_pid"])]
    # Thirty customers write at once; every process of the stack is killed while their mail is in
    # flight, right after the last 250
    messages = []
    for number in range(30):
        message = mail(
            f"Order {number} lost",
            f"Hello,\n\nmy order {number} never came.\n\nC{number}",
            sender=f"Customer {number} <customer{number}@shop.example>",
        )
        message["Message-ID"] = make_msgid(domain="shop.example")
        messages.append(message)
    with smtplib.SMTP(info["smtp_host"], info["smtp_port"], timeout=30) as smtp:
        for message in messages:
            smtp.send_message(message)
    kill_all(process, info)
    assert not any(alive(pid) for pid in pids)

    process, again = start(state)
    try:
        # The spool lets go of a mail once ingest has made it ticket state
        def settled() -> bool:
            return not list((state / "spool").glob("*.json"))

        assert _wait(settled, 120), sorted(path.name for path in (state / "spool").rglob("*"))
        assert list((state / "spool" / "dead").iterdir()) == []
        # Every mail is on exactly one ticket
        tickets = api(again, "GET", "/tickets?limit=100")["tickets"]
        assert sorted(t["subject"] for t in tickets) == sorted(str(m["Subject"]) for m in messages)
        # No customer is acknowledged twice. An acknowledgement whose sending was cut off between its
        # claim and SES's answer is not sent again (nobody can know whether SES sent it): its ticket
        # says so, for an agent to see
        acks = outbox(again, "lost", count=len(messages), seconds=3)
        acknowledged = Counter(parseaddr(str(a["To"]))[1] for a in acks)
        assert set(acknowledged.values()) <= {1}
        for ticket in tickets:
            if ticket["requester"]["email"] not in acknowledged:
                kinds = [e["kind"] for e in api(again, "GET", f"/tickets/{ticket['ref']}")["events"]]
                assert "ack_unconfirmed" in kinds, (ticket, kinds)
        # Each of the four ingest workers can be cut off in one sending at most
        assert len(acknowledged) >= len(messages) - 4
    finally:
        stop(process, state)


def test_a_change_the_api_confirmed_survives_a_kill_minus_9(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    send(info, mail("Refund please", "Hello,\n\nplease refund order 5."))
    ref = ref_of(outbox(info, "Refund please")[0])
    ticket = api(info, "GET", f"/tickets/{ref}")["ticket"]
    changed = api(info, "PATCH", f"/tickets/{ref}", {"version": ticket["version"], "priority": "urgent"})
    assert changed["ticket"]["priority"] == "urgent"
    kill_all(process, info)

    process, again = start(state)
    try:
        assert api(again, "GET", f"/tickets/{ref}")["ticket"]["priority"] == "urgent"
    finally:
        stop(process, state)


def test_twenty_starts_and_stops_leave_no_process_and_no_port(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    ports = tuple(_free_ports(3))
    started = 0
    for cycle in range(20):
        how = signal.SIGTERM if cycle % 2 else signal.SIGINT
        if cycle % 5 == 4:
            # Stopped while it starts up
            process = launch(state, ports)  # type: ignore[arg-type]
            time.sleep(random.uniform(0.2, 2.0))
            process.send_signal(how)
            process.wait(timeout=90)
        else:
            process, info = start(state, ports)  # type: ignore[arg-type]
            assert (info["smtp_port"], info["api_port"], info["moto_port"]) == ports
            started += 1
            stop(process, state, how)
        assert _wait(lambda: not _processes_of(state), 20), (cycle, _processes_of(state))
        assert [port for port in ports if _port_taken(port)] == [], cycle
    assert started == 16

    # After a kill -9 of every process, the next start clears what was left and takes the same ports
    process, info = start(state, ports)  # type: ignore[arg-type]
    kill_all(process, info)
    process, again = start(state, ports)  # type: ignore[arg-type]
    try:
        assert (again["smtp_port"], again["api_port"], again["moto_port"]) == ports
    finally:
        stop(process, state)
    assert _wait(lambda: not _processes_of(state), 20)


def test_every_part_of_the_stack_follows_the_clock(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    try:
        assert _postdesk(state, "local", "advance", "25h").returncode == 0
        ahead = datetime.now(UTC) + timedelta(hours=25)
        send(info, mail("Printer on fire", "Hello,\n\nthe label printer is broken since this morning."))
        (ack,) = outbox(info, "Printer on fire")
        ticket = api(info, "GET", f"/tickets/{ref_of(ack)}")

        def near(text: str | datetime) -> bool:
            moment = (
                text if isinstance(text, datetime) else datetime.fromisoformat(text.replace("Z", "+00:00"))
            )
            return abs((moment - ahead).total_seconds()) < 120

        # The SES event's timestamp (the ticket's creation and its first message), the
        # acknowledgement's Date, the SLA due times, and the report's "today"
        assert near(ticket["ticket"]["created_at"]) and near(ticket["thread"][0]["at"])
        assert near(parsedate_to_datetime(str(ack["Date"])))
        due = datetime.fromisoformat(ticket["ticket"]["sla"]["next_due"].replace("Z", "+00:00"))
        assert due > ahead
        report = json.loads(_postdesk(state, "report", "--since", "1d", "--json").stdout)
        assert report["volume"]["total"] == 1
    finally:
        stop(process, state)


def _smtp_session(info: dict[str, Any], commands: list[bytes]) -> list[bytes]:
    """A raw SMTP session (no client that fixes line endings): each command's reply."""
    with socket.create_connection((info["smtp_host"], info["smtp_port"]), timeout=30) as connection:
        stream = connection.makefile("rwb")

        def reply() -> bytes:
            lines = []
            while True:
                line = stream.readline()
                lines.append(line)
                if len(line) < 4 or line[3:4] != b"-":
                    return b"".join(lines)

        replies = [reply()]
        for command in commands:
            stream.write(command)
            stream.flush()
            replies.append(reply())
        return replies


def test_smtp_takes_what_ses_takes_and_refuses_what_ses_refuses(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    try:
        # Bare-LF line endings, a mail over 1,001 bytes, a line of 5,000 characters: accepted
        body = b"Hello,\n" + b"the box arrived broken. " * 60 + b"\n" + b"x" * 5000 + b"\nJane\n"
        raw = (
            b"From: Jane <jane.doe@customer.example>\nTo: support@example.com\n"
            b"Subject: Bare LF and a long line\nMessage-ID: <bare.lf@customer.example>\n\n" + body
        )
        replies = _smtp_session(
            info,
            [
                b"EHLO client.example\r\n",
                b"MAIL FROM:<jane.doe@customer.example>\r\n",
                b"RCPT TO:<support@example.com>\r\n",
                b"DATA\r\n",
                raw + b"\r\n.\r\n",
                b"QUIT\r\n",
            ],
        )
        assert replies[5].startswith(b"250 "), replies
        (ack,) = outbox(info, "Bare LF and a long line")
        ticket = api(info, "GET", f"/tickets/{ref_of(ack)}?full=true")
        assert "x" * 5000 in ticket["thread"][0]["text"]

        # A recipient of another domain, and a mail over 40 MB: refused with SES's reasons
        refused = _smtp_session(
            info,
            [
                b"EHLO client.example\r\n",
                b"MAIL FROM:<jane.doe@customer.example>\r\n",
                b"RCPT TO:<someone@elsewhere.example>\r\n",
                b"QUIT\r\n",
            ],
        )
        assert refused[3].startswith(b"550 5.1.1"), refused
        with smtplib.SMTP(info["smtp_host"], info["smtp_port"], timeout=60) as smtp:
            huge = EmailMessage()
            huge["From"], huge["To"], huge["Subject"] = (
                "jane.doe@customer.example",
                "support@example.com",
                "big",
            )
            huge.set_content("y" * (41 * 1024 * 1024))
            with pytest.raises(smtplib.SMTPException) as too_big:
                smtp.send_message(huge)
        assert "552" in str(too_big.value)
    finally:
        stop(process, state)


def test_ttl_removes_a_closed_ticket_once_its_retention_ran_out(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    try:
        send(info, mail("Closed soon", "Hello,\n\nthanks, all good now."))
        ref = ref_of(outbox(info, "Closed soon")[0])
        version = api(info, "GET", f"/tickets/{ref}")["ticket"]["version"]
        version = api(info, "PATCH", f"/tickets/{ref}", {"version": version, "status": "resolved"})["ticket"][
            "version"
        ]
        api(info, "PATCH", f"/tickets/{ref}", {"version": version, "status": "closed"})
        tables = _aws(info, "dynamodb")
        tickets_table = next(
            name for name in tables.list_tables()["TableNames"] if name.endswith("TicketsTable")
        )
        assert "Item" in tables.get_item(TableName=tickets_table, Key={"ref": {"S": ref}})

        # Retention is 730 days: two years later the item itself is gone from the table
        for _ in range(2):
            assert _postdesk(state, "local", "advance", "366d").returncode == 0
        assert "Item" not in tables.get_item(TableName=tickets_table, Key={"ref": {"S": ref}})
    finally:
        stop(process, state)


def test_a_desk_an_older_version_made_gets_its_first_admin_an_account(tmp_path: Path) -> None:
    state = tmp_path / "desk"
    process, info = start(state)
    stop(process, state)
    # As an older version left it: no user pool, no sessions or access audit, an admin with an API
    # token only (what it made before people signed in)
    desk_file = state / "desk.json"
    desk = json.loads(desk_file.read_text())
    for name in list(desk["environment"]):
        if name in (
            "POSTDESK_USER_POOL_ID",
            "POSTDESK_USER_POOL_CLIENT_ID",
            "POSTDESK_JWKS_URL",
            "POSTDESK_SESSIONS_TABLE",
            "POSTDESK_ACCESS_AUDIT_TABLE",
            "POSTDESK_SESSION_DAYS",
        ):
            del desk["environment"][name]
    del desk["admin_temporary_password"]
    desk_file.write_text(json.dumps(desk))

    process, again = start(state)
    try:
        pool = again["environment"]["POSTDESK_USER_POOL_ID"]
        assert pool and pool != info["environment"]["POSTDESK_USER_POOL_ID"]
        assert again["admin_token"] == info["admin_token"]
        password = again["admin_temporary_password"]
        assert password and password != info["admin_temporary_password"]
        user = _aws(again, "cognito-idp").admin_get_user(UserPoolId=pool, Username=again["admin_email"])
        assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        # The renewed invitation is in the outbox, with the new password
        invitations = outbox(again, "Your account on", count=2)
        assert len(invitations) == 2
        assert password in invitations[-1].get_body(preferencelist=("plain",)).get_content()
        # And the agent's API token still works
        assert api(again, "GET", "/me")["email"] == again["admin_email"]
    finally:
        stop(process, state)
