"""Ingest: one inbound mail becomes a new ticket or joins its ticket, and a new ticket from a person
gets one acknowledgement. parse → screen → thread → persist → acknowledge.

Every side effect is guarded on its own, keyed by the SES messageId, so a delivery that arrives twice
or is retried after a crash at any point finishes the work without doing any part of it twice:
- the ticket a delivery goes to is recorded with it (guard ``delivery#<id>``), in the very transaction
  that writes the ticket (or the message on an existing one), with its events, figures and Message-IDs;
  a retry reads that guard first and goes the same way. A new ticket's reference is derived from the
  delivery (an HMAC of its SES id), so attempts that race make the same ticket, never two;
- the acknowledgement goes through the send-once mechanism (effects/send_once.py), claimed together
  with the sender's rate-limit counters: a customer gets at most one acknowledgement per mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from postdesk.aws.s3 import BlobNotFound
from postdesk.effects import keys
from postdesk.effects.guards import Guard, GuardClaim, GuardState, RateLimit
from postdesk.effects.retry import retry_on_conflict
from postdesk.effects.send_once import OnceMail, Recording, SendOutcome, send_once
from postdesk.errors import ConfigurationError, RawMailMissing
from postdesk.mail.addressing import ReplyAddressCheck
from postdesk.mail.compose import quoted_lines
from postdesk.mail.model import Address, ParsedMessage
from postdesk.mail.parse import parse_message
from postdesk.mail.quotes import visible_reply
from postdesk.mail.recipients import MAX_RECIPIENTS, MAX_TICKET_CC
from postdesk.mailboxes import Mailbox
from postdesk.observability import logger, mask_address, mask_quoted_values
from postdesk.ports import Ports
from postdesk.rendering import available_languages, render_mail
from postdesk.settings import Settings
from postdesk.sla.clocks import ClockEvent
from postdesk.sla.promise import promise_sentence
from postdesk.tickets.items import TicketUpdate
from postdesk.tickets.model import (
    DONE_STATUSES,
    AttachmentRef,
    CcOffer,
    Direction,
    MessageKind,
    Status,
    ThreadMessage,
    Ticket,
    TicketEvent,
)
from postdesk.tickets.refs import delivery_ref
from postdesk.tickets.states import after_customer_reply, status_fields
from postdesk.tickets.store import Created, DeliveredBefore, IndexEntry
from postdesk.tickets.threading import MatchedBy, ThreadMatch, followed_merges, match_thread, referenced_ids
from postdesk.triage.classify import Triage
from postdesk.triage.flood import FLOOD_WINDOW, repeat_of, text_fingerprint
from postdesk.triage.knowledge import Article, KnowledgeBase
from postdesk.triage.rules import load_rules
from postdesk.triage.screening import ReceiptVerdicts, Screening, screen, trusted
from postdesk.triage.survey_answers import RatingAnswer, rating_only
from postdesk.triage.understand import Understanding, understand
from postdesk.workflows.assignment import Occasion, assign_automatically
from postdesk.workflows.copies import offered_copies
from postdesk.workflows.forward import answer_to_forward
from postdesk.workflows.ratings import AnswerSource, record_rating
from postdesk.workflows.report import surge_began
from postdesk.workflows.sla import new_ticket_clocks, policy_of, with_clocks
from postdesk.workflows.survey import survey_answered
from postdesk.workflows.thread_mail import desk_name, thread_mail
from postdesk.workflows.timers import after_change

# Candidates for a new ticket's reference derived from one delivery, before it is given up on (each
# taken one is a 1 in 2^40 event).
REF_CANDIDATES = 8
# Lines of the customer's own text quoted back in the acknowledgement.
ACK_EXCERPT_LINES = 12
# Names of the customer's attached files the acknowledgement lists (then how many more).
ACK_ATTACHMENT_NAMES = 5
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
    DUPLICATE = "the same mail was delivered before; not acknowledged again"
    REPEAT = "a repeat of the sender's open ticket within the hour; joined it, not acknowledged"
    THIRD_PARTY = "a third party's answer to a forward; recorded as internal, never acknowledged"


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

    guard_key = keys.delivery_guard(delivery.ses_id)
    first_key = _first_delivery_key(message, delivery)
    sender = _requester(message, delivery).email
    arrival = ports.store.lookup_arrival(
        [*referenced_ids(message), *([message.message_id] if message.message_id else [])],
        guard_key,
        first_key,
        keys.trusted_sender_guard(sender) if sender else None,
    )
    known = {message_id: (entry.ref, entry.direction) for message_id, entry in arrival.known.items()}
    own_ids = {mid for mid, (_, direction) in known.items() if direction is Direction.OUTBOUND}
    screening = screen(
        message,
        envelope_sender=delivery.envelope_sender,
        verdicts=delivery.verdicts,
        own_addresses=settings.own_addresses,
        own_domain=settings.support_domain,
        own_message_ids=own_ids,
    )
    if arrival.trusted_sender:
        screening = trusted(screening)
    earlier = arrival.delivery
    if earlier is None and arrival.first_delivery is not None:
        return _join_as_duplicate(arrival.first_delivery, message, delivery, screening, raw_key, ports)
    key = ports.signing_key()
    reads = _TicketReads(ports)
    third_party = _third_party_answer(
        message, delivery, arrival.known, screening, raw_key, key, reads, settings, ports
    )
    if third_party is not None:
        return third_party
    match = match_thread(
        message,
        recipients=[*delivery.recipients, *(a.email for a in (*message.to, *message.cc))],
        reply_addresses=ReplyAddressCheck(
            settings.support_address, key, (mailbox.address for mailbox in settings.mailboxes.all)
        ),
        known_ids=known,
        get_ticket=reads.get,
    )
    match = followed_merges(match, reads.get)
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
    # The ids this mail brings that no ticket holds yet (first writer wins: a client reusing a
    # Message-ID does not move a thread).
    index = (
        {message.message_id: Direction.INBOUND}
        if message.message_id and message.message_id not in known
        else {}
    )

    # An earlier attempt at this delivery decided where it goes (its guard is written with the ticket
    # or the message): go the same way.
    new_ticket = earlier.state is GuardState.NEW if earlier is not None else match.ref is None
    created = False
    understanding: Understanding | None = None
    requester_tickets = _RequesterTickets(_requester(message, delivery).email, ports)
    repeated = (
        repeat_of(
            text_fingerprint(message.subject, message.text),
            delivery.received_at,
            requester_tickets.recent(),
        )
        if new_ticket and earlier is None
        else None
    )
    if repeated is not None and (first_of_flood := reads.get(repeated)) is not None:
        # The same text from the same sender within the hour: it joins the first, unacknowledged.
        try:
            ticket = _append_to_ticket(
                first_of_flood, message, delivery, screening, match, raw_key, index, settings, ports, True
            )
        except DeliveredBefore as found:
            return _join_as_duplicate(found.first, message, delivery, screening, raw_key, ports)
        ports.metrics.count("RepeatsFolded")
        return IngestResult(ticket.ref, False, False, screening, MatchedBy.REPEAT, AckOutcome.REPEAT)
    if new_ticket:
        understanding = _understand(message, delivery, settings, ports, requester_tickets)
        if earlier is not None and earlier.ref:
            ticket = _created_before(earlier.ref, delivery, reads)
        else:
            try:
                ticket, created, new_ticket = _create_ticket(
                    message, delivery, screening, match, understanding, raw_key, key, index, settings, ports
                )
            except DeliveredBefore as found:
                # Another delivery of this mail made its ticket while this one was on its way.
                return _join_as_duplicate(found.first, message, delivery, screening, raw_key, ports)
        if created:
            ports.metrics.count("TicketsCreated")
            logger.info("ticket created", extra={"ref": ticket.ref, "quarantine": ticket.quarantine})
            if ticket.quarantine is None:
                _announce_surge(ticket, settings, ports)
        # Also on a retry: the crash may have come between the ticket and its timer.
        after_change(None, ticket, settings, ports)
        # Also on a retry: it assigns only a ticket still unassigned, once per cycle.
        if ticket.quarantine is None:
            ticket = assign_automatically(ticket, Occasion.NEW, settings, ports)
    else:
        ref = earlier.ref if earlier is not None and earlier.ref else match.ref
        existing = reads.get(ref) if ref else None
        if existing is None:  # The ticket is gone (erased) since: keep the mail anyway.
            raise RawMailMissing(f"ticket {ref} of delivery {delivery.ses_id} no longer exists")
        try:
            ticket = _append_to_ticket(
                existing, message, delivery, screening, match, raw_key, index, settings, ports
            )
        except DeliveredBefore as found:
            return _join_as_duplicate(found.first, message, delivery, screening, raw_key, ports)
        if _reopened_by(delivery, existing, ticket, retried=earlier is not None, ports=ports):
            ticket = assign_automatically(ticket, Occasion.REOPENED, settings, ports)

    ref = ticket.ref
    if not new_ticket or understanding is None:
        return IngestResult(ref, created, new_ticket, screening, match.matched_by, AckOutcome.NOT_NEW)
    if not screening.may_acknowledge:
        _record_suppressed_ack(ticket, delivery, screening.verdict.value, screening.reason, ports)
        return IngestResult(
            ref, created, new_ticket, screening, match.matched_by, AckOutcome.SUPPRESSED, screening.reason
        )
    ack, reason = _acknowledge(ticket, message, delivery, understanding, settings, ports, key)
    return IngestResult(ref, created, new_ticket, screening, match.matched_by, ack, reason)


def acknowledge_release(ticket: Ticket, settings: Settings, ports: Ports) -> tuple[AckOutcome, str | None]:
    """The acknowledgement the first mail of ``ticket`` would have had, sent now that an agent took
    the ticket out of quarantine and asked for it: the same mail, under the same guard (so it goes
    once, however often this is called) and the same rate limits. It goes to the requester (From):
    the return path of the held mail is not kept."""
    thread, _ = ports.store.log(ticket.ref)
    first = next(
        (m for m in thread if m.direction is Direction.INBOUND and m.raw_key and m.ses_id),
        None,
    )
    if first is None or first.raw_key is None or first.ses_id is None:
        return AckOutcome.SUPPRESSED, "the ticket has no received mail to acknowledge"
    try:
        raw = ports.blobs.get(first.raw_key)
    except BlobNotFound:
        return AckOutcome.SUPPRESSED, "the received mail is no longer kept"
    message = parse_message(raw)
    delivery = InboundDelivery(
        ses_id=first.ses_id,
        received_at=first.at,
        envelope_sender="",
        recipients=(),
        verdicts=ReceiptVerdicts(),
    )
    understanding = _understand(
        message, delivery, settings, ports, _RequesterTickets(ticket.requester_email, ports)
    )
    return _acknowledge(ticket, message, delivery, understanding, settings, ports, ports.signing_key())


def _first_delivery_key(message: ParsedMessage, delivery: InboundDelivery) -> str | None:
    """The guard naming this mail's first delivery (by its Message-ID and sender); None for a mail
    without a Message-ID or a sender, which cannot be told from another."""
    sender = _requester(message, delivery).email
    if not message.message_id or not sender:
        return None
    return keys.first_delivery_guard(sender, message.message_id)


def _first_delivery_claim(
    message: ParsedMessage, delivery: InboundDelivery, state: GuardState, ref: str
) -> GuardClaim | None:
    key = _first_delivery_key(message, delivery)
    if key is None:
        return None
    return GuardClaim(key, state, delivery.received_at, ref, {"ses_id": delivery.ses_id})


def _join_as_duplicate(
    first: Guard,
    message: ParsedMessage,
    delivery: InboundDelivery,
    screening: Screening,
    raw_key: str,
    ports: Ports,
) -> IngestResult:
    """The same mail from the same sender came again under another SES id (an MTA's retry, a copy
    to a second address of ours) within the first delivery's 30 days: record it on the first
    delivery's ticket as a duplicate, its raw mail kept, with no second acknowledgement. Only the
    sender who sent the first may join it: the guard's key holds the sender's address."""
    ref = first.ref or ""
    ticket = ports.store.get_ticket(ref) if ref else None
    if ticket is None:
        # The first delivery's ticket was erased since: the copy is kept (raw mail) and said so.
        logger.warning(
            "duplicate of a mail whose ticket is gone; raw mail kept",
            extra={"ref": ref, "raw_key": raw_key},
        )
        return IngestResult(ref, False, False, screening, None, AckOutcome.DUPLICATE)
    event = _event(
        ref,
        delivery,
        "duplicate_delivery",
        message_id=(message.message_id or "")[:300],
        first_delivery=first.detail.get("ses_id", ""),
        raw_key=raw_key,
    )
    if ports.store.record_event(event, expires_at=ticket.expires_at):
        ports.metrics.count("DuplicateDeliveries")
        logger.info(
            "duplicate delivery joined its ticket",
            extra={"ref": ref, "first_delivery": first.detail.get("ses_id")},
        )
    return IngestResult(ref, False, False, screening, None, AckOutcome.DUPLICATE)


class _TicketReads:
    """Tickets read during one delivery, each read once (threading checks a ticket, then the arrival
    writes over it). A write that lost a race reads afresh, not through here."""

    def __init__(self, ports: Ports) -> None:
        self._store = ports.store
        self._read: dict[str, Ticket | None] = {}

    def get(self, ref: str) -> Ticket | None:
        if ref not in self._read:
            self._read[ref] = self._store.get_ticket(ref)
        return self._read[ref]


def _create_ticket(
    message: ParsedMessage,
    delivery: InboundDelivery,
    screening: Screening,
    match: ThreadMatch,
    understanding: Understanding,
    raw_key: str,
    key: bytes,
    index: dict[str, Direction],
    settings: Settings,
    ports: Ports,
) -> tuple[Ticket, bool, bool]:
    """Write the new ticket with its first message, the delivery's guard and its Message-IDs; the
    ticket, whether this attempt made it, and whether the delivery made a new ticket (an attempt
    that raced this one may have found the delivery's ticket another way). Its reference is the
    delivery's first derived candidate no other ticket holds: every attempt at the same delivery
    tries the same ones in the same order."""
    for candidate in range(REF_CANDIDATES):
        ref = delivery_ref(key, delivery.ses_id, candidate)
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
        events = _arrival_events(ref, delivery, screening, match, created=ticket, stored=first)
        copied = len(_copied(message, _requester(message, delivery), settings))
        if copied > len(ticket.cc):
            # Answers go to the requester and the Cc, and SES takes 50 recipients: the rest is said.
            events.append(
                _event(
                    ref,
                    delivery,
                    "cc_trimmed",
                    kept=str(len(ticket.cc)),
                    left_out=str(copied - len(ticket.cc)),
                    limit=str(MAX_RECIPIENTS),
                )
            )
        created, found = ports.store.create_ticket(
            ticket,
            first,
            events,
            claim=GuardClaim(keys.delivery_guard(delivery.ses_id), GuardState.NEW, delivery.received_at, ref),
            first=_first_delivery_claim(message, delivery, GuardState.NEW, ref),
            index={**index, keys.ticket_thread_id(ref, settings.support_domain): Direction.OUTBOUND},
        )
        if created is Created.CREATED:
            return ticket, True, True
        if created is Created.CLAIMED_ELSEWHERE:
            # Another attempt at this very delivery got there first: its decision stands.
            if found is None or found.ref is None:
                raise RawMailMissing(f"delivery {delivery.ses_id} was claimed, but its guard is gone")
            made = _created_before(found.ref, delivery, _TicketReads(ports))
            return made, False, found.state is GuardState.NEW
        # Created.REF_TAKEN: another delivery's ticket has this reference; the next candidate.
        logger.warning("derived ticket reference taken; trying the next", extra={"ref": ref})
    raise RawMailMissing(f"no free ticket reference for delivery {delivery.ses_id}")


def _created_before(ref: str, delivery: InboundDelivery, reads: _TicketReads) -> Ticket:
    ticket = reads.get(ref)
    if ticket is None:  # Made by an earlier attempt and erased since: keep the mail anyway.
        raise RawMailMissing(f"ticket {ref} of delivery {delivery.ses_id} no longer exists")
    return ticket


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


class _RequesterTickets:
    """The requester's latest tickets, read once per delivery and only when asked for (a flood check
    of a new request, a language the mail leaves open)."""

    def __init__(self, email: str, ports: Ports) -> None:
        self._email = email
        self._store = ports.store
        self._read: list[Ticket] | None = None

    def recent(self) -> list[Ticket]:
        if self._read is None:
            self._read = self._store.tickets_of_requester(self._email, limit=10) if self._email else []
        return self._read


def _understand(
    message: ParsedMessage,
    delivery: InboundDelivery,
    settings: Settings,
    ports: Ports,
    requester_tickets: _RequesterTickets,
) -> Understanding:
    """Visible reply, language (with the requester's earlier tickets as a hint), triage, articles."""

    def history() -> list[str]:
        # Read only when the mail itself leaves the language open.
        return [t.language for t in requester_tickets.recent()]

    return understand(
        message,
        history_languages=history,
        default_language=settings.default_language,
        template_languages=available_languages(),
        rules=load_rules(settings.triage_rules_path),
        knowledge=_published_articles(ports),
    )


def _published_articles(ports: Ports) -> KnowledgeBase:
    """The help center's published articles (the catalogue, read at most every 30 s per
    container), which acknowledgements suggest. A snapshot that cannot be read costs the
    suggestions, never the mail."""
    try:
        return ports.catalogue.engine()
    except ConfigurationError:
        logger.exception("the published articles cannot be read; acknowledging without suggestions")
        ports.metrics.count("KnowledgeUnavailable")
        return KnowledgeBase(())


def _requester(message: ParsedMessage, delivery: InboundDelivery) -> Address:
    if message.sender is not None:
        return message.sender
    return Address("", delivery.envelope_sender.strip("<>").lower())


def _copied(message: ParsedMessage, requester: Address, settings: Settings) -> tuple[str, ...]:
    """Everyone else the mail went to, who answers go to as well (not us, not the requester)."""
    own = settings.own_addresses
    return tuple(
        dict.fromkeys(
            address.email
            for address in (*message.to, *message.cc)
            if address.email not in own
            and address.domain not in settings.own_domains
            and address.email != requester.email
        )
    )


def _new_ticket(
    ref: str,
    message: ParsedMessage,
    delivery: InboundDelivery,
    screening: Screening,
    understanding: Understanding,
    settings: Settings,
) -> Ticket:
    requester = _requester(message, delivery)
    cc = _copied(message, requester, settings)[:MAX_TICKET_CC]
    decision = understanding.triage
    mailbox = _mailbox_of(message, delivery, settings)
    queue, explanation = _queue_of(decision, mailbox)
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
        queue=queue,
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
        triage_explanation=explanation[:1000],
        fingerprint=text_fingerprint(message.subject, message.text),
        mailbox=mailbox.address,
        # The articles its acknowledgement will link, written with the ticket so that the ack's
        # own record never changes the ticket (an agent or integration acting on version 1 at once
        # must not meet a 409); their figures count what becomes of the ticket (tickets/stats.py).
        suggested_articles=_linked_slugs(understanding) if screening.may_acknowledge else (),
    )


