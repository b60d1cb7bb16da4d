"""Files agents send: uploaded from the browser straight to S3 with a presigned POST, named by id in a
reply or a new ticket, checked by their content, carried in the MIME, shown in the thread, kept under
the ticket's folder (so erasure and the bucket's lifecycle take them with it), and sent once however
often the request comes. A customer's attachment is sent on by its id, without an upload."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.policy import SMTP
from typing import Any

import pytest
import requests
from chalice.test import Client
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from postdesk import runtime
from postdesk.aws.s3 import S3BlobStore
from postdesk.errors import DuplicateRequest
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk_tools.provision import template
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_least_privilege import ses_refuses
from tests.integration.test_openapi import _check
from tests.mails import build_mail

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)


def _customer_mail(filename: str, data: bytes, content_type: str = "application/pdf") -> bytes:
    """Jane's mail with one file."""
    message = EmailMessage(policy=SMTP)
    message["From"] = "Jane Doe <jane.doe@customer.example>"
    message["To"] = "support@example.com"
    message["Subject"] = "The contract"
    message["Message-ID"] = f"<{filename}.1@customer.example>"
    message.set_content("Hello, the file is attached.\n\nJane")
    maintype, subtype = content_type.split("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _blobs(desk: Desk) -> S3BlobStore:
    return S3BlobStore(desk.settings.mail_bucket, desk.settings.region)


def _announce(client: Client, token: str, filename: str, size: int, content_type: str = "") -> Any:
    return client.http.post(
        "/attachments",
        headers=auth(token),
        body=json.dumps({"filename": filename, "size": size, "content_type": content_type}),
    )


def upload(client: Client, token: str, filename: str, data: bytes, content_type: str = "") -> str:
    """What the console does: announce the file, then POST it with the presigned form."""
    form = _check(_announce(client, token, filename, len(data), content_type), "/attachments", "post")
    posted = requests.post(form["url"], data=form["fields"], files={"file": (filename, data)}, timeout=10)
    assert posted.status_code == 204, posted.text
    return str(form["id"])


def _reply(client: Client, token: str, ref: str, key: str, **fields: Any) -> Any:
    document = {"body": "Hello Jane,\n\nthe report and the photo are attached.", **fields}
    return client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": key},
        body=json.dumps(document),
    )


def _files(message: Message) -> list[tuple[str | None, str, bytes]]:
    """(name, type, bytes) of every attachment part of a mail."""
    assert isinstance(message, EmailMessage)
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))  # type: ignore[misc]
        for part in message.iter_attachments()
    ]


def _kept(desk: Desk, ref: str) -> list[str]:
    return _blobs(desk).keys_under(f"{desk.settings.attachments_prefix}{ref}/")


