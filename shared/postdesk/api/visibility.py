"""Which tickets an agent may see and touch: those of the queues they belong to (agents/model.py
``visible_queues``; admins, and agents given no list of queues, see every queue).

Every route that reads or changes one ticket asks here first, so a ticket of a queue that is not
the agent's answers exactly as a reference no ticket has: 404, "No ticket has the reference …",
at the same point of the request. For an agent who sees some queues only, the ticket is read before
anything else of the request is looked at, and an unknown reference is refused there too, so that
no answer tells a ticket of another queue from none. The lists keep to the agent's queues through
their filter (``in_sight``), which the index partitions and the search index both honour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from postdesk.agents.model import Agent
from postdesk.api.context import ApiContext
from postdesk.api.http import ApiRequest
from postdesk.errors import TicketNotFound
from postdesk.tickets.listing import TicketFilter
from postdesk.tickets.model import Ticket
from postdesk.tickets.refs import normalize_ref


def path_ref(request: ApiRequest) -> str:
    """The ticket reference of the route's path, as the desk writes it; TicketNotFound (404) for one
    that is no reference at all."""
    ref = normalize_ref(request.path_params.get("ref", ""))
    if ref is None:
        raise TicketNotFound(request.path_params.get("ref", "")[:20])
    return ref


def visible_ref(request: ApiRequest, context: ApiContext, agent: Agent) -> str:
    """The path's ticket reference, once it is known the agent may see that ticket (for an agent who
    sees every queue, the route's own reading of the ticket says whether it exists)."""
    ref = path_ref(request)
    require_visible(ref, agent, context)
    return ref


def require_visible(ref: str, agent: Agent, context: ApiContext) -> None:
    """Return if the agent sees every queue, or if the ticket ``ref`` exists and is in one of their
    queues; TicketNotFound otherwise."""
    if agent.visible_queues is not None:
        visible_ticket(ref, agent, context)


def visible_ticket(ref: str, agent: Agent, context: ApiContext) -> Ticket:
    """The ticket ``ref`` as it is now, when it exists and the agent may see it; TicketNotFound
    otherwise (the same words for both)."""
    ticket = context.ports.store.get_ticket(ref)
    if ticket is None or not agent.sees_queue(ticket.queue):
        raise TicketNotFound(ref)
    return ticket


def hidden_refs(refs: Sequence[str], agent: Agent, context: ApiContext) -> frozenset[str]:
    """Those of ``refs`` the agent may not see: no such ticket, or one of another queue (one batched
    read; none for an agent who sees every queue, whose changes say per ticket what is unknown)."""
    if agent.visible_queues is None:
        return frozenset()
    found = context.ports.store.get_tickets(refs)
    return frozenset(ref for ref in refs if ref not in found or not agent.sees_queue(found[ref].queue))


def in_sight(wanted: TicketFilter, agent: Agent) -> TicketFilter:
    """``wanted`` kept to the queues the agent sees."""
    return replace(wanted, queues=agent.visible_queues)