def _linked_articles(understanding: Understanding) -> list[Article]:
    """The suggestions an acknowledgement links: those with a help-center page (a desk without a
    public address has no help center customers can reach, so it suggests nothing)."""
    return [suggestion.article for suggestion in understanding.suggestions if suggestion.article.url]


def _linked_slugs(understanding: Understanding) -> tuple[str, ...]:
    return tuple(dict.fromkeys(article.slug for article in _linked_articles(understanding)))


def _mailbox_of(message: ParsedMessage, delivery: InboundDelivery, settings: Settings) -> Mailbox:
    """The desk's address a new request came to: the first of ours among the receipt's recipients
    (the envelope: a Bcc to us is there), else among the mail's To and Cc, else the main one."""
    mailboxes = settings.mailboxes
    return (
        mailboxes.addressed(delivery.recipients)
        or mailboxes.addressed(address.email for address in (*message.to, *message.cc))
        or mailboxes.main
    )


def _queue_of(decision: Triage, mailbox: Mailbox) -> tuple[str, str]:
    """The new ticket's queue and why. An operator's rule that names a queue stands (it knows what
    the mail is about: an outage report to billing@ still goes to the incident queue); else the
    queue of the address the customer chose to write to; else triage's (the main address has none
    unless POSTDESK_MAILBOXES gives it one)."""
    if mailbox.queue is None:
        return decision.queue, decision.explanation
    came = f"came to {mailbox.address}"
    if decision.queue_by_rule and decision.queue != mailbox.queue:
        return (
            decision.queue,
            f"{decision.explanation}; {came} (queue {mailbox.queue}): the rule's queue stands",
        )
    if decision.queue == mailbox.queue:
        return mailbox.queue, f"{came}: queue {mailbox.queue}; {decision.explanation}"
    return (
        mailbox.queue,
        f"{came}: queue {mailbox.queue} (triage alone: {decision.queue}, {decision.explanation})",
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
        key=keys.thread_message_key(delivery.received_at, delivery.ses_id),
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
        attachments_not_extracted=message.not_extracted,
    )


