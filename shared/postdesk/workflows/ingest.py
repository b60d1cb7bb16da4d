"""Ingest: one inbound mail becomes a new ticket or joins its ticket, and a new ticket from a person
gets one acknowledgement. parse → screen → thread → persist → acknowledge.

Every side effect is guarded on its own, keyed by the SES messageId, so a delivery that arrives twice
or is retried after a crash at any point finishes the work without doing any part of it twice:
- the ticket and message decision is claimed once (``delivery#<id>``), so a retry threads the same way;
- the ticket, its first message and its events are written in one transaction, conditional on absence;
- the acknowledgement is claimed (``ack#<id>``) together with the sender's rate-limit counters before
  it is sent, and marked sent afterwards. A crash between sending and marking leaves the claim, and
  the retry does not send again: a customer gets at most one acknowledgement per mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from postdesk.aws.s3 import BlobNotFound
from postdesk.clock import to_iso
from postdesk.errors import ConcurrentUpdate, RawMailMissing
from postdesk.hygiene.suppressions import address_hash
from postdesk.mail.addressing import ReplyAddressCheck, reply_address
from postdesk.mail.compose import OutboundMail, derived_message_id, ticket_thread_id
from postdesk.mail.model import Address, ParsedMessage
from postdesk.mail.parse import parse_message
from postdesk.mail.quotes import visible_reply
from postdesk.observability import logger, mask_address, mask_quoted_values
from postdesk.rendering import available_languages, render_mail
from postdesk.settings import Settings
from postdesk.sla.clocks import ClockEvent
from postdesk.sla.promise import promise_sentence
from postdesk.tickets.model import (
    DONE_STATUSES,
    AttachmentRef,
    Direction,
    MessageKind,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)
from postdesk.tickets.refs import new_ref
from postdesk.tickets.states import after_customer_reply, status_fields
from postdesk.tickets.store import (
    ClaimResult,
    RateLimit,
    TicketUpdate,
    message_key,
)
from postdesk.tickets.threading import MatchedBy, ThreadMatch, match_thread, referenced_ids
from postdesk.triage.rules import load_rules
from postdesk.triage.screening import ReceiptVerdicts, Screening, screen
from postdesk.triage.survey_answers import RatingAnswer, rating_only
from postdesk.triage.understand import Understanding, understand
from postdesk.workflows.feedback import AnswerSource, record_rating
from postdesk.workflows.outbound import send_in_thread
from postdesk.workflows.ports import Ports
from postdesk.workflows.report import surge_began
from postdesk.workflows.sla import new_ticket_clocks, policy_of, with_clocks
from postdesk.workflows.survey import survey_answered
from postdesk.workflows.timers import after_change

# Tries at writing a customer's message over an agent's concurrent changes to the same ticket.
CONCURRENT_UPDATE_ATTEMPTS = 5
# Lines of the customer's own text quoted back in the acknowledgement.
ACK_EXCERPT_LINES = 12
PREVIEW_CHARS = 2000
# Bounds on what one item stores from a mail's headers (a 200 KB Subject or a To of ten thousand
# addresses exist in the wild, and an item stops at 400 KB). The raw mail in S3 keeps everything.
MAX_STORED_SUBJECT = 998
MAX_STORED_ADDRESSES = 100
# The acknowledgement opens by acknowledging the trouble for these.
EMPATHY_SENTIMENTS = frozenset({"frustrated", "angry"})


@dataclass(frozen=True, slots=True)
class InboundDelivery:
    """One SES receipt, as the Lambda action's event describes it (the body is in S3)."""

    ses_id: str
    received_at: datetime
    envelope_sender: str
    recipients: tuple[str, ...]
    verdicts: ReceiptVerdicts
    headers_truncated: bool = False
    # Where the S3 action wrote the raw mail, when the event says so; else prefix + ses_id.
    object_key: str | None = None


