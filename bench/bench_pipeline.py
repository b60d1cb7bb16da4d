"""Per-mail compute of the ingest path without AWS, over every corpus mail.

Stages timed per mail: parse, screen, understand (visible reply, language, triage, articles) and
render the acknowledgement. The cold start of the functions is bench_package's (the deployed zip).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.bench_parse import CORPORA
from postdesk.mail.parse import parse_message
from postdesk.rendering import available_languages, render_mail
from postdesk.triage.screening import ReceiptVerdicts, screen
from postdesk.triage.understand import understand

REPO_ROOT = Path(__file__).resolve().parent.parent
NOT_MAIL = {"README.md", "inventory.json", "expected.json"}


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
    return {
        "mails": len(files),
        "per_mail": {stage: _summary(values) for stage, values in stages.items()},
    }