# Events of one delivery share its receipt time; this order keeps them in the order they happen.
_EVENT_ORDER = {
    "ticket_created": 0,
    "mail_screened": 1,
    "cc_trimmed": 1,
    "attachments_not_extracted": 2,
    "quarantined": 2,
    "customer_replied": 3,
    "automatic_reply_recorded": 3,
    "bounce_recorded": 3,
    "quarantined_message_recorded": 3,
    "survey_reply_recorded": 3,
    "cc_offered": 3,
    "status_changed": 4,
    "reopened": 4,
    "duplicate_delivery": 3,
    "third_party_answered": 3,
    "repeat_folded": 3,
    "ack_suppressed": 8,
    "ack_unconfirmed": 9,
}


def _event(ref: str, delivery: InboundDelivery, kind: str, **detail: str) -> TicketEvent:
    """An event caused by this delivery; its id (hence its log key) is the same on every retry."""
    event_id = f"{delivery.ses_id}:{_EVENT_ORDER[kind]}:{kind}"
    return TicketEvent(ref=ref, at=delivery.received_at, kind=kind, event_id=event_id, detail=detail)


def _arrival_events(
    ref: str,
    delivery: InboundDelivery,
    screening: Screening,
    match: ThreadMatch,
    *,
    created: Ticket | None,
    stored: ThreadMessage,
) -> list[TicketEvent]:
    """The events of an arrival; ``created`` is the ticket it makes, if any (its event carries what
    the desk's figures count: category, language, queue); ``stored`` is the message it records."""
    events = []
    if stored.attachments_not_extracted:
        events.append(
            _event(
                ref,
                delivery,
                "attachments_not_extracted",
                count=str(stored.attachments_not_extracted),
                kept=str(len(stored.attachments)),
                message=f"{stored.attachments_not_extracted:,} attachments not extracted; "
                "the raw mail holds them",
                raw_key=stored.raw_key or "",
            )
        )
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
                mailbox=created.mailbox or "",
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
    index: dict[str, Direction],
    settings: Settings,
    ports: Ports,
    repeat: bool = False,
) -> Ticket:
    """Record the mail on ``ticket``, with the delivery's guard and the mail's Message-IDs; the
    ticket as the arrival left it. A ``repeat`` (triage/flood.py) is recorded as such, and changes
    neither the ticket's status nor its clocks."""
    visible = visible_reply(message.text, message.html).text_with_forward
    stored = _stored_message(ticket.ref, message, delivery, screening, raw_key, settings, ports, visible)
    rating = (
        None
        if screening.automatic or screening.quarantined or repeat
        else _survey_rating(ticket, message, visible, settings, ports)
    )
    first = _first_delivery_claim(message, delivery, GuardState.EXISTING, ticket.ref)
    # An agent may change the ticket between our read and our write: read again and redo the change.
    after = retry_on_conflict(
        lambda current: _write_arrival(
            current,
            stored,
            delivery,
            screening,
            match,
            rating is not None,
            index,
            first,
            settings,
            ports,
            repeat,
        ),
        ticket.ref,
        ports.store,
        ticket=ticket,
    )
    if rating is not None:
        cycle, answer = rating
        record_rating(ticket.ref, cycle, answer.rating, "", AnswerSource.MAIL, settings, ports)
    return after


