"""The customer's answer to the survey, their rating: recorded on the ticket (the first answer of a
cycle, or a change of it), and a bad one flags the ticket for a follow-up and tells the team. (SES's
word on the desk's mail, bounces and complaints, is workflows/mail_feedback.py.)

Answers come from the survey page or by mail. Each is a conditional write over the version of the
ticket it read, so two answers at once never lose one; a second answer for the same cycle is logged
as a change, not a second response.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from postdesk.clock import to_iso
from postdesk.effects.retry import retry_on_conflict
from postdesk.errors import Invalid
from postdesk.observability import logger
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.survey.tokens import RATINGS
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import Ticket, TicketEvent
from postdesk.triage.sentiment import detect_sentiment
from postdesk.workflows.notices import notify_queue

MAX_COMMENT_CHARS = 2000
# A rating at or below this is bad news: the ticket is flagged for a follow-up.
FOLLOW_UP_AT_OR_BELOW = 2
NEGATIVE_SENTIMENTS = frozenset({"frustrated", "angry"})


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
    # The answer that flagged the ticket for a follow-up, when this one did.
    flagged_by: str | None = None

    @property
    def follow_up_flagged(self) -> bool:
        return self.flagged_by is not None


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
    outcome = retry_on_conflict(
        lambda ticket: _write_answer(ticket, cycle, rating, comment, source, ports), ref, ports.store
    )
    if outcome.flagged_by is not None:
        notify_team(outcome.ticket, outcome.flagged_by, settings, ports)
    ports.metrics.count("SurveyAnswers", {"rating": str(rating), "source": source.value})
    return outcome


def _write_answer(
    ticket: Ticket, cycle: int, rating: int, comment: str, source: AnswerSource, ports: Ports
) -> RatingOutcome:
    now = ports.clock()
    first = ticket.survey_cycle != cycle or ticket.survey_rating is None
    previous = None if first else ticket.survey_rating
    if not first and previous == rating and ticket.survey_comment == comment:
        return RatingOutcome(ticket, first_answer=False, previous_rating=previous)
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
    return RatingOutcome(update.after(), first, previous, answer_id if flagged else None)


def _follow_up_reason(rating: int, comment: str, language: str) -> str | None:
    if rating <= FOLLOW_UP_AT_OR_BELOW:
        return f"rated {rating} of 5"
    if comment and detect_sentiment(comment, language).label in NEGATIVE_SENTIMENTS:
        return f"rated {rating} of 5 with a negative comment"
    return None


def notify_team(ticket: Ticket, answer_id: str, settings: Settings, ports: Ports) -> None:
    """Tell the ticket's queue that the answer ``answer_id`` flagged it for a follow-up."""
    ports.metrics.count("FollowUpsFlagged", {"queue": ticket.queue})
    comment = [f'Comment: "{ticket.survey_comment}"'] if ticket.survey_comment else []
    notify_queue(
        ticket,
        f"needs a follow-up: {ticket.follow_up}",
        comment,
        f"follow-up:{answer_id}",
        settings,
        ports,
    )