def test_an_uploaded_file_goes_out_in_the_reply_with_its_type_and_clean_name(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a customer's ticket, and two files the agent uploaded from the browser
    ref = desk.deliver(build_mail()).ref
    report = upload(client, token, "C:\\Users\\sam\\Q3 report\u202e.pdf", PDF, "application/pdf")
    photo = upload(client, token, "photo.png", PNG, "image/png")

    # When the agent replies with them
    answer = _reply(client, token, ref, "reply-with-files", attachments=[report, photo])

    # Then the mail carries both, under their cleaned names and the types their content has
    message = _check(answer, "/tickets/{ref}/replies", "post")["message"]
    mail = desk.sent()[-1]
    assert mail.message.get_content_type() == "multipart/mixed"
    assert _files(mail.message) == [
        ("Q3 report.pdf", "application/pdf", PDF),
        ("photo.png", "image/png", PNG),
    ]
    # And the thread shows them with their id and a download link, as it shows a customer's
    assert [(a["filename"], a["content_type"], a["size"]) for a in message["attachments"]] == [
        ("Q3 report.pdf", "application/pdf", len(PDF)),
        ("photo.png", "image/png", len(PNG)),
    ]
    ticket = _check(client.http.get(f"/tickets/{ref}", headers=auth(token)), "/tickets/{ref}", "get")
    (shown,) = [m for m in ticket["thread"] if m["kind"] == "agent_reply"]
    assert [a["id"] for a in shown["attachments"]] == [a["id"] for a in message["attachments"]]
    assert all(a["id"].startswith("at_") and a["url"].startswith("https://") for a in shown["attachments"])
    # And copies are kept under the ticket's folder, where erasure and retention find them
    kept = _kept(desk, ref)
    assert len(kept) == 2 and all(key.startswith(f"attachments/{ref}/sent-") for key in kept)
    assert sorted(_blobs(desk).get(key) for key in kept) == sorted([PDF, PNG])


def test_a_customers_attachment_is_sent_on_without_uploading_it_again(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a customer's mail with a PDF on the ticket
    ref = desk.deliver(_customer_mail("invoice-118.pdf", PDF)).ref
    ticket = _check(client.http.get(f"/tickets/{ref}", headers=auth(token)), "/tickets/{ref}", "get")
    (attached,) = [a for m in ticket["thread"] for a in m["attachments"]]
    before = _kept(desk, ref)

    # When the agent sends it on in a reply, by its id
    answer = _reply(client, token, ref, "send-it-on", attachments=[attached["id"]])

    # Then the mail carries the customer's file, and the ticket keeps it once (no copy was made)
    message = _check(answer, "/tickets/{ref}/replies", "post")["message"]
    ((name, content_type, data),) = _files(desk.sent()[-1].message)
    assert (name, content_type) == ("invoice-118.pdf", "application/pdf")
    assert data == PDF
    assert [a["id"] for a in message["attachments"]] == [attached["id"]]
    assert _kept(desk, ref) == before


def test_a_new_ticket_carries_files_and_a_refused_file_leaves_no_ticket_behind(
    desk: Desk, client: Client, token: str
) -> None:
    def start(key: str, files: list[str]) -> Any:
        document = {
            "requester": {"email": "lena.vogel@customer.example", "name": "Lena Vogel"},
            "subject": "Your quote",
            "body": "Hello Lena,\n\nthe quote is attached.",
            "attachments": files,
        }
        return client.http.post(
            "/tickets", headers={**auth(token), "Idempotency-Key": key}, body=json.dumps(document)
        )

    # When an agent starts a ticket with a program named as a PDF
    program = upload(client, token, "quote.pdf", WINDOWS_PROGRAM)
    refused = start("refused", [program])

    # Then it is refused in words, and neither a ticket nor a mail is left
    assert refused.status_code == 400, refused.body
    assert "quote.pdf is a Windows program" in body_of(refused)["message"]
    assert desk.sent() == []
    assert body_of(client.http.get("/tickets?status=new,open,pending", headers=auth(token)))["tickets"] == []

    # When they start it with the real quote
    quote = upload(client, token, "quote.pdf", PDF)
    started = _check(start("started", [quote]), "/tickets", "post")

    # Then the first mail carries it, and the ticket keeps it
    assert _files(desk.sent()[-1].message) == [("quote.pdf", "application/pdf", PDF)]
    assert [a["filename"] for a in started["message"]["attachments"]] == ["quote.pdf"]
    assert len(_kept(desk, started["ticket"]["ref"])) == 1


@pytest.fixture
def small_limits(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits small enough to go over with a few bytes: 100 per file, 150 per mail, 3 files."""
    monkeypatch.setenv("POSTDESK_ATTACHMENT_MAX_FILE_BYTES", "100")
    monkeypatch.setenv("POSTDESK_ATTACHMENT_MAX_MAIL_BYTES", "150")
    monkeypatch.setenv("POSTDESK_ATTACHMENT_MAX_FILES", "3")
    runtime.reset_runtime()


def test_files_that_cannot_go_are_refused_in_words_and_nothing_is_sent(
    desk: Desk, client: Client, token: str, small_limits: None
) -> None:
    ref = desk.deliver(build_mail()).ref
    acknowledged = len(desk.sent())
    small = PDF.ljust(60, b" ")
    # A file S3 took although it is over the limit (the local stack does not hold S3 to it): the
    # desk still refuses it when a mail uses it.
    form = _check(_announce(client, token, "big.pdf", 90), "/attachments", "post")
    requests.post(form["url"], data=form["fields"], files={"file": ("big.pdf", PDF + bytes(80))}, timeout=10)
    cases: list[tuple[list[str], int, str]] = [
        (["up_0123456789abcdef_0123456789abcdef0123456789abcdef"], 400, "No upload has the id"),
        (["at_0123456789abcdef0123456789abcdef"], 400, "The ticket's thread has no file with the id"),
        (["../../etc/passwd"], 400, "is not an attachment id"),
        (
            [_check(_announce(client, token, "later.pdf", 10), "/attachments", "post")["id"]],
            400,
            "later.pdf has not finished uploading",
        ),
        (
            [upload(client, token, "invoice.pdf", WINDOWS_PROGRAM[:80])],
            400,
            "invoice.pdf is a Windows program",
        ),
        ([upload(client, token, "scan.pdf", PNG)], 400, "scan.pdf is a PNG image, not a PDF document"),
        ([upload(client, token, "notes.txt", b"#!/bin/sh\nrm -rf ~\n")], 400, "programs and scripts"),
        ([upload(client, token, f"{n}.pdf", small) for n in range(4)], 400, "at most 3 files"),
        ([form["id"]], 413, "files may be at most 100 bytes"),
        ([upload(client, token, f"part-{n}.pdf", small) for n in range(3)], 413, "more than 150 bytes"),
    ]
    one = upload(client, token, "one.pdf", small)
    cases.append(([one, one], 400, "named twice"))
    for index, (files, status, words) in enumerate(cases):
        answer = _reply(client, token, ref, f"refused-{index}", attachments=files)
        assert answer.status_code == status, (words, answer.body)
        assert words in body_of(answer)["message"], answer.body
        _check(answer, "/tickets/{ref}/replies", "post")
    # Nothing went out, nothing was kept for the ticket
    assert len(desk.sent()) == acknowledged
    assert _kept(desk, ref) == []
    # And the same file alone fits and goes
    assert _reply(client, token, ref, "fits", attachments=[one]).status_code == 201


@pytest.mark.parametrize(
    ("filename", "size", "content_type", "status", "words"),
    [
        ("setup.exe", 10, "application/x-msdownload", 400, ".exe files"),
        ("invoice.pdf", 10, "application/x-msdownload", 400, "program, script or web page"),
        ("page.html", 10, "text/html", 400, ".html files"),
        ("big.pdf", 101, "application/pdf", 413, "files may be at most 100 bytes"),
        ("empty.pdf", 0, "application/pdf", 400, "at least 1"),
        ("   ", 10, "", 400, "filename must not be empty"),
    ],
)
def test_a_file_the_desk_would_not_send_gets_no_upload_form(
    desk: Desk,
    client: Client,
    token: str,
    small_limits: None,
    filename: str,
    size: int,
    content_type: str,
    status: int,
    words: str,
) -> None:
    answer = _announce(client, token, filename, size, content_type)
    assert answer.status_code == status, answer.body
    assert words in body_of(answer)["message"]
    _check(answer, "/attachments", "post")
    assert _blobs(desk).keys_under("uploads/") == []


def test_the_limits_are_said_before_an_upload(
    desk: Desk, client: Client, token: str, small_limits: None
) -> None:
    limits = _check(client.http.get("/attachments/limits", headers=auth(token)), "/attachments/limits", "get")
    assert (limits["max_file_bytes"], limits["max_mail_bytes"], limits["max_files"]) == (100, 150, 3)
    assert {"pdf", "png", "docx", "zip", "txt"} <= set(limits["extensions"])
    assert not {"exe", "js", "html", "svg"} & set(limits["extensions"])


def test_the_same_request_sends_once_and_copies_once(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    report = upload(client, token, "report.pdf", PDF)
    before = len(desk.sent())

    # SES refuses the first attempt (the file was copied already); the retry goes out
    with ses_refuses(desk):
        assert _reply(client, token, ref, "once", attachments=[report]).status_code >= 500
    assert len(desk.sent()) == before
    copies = _kept(desk, ref)
    assert _reply(client, token, ref, "once", attachments=[report]).status_code == 201
    # The same request again, and twice at once: nothing more is sent or copied
    assert _reply(client, token, ref, "once", attachments=[report]).status_code == 409
    with ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(lambda _: _reply(client, token, ref, "once", attachments=[report]).status_code, range(2))
        )
    assert statuses == [409, 409]
    assert len(desk.sent()) == before + 1 and _kept(desk, ref) == copies and len(copies) == 1


class _CrashAfterCopy:
    """The blob store of a function that dies right after it copied the first file."""

    def __init__(self, blobs: Any) -> None:
        self._blobs = blobs

    def get(self, key: str) -> bytes:
        data: bytes = self._blobs.get(key)
        return data

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._blobs.put(key, data, content_type)
        raise SystemExit("crash after the copy")


def test_two_requests_at_once_and_a_crash_after_the_copy_send_once(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    report = upload(client, token, "report.pdf", PDF)
    photo = upload(client, token, "photo.png", PNG)
    reply = AgentReply(
        ref=ref,
        agent_email="sam@example.com",
        agent_name="Sam Lee",
        body="The files.",
        request_id="crashing",
        attachments=(report, photo),
    )
    before = len(desk.sent())

    # The function dies after the first copy: nothing is sent
    with pytest.raises(SystemExit):
        send_reply(reply, desk.settings, replace(desk.ports, blobs=_CrashAfterCopy(desk.ports.blobs)))
    assert len(desk.sent()) == before and len(_kept(desk, ref)) == 1

    # Lambda runs it again, twice at once: one mail, each file kept once
    def attempt(_: int) -> str:
        try:
            send_reply(reply, desk.settings, desk.ports)
        except DuplicateRequest:
            return "duplicate"
        return "sent"

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(attempt, range(2))) == ["duplicate", "sent"]
    assert len(desk.sent()) == before + 1
    assert len(_kept(desk, ref)) == 2
    assert [name for name, _, _ in _files(desk.sent()[-1].message)] == ["report.pdf", "photo.png"]


def test_erasure_removes_the_files_sent_with_the_ticket(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given a reply that carried an uploaded file and one of the customer's
    ref = desk.deliver(_customer_mail("contract.pdf", PDF)).ref
    ticket = _check(client.http.get(f"/tickets/{ref}", headers=auth(token)), "/tickets/{ref}", "get")
    (attached,) = [a["id"] for m in ticket["thread"] for a in m["attachments"]]
    report = upload(client, token, "report.pdf", PDF)
    assert _reply(client, token, ref, "before-erasure", attachments=[report, attached]).status_code == 201
    assert len(_kept(desk, ref)) == 2

    # When the customer is erased
    erased = client.http.post(
        "/privacy/erasures",
        headers=auth(admin_token),
        body=json.dumps({"email": "jane.doe@customer.example", "confirm": True}),
    )

    # Then nothing is kept under the ticket's folder
    assert _check(erased, "/privacy/erasures", "post")["erasure"]["removed"]["tickets"] == 1
    assert _kept(desk, ref) == []


def _lifecycle_sweep(desk: Desk, now: datetime) -> None:
    """What S3 does with the bucket's lifecycle rules of infra/template.json (moto never does): an
    object older than its rule's days is deleted. The rules' days are the template's defaults."""
    defaults = {name: p.get("Default") for name, p in template()["Parameters"].items()}
    rules = template()["Resources"]["MailBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets[desk.settings.mail_bucket]
    expiring = []
    for rule in rules:
        days = rule.get("ExpirationInDays")
        if days is None:
            continue
        days = int(defaults[days["Ref"]]) if isinstance(days, dict) else int(days)
        expiring.append((rule["Prefix"], days))
    doomed = [
        name
        for name, key in bucket.keys.items()
        for prefix, days in expiring
        if name.startswith(prefix) and key.last_modified.replace(tzinfo=UTC) + timedelta(days=days) <= now
    ]
    _blobs(desk).delete_keys(doomed)


def test_retention_removes_the_files_with_the_tickets_mail_and_unused_uploads_after_a_day(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a reply with a file, and an upload no mail used
    ref = desk.deliver(build_mail()).ref
    report = upload(client, token, "report.pdf", PDF)
    upload(client, token, "never-sent.pdf", PDF)
    assert _reply(client, token, ref, "kept-for-a-while", attachments=[report]).status_code == 201
    now = datetime.now(UTC)

    # A day later the uploads are gone; what the ticket keeps stays
    _lifecycle_sweep(desk, now + timedelta(days=1, minutes=1))
    assert _blobs(desk).keys_under("uploads/") == []
    assert len(_kept(desk, ref)) == 1

    # When the attachments' retention has passed, the ticket's copy is gone with its mail
    days = int(template()["Parameters"]["AttachmentRetentionDays"]["Default"])
    _lifecycle_sweep(desk, now + timedelta(days=days, minutes=1))
    assert _kept(desk, ref) == []
