"""A requester's rights on moto: the export holds everything the desk keeps about an address, and
after an erasure nothing about it can be found by any path (every table scanned, every object in
the bucket read, every schedule of the group read, the API asked), while everything of another
customer is exactly as it was."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.aws.clients import client as aws_client
from postdesk.aws.scheduler import validate_at_expression
from postdesk.effects.keys import survey_schedule as schedule_name
from postdesk.hygiene.suppressions import Reason, SuppressionList, address_hash
from postdesk.privacy.audit import AuditLog
from postdesk.privacy.records import TicketRecords, privacy_desk, stored_forms
from postdesk.tickets.model import MessageKind, Status, Ticket
from postdesk.workflows.ingest import PREVIEW_CHARS, AckOutcome
from postdesk.workflows.mail_feedback import handle_sns_message
from postdesk_tools.privacy_cli import run_privacy
from postdesk_tools.schedules import fire_due_schedules
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_openapi import _check
from tests.mails import build_mail

ERASED = "rosalind.quenby@quenby-mail.example"
ERASED_OTHER_CASE = "ROSALIND.Quenby@QUENBY-MAIL.example"
KEPT = "tobias.wirth@wirth.example"
# What would give the erased requester away: the address, its local part, the family name (in the
# display name and the domain), the SHA-256 of the address and the 16 characters it is cut to in keys.
ERASED_NEEDLES = (
    ERASED,
    "rosalind.quenby",
    "quenby",
    address_hash(ERASED),
    address_hash(ERASED)[:16],
)
LONG_LINE = "Error 0x80070005 at step {n}: the label printer refused the job and logged it again.\n"
PDF = b"%PDF-1.4 a photo of the broken box"


@pytest.fixture
def clocked(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """The API and the scheduled functions run on the desk's clock."""
    runtime.use_clock(desk.now)
    runtime.reset_runtime()
    yield desk


# The lives --------------------------------------------------------------------------------------


def _from(address: str, name: str) -> str:
    return f"{name} <{address}>"


def _long_request(sender: str) -> bytes:
    body = "Hello,\n\nthe order 4711 arrived broken; the printer log is below.\n\n" + "".join(
        LONG_LINE.format(n=n) for n in range(500)
    )
    raw = build_mail(sender=sender, subject="Order 4711 arrived broken", body=body)
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="box photo.pdf")
    return message.as_bytes()


def _version(client: Client, token: str, ref: str) -> int:
    version: int = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    return version


def _patch(client: Client, token: str, ref: str, status: str) -> None:
    answer = client.http.patch(
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": _version(client, token, ref), "status": status}),
    )
    assert answer.status_code == 200, answer.body


def _reply(client: Client, token: str, ref: str, text: str, key: str) -> dict[str, Any]:
    answer = client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": key},
        body=json.dumps({"body": text}),
    )
    assert answer.status_code == 201, answer.body
    message: dict[str, Any] = body_of(answer)["message"]
    return message


def _fire_survey(desk: Desk, ref: str) -> None:
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    schedule = scheduler.get_schedule(Name=schedule_name(ref, 1), GroupName=group)
    due = validate_at_expression(schedule["ScheduleExpression"])
    desk.clock_now = due + timedelta(minutes=5)
    fired = fire_due_schedules(desk.settings.region, group, desk.clock_now, prefix=schedule_name(ref, 1))
    assert [f.result["outcome"] for f in fired] == ["sent"]


def _sns(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m1", "Message": json.dumps(message)}}]
    }


def _hard_bounce(ses_id: str, recipient: str) -> dict[str, Any]:
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": recipient, "status": "5.1.1"}],
            "timestamp": "2026-11-25T12:00:00.000Z",
            "feedbackId": f"fb-{ses_id}",
        },
        "mail": {"timestamp": "2026-11-25T11:59:58.000Z", "messageId": ses_id},
    }