class AckOutcome(StrEnum):
    SENT = "sent"
    NOT_NEW = "not a new ticket"
    SUPPRESSED = "suppressed"
    ALREADY_SENT = "already sent"
    UNCONFIRMED = "claimed before a crash; not sent again"


@dataclass(frozen=True, slots=True)
class IngestResult:
    ref: str
    created: bool
    new_ticket: bool
    screening: Screening
    matched_by: MatchedBy | None
    ack: AckOutcome
    ack_reason: str | None = None


def ingest(delivery: InboundDelivery, settings: Settings, ports: Ports) -> IngestResult:
    """Turn one delivery into ticket state; see the module docstring for the guarantees."""
    raw_key = delivery.object_key or f"{settings.raw_mail_prefix}{delivery.ses_id}"
    try:
        raw = ports.blobs.get(raw_key)
    except BlobNotFound as error:
        raise RawMailMissing(f"raw mail {raw_key} is not in bucket {settings.mail_bucket}") from error
    message = parse_message(raw)
    if delivery.headers_truncated:
        # The event's copy of the headers stops at 10 KB; everything here reads them from the raw mail.
        logger.info("event headers truncated; headers read from the stored mail")
    for defect in message.defects[:20]:
        # Defects quote what the sender wrote (a Content-Type with a filename, a Message-ID): only
        # bare tokens such as a charset's name stay.
        logger.info("mail defect", extra={"defect": mask_quoted_values(defect)[:200]})

    known = ports.store.lookup_message_ids(
        [*referenced_ids(message), *([message.message_id] if message.message_id else [])]
    )
    own_ids = {mid for mid, (_, direction) in known.items() if direction is Direction.OUTBOUND}
    screening = screen(
        message,
        envelope_sender=delivery.envelope_sender,
        verdicts=delivery.verdicts,
        own_addresses=settings.own_addresses,
        own_domain=settings.support_domain,
        own_message_ids=own_ids,
    )
    key = ports.signing_key()
    match = match_thread(
        message,
        recipients=[*delivery.recipients, *(a.email for a in (*message.to, *message.cc))],
        reply_addresses=ReplyAddressCheck(settings.support_address, key),
        known_ids=known,
        get_ticket=ports.store.get_ticket,
    )
    logger.info(
        "mail screened",
        extra={
            "verdict": screening.verdict.value,
            "reason": screening.reason,
            "matched_by": match.matched_by.value if match.matched_by else None,
            "rejected_match": match.rejected,
            "sender": mask_address(message.sender.email if message.sender else None),
        },
    )

    ref, new_ticket = _claim_delivery(delivery, match, ports)
    understanding: Understanding | None = None
    if new_ticket:
        understanding = _understand(message, delivery, settings, ports)
        ticket = new_ticket_clocks(
            _new_ticket(ref, message, delivery, screening, understanding, settings), settings
        )
        first = _stored_message(
            ref,
            message,
            delivery,
            screening,
            raw_key,
            settings,
            ports,
            understanding.visible.text_with_forward,
        )
        events = _arrival_events(ref, delivery, screening, match, created=ticket)
        created = ports.store.create_ticket(ticket, first, events)
        if created:
            ports.metrics.count("TicketsCreated")
            logger.info("ticket created", extra={"ref": ref, "quarantine": ticket.quarantine})
            if ticket.quarantine is None:
                _announce_surge(ticket, settings, ports)
        # Also on a retry: the crash may have come between the ticket and its timer.
        after_change(None, ticket, settings, ports)
    else:
        created = False
        existing = ports.store.get_ticket(ref)
        if existing is None:  # The claim names a ticket that is gone (erased): keep the mail anyway.
            raise RawMailMissing(f"ticket {ref} claimed by delivery {delivery.ses_id} no longer exists")
        ticket = _append_to_ticket(existing, message, delivery, screening, match, raw_key, settings, ports)
    # Mail recorded on a closed ticket (an out-of-office, say) goes when the ticket goes.
    ports.store.index_message_ids(
        ref,
        [message.message_id] if message.message_id else [],
        Direction.INBOUND,
        expires_at=ticket.expires_at,
    )

    if not new_ticket or understanding is None:
        return IngestResult(ref, created, new_ticket, screening, match.matched_by, AckOutcome.NOT_NEW)
    if not screening.may_acknowledge:
        _record_suppressed_ack(ticket, delivery, screening.verdict.value, screening.reason, ports)
        return IngestResult(
            ref, created, new_ticket, screening, match.matched_by, AckOutcome.SUPPRESSED, screening.reason
        )
    ack, reason = _acknowledge(ticket, message, delivery, understanding, settings, ports, key)
    return IngestResult(ref, created, new_ticket, screening, match.matched_by, ack, reason)


