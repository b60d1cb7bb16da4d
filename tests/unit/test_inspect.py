"""`postdesk inspect`: one JSON object per mail file, errors as data, the run goes on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from postdesk_tools.cli import main
from postdesk_tools.inspect import inspect_paths
from tests.mails import build_mail


def _run(paths: list[str], jsonl: bool = True) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    status = inspect_paths(paths, jsonl=jsonl, out=out)
    if jsonl:
        return status, [json.loads(line) for line in out.getvalue().splitlines()]
    decoder = json.JSONDecoder()
    text, records, position = out.getvalue(), [], 0
    while position < len(text.rstrip()):
        record, end = decoder.raw_decode(text, position)
        records.append(record)
        position = end + 1
    return status, records


def test_a_folder_is_walked_recursively_and_every_file_gives_one_object(tmp_path: Path) -> None:
    # Given a folder with a request, a nested out-of-office with an attachment-free body, and junk
    (tmp_path / "nested").mkdir()
    (tmp_path / "request.eml").write_bytes(build_mail(cc="Bob <bob@customer.example>"))
    (tmp_path / "nested" / "ooo.eml").write_bytes(
        build_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    )
    (tmp_path / "nested" / "junk.bin").write_bytes(b"\x00\x01\x02 not a mail at all")

    # When inspected as JSON lines
    status, records = _run([str(tmp_path)])

    # Then each file has its object, in path order, with the fields people debug with
    assert status == 0
    by_name = {Path(str(r["file"])).name: r for r in records}
    assert set(by_name) == {"request.eml", "ooo.eml", "junk.bin"}
    request = by_name["request.eml"]
    assert request["subject"] == "My order has not arrived"
    assert request["from"] == {"name": "Jane Doe", "email": "jane.doe@customer.example"}
    assert request["to"] == [{"name": "", "email": "support@example.com"}]
    assert str(request["message_id"]).endswith("@customer.example>")
    assert str(request["date"]).startswith("2026-11-24T09:30:00")
    assert "my order 4711" in str(request["text"])
    assert request["visible_reply"] == request["text"]
    assert request["language"] == "en"
    assert request["category"] == "orders" and request["queue"] == "orders"
    assert request["priority"] in ("normal", "low", "high")
    assert request["sentiment"]["label"] == "neutral"  # type: ignore[index]
    assert request["explanation"]
    assert isinstance(request["kb_suggestions"], list)
    assert request["attachments"] == []
    assert request["screening"] == {
        "verdict": "accept",
        "auto_reply": False,
        "bounce": False,
        "reason": "no automatic, list, bounce or spam signal",
    }
    assert by_name["ooo.eml"]["screening"]["auto_reply"] is True  # type: ignore[index]
    assert "error" in by_name["junk.bin"] and "not an email" in str(by_name["junk.bin"]["error"])


def test_a_missing_path_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(build_mail())
    status, records = _run([str(tmp_path / "missing.eml"), str(tmp_path / "a.eml")], jsonl=False)
    assert status == 1
    assert records[0]["error"] == "no such file or folder"
    assert records[1]["subject"] == "My order has not arrived"


def test_the_command_line_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.eml").write_bytes(build_mail())
    assert main(["inspect", "--jsonl", str(tmp_path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["subject"] == "My order has not arrived"


def test_the_visible_reply_language_triage_and_articles_are_shown(tmp_path: Path) -> None:
    # Given a frustrated German reply that quotes our earlier answer
    body = (
        "Ich habe mein Passwort vergessen und kann mich immer noch nicht anmelden. Das ist "
        "inakzeptabel!\n\nAm 24.11.2026 um 09:31 schrieb Support <support@example.com>:\n"
        "> Vielen Dank für Ihre Nachricht.\n"
    )
    (tmp_path / "de.eml").write_bytes(build_mail(subject="Anmeldung", body=body))

    # When inspected
    _, (record,) = _run([str(tmp_path)])

    # Then the quote is gone from the visible reply, and language, category and feeling are read
    assert "Vielen Dank" not in str(record["visible_reply"])
    assert "Passwort vergessen" in str(record["visible_reply"])
    assert record["language"] == "de"
    assert record["category"] == "account"
    assert record["sentiment"]["label"] in ("frustrated", "angry")  # type: ignore[index]
    titles = [s["title"] for s in record["kb_suggestions"]]  # type: ignore[union-attr]
    assert titles and len(titles) <= 3
