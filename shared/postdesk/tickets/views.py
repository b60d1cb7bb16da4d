"""A ticket as people and programs outside the desk see it (the agent API, a requester's export):
plain JSON values, times in ISO 8601 UTC."""

from __future__ import annotations

from typing import Any

from postdesk.clock import to_iso
from postdesk.tickets.model import Ticket
from postdesk.triage.classify import plain_explanation


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "requester": {"email": ticket.requester_email, "name": ticket.requester_name},
        "cc": list(ticket.cc),
        # Agents only: the customer never sees who is blind-copied (privacy/export.py leaves it out).
        "bcc": list(ticket.bcc),
        "cc_offered": [
            {"address": o.address, "by": {"email": o.by_email, "name": o.by_name}, "at": to_iso(o.at)}
            for o in ticket.cc_offered
        ],
        "queue": ticket.queue,
        "priority": ticket.priority,
        "language": ticket.language,
        "category": ticket.category,
        "tags": list(ticket.tags),
        "sentiment": ticket.sentiment,
        "triage": {
            "confidence": ticket.triage_confidence,
            "explanation": ticket.triage_explanation,
            # The same in one plain line for agents ("" when nothing was triaged).
            "summary": plain_explanation(
                ticket.triage_explanation, ticket.category, ticket.triage_confidence, ticket.language
            )
            if ticket.triage_explanation
            else "",
        },
        "quarantine": ticket.quarantine,
        "cycle": ticket.cycle,
        "created_at": to_iso(ticket.created_at),
        "updated_at": to_iso(ticket.updated_at),
        "first_response_at": to_iso(ticket.first_response_at) if ticket.first_response_at else None,
        "waiting_since": to_iso(ticket.waiting_since or ticket.created_at),
        "assignee": ticket.assignee,
        "version": ticket.version,
        "resolved_at": to_iso(ticket.resolved_at) if ticket.resolved_at else None,
        "follow_up": ticket.follow_up,
        # On hold until then (null: until the customer answers), or null when not snoozed.
        "snooze": (
            {"until": to_iso(ticket.snoozed_until) if ticket.snoozed_until else None}
            if ticket.snoozed
            else None
        ),
        # Merged into that ticket: this one is closed and read-only.
        "merged_into": ticket.merged_into,
        "survey": _survey_summary(ticket),
        "sla": _sla_summary(ticket),
    }


def _sla_summary(ticket: Ticket) -> dict[str, Any] | None:
    """When each running clock is due (the earliest is the one to work on) and what broke."""
    clocks = ticket.sla
    if clocks is None:
        return None
    dues = {
        "first_response_due": clocks.first_response_due,
        "next_response_due": clocks.next_response_due,
        "resolution_due": clocks.resolution_due,
    }
    running = [due for due in dues.values() if due is not None]
    return {
        **{name: to_iso(due) if due else None for name, due in dues.items()},
        "next_due": to_iso(min(running)) if running else None,
        "breached": sorted({run.split(":", 1)[0] for run in clocks.breached}),
    }


def _survey_summary(ticket: Ticket) -> dict[str, Any] | None:
    if ticket.survey_rating is None:
        return None
    return {
        "rating": ticket.survey_rating,
        "cycle": ticket.survey_cycle,
        "comment": ticket.survey_comment,
        "answered_at": to_iso(ticket.survey_answered_at) if ticket.survey_answered_at else None,
    }
