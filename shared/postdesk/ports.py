"""What the workflows need from the outside world (store, mail, blobs, scheduler, signing key, metrics,
suppression list, guards, clock): one bundle, so tests pass fakes or moto-backed adapters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from postdesk.agents.rotation import Rotation
from postdesk.agents.store import AgentStore
from postdesk.aws.scheduler import OneTimeSchedule
from postdesk.clock import Clock, utc_now
from postdesk.effects.guards import Guards
from postdesk.hygiene.suppressions import SuppressionList
from postdesk.knowledge.catalogue import PublishedCatalogue
from postdesk.knowledge.store import KnowledgeStore
from postdesk.tickets.store import TicketStore


class BlobStore(Protocol):
    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...


class Mailer(Protocol):
    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str: ...

    def ses_message_id_header(self, ses_id: str) -> str: ...


class Scheduler(Protocol):
    def create_once(self, schedule: OneTimeSchedule) -> bool: ...

    def delete(self, name: str) -> bool: ...


class MetricsRecorder(Protocol):
    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None: ...

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class Ports:
    store: TicketStore
    blobs: BlobStore
    mailer: Mailer
    signing_key: Callable[[], bytes]
    metrics: MetricsRecorder
    scheduler: Scheduler
    # Addresses no mail may go to: every mail asks it first (effects/send_once.py).
    suppressions: SuppressionList
    # What must happen once: claimed before, moved on in the write that records it.
    guards: Guards
    # Who works the desk (automatic assignment reads who is away and which queues each takes).
    agents: AgentStore
    # Whose turn it is next in each queue that assigns by itself (workflows/assignment.py).
    rotation: Rotation
    # The knowledge base's articles, their translations and versions (docs/knowledge.md).
    knowledge: KnowledgeStore
    # What readers see of it: the published snapshot, read at most every 30 s per container.
    catalogue: PublishedCatalogue
    clock: Clock = utc_now