def _reopened_by(
    delivery: InboundDelivery, before: Ticket, after: Ticket, *, retried: bool, ports: Ports
) -> bool:
    """Whether this delivery reopened the ticket: seen in the change, or, on a retry (the first
    attempt may have stopped right after writing the reopen), in the ticket's log."""
    if not after.is_open:
        return False
    if before.status in DONE_STATUSES:
        return True
    reopen_id = _event(after.ref, delivery, "reopened").event_id
    return retried and any(event.event_id == reopen_id for event in ports.store.events(after.ref))


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
    index: dict[str, Direction],
    first: GuardClaim | None,
    settings: Settings,
    ports: Ports,
    repeat: bool = False,
) -> Ticket:
    """Write the arrival over ``ticket``; the ticket after it (as it was, when a retry finds the
    message written already)."""
    events = _arrival_events(ticket.ref, delivery, screening, match, created=None, stored=stored)
    changes: dict[str, object] = {"updated_at": delivery.received_at}
    if repeat:
        events.append(
            _event(
                ticket.ref,
                delivery,
                "repeat_folded",
                reason=f"the same text as this ticket's first mail, from the same sender, within "
                f"{int(FLOOD_WINDOW.total_seconds() // 60)} minutes: not a new request",
            )
        )
    elif survey_rating:
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
        offered = _copies_offered(ticket, stored, delivery, settings)
        if offered is not None:
            changes["cc_offered"], offer_event = offered
            events.append(offer_event)
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
    if not (screening.automatic or screening.quarantined or repeat):
        event = ClockEvent.EDIT if survey_rating else ClockEvent.CUSTOMER_MESSAGE
        changes = with_clocks(ticket, changes, event, delivery.received_at, settings)
    update = TicketUpdate(ticket, changes)
    claim = GuardClaim(
        keys.delivery_guard(delivery.ses_id), GuardState.EXISTING, delivery.received_at, ticket.ref
    )
    # Mail recorded on a closed ticket (an out-of-office, say) goes when the ticket goes.
    appended = ports.store.append_message(stored, events, update, claim=claim, first=first, index=index)
    if not appended:
        return ticket
    logger.info("message added to ticket", extra={"ref": ticket.ref, "kind": stored.kind.value})
    after_change(ticket, update.after(), settings, ports, events)
    return update.after()