def _erased_customers_life(desk: Desk, client: Client, token: str, admin_token: str) -> list[str]:
    """Tickets with replies both ways, an attachment, a long text, a survey rated by mail, a note, a
    second ticket from the address in other letters, a bounce that suppresses the address, a pending
    survey and an SLA timer still waiting, an unreadable notification naming it, an export."""
    me = _from(ERASED, "Rosalind Quenby")
    # A soft bounce of a mail no ticket knows: counted on the suppression list, guarded by a hash
    unknown = _hard_bounce("0000-unknown-mail", ERASED)
    unknown["bounce"].update(bounceType="Transient", bounceSubType="MailboxFull")
    assert handle_sns_message(json.dumps(unknown), desk.ports).ref is None
    first = desk.deliver(_long_request(me), envelope_sender=ERASED)
    assert first.ack is AckOutcome.SENT
    _reply(client, token, first.ref, "Hello Rosalind, could you send the serial number?", "a-1")
    desk.deliver(
        build_mail(
            sender=me,
            subject=f"Re: [#{first.ref}] Order 4711 arrived broken",
            body="The serial number is 99-1. Rosalind",
        ),
        envelope_sender=ERASED,
    )
    _patch(client, token, first.ref, "resolved")
    _fire_survey(desk, first.ref)
    survey = desk.sent()[-1].message
    desk.deliver(
        build_mail(
            sender=me,
            subject=f"Re: {survey['Subject']}",
            body="5/5, thanks!",
            in_reply_to=survey["Message-ID"],
        ),
        envelope_sender=ERASED,
    )
    assert desk.store.get_ticket(first.ref).survey_rating == 5  # type: ignore[union-attr]

    second = desk.deliver(
        build_mail(sender=_from(ERASED_OTHER_CASE, "Rosalind Quenby"), subject="Invoice address"),
        envelope_sender=ERASED_OTHER_CASE,
    )
    _patch(client, token, second.ref, "resolved")

    third = desk.deliver(build_mail(sender=me, subject="Where is my refund?"), envelope_sender=ERASED)
    note = client.http.post(
        f"/tickets/{third.ref}/notes",
        headers={**auth(token), "Idempotency-Key": "n-1"},
        body=json.dumps({"body": "Ms Quenby called about this, she sounded upset."}),
    )
    assert note.status_code == 201, note.body
    _reply(client, token, third.ref, "Hello Rosalind, the refund went out today.", "a-2")
    (reply,) = [m for m in desk.store.thread(third.ref) if m.kind is MessageKind.AGENT_REPLY]
    assert reply.ses_id
    bounced = client.lambda_.invoke("feedback", _sns(_hard_bounce(reply.ses_id, ERASED))).payload
    assert bounced["outcomes"][0]["suppressed"] == ["***@quenby-mail.example"]

    fourth = desk.deliver(build_mail(sender=me, subject="Still no refund"), envelope_sender=ERASED)
    assert (fourth.ack, fourth.ack_reason) == (AckOutcome.SUPPRESSED, "suppression_list")
    client.lambda_.invoke("feedback", _sns({"eventType": "Bounce", "bounce": {"recipient": ERASED}}))
    exported = client.http.post(
        "/privacy/exports", headers=auth(admin_token), body=json.dumps({"email": ERASED})
    )
    assert exported.status_code == 201, exported.body
    return [first.ref, second.ref, third.ref, fourth.ref]


def _kept_customers_life(desk: Desk, client: Client, token: str, admin_token: str) -> list[str]:
    me = _from(KEPT, "Tobias Wirth")
    first = desk.deliver(_long_request(me), envelope_sender=KEPT)
    _reply(client, token, first.ref, "Hello Tobias, we are on it.", "b-1")
    desk.deliver(
        build_mail(sender=me, subject=f"Re: [#{first.ref}] Order 4711 arrived broken", body="Thank you!"),
        envelope_sender=KEPT,
    )
    second = desk.deliver(build_mail(sender=me, subject="A question about my invoice"), envelope_sender=KEPT)
    _patch(client, token, second.ref, "resolved")
    client.lambda_.invoke("feedback", _sns({"eventType": "Bounce", "bounce": {"recipient": KEPT}}))
    SuppressionList(desk.settings.tables.suppressions, desk.settings.region).suppress(
        KEPT, Reason.COMPLAINT, desk.now(), "abuse"
    )
    exported = client.http.post(
        "/privacy/exports", headers=auth(admin_token), body=json.dumps({"email": KEPT})
    )
    assert exported.status_code == 201, exported.body
    return [first.ref, second.ref]


# Every access path ------------------------------------------------------------------------------


