"""The right of access (GDPR art. 15, CCPA's right to know): everything the desk holds about a
requester, as one zip a machine can read.

Layout::

    manifest.json                                  who, when, what is inside, what is not
    tickets/<ref>.json                             a ticket: its fields, the rating, every message
                                                   with its whole text, every event
    tickets/<ref>/mail/<ses id>.eml                a received mail as it arrived (raw MIME)
    tickets/<ref>/attachments/<ses id>/<n>-<name>  an attachment of a received mail

Texts over the inline limit (kept under ``bodies/``) are read back in full. An object that is gone
from the bucket (its retention period ended) is listed under ``missing`` in the manifest rather than
failing the export. Every export writes an audit record (no address in it)."""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from postdesk.aws.s3 import BlobNotFound
from postdesk.clock import to_iso
from postdesk.hygiene.suppressions import REASON_WORDS, SuppressionEntry
from postdesk.mail.recipients import normalize_address
from postdesk.observability import logger
from postdesk.privacy.audit import EXPORT, AuditRecord, new_record_id, operator_for_record
from postdesk.privacy.records import (
    PrivacyDesk,
    TicketRecords,
    exports_folder,
    records_of,
)
from postdesk.tickets.items import sla_to_json
from postdesk.tickets.model import ThreadMessage, TicketEvent
from postdesk.tickets.views import ticket_summary

FORMAT = "postdesk-privacy-export"
FORMAT_VERSION = 1
# How long the link to an export stored in the bucket works; the object itself goes after a day.
EXPORT_LINK_SECONDS = 15 * 60
# Larger archives spill from memory to the function's temporary disk.
_SPOOL_BYTES = 32 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

LAYOUT = {
    "manifest.json": "this file: whose data, when it was exported, what the archive holds, what it does not",
    "tickets/<ref>.json": (
        "one ticket: its fields, the satisfaction rating, every message (received, sent, internal "
        "notes) with its whole text, every event of its log"
    ),
    "tickets/<ref>/mail/<ses id>.eml": "a received mail exactly as it arrived (raw MIME)",
    "tickets/<ref>/attachments/<ses id>/<n>-<name>": "an attachment of a received mail",
}
NOT_INCLUDED = [
    "The desk's per-day figures (counts and durations per day, category and agent) name nobody and are "
    "not part of any person's data.",
    "Mentions of the address inside tickets other people asked (as a copy recipient, or in a forwarded "
    "text) belong to those tickets and are not searched.",
    "Logs name no address (addresses are masked) and are kept 30 days; table backups (point-in-time "
    "recovery) are kept 35 days and cannot be read item by item.",
]


@dataclass(frozen=True, slots=True)
class ExportSummary:
    export_id: str
    at: datetime
    tickets: int
    messages: int
    events: int
    attachments: int
    raw_mails: int
    missing: int
    size: int

    def counts(self) -> dict[str, int]:
        return {
            "tickets": self.tickets,
            "messages": self.messages,
            "events": self.events,
            "attachments": self.attachments,
            "raw_mails": self.raw_mails,
            "missing": self.missing,
            "bytes": self.size,
        }


@dataclass(frozen=True, slots=True)
class StoredExport:
    summary: ExportSummary
    key: str
    url: str
    expires_at: datetime