def _copies_offered(
    ticket: Ticket, stored: ThreadMessage, delivery: InboundDelivery, settings: Settings
) -> tuple[tuple[CcOffer, ...], TicketEvent] | None:
    """The ticket's offers with the addresses a customer's later mail copied that the ticket does
    not have (workflows/copies.py: offered to the agents, never added), and the event saying so."""
    new = offered_copies(
        ticket, stored.from_email, stored.from_name, (*stored.to, *stored.cc), delivery.received_at, settings
    )
    if not new:
        return None
    event = _event(
        ticket.ref, delivery, "cc_offered", by=stored.from_email, addresses=", ".join(o.address for o in new)
    )
    return (*ticket.cc_offered, *new), event


def _record_suppressed_ack(
    ticket: Ticket, delivery: InboundDelivery, reason_key: str, reason: str, ports: Ports
) -> None:
    if _record_ack_event(ticket, delivery, "ack_suppressed", reason=reason_key, detail=reason, ports=ports):
        ports.metrics.count("AcksSuppressed", {"reason": reason_key})
        logger.info("acknowledgement suppressed", extra={"ref": ticket.ref, "reason": reason_key})


def _record_ack_event(
    ticket: Ticket, delivery: InboundDelivery, kind: str, *, ports: Ports, **detail: str
) -> bool:
    return ports.store.record_event(_event(ticket.ref, delivery, kind, **detail))


