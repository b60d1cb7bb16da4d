"""The sentence in the acknowledgement that says when a person will answer, derived from the ticket's
first-response due time and the desk's calendar, in the customer's language (``templates/<lang>/
promise.txt.j2``): "within 4 business hours" when that is the target and the desk is open now, so
the answer comes today; otherwise the day and time, in the desk's time zone ("by Tuesday, 1 December,
10:00 (CET)")."""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.rendering import environment, language_having
from postdesk.sla.policy import SlaPolicy
from postdesk.tickets.model import Ticket

# Targets up to this long read best as "within N business hours" (when they end the same day).
WITHIN_HOURS_AT_MOST = timedelta(hours=4)


def promise_sentence(ticket: Ticket, now: datetime, policy: SlaPolicy, language: str) -> str:
    """The promise for ``ticket`` in ``language`` (English where it has no template); "" when the
    ticket promises nothing (quarantined, or already answered)."""
    clocks = ticket.sla
    if clocks is None or clocks.first_response_due is None:
        return ""
    calendar = policy.calendar
    target = policy.targets_for(ticket.priority, ticket.queue).first_response
    due = clocks.first_response_due.astimezone(calendar.zone())
    today = now.astimezone(calendar.zone()).date()
    within = ""
    if target <= WITHIN_HOURS_AT_MOST and calendar.is_open(now) and due.date() == today:
        hours = target / timedelta(hours=1)
        within = f"{hours:g}"
    lang = language_having("promise.txt.j2", language)
    return (
        environment()
        .get_template(f"{lang}/promise.txt.j2")
        .render(
            within_hours=within,
            weekday=due.weekday(),
            day=due.day,
            month=due.month,
            time=due.strftime("%H:%M"),
            zone=due.tzname() or calendar.timezone,
        )
        .strip()
    )
