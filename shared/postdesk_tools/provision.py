"""Create the desk's resources on moto (tests, the local stack) from the same infra/template.json
that the deploy uses, so the tables under test are the tables in production."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from postdesk.aws.clients import client
from postdesk.mailboxes import parse_mailboxes
from postdesk.settings import Settings, TableNames

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.json"

# Logical id in the template to the TableNames field it fills.
TABLE_RESOURCES = {
    "TicketsTable": "tickets",
    "TicketLogTable": "ticket_log",
    "MessageIndexTable": "message_index",
    "CountersTable": "counters",
    "GuardsTable": "guards",
    "AgentsTable": "agents",
    "SavedRepliesTable": "saved_replies",
    "StatsTable": "stats",
    "SuppressionsTable": "suppressions",
    "AuditTable": "audit",
    "KnowledgeTable": "knowledge",
}


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return loaded


def table_definitions() -> dict[str, dict[str, Any]]:
    """CloudFormation properties of every DynamoDB table, by logical id."""
    resources = template()["Resources"]
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


def create_tables(region: str, prefix: str, only: frozenset[str] | None = None) -> TableNames:
    """Create every table of the template as ``<prefix>-<LogicalId>`` (or those of ``only``) and
    enable TTL where declared."""
    dynamodb = client("dynamodb", region)
    names: dict[str, str] = {}
    for logical_id, properties in table_definitions().items():
        name = f"{prefix}-{logical_id}"
        if only is not None and logical_id not in only:
            names[TABLE_RESOURCES.get(logical_id, "")] = name
            continue
        arguments: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
            "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in properties:
            arguments["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
        if "StreamSpecification" in properties:
            arguments["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        dynamodb.create_table(**arguments)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        if logical_id in TABLE_RESOURCES:
            names[TABLE_RESOURCES[logical_id]] = name
    names.pop("", None)
    return TableNames(**names)


# What a desk provisioned by an older version lacks, by the environment variable that names it.
_LATER_PARTS = (
    "POSTDESK_EVENT_BUS",
    "POSTDESK_AUTOMATIONS_FUNCTION_ARN",
    "POSTDESK_USER_POOL_ID",
    "POSTDESK_KNOWLEDGE_TABLE",
)


def is_outdated(environment: dict[str, str]) -> bool:
    """Whether a desk provisioned earlier (its functions' ``environment``) lacks a part the stack
    has gained since."""
    return any(name not in environment for name in _LATER_PARTS)


def brought_up_to_date(region: str, prefix: str, environment: dict[str, str]) -> dict[str, str]:
    """The environment of a desk provisioned by an older version, with what the stack has gained
    since made now: the tables it lacks, the event bus and the webhooks' queues, the automations
    function. Its data is kept as it is (a local desk keeps its tickets across versions)."""
    existing = set(client("dynamodb", region).list_tables()["TableNames"])
    missing = frozenset(
        logical_id for logical_id in table_definitions() if f"{prefix}-{logical_id}" not in existing
    )
    if missing:
        create_tables(region, prefix, only=missing)
    updated = dict(environment)
    if "POSTDESK_EVENT_BUS" not in updated:
        updated.update(provision_events(region, prefix))
    if "POSTDESK_AUTOMATIONS_FUNCTION_ARN" not in updated:
        sla = updated["POSTDESK_SLA_FUNCTION_ARN"]
        updated["POSTDESK_AUTOMATIONS_FUNCTION_ARN"] = sla.removesuffix("-sla") + "-automations"
    if "POSTDESK_USER_POOL_ID" not in updated:
        updated.update(provision_sign_in(region, prefix))
    if "POSTDESK_KNOWLEDGE_TABLE" not in updated:
        # Made above with the other missing tables.
        updated["POSTDESK_KNOWLEDGE_TABLE"] = f"{prefix}-KnowledgeTable"
    return updated


@dataclass(frozen=True, slots=True)
class ProvisionedDesk:
    settings: Settings
    environment: dict[str, str]


def _resolve_account(node: Any, account: str) -> Any:
    """``node`` with every ``{"Ref": "AWS::AccountId"}`` replaced by ``account``."""
    if isinstance(node, dict):
        if node == {"Ref": "AWS::AccountId"}:
            return account
        return {key: _resolve_account(value, account) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_account(value, account) for value in node]
    return node


def provision_scheduling(region: str, prefix: str) -> dict[str, str]:
    """The template's schedule group, the role Scheduler invokes the survey function with (its trust
    policy as the template has it) and the dead-letter queue of failed invocations; the survey
    function's ARN (moto's Scheduler never fires: tests and the local desk call the function)."""
    resources = template()["Resources"]
    group = f"{prefix}-{_logical_id(resources, 'AWS::Scheduler::ScheduleGroup')}"
    client("scheduler", region).create_schedule_group(Name=group)
    queue = resources["SchedulerDeadLetterQueue"]["Properties"]
    queue_url = client("sqs", region).create_queue(
        QueueName=f"{prefix}-SchedulerDeadLetterQueue",
        Attributes={"MessageRetentionPeriod": str(queue["MessageRetentionPeriod"])},
    )["QueueUrl"]
    dead_letter_arn = client("sqs", region).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    account = client("sts", region).get_caller_identity()["Account"]
    trust = _resolve_account(resources["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"], account)
    role = client("iam", region).create_role(
        RoleName=f"{prefix}-SchedulerRole", AssumeRolePolicyDocument=json.dumps(trust)
    )
    return {
        "POSTDESK_SCHEDULE_GROUP": group,
        "POSTDESK_SCHEDULER_ROLE_ARN": str(role["Role"]["Arn"]),
        "POSTDESK_SCHEDULER_DLQ_ARN": str(dead_letter_arn),
        "POSTDESK_SURVEY_FUNCTION_ARN": f"arn:aws:lambda:{region}:{account}:function:{prefix}-survey",
        "POSTDESK_SLA_FUNCTION_ARN": f"arn:aws:lambda:{region}:{account}:function:{prefix}-sla",
        "POSTDESK_AUTOMATIONS_FUNCTION_ARN": (
            f"arn:aws:lambda:{region}:{account}:function:{prefix}-automations"
        ),
    }


def provision_events(region: str, prefix: str) -> dict[str, str]:
    """The template's event bus, the webhooks' delivery queue with its redrive policy (the template's
    tries) and its dead-letter queue. Made for moto only (tests, the local stack): endpoints on
    127.0.0.1 are allowed, and the first retry waits a second instead of 30."""
    resources = template()["Resources"]
    bus = f"{prefix}-events"
    events = client("events", region)
    # A desk brought up to date after a start that stopped half-way has it already.
    with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=bus)
    sqs = client("sqs", region)

    def queue(logical_id: str, extra: dict[str, str]) -> tuple[str, str]:
        properties = resources[logical_id]["Properties"]
        attributes = {"MessageRetentionPeriod": str(properties["MessageRetentionPeriod"]), **extra}
        if "VisibilityTimeout" in properties:
            attributes["VisibilityTimeout"] = str(properties["VisibilityTimeout"])
        url = sqs.create_queue(QueueName=f"{prefix}-{logical_id}", Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return str(url), str(arn)

    _, dead_letter_arn = queue("WebhookDeadLetterQueue", {})
    attempts = resources["WebhookDeliveryQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    redrive = json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": attempts})
    url, arn = queue("WebhookDeliveryQueue", {"RedrivePolicy": redrive})
    return {
        "POSTDESK_EVENT_BUS": bus,
        "POSTDESK_WEBHOOKS_TABLE": f"{prefix}-WebhooksTable",
        "POSTDESK_WEBHOOK_QUEUE_URL": url,
        "POSTDESK_WEBHOOK_QUEUE_ARN": arn,
        "POSTDESK_WEBHOOK_ATTEMPTS": str(attempts),
        "POSTDESK_WEBHOOK_RETRY_SECONDS": "1",
        "POSTDESK_WEBHOOKS_ALLOW_LOCAL": "true",
    }


def _as_in_template(properties: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named properties of a template resource, to pass to the API that makes it as they are."""
    return {name: properties[name] for name in names}


