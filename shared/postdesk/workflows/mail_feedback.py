"""SES's word on the mail the desk sent: bounces, complaints and rejections, as the configuration
set publishes them to SNS (and as identity notifications, the older form, word them).

Each one lands on the ticket the mail belonged to (found by the SES message id the desk recorded
when it sent it) as an event agents see, and puts the address on the suppression list: at once for a
hard bounce or a complaint, after repeated soft bounces otherwise. A notification is acted on once,
however often SNS delivers it; one the desk cannot read is kept in the bucket and counted, never
dropped in silence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from postdesk.effects import keys
from postdesk.effects.guards import ClaimResult, GuardState
from postdesk.hygiene.suppressions import Reason
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.tickets.model import TicketEvent

UNREADABLE_PREFIX = "feedback/unreadable/"


class FeedbackKind(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    REJECT = "reject"
    OTHER = "other"
    UNREADABLE = "unreadable"


EVENT_KINDS = {
    FeedbackKind.BOUNCE: "mail_bounced",
    FeedbackKind.COMPLAINT: "mail_complained",
    FeedbackKind.REJECT: "mail_rejected",
}
METRICS = {
    FeedbackKind.BOUNCE: "MailBounces",
    FeedbackKind.COMPLAINT: "MailComplaints",
    FeedbackKind.REJECT: "MailRejects",
}


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    kind: FeedbackKind
    ref: str | None = None
    # Masked addresses (``***@example.com``): outcomes end up in logs.
    suppressed: tuple[str, ...] = ()
    recipients: int = 0
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Notification:
    kind: FeedbackKind
    ses_message_id: str
    feedback_id: str
    at: datetime
    recipients: tuple[str, ...]
    # "Permanent/General", "Transient/MailboxFull", "abuse", "Bad content": never an address.
    detail: str
    permanent: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _text(value: Any, limit: int = 200) -> str:
    return str(value)[:limit] if value is not None else ""


def parse_notification(message: Mapping[str, Any]) -> Notification | None:
    """The notification in SES's JSON; None when it is not one."""
    kind_word = str(message.get("eventType") or message.get("notificationType") or "")
    mail = message.get("mail")
    if not isinstance(mail, Mapping) or not isinstance(mail.get("messageId"), str):
        return None
    kinds = {
        "Bounce": FeedbackKind.BOUNCE,
        "Complaint": FeedbackKind.COMPLAINT,
        "Reject": FeedbackKind.REJECT,
    }
    kind = kinds.get(kind_word, FeedbackKind.OTHER)
    body = message.get(kind_word.lower()) if kind_word else None
    body = body if isinstance(body, Mapping) else {}
    stamp = _text(body.get("timestamp") or mail.get("timestamp"))
    try:
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    recipients: tuple[str, ...] = ()
    detail, permanent = "", False
    if kind is FeedbackKind.BOUNCE:
        listed = body.get("bouncedRecipients") or []
        recipients = tuple(_text(r.get("emailAddress")) for r in listed if isinstance(r, Mapping))
        bounce_type = _text(body.get("bounceType"), 40)
        detail = f"{bounce_type}/{_text(body.get('bounceSubType'), 60)}"
        permanent = bounce_type == "Permanent"
    elif kind is FeedbackKind.COMPLAINT:
        listed = body.get("complainedRecipients") or []
        recipients = tuple(_text(r.get("emailAddress")) for r in listed if isinstance(r, Mapping))
        detail = _text(body.get("complaintFeedbackType") or "complaint", 60)
    elif kind is FeedbackKind.REJECT:
        detail = _text(body.get("reason") or "rejected", 100)
    # SES gives every bounce and complaint a feedback id; a reject has none, the mail's id stands in.
    feedback_id = _text(body.get("feedbackId") or f"{kind.value}:{mail['messageId']}", 200)
    return Notification(
        kind=kind,
        ses_message_id=str(mail["messageId"]),
        feedback_id=feedback_id,
        at=at,
        recipients=tuple(r for r in recipients if "@" in r),
        detail=detail,
        permanent=permanent,
    )


