"""`postdesk inspect`: how the desk reads each mail file, as JSON, for people debugging a mail."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from postdesk.mail.parse import parse_message
from postdesk.rendering import available_languages
from postdesk.triage.screening import ReceiptVerdicts, screen
from postdesk.triage.understand import understand

# Screening needs to know which addresses are ours; for files on disk there is no deployment, so
# only the patterns that are ours everywhere (our Message-IDs) can match.
_NO_OWN_ADDRESSES: frozenset[str] = frozenset()


def mail_files(paths: Sequence[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def describe(path: Path) -> dict[str, Any]:
    """What the desk sees in one file; a file that cannot be read gives ``error`` instead."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return {"file": str(path), "error": f"cannot read: {error.strerror or error}"}
    message = parse_message(raw)
    if not message.headers:
        return {"file": str(path), "error": "no header found: this is not an email message"}
    understanding = understand(
        message, history_languages=(), default_language="en", template_languages=available_languages()
    )
    decision = understanding.triage
    screening = screen(
        message,
        envelope_sender=message.header("return-path"),
        verdicts=ReceiptVerdicts(),
        own_addresses=_NO_OWN_ADDRESSES,
        own_domain="",
    )
    return {
        "file": str(path),
        "message_id": message.message_id,
        "subject": message.subject,
        "from": _address(message.sender),
        "to": [_address(a) for a in message.to],
        "cc": [_address(a) for a in message.cc],
        "date": message.date.isoformat() if message.date else None,
        "content_type": message.content_type,
        "text": message.text,
        "visible_reply": understanding.visible.text_with_forward,
        "quoted": understanding.visible.quoted,
        "signature": understanding.visible.signature,
        "language": understanding.language.code,
        "language_confidence": round(understanding.language.confidence, 3),
        "language_source": understanding.language.source,
        "category": decision.category,
        "priority": decision.priority,
        "sentiment": {
            "label": decision.sentiment.label,
            "score": round(decision.sentiment.score, 3),
            "cues": list(decision.sentiment.cues),
        },
        "queue": decision.queue,
        "tags": list(decision.tags),
        "confidence": round(decision.confidence, 3),
        "explanation": decision.explanation,
        "kb_suggestions": [
            {"title": s.article.title, "url": s.article.url, "score": round(s.score, 2)}
            for s in understanding.suggestions
        ],
        "attachments": [
            {"name": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in message.attachments
        ],
        "screening": {
            "verdict": screening.verdict.value,
            "auto_reply": screening.verdict.value in ("auto_reply", "own_mail"),
            "bounce": screening.is_bounce,
            "reason": screening.reason,
        },
        "defects": list(message.defects),
    }


def _address(address: Any) -> dict[str, str] | None:
    return {"name": address.name, "email": address.email} if address else None


def inspect_paths(paths: Sequence[str], *, jsonl: bool, out: TextIO) -> int:
    """Print one object per file; returns 1 when a path does not exist, else 0 (errors are data)."""
    status = 0
    for path in mail_files(paths):
        if not path.exists():
            status = 1
            record: dict[str, Any] = {"file": str(path), "error": "no such file or folder"}
        else:
            try:
                record = describe(path)
            except Exception as error:
                record = {"file": str(path), "error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(record, ensure_ascii=False, indent=None if jsonl else 2) + "\n")
    return status
