"""One typed settings object, read from the environment at handler entry (never at import)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from postdesk.errors import ConfigurationError
from postdesk.mailboxes import Mailbox, Mailboxes, desk_mailboxes, parse_mailboxes


@dataclass(frozen=True, slots=True)
class TableNames:
    """Physical DynamoDB table names (CloudFormation generates them; the stack passes them in)."""

    tickets: str
    ticket_log: str
    message_index: str
    counters: str
    guards: str
    agents: str
    saved_replies: str
    stats: str
    # Addresses no mail may go to (bounced, complained), by the SHA-256 of the address.
    suppressions: str
    # Erasures and exports: what was done, when, by whom; never whose.
    audit: str
    # The knowledge base's articles, translations and versions (docs/knowledge.md); "" in a
    # function that has no use for them.
    knowledge: str = ""


@dataclass(frozen=True, slots=True)
class SchedulingSettings:
    """EventBridge Scheduler: the group of the desk's one-time schedules, the role Scheduler invokes
    their targets with, the queue where invocations that failed every retry land, and the targets."""

    group: str = "default"
    role_arn: str = ""
    dead_letter_arn: str = ""
    survey_function_arn: str = ""
    sla_function_arn: str = ""
    # Reminds, resolves, closes and wakes tickets as time passes (workflows/automations.py).
    automations_function_arn: str = ""


@dataclass(frozen=True, slots=True)
class SurveySettings:
    """The follow-up survey: when it goes out, where its links point, who hears of bad answers."""

    # The API's public base URL (survey links in mail point there); surveys need it.
    public_url: str = ""
    delay_hours: float = 24.0
    # Queues whose survey waits another time, in hours.
    delay_hours_by_queue: Mapping[str, float] = field(default_factory=dict)
    # How long a survey link stays valid after the survey went out.
    link_days: int = 30
    # Who hears of bad survey answers (and SLA warnings): the team's address, or per queue.
    team_address: str = ""
    team_address_by_queue: Mapping[str, str] = field(default_factory=dict)

    def delay_for(self, queue: str) -> float:
        return self.delay_hours_by_queue.get(queue, self.delay_hours)

    def team_address_for(self, queue: str) -> str:
        return self.team_address_by_queue.get(queue, self.team_address)


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """How long personal data is kept: DynamoDB's TTL and the bucket's lifecycle rules enforce it
    (infra/template.json); reads filter what TTL has not removed yet (it is lazy)."""

    closed_ticket_days: int = 730
    raw_mail_days: int = 400
    attachment_days: int = 400


@dataclass(frozen=True, slots=True)
class AttachmentSettings:
    """Files agents send (postdesk/attachments/): how large, how many, and how long an upload link
    and an unused upload last. SES takes messages up to 40 MB, base64 and all: files grow by a
    third when encoded, so the per-mail total stays at most :data:`MAX_MAIL_BYTES`."""

    max_file_bytes: int = 10 * 1000 * 1000
    max_mail_bytes: int = 20 * 1000 * 1000
    max_files: int = 10
    # How long the browser has to start its upload with a presigned POST.
    upload_link_seconds: int = 600
    # Where the browser's uploads land, one folder per agent; a lifecycle rule
    # (infra/template.json) removes what a mail never used after a day.
    uploads_prefix: str = "uploads/"


@dataclass(frozen=True, slots=True)
class EventsSettings:
    """Events out (docs/events.md): the stack's event bus every ticket change is published to, and
    the webhooks admins subscribe to it (their table, the queue their deliveries wait in, how many
    tries a delivery gets before its dead-letter queue). Empty names: the desk publishes nothing."""

    bus_name: str = ""
    webhooks_table: str = ""
    delivery_queue_url: str = ""
    delivery_queue_arn: str = ""
    # SQS's maxReceiveCount of the delivery queue (infra/template.json says the same number).
    delivery_attempts: int = 8
    # The first retry of a failed delivery waits this long, each next one twice as long.
    retry_seconds: int = 30
    # Names of the EventBridge rules of the webhooks start with this (the queue's policy trusts them).
    rule_prefix: str = "postdesk-webhook"
    # Only the local stack and the tests set it: endpoints on 127.0.0.1 over plain http are allowed.
    allow_local_endpoints: bool = False


@dataclass(frozen=True, slots=True)
class SignInSettings:
    """How people sign in (docs/sign-in.md): the stack's Cognito user pool and its app client, where
    the pool's public keys are read, the tables of sessions and of the access audit, how long a
    session may last, and single sign-on when the stack federates an identity provider. Empty pool:
    the desk has no sign-in for people (API tokens only)."""

    user_pool_id: str = ""
    client_id: str = ""
    # The pool's JWKS; empty: Cognito's own address for the pool (the local stack names moto's).
    jwks_url: str = ""
    sessions_table: str = ""
    access_audit_table: str = ""
    # The refresh token's validity (the stack's SessionDays): a session's longest life.
    session_days: int = 14
    # The federated identity provider's name in the pool and the hosted UI's base URL ("" = none).
    sso_provider: str = ""
    sso_domain: str = ""
    region: str = "us-east-1"

    @property
    def issuer(self) -> str:
        """The ``iss`` of the pool's tokens (moto issues the same)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def keys_url(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"


