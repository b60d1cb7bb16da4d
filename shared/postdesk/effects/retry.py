"""Writing over a ticket that someone else may be changing at the same moment: every ticket write is
conditional on the version read (optimistic locking), so a write that lost the race reads the ticket
again and makes its change over the new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from postdesk.errors import ConcurrentUpdate, TicketNotFound
from postdesk.tickets.model import Ticket

# Enough for a busy ticket (a customer's mail, two agents and a timer at once), few enough that a
# write that keeps losing fails loudly instead of spinning.
ATTEMPTS = 5


class TicketReader(Protocol):
    def get_ticket(self, ref: str) -> Ticket | None: ...


def retry_on_conflict[T](
    write: Callable[[Ticket], T],
    ref: str,
    store: TicketReader,
    *,
    ticket: Ticket | None = None,
    attempts: int = ATTEMPTS,
) -> T:
    """``write(ticket)`` over the ticket as read (``ticket``, or read now); when it raises
    ConcurrentUpdate, read the ticket again and call it again, up to ``attempts`` times in all.
    TicketNotFound when the ticket is (or becomes) gone; the last ConcurrentUpdate when every
    attempt lost."""
    current = ticket
    for attempt in range(1, attempts + 1):
        if current is None:
            current = store.get_ticket(ref)
            if current is None:
                raise TicketNotFound(ref)
        try:
            return write(current)
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
            current = None
    raise AssertionError("unreachable: the last attempt returns or raises")
