"""The customer's answer to the survey: recorded on the ticket (the first answer of a cycle, or a
change of it), and a bad one flags the ticket for a follow-up and tells the team.

Answers come from the survey page or by mail. Each is a conditional write over the version of the
ticket it read, so two answers at once never lose one; a second answer for the same cycle is logged
as a change, not a second response.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from postdesk.clock import to_iso
from postdesk.errors import ConcurrentUpdate, Invalid, TicketNotFound
from postdesk.observability import logger
from postdesk.settings import Settings
from postdesk.survey.tokens import RATINGS
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.tickets.store import TicketUpdate
from postdesk.triage.sentiment import detect_sentiment
from postdesk.workflows.notices import notify_queue
from postdesk.workflows.ports import Ports

MAX_COMMENT_CHARS = 2000
# A rating at or below this is bad news: the ticket is flagged for a follow-up.
FOLLOW_UP_AT_OR_BELOW = 2
NEGATIVE_SENTIMENTS = frozenset({"frustrated", "angry"})
WRITE_ATTEMPTS = 5


class AnswerSource(StrEnum):
    PAGE = "page"
    MAIL = "mail"


class InvalidAnswer(Invalid):
    """A rating outside 1 to 5, or a comment over the limit."""


@dataclass(frozen=True, slots=True)
class RatingOutcome:
    ticket: Ticket
    first_answer: bool
    previous_rating: int | None
    follow_up_flagged: bool


def record_rating(
    ref: str,
    cycle: int,
    rating: int,
    comment: str,
    source: AnswerSource,
    settings: Settings,
    ports: Ports,
) -> RatingOutcome:
    """Record ``rating`` (and ``comment``) as the answer to the survey of ``cycle``. The same answer
    again (a retried delivery, a second click on the button) changes nothing."""
    if rating not in RATINGS:
        raise InvalidAnswer("a rating is a whole number from 1 to 5")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidAnswer(f"a comment has at most {MAX_COMMENT_CHARS} characters")
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        ticket = ports.store.get_ticket(ref)
        if ticket is None:
            raise TicketNotFound(ref)
        try:
            outcome = _write_answer(ticket, cycle, rating, comment, source, ports)
            break
        except ConcurrentUpdate:
            if attempt == WRITE_ATTEMPTS:
                raise
    if outcome.follow_up_flagged:
        notify_team(outcome.ticket, settings, ports)
    ports.metrics.count("SurveyAnswers", {"rating": str(rating), "source": source.value})
    return outcome


def _write_answer(
    ticket: Ticket, cycle: int, rating: int, comment: str, source: AnswerSource, ports: Ports
) -> RatingOutcome:
    now = ports.clock()
    first = ticket.survey_cycle != cycle or ticket.survey_rating is None
    previous = None if first else ticket.survey_rating
    if not first and previous == rating and ticket.survey_comment == comment:
        return RatingOutcome(ticket, first_answer=False, previous_rating=previous, follow_up_flagged=False)
    # Two different answers in the same instant are two entries of the log.
    answer_id = (
        f"{source.value}:{cycle}:{to_iso(now)}:{rating}:{hashlib.sha256(comment.encode()).hexdigest()[:8]}"
    )
    changes: dict[str, object] = {
        "survey_rating": rating,
        "survey_cycle": cycle,
        "survey_comment": comment,
        "survey_answered_at": now,
    }
    detail = {"cycle": str(cycle), "rating": str(rating), "source": source.value}
    events = [
        TicketEvent(
            ref=ticket.ref,
            at=now,
            kind="survey_answered" if first else "survey_rating_changed",
            event_id=f"survey-answer:{answer_id}",
            actor="customer",
            detail=detail if first else {**detail, "from": str(previous)},
        )
    ]
    reason = _follow_up_reason(rating, comment, ticket.language)
    flagged = reason is not None and ticket.follow_up is None
    if flagged:
        changes["follow_up"] = reason
        events.append(
            TicketEvent(
                ref=ticket.ref,
                at=now,
                kind="follow_up_needed",
                event_id=f"survey-answer:{answer_id}:follow-up",
                actor="customer",
                detail={"reason": str(reason)},
            )
        )
    update = TicketUpdate(ticket, changes)
    ports.store.update_ticket(update, events)
    logger.info("survey answered", extra={"ref": ticket.ref, "rating": rating, "first": first})
    return RatingOutcome(update.after(), first, previous, flagged)


def _follow_up_reason(rating: int, comment: str, language: str) -> str | None:
    if rating <= FOLLOW_UP_AT_OR_BELOW:
        return f"rated {rating} of 5"
    if comment and detect_sentiment(comment, language).label in NEGATIVE_SENTIMENTS:
        return f"rated {rating} of 5 with a negative comment"
    return None


def notify_team(ticket: Ticket, settings: Settings, ports: Ports) -> None:
    """Tell the ticket's queue that it needs a follow-up."""
    ports.metrics.count("FollowUpsFlagged", {"queue": ticket.queue})
    comment = [f'Comment: "{ticket.survey_comment}"'] if ticket.survey_comment else []
    notify_queue(
        ticket,
        f"needs a follow-up: {ticket.follow_up}",
        comment,
        f"follow-up:{ticket.survey_cycle}",
        settings,
        ports,
    )
