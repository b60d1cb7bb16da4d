"""The follow-up survey: scheduled when a ticket is resolved, cancelled when it reopens, and sent once
per resolution cycle when its schedule fires (if the ticket is still resolved in that cycle).

The schedule is a one-time EventBridge Scheduler schedule named after the ticket and the cycle, so a
retry makes the same one (a name conflict counts as done) and a reopen knows which one to delete.
Its input carries only the reference and the cycle: the survey function reads everything else fresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from postdesk.aws.scheduler import OneTimeSchedule
from postdesk.clock import to_iso
from postdesk.effects import keys
from postdesk.effects.guards import GuardState
from postdesk.effects.send_once import OnceMail, Recording, SendOutcome, send_once
from postdesk.errors import ConfigurationError
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.survey.tokens import RATINGS, issue_token
from postdesk.tickets.model import (
    DONE_STATUSES,
    MessageKind,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)
from postdesk.tickets.refs import normalize_ref
from postdesk.workflows.thread_mail import automatic_mail


class SurveyOutcome(StrEnum):
    SENT = "sent"
    NOT_RESOLVED = "not_resolved"
    OTHER_CYCLE = "other_cycle"
    ALREADY_SENT = "already_sent"
    NO_TICKET = "no_ticket"
    QUARANTINED = "quarantined"
    SUPPRESSED = "suppressed"


def after_status_change(before: Ticket, after: Ticket, settings: Settings, ports: Ports) -> None:
    """Schedule the survey when a ticket becomes resolved; cancel the pending one when a resolved or
    closed ticket is open again. Called after the ticket change was written."""
    if after.status is Status.RESOLVED and before.status is not Status.RESOLVED:
        schedule_survey(after, settings, ports)
    elif before.status in DONE_STATUSES and after.status not in DONE_STATUSES:
        cancel_survey(before, ports)


def schedule_survey(ticket: Ticket, settings: Settings, ports: Ports) -> None:
    """Make the one-time schedule that sends this cycle's survey. The ticket change that resolved it is
    already written, so a failure here is recorded (event, metric, error log), not raised."""
    survey, scheduling = settings.survey, settings.scheduling
    name = keys.survey_schedule(ticket.ref, ticket.cycle)
    resolved_at = ticket.resolved_at or ports.clock()
    send_at = resolved_at + timedelta(hours=survey.delay_for(ticket.queue))
    event_id = f"survey:{ticket.cycle}:scheduled"
    if not (scheduling.survey_function_arn and scheduling.role_arn and survey.public_url):
        logger.error("survey not scheduled: the survey target, role or public URL is not configured")
        ports.metrics.count("SurveysNotScheduled", {"reason": "not_configured"})
        _record(
            ticket, "survey_not_scheduled", event_id, ports, resolved_at, reason="not configured", name=name
        )
        return
    try:
        created = ports.scheduler.create_once(
            OneTimeSchedule(
                name=name,
                at=send_at,
                target_arn=scheduling.survey_function_arn,
                role_arn=scheduling.role_arn,
                dead_letter_arn=scheduling.dead_letter_arn,
                payload={"ref": ticket.ref, "cycle": ticket.cycle},
            )
        )
    except Exception:
        logger.exception("survey schedule failed", extra={"ref": ticket.ref})
        ports.metrics.count("SurveysNotScheduled", {"reason": "scheduler_error"})
        _record(
            ticket, "survey_not_scheduled", event_id, ports, resolved_at, reason="scheduler error", name=name
        )
        return
    # Dated by the resolution, so a second attempt for this cycle finds its event already written.
    _record(ticket, "survey_scheduled", event_id, ports, resolved_at, name=name, due=to_iso(send_at))
    logger.info(
        "survey scheduled",
        # new_schedule False: the schedule was there already (a retry of ours).
        extra={"ref": ticket.ref, "cycle": ticket.cycle, "at": to_iso(send_at), "new_schedule": created},
    )


def cancel_survey(ticket: Ticket, ports: Ports) -> None:
    """Delete the schedule of ``ticket``'s cycle; one that already fired or never was is fine."""
    name = keys.survey_schedule(ticket.ref, ticket.cycle)
    deleted = ports.scheduler.delete(name)
    if deleted:
        _record(ticket, "survey_cancelled", f"survey:{ticket.cycle}:cancelled", ports, name=name)
        logger.info("survey cancelled", extra={"ref": ticket.ref, "cycle": ticket.cycle})


def _record(
    ticket: Ticket, kind: str, event_id: str, ports: Ports, at: datetime | None = None, **detail: str
) -> None:
    """Log ``kind``; an event of the same ``event_id`` and ``at`` (a retry) is written once."""
    event = TicketEvent(ref=ticket.ref, at=at or ports.clock(), kind=kind, event_id=event_id, detail=detail)
    ports.store.record_event(event)


@dataclass(frozen=True, slots=True)
class SurveyRequest:
    """What a fired schedule carries."""

    ref: str
    cycle: int