def _needles(refs: list[str]) -> list[str]:
    # A reference also appears without its dash (in the thread's Message-ID, <ticket.k7qf2m9d...>).
    return [*ERASED_NEEDLES, *refs, *(ref.replace("-", "") for ref in refs)]


def _readable(data: bytes) -> bytes:
    """The bytes to search: a zip (an export) is searched inside."""
    if not data.startswith(b"PK\x03\x04"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist()) + b"\n" + data


def _names(text: str | bytes, needles: list[str]) -> list[str]:
    folded = (text if isinstance(text, bytes) else text.encode("utf-8")).lower()
    return [needle for needle in needles if needle.lower().encode("utf-8") in folded]


def _table_items(desk: Desk) -> dict[str, list[str]]:
    """Every item of every table of the desk, as canonical JSON, by table field."""
    dynamodb = aws_client("dynamodb", desk.settings.region)
    found = {}
    for table in fields(desk.settings.tables):
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=getattr(desk.settings.tables, table.name), ConsistentRead=True
        )
        found[table.name] = sorted(
            json.dumps(item, sort_keys=True, ensure_ascii=False) for page in pages for item in page["Items"]
        )
    return found


def _objects(desk: Desk) -> dict[str, bytes]:
    s3 = aws_client("s3", desk.settings.region)
    bucket = desk.settings.mail_bucket
    keys = [
        entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for entry in page.get("Contents", [])
    ]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _schedules(desk: Desk) -> dict[str, str]:
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    names = [
        summary["Name"]
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group)
        for summary in page["Schedules"]
    ]
    found = {}
    for name in names:
        schedule = scheduler.get_schedule(Name=name, GroupName=group)
        schedule.pop("ResponseMetadata", None)
        found[name] = json.dumps(schedule, default=str, sort_keys=True)
    return found


def _everything(desk: Desk) -> tuple[dict[str, list[str]], dict[str, bytes], dict[str, str]]:
    return _table_items(desk), _objects(desk), _schedules(desk)


def _api_shows(client: Client, token: str, path: str) -> tuple[int, str]:
    answer = client.http.get(path, headers=auth(token))
    return answer.status_code, answer.body.decode("utf-8") if isinstance(answer.body, bytes) else answer.body