class _Archive:
    """The zip being written, with what went into it."""

    def __init__(self, out: IO[bytes], at: datetime) -> None:
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self._stamp = at.timetuple()[:6]
        self.names: set[str] = set()
        self.missing: list[dict[str, str]] = []

    def add(self, name: str, data: bytes) -> str:
        """Add a file; a second file of the same name gets a number in front of its name."""
        candidate, counter = name, 1
        while candidate in self.names:
            counter += 1
            folder, _, file = name.rpartition("/")
            candidate = f"{folder}/{counter}-{file}"
        self.names.add(candidate)
        info = zipfile.ZipInfo(candidate, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data)
        return candidate

    def add_json(self, name: str, document: Any) -> str:
        return self.add(name, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def close(self) -> None:
        self._zip.close()


def _safe_name(filename: str) -> str:
    cleaned = _UNSAFE_NAME.sub("_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._")
    return cleaned[:100] or "attachment"


def _iso(moment: datetime | None) -> str | None:
    return to_iso(moment) if moment else None


def _fetch(desk: PrivacyDesk, key: str, archive: _Archive, ref: str, what: str) -> bytes | None:
    try:
        return desk.blobs.get(key)
    except BlobNotFound:
        archive.missing.append(
            {
                "ticket": ref,
                "what": what,
                "reason": "no longer in the mail bucket: its retention period ended",
            }
        )
        return None


def _message(
    message: ThreadMessage, records: TicketRecords, desk: PrivacyDesk, archive: _Archive
) -> dict[str, Any]:
    ref = records.ref
    text = message.text
    complete = True
    if message.text_key:
        body = _fetch(desk, message.text_key, archive, ref, f"the whole text of message {message.key}")
        if body is None:
            complete = False
        else:
            text = body.decode("utf-8", "replace")
    raw_file = None
    if message.raw_key:
        raw = _fetch(desk, message.raw_key, archive, ref, f"the received mail of message {message.key}")
        if raw is not None:
            raw_file = archive.add(f"tickets/{ref}/mail/{message.ses_id or 'mail'}.eml", raw)
    attachments = []
    for index, attachment in enumerate(message.attachments):
        content = _fetch(desk, attachment.key, archive, ref, f"attachment {attachment.filename!r}")
        file = None
        if content is not None:
            name = f"{index:03d}-{_safe_name(attachment.filename)}"
            file = archive.add(f"tickets/{ref}/attachments/{message.ses_id or 'mail'}/{name}", content)
        attachments.append(
            {
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "file": file,
            }
        )
    return {
        "key": message.key,
        "direction": message.direction.value,
        "kind": message.kind.value,
        "at": to_iso(message.at),
        "from": {"email": message.from_email, "name": message.from_name},
        "to": list(message.to),
        "cc": list(message.cc),
        "subject": message.subject,
        "message_id": message.message_id,
        "text": text,
        "text_complete": complete,
        "visible_reply": message.visible_text,
        "has_html": message.has_html,
        "screening": message.screening,
        "attachments": attachments,
        "raw_mail": raw_file,
    }


# Who the agents blind-copied is theirs to know, not the requester's (nor are the blind copies'
# addresses the requester's data): the export leaves them out.
BLIND_COPY_DETAILS = frozenset({"bcc", "bcc_kept"})


def _event(event: TicketEvent) -> dict[str, Any]:
    detail = (
        {}
        if event.kind == "bcc_changed"
        else {k: v for k, v in event.detail.items() if k not in BLIND_COPY_DETAILS}
    )
    return {"at": to_iso(event.at), "kind": event.kind, "actor": event.actor, "detail": detail}


def _ticket_document(records: TicketRecords, desk: PrivacyDesk, archive: _Archive) -> dict[str, Any]:
    ticket = records.ticket
    rating = None
    if ticket.survey_rating is not None:
        rating = {
            "rating": ticket.survey_rating,
            "cycle": ticket.survey_cycle,
            "comment": ticket.survey_comment,
            "answered_at": _iso(ticket.survey_answered_at),
        }
    return {
        # The ticket as agents see it in the API, with its SLA clocks whole.
        "ticket": {
            **{name: value for name, value in ticket_summary(ticket).items() if name != "bcc"},
            "sla": json.loads(sla_to_json(ticket.sla)) if ticket.sla else None,
        },
        "rating": rating,
        "messages": [_message(message, records, desk, archive) for message in records.thread],
        "events": [_event(event) for event in records.events],
    }


def _suppression(entry: SuppressionEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "suppressed": entry.suppressed,
        "reason": entry.reason.value if entry.reason else None,
        "meaning": REASON_WORDS[entry.reason] if entry.reason else None,
        "since": _iso(entry.since),
        "detail": entry.detail,
        "soft_bounces": entry.soft_bounces,
        "first_soft_bounce_at": _iso(entry.first_soft_bounce_at),
    }


def write_archive(
    address: str, desk: PrivacyDesk, out: IO[bytes], export_id: str, at: datetime
) -> ExportSummary:
    """Write the export of ``address`` as a zip to ``out``."""
    subject = normalize_address(address)
    archive = _Archive(out, at)
    records = records_of(address, desk)
    listed = []
    messages = events = attachments = raw_mails = 0
    for ticket_records in records:
        document = _ticket_document(ticket_records, desk, archive)
        file = archive.add_json(f"tickets/{ticket_records.ref}.json", document)
        shown = document["messages"]
        ticket_attachments = sum(1 for m in shown for a in m["attachments"] if a["file"])
        ticket_raw = sum(1 for m in shown if m["raw_mail"])
        listed.append(
            {
                "ref": ticket_records.ref,
                "file": file,
                "subject": ticket_records.ticket.subject,
                "created_at": to_iso(ticket_records.ticket.created_at),
                "messages": len(shown),
                "events": len(document["events"]),
                "attachments": ticket_attachments,
                "raw_mails": ticket_raw,
            }
        )
        messages += len(shown)
        events += len(document["events"])
        attachments += ticket_attachments
        raw_mails += ticket_raw
    archive.add_json(
        "manifest.json",
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "export_id": export_id,
            "generated_at": to_iso(at),
            "desk": desk.settings.support_address,
            "subject": {"email": subject},
            "layout": LAYOUT,
            "tickets": listed,
            "suppression": _suppression(desk.suppressions.entry(subject)),
            "totals": {
                "tickets": len(listed),
                "messages": messages,
                "events": events,
                "attachments": attachments,
                "raw_mails": raw_mails,
            },
            "missing": archive.missing,
            "not_included": NOT_INCLUDED,
        },
    )
    archive.close()
    return ExportSummary(
        export_id=export_id,
        at=at,
        tickets=len(listed),
        messages=messages,
        events=events,
        attachments=attachments,
        raw_mails=raw_mails,
        missing=len(archive.missing),
        size=0,
    )