# 28 MB of files are about 38.3 MB in base64 lines of 76 characters: the text, the HTML and the headers
# fit in what is left of SES's 40 MB.
MAX_MAIL_BYTES = 28 * 1000 * 1000


@dataclass(frozen=True, slots=True)
class Settings:
    region: str
    tables: TableNames
    mail_bucket: str
    support_address: str
    signing_secret_id: str
    # Every mail goes through this SES configuration set (bounce and complaint events); None: none.
    ses_configuration_set: str | None = None
    raw_mail_prefix: str = "inbound/"
    attachments_prefix: str = "attachments/"
    bodies_prefix: str = "bodies/"
    support_name: str = "Support"
    default_language: str = "en"
    # RFC 3834 §2 asks automatic responders to limit how often they write to one address.
    ack_limit_per_hour: int = 5
    ack_limit_per_day: int = 20
    # Texts longer than this go to S3 with a pointer; DynamoDB items stop at 400 KB in all.
    inline_body_limit: int = 32 * 1024
    extra_own_addresses: tuple[str, ...] = field(default=())
    # The desk's addresses as POSTDESK_MAILBOXES names them, each with its queue and brand
    # (mailboxes.py); an entry for the support address gives the main mailbox its queue or brand.
    other_mailboxes: tuple[Mailbox, ...] = ()
    # The operator's triage rules file; None means the shipped default (postdesk/triage/rules.toml).
    triage_rules_path: str | None = None
    survey: SurveySettings = field(default_factory=SurveySettings)
    scheduling: SchedulingSettings = field(default_factory=SchedulingSettings)
    # The operator's SLA policy file; None means the shipped default (postdesk/sla/policy.toml).
    sla_policy_path: str | None = None
    # The operator's sign-off file (closings, legal footers); None means the shipped default
    # (postdesk/replies/sign_off.toml).
    sign_off_path: str | None = None
    retention: RetentionSettings = field(default_factory=lambda: RetentionSettings())
    attachments: AttachmentSettings = field(default_factory=AttachmentSettings)
    # Agents' notifications: at most one mail per agent in this many minutes (the rest waits for it).
    notification_window_minutes: int = 5
    events: EventsSettings = field(default_factory=EventsSettings)
    sign_in: SignInSettings = field(default_factory=SignInSettings)

    @property
    def support_domain(self) -> str:
        return self.support_address.rpartition("@")[2].lower()

    @property
    def mailboxes(self) -> Mailboxes:
        """Every address the desk receives for, the support address first."""
        return desk_mailboxes(self.support_address, self.support_name, self.other_mailboxes)

    @property
    def own_domains(self) -> frozenset[str]:
        """The domains of every mailbox: mail between their addresses is ours, not a customer's."""
        return self.mailboxes.domains

    @property
    def own_addresses(self) -> frozenset[str]:
        mailboxes = self.mailboxes
        return frozenset(
            {mailbox.address for mailbox in mailboxes.all}
            | {
                f"{local}@{domain}"
                for domain in mailboxes.domains
                for local in ("mailer-daemon", "postmaster")
            }
            | {address.lower() for address in self.extra_own_addresses}
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings; a missing value raises ConfigurationError naming it."""
        env = os.environ if environ is None else environ

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigurationError(f"environment variable {name} is not set")
            return value

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError as error:
                raise ConfigurationError(f"environment variable {name} must be a whole number") from error

        def number(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError as error:
                raise ConfigurationError(f"environment variable {name} must be a number") from error
            if value < 0:
                raise ConfigurationError(f"environment variable {name} must not be negative")
            return value

        def mapping(name: str) -> dict[str, str]:
            """``queue=value,queue=value`` pairs."""
            pairs: dict[str, str] = {}
            for part in env.get(name, "").split(","):
                if not part.strip():
                    continue
                key, separator, value = part.partition("=")
                if not separator or not key.strip() or not value.strip():
                    raise ConfigurationError(
                        f"environment variable {name}: {part.strip()!r} is not queue=value"
                    )
                pairs[key.strip()] = value.strip()
            return pairs

        def delays(name: str) -> dict[str, float]:
            parsed: dict[str, float] = {}
            for queue, raw in mapping(name).items():
                try:
                    parsed[queue] = float(raw)
                except ValueError as error:
                    raise ConfigurationError(
                        f"environment variable {name}: {raw!r} is not a number of hours"
                    ) from error
            return parsed

        support_address = required("POSTDESK_SUPPORT_ADDRESS")
        if "@" not in support_address:
            raise ConfigurationError("POSTDESK_SUPPORT_ADDRESS must be an email address")
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            tables=TableNames(
                tickets=required("POSTDESK_TICKETS_TABLE"),
                ticket_log=required("POSTDESK_TICKET_LOG_TABLE"),
                message_index=required("POSTDESK_MESSAGE_INDEX_TABLE"),
                counters=required("POSTDESK_COUNTERS_TABLE"),
                guards=required("POSTDESK_GUARDS_TABLE"),
                agents=required("POSTDESK_AGENTS_TABLE"),
                saved_replies=required("POSTDESK_SAVED_REPLIES_TABLE"),
                stats=required("POSTDESK_STATS_TABLE"),
                suppressions=required("POSTDESK_SUPPRESSIONS_TABLE"),
                audit=required("POSTDESK_AUDIT_TABLE"),
                knowledge=env.get("POSTDESK_KNOWLEDGE_TABLE", "").strip(),
            ),
            mail_bucket=required("POSTDESK_MAIL_BUCKET"),
            raw_mail_prefix=env.get("POSTDESK_RAW_MAIL_PREFIX", "inbound/"),
            support_address=support_address,
            support_name=env.get("POSTDESK_SUPPORT_NAME", "Support"),
            signing_secret_id=required("POSTDESK_SIGNING_SECRET_ID"),
            ses_configuration_set=env.get("POSTDESK_SES_CONFIGURATION_SET", "").strip() or None,
            default_language=env.get("POSTDESK_DEFAULT_LANGUAGE", "en"),
            ack_limit_per_hour=integer("POSTDESK_ACK_LIMIT_PER_HOUR", 5),
            ack_limit_per_day=integer("POSTDESK_ACK_LIMIT_PER_DAY", 20),
            triage_rules_path=env.get("POSTDESK_TRIAGE_RULES") or None,
            extra_own_addresses=tuple(
                part.strip() for part in env.get("POSTDESK_OWN_ADDRESSES", "").split(",") if part.strip()
            ),
            other_mailboxes=parse_mailboxes(
                env.get("POSTDESK_MAILBOXES", ""),
                support_address,
                env.get("POSTDESK_SUPPORT_NAME", "Support"),
            ),
            survey=SurveySettings(
                public_url=env.get("POSTDESK_PUBLIC_URL", "").strip().rstrip("/"),
                delay_hours=number("POSTDESK_SURVEY_DELAY_HOURS", 24.0),
                delay_hours_by_queue=delays("POSTDESK_SURVEY_DELAY_HOURS_BY_QUEUE"),
                link_days=integer("POSTDESK_SURVEY_LINK_DAYS", 30),
                team_address=env.get("POSTDESK_TEAM_ADDRESS", "").strip(),
                team_address_by_queue=mapping("POSTDESK_TEAM_ADDRESS_BY_QUEUE"),
            ),
            scheduling=SchedulingSettings(
                group=env.get("POSTDESK_SCHEDULE_GROUP", "").strip() or "default",
                role_arn=env.get("POSTDESK_SCHEDULER_ROLE_ARN", "").strip(),
                dead_letter_arn=env.get("POSTDESK_SCHEDULER_DLQ_ARN", "").strip(),
                survey_function_arn=env.get("POSTDESK_SURVEY_FUNCTION_ARN", "").strip(),
                sla_function_arn=env.get("POSTDESK_SLA_FUNCTION_ARN", "").strip(),
                automations_function_arn=env.get("POSTDESK_AUTOMATIONS_FUNCTION_ARN", "").strip(),
            ),
            sla_policy_path=env.get("POSTDESK_SLA_POLICY", "").strip() or None,
            sign_off_path=env.get("POSTDESK_SIGN_OFF", "").strip() or None,
            retention=RetentionSettings(
                closed_ticket_days=integer("POSTDESK_CLOSED_TICKET_RETENTION_DAYS", 730),
                raw_mail_days=integer("POSTDESK_RAW_MAIL_RETENTION_DAYS", 400),
                attachment_days=integer("POSTDESK_ATTACHMENT_RETENTION_DAYS", 400),
            ),
            attachments=_attachment_settings(integer),
            notification_window_minutes=integer("POSTDESK_NOTIFICATION_WINDOW_MINUTES", 5),
            events=EventsSettings(
                bus_name=env.get("POSTDESK_EVENT_BUS", "").strip(),
                webhooks_table=env.get("POSTDESK_WEBHOOKS_TABLE", "").strip(),
                delivery_queue_url=env.get("POSTDESK_WEBHOOK_QUEUE_URL", "").strip(),
                delivery_queue_arn=env.get("POSTDESK_WEBHOOK_QUEUE_ARN", "").strip(),
                delivery_attempts=integer("POSTDESK_WEBHOOK_ATTEMPTS", 8),
                retry_seconds=integer("POSTDESK_WEBHOOK_RETRY_SECONDS", 30),
                rule_prefix=env.get("POSTDESK_WEBHOOK_RULE_PREFIX", "").strip() or "postdesk-webhook",
                allow_local_endpoints=env.get("POSTDESK_WEBHOOKS_ALLOW_LOCAL", "").strip() == "true",
            ),
            sign_in=SignInSettings(
                user_pool_id=env.get("POSTDESK_USER_POOL_ID", "").strip(),
                client_id=env.get("POSTDESK_USER_POOL_CLIENT_ID", "").strip(),
                jwks_url=env.get("POSTDESK_JWKS_URL", "").strip(),
                sessions_table=env.get("POSTDESK_SESSIONS_TABLE", "").strip(),
                access_audit_table=env.get("POSTDESK_ACCESS_AUDIT_TABLE", "").strip(),
                session_days=integer("POSTDESK_SESSION_DAYS", 14),
                sso_provider=env.get("POSTDESK_SSO_PROVIDER", "").strip(),
                sso_domain=env.get("POSTDESK_SSO_DOMAIN", "").strip().rstrip("/"),
                region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            ),
        )


def _attachment_settings(integer: Callable[[str, int], int]) -> AttachmentSettings:
    """The attachment limits, checked against each other and against what SES sends."""
    defaults = AttachmentSettings()
    limits = AttachmentSettings(
        max_file_bytes=integer("POSTDESK_ATTACHMENT_MAX_FILE_BYTES", defaults.max_file_bytes),
        max_mail_bytes=integer("POSTDESK_ATTACHMENT_MAX_MAIL_BYTES", defaults.max_mail_bytes),
        max_files=integer("POSTDESK_ATTACHMENT_MAX_FILES", defaults.max_files),
    )
    if min(limits.max_file_bytes, limits.max_mail_bytes, limits.max_files) < 1:
        raise ConfigurationError("the POSTDESK_ATTACHMENT_MAX_* limits must be at least 1")
    if limits.max_mail_bytes > MAX_MAIL_BYTES:
        raise ConfigurationError(
            f"POSTDESK_ATTACHMENT_MAX_MAIL_BYTES must be at most {MAX_MAIL_BYTES:,}: SES sends messages up "
            "to 40 MB, and files grow by a third in base64"
        )
    if limits.max_file_bytes > limits.max_mail_bytes:
        raise ConfigurationError(
            "POSTDESK_ATTACHMENT_MAX_FILE_BYTES must not be over POSTDESK_ATTACHMENT_MAX_MAIL_BYTES"
        )
    return limits
