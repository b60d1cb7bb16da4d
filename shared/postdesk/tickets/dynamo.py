"""PynamoDB models of the tables defined in infra/template.json. The store (tickets/store.py), the
guards (effects/guards.py) and the privacy package's store use them; nothing above those layers.

Access patterns (docs/data-model.md has the whole list):
- ticket by reference: ``TicketItem`` get by ``ref``;
- its thread in order: ``LogItem`` query ``ref`` with ``sk`` beginning ``M#`` (``M#<time>#<id>``);
- its event log in order: the same with ``E#``;
- tickets of a requester: GSI ``by-requester`` (``requester_email``, ``created_at``);
- ticket lists by status, assignee or queue, oldest waiting or highest priority first: the GSIs
  ``status-*``, ``assignee-*``, ``queue-*`` (see tickets/listing.py);
- open work by its earliest running SLA due time (the views "Due soon" and "Breached"): the sparse
  GSI ``sla-due``;
- ticket by Message-ID: ``MessageIndexItem`` get by ``message_id``;
- counters with TTL: ``CounterItem`` (``expires_at``), side-effect guards: ``GuardItem``.

A closed ticket's items (``TicketItem``, every ``LogItem`` of it, its ``MessageIndexItem`` entries)
carry ``expires_at`` (epoch seconds): DynamoDB's TTL deletes them some time after it, and the store
skips them on read from that moment on (workflows/retention.py).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from postdesk.aws.dynamodb import DeskModel
from postdesk.settings import TableNames


def _index(index_name: str, hash_key: str, range_key: str) -> GlobalSecondaryIndex[Any]:
    """A global secondary index of the tickets table keyed by two of its string attributes, with every
    attribute projected (infra/template.json defines the same)."""
    meta = type("Meta", (), {"index_name": index_name, "projection": AllProjection()})
    attributes = {hash_key: UnicodeAttribute(hash_key=True), range_key: UnicodeAttribute(range_key=True)}
    index_class = type(f"{index_name}-index", (GlobalSecondaryIndex,), {"Meta": meta, **attributes})
    index: GlobalSecondaryIndex[Any] = index_class()
    return index


class CcOfferMap(MapAttribute[str, Any]):
    """An address offered for the Cc (tickets/model.py CcOffer)."""

    address = UnicodeAttribute()
    by_email = UnicodeAttribute()
    by_name = UnicodeAttribute(default="")
    at = UnicodeAttribute()


class TicketItem(DeskModel):
    class Meta:
        table_name = "unbound-tickets"

    ref = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute()
    requester_email = UnicodeAttribute()
    requester_name = UnicodeAttribute(default="")
    cc = ListAttribute[str](default=list)
    bcc = ListAttribute[str](null=True)
    cc_offered = ListAttribute[CcOfferMap](of=CcOfferMap, null=True)
    cc_declined = ListAttribute[str](null=True)
    status = UnicodeAttribute()
    queue = UnicodeAttribute()
    priority = UnicodeAttribute()
    language = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    cycle = NumberAttribute(default=1)
    quarantine = UnicodeAttribute(null=True)
    first_response_at = UnicodeAttribute(null=True)
    waiting_since = UnicodeAttribute()
    category = UnicodeAttribute(default="general")
    tags = ListAttribute[str](default=list)
    sentiment = UnicodeAttribute(default="neutral")
    triage_confidence = NumberAttribute(default=0)
    triage_explanation = UnicodeAttribute(default="")
    assignee = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    # Keys of the list indexes, derived from the fields above by the store on every write.
    status_key = UnicodeAttribute()
    assignee_key = UnicodeAttribute()
    queue_key = UnicodeAttribute()
    priority_waiting = UnicodeAttribute()
    follow_up_key = UnicodeAttribute(null=True)
    sla_due_key = UnicodeAttribute(null=True)
    sla_due = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    survey_rating = NumberAttribute(null=True)
    survey_cycle = NumberAttribute(null=True)
    survey_comment = UnicodeAttribute(null=True)
    survey_answered_at = UnicodeAttribute(null=True)
    follow_up = UnicodeAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    saved_replies = ListAttribute[str](null=True)
    suggested_articles = ListAttribute[str](null=True)
    # The SLA clocks, as JSON (tickets/items.py): read and written whole with the ticket.
    sla = UnicodeAttribute(null=True)
    # Epoch seconds after which the ticket is gone (TTL); set while it is closed, else absent.
    expires_at = NumberAttribute(null=True)
    fingerprint = UnicodeAttribute(null=True)
    # The desk's address the ticket came in on; absent on tickets from before there were several.
    mailbox = UnicodeAttribute(null=True)
    # The pending reminder of the current wait and the snooze (tickets/model.py).
    reminded_at = UnicodeAttribute(null=True)
    auto_resolved_cycle = NumberAttribute(null=True)
    snoozed = BooleanAttribute(null=True)
    snoozed_until = UnicodeAttribute(null=True)
    # The last activity of a person and the time rules applied since (tickets/model.py).
    active_at = UnicodeAttribute(null=True)
    rules_applied = ListAttribute[str](null=True)

    by_requester = _index("by-requester", "requester_email", "created_at")
    # The ticket lists: one partition per (status), (assignee, status) or (queue, status), each sorted
    # by how long the ticket has waited or by priority then wait. See tickets/listing.py.
    status_waiting = _index("status-waiting", "status_key", "waiting_since")
    status_priority = _index("status-priority", "status_key", "priority_waiting")
    assignee_waiting = _index("assignee-waiting", "assignee_key", "waiting_since")
    assignee_priority = _index("assignee-priority", "assignee_key", "priority_waiting")
    queue_waiting = _index("queue-waiting", "queue_key", "waiting_since")
    queue_priority = _index("queue-priority", "queue_key", "priority_waiting")
    # Sparse: only tickets flagged for a follow-up are in it.
    follow_up_index = _index("follow-up", "follow_up_key", "waiting_since")
    # Sparse: only open work with an SLA clock running, sorted by its earliest due time.
    sla_due_index = _index("sla-due", "sla_due_key", "sla_due")


class AttachmentMap(MapAttribute[str, Any]):
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    sha256 = UnicodeAttribute()
    key = UnicodeAttribute()


class LogItem(DeskModel):
    """Messages (``M#``) and events (``E#``) of a ticket share one table so a ticket reads in one query."""

    class Meta:
        table_name = "unbound-ticket-log"

    ref = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    at = UnicodeAttribute()
    # Message fields.
    direction = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    from_email = UnicodeAttribute(null=True)
    from_name = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    ses_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    text_key = UnicodeAttribute(null=True)
    raw_key = UnicodeAttribute(null=True)
    to = ListAttribute[str](null=True)
    cc = ListAttribute[str](null=True)
    bcc = ListAttribute[str](null=True)
    attachments = ListAttribute[AttachmentMap](of=AttachmentMap, null=True)
    screening = UnicodeAttribute(null=True)
    visible_text = UnicodeAttribute(null=True)
    has_html = BooleanAttribute(null=True)
    attachments_not_extracted = NumberAttribute(null=True)
    # Event fields.
    actor = UnicodeAttribute(null=True)
    detail = MapAttribute[str, Any](null=True)
    # The ticket's expiry (TTL, epoch seconds), while the ticket is closed.
    expires_at = NumberAttribute(null=True)


class MessageIndexItem(DeskModel):
    class Meta:
        table_name = "unbound-message-index"

    message_id = UnicodeAttribute(hash_key=True)
    ref = UnicodeAttribute()
    direction = UnicodeAttribute()
    # The ticket's expiry (TTL, epoch seconds), while the ticket is closed.
    expires_at = NumberAttribute(null=True)


class CounterItem(DeskModel):
    class Meta:
        table_name = "unbound-counters"

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()


class GuardsByOwner(GlobalSecondaryIndex[Any]):
    """The guards of one owner (a ticket's reference, or the tag of an address with no ticket): what
    an erasure deletes, found without a scan. Keys only (infra/template.json defines the same)."""

    class Meta:
        index_name = "by-owner"
        projection = KeysOnlyProjection()

    owner = UnicodeAttribute(hash_key=True)


class GuardItem(DeskModel):
    """One item per side effect that must happen once (keyed by its cause), with what it produced."""

    class Meta:
        table_name = "unbound-guards"

    key = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)
    detail = MapAttribute[str, Any](null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)
    # Whose guard it is, for an erasure (GuardsByOwner): the ticket's ref, else an address's tag.
    owner = UnicodeAttribute(null=True)

    by_owner = GuardsByOwner()


