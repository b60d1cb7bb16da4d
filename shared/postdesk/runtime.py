"""What a Lambda container works with: the settings, read from the environment at the first
invocation, and the ports on the AWS services they name. Built once per container, never at import
(``chalice package`` imports the app, and a cold start should import as little as it can)."""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING

from postdesk.clock import Clock, utc_now
from postdesk.settings import Settings

if TYPE_CHECKING:
    from postdesk.api.context import ApiContext
    from postdesk.auth.sign_in import SignInDesk
    from postdesk.ports import MetricsRecorder, Ports
    from postdesk.search.index import SearchIndex
    from postdesk.workflows.webhooks import WebhookDesk

_clock: list[Clock] = [utc_now]


def use_clock(clock: Clock | None) -> None:
    """Run the workflows on ``clock`` (None: the real one). The local stack moves its desk's time
    with ``postdesk local advance``; tests move theirs. Takes effect for ports built after it."""
    _clock[0] = clock or utc_now
    reset_runtime()


def aws_ports(settings: Settings, metrics: MetricsRecorder, clock: Clock | None = None) -> Ports:
    """The workflows' ports on the AWS services of ``settings`` (or the moto standing in for them)."""
    from postdesk.agents.rotation import Rotation
    from postdesk.agents.store import AgentStore
    from postdesk.aws.s3 import S3BlobStore
    from postdesk.aws.scheduler import EventBridgeScheduler
    from postdesk.aws.secrets import SecretsManagerKey
    from postdesk.aws.ses import SesMailer
    from postdesk.effects.guards import Guards
    from postdesk.hygiene.suppressions import SuppressionList
    from postdesk.knowledge.catalogue import PublishedCatalogue
    from postdesk.knowledge.store import KnowledgeStore
    from postdesk.ports import Ports
    from postdesk.sla.policy import load_policy
    from postdesk.tickets.store import TicketStore

    clock = clock or _clock[0]
    return Ports(
        # The store's "now" decides which closed tickets have expired: the workflows' own clock.
        store=TicketStore(
            settings.tables, settings.region, load_policy(settings.sla_policy_path).calendar.timezone, clock
        ),
        blobs=S3BlobStore(settings.mail_bucket, settings.region),
        mailer=SesMailer(settings.region, settings.ses_configuration_set),
        signing_key=SecretsManagerKey(settings.signing_secret_id, settings.region),
        metrics=metrics,
        scheduler=EventBridgeScheduler(settings.region, settings.scheduling.group),
        suppressions=SuppressionList(settings.tables.suppressions, settings.region),
        guards=Guards(settings.tables.guards, settings.tables.counters, settings.region),
        # Its clock decides when an API token has expired.
        agents=AgentStore(settings.tables.agents, settings.region, clock),
        rotation=Rotation(settings.tables.agents, settings.region),
        # Neither talks to AWS before its first use.
        knowledge=KnowledgeStore(settings.tables.knowledge, settings.mail_bucket, settings.region),
        catalogue=PublishedCatalogue(settings.mail_bucket, settings.region, settings.survey.public_url),
        clock=clock,
    )


@cache
def runtime() -> tuple[Settings, Ports]:
    """This container's settings and ports, made at its first invocation."""
    from postdesk.observability import PowertoolsMetrics

    settings = Settings.from_environment()
    return settings, aws_ports(settings, PowertoolsMetrics())


@cache
def api_context() -> ApiContext:
    """What the HTTP routes work with, built on the first request of the container."""
    from postdesk.agents.store import AgentStore
    from postdesk.api.context import ApiContext
    from postdesk.aws.s3 import S3BlobStore

    settings, ports = runtime()
    return ApiContext(
        settings=settings,
        ports=ports,
        agents=AgentStore(settings.tables.agents, settings.region, ports.clock),
        blobs=S3BlobStore(settings.mail_bucket, settings.region),
    )


@cache
def sign_in_desk() -> SignInDesk:
    """What people's sign-in works with (auth/sign_in.py), built on the container's first request
    that carries a session or signs in: the user pool's keys are read once per container."""
    from postdesk.auth.accounts import CognitoAccounts
    from postdesk.auth.audit import AccessAudit
    from postdesk.auth.cognito_signin import CognitoSignIn
    from postdesk.auth.sessions import SessionStore
    from postdesk.auth.sign_in import SignInDesk
    from postdesk.auth.throttle import FailedSignIns, TableFailureCounts
    from postdesk.auth.token_check import PoolKeys, TokenCheck

    context = api_context()
    sign_in = context.settings.sign_in
    return SignInDesk(
        settings=context.settings,
        ports=context.ports,
        cognito=CognitoSignIn(sign_in.client_id, sign_in.region),
        accounts=CognitoAccounts(sign_in.user_pool_id, sign_in.region),
        tokens=TokenCheck(sign_in.issuer, sign_in.client_id, PoolKeys(sign_in.keys_url)),
        sessions=SessionStore(sign_in.sessions_table, sign_in.region),
        failures=FailedSignIns(TableFailureCounts(sign_in.sessions_table, sign_in.region)),
        audit=AccessAudit(sign_in.access_audit_table, sign_in.region),
    )


@cache
def search_index(role: str) -> SearchIndex:
    """The search index of this container, its segments kept under the temporary directory (a
    Lambda's /tmp survives between invocations of a warm container). The writer and the readers of
    one process keep separate copies: a reader forgets the segments it no longer needs."""
    import tempfile
    from pathlib import Path

    from postdesk.search.index import SearchIndex

    settings, _ = runtime()
    cache_dir = Path(tempfile.mkdtemp(prefix=f"postdesk-search-{role}-"))
    return SearchIndex(settings.mail_bucket, settings.region, cache_dir)


@cache
def webhook_desk() -> WebhookDesk:
    """The webhooks' table, rules and delivery queue of this container (docs/events.md)."""
    from postdesk.aws.eventbridge import WebhookRules
    from postdesk.aws.sqs import DeliveryQueue
    from postdesk.webhooks.store import WebhookStore
    from postdesk.workflows.webhooks import WebhookDesk, require_configured, tell_admins

    settings, ports = runtime()
    events = settings.events
    require_configured(events)
    return WebhookDesk(
        settings=events,
        store=WebhookStore(events.webhooks_table, settings.region),
        rules=WebhookRules(events.bus_name, settings.region, events.rule_prefix, events.delivery_queue_arn),
        queue=DeliveryQueue(events.delivery_queue_url, settings.region),
        signing_key=ports.signing_key,
        clock=ports.clock,
        # A delivery that failed after every try is mailed to the admins (at most daily per webhook).
        tell_admins=partial(tell_admins, settings=settings, ports=ports),
    )


def reset_runtime() -> None:
    """Forget settings and adapters (tests change the environment between cases)."""
    runtime.cache_clear()
    webhook_desk.cache_clear()
    api_context.cache_clear()
    sign_in_desk.cache_clear()
    search_index.cache_clear()
