"""The local stack's mail spool: every mail the SMTP listener accepts is on disk (synced) before the
sender gets its 250, and stays there until ingest has made it ticket state. A stack that dies, even by
``kill -9``, finds at its next start the mails it accepted and did not finish, and delivers them again
under the same SES message id and receipt time: ingest is idempotent on both, so each ends up on its
ticket exactly once. A mail that fails every try moves to ``dead/`` (as Lambda's dead-letter queue
would keep its event): never dropped in silence."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from postdesk.clock import from_iso, to_iso


@dataclass(frozen=True, slots=True)
class SpooledMail:
    ses_id: str
    received_at: datetime
    envelope_sender: str
    recipients: tuple[str, ...]
    raw: bytes


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.dead = folder / "dead"
        self.dead.mkdir(parents=True, exist_ok=True)

    def accept(self, mail: SpooledMail) -> None:
        """Keep ``mail`` on disk, synced, before anyone is told it was accepted."""
        meta = {
            "ses_id": mail.ses_id,
            "received_at": to_iso(mail.received_at),
            "envelope_sender": mail.envelope_sender,
            "recipients": list(mail.recipients),
        }
        _write_synced(self.folder / f"{mail.ses_id}.eml", mail.raw)
        # The metadata last: a mail without it was never accepted (no 250 went out).
        _write_synced(self.folder / f"{mail.ses_id}.json", json.dumps(meta).encode())
        _sync_folder(self.folder)

    def pending(self) -> list[SpooledMail]:
        """The mails accepted and not yet done, oldest first."""
        found = []
        for meta_path in self.folder.glob("*.json"):
            raw_path = meta_path.with_suffix(".eml")
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                raw = raw_path.read_bytes()
            except (OSError, ValueError):
                continue
            found.append(
                SpooledMail(
                    ses_id=str(meta["ses_id"]),
                    received_at=from_iso(str(meta["received_at"])),
                    envelope_sender=str(meta["envelope_sender"]),
                    recipients=tuple(meta["recipients"]),
                    raw=raw,
                )
            )
        return sorted(found, key=lambda mail: (mail.received_at, mail.ses_id))

    def done(self, ses_id: str) -> None:
        """Ingest made ``ses_id`` ticket state: it leaves the spool."""
        (self.folder / f"{ses_id}.json").unlink(missing_ok=True)
        (self.folder / f"{ses_id}.eml").unlink(missing_ok=True)

    def dead_letter(self, ses_id: str) -> None:
        """Every try failed: the mail and its metadata are kept apart, for a person to look at."""
        for suffix in (".eml", ".json"):
            source = self.folder / f"{ses_id}{suffix}"
            if source.exists():
                source.replace(self.dead / source.name)


def _write_synced(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    temporary.replace(path)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
