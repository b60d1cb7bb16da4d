"""Search through the API: every word of a ticket is found (accents and case folded, prefixes while
typing, quoted phrases), combined with the list's filters, ranked, each with its passage; the index
follows changes, erasure and expiry through the tables' streams (docs/search.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from postdesk.aws.clients import client as aws_client
from postdesk.search.documents import SearchDocument
from postdesk.search.index import SEGMENT_PREFIX, SearchIndex
from postdesk.search.query import parse_query
from postdesk.search.segments import Conditions, Order
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

MULLER = "Jürgen Müller <jm@kunde.example>"


def _search(client: Client, token: str, **parameters: str) -> dict[str, Any]:
    answer = client.http.get(f"/tickets?{urlencode(parameters)}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    document: dict[str, Any] = body_of(answer)
    return document


def _refs(client: Client, token: str, **parameters: str) -> list[str]:
    return [ticket["ref"] for ticket in _search(client, token, **parameters)["tickets"]]


def _note(client: Client, token: str, ref: str, text: str) -> None:
    answer = client.http.post(f"/tickets/{ref}/notes", headers=auth(token), body=json.dumps({"body": text}))
    assert answer.status_code == 201, answer.body


def test_every_part_of_a_ticket_is_found_with_its_passage_marked(
    desk: Desk, client: Client, token: str
) -> None:
    invoice = desk.deliver(
        build_mail(sender=MULLER, subject="Rechnung doppelt", body="Meine Rechnung vom März kam zweimal.")
    ).ref
    parcel = desk.deliver(
        build_mail(subject="Parcel lost", body="The courier left it at the wrong door.")
    ).ref
    answer = client.http.post(
        f"/tickets/{parcel}/replies",
        headers={**auth(token), "Idempotency-Key": "r1"},
        body=json.dumps(
            {"body": "We asked the warehouse in Rotterdam to send another.", "status": "pending"}
        ),
    )
    assert answer.status_code == 201
    _note(client, token, parcel, "Courier claim number ZX-4411 filed.")
    assert desk.index_changes() > 0

    assert _refs(client, token, q="muller") == [invoice]  # accents and case folded
    assert _refs(client, token, q="MÜLLER") == [invoice]
    assert _refs(client, token, q="jm@kunde.example") == [invoice]  # the requester's address
    assert _refs(client, token, q="rotterdam", status="pending") == [parcel]  # an agent's answer
    assert _refs(client, token, q="zx-4411", status="pending") == [parcel]  # a note for agents
    assert _refs(client, token, q="wareh", status="pending") == [parcel]  # a word still being typed
    assert _refs(client, token, q=invoice.lower()) == [invoice]  # the reference, typed any way
    assert _refs(client, token, q=invoice.replace("-", "")) == [invoice]
    assert _refs(client, token, q='"wrong door"') == [parcel]
    assert _refs(client, token, q='"door wrong"') == []  # a phrase is words in that order
    assert _refs(client, token, q="acknowledgement") == []  # the desk's own mail is not searched

    (hit,) = _search(client, token, q="zweimal")["tickets"]
    marked = [part["text"] for part in hit["match"]["snippet"] if part["match"]]
    assert marked == ["zweimal"]
    assert "".join(part["text"] for part in hit["match"]["snippet"]).startswith("Meine Rechnung")
    assert hit["subject"] == "Rechnung doppelt" and hit["status"] == "new"


def test_filters_order_and_pages_combine_with_the_words(desk: Desk, client: Client, token: str) -> None:
    refs = [
        desk.deliver(
            build_mail(subject=f"Printer jam {n}", body="The printer jams on every page." * (n + 1))
        ).ref
        for n in range(5)
    ]
    other = desk.deliver(build_mail(subject="Password", body="I forgot my password, not the printer.")).ref
    desk.index_changes()
    edit = client.http.patch(
        f"/tickets/{refs[0]}", headers=auth(token), body=json.dumps({"version": 1, "queue": "billing"})
    )
    assert edit.status_code == 200, edit.body
    desk.index_changes()

    assert set(_refs(client, token, q="printer")) == {*refs, other}
    assert _refs(client, token, q="printer", queue="billing") == [refs[0]]
    # Most relevant first: a ticket about printers before one that mentions a printer once.
    assert _refs(client, token, q="printer jam")[-1] != other
    # By date: the latest activity first (the queue change was the last).
    assert _refs(client, token, q="printer", order="date")[:2] == [refs[0], other]
    first = _search(client, token, q="printer", limit="4")
    assert len(first["tickets"]) == 4 and first["next_cursor"]
    rest = _search(client, token, q="printer", limit="4", cursor=first["next_cursor"])
    assert len(rest["tickets"]) == 2 and rest["next_cursor"] is None
    assert {t["ref"] for t in first["tickets"] + rest["tickets"]} == {*refs, other}
    assert _refs(client, token, q="printer", created_from="2026-11-25") == []
    assert len(_refs(client, token, q="printer", created_from="2026-11-24", created_to="2026-11-24")) == 6


def test_a_change_the_index_has_not_seen_yet_never_shows_a_ticket_out_of_its_filters(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail(subject="Refund", body="Please refund order 9001.")).ref
    desk.index_changes()
    client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": 1, "status": "open"})
    )

    assert _refs(client, token, q="refund", status="new") == []
    desk.index_changes()
    assert _refs(client, token, q="refund", status="open") == [ref]


def test_bad_search_input_gets_a_clear_answer(client: Client, token: str) -> None:
    for parameters, words in (
        ({"q": "  !!! ,, "}, "no word"),
        ({"q": "x", "order": "random"}, "order must be"),
        ({"q": "x", "created_from": "yesterday"}, "created_from must be a date"),
    ):
        answer = client.http.get(f"/tickets?{urlencode(parameters)}", headers=auth(token))
        assert answer.status_code == 400 and words in body_of(answer)["message"]
    # FTS5's own syntax is only ever words here.
    assert (
        client.http.get(
            "/tickets?" + urlencode({"q": 'a" OR "b NEAR( * ^col:x'}), headers=auth(token)
        ).status_code
        == 200
    )


def test_erasure_and_expiry_take_a_ticket_out_of_the_index_and_its_words_out_of_the_bucket(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    erased = desk.deliver(
        build_mail(sender=MULLER, subject="Kündigung", body="Bitte kündigen Sie Vertrag 5512.")
    ).ref
    expired = desk.deliver(build_mail(subject="Old question", body="A question about zebras.")).ref
    kept = desk.deliver(build_mail(subject="New question", body="A question about giraffes.")).ref
    desk.index_changes()
    assert _refs(client, token, q="5512") == [erased]

    answer = client.http.post(
        "/privacy/erasures",
        headers=auth(admin_token),
        body=json.dumps({"email": "jm@kunde.example", "confirm": True}),
    )
    assert answer.status_code in (200, 201), answer.body
    # DynamoDB's TTL removes an expired ticket's item: the stream says so as for any delete.
    aws_client("dynamodb", desk.settings.region).delete_item(
        TableName=desk.settings.tables.tickets, Key={"ref": {"S": expired}}
    )
    desk.index_changes()

    assert _refs(client, token, q="5512") == []
    assert _refs(client, token, q="zebras") == []
    assert _refs(client, token, q="giraffes") == [kept]
    s3 = aws_client("s3", desk.settings.region)
    segments = s3.list_objects_v2(Bucket=desk.settings.mail_bucket, Prefix=SEGMENT_PREFIX)["Contents"]
    stored = b"".join(
        s3.get_object(Bucket=desk.settings.mail_bucket, Key=entry["Key"])["Body"].read() for entry in segments
    )
    assert b"giraffes" in stored
    assert b"5512" not in stored and "Müller".encode() not in stored and b"zebras" not in stored


def test_the_bucket_and_the_writer_keep_only_the_live_segments(desk: Desk, tmp_path: Path) -> None:
    """Every object under search/segments/ is one the manifest names, after batches that merged
    (past eight segments) and a batch that removed a ticket: a segment taken into a merge, the
    batch's own included, never stays behind holding words that were removed."""
    index = SearchIndex(desk.settings.mail_bucket, desk.settings.region, tmp_path / "writer")
    s3 = aws_client("s3", desk.settings.region)
    for batch in range(12):
        index.publish([_document(f"AAAA-{batch:04d}", f"word{batch}")], [])
        index.publish(
            [_document(f"BBBB-{batch:04d}", "kept")], [f"AAAA-{batch:04d}"] if batch % 5 == 4 else []
        )
        live = set(index.manifest().segments)
        objects = s3.list_objects_v2(Bucket=desk.settings.mail_bucket, Prefix=SEGMENT_PREFIX).get(
            "Contents", []
        )
        assert {entry["Key"].removeprefix(SEGMENT_PREFIX) for entry in objects} == live
        assert {path.name for path in (tmp_path / "writer").glob("*.db")} <= live