class StatItem(DeskModel):
    """One figure of one day (``tickets/stats.py``): a count, and the durations measured (seconds)."""

    class Meta:
        table_name = "unbound-stats"

    day = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    total = NumberAttribute(default=0)
    # Untyped: PynamoDB stores each number as N.
    values = ListAttribute[float](null=True)


_MODELS: tuple[tuple[type[DeskModel], str], ...] = (
    (TicketItem, "tickets"),
    (LogItem, "ticket_log"),
    (MessageIndexItem, "message_index"),
    (CounterItem, "counters"),
    (GuardItem, "guards"),
    (StatItem, "stats"),
)


def bind_model[Bound: DeskModel](model: type[Bound], table_name: str, region: str) -> type[Bound]:
    """Point a model at a deployment's table and return it, to be used right away. PynamoDB caches a
    connection per model, so it is dropped whenever the table or region changes (a new moto context
    in tests, another stage)."""
    if model.Meta.table_name != table_name or getattr(model.Meta, "region", None) != region:
        model.Meta.table_name = table_name
        model.Meta.region = region
        model._connection = None
    return model


def bind_tables(tables: TableNames, region: str) -> None:
    """Point the ticket models at this deployment's tables."""
    for model, field_name in _MODELS:
        bind_model(model, getattr(tables, field_name), region)