def _announce_surge(ticket: Ticket, settings: Settings, ports: Ports) -> None:
    """A metric and a warning when this ticket starts a surge of its category today (the report
    lists surges too). Never fails the delivery: the ticket is written."""
    try:
        surge = surge_began(
            ports.store, ticket.category, ticket.created_at, policy_of(settings).calendar.timezone
        )
    except Exception:
        logger.exception("surge check failed", extra={"ref": ticket.ref})
        return
    if surge is not None:
        ports.metrics.count("CategorySurges", {"category": surge.category})
        logger.warning(
            "category surge",
            extra={"category": surge.category, "today": surge.today, "threshold": surge.threshold},
        )


def _claim_delivery(delivery: InboundDelivery, match: ThreadMatch, ports: Ports) -> tuple[str, bool]:
    """Fix, once per SES delivery, which ticket it goes to and whether that ticket is new."""
    proposed = match.ref
    if proposed is None:
        proposed = new_ref()
        while ports.store.get_ticket(proposed) is not None:  # 40 random bits: practically never.
            proposed = new_ref()
    guard = ports.store.claim_or_get(
        f"delivery#{delivery.ses_id}",
        state="new" if match.ref is None else "existing",
        now=delivery.received_at,
        ref=proposed,
    )
    assert guard.ref is not None
    return guard.ref, guard.state == "new"


def _understand(
    message: ParsedMessage, delivery: InboundDelivery, settings: Settings, ports: Ports
) -> Understanding:
    """Visible reply, language (with the requester's earlier tickets as a hint), triage, articles."""
    requester = _requester(message, delivery)
    history = [t.language for t in ports.store.tickets_of_requester(requester.email, limit=10)]
    return understand(
        message,
        history_languages=history,
        default_language=settings.default_language,
        template_languages=available_languages(),
        rules=load_rules(settings.triage_rules_path),
    )


def _requester(message: ParsedMessage, delivery: InboundDelivery) -> Address:
    if message.sender is not None:
        return message.sender
    return Address("", delivery.envelope_sender.strip("<>").lower())


def _new_ticket(
    ref: str,
    message: ParsedMessage,
    delivery: InboundDelivery,
    screening: Screening,
    understanding: Understanding,
    settings: Settings,
) -> Ticket:
    requester = _requester(message, delivery)
    own = settings.own_addresses
    cc = tuple(
        dict.fromkeys(
            address.email
            for address in (*message.to, *message.cc)
            if address.email not in own
            and address.domain != settings.support_domain
            and address.email != requester.email
        )
    )[:MAX_STORED_ADDRESSES]
    decision = understanding.triage
    quarantine: str | None = None
    if screening.quarantined or screening.automatic:
        quarantine = f"{screening.verdict.value}: {screening.reason}"
    return Ticket(
        ref=ref,
        subject=message.subject[:MAX_STORED_SUBJECT] or "(no subject)",
        requester_email=requester.email,
        requester_name=requester.name,
        cc=cc,
        status=Status.NEW,
        queue=decision.queue,
        priority=decision.priority,
        language=understanding.language.code,
        created_at=delivery.received_at,
        updated_at=delivery.received_at,
        quarantine=quarantine,
        waiting_since=delivery.received_at,
        category=decision.category,
        tags=decision.tags,
        sentiment=decision.sentiment.label,
        triage_confidence=round(decision.confidence, 3),
        triage_explanation=decision.explanation[:1000],
    )