def _from_mail(url: str) -> str:
    """An article's link in a mail, marked so the help center counts the visits mail brought."""
    return f"{url}{'&' if '?' in url else '?'}from=mail"


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
    now = ports.clock()
    domain = settings.support_domain
    language = understanding.reply_language
    rules = load_rules(settings.triage_rules_path)
    linked = _linked_articles(understanding)
    files = [attachment.filename for attachment in message.attachments if not attachment.inline]
    rendered = render_mail(
        "ack",
        language,
        {
            "customer_name": ticket.requester_name,
            "ref": ticket.ref,
            "subject": ticket.subject,
            "excerpt_lines": quoted_lines(understanding.request_text, ACK_EXCERPT_LINES),
            # The files the customer sent (not the images of their signature): they see they arrived.
            "attachment_names": files[:ACK_ATTACHMENT_NAMES],
            "more_attachments": max(0, len(files) - ACK_ATTACHMENT_NAMES),
            "support_name": desk_name(ticket, settings),
            "empathy": understanding.triage.sentiment.label in EMPATHY_SENTIMENTS,
            "articles": [{"title": article.title, "url": _from_mail(article.url)} for article in linked],
            "category_line": rules.acknowledgement_line(ticket.category, language) or "",
            "promise": promise_sentence(ticket, now, policy_of(settings), language),
        },
        fallback=settings.default_language,
    )
    outbound = thread_mail(
        ticket,
        rendered,
        settings=settings,
        key=key,
        sender_name=desk_name(ticket, settings),
        to=(Address(ticket.requester_name if recipient == ticket.requester_email else "", recipient),),
        subject=f"[#{ticket.ref}] {ticket.subject}",
        message_id=keys.ack_message_id(delivery.ses_id, domain),
        now=now,
        answering=message.message_id,
        earlier=(*message.references, *([message.message_id] if message.message_id else [])),
        auto_submitted="auto-replied",
    )
    once = OnceMail(
        guard=keys.ack_guard(delivery.ses_id),
        ref=ticket.ref,
        mail=outbound,
        kind=MessageKind.ACKNOWLEDGEMENT,
        thread_unique=f"ack-{delivery.ses_id}",
        metric="AcksSent",
        retry_failed_send=False,
        # AcksSuppressed counts it, with the reason.
        count_suppressed=False,
        # RFC 3834 §2: an automatic responder limits how often it writes to one address. Counted
        # for the return path and for the person (From): a sender whose every mail has a return
        # path of its own (VERP, SRS) is still one person.
        rate_limits=tuple(
            limit
            for address in dict.fromkeys(
                a.strip().lower() for a in (recipient, ticket.requester_email) if a.strip()
            )
            for limit in (
                RateLimit(
                    keys.ack_rate_hour(address, now),
                    settings.ack_limit_per_hour,
                    int((now + timedelta(hours=2)).timestamp()),
                ),
                RateLimit(
                    keys.ack_rate_day(address, now),
                    settings.ack_limit_per_day,
                    int((now + timedelta(days=2)).timestamp()),
                ),
            )
        ),
    )

    slugs = list(dict.fromkeys(article.slug for article in linked))

    def sent_event(sent: ThreadMessage | None, _: Ticket | None) -> Recording:
        event = TicketEvent(
            ref=ticket.ref,
            at=now,
            kind="ack_sent",
            event_id=f"{delivery.ses_id}:ack_sent",
            detail={
                "ses_message_id": sent.ses_id or "" if sent else "",
                "language": rendered.language,
                # The articles it suggested (slugs): their figures count what becomes of the ticket.
                **({"articles": ",".join(slugs)} if slugs else {}),
            },
        )
        return Recording([event])

    result = send_once(once, ports, sent_event)
    if result.outcome is SendOutcome.SENT:
        logger.info("acknowledgement sent", extra={"ref": ticket.ref, "language": rendered.language})
        return AckOutcome.SENT, None
    if result.outcome is SendOutcome.ALREADY_SENT:
        return AckOutcome.ALREADY_SENT, None
    if result.outcome is SendOutcome.UNCONFIRMED:
        _record_ack_event(
            ticket,
            delivery,
            "ack_unconfirmed",
            reason="an earlier attempt stopped after claiming the acknowledgement; not sent again",
            ports=ports,
        )
        logger.warning(
            "acknowledgement claimed by an earlier attempt; not sent again", extra={"ref": ticket.ref}
        )
        return AckOutcome.UNCONFIRMED, None
    if result.outcome is SendOutcome.SUPPRESSED and result.earlier is not None:
        return AckOutcome.SUPPRESSED, "rate_limit"
    # Decided for good: a retry finds the guard and sends nothing either.
    ports.guards.claim(once.guard, GuardState.SUPPRESSED, now, ref=ticket.ref)
    if result.outcome is SendOutcome.SUPPRESSED:
        reason_key, reason = "suppression_list", "the sender's address is on the suppression list"
    else:
        reason_key, reason = "rate_limit", "too many automatic mails to this sender"
    _record_suppressed_ack(ticket, delivery, reason_key, reason, ports)
    return AckOutcome.SUPPRESSED, reason_key