def survey_request(event: object) -> SurveyRequest | None:
    """The reference and cycle a fired survey schedule carries; None for anything else."""
    ref = event.get("ref") if isinstance(event, dict) else None
    cycle = event.get("cycle") if isinstance(event, dict) else None
    if not isinstance(ref, str) or normalize_ref(ref) != ref or not isinstance(cycle, int) or cycle < 1:
        return None
    return SurveyRequest(ref=ref, cycle=cycle)


def send_survey(request: SurveyRequest, settings: Settings, ports: Ports) -> SurveyOutcome:
    """Send the survey of ``request.cycle`` if the ticket is still resolved in that very cycle and no
    survey of that cycle went out before (a conditional write guards it)."""
    ticket = ports.store.get_ticket(request.ref)
    if ticket is None:
        return _skipped(request, SurveyOutcome.NO_TICKET, ports)
    if ticket.cycle != request.cycle:
        return _skipped(request, SurveyOutcome.OTHER_CYCLE, ports)
    if ticket.status not in DONE_STATUSES:
        return _skipped(request, SurveyOutcome.NOT_RESOLVED, ports)
    if ticket.quarantine:
        return _skipped(request, SurveyOutcome.QUARANTINED, ports)
    if not settings.survey.public_url:
        raise ConfigurationError("POSTDESK_PUBLIC_URL is not set: survey links would point nowhere")
    now = ports.clock()
    domain = settings.support_domain
    key = ports.signing_key()
    expires_at = now + timedelta(days=settings.survey.link_days)
    page = f"{settings.survey.public_url}/survey/"
    links = [
        {"rating": rating, "url": page + issue_token(key, ticket.ref, ticket.cycle, rating, expires_at)}
        for rating in reversed(RATINGS)
    ]
    outbound, language = automatic_mail(
        ticket,
        "survey",
        {"links": links, "expires_at": expires_at},
        ports.store.thread(ticket.ref),
        settings=settings,
        key=key,
        message_id=keys.survey_message_id(ticket.ref, ticket.cycle, domain),
        now=now,
    )
    once = OnceMail(
        guard=keys.survey_guard(ticket.ref, ticket.cycle),
        ref=ticket.ref,
        mail=outbound,
        kind=MessageKind.SURVEY,
        thread_unique=f"survey-{ticket.cycle}",
        metric="SurveysSent",
        # A ticket closed before its survey went out: the survey goes when the ticket goes.
        expires_at=ticket.expires_at,
    )

    def sent_event(sent: ThreadMessage | None, _: Ticket | None) -> Recording:
        detail = {"cycle": str(ticket.cycle), "ses_message_id": (sent.ses_id if sent else None) or ""}
        return Recording(
            [
                TicketEvent(
                    ref=ticket.ref,
                    at=now,
                    kind="survey_sent",
                    event_id=f"survey:{ticket.cycle}:sent",
                    detail={**detail, "language": language},
                )
            ]
        )

    # When sending fails nothing went out: the schedule's retry (or the dead-letter queue) takes it.
    result = send_once(once, ports, sent_event)
    if result.outcome is SendOutcome.SENT:
        logger.info("survey sent", extra={"ref": ticket.ref, "cycle": ticket.cycle})
        return SurveyOutcome.SENT
    if result.outcome is SendOutcome.SUPPRESSED and result.earlier is None:
        # For good: a retry would find the address suppressed again.
        ports.guards.claim(once.guard, GuardState.SUPPRESSED, now, ref=ticket.ref)
        ports.store.record_event(
            TicketEvent(
                ref=ticket.ref,
                at=now,
                kind="survey_suppressed",
                event_id=f"survey_suppressed:{ticket.cycle}",
                detail={"reason": "the requester's address is on the suppression list"},
            ),
            expires_at=ticket.expires_at,
        )
        return _skipped(request, SurveyOutcome.SUPPRESSED, ports)
    return _skipped(request, SurveyOutcome.ALREADY_SENT, ports)


def survey_answered(referenced_ids: Iterable[str], thread: list[ThreadMessage], domain: str) -> int | None:
    """The cycle of the survey a mail answers (its In-Reply-To or References name the Message-ID
    SES gave a survey of ours, or our own), or None. A survey's thread key ends in ``survey-<cycle>``."""
    named = {message_id.lower() for message_id in referenced_ids}
    for message in reversed(thread):
        if message.kind is not MessageKind.SURVEY:
            continue
        cycle = int(message.key.rsplit("survey-", 1)[1])
        ours = keys.survey_message_id(message.ref, cycle, domain)
        if (message.message_id or "").lower() in named or ours.lower() in named:
            return cycle
    return None


def _skipped(request: SurveyRequest, outcome: SurveyOutcome, ports: Ports) -> SurveyOutcome:
    ports.metrics.count("SurveysSkipped", {"reason": outcome.value})
    logger.info(
        "survey not sent", extra={"ref": request.ref, "cycle": request.cycle, "reason": outcome.value}
    )
    return outcome