def _message_kind(screening: Screening) -> MessageKind:
    if screening.quarantined:
        return MessageKind.QUARANTINED
    if screening.is_bounce:
        return MessageKind.BOUNCE
    if screening.automatic:
        return MessageKind.AUTO_REPLY
    return MessageKind.CUSTOMER


def _stored_message(
    ref: str,
    message: ParsedMessage,
    delivery: InboundDelivery,
    screening: Screening,
    raw_key: str,
    settings: Settings,
    ports: Ports,
    visible_text: str,
) -> ThreadMessage:
    """The thread entry; attachments and long text go to S3 first (keys derived from the delivery,
    so a retry overwrites the same objects with the same bytes)."""
    attachments = []
    for index, attachment in enumerate(message.attachments):
        key = f"{settings.attachments_prefix}{ref}/{delivery.ses_id}/{index:03d}-{attachment.sha256[:16]}"
        ports.blobs.put(key, attachment.content, attachment.content_type)
        attachments.append(
            AttachmentRef(
                attachment.filename, attachment.content_type, attachment.size, attachment.sha256, key
            )
        )
    text: str | None = message.text
    text_key: str | None = None
    if len(message.text.encode("utf-8")) > settings.inline_body_limit:
        text_key = f"{settings.bodies_prefix}{ref}/{delivery.ses_id}.txt"
        ports.blobs.put(text_key, message.text.encode("utf-8"), "text/plain; charset=utf-8")
        text = message.text[:PREVIEW_CHARS]
    sender = _requester(message, delivery)
    return ThreadMessage(
        ref=ref,
        key=message_key(delivery.received_at, delivery.ses_id),
        direction=Direction.INBOUND,
        kind=_message_kind(screening),
        at=delivery.received_at,
        subject=message.subject[:MAX_STORED_SUBJECT],
        from_email=sender.email,
        from_name=sender.name,
        message_id=message.message_id,
        ses_id=delivery.ses_id,
        text=text,
        text_key=text_key,
        raw_key=raw_key,
        attachments=tuple(attachments),
        to=tuple(a.email for a in message.to)[:MAX_STORED_ADDRESSES],
        cc=tuple(a.email for a in message.cc)[:MAX_STORED_ADDRESSES],
        screening=f"{screening.verdict.value}: {screening.reason}",
        # Stored only when it differs from the text, and bounded like the text preview.
        visible_text=None if visible_text == message.text else visible_text[: settings.inline_body_limit],
        has_html=bool(message.html),
    )


# Events of one delivery share its receipt time; this order keeps them in the order they happen.
_EVENT_ORDER = {
    "ticket_created": 0,
    "mail_screened": 1,
    "quarantined": 2,
    "customer_replied": 3,
    "automatic_reply_recorded": 3,
    "bounce_recorded": 3,
    "quarantined_message_recorded": 3,
    "survey_reply_recorded": 3,
    "status_changed": 4,
    "reopened": 4,
    "ack_suppressed": 8,
    "ack_unconfirmed": 9,
}


def _event(ref: str, delivery: InboundDelivery, kind: str, **detail: str) -> TicketEvent:
    """An event caused by this delivery; its id (hence its log key) is the same on every retry."""
    event_id = f"{delivery.ses_id}:{_EVENT_ORDER[kind]}:{kind}"
    return TicketEvent(ref=ref, at=delivery.received_at, kind=kind, event_id=event_id, detail=detail)


