"""How a ticket's status moves when mail arrives. Agents' transitions come with the agent API."""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.tickets.model import DONE_STATUSES, Status, Ticket


@dataclass(frozen=True, slots=True)
class CustomerReplyOutcome:
    status: Status
    reopened: bool
    cycle: int


def after_customer_reply(ticket: Ticket) -> CustomerReplyOutcome:
    """A human reply from the customer puts the ticket back in front of an agent: pending (waiting on
    the customer) becomes open, and a resolved or closed ticket reopens in a new cycle."""
    if ticket.status in DONE_STATUSES:
        return CustomerReplyOutcome(Status.OPEN, reopened=True, cycle=ticket.cycle + 1)
    if ticket.status is Status.PENDING:
        return CustomerReplyOutcome(Status.OPEN, reopened=False, cycle=ticket.cycle)
    return CustomerReplyOutcome(ticket.status, reopened=False, cycle=ticket.cycle)