def _audit(summary: ExportSummary, desk: PrivacyDesk, subject: str, operator: str, channel: str) -> None:
    desk.audit.write(
        AuditRecord(
            action=EXPORT,
            record_id=summary.export_id,
            at=summary.at,
            operator=operator_for_record(operator, subject),
            channel=channel,
            counts=summary.counts(),
        )
    )
    logger.info("privacy export", extra={"export_id": summary.export_id, **summary.counts()})


def export_to_file(
    address: str,
    desk: PrivacyDesk,
    path: Path | None,
    operator: str,
    channel: str = "cli",
    export_id: str | None = None,
) -> tuple[ExportSummary, Path]:
    """Write the export to ``path``, which must not exist yet (default: ``postdesk-export-<id>.zip``
    in the working folder)."""
    subject = normalize_address(address)
    at = desk.clock()
    export_id = export_id or new_record_id(at)
    target = path or Path.cwd() / f"postdesk-export-{export_id}.zip"
    # Never over a file that is there (FileExistsError): it may be another person's export.
    out = target.open("xb")
    try:
        with out:
            summary = write_archive(address, desk, out, export_id, at)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    summary = replace(summary, size=target.stat().st_size)
    _audit(summary, desk, subject, operator, channel)
    return summary, target


def export_to_bucket(address: str, desk: PrivacyDesk, operator: str, channel: str = "api") -> StoredExport:
    """Store the export in the mail bucket under ``exports/`` (deleted after a day by the bucket's
    lifecycle rule, or by an erasure of the address) and make a download link valid for
    EXPORT_LINK_SECONDS."""
    subject = normalize_address(address)
    at = desk.clock()
    export_id = new_record_id(at)
    key = f"{exports_folder(desk.signing_key(), subject)}{export_id}.zip"
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        summary = write_archive(address, desk, spool, export_id, at)
        summary = replace(summary, size=spool.tell())
        spool.seek(0)
        desk.blobs.upload(key, spool, "application/zip")
    url = desk.blobs.presigned_url(key, EXPORT_LINK_SECONDS, f"postdesk-export-{export_id}.zip")
    _audit(summary, desk, subject, operator, channel)
    return StoredExport(summary, key, url, at + timedelta(seconds=EXPORT_LINK_SECONDS))
