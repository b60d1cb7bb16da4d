"""Lambda entry points: event in, typed input, one workflow call, typed output. functions/app.py
registers these; settings and adapters are built at the first invocation, never at import."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import cache, wraps
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SESEvent

from postdesk.agents.store import AgentStore
from postdesk.api.context import ApiContext
from postdesk.aws.s3 import S3BlobStore
from postdesk.aws.scheduler import EventBridgeScheduler
from postdesk.aws.secrets import SecretsManagerKey
from postdesk.aws.ses import SesMailer
from postdesk.clock import Clock, shifted_clock, utc_now
from postdesk.hygiene.suppressions import SuppressionList
from postdesk.observability import PowertoolsMetrics, logger, masked_exception, metrics
from postdesk.settings import Settings
from postdesk.tickets.refs import normalize_ref
from postdesk.tickets.store import TicketStore
from postdesk.triage.screening import ReceiptVerdicts
from postdesk.workflows.ingest import InboundDelivery, ingest
from postdesk.workflows.mail_feedback import handle_sns_message
from postdesk.workflows.ports import MetricsRecorder, Ports
from postdesk.workflows.sla import fire_timer, policy_of, timer_request
from postdesk.workflows.survey import SurveyRequest, send_survey


def aws_ports(settings: Settings, metrics: MetricsRecorder, clock: Clock = utc_now) -> Ports:
    """The workflows' ports on the AWS services of ``settings`` (or the moto standing in for them)."""
    return Ports(
        # The store's "now" decides which closed tickets have expired: the workflows' own clock.
        store=TicketStore(settings.tables, settings.region, policy_of(settings).calendar.timezone, clock),
        blobs=S3BlobStore(settings.mail_bucket, settings.region),
        mailer=SesMailer(settings.region, settings.ses_configuration_set),
        signing_key=SecretsManagerKey(settings.signing_secret_id, settings.region),
        metrics=metrics,
        scheduler=EventBridgeScheduler(settings.region, settings.scheduling.group),
        suppressions=SuppressionList(settings.tables.suppressions, settings.region),
        clock=clock,
    )


@cache
def _runtime() -> tuple[Settings, Ports]:
    settings = Settings.from_environment()
    clock = shifted_clock(settings.clock_offset_file) if settings.clock_offset_file else utc_now
    return settings, aws_ports(settings, PowertoolsMetrics(), clock)


@cache
def api_context() -> ApiContext:
    """What the HTTP routes work with, built on the first request of the container."""
    settings, ports = _runtime()
    return ApiContext(
        settings=settings,
        ports=ports,
        agents=AgentStore(settings.tables.agents, settings.region),
        blobs=S3BlobStore(settings.mail_bucket, settings.region),
    )


def reset_runtime() -> None:
    """Forget settings and adapters (tests change the environment between cases)."""
    _runtime.cache_clear()
    api_context.cache_clear()


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


def deliveries_from_ses_event(event: dict[str, Any]) -> list[InboundDelivery]:
    """The SES receipt event of a Lambda action (one record per mail), typed."""
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


@metrics.log_metrics
@masked_failures
def ingest_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings, ports = _runtime()
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


def survey_request_from_event(event: dict[str, Any]) -> SurveyRequest | None:
    """The reference and cycle a fired survey schedule carries; None for anything else."""
    ref = event.get("ref") if isinstance(event, dict) else None
    cycle = event.get("cycle") if isinstance(event, dict) else None
    if not isinstance(ref, str) or normalize_ref(ref) != ref or not isinstance(cycle, int) or cycle < 1:
        return None
    return SurveyRequest(ref=ref, cycle=cycle)


@metrics.log_metrics
@masked_failures
def survey_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedule fired: send the survey if it is still due. A
    malformed event is logged and dropped (a retry could not make it valid)."""
    settings, ports = _runtime()
    request = survey_request_from_event(event)
    if request is None:
        logger.error("survey event without a valid ref and cycle", extra={"keys": sorted(event)[:10]})
        return {"outcome": "malformed"}
    logger.set_correlation_id(f"survey-{request.ref}-{request.cycle}")
    return {"outcome": send_survey(request, settings, ports).value}


@metrics.log_metrics
@masked_failures
def feedback_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SNS delivered SES's bounce, complaint or reject notifications of the desk's mail."""
    _, ports = _runtime()
    records = event.get("Records") if isinstance(event, dict) else None
    outcomes = []
    for record in records if isinstance(records, list) else []:
        message = record.get("Sns", {}).get("Message") if isinstance(record, dict) else None
        outcome = handle_sns_message(message if isinstance(message, str) else json.dumps(record), ports)
        outcomes.append(
            {"kind": outcome.kind.value, "ref": outcome.ref, "suppressed": list(outcome.suppressed)}
        )
    return {"outcomes": outcomes}


@metrics.log_metrics
@masked_failures
def sla_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's SLA timer fired: warn or record the breach if it is still due. A
    malformed event is logged and dropped (a retry could not make it valid)."""
    settings, ports = _runtime()
    request = timer_request(event)
    if request is None:
        logger.error(
            "SLA event without a valid timer",
            extra={"keys": sorted(event)[:10] if isinstance(event, dict) else []},
        )
        return {"outcome": "malformed"}
    logger.set_correlation_id(f"sla-{request.ref}")
    own_arn = getattr(context, "invoked_function_arn", None)
    if not settings.scheduling.sla_function_arn and isinstance(own_arn, str):
        # The stack cannot tell this function its own ARN (a reference to itself): the next timer
        # targets the function that runs now.
        settings = replace(settings, scheduling=replace(settings.scheduling, sla_function_arn=own_arn))
    return {"outcome": fire_timer(request, settings, ports).value}
