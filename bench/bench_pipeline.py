"""Per-mail compute of the ingest path without AWS, over every corpus mail, and the handler's cold start.

Stages timed per mail: parse, screen, understand (visible reply, language, triage, articles) and
render the acknowledgement. Cold start: a fresh interpreter importing the ingest handler module, and
the same plus a first mail through every stage (models and the knowledge base load on first use),
each as a ratio to ``import boto3`` measured in the same run (median of 5 subprocesses each).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.bench_parse import CORPORA
from bench.timing import fresh_interpreter_seconds
from postdesk.mail.parse import parse_message
from postdesk.rendering import available_languages, render_mail
from postdesk.triage.screening import ReceiptVerdicts, screen
from postdesk.triage.understand import understand

REPO_ROOT = Path(__file__).resolve().parent.parent
NOT_MAIL = {"README.md", "inventory.json", "expected.json"}
COLD_RUNS = 5
FIRST_MAIL = (
    "import postdesk.handlers\n"
    "from postdesk.mail.parse import parse_message\n"
    "from postdesk.rendering import available_languages\n"
    "from postdesk.triage.understand import understand\n"
    "m = parse_message(b'From: a@b.example\\r\\nSubject: Refund\\r\\n\\r\\n'\n"
    "                  b'I was charged twice, please refund.')\n"
    "understand(m, history_languages=(), default_language='en', template_languages=available_languages())\n"
)


def _mail_files() -> list[Path]:
    files = [p for corpus in sorted(CORPORA.glob("mime-*")) for p in corpus.rglob("*") if p.is_file()]
    files += sorted((CORPORA / "reply-talon").rglob("*.eml"))
    return [p for p in files if p.name not in NOT_MAIL and not p.name.startswith("LICENSE")]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 3),
        "p99_ms": round(_percentile(values, 0.99) * 1000, 3),
        "max_ms": round(max(values) * 1000, 3),
    }


def run() -> dict[str, object]:
    files = _mail_files()
    if not files:
        return {"skipped": f"corpora not found at {CORPORA}"}
    languages = available_languages()
    stages: dict[str, list[float]] = {
        "parse": [],
        "screen": [],
        "understand": [],
        "render_ack": [],
        "total": [],
    }
    for path in files:
        raw = path.read_bytes()
        started = time.perf_counter()
        message = parse_message(raw)
        parsed = time.perf_counter()
        screening = screen(
            message,
            envelope_sender=message.header("return-path"),
            verdicts=ReceiptVerdicts(),
            own_addresses={"support@example.com"},
            own_domain="example.com",
        )
        screened = time.perf_counter()
        understanding = understand(
            message, history_languages=(), default_language="en", template_languages=languages
        )
        understood = time.perf_counter()
        render_mail(
            "ack",
            understanding.reply_language,
            {
                "customer_name": message.sender.name if message.sender else "",
                "ref": "K7Q2-M9XD",
                "subject": message.subject,
                "excerpt_lines": understanding.request_text.splitlines()[:12],
                "support_name": "Support",
                "empathy": understanding.triage.sentiment.label in ("frustrated", "angry"),
                "articles": [
                    {"title": s.article.title, "url": s.article.url} for s in understanding.suggestions
                ],
                "category_line": "",
                "promise": "",
            },
        )
        rendered = time.perf_counter()
        assert screening.verdict
        stages["parse"].append(parsed - started)
        stages["screen"].append(screened - parsed)
        stages["understand"].append(understood - screened)
        stages["render_ack"].append(rendered - understood)
        stages["total"].append(rendered - started)
    bare = fresh_interpreter_seconds("pass", COLD_RUNS)
    boto3 = fresh_interpreter_seconds("import boto3", COLD_RUNS)
    handler = fresh_interpreter_seconds("import postdesk.handlers", COLD_RUNS)
    first_mail = fresh_interpreter_seconds(FIRST_MAIL, COLD_RUNS)
    return {
        "mails": len(files),
        "per_mail": {stage: _summary(values) for stage, values in stages.items()},
        "cold_seconds": {
            "bare_interpreter": round(bare, 3),
            "import_boto3": round(boto3, 3),
            "import_ingest_handler": round(handler, 3),
            "import_handler_and_first_mail": round(first_mail, 3),
        },
        "cold_ratio_to_boto3": {
            "import_ingest_handler": round(handler / boto3, 2),
            "import_handler_and_first_mail": round(first_mail / boto3, 2),
            "import_handler_and_first_mail_minus_bare": round((first_mail - bare) / (boto3 - bare), 2),
        },
    }