def provision_sign_in(region: str, prefix: str) -> dict[str, str]:
    """The template's user pool and its console client, as Cognito's API takes them (moto has no
    CloudFormation for them), and the tables of sessions and of the access audit (made with the
    others by create_tables). The pool's keys are read from the moto server the desk talks to; an
    in-process moto (no endpoint) answers Cognito's own address for them."""
    resources = template()["Resources"]
    pool_properties = resources["UserPool"]["Properties"]
    cognito = client("cognito-idp", region)
    pool = cognito.create_user_pool(
        PoolName=f"{prefix}-agents",
        **_as_in_template(
            pool_properties,
            "UsernameAttributes",
            "AutoVerifiedAttributes",
            "UsernameConfiguration",
            "Policies",
            "AccountRecoverySetting",
            "AdminCreateUserConfig",
            "Schema",
        ),
    )["UserPool"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool["Id"],
        SoftwareTokenMfaConfiguration={"Enabled": "SOFTWARE_TOKEN_MFA" in pool_properties["EnabledMfas"]},
        MfaConfiguration=pool_properties["MfaConfiguration"],
    )
    client_properties = resources["UserPoolClient"]["Properties"]
    session_days = template()["Parameters"]["SessionDays"]["Default"]
    console = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{prefix}-console",
        RefreshTokenValidity=session_days,
        **_as_in_template(
            client_properties,
            "GenerateSecret",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "AccessTokenValidity",
            "IdTokenValidity",
            "TokenValidityUnits",
        ),
    )["UserPoolClient"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    return {
        "POSTDESK_USER_POOL_ID": str(pool["Id"]),
        "POSTDESK_USER_POOL_CLIENT_ID": str(console["ClientId"]),
        **({"POSTDESK_JWKS_URL": f"{endpoint}/{pool['Id']}/.well-known/jwks.json"} if endpoint else {}),
        "POSTDESK_SESSIONS_TABLE": f"{prefix}-SessionsTable",
        "POSTDESK_ACCESS_AUDIT_TABLE": f"{prefix}-AccessAuditTable",
        "POSTDESK_SESSION_DAYS": str(session_days),
    }


def _logical_id(resources: dict[str, Any], resource_type: str) -> str:
    (logical_id,) = [name for name, resource in resources.items() if resource["Type"] == resource_type]
    return logical_id


def provision(
    region: str,
    prefix: str,
    support_address: str,
    support_name: str = "Support",
    public_url: str = "https://desk.example.com",
    mailboxes: str = "",
) -> ProvisionedDesk:
    """Tables, the mail bucket, the signing secret, a verified SES domain (one for each domain of
    ``mailboxes``, the desk's other addresses as POSTDESK_MAILBOXES names them) and the survey's
    scheduling: what the stack makes. Follow-up notices go to ``team@`` the support domain."""
    others = parse_mailboxes(mailboxes, support_address, support_name)
    tables = create_tables(region, prefix)
    bucket = f"{prefix}-mail".lower()
    s3 = client("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    secret = client("secretsmanager", region).create_secret(
        Name=f"{prefix}-signing-key", SecretString=secrets.token_urlsafe(48)
    )
    ses = client("ses", region)
    for domain in sorted({support_address.rpartition("@")[2], *(mailbox.domain for mailbox in others)}):
        ses.verify_domain_identity(Domain=domain)
    configuration_set = f"{prefix}-mail"
    ses.create_configuration_set(ConfigurationSet={"Name": configuration_set})
    environment = {
        "AWS_REGION": region,
        "POSTDESK_TICKETS_TABLE": tables.tickets,
        "POSTDESK_TICKET_LOG_TABLE": tables.ticket_log,
        "POSTDESK_MESSAGE_INDEX_TABLE": tables.message_index,
        "POSTDESK_COUNTERS_TABLE": tables.counters,
        "POSTDESK_GUARDS_TABLE": tables.guards,
        "POSTDESK_AGENTS_TABLE": tables.agents,
        "POSTDESK_SAVED_REPLIES_TABLE": tables.saved_replies,
        "POSTDESK_STATS_TABLE": tables.stats,
        "POSTDESK_SUPPRESSIONS_TABLE": tables.suppressions,
        "POSTDESK_AUDIT_TABLE": tables.audit,
        "POSTDESK_KNOWLEDGE_TABLE": tables.knowledge,
        "POSTDESK_MAIL_BUCKET": bucket,
        "POSTDESK_SUPPORT_ADDRESS": support_address,
        "POSTDESK_SUPPORT_NAME": support_name,
        **({"POSTDESK_MAILBOXES": mailboxes} if mailboxes else {}),
        "POSTDESK_SIGNING_SECRET_ID": str(secret["ARN"]),
        "POSTDESK_SES_CONFIGURATION_SET": configuration_set,
        "POSTDESK_PUBLIC_URL": public_url,
        "POSTDESK_TEAM_ADDRESS": f"team@{support_address.rpartition('@')[2]}",
        **provision_scheduling(region, prefix),
        **provision_events(region, prefix),
        **provision_sign_in(region, prefix),
    }
    return ProvisionedDesk(Settings.from_environment(environment), environment)
