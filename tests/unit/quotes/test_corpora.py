"""Whole-corpus checks: the reply-* thresholds, and no cut in mails that hold no quote."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from bench.bench_reply import SETS_KEEPING_SIGNATURES, load_input, score_case
from bench.bench_reply import Output as ScoredOutput
from postdesk.mail.quotes import visible_reply
from tests.corpora import corpus_dir

REPLY_SETS = ["reply-github-zapier", "reply-mail-parser-reply", "reply-talon"]
QUOTE_REMOVED_TARGET = 0.95
REPLY_KEPT_TARGET = 0.99


@pytest.mark.parametrize("name", REPLY_SETS)
def test_given_a_reply_corpus_when_every_case_is_read_then_the_targets_are_met(name: str) -> None:
    # Given
    root = corpus_dir(name)
    spec = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    removed: list[bool] = []
    kept: list[bool] = []
    # When
    for case in spec["cases"]:
        case_input = load_input(root / case["file"])
        reply = visible_reply(case_input.text, case_input.html)
        if case.get("category") == "robustness_only" or case.get("task") == "signature_extraction":
            continue
        output = ScoredOutput(reply.text_with_forward, reply.signature)
        verdicts = score_case(case, case_input, output, name in SETS_KEEPING_SIGNATURES, judge_signature=True)
        if verdicts["quote_removed"] is not None:
            removed.append(bool(verdicts["quote_removed"]))
        if verdicts["reply_kept"] is not None:
            kept.append(bool(verdicts["reply_kept"]))
    # Then
    assert sum(removed) / len(removed) >= QUOTE_REMOVED_TARGET
    assert sum(kept) / len(kept) >= REPLY_KEPT_TARGET


def test_given_ticket_bodies_without_quotes_when_read_then_every_one_is_returned_whole() -> None:
    # Given the support-ticket corpus, whose bodies are single messages with no quoted history
    root = corpus_dir("tickets-tobi-bueck-en-de")
    csv.field_size_limit(sys.maxsize)
    bodies = [
        row["body"]
        for path in sorted(root.glob("*.csv"))
        for row in csv.DictReader(path.open(encoding="utf-8", newline=""))
        if row.get("body", "").strip()
    ]
    # When
    cut = [body[:80] for body in bodies if visible_reply(body).text_with_forward != body.strip()]
    # Then
    assert len(bodies) > 1000
    assert cut == []
