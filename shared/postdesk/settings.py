"""One typed settings object, read from the environment at handler entry (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from postdesk.errors import ConfigurationError


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


@dataclass(frozen=True, slots=True)
class Settings:
    region: str
    tables: TableNames
    mail_bucket: str
    support_address: str
    signing_secret_id: str
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
    # The operator's triage rules file; None means the shipped default (postdesk/triage/rules.toml).
    triage_rules_path: str | None = None

    @property
    def support_domain(self) -> str:
        return self.support_address.rpartition("@")[2].lower()

    @property
    def own_addresses(self) -> frozenset[str]:
        domain = self.support_domain
        return frozenset(
            {self.support_address.lower(), f"mailer-daemon@{domain}", f"postmaster@{domain}"}
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
            ),
            mail_bucket=required("POSTDESK_MAIL_BUCKET"),
            raw_mail_prefix=env.get("POSTDESK_RAW_MAIL_PREFIX", "inbound/"),
            support_address=support_address,
            support_name=env.get("POSTDESK_SUPPORT_NAME", "Support"),
            signing_secret_id=required("POSTDESK_SIGNING_SECRET_ID"),
            default_language=env.get("POSTDESK_DEFAULT_LANGUAGE", "en"),
            ack_limit_per_hour=integer("POSTDESK_ACK_LIMIT_PER_HOUR", 5),
            ack_limit_per_day=integer("POSTDESK_ACK_LIMIT_PER_DAY", 20),
            triage_rules_path=env.get("POSTDESK_TRIAGE_RULES") or None,
            extra_own_addresses=tuple(
                part.strip() for part in env.get("POSTDESK_OWN_ADDRESSES", "").split(",") if part.strip()
            ),
        )
