"""The search document of a ticket: what can be found (its reference, subject, requester, tags, the
words of its messages and notes) and what the list's filters ask of it (status, queue, assignee…)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from postdesk.clock import to_iso
from postdesk.tickets.listing import UNASSIGNED, status_partition
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket

# Mail the desk writes by itself says the same in every ticket: found by nobody's words.
UNSEARCHED_KINDS = frozenset({MessageKind.ACKNOWLEDGEMENT, MessageKind.SURVEY, MessageKind.TEAM_NOTICE})
# Per ticket: a thread longer than this is searched by its first 200,000 characters of each kind.
MAX_TEXT = 200_000
# The snippet's highlight marks: control characters no indexed text keeps.
MARK_START = "\x02"
MARK_END = "\x03"
_MARKS = str.maketrans({MARK_START: " ", MARK_END: " "})


@dataclass(frozen=True, slots=True)
class SearchDocument:
    ref: str
    subject: str
    requester: str
    tags: str
    messages: str
    notes: str
    # What the list's filters read (docs/search.md): the values the list indexes hold.
    status: str
    queue: str
    assignee: str
    priority: str
    language: str
    requester_email: str
    follow_up: str
    created_at: str
    updated_at: str

    @property
    def reference_words(self) -> str:
        """The reference as typed either way: ``K7Q2-M9XD`` and ``K7Q2M9XD``."""
        return f"{self.ref} {self.ref.replace('-', '')}"


def _clean(text: str) -> str:
    return text.translate(_MARKS)


def _joined(messages: Sequence[ThreadMessage]) -> str:
    parts: list[str] = []
    size = 0
    for message in messages:
        text = message.visible_text if message.visible_text is not None else (message.text or "")
        words = text.strip()
        if size + len(words) > MAX_TEXT:
            break
        parts.append(words)
        size += len(words)
    return _clean("\n\n".join(parts))


def document_of(ticket: Ticket, thread: Sequence[ThreadMessage]) -> SearchDocument:
    """What search knows of ``ticket``: its fields and the words of its thread (customers' mail and
    agents' answers in ``messages``, notes for agents in ``notes``; automatic mail left out)."""
    said = [m for m in thread if m.kind not in UNSEARCHED_KINDS and m.direction is not Direction.INTERNAL]
    notes = [m for m in thread if m.direction is Direction.INTERNAL or m.kind is MessageKind.NOTE]
    return SearchDocument(
        ref=ticket.ref,
        subject=_clean(ticket.subject),
        requester=_clean(f"{ticket.requester_name} {ticket.requester_email}"),
        tags=_clean(" ".join((*ticket.tags, ticket.category))),
        messages=_joined(said),
        notes=_joined(notes),
        status=status_partition(ticket),
        queue=ticket.queue,
        assignee=ticket.assignee or UNASSIGNED,
        priority=ticket.priority,
        language=ticket.language,
        requester_email=ticket.requester_email.lower(),
        follow_up="1" if ticket.follow_up else "",
        created_at=to_iso(ticket.created_at),
        updated_at=to_iso(ticket.updated_at),
    )


def snippet_parts(snippet: str) -> list[dict[str, str | bool]]:
    """A highlighted snippet as parts (``{"text", "match"}``), so a page shows the marks as marks and
    never takes the text for markup."""
    parts: list[dict[str, str | bool]] = []
    rest = snippet
    while rest:
        before, start, after = rest.partition(MARK_START)
        if before:
            parts.append({"text": before, "match": False})
        if not start:
            break
        marked, _, rest = after.partition(MARK_END)
        if marked:
            parts.append({"text": marked, "match": True})
    return parts