# -- a third party's answer to a forward (workflows/forward.py) ----------------------------------------


def _third_party_answer(
    message: ParsedMessage,
    delivery: InboundDelivery,
    known: Mapping[str, IndexEntry],
    screening: Screening,
    raw_key: str,
    key: bytes,
    reads: _TicketReads,
    settings: Settings,
    ports: Ports,
) -> IngestResult | None:
    """Record the mail as a third party's answer when it answers a forward of ours: on that ticket
    (or the one it was merged into), as an internal message; never acknowledged, never mailed to the
    customer, never offered as a Cc, never the customer's answer for the SLA. None for other mail."""
    answer = answer_to_forward(
        message, [*delivery.recipients, *(a.email for a in (*message.to, *message.cc))], known, settings, key
    )
    if answer is None:
        return None
    match = followed_merges(ThreadMatch(answer.ref, answer.matched_by), reads.get)
    ticket = reads.get(match.ref) if match.ref else None
    if ticket is None:
        # The ticket is gone (erased): the mail is whatever threading makes of it.
        return None
    visible = visible_reply(message.text, message.html).text_with_forward
    stored = replace(
        _stored_message(ticket.ref, message, delivery, screening, raw_key, settings, ports, visible),
        direction=Direction.INTERNAL,
        # Automatic or held mail keeps its kind (an out-of-office of the supplier is no answer).
        kind=MessageKind.THIRD_PARTY if (kind := _message_kind(screening)) is MessageKind.CUSTOMER else kind,
    )
    # Indexed as internal too: the third party's next mail, answering this one, comes back here.
    index = (
        {message.message_id: Direction.INTERNAL}
        if message.message_id and message.message_id not in known
        else {}
    )
    first = _first_delivery_claim(message, delivery, GuardState.EXISTING, ticket.ref)
    try:
        after = retry_on_conflict(
            lambda current: _write_third_party_answer(
                current, stored, delivery, screening, match, answer.forward, index, first, settings, ports
            ),
            ticket.ref,
            ports.store,
            ticket=ticket,
        )
    except DeliveredBefore as found:
        return _join_as_duplicate(found.first, message, delivery, screening, raw_key, ports)
    return IngestResult(after.ref, False, False, screening, match.matched_by, AckOutcome.THIRD_PARTY)