def test_small_segments_merge_among_themselves_and_leave_the_base_alone(desk: Desk, tmp_path: Path) -> None:
    index = SearchIndex(desk.settings.mail_bucket, desk.settings.region, tmp_path / "writer")
    index.publish([_document(f"BASE-{n:04d}", f"base{n}") for n in range(400)], [])
    (base,) = index.manifest().segments
    for batch in range(12):
        index.publish([_document(f"SMAL-{batch:04d}", f"small{batch}")], [])
        assert index.manifest().segments[-1] == base  # never rewritten for a few small batches
    assert len(index.manifest().segments) <= 8
    reader = SearchIndex(desk.settings.mail_bucket, desk.settings.region, tmp_path / "reader")
    conditions = Conditions()
    for word in ("base7", "small0", "small11"):
        parsed = parse_query(word + " ")
        assert parsed is not None
        assert len(reader.search(parsed, conditions, Order.RELEVANCE, 10).hits) == 1


def _document(ref: str, word: str) -> SearchDocument:
    return SearchDocument(
        ref=ref,
        subject=word,
        requester="",
        tags="",
        messages=f"a message with {word}",
        notes="",
        status="open",
        queue="support",
        assignee="-",
        priority="normal",
        language="en",
        requester_email="x@example.com",
        follow_up="",
        created_at="2026-11-24T09:00:00.000Z",
        updated_at="2026-11-24T09:00:00.000Z",
    )
