"""The event-driven Lambda functions: event in, typed input, one workflow call, typed output.
functions/app.py registers them. Each imports its workflow on its first call, so a function never
loads another's code; settings and adapters are made at the first invocation (postdesk/runtime.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal

from postdesk.observability import logger, masked_exception
from postdesk.runtime import runtime

if TYPE_CHECKING:
    from postdesk.settings import Settings
    from postdesk.workflows.ingest import InboundDelivery

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def masked_failures(handler: Handler) -> Handler:
    """An error leaving ``handler`` leaves with the addresses in its message masked: the Lambda
    runtime prints it (and hands it to retries and dead-letter queues) without the desk's formatter.
    The error itself, its type and its traceback stay, so retries work as before."""

    @wraps(handler)
    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return handler(event, context)
        except Exception as error:
            masked_exception(error)
            raise

    return run


def _dropped(problem: str, event: Any) -> dict[str, Any]:
    """A scheduled event the function cannot read is logged (its keys, never its values) and
    dropped: a retry could not make it valid."""
    logger.error(problem, extra={"keys": sorted(event)[:10] if isinstance(event, dict) else []})
    return {"outcome": "malformed"}


def _targeting_itself(
    settings: Settings, context: Any, target: Literal["sla_function_arn", "automations_function_arn"]
) -> Settings:
    """``settings`` with the schedules' ``target`` set to the ARN of the function that runs now when
    the stack left it empty: the stack cannot tell a function its own ARN (a reference to itself)."""
    own_arn = getattr(context, "invoked_function_arn", None)
    if getattr(settings.scheduling, target) or not isinstance(own_arn, str):
        return settings
    return replace(settings, scheduling=replace(settings.scheduling, **{target: own_arn}))


def deliveries_from_ses_event(event: dict[str, Any]) -> list[InboundDelivery]:
    """The SES receipt event of a Lambda action (one record per mail), typed."""
    from aws_lambda_powertools.utilities.data_classes import SESEvent

    from postdesk.triage.screening import ReceiptVerdicts
    from postdesk.workflows.ingest import InboundDelivery

    deliveries = []
    for record in SESEvent(event).records:
        mail = record.ses.mail
        receipt = record.ses.receipt
        raw_receipt = record.raw_event["ses"]["receipt"]
        deliveries.append(
            InboundDelivery(
                ses_id=mail.message_id,
                received_at=datetime.fromisoformat(mail.timestamp.replace("Z", "+00:00")),
                envelope_sender=mail.source,
                recipients=tuple(receipt.recipients),
                verdicts=ReceiptVerdicts(
                    spam=receipt.spam_verdict.status,
                    virus=receipt.virus_verdict.status,
                    spf=receipt.spf_verdict.status,
                    dkim=receipt.dkim_verdict.status,
                    dmarc=receipt.dmarc_verdict.status,
                    dmarc_policy=raw_receipt.get("dmarcPolicy"),
                ),
                headers_truncated=bool(record.raw_event["ses"]["mail"].get("headersTruncated", False)),
            )
        )
    return deliveries


@masked_failures
def ingest_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SES receipt rule, Lambda action: each mail of the event becomes ticket state."""
    from postdesk.workflows.ingest import ingest

    settings, ports = runtime()
    results = []
    for delivery in deliveries_from_ses_event(event):
        logger.set_correlation_id(delivery.ses_id)
        result = ingest(delivery, settings, ports)
        results.append(
            {
                "ref": result.ref,
                "created": result.created,
                "new_ticket": result.new_ticket,
                "verdict": result.screening.verdict.value,
                "matched_by": result.matched_by.value if result.matched_by else None,
                "ack": result.ack.value,
                "ack_reason": result.ack_reason,
            }
        )
    return {"results": results}


