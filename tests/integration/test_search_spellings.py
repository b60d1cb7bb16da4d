"""Search meets the ways people type letters their keyboard lacks ("mueller" for "Müller", and back),
without making other words find more; and a hit's passage is always words a person reads."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from postdesk.search.documents import spellings_of, typed_spellings
from postdesk.search.query import parse_query
from postdesk.search.segments import Conditions, Order, SegmentReader, merge_segments
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _hits(client: Client, token: str, q: str) -> list[dict[str, Any]]:
    answer = client.http.get(f"/tickets?{urlencode({'q': q})}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    hits: list[dict[str, Any]] = body_of(answer)["tickets"]
    return hits


def _refs(client: Client, token: str, q: str) -> set[str]:
    return {hit["ref"] for hit in _hits(client, token, q)}


def _passage(hit: dict[str, Any]) -> tuple[str, list[str]]:
    parts = hit["match"]["snippet"]
    return "".join(part["text"] for part in parts), [part["text"] for part in parts if part["match"]]


def test_letters_typed_another_way_meet_both_ways(desk: Desk, client: Client, token: str) -> None:
    umlaut = desk.deliver(
        build_mail(
            sender="Jürgen Müller <jm@kunde.example>",
            subject="Lieferung",
            body="Guten Tag,\n\ndas Paket kam nie in der Hauptstraße an.\n\nGrüße",
        )
    ).ref
    typed = desk.deliver(
        build_mail(
            sender="Jonas Mueller <jonas@kunde.example>", subject="Rechnung", body="Die Strasse stimmt."
        )
    ).ref
    danish = desk.deliver(build_mail(sender="Søren Kierkegaard <sk@kunde.example>", subject="Ordre")).ref
    french = desk.deliver(build_mail(subject="Commande", body="Le colis du lundi et les deux autres.")).ref
    assert desk.index_changes() > 0

    assert _refs(client, token, "mueller ") == {umlaut, typed}  # typed without the key
    assert _refs(client, token, "Müller ") == {umlaut, typed}  # and the other way round
    assert _refs(client, token, "muller ") == {umlaut}  # accents folded, as before
    assert _refs(client, token, "muel") == {umlaut, typed}  # a word still being typed
    assert _refs(client, token, "hauptstrasse ") == {umlaut}  # ß as ss
    assert _refs(client, token, "straße ") == {typed}  # and back
    assert _refs(client, token, "gruesse ") == {umlaut}
    assert _refs(client, token, "soren ") == {danish}
    assert _refs(client, token, "soeren ") == {danish}
    assert _refs(client, token, '"juergen mueller"') == {umlaut}
    assert _refs(client, token, '"jurgen muller"') == {umlaut}
    # Words that hold "ue", "ss"… are not read as holding ü, ß…: English and French find no more.
    assert _refs(client, token, "du ") == {french}
    assert _refs(client, token, "due ") == set()  # not the French "du"
    assert _refs(client, token, "less ") == set()  # not "les"

    (hit,) = _hits(client, token, "juergen ")
    text, marked = _passage(hit)
    assert marked == ["Jürgen"] and "juergen" not in text  # the words as written, marked
    (hit,) = _hits(client, token, "hauptstrasse ")
    text, marked = _passage(hit)
    assert marked == ["Hauptstraße"] and text.startswith("Guten Tag")


def test_a_hit_by_reference_shows_the_tickets_words(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(
        build_mail(subject="Invoice shows the wrong amount", body="Hello,\n\nit says 40 EUR.")
    ).ref
    assert desk.index_changes() > 0

    for typed in (ref, ref[:4], ref.replace("-", "").lower() + " "):
        (hit,) = _hits(client, token, typed)
        text, marked = _passage(hit)
        assert text == "Hello, it says 40 EUR." and marked == [], typed
    # A reference with another word: the passage where that word is.
    (hit,) = _hits(client, token, f"{ref} amount")
    text, marked = _passage(hit)
    assert marked == ["amount"] and ref not in text


def test_the_spellings_of_a_word(tmp_path: Path) -> None:
    assert typed_spellings("Müller") == ("mueller",)
    assert typed_spellings("STRAẞE") == ("strasse",)
    assert typed_spellings("Søren") == ("soeren", "soren")
    assert typed_spellings("Łódź") == ("lódź",)
    assert typed_spellings("queue") == ()
    # Each once, and nothing for text without such letters (the index grows only where they are).
    assert spellings_of("Müller, Müller und Mu\u0308ller", "the queue is blue") == "\x01mueller\x01"
    assert spellings_of("the queue is blue") == ""
    parsed = parse_query("queue due less ")
    assert parsed is not None and not any(letter in parsed.match for letter in "üß")


def test_a_segment_written_before_spellings_gets_them_when_merged(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with closing(sqlite3.connect(old)) as connection, connection:
        connection.executescript(
            """CREATE VIRTUAL TABLE docs USING fts5(
                reference, subject, requester, tags, messages, notes, ref UNINDEXED, status UNINDEXED,
                queue UNINDEXED, assignee UNINDEXED, priority UNINDEXED, language UNINDEXED,
                requester_email UNINDEXED, follow_up UNINDEXED, created_at UNINDEXED, updated_at UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
            CREATE TABLE names (ref TEXT PRIMARY KEY, removed INTEGER NOT NULL) WITHOUT ROWID;"""
        )
        connection.execute(
            "INSERT INTO docs VALUES ('AB12-CD34 AB12CD34', 'Lieferung', 'Jürgen Müller', '', 'Grüße', '',"
            " 'AB12-CD34', 'open', 'support', '-', 'normal', 'de', 'j@kunde.example', '',"
            " '2026-11-24T09:00:00.000Z', '2026-11-24T09:00:00.000Z')"
        )
        connection.execute("INSERT INTO names VALUES ('AB12-CD34', 0)")
    parsed = parse_query("mueller ")
    assert parsed is not None
    reader = SegmentReader(old)
    try:  # an old segment is still read (without the spellings, until it is merged)
        assert reader.search(parsed.match, Conditions(), Order.RELEVANCE, 10, ()) == []
    finally:
        reader.close()

    merged = tmp_path / "merged.db"
    assert merge_segments([old], merged) == 1
    reader = SegmentReader(merged)
    try:
        (hit,) = reader.search(parsed.match, Conditions(), Order.RELEVANCE, 10, (), parsed.shown)
    finally:
        reader.close()
    assert hit.ref == "AB12-CD34" and hit.snippet == "Jürgen \x02Müller\x03"
