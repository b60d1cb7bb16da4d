"""Retention of closed tickets on moto: closing gives the ticket, every item of its log and every
Message-ID entry of it an expiry (DynamoDB's TTL attribute ``expires_at``), reopening takes it away
again, and once the expiry has passed the ticket is gone from every read path, whether or not TTL
(which is lazy, and which moto does not run) has deleted the items yet."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.tickets.model import MessageKind, Status
from postdesk.workflows.ingest import AckOutcome
from postdesk.workflows.retention import ticket_message_ids
from postdesk.workflows.survey import SurveyOutcome, SurveyRequest, send_survey
from postdesk_tools.provision import TEMPLATE
from tests.iam import check, desk_stack, needs_of, role_grants
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.life import Life
from tests.integration.test_least_privilege import FUNCTIONS
from tests.integration.test_mail_hygiene import _bounce, _sns_event
from tests.mails import build_mail

RETENTION = timedelta(days=730)


@pytest.fixture
def clocked(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """The desk whose API runs on the desk's clock too (the workflows' and the store's "now")."""
    runtime.use_clock(desk.now)
    runtime.reset_runtime()
    return desk


def _dynamodb(desk: Desk) -> Any:
    return boto3.client("dynamodb", region_name=desk.settings.region)


def _raw_ticket(desk: Desk, ref: str) -> dict[str, Any]:
    item: dict[str, Any] = _dynamodb(desk).get_item(
        TableName=desk.settings.tables.tickets, Key={"ref": {"S": ref}}, ConsistentRead=True
    )["Item"]
    return item


def _raw_log(desk: Desk, ref: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _dynamodb(desk).query(
        TableName=desk.settings.tables.ticket_log,
        KeyConditionExpression="#ref = :ref",
        ExpressionAttributeNames={"#ref": "ref"},
        ExpressionAttributeValues={":ref": {"S": ref}},
        ConsistentRead=True,
    )["Items"]
    return items


def _raw_index(desk: Desk, ref: str) -> list[dict[str, Any]]:
    """The ticket's Message-ID entries, found the slow way (a scan, which the desk never does)."""
    items = _dynamodb(desk).scan(TableName=desk.settings.tables.message_index)["Items"]
    return [item for item in items if item["ref"]["S"] == ref]


def _expiry(item: dict[str, Any]) -> int | None:
    return int(item["expires_at"]["N"]) if "expires_at" in item else None


def _change(client: Client, token: str, ref: str, **changes: Any) -> Any:
    version = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    answer = client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, **changes})
    )
    assert answer.status_code == 200, answer.body
    return body_of(answer)["ticket"]


def _worked_ticket(desk: Desk, client: Client, token: str) -> tuple[str, str]:
    """A ticket with an acknowledgement, a customer's answer, an agent's reply and a note, resolved;
    its ref and the Message-ID SES gave the agent's reply."""
    first = desk.deliver(_with_attachment(build_mail(message_id="<first.retention@customer.example>")))
    assert first.ack is AckOutcome.SENT
    desk.clock_now += timedelta(minutes=5)
    answer = desk.deliver(
        build_mail(
            subject=f"Re: [#{first.ref}] My order has not arrived",
            body="It is order 4711, placed on Monday.\n\nJane",
            message_id="<second.retention@customer.example>",
        )
    )
    assert answer.ref == first.ref and not answer.new_ticket
    desk.clock_now += timedelta(minutes=30)
    replied = client.http.post(
        f"/tickets/{first.ref}/replies",
        headers={**auth(token), "Idempotency-Key": "retention-reply-1"},
        body=json.dumps({"body": "Hello Jane, your parcel left today.", "status": "pending"}),
    )
    assert replied.status_code == 201, replied.body
    noted = client.http.post(
        f"/tickets/{first.ref}/notes",
        headers={**auth(token), "Idempotency-Key": "retention-note-1"},
        body=json.dumps({"body": "Carrier confirmed the pickup."}),
    )
    assert noted.status_code == 201, noted.body
    _change(client, token, first.ref, status="resolved")
    (reply,) = [m for m in desk.store.thread(first.ref) if m.kind is MessageKind.AGENT_REPLY]
    assert reply.message_id
    return first.ref, reply.message_id


def _with_attachment(raw: bytes) -> bytes:
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    message.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    return message.as_bytes()


def _without_expiry(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: value for name, value in item.items() if name != "expires_at"} for item in items]