def _arrival_events(
    ref: str, delivery: InboundDelivery, screening: Screening, match: ThreadMatch, *, created: Ticket | None
) -> list[TicketEvent]:
    """The events of an arrival; ``created`` is the ticket it makes, if any (its event carries what
    the desk's figures count: category, language, queue)."""
    events = []
    if created is not None:
        events.append(
            _event(
                ref,
                delivery,
                "ticket_created",
                channel="email",
                category=created.category,
                language=created.language,
                queue=created.queue,
                quarantined=str(created.quarantine is not None).lower(),
            )
        )
    screened = {"verdict": screening.verdict.value, "reason": screening.reason}
    if match.matched_by:
        screened["matched_by"] = match.matched_by.value
    if match.rejected:
        screened["rejected_match"] = match.rejected
    events.append(_event(ref, delivery, "mail_screened", **screened))
    if screening.quarantined:
        events.append(_event(ref, delivery, "quarantined", reason=screening.reason))
    return events


def _append_to_ticket(
    ticket: Ticket,
    message: ParsedMessage,
    delivery: InboundDelivery,
    screening: Screening,
    match: ThreadMatch,
    raw_key: str,
    settings: Settings,
    ports: Ports,
) -> Ticket:
    """Record the mail on ``ticket``; the ticket as the arrival left it."""
    visible = visible_reply(message.text, message.html).text_with_forward
    stored = _stored_message(ticket.ref, message, delivery, screening, raw_key, settings, ports, visible)
    rating = (
        None
        if screening.automatic or screening.quarantined
        else _survey_rating(ticket, message, visible, settings, ports)
    )
    # An agent may change the ticket between our read and our write: read again and redo the change.
    for attempt in range(1, CONCURRENT_UPDATE_ATTEMPTS + 1):
        try:
            after = _write_arrival(
                ticket, stored, delivery, screening, match, rating is not None, settings, ports
            )
            break
        except ConcurrentUpdate:
            current = ports.store.get_ticket(ticket.ref)
            if current is None or attempt == CONCURRENT_UPDATE_ATTEMPTS:
                raise
            ticket = current
    if rating is not None:
        cycle, answer = rating
        record_rating(ticket.ref, cycle, answer.rating, "", AnswerSource.MAIL, settings, ports)
    return after


def _survey_rating(
    ticket: Ticket, message: ParsedMessage, visible: str, settings: Settings, ports: Ports
) -> tuple[int, RatingAnswer] | None:
    """The (cycle, rating) of a reply to our survey that is only a rating ("5", "4/5", "good", 👍);
    None for any other mail (which reopens the ticket as usual)."""
    if ticket.status not in DONE_STATUSES:
        return None
    cycle = survey_answered(
        (*message.in_reply_to, *message.references),
        ports.store.thread(ticket.ref),
        settings.support_domain,
    )
    if cycle is None:
        return None
    answer = rating_only(visible, ticket.language, message.sender.name if message.sender else "")
    return (cycle, answer) if answer is not None else None


def _write_arrival(
    ticket: Ticket,
    stored: ThreadMessage,
    delivery: InboundDelivery,
    screening: Screening,
    match: ThreadMatch,
    survey_rating: bool,
    settings: Settings,
    ports: Ports,
) -> Ticket:
    """Write the arrival over ``ticket``; the ticket after it (as it was, when a retry finds the
    message written already)."""
    events = _arrival_events(ticket.ref, delivery, screening, match, created=None)
    changes: dict[str, object] = {"updated_at": delivery.received_at}
    if survey_rating:
        # A rating sent by mail is an answer to the survey, not a new question: no reopen.
        events.append(_event(ticket.ref, delivery, "survey_reply_recorded"))
    elif screening.automatic or screening.quarantined:
        # An out-of-office or a bounce is recorded on the ticket but never reopens it.
        kind = "bounce_recorded" if screening.is_bounce else "automatic_reply_recorded"
        if screening.quarantined:
            kind = "quarantined_message_recorded"
        events.append(_event(ticket.ref, delivery, kind, reason=screening.reason))
    else:
        outcome = after_customer_reply(ticket)
        events.append(_event(ticket.ref, delivery, "customer_replied"))
        if outcome.status is not ticket.status:
            changes.update(status_fields(outcome.status, outcome.cycle, delivery.received_at))
            events.append(
                _event(
                    ticket.ref,
                    delivery,
                    "reopened" if outcome.reopened else "status_changed",
                    **{"from": ticket.status.value, "to": outcome.status.value, "cycle": str(outcome.cycle)},
                )
            )
    if not (screening.automatic or screening.quarantined):
        event = ClockEvent.EDIT if survey_rating else ClockEvent.CUSTOMER_MESSAGE
        changes = with_clocks(ticket, changes, event, delivery.received_at, settings)
    update = TicketUpdate(ticket, changes)
    appended = ports.store.append_message(stored, events, update)
    if not appended:
        return ticket
    logger.info("message added to ticket", extra={"ref": ticket.ref, "kind": stored.kind.value})
    after_change(ticket, update.after(), settings, ports, events)
    return update.after()


