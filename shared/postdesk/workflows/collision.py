"""A reply or a note is written on what the agent saw of the conversation: when someone wrote on the
ticket since (the customer, a colleague's reply or note), it is not sent silently; the agent is told
what changed and decides.

What an agent saw is named by a *seen marker* (``s1.<digests>``), which ``GET /tickets/{ref}`` builds
from the very thread it returns: one short digest of the key of each message a person wrote
(:data:`WRITTEN_BY_PEOPLE`). A reply or note that brings the marker back is checked against the
thread as it is when it is sent: any message a person wrote that the marker does not name, written
by someone other than the sender, is a change the agent has not seen.

Why not the ticket's ``version``: it moves with every write of the ticket item, SLA warnings and
breaches, acknowledgements, surveys and field edits included, which would stop a reply for changes
that have nothing to say to its writer; and a note does not move it at all. Why not a time ("the
newest message I saw"): a customer's mail is dated when SES received it, seconds before ingest
writes it, so it can land in the thread *before* a message the agent saw, and a merge brings older
messages in. A set of what was seen has neither fault: it is exactly "a message I have not read".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence

from postdesk.errors import ConcurrentUpdate, Invalid
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, Ticket

MARKER_PREFIX = "s1."
# Bytes of SHA-256 kept per message: 48 bits, so two keys of one thread never share one.
DIGEST_BYTES = 6
# The base64url form of one digest: 6 bytes are 8 characters, no padding.
_DIGEST_CHARS = 8
# The longest marker taken: 8,000 messages written by people. A longer thread has no marker
# (``None``), and its replies are sent unchecked.
MAX_MARKED_MESSAGES = 8000
MAX_MARKER_CHARS = len(MARKER_PREFIX) + _DIGEST_CHARS * MAX_MARKED_MESSAGES
_MARKER = re.compile(r"s1\.(?:[A-Za-z0-9_-]{8})*")

# Messages people wrote: what an agent must have read before answering (a colleague's forward and a
# third party's answer to one included: the answer may change what the reply should say). Automatic
# replies, bounces, held mail and the desk's own mails (acknowledgements, surveys) are left out:
# nobody wrote them to this agent, and they never stop a reply.
WRITTEN_BY_PEOPLE = frozenset(
    {
        MessageKind.CUSTOMER,
        MessageKind.AGENT_REPLY,
        MessageKind.NOTE,
        MessageKind.FORWARD,
        MessageKind.THIRD_PARTY,
    }
)


class InvalidSeenMarker(Invalid):
    """The ``seen`` marker is not one GET /tickets/{ref} gave."""


class ConversationChanged(ConcurrentUpdate):
    """Someone wrote on the ticket since the agent read it; nothing was sent or added."""

    def __init__(
        self, ticket: Ticket, changes: Sequence[ThreadMessage], seen: str | None, action: str
    ) -> None:
        super().__init__(
            f"Ticket {ticket.ref} changed while you were writing: {describe_changes(changes)}. "
            f"{action} Read what changed, then send again with the `seen` of this answer, or with "
            '"force": true to send anyway.'
        )
        self.ticket = ticket
        self.changes = tuple(changes)
        # The marker of the thread as it is now: what the agent sees once the ticket is read again.
        self.seen = seen


def change_kind(message: ThreadMessage) -> str:
    """What a change is called in the API: ``customer_message``, ``agent_reply``, ``note``,
    ``forward`` or ``third_party`` (an answer to a forward)."""
    if message.kind is MessageKind.CUSTOMER:
        return "customer_message"
    return message.kind.value


def describe_changes(changes: Sequence[ThreadMessage]) -> str:
    """The changes as a person says them: "Jane Doe wrote, Sam Lee replied and Ira Novak added an
    internal note" (two messages of one person and kind are said once, "wrote twice")."""
    counted: dict[tuple[str, MessageKind], int] = {}
    for message in changes:
        who = message.from_name or message.from_email
        counted[(who, message.kind)] = counted.get((who, message.kind), 0) + 1
    verbs = {
        MessageKind.CUSTOMER: "wrote",
        MessageKind.AGENT_REPLY: "replied",
        MessageKind.NOTE: "added an internal note",
        MessageKind.FORWARD: "forwarded the ticket",
        MessageKind.THIRD_PARTY: "answered a forward",
    }
    said = []
    for (who, kind), count in counted.items():
        verb = verbs.get(kind, "wrote")
        if count > 1:
            verb = (
                f"added {count} internal notes"
                if kind is MessageKind.NOTE
                else f"{verb} {'twice' if count == 2 else f'{count} times'}"
            )
        said.append(f"{who} {verb}")
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()[:DIGEST_BYTES]


def seen_marker(thread: Sequence[ThreadMessage]) -> str | None:
    """The marker of ``thread`` as shown: every message a person wrote, as a digest of its key (in
    the thread's order). None for a thread too long to mark."""
    written = [m for m in thread if m.kind in WRITTEN_BY_PEOPLE]
    if len(written) > MAX_MARKED_MESSAGES:
        return None
    digests = b"".join(_digest(m.key) for m in written)
    return MARKER_PREFIX + base64.urlsafe_b64encode(digests).decode("ascii")


def read_seen_marker(text: str) -> frozenset[bytes]:
    """The digests of a marker :func:`seen_marker` made; InvalidSeenMarker for anything else."""
    if len(text) > MAX_MARKER_CHARS or not _MARKER.fullmatch(text):
        raise InvalidSeenMarker(
            "seen must be the `seen` marker of GET /tickets/{ref} (s1. and groups of 8 letters, digits, "
            f"'-' or '_', at most {MAX_MARKER_CHARS} characters), as it came"
        )
    try:
        raw = base64.urlsafe_b64decode(text.removeprefix(MARKER_PREFIX))
    except (binascii.Error, ValueError) as error:
        raise InvalidSeenMarker("seen is not a marker GET /tickets/{ref} gave") from error
    return frozenset(raw[start : start + DIGEST_BYTES] for start in range(0, len(raw), DIGEST_BYTES))


def unseen_messages(
    seen: frozenset[bytes], thread: Sequence[ThreadMessage], writer: str
) -> list[ThreadMessage]:
    """The messages of ``thread`` a person wrote that ``seen`` does not name, other than the writer's
    own (what they wrote in another tab, or this very request sent before, is no news to them)."""
    own = writer.strip().lower()
    return [
        message
        for message in thread
        if message.kind in WRITTEN_BY_PEOPLE
        and not (message.direction is not Direction.INBOUND and message.from_email.lower() == own)
        and _digest(message.key) not in seen
    ]


def check_conversation(
    seen: frozenset[bytes] | None,
    ticket: Ticket,
    thread: Sequence[ThreadMessage],
    writer: str,
    *,
    unique: str,
    action: str,
) -> None:
    """ConversationChanged when someone wrote on ``ticket`` since the agent saw ``seen`` (None: the
    caller named no marker, or asked to send anyway: nothing is checked). ``unique`` is the end of
    the thread key this request writes (``reply-<request>``): when the thread holds it, the request
    was carried out before and its once-only guard answers, not this check. ``action`` says what
    did not happen ("Nothing was sent.")."""
    if seen is None or any(message.key.endswith(f"#{unique}") for message in thread):
        return
    changes = unseen_messages(seen, thread, writer)
    if changes:
        raise ConversationChanged(ticket, changes, seen_marker(thread), action)