def _keep_unreadable(raw: str, ports: Ports) -> str:
    key = UNREADABLE_PREFIX + hashlib.sha256(raw.encode("utf-8")).hexdigest() + ".json"
    ports.blobs.put(key, raw.encode("utf-8"), "application/json")
    return key


def handle_sns_message(raw: str, ports: Ports) -> FeedbackOutcome:
    """One SNS message of the feedback topic."""
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    notification = parse_notification(message) if isinstance(message, Mapping) else None
    if notification is None:
        key = _keep_unreadable(raw, ports)
        logger.warning("unreadable SES notification kept", extra={"key": key})
        ports.metrics.count("MailFeedbackUnreadable")
        return FeedbackOutcome(FeedbackKind.UNREADABLE)
    return handle_notification(notification, ports)


def handle_notification(notification: Notification, ports: Ports) -> FeedbackOutcome:
    if notification.kind is FeedbackKind.OTHER:
        return FeedbackOutcome(FeedbackKind.OTHER)
    header = ports.mailer.ses_message_id_header(notification.ses_message_id)
    entry = ports.store.message_index_entries([header]).get(header)
    ref = entry.ref if entry is not None else None
    now = ports.clock()
    recipients = notification.recipients or ("",)
    suppressed: list[str] = []
    duplicate = False
    for recipient in recipients:
        hashed = keys.recipient_tag(recipient) if recipient else "none"
        guard = keys.mail_feedback_guard(notification.feedback_id, recipient)
        claim = ports.guards.claim(
            guard, GuardState.DONE, now, ref=ref or "-", owner=ref or keys.recipient_tag(recipient or "")
        )
        if claim.result is not ClaimResult.CLAIMED:
            duplicate = True
            continue
        now_suppressed = False
        if recipient and notification.kind is FeedbackKind.COMPLAINT:
            now_suppressed = ports.suppressions.suppress(
                recipient, Reason.COMPLAINT, notification.at, notification.detail
            )
        elif recipient and notification.kind is FeedbackKind.BOUNCE and notification.permanent:
            now_suppressed = ports.suppressions.suppress(
                recipient, Reason.HARD_BOUNCE, notification.at, notification.detail
            )
        elif recipient and notification.kind is FeedbackKind.BOUNCE:
            now_suppressed = ports.suppressions.soft_bounce(recipient, notification.at, notification.detail)
        if now_suppressed:
            suppressed.append(mask_address(recipient))
            ports.metrics.count("AddressesSuppressed", {"reason": notification.kind.value})
        bounce_type = {"type": "hard" if notification.permanent else "soft"}
        dimensions = bounce_type if notification.kind is FeedbackKind.BOUNCE else None
        ports.metrics.count(METRICS[notification.kind], dimensions)
        if ref is not None:
            ports.store.record_event(
                TicketEvent(
                    ref=ref,
                    at=notification.at,
                    kind=EVENT_KINDS[notification.kind],
                    event_id=f"{notification.feedback_id}:{hashed}",
                    detail={
                        "recipient": recipient,
                        "detail": notification.detail,
                        "ses_message_id": notification.ses_message_id,
                        "suppressed": "yes"
                        if now_suppressed or ports.suppressions.check([recipient])
                        else "no",
                    },
                ),
                # The mail's ticket is closed: the event goes when the ticket goes.
                expires_at=entry.expires_at if entry is not None else None,
            )
    logger.info(
        "SES feedback",
        extra={
            "kind": notification.kind.value,
            "ref": ref,
            "detail": notification.detail,
            "recipients": len(notification.recipients),
            "suppressed": suppressed,
            "duplicate": duplicate,
        },
    )
    if ref is None:
        logger.warning("SES feedback for a mail no ticket knows", extra={"kind": notification.kind.value})
    return FeedbackOutcome(notification.kind, ref, tuple(suppressed), len(notification.recipients), duplicate)