@masked_failures
def survey_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedule fired: send the survey if it is still due. A
    malformed event is logged and dropped (a retry could not make it valid)."""
    from postdesk.workflows.survey import send_survey, survey_request

    settings, ports = runtime()
    request = survey_request(event)
    if request is None:
        return _dropped("survey event without a valid ref and cycle", event)
    logger.set_correlation_id(f"survey-{request.ref}-{request.cycle}")
    return {"outcome": send_survey(request, settings, ports).value}


@masked_failures
def mail_feedback_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SNS delivered SES's bounce, complaint or reject notifications of the desk's mail."""
    from postdesk.workflows.mail_feedback import handle_sns_message

    _, ports = runtime()
    records = event.get("Records") if isinstance(event, dict) else None
    outcomes = []
    for record in records if isinstance(records, list) else []:
        message = record.get("Sns", {}).get("Message") if isinstance(record, dict) else None
        outcome = handle_sns_message(message if isinstance(message, str) else json.dumps(record), ports)
        outcomes.append(
            {"kind": outcome.kind.value, "ref": outcome.ref, "suppressed": list(outcome.suppressed)}
        )
    return {"outcomes": outcomes}


@masked_failures
def sla_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's SLA timer fired: warn or record the breach if it is still due; or an
    agent's notification window ended: mail what waits. A malformed event is logged and dropped (a
    retry could not make it valid)."""
    from postdesk.workflows.notify import notification_request, send_notifications
    from postdesk.workflows.sla import fire_timer, timer_request

    settings, ports = runtime()
    settings = _targeting_itself(settings, context, "sla_function_arn")
    # The desk's timer function also sends the mail of an agent's notifications when its window ends.
    notification = notification_request(event)
    if notification is not None:
        logger.set_correlation_id("notify")
        return {"outcome": send_notifications(notification, settings, ports).value}
    request = timer_request(event)
    if request is None:
        return _dropped("SLA event without a valid timer", event)
    logger.set_correlation_id(f"sla-{request.ref}")
    return {"outcome": fire_timer(request, settings, ports).value}


@masked_failures
def automations_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedule of something the desk does by itself (a reminder,
    an auto-resolve, a close, the end of a snooze: workflows/automations.py). A malformed event is
    logged and dropped (a retry could not make it valid)."""
    from postdesk.workflows.automations import automation_request, run_automation

    settings, ports = runtime()
    request = automation_request(event)
    if request is None:
        return _dropped("automation event without a known purpose, a valid ref and a due time", event)
    logger.set_correlation_id(f"auto-{request.purpose}-{request.ref}")
    settings = _targeting_itself(settings, context, "automations_function_arn")
    return {"purpose": request.purpose, "outcome": run_automation(request, settings, ports)}


@masked_failures
def search_index_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB Streams of the tickets and their logs: the tickets of the batch are written to the
    search index as they are now. A failure fails the batch (the event source mapping retries it)."""
    from postdesk.runtime import search_index
    from postdesk.workflows.indexing import index_tickets, refs_of_changes

    _, ports = runtime()
    refs = refs_of_changes(event.get("Records") or [])
    if not refs:
        return {"indexed": 0, "removed": 0}
    run = index_tickets(ports.store, search_index("writer"), refs)
    logger.info("search index updated", extra={"indexed": run.indexed, "removed": run.removed})
    return {"indexed": run.indexed, "removed": run.removed, "generation": run.generation}


@masked_failures
def events_out_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB Stream of the ticket log: each new entry is published to the stack's event bus as a
    public event (docs/events.md). A failure fails the batch (the event source mapping retries it)."""
    from postdesk.aws.eventbridge import EventBus
    from postdesk.workflows.events_out import publish_changes

    settings, ports = runtime()
    if not settings.events.bus_name:
        return {"published": 0}
    bus = EventBus(settings.events.bus_name, settings.region)
    published = publish_changes(event.get("Records") or [], ports.store, bus, settings.survey.public_url)
    if published:
        logger.info("ticket events published", extra={"published": published})
    return {"published": published}


@masked_failures
def webhook_sender_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS, the webhooks' delivery queue (ReportBatchItemFailures): each message is signed and POSTed
    to its webhook; those that failed are named, and SQS hands them on after their back-off."""
    from postdesk.runtime import webhook_desk
    from postdesk.webhooks.http import post
    from postdesk.workflows.webhooks import send_batch

    failed = send_batch(webhook_desk(), event.get("Records") or [], post)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
