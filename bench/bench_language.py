"""Language detection: accuracy on the public ticket corpus, per-call time, and cold-start cost.

- accuracy on the clean rows of tickets-tobi-bueck-en-de (label confirmed by a stop-word test, see
  tests/unit/language/ticket_corpus.py), on full bodies and on their first 40 characters;
- accuracy on the mail bodies of reply-mail-parser-reply whose language the corpus states, the only
  other labelled text here (en, da, nl, pl, sv, ja; few rows, so read it as a smoke figure);
- median time of one ``detect()`` call on 40-character prefixes and on full bodies (model loaded);
- cold cost: a fresh interpreter that imports the module and makes the first call (which reads the
  model), as a ratio to a fresh interpreter that imports boto3; median of 5 runs each.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path

from bench.timing import fresh_interpreter_seconds
from postdesk.triage.language import MODEL_PATH, detect
from tests.corpora import CORPORA
from tests.unit.language.ticket_corpus import CORPUS_NAME, load_ticket_corpus

COLD_RUNS = 5
TIMED_CALLS = 1000
PREFIX = 40
COLD_DETECT = (
    "from postdesk.triage.language import detect; detect('Guten Tag, meine Rechnung ist leider falsch.')"
)


def _median_call_microseconds(texts: list[str]) -> float:
    timings = []
    for text in texts[:TIMED_CALLS]:
        started = time.perf_counter()
        detect(text)
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1e6, 1)


def _accuracy(rows: list[tuple[str, str]]) -> tuple[float, Counter[str]]:
    mistakes: Counter[str] = Counter()
    for text, language in rows:
        guess = detect(text)
        found = guess[0] if guess else "none"
        if found != language:
            mistakes[f"{language}->{found}"] += 1
    return round(1 - sum(mistakes.values()) / len(rows), 5), mistakes


def _reply_corpus_bodies() -> list[tuple[str, str]]:
    """(mail body, language) of reply-mail-parser-reply, for every body whose language it states.

    Whole bodies, quotes included: their quoted parts are in the same language, and the visible
    replies it transcribes are mostly a word or two ("Svar.")."""
    folder = CORPORA / "reply-mail-parser-reply"
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return [
        ((folder / case["file"]).read_text(encoding="utf-8"), case["body_language"])
        for case in expected["cases"]
        if case.get("body_language")
    ]


def run() -> dict[str, object]:
    corpus_folder = CORPORA / CORPUS_NAME
    if not corpus_folder.is_dir():
        return {"skipped": f"corpus {CORPUS_NAME} not found at {corpus_folder}"}
    corpus = load_ticket_corpus(corpus_folder)
    full_rows = list(corpus.clean)
    prefix_rows = [(body[:PREFIX], language) for body, language in corpus.clean]

    detect("warm up: the model is read on the first call")
    full_accuracy, full_mistakes = _accuracy(full_rows)
    prefix_accuracy, prefix_mistakes = _accuracy(prefix_rows)
    figures: dict[str, object] = {
        "tickets_rows": corpus.total,
        "tickets_clean_rows": len(corpus.clean),
        "tickets_excluded_label_contradicted": corpus.contradicted,
        "tickets_excluded_label_unconfirmed": corpus.unconfirmed,
        "accuracy_full": full_accuracy,
        "accuracy_first_40_chars": prefix_accuracy,
        "mistakes_full": dict(full_mistakes.most_common()),
        "mistakes_first_40_chars": dict(prefix_mistakes.most_common()),
    }
    if (CORPORA / "reply-mail-parser-reply").is_dir():
        replies = _reply_corpus_bodies()
        reply_accuracy, reply_mistakes = _accuracy(replies)
        figures["reply_corpus_rows_by_language"] = dict(sorted(Counter(lang for _, lang in replies).items()))
        figures["reply_corpus_accuracy"] = reply_accuracy
        figures["reply_corpus_mistakes"] = dict(reply_mistakes.most_common())

    figures["median_call_us_first_40_chars"] = _median_call_microseconds([text for text, _ in prefix_rows])
    figures["median_call_us_full"] = _median_call_microseconds([text for text, _ in full_rows])
    figures["median_full_body_chars"] = statistics.median(len(body) for body, _ in full_rows)

    bare = fresh_interpreter_seconds("pass", COLD_RUNS)
    cold_detect = fresh_interpreter_seconds(COLD_DETECT, COLD_RUNS)
    cold_boto3 = fresh_interpreter_seconds("import boto3", COLD_RUNS)
    figures["cold_ms_bare_interpreter"] = round(bare * 1e3, 1)
    figures["cold_ms_import_and_first_detect"] = round(cold_detect * 1e3, 1)
    figures["cold_ms_import_boto3"] = round(cold_boto3 * 1e3, 1)
    figures["cold_ratio_to_boto3"] = round(cold_detect / cold_boto3, 3)
    figures["cold_ratio_to_boto3_over_bare_interpreter"] = round(
        (cold_detect - bare) / (cold_boto3 - bare), 3
    )
    figures["model_bytes"] = Path(MODEL_PATH).stat().st_size
    return figures