def _write_third_party_answer(
    ticket: Ticket,
    stored: ThreadMessage,
    delivery: InboundDelivery,
    screening: Screening,
    match: ThreadMatch,
    forward: str | None,
    index: dict[str, Direction],
    first: GuardClaim | None,
    settings: Settings,
    ports: Ports,
) -> Ticket:
    """Write the answer over ``ticket``. A ticket on hold (waiting on someone other than the
    customer) is open again, as an agent would move it: its clocks move as for an agent's edit, so no
    customer's wait starts. Any other status stays; the ticket as the arrival left it."""
    events = _arrival_events(ticket.ref, delivery, screening, match, created=None, stored=stored)
    changes: dict[str, object] = {"updated_at": delivery.received_at}
    if stored.kind is MessageKind.THIRD_PARTY:
        events.append(
            _event(
                ticket.ref,
                delivery,
                "third_party_answered",
                forward=forward or "",
                key=stored.key,
                **{"from": stored.from_email},
            )
        )
        if ticket.status is Status.ON_HOLD:
            changes.update(status_fields(Status.OPEN, ticket.cycle, delivery.received_at))
            events.append(
                _event(
                    ticket.ref,
                    delivery,
                    "status_changed",
                    **{"from": ticket.status.value, "to": Status.OPEN.value, "cycle": str(ticket.cycle)},
                )
            )
            changes = with_clocks(ticket, changes, ClockEvent.EDIT, delivery.received_at, settings)
    else:
        kind = "quarantined_message_recorded" if screening.quarantined else "automatic_reply_recorded"
        kind = "bounce_recorded" if screening.is_bounce else kind
        events.append(_event(ticket.ref, delivery, kind, reason=screening.reason))
    update = TicketUpdate(ticket, changes)
    claim = GuardClaim(
        keys.delivery_guard(delivery.ses_id), GuardState.EXISTING, delivery.received_at, ticket.ref
    )
    if not ports.store.append_message(stored, events, update, claim=claim, first=first, index=index):
        return ticket
    ports.metrics.count("ThirdPartyAnswers")
    logger.info("third party answer added to ticket", extra={"ref": ticket.ref, "kind": stored.kind.value})
    after_change(ticket, update.after(), settings, ports, events)
    return update.after()