def test_after_an_erasure_nothing_about_the_address_is_found_anywhere_and_the_rest_is_untouched(
    clocked: Desk, client: Client, token: str, admin_token: str
) -> None:
    desk = clocked
    kept_refs = _kept_customers_life(desk, client, token, admin_token)
    erased_refs = _erased_customers_life(desk, client, token, admin_token)
    needles = _needles(erased_refs)
    tables, objects, schedules = _everything(desk)

    # The life left the requester's traces in every place the erasure has to reach
    holding = {name for name, items in tables.items() if any(_names(item, needles) for item in items)}
    assert holding == {"tickets", "ticket_log", "message_index", "counters", "guards", "suppressions"}
    traced = {
        key.split("/")[0] for key, data in objects.items() if _names(key.encode() + _readable(data), needles)
    }
    assert traced == {"inbound", "attachments", "bodies", "exports", "feedback"}
    # (a survey, an SLA timer and the desk's next step by itself, here the close of a resolved ticket)
    assert {name.split("-")[0] for name in schedules if _names(name, needles)} == {"survey", "sla", "auto"}
    assert any(key.startswith("exports/") for key in objects if not _names(_readable(objects[key]), needles))

    answer = client.http.post(
        "/privacy/erasures",
        headers=auth(admin_token),
        body=json.dumps({"email": "Rosalind.Quenby@Quenby-Mail.Example", "confirm": True}),
    )

    erasure = _check(answer, "/privacy/erasures", "post")["erasure"]
    removed = erasure["removed"]
    assert removed["tickets"] == 4 and removed["suppression_entries"] == 1 and removed["exports"] == 1
    assert removed["schedules"] >= 2 and removed["counters"] >= 2 and removed["guards"] > 0
    assert erasure["nothing_found"] is False and erasure["operator"] == "alex@example.com"

    # Every table, every object and every schedule: what named the requester is gone, nothing else is
    after_tables, after_objects, after_schedules = _everything(desk)
    for name, items in tables.items():
        if name == "audit":
            continue
        assert after_tables[name] == [item for item in items if not _names(item, needles)], name
    assert set(after_objects) == {
        key for key, data in objects.items() if not _names(key.encode() + _readable(data), needles)
    }
    assert all(after_objects[key] == objects[key] for key in after_objects)
    assert set(after_schedules) == {name for name, text in schedules.items() if not _names(text, needles)}
    found = [
        *(item for items in after_tables.values() for item in items if _names(item, needles)),
        *(key for key, data in after_objects.items() if _names(key.encode() + _readable(data), needles)),
        *(name for name, text in after_schedules.items() if _names(text, needles)),
    ]
    assert found == []

    # The API has nothing either: lists, the requester filter, the tickets themselves
    for path in (
        "/tickets",
        "/tickets?status=new,open,pending,on-hold,resolved,closed",
        f"/tickets?requester={ERASED}",
    ):
        status, text = _api_shows(client, token, path)
        assert status == 200 and _names(text, needles) == [], path
    assert body_of(client.http.get(f"/tickets?requester={ERASED}", headers=auth(token)))["tickets"] == []
    for ref in erased_refs:
        assert client.http.get(f"/tickets/{ref}", headers=auth(token)).status_code == 404

    # The other customer's tickets read as before, whole texts and attachments included
    for ref in kept_refs:
        shown = body_of(client.http.get(f"/tickets/{ref}?full=true", headers=auth(token)))
        assert shown["ticket"]["requester"]["email"] == KEPT and shown["thread"]
    every = "status=new,open,pending,on-hold,resolved,closed"
    listed = body_of(client.http.get(f"/tickets?requester={KEPT}&{every}", headers=auth(token)))["tickets"]
    assert sorted(t["ref"] for t in listed) == sorted(kept_refs)
    assert SuppressionList(desk.settings.tables.suppressions, desk.settings.region).check([KEPT])
    assert any(name.startswith(f"survey-{kept_refs[1]}-") for name in after_schedules)

    # Asked again: nothing is left, and that is recorded too
    desk.clock_now += timedelta(minutes=1)
    again = _check(
        client.http.post(
            "/privacy/erasures",
            headers=auth(admin_token),
            body=json.dumps({"email": ERASED, "confirm": True}),
        ),
        "/privacy/erasures",
        "post",
    )["erasure"]
    assert again["nothing_found"] is True and set(again["removed"].values()) == {0}
    assert _everything(desk)[1:] == (after_objects, after_schedules)

    records = AuditLog(desk.settings.tables.audit, desk.settings.region).records()
    assert [r.action for r in records].count("erasure") == 2
    assert [r.counts for r in records if r.action == "erasure"] == [removed, again["removed"]]
    audit_items = _table_items(desk)["audit"]
    assert len(audit_items) == len(records) == 4  # two exports, two erasures
    assert [item for item in audit_items if _names(item, needles)] == []