def _close(desk: Desk, client: Client, token: str, ref: str) -> tuple[datetime, int]:
    """Close the ticket; when, and the expiry its items must carry."""
    desk.clock_now += timedelta(hours=2)
    closed_at = desk.now()
    assert _change(client, token, ref, status="closed")["status"] == "closed"
    return closed_at, int((closed_at + RETENTION).timestamp())


def test_closing_gives_the_ticket_its_log_and_its_message_ids_the_expiry(
    clocked: Desk, client: Client, token: str
) -> None:
    desk = clocked
    ref, _ = _worked_ticket(desk, client, token)
    index_before = _raw_index(desk, ref)
    log_before = _raw_log(desk, ref)
    assert any("attachments" in item for item in log_before)
    assert all(
        _expiry(item) is None for item in [_raw_ticket(desk, ref), *_raw_log(desk, ref), *index_before]
    )

    closed_at, expiry = _close(desk, client, token, ref)

    # The ticket: closed_at + closed_ticket_days (730 by default), in epoch seconds for TTL
    assert _expiry(_raw_ticket(desk, ref)) == expiry
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.expires_at == (closed_at + RETENTION).replace(microsecond=0)
    # Every item of its log: the customer's mails, the ack, the reply, the note and every event
    log = _raw_log(desk, ref)
    kinds = {item["kind"]["S"] for item in log}
    assert {"customer", "acknowledgement", "agent_reply", "note", "ticket_created", "status_changed"} <= kinds
    assert {_expiry(item) for item in log} == {expiry}
    # ...and nothing else of those there before changed
    before_keys = {item["sk"]["S"] for item in log_before}
    assert _without_expiry([item for item in log if item["sk"]["S"] in before_keys]) == log_before
    assert sorted(_without_expiry(_raw_index(desk, ref)), key=str) == sorted(
        _without_expiry(index_before), key=str
    )
    # Every Message-ID entry of it (the customer's ids, SES's ids of our mail, our own ids)
    index = _raw_index(desk, ref)
    assert len(index) == len(index_before) >= 6
    assert {_expiry(item) for item in index} == {expiry}
    # The ids the desk works out from the thread are exactly those it indexed
    assert set(ticket_message_ids(ref, desk.store.thread(ref), desk.settings.support_domain)) == {
        item["message_id"]["S"] for item in index
    }