def _record_suppressed_ack(
    ticket: Ticket, delivery: InboundDelivery, reason_key: str, reason: str, ports: Ports
) -> None:
    event = _event(ticket.ref, delivery, "ack_suppressed", reason=reason_key, detail=reason)
    if ports.store.record_event(event):
        ports.metrics.count("AcksSuppressed", {"reason": reason_key})
        logger.info("acknowledgement suppressed", extra={"ref": ticket.ref, "reason": reason_key})


def _address_hash(address: str) -> str:
    return address_hash(address)[:32]


def ack_rate_key_prefix(address: str) -> str:
    """Where the keys of the acknowledgement rate-limit counters of ``address`` begin (hourly and
    daily windows follow); an erasure removes them."""
    return f"ack-rate#{_address_hash(address)}#"


def _acknowledge(
    ticket: Ticket,
    message: ParsedMessage,
    delivery: InboundDelivery,
    understanding: Understanding,
    settings: Settings,
    ports: Ports,
    key: bytes,
) -> tuple[AckOutcome, str | None]:
    # RFC 3834 §4: an automatic response goes to the envelope sender (the Return-Path).
    recipient = delivery.envelope_sender.strip().strip("<>") or ticket.requester_email
    guard_key = f"ack#{delivery.ses_id}"
    now = ports.clock()
    our_message_id = derived_message_id("ack", delivery.ses_id, settings.support_domain)
    thread_id = ticket_thread_id(ticket.ref, settings.support_domain)
    counters = ack_rate_key_prefix(recipient)
    limits = (
        RateLimit(
            f"{counters}h#{now:%Y%m%d%H}",
            settings.ack_limit_per_hour,
            int((now + timedelta(hours=2)).timestamp()),
        ),
        RateLimit(
            f"{counters}d#{now:%Y%m%d}",
            settings.ack_limit_per_day,
            int((now + timedelta(days=2)).timestamp()),
        ),
    )
    if ports.suppressions.check([recipient]):
        ports.store.claim(guard_key, state="suppressed", now=now, ref=ticket.ref)
        _record_suppressed_ack(
            ticket, delivery, "suppression_list", "the sender's address is on the suppression list", ports
        )
        return AckOutcome.SUPPRESSED, "suppression_list"
    claimed = ports.store.claim(
        guard_key,
        state="sending",
        now=now,
        ref=ticket.ref,
        detail={"message_id": our_message_id},
        rate_limits=limits,
    )
    if claimed is ClaimResult.RATE_LIMITED:
        ports.store.claim(guard_key, state="suppressed", now=now, ref=ticket.ref)
        _record_suppressed_ack(
            ticket, delivery, "rate_limit", "too many automatic mails to this sender", ports
        )
        return AckOutcome.SUPPRESSED, "rate_limit"
    if claimed is ClaimResult.ALREADY_CLAIMED:
        return _finish_earlier_ack(ticket, delivery, guard_key, thread_id, ports)

    language = understanding.reply_language
    rules = load_rules(settings.triage_rules_path)
    rendered = render_mail(
        "ack",
        language,
        {
            "customer_name": ticket.requester_name,
            "ref": ticket.ref,
            "subject": ticket.subject,
            "excerpt_lines": [line for line in understanding.request_text.splitlines() if line.strip()][
                :ACK_EXCERPT_LINES
            ],
            "support_name": settings.support_name,
            "empathy": understanding.triage.sentiment.label in EMPATHY_SENTIMENTS,
            "articles": [{"title": s.article.title, "url": s.article.url} for s in understanding.suggestions],
            "category_line": rules.acknowledgement_line(ticket.category, language) or "",
            "promise": promise_sentence(ticket, now, policy_of(settings), language),
        },
        fallback=settings.default_language,
    )
    outbound = OutboundMail(
        sender=Address(settings.support_name, settings.support_address),
        to=(Address(ticket.requester_name if recipient == ticket.requester_email else "", recipient),),
        subject=f"[#{ticket.ref}] {ticket.subject}",
        text=rendered.text,
        html=rendered.html,
        message_id=our_message_id,
        date=now,
        reply_to=reply_address(settings.support_address, ticket.ref, key),
        in_reply_to=message.message_id,
        references=(*message.references, *([message.message_id] if message.message_id else []), thread_id),
        auto_submitted="auto-replied",
    )
    sent_message = send_in_thread(
        outbound,
        ref=ticket.ref,
        kind=MessageKind.ACKNOWLEDGEMENT,
        unique=f"ack-{delivery.ses_id}",
        now=now,
        settings=settings,
        ports=ports,
    )
    ses_message_id = sent_message.ses_id or ""
    ses_header_id = sent_message.message_id or ""
    ack_event = TicketEvent(
        ref=ticket.ref,
        at=now,
        kind="ack_sent",
        event_id=f"{delivery.ses_id}:ack_sent",
        detail={"ses_message_id": ses_message_id, "language": rendered.language},
    )
    ports.store.finish_guard(
        guard_key,
        from_state="sending",
        to_state="sent",
        detail={"message_id": our_message_id, "ses_message_id": ses_message_id, "sent_at": to_iso(now)},
        events=[ack_event],
        messages=[sent_message],
    )
    ports.store.index_message_ids(ticket.ref, [ses_header_id, our_message_id, thread_id], Direction.OUTBOUND)
    ports.metrics.count("AcksSent")
    logger.info("acknowledgement sent", extra={"ref": ticket.ref, "language": rendered.language})
    return AckOutcome.SENT, None