# The export -------------------------------------------------------------------------------------


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_every_ticket_message_text_rating_event_attachment_and_mail(
    clocked: Desk, client: Client, token: str, admin_token: str, tmp_path: Path
) -> None:
    desk = clocked
    refs = _erased_customers_life(desk, client, token, admin_token)
    _kept_customers_life(desk, client, token, admin_token)
    out = io.StringIO()

    code = run_privacy(
        ["export", ERASED_OTHER_CASE, "--out", str(tmp_path / "export.zip"), "--operator", "dpo"],
        desk.settings,
        out,
        io.StringIO(),
        desk.now,
    )

    assert code == 0, out.getvalue()
    files = _zip(tmp_path / "export.zip")
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "postdesk-privacy-export" and manifest["subject"] == {"email": ERASED}
    assert set(manifest["layout"]) >= {"manifest.json", "tickets/<ref>.json"}
    assert [t["ref"] for t in manifest["tickets"]] == refs
    assert manifest["missing"] == []
    assert (
        manifest["suppression"]["suppressed"] is True and manifest["suppression"]["reason"] == "hard_bounce"
    )
    assert all(f"tickets/{ref}.json" in files for ref in refs)
    assert not any(_names(name.encode() + data, [KEPT, "wirth"]) for name, data in files.items())

    first = json.loads(files[f"tickets/{refs[0]}.json"])
    assert first["ticket"]["requester"] == {"email": ERASED, "name": "Rosalind Quenby"}
    assert first["rating"]["rating"] == 5
    kinds = [m["kind"] for m in first["messages"]]
    assert kinds.count("customer") == 3 and "agent_reply" in kinds and "survey" in kinds
    assert "acknowledgement" in kinds
    long_text = first["messages"][0]["text"]
    assert len(long_text) > PREVIEW_CHARS and long_text.count("the label printer refused") == 500
    (attachment,) = first["messages"][0]["attachments"]
    assert attachment["filename"] == "box photo.pdf" and files[attachment["file"]] == PDF
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    raw_files = [m["raw_mail"] for m in first["messages"] if m["raw_mail"]]
    assert len(raw_files) == 3
    stored = aws_client("s3", desk.settings.region).get_object(
        Bucket=desk.settings.mail_bucket, Key=desk.store.thread(refs[0])[0].raw_key
    )["Body"]
    assert files[raw_files[0]] == stored.read()
    assert {"ticket_created", "survey_sent", "survey_answered"} <= {e["kind"] for e in first["events"]}

    third = json.loads(files[f"tickets/{refs[2]}.json"])
    assert "note" in [m["kind"] for m in third["messages"]]
    assert "mail_bounced" in [e["kind"] for e in third["events"]]
    assert next(e for e in manifest["tickets"] if e["ref"] == refs[1])["messages"] >= 2

    (record,) = [
        r for r in AuditLog(desk.settings.tables.audit, desk.settings.region).records() if r.channel == "cli"
    ]
    assert record.action == "export" and record.operator == "dpo" and record.counts["tickets"] == 4
    assert "Wrote" in out.getvalue() and "export#" in out.getvalue()

    again = io.StringIO()
    argv = ["export", ERASED, "--out", str(tmp_path / "export.zip")]
    assert run_privacy(argv, desk.settings, again, io.StringIO(), desk.now) == 1
    assert "exists already" in again.getvalue() and _zip(tmp_path / "export.zip") == files


def test_the_export_route_stores_the_zip_under_exports_and_links_to_it_briefly(
    clocked: Desk, client: Client, admin_token: str
) -> None:
    desk = clocked
    ref = desk.deliver(build_mail(sender=_from(ERASED, "Rosalind Quenby")), envelope_sender=ERASED).ref

    export = _check(
        client.http.post("/privacy/exports", headers=auth(admin_token), body=json.dumps({"email": ERASED})),
        "/privacy/exports",
        "post",
    )["export"]

    link = urlsplit(export["url"])
    key = unquote(link.path.lstrip("/")).removeprefix(f"{desk.settings.mail_bucket}/")
    assert key.startswith("exports/") and key.endswith(f"/{export['id']}.zip")
    assert not _names(key, _needles([ref]))
    query = parse_qs(link.query)
    if "X-Amz-Expires" in query:
        assert query["X-Amz-Expires"] == ["900"]
    else:  # Signature version 2: when it expires, in seconds since the epoch (of the real clock)
        assert abs(int(query["Expires"][0]) - time.time() - 900) < 60
    assert "attachment" in query["response-content-disposition"][0]
    data = aws_client("s3", desk.settings.region).get_object(Bucket=desk.settings.mail_bucket, Key=key)[
        "Body"
    ]
    with zipfile.ZipFile(io.BytesIO(data.read())) as archive:
        assert f"tickets/{ref}.json" in archive.namelist()
    assert export["tickets"] == 1 and export["raw_mails"] == 1 and export["bytes"] > 0
    assert datetime.fromisoformat(export["expires_at"]) - datetime.fromisoformat(export["at"]) == timedelta(
        minutes=15
    )

    nobody = _check(
        client.http.post(
            "/privacy/exports",
            headers=auth(admin_token),
            body=json.dumps({"email": "nobody@nowhere.example"}),
        ),
        "/privacy/exports",
        "post",
    )["export"]
    assert nobody["tickets"] == 0


# Who may, and what is refused -------------------------------------------------------------------