def test_what_is_written_to_a_closed_ticket_carries_its_expiry(
    clocked: Desk, client: Client, token: str
) -> None:
    desk = clocked
    ref, _ = _worked_ticket(desk, client, token)
    _, expiry = _close(desk, client, token, ref)
    (ack,) = [m for m in desk.store.thread(ref) if m.kind is MessageKind.ACKNOWLEDGEMENT]
    assert ack.ses_id

    # A note, the survey that fires after the close, an out-of-office and a bounce of our mail
    assert (
        client.http.post(
            f"/tickets/{ref}/notes",
            headers={**auth(token), "Idempotency-Key": "retention-note-2"},
            body=json.dumps({"body": "Closed after the customer confirmed."}),
        ).status_code
        == 201
    )
    desk.clock_now += timedelta(hours=22)
    assert send_survey(SurveyRequest(ref, 1), desk.settings, desk.ports) is SurveyOutcome.SENT
    automatic = desk.deliver(
        build_mail(
            subject=f"Automatic reply: [#{ref}] My order",
            body="I am out of the office until Monday.",
            message_id="<ooo.retention@customer.example>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert automatic.ref == ref
    client.lambda_.invoke("feedback", _sns_event(_bounce(ack.ses_id, "jane.doe@customer.example")))

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.status is Status.CLOSED
    kinds = {item["kind"]["S"]: _expiry(item) for item in _raw_log(desk, ref)}
    assert {"survey", "survey_sent", "auto_reply", "automatic_reply_recorded", "mail_bounced"} <= set(kinds)
    assert set(kinds.values()) == {expiry}
    assert {_expiry(item) for item in _raw_index(desk, ref)} == {expiry}


def test_reopening_takes_the_expiry_away_everywhere_and_closing_again_counts_anew(
    clocked: Desk, client: Client, token: str
) -> None:
    desk = clocked
    ref, reply_id = _worked_ticket(desk, client, token)
    _close(desk, client, token, ref)

    # The customer writes again: the ticket reopens in a new cycle, and nothing of it expires
    desk.clock_now += timedelta(days=3)
    again = desk.deliver(
        build_mail(subject="Re: My order", body="It came back to the depot.", in_reply_to=reply_id)
    )
    assert again.ref == ref and not again.new_ticket
    assert desk.store.get_ticket(ref).status is Status.OPEN  # type: ignore[union-attr]
    items = [_raw_ticket(desk, ref), *_raw_log(desk, ref), *_raw_index(desk, ref)]
    assert [item for item in items if "expires_at" in item] == []

    # Resolved and closed again: the count starts at the new close
    _change(client, token, ref, status="resolved")
    _, expiry = _close(desk, client, token, ref)
    assert {_expiry(item) for item in [_raw_ticket(desk, ref), *_raw_log(desk, ref)]} == {expiry}

    # An agent reopens it: gone again
    _change(client, token, ref, status="open")
    items = [_raw_ticket(desk, ref), *_raw_log(desk, ref), *_raw_index(desk, ref)]
    assert [item for item in items if "expires_at" in item] == []


def test_closing_a_closed_ticket_again_repairs_items_that_missed_the_expiry(
    clocked: Desk, client: Client, token: str
) -> None:
    desk = clocked
    ref, _ = _worked_ticket(desk, client, token)
    _, expiry = _close(desk, client, token, ref)
    # As if the follow-up of the close had failed half-way
    log_table = desk.settings.tables.ticket_log
    for item in _raw_log(desk, ref)[:3]:
        _dynamodb(desk).update_item(
            TableName=log_table,
            Key={"ref": item["ref"], "sk": item["sk"]},
            UpdateExpression="REMOVE expires_at",
        )
    assert None in {_expiry(item) for item in _raw_log(desk, ref)}

    _change(client, token, ref, status="closed")

    assert {_expiry(item) for item in _raw_log(desk, ref)} == {expiry}


def test_a_ticket_past_its_expiry_is_gone_from_every_read_path_before_ttl_deletes_it(
    clocked: Desk, client: Client, token: str
) -> None:
    desk = clocked
    ref, reply_id = _worked_ticket(desk, client, token)
    other = desk.deliver(
        build_mail(subject="A second question", message_id="<other.retention@customer.example>")
    ).ref
    closed_at, _ = _close(desk, client, token, ref)
    ids = ticket_message_ids(ref, desk.store.thread(ref), desk.settings.support_domain)
    reply_to = next(
        str(mail.message["Reply-To"]) for mail in desk.sent() if f"[#{ref}]" in str(mail.message["Subject"])
    )
    # A day before the expiry everything is still there
    desk.clock_now = closed_at + RETENTION - timedelta(days=1)
    assert client.http.get(f"/tickets/{ref}", headers=auth(token)).status_code == 200
    assert desk.ports.store.lookup_message_ids(list(ids))

    # Past the expiry: TTL has not deleted anything yet...
    desk.clock_now = closed_at + RETENTION + timedelta(minutes=1)
    assert _raw_ticket(desk, ref) and _raw_log(desk, ref) and _raw_index(desk, ref)

    # ...but no read returns it: the ticket, its thread and events, the lists, the requester's tickets
    store = desk.ports.store
    assert store.get_ticket(ref) is None
    assert store.thread(ref) == [] and store.events(ref) == []
    assert client.http.get(f"/tickets/{ref}", headers=auth(token)).status_code == 404
    for query in (
        {"status": "closed"},
        {"status": "closed", "sort": "priority"},
        {"requester": "jane.doe@customer.example", "status": "closed,open,new"},
    ):
        listed = body_of(client.http.get(f"/tickets?{urlencode(query)}", headers=auth(token)))
        assert ref not in [t["ref"] for t in listed["tickets"]], query
    shown = body_of(client.http.get(f"/tickets/{other}", headers=auth(token)))
    assert shown["requester_tickets"] == []
    assert store.tickets_of_requester("jane.doe@customer.example") == [store.get_ticket(other)]
    assert store.count_waiting(Status.CLOSED, None, None) == 0
    # The Message-ID index knows none of its ids
    assert store.lookup_message_ids(list(ids)) == {}
    # Notes and edits find no ticket
    note = client.http.post(
        f"/tickets/{ref}/notes",
        headers={**auth(token), "Idempotency-Key": "retention-note-late"},
        body=json.dumps({"body": "Too late."}),
    )
    assert note.status_code == 404

    # A late answer to the agent's reply, through every way it could thread, is a new ticket
    late = desk.deliver(
        build_mail(
            subject=f"Re: [#{ref}] My order has not arrived",
            body="Sorry for the late answer: the parcel never came.",
            in_reply_to=reply_id,
            references=" ".join(ids),
            to=reply_to,
        ),
        recipients=[reply_to.partition("<")[2].rstrip(">") or reply_to],
    )
    assert late.new_ticket and late.ref not in (ref, other)
    assert late.matched_by is None
    fresh = store.get_ticket(late.ref)
    assert fresh is not None and fresh.cycle == 1 and fresh.expires_at is None


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_closing_late_writes_and_reopening_need_nothing_the_functions_roles_do_not_grant(
    life: Life, desk: Desk, token: str
) -> None:
    """Driven through functions/app.py: each call of the retention paths is one its function's role
    allows (the log and the Message-ID index are rewritten with PutItem, which every writer has)."""
    before = len(desk.sent())
    created = life.mail(build_mail(message_id="<first.iam@customer.example>"))
    ref = created["ref"]
    (ack,) = life.sent_since(before)
    life.sitting()
    replied = life.http(
        "post",
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": "retention-iam-reply"},
        body=json.dumps({"body": "Your parcel left today.", "status": "resolved"}),
    )
    assert replied.status_code == 201, replied.body
    _life_change(life, token, ref, status="closed")
    # Written to the closed ticket: the survey (Scheduler fires it), a bounce of the ack (feedback)
    fired = life.advance(timedelta(hours=24, minutes=1))
    assert [(f.target, f.result["outcome"]) for f in fired] == [("survey", "sent")]
    (acknowledgement,) = [m for m in desk.store.thread(ref) if m.kind is MessageKind.ACKNOWLEDGEMENT]
    assert acknowledgement.ses_id
    with life.recorder.function("feedback"):
        event = _sns_event(_bounce(acknowledgement.ses_id, "jane.doe@customer.example", "Transient"))
        life.client.lambda_.invoke("feedback", event)
    # The customer reopens it by mail; an agent closes and reopens it
    life.advance(timedelta(hours=1))
    again = life.mail(
        build_mail(
            subject=f"Re: {ack.message['Subject']}",
            body="It is still not here.",
            in_reply_to=str(ack.message["Message-ID"]),
        )
    )
    assert again["ref"] == ref
    life.sitting()
    _life_change(life, token, ref, status="resolved")
    _life_change(life, token, ref, status="closed")
    _life_change(life, token, ref, status="open")
    assert "expires_at" not in _raw_ticket(desk, ref)
    # The paths ran in the functions they belong to: the close stamps, the late writers stamp, the
    # customer's reopen (ingest) rewrites the log without the expiry
    tables = desk.settings.tables
    # Every item put, alone (PutItem) or in a transaction, as (function, table, item).
    puts = [
        (c.function, c.params["TableName"], c.params["Item"])
        for c in life.recorder.calls
        if c.operation == "PutItem"
    ] + [
        (c.function, entry["Put"]["TableName"], entry["Put"]["Item"])
        for c in life.recorder.calls
        if c.operation == "TransactWriteItems"
        for entry in c.params["TransactItems"]
        if "Put" in entry
    ]
    stamped = {(function, table) for function, table, item in puts if "expires_at" in item}
    assert {
        ("api_handler", tables.ticket_log),
        ("api_handler", tables.message_index),
        ("survey", tables.message_index),
        ("feedback", tables.ticket_log),
    } <= stamped
    assert [
        item
        for function, table, item in puts
        if function == "ingest" and table == tables.ticket_log and "expires_at" not in item
    ]

    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    stack = desk_stack(desk.settings, template)
    needs = [
        need
        for call in life.recorder.calls
        if call.function in FUNCTIONS
        for need in needs_of(call, desk.settings.region, stack.account)
    ]
    denied = []
    for function, logical_id in FUNCTIONS.items():
        (role, _) = template["Resources"][logical_id]["Properties"]["Role"]["Fn::GetAtt"]
        denied.extend(check(function, role, role_grants(template, role, stack), needs).denied)
    assert denied == []


def _life_change(life: Life, token: str, ref: str, **changes: Any) -> None:
    version = body_of(life.http("get", f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    answer = life.http(
        "patch", f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, **changes})
    )
    assert answer.status_code == 200, answer.body