def _finish_earlier_ack(
    ticket: Ticket, delivery: InboundDelivery, guard_key: str, thread_id: str, ports: Ports
) -> tuple[AckOutcome, str | None]:
    """A previous attempt claimed the acknowledgement. Finish what it may have left undone (the
    Message-ID index) and never send a second one."""
    guard = ports.store.get_guard(guard_key)
    if guard is None or guard.state == "suppressed":
        return AckOutcome.SUPPRESSED, "rate_limit"
    ids = [thread_id, guard.detail.get("message_id", "")]
    if guard.state == "sent":
        ses_message_id = guard.detail.get("ses_message_id")
        if ses_message_id:
            ids.append(ports.mailer.ses_message_id_header(ses_message_id))
        ports.store.index_message_ids(ticket.ref, [i for i in ids if i], Direction.OUTBOUND)
        return AckOutcome.ALREADY_SENT, None
    ports.store.index_message_ids(ticket.ref, [i for i in ids if i], Direction.OUTBOUND)
    ports.store.record_event(
        _event(
            ticket.ref,
            delivery,
            "ack_unconfirmed",
            reason="an earlier attempt stopped after claiming the acknowledgement; not sent again",
        )
    )
    logger.warning("acknowledgement claimed by an earlier attempt; not sent again", extra={"ref": ticket.ref})
    return AckOutcome.UNCONFIRMED, None