def test_privacy_routes_are_for_admins_and_refuse_what_is_not_clear(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    ref = desk.deliver(build_mail(sender=_from(ERASED, "Rosalind Quenby")), envelope_sender=ERASED).ref
    json_only = {"Content-Type": "application/json"}
    for path in ("/privacy/exports", "/privacy/erasures"):
        body = json.dumps({"email": ERASED, "confirm": True})
        assert _check(client.http.post(path, headers=json_only, body=body), path, "post")["error"] == (
            "Unauthenticated"
        )
        assert (
            _check(client.http.post(path, headers=auth(token), body=body), path, "post")["error"]
            == "Forbidden"
        )
        for bad in ({"email": "not an address"}, {"email": ERASED, "extra": 1}, {}):
            answer = client.http.post(
                path, headers=auth(admin_token), body=json.dumps({"confirm": True, **bad})
            )
            assert _check(answer, path, "post")["error"] == "BadRequest", (path, bad)
    for unconfirmed in (
        {"email": ERASED},
        {"email": ERASED, "confirm": False},
        {"email": ERASED, "confirm": "yes"},
    ):
        answer = client.http.post(
            "/privacy/erasures", headers=auth(admin_token), body=json.dumps(unconfirmed)
        )
        assert _check(answer, "/privacy/erasures", "post")["error"] == "BadRequest"
    answer = client.http.post(
        "/privacy/erasures",
        headers=auth(admin_token),
        body=json.dumps({"email": ERASED, "confirm": True, "keep_suppression": "no"}),
    )
    assert answer.status_code == 400

    assert desk.store.get_ticket(ref) is not None
    assert AuditLog(desk.settings.tables.audit, desk.settings.region).records() == []


# The command ------------------------------------------------------------------------------------


def test_the_command_asks_before_erasing_and_can_keep_the_suppression(
    clocked: Desk, client: Client, token: str
) -> None:
    desk = clocked
    me = _from(ERASED, "Rosalind Quenby")
    ref = desk.deliver(build_mail(sender=me), envelope_sender=ERASED).ref
    suppressions = SuppressionList(desk.settings.tables.suppressions, desk.settings.region)
    suppressions.suppress(ERASED, Reason.COMPLAINT, desk.now(), "abuse")

    declined = io.StringIO()
    code = run_privacy(["erase", ERASED], desk.settings, declined, io.StringIO("no\n"), desk.now)

    assert code == 1 and "Nothing was erased." in declined.getvalue()
    assert "1 ticket(s)" in declined.getvalue() and "suppression-list entry" in declined.getvalue()
    assert desk.store.get_ticket(ref) is not None

    done = io.StringIO()
    code = run_privacy(
        ["erase", ERASED, "--keep-suppression", "--operator", "dpo"],
        desk.settings,
        done,
        io.StringIO("yes\n"),
        desk.now,
    )

    assert code == 0, done.getvalue()
    assert "Erased 1 ticket(s)" in done.getvalue() and "never mail it" in done.getvalue()
    assert desk.store.get_ticket(ref) is None
    assert suppressions.check([ERASED])[ERASED].reason is Reason.COMPLAINT
    (record,) = AuditLog(desk.settings.tables.audit, desk.settings.region).records()
    assert (record.action, record.channel, record.operator, record.kept_suppression) == (
        "erasure",
        "cli",
        "dpo",
        True,
    )
    assert record.counts["tickets"] == 1 and record.counts["suppression_entries"] == 0
    # Mail from the address is still never answered automatically
    again = desk.deliver(build_mail(sender=me, subject="Hello again"), envelope_sender=ERASED)
    assert again.ack is AckOutcome.SUPPRESSED

    forced = io.StringIO()
    assert run_privacy(["erase", ERASED, "--yes"], desk.settings, forced, io.StringIO(), desk.now) == 0
    assert "Erased 1 ticket(s)" in forced.getvalue() and not suppressions.check([ERASED])
    assert run_privacy(["erase", "nobody"], desk.settings, io.StringIO(), io.StringIO(), desk.now) == 1


def test_a_ticket_stored_before_addresses_were_lower_cased_is_found_and_erased(clocked: Desk) -> None:
    desk = clocked
    ref = desk.deliver(build_mail(sender=_from(ERASED, "Rosalind Quenby")), envelope_sender=ERASED).ref
    # As the parser leaves an address (the domain lower-cased, the local part as written)
    aws_client("dynamodb", desk.settings.region).update_item(
        TableName=desk.settings.tables.tickets,
        Key={"ref": {"S": ref}},
        UpdateExpression="SET requester_email = :email",
        ExpressionAttributeValues={":email": {"S": "Rosalind.Quenby@quenby-mail.example"}},
    )
    out = io.StringIO()

    code = run_privacy(
        ["erase", "Rosalind.Quenby@QUENBY-MAIL.example", "--yes"], desk.settings, out, io.StringIO(), desk.now
    )

    assert code == 0 and "Erased 1 ticket(s)" in out.getvalue(), out.getvalue()
    assert desk.store.get_ticket(ref) is None and desk.store.thread(ref) == []


def test_the_operator_is_never_recorded_as_the_requesters_own_address(clocked: Desk) -> None:
    desk = clocked
    desk.deliver(build_mail(sender=_from(ERASED, "Rosalind Quenby")), envelope_sender=ERASED)
    out = io.StringIO()
    assert (
        run_privacy(
            ["erase", ERASED, "--yes", "--operator", ERASED], desk.settings, out, io.StringIO(), desk.now
        )
        == 0
    )
    (record,) = AuditLog(desk.settings.tables.audit, desk.settings.region).records()
    assert record.operator == "the requester"


# The names the erasure looks for are the names the workflows make ---------------------------------


def test_the_schedules_an_erasure_deletes_are_named_as_the_workflows_name_them(clocked: Desk) -> None:
    desk = clocked
    ref = desk.deliver(build_mail(sender=_from(ERASED, "Rosalind Quenby")), envelope_sender=ERASED).ref
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    records = TicketRecords(replace(ticket, cycle=3), thread=[], events=[])
    timers = [name for name in _schedules(desk) if name.startswith(f"sla-{ref}-")]

    names = records.schedule_names(desk.settings)

    assert names[:3] == [schedule_name(ref, cycle) for cycle in (1, 2, 3)]
    assert len(timers) == 1 and names[3:] == timers
    assert TicketRecords(_ticket("K7QF-2M9D"), [], []).schedule_names(desk.settings) == ["survey-K7QF-2M9D-1"]
    assert stored_forms(" Jane.Doe@Example.COM ") == [
        "jane.doe@example.com",
        "Jane.Doe@Example.COM",
        "Jane.Doe@example.com",
    ]


def _ticket(ref: str) -> Ticket:
    moment = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
    return Ticket(
        ref=ref,
        subject="s",
        requester_email=ERASED,
        requester_name="",
        status=Status.NEW,
        queue="general",
        priority="normal",
        language="en",
        created_at=moment,
        updated_at=moment,
    )


def test_the_privacy_desk_is_built_from_the_api_context(desk: Desk) -> None:
    built = privacy_desk(desk.settings, desk.ports)
    assert built.blobs.bucket == desk.settings.mail_bucket and built.store is desk.ports.store


def test_keeping_someone_off_the_list_who_was_never_on_it_keeps_them_off(
    clocked: Desk, client: Client, admin_token: str, token: str
) -> None:
    desk = clocked
    me = _from(ERASED, "Rosalind Quenby")
    desk.deliver(build_mail(sender=me), envelope_sender=ERASED)
    suppressions = SuppressionList(desk.settings.tables.suppressions, desk.settings.region)
    assert suppressions.entry(ERASED) is None

    answer = client.http.post(
        "/privacy/erasures",
        headers=auth(admin_token),
        body=json.dumps({"email": ERASED, "confirm": True, "keep_suppression": True}),
    )

    erasure = _check(answer, "/privacy/erasures", "post")["erasure"]
    assert erasure["suppression_kept"] is True
    (entry,) = suppressions.check([ERASED]).values()
    assert entry.reason is Reason.DO_NOT_CONTACT
    # The table holds the hash only.
    items = aws_client("dynamodb", desk.settings.region).scan(TableName=desk.settings.tables.suppressions)
    assert ERASED not in json.dumps(items["Items"]) and address_hash(ERASED) in json.dumps(items["Items"])
    # Mail from the person is recorded but never answered automatically, and an agent cannot write.
    sent_before = len(desk.sent())
    again = desk.deliver(build_mail(sender=me, subject="Hello again"), envelope_sender=ERASED)
    assert again.ack is AckOutcome.SUPPRESSED
    refused = client.http.post(
        f"/tickets/{again.ref}/replies",
        headers={**auth(token), "Idempotency-Key": "after-erasure"},
        body=json.dumps({"body": "Hello Rosalind"}),
    )
    assert refused.status_code == 422 and "asked never to be written to again" in body_of(refused)["message"]
    assert len(desk.sent()) == sent_before
