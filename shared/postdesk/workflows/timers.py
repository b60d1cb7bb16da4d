"""What follows a written ticket change in time: the survey a resolution schedules (or a reopen
cancels), the SLA timer that waits for the next warning or breach, and the expiry a close gives
(or a reopen takes from) the ticket's log and Message-ID entries."""

from __future__ import annotations

from collections.abc import Sequence

from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.workflows.retention import sync_retention
from postdesk.workflows.sla import emit_clock_metrics, sync_timer
from postdesk.workflows.survey import after_status_change


def after_change(
    before: Ticket | None,
    after: Ticket,
    settings: Settings,
    ports: Ports,
    events: Sequence[TicketEvent] = (),
) -> None:
    """Called once the change from ``before`` (None: a new ticket) to ``after``, with ``events``,
    is written."""
    if before is not None:
        after_status_change(before, after, settings, ports)
    sync_timer(before, after, settings, ports)
    emit_clock_metrics(events, ports)
    # Last, so whatever the steps above wrote to the ticket's log is covered too.
    sync_retention(before, after, settings, ports)
