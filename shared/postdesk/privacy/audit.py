"""The audit table: one record per export, erasure and ticket deletion, saying what was done, when,
by whom and how much, and never whose data it was (no address, no hash of one, no ticket reference)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, UnicodeAttribute

from postdesk.aws.dynamodb import DeskModel, read_item
from postdesk.clock import from_iso, to_iso
from postdesk.tickets.dynamo import bind_model

EXPORT = "export"
ERASURE = "erasure"
# One ticket removed whole (held mail an agent deleted from the quarantine).
TICKET_DELETION = "ticket-deletion"
# Stands in for the operator when the operator is the requester themself (their address stays out).
SELF = "the requester"


class AuditItem(DeskModel):
    class Meta:
        table_name = "unbound-audit"

    # "<action>#<id>": "erasure#20261124T093100Z-1a2b3c4d".
    pk = UnicodeAttribute(hash_key=True)
    action = UnicodeAttribute()
    at = UnicodeAttribute()
    # The agent (API) or the operator (CLI) who did it.
    operator = UnicodeAttribute()
    # "api" or "cli".
    channel = UnicodeAttribute()
    # How many items, objects and schedules of each kind; numbers only.
    counts = MapAttribute[str, Any](null=True)
    kept_suppression = BooleanAttribute(null=True)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    action: str
    record_id: str
    at: datetime
    operator: str
    channel: str
    counts: Mapping[str, int] = field(default_factory=dict)
    kept_suppression: bool | None = None

    @property
    def key(self) -> str:
        return f"{self.action}#{self.record_id}"


def new_record_id(now: datetime) -> str:
    """A time-ordered id that names nobody: ``20261124T093100Z-1a2b3c4d``."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def operator_for_record(operator: str, subject: str) -> str:
    """The operator as the record keeps it: never the requester's own address."""
    cleaned = " ".join(operator.split())[:200] or "unknown"
    return SELF if cleaned.lower() == subject.strip().lower() else cleaned


class AuditLog:
    def __init__(self, table: str, region: str) -> None:
        self._table = table
        self._region = region

    def _bound(self) -> type[AuditItem]:
        return bind_model(AuditItem, self._table, self._region)

    def write(self, record: AuditRecord) -> None:
        """Add the record; a record is never overwritten."""
        model = self._bound()
        model(
            record.key,
            action=record.action,
            at=to_iso(record.at),
            operator=record.operator,
            channel=record.channel,
            counts={name: int(value) for name, value in record.counts.items()} or None,
            kept_suppression=record.kept_suppression,
        ).save(condition=model.pk.does_not_exist())

    def get(self, action: str, record_id: str) -> AuditRecord | None:
        item = read_item(self._bound(), f"{action}#{record_id}")
        if item is None:
            return None
        return _record(item)

    def records(self) -> list[AuditRecord]:
        """Every record, oldest first (a scan: one small item per export or erasure)."""
        found = [_record(item) for item in self._bound().scan(consistent_read=True)]
        return sorted(found, key=lambda record: (record.at, record.key))


def _record(item: AuditItem) -> AuditRecord:
    counts = item.counts.as_dict() if item.counts else {}
    return AuditRecord(
        action=item.action,
        record_id=item.pk.partition("#")[2],
        at=from_iso(item.at),
        operator=item.operator,
        channel=item.channel,
        counts={str(name): int(value) for name, value in counts.items()},
        kept_suppression=item.kept_suppression,
    )
