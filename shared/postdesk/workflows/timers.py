"""What follows a written ticket change in time: the survey a resolution schedules (or a reopen
cancels), the SLA timer that waits for the next warning or breach, and the expiry a close gives
(or a reopen takes from) the ticket's log and Message-ID entries."""

from __future__ import annotations

from collections.abc import Sequence

from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.workflows.lifecycle import sync_lifecycle_timer
from postdesk.workflows.notify import notify_for_change
from postdesk.workflows.retention import sync_retention
from postdesk.workflows.sla import emit_clock_metrics, sync_timer
from postdesk.workflows.survey import after_status_change
from postdesk.workflows.time_rules import sync_rules_timer


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
    # Reminders, auto-resolve, close after resolve, the end of a snooze (workflows/lifecycle.py).
    sync_lifecycle_timer(before, after, settings, ports)
    # The time rules of the rules file: one timer for the earliest due (workflows/time_rules.py).
    sync_rules_timer(before, after, settings, ports)
    emit_clock_metrics(events, ports)
    # Agents hear of what concerns them (assigned, the customer answered, new in a watched queue).
    notify_for_change(before, after, settings, ports, events)
    # Last, so whatever the steps above wrote to the ticket's log is covered too.
    sync_retention(before, after, settings, ports)
