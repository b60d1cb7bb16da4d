"""Which ticket a message belongs to. The order is the order of trust: our signed Reply-To address,
then Message-IDs we stored, then a subject token, which counts only from people on the ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from postdesk.mail.addressing import ReplyAddressCheck
from postdesk.mail.model import ParsedMessage
from postdesk.tickets.model import Direction, Ticket
from postdesk.tickets.refs import refs_in_subject


class MatchedBy(StrEnum):
    REPLY_ADDRESS = "signed reply address"
    MESSAGE_ID = "In-Reply-To/References"
    SUBJECT_TOKEN = "subject token"  # noqa: S105 - a way of matching, not a secret
    # Not a reply: the same text as an open ticket's first mail, from its sender, within the hour.
    REPEAT = "repeat of the sender's open ticket"


@dataclass(frozen=True, slots=True)
class ThreadMatch:
    ref: str | None
    matched_by: MatchedBy | None
    # Why a candidate was turned down (a forged token, a stranger's subject token), for the log.
    rejected: str | None = None


def referenced_ids(message: ParsedMessage) -> list[str]:
    """Message-IDs this message answers, nearest first (In-Reply-To, then References newest first)."""
    return list(dict.fromkeys([*message.in_reply_to, *reversed(message.references)]))


def match_thread(
    message: ParsedMessage,
    *,
    recipients: Iterable[str],
    reply_addresses: ReplyAddressCheck,
    known_ids: Mapping[str, tuple[str, Direction]],
    get_ticket: Callable[[str], Ticket | None],
) -> ThreadMatch:
    """Decide the ticket of ``message``; ``known_ids`` is what the Message-ID index holds for
    :func:`referenced_ids`."""
    ref, forged = reply_addresses.find(recipients)
    if ref and get_ticket(ref) is not None:
        return ThreadMatch(ref, MatchedBy.REPLY_ADDRESS)
    if forged:
        return ThreadMatch(None, None, "reply address with a bad signature")

    for message_id in referenced_ids(message):
        if message_id in known_ids:
            return ThreadMatch(known_ids[message_id][0], MatchedBy.MESSAGE_ID)

    sender = message.sender.email.lower() if message.sender else ""
    for candidate in refs_in_subject(message.subject):
        ticket = get_ticket(candidate)
        if ticket is None:
            continue
        if sender and (
            sender == ticket.requester_email.lower()
            or sender in {c.lower() for c in (*ticket.cc, *ticket.bcc)}
        ):
            return ThreadMatch(candidate, MatchedBy.SUBJECT_TOKEN)
        return ThreadMatch(None, None, "subject token from someone not on the ticket")
    return ThreadMatch(None, None)


# How many merges mail follows (merging into a merged ticket is refused, so chains stay short).
MAX_MERGE_HOPS = 5


def followed_merges(match: ThreadMatch, get_ticket: Callable[[str], Ticket | None]) -> ThreadMatch:
    """``match``, its ticket replaced by the one it was merged into (workflows/merge.py), if it was."""
    ref = match.ref
    for _ in range(MAX_MERGE_HOPS):
        ticket = get_ticket(ref) if ref else None
        if ticket is None or not ticket.merged_into:
            break
        ref = ticket.merged_into
    return match if ref == match.ref else replace(match, ref=ref)
