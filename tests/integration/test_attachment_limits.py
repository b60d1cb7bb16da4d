"""What was not extracted is visible, and attachment names are safe to show and to download: a mail
with 2,000 attachments keeps 100 on the ticket and says how many only the raw mail holds (event, flag,
link to the raw mail); names lose bidirectional and other format characters; downloads are named by
RFC 6266 so a Japanese name downloads as itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from chalice.test import Client

from postdesk.mail.filenames import content_disposition, neutral_filename
from postdesk.mail.parse import parse_message
from tests.integration.conftest import Desk, auth
from tests.integration.test_openapi import _check
from tests.mails import mail_with_attachments


def _ticket(client: Client, token: str, ref: str) -> Any:
    return _check(client.http.get(f"/tickets/{ref}", headers=auth(token)), "/tickets/{ref}", "get")


def test_two_thousand_attachments_keep_a_hundred_and_say_the_rest(
    desk: Desk, client: Client, token: str
) -> None:
    raw = mail_with_attachments([f"page-{n:04d}.pdf" for n in range(2000)])
    assert parse_message(raw).not_extracted == 1900

    ref = desk.deliver(raw).ref

    shown = _ticket(client, token, ref)
    first = shown["thread"][0]
    assert len(first["attachments"]) == 100
    assert first["attachments_not_extracted"] == 1900
    (event,) = [e for e in shown["events"] if e["kind"] == "attachments_not_extracted"]
    assert event["detail"]["count"] == "1900" and event["detail"]["kept"] == "100"
    assert event["detail"]["message"] == "1,900 attachments not extracted; the raw mail holds them"
    # The raw mail, whole, one click away.
    download = requests.get(first["raw_url"], timeout=10)
    assert download.status_code == 200 and download.content == raw
    assert download.headers["Content-Disposition"].startswith('attachment; filename="')
    assert ".eml" in download.headers["Content-Disposition"]


def test_a_mail_within_the_limits_says_nothing_was_left_out(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(mail_with_attachments(["one.pdf", "two.pdf"])).ref

    first = _ticket(client, token, ref)["thread"][0]

    assert first["attachments_not_extracted"] == 0 and len(first["attachments"]) == 2
    assert not [e for e in _ticket(client, token, ref)["events"] if e["kind"] == "attachments_not_extracted"]


def test_names_are_neutralised_and_downloads_are_named_by_rfc_6266(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(
        mail_with_attachments(["見積書.pdf", "invoice\u202egpj.exe", "a\u200bb\ufeff\u2066c.pdf"])
    ).ref

    first = _ticket(client, token, ref)["thread"][0]
    names = [attachment["filename"] for attachment in first["attachments"]]

    assert names == ["見積書.pdf", "invoicegpj.exe", "abc.pdf"]
    japanese = first["attachments"][0]["url"]
    disposition = parse_qs(urlsplit(japanese).query)["response-content-disposition"][0]
    assert disposition == "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf"
    download = requests.get(japanese, timeout=10)
    assert download.status_code == 200 and download.content == "見積書.pdf".encode()
    served = download.headers["Content-Disposition"]
    assert unquote(served.split("filename*=UTF-8''")[1]) == "見積書.pdf"


def test_content_disposition_keeps_the_header_ascii_and_the_name_whole() -> None:
    assert content_disposition('quote"back\\slash%.txt') == (
        "attachment; filename=\"quote_back_slash_.txt\"; filename*=UTF-8''quote%22back%5Cslash%25.txt"
    )
    assert content_disposition("\u202e") == "attachment; filename=\"download\"; filename*=UTF-8''download"
    assert content_disposition("rapport été.pdf").isascii()
    assert neutral_filename("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert neutral_filename("line\u2028break\x00.txt") == "linebreak.txt"
