"""Who else is on a ticket's thread besides the requester, and who decides it.

- **Cc**: named in every mail of the thread; the first mail's copies, then what agents choose (the
  ticket's Cc edited, or a reply naming its own: that one stays on the ticket for the next replies).
- **Bcc**: sent every mail, named in none (mail/compose.py writes no Bcc header). A reply's own Bcc
  is for that reply only, unless the agent asks to keep it on the ticket (``keep_bcc``): a colleague
  copied once on an answer is not copied on the rest of the conversation by accident.
- **Offered**: an address someone on the thread copied on a later mail. It is offered to the agents
  and never added by itself (a customer copying a lawyer, or a reply-all gone wide, must not widen
  who reads the desk's answers without an agent's say).
- **Declined**: an offer dismissed, or an address an agent took off the Cc or Bcc. It is not offered
  again on this ticket when the customer copies it again; an agent may still add it.

One mail goes to at most 50 recipients (Amazon SES, mail/recipients.py): the requester, the Cc and
the Bcc together. The requester and the desk's own addresses are never copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from postdesk.errors import Invalid
from postdesk.mail.recipients import MAX_TICKET_CC, check_recipient_count
from postdesk.settings import Settings
from postdesk.tickets.model import CcOffer, Ticket

# The declined addresses a ticket remembers (the latest): bounds the item, however often it changes.
MAX_DECLINED = 200


class InvalidCopy(Invalid):
    """An address cannot be copied on the ticket (the requester, the desk's own, named twice)."""


def is_desk_address(address: str, settings: Settings) -> bool:
    """Whether mail to ``address`` would come back to the desk (its addresses, their domains)."""
    lowered = address.lower()
    return lowered in settings.own_addresses or lowered.rpartition("@")[2] in settings.own_domains


def checked_copies(
    ticket: Ticket, cc: Sequence[str], bcc: Sequence[str], settings: Settings
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The Cc and Bcc an agent gives the ticket (addresses already checked, lower case), each once.
    InvalidCopy for the requester, a desk address or an address in both; TooManyRecipients when they
    and the requester are more than one mail may go to."""
    requester = ticket.requester_email.lower()
    kept_cc = tuple(dict.fromkeys(cc))
    kept_bcc = tuple(dict.fromkeys(bcc))
    for address in (*kept_cc, *kept_bcc):
        if address == requester:
            raise InvalidCopy(f"{address} is the requester: every mail of the ticket goes to them already")
        if is_desk_address(address, settings):
            raise InvalidCopy(f"{address} is the desk's own address: a copy would come back as new mail")
    both = [address for address in kept_cc if address in kept_bcc]
    if both:
        raise InvalidCopy(f"{both[0]} is both Cc and Bcc: name it in one of them")
    check_recipient_count(
        1 + len(kept_cc) + len(kept_bcc),
        f"the requester, {len(kept_cc)} Cc and {len(kept_bcc)} Bcc addresses; a ticket keeps at most "
        f"{MAX_TICKET_CC} Cc and Bcc addresses together",
    )
    return kept_cc, kept_bcc


def refuse_desk_addresses(addresses: Iterable[str], settings: Settings, field: str) -> None:
    """InvalidCopy when a mail's ``field`` names an address of the desk's own."""
    for address in addresses:
        if is_desk_address(address, settings):
            raise InvalidCopy(
                f"{field}: {address} is the desk's own address: a copy would come back as new mail"
            )


def copies_after(
    ticket: Ticket, cc: tuple[str, ...], bcc: tuple[str, ...], dismissed: Sequence[str] = ()
) -> dict[str, object]:
    """The ticket's changes once its Cc and Bcc are ``cc`` and ``bcc`` and the offers of ``dismissed``
    are turned down: those lists, the offers left (an offered address now copied is no longer
    offered) and who is declined (taken off, or dismissed)."""
    changes: dict[str, object] = {}
    if cc != ticket.cc:
        changes["cc"] = cc
    if bcc != ticket.bcc:
        changes["bcc"] = bcc
    copied = {*cc, *bcc}
    offers = tuple(
        offer for offer in ticket.cc_offered if offer.address not in copied and offer.address not in dismissed
    )
    if offers != ticket.cc_offered:
        changes["cc_offered"] = offers
    taken_off = [address for address in (*ticket.cc, *ticket.bcc) if address.lower() not in copied]
    declined = _declined(ticket.cc_declined, [*taken_off, *dismissed], copied)
    if declined != ticket.cc_declined:
        changes["cc_declined"] = declined
    return changes


def _declined(before: Sequence[str], added: Iterable[str], copied: set[str]) -> tuple[str, ...]:
    """``before`` with ``added`` (latest last), without what is copied now, the latest MAX_DECLINED."""
    merged = dict.fromkeys(
        address for address in (*before, *(a.lower() for a in added)) if address not in copied
    )
    return tuple(merged)[-MAX_DECLINED:]


def listed(addresses: Iterable[str]) -> str:
    """Addresses as an event's detail keeps them."""
    return ", ".join(addresses)[:2000]


def edited_copies(
    ticket: Ticket,
    cc: tuple[str, ...] | None,
    bcc: tuple[str, ...] | None,
    dismissed: tuple[str, ...],
    settings: Settings,
) -> tuple[dict[str, object], list[tuple[str, dict[str, str]]]]:
    """An agent's edit of who is on the thread: the whole Cc and Bcc lists (None: as they are) and the
    offers dismissed. The ticket's changes, and the events (kind, detail) saying who was added,
    removed or dismissed. InvalidCopy, TooManyRecipients."""
    new_cc, new_bcc = ticket.cc, ticket.bcc
    if cc is not None or bcc is not None:
        new_cc, new_bcc = checked_copies(
            ticket, ticket.cc if cc is None else cc, ticket.bcc if bcc is None else bcc, settings
        )
    copied = {*new_cc, *new_bcc}
    offered = {offer.address for offer in ticket.cc_offered}
    for address in dismissed:
        if address in copied:
            raise InvalidCopy(f"{address} is both copied and dismissed: do one or the other")
        if address not in offered:
            raise InvalidCopy(f"{address} is not offered for the Cc on this ticket")
    changes = copies_after(ticket, new_cc, new_bcc, dismissed)
    events: list[tuple[str, dict[str, str]]] = []
    for kind, before, after in (("cc_changed", ticket.cc, new_cc), ("bcc_changed", ticket.bcc, new_bcc)):
        added = [address for address in after if address not in before]
        removed = [address for address in before if address not in after]
        if not added and not removed:
            continue
        detail = {"added": listed(added), "removed": listed(removed)}
        accepted = [address for address in added if address in offered]
        if accepted:
            detail["accepted_offer"] = listed(accepted)
        events.append((kind, {name: value for name, value in detail.items() if value}))
    if dismissed:
        events.append(("cc_offer_dismissed", {"addresses": listed(dismissed)}))
    return changes, events


def offered_copies(
    ticket: Ticket, sender: str, sender_name: str, named: Sequence[str], at: datetime, settings: Settings
) -> tuple[CcOffer, ...]:
    """The addresses a later mail of someone on the thread (the requester, a Cc or Bcc) names in its
    To or Cc that the ticket does not have and has not declined: offered, never added. A mail from
    anyone else offers nothing (they are not the ones who decide who is on it)."""
    sender = sender.lower()
    on_thread = {ticket.requester_email.lower(), *ticket.cc, *ticket.bcc}
    if sender not in on_thread:
        return ()
    known = {*on_thread, *ticket.cc_declined, *(offer.address for offer in ticket.cc_offered)}
    fresh = [
        address
        for address in dict.fromkeys(a.lower() for a in named)
        if address not in known and not is_desk_address(address, settings)
    ]
    room = max(0, MAX_TICKET_CC - len(ticket.cc_offered))
    return tuple(CcOffer(address, sender, sender_name, at) for address in fresh[:room])
