"""What IAM has to allow for the AWS API calls the code made, and whether a role allows exactly that.

Three steps, each usable alone::

    needs = needs_of(call, region, account)      # a recorded ApiCall -> the (action, resource) it needs
    stack = desk_stack(settings, template)       # the template's logical ids -> the test desk's names
    grants = role_grants(template, "IngestRole", stack)
    findings = check("ingest", "IngestRole", grants, needs)  # needs not allowed, grants not needed

What acts with a function's role without a call of its code (Lambda writing its logs, Lambda
handing a failed event to its dead-letter queue) is an Allowance, named and explained below
(``runtime_allowances``); it counts as a need like a call does.

Calls map to IAM as the service authorizes them, not by their API name: a TransactWriteItems is
authorized item by item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem on each item's table), a
BatchGetItem table by table, a Query on an index against the index's ARN, a HeadObject as
s3:GetObject, a CreateSchedule also as iam:PassRole of its target's role (to scheduler.amazonaws.com).
A call that failed (a conditional write that lost, a delete of what was gone) was authorized first,
so it needs its permission all the same. A call this module does not know raises UnmappedCall rather
than pass unchecked.

Policies are evaluated with moto's statement evaluator (``IAMPolicyStatement.is_action_permitted``):
it is what moto itself enforces with, and it handles Effect, Action, NotAction, Resource and
StringEquals conditions. Where it is looser than IAM, the statement is tightened before it is handed
over: IAM's ``?`` (one character) and literal ``.`` are written as a regular expression (moto turns
only ``*`` into one and leaves the rest as regex syntax), actions are compared in lower case (IAM
ignores their case; moto does not), and a condition moto would wave through (an operator it does not
know, a key the request does not carry) is decided here: the first is refused as unsupported, the
second makes the statement not apply, as in IAM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.utils import parseaddr
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from postdesk.aws.clients import client
from postdesk.settings import Settings
from postdesk_tools.provision import TABLE_RESOURCES
from tests.api_calls import ApiCall

ACCOUNT = "123456789012"  # moto's default account, the test desk's
# CloudFormation names what it makes without a name as <stack>-<logical id>-<12 characters>.
GENERATED_SUFFIX = "TESTDESK0001"
SUPPORTED_CONDITIONS = frozenset({"StringEquals"})
# The tables of the sign-in settings (Settings.sign_in), by logical id.
SIGN_IN_TABLES = {"SessionsTable": "sessions_table", "AccessAuditTable": "access_audit_table"}


class UnmappedCall(LookupError):
    """A call whose IAM needs this module does not know: map it before trusting any check."""


@dataclass(frozen=True, slots=True)
class Need:
    """One (action, resource) an AWS request is authorized against, with the condition keys the
    request carries and what it came from."""

    function: str | None
    action: str
    resource: str
    because: str
    context: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return f"{self.action} on {self.resource} ({self.because})"


@dataclass(frozen=True, slots=True)
class Allowance:
    """A need no recorded call shows, but which the function's role has to meet all the same: what
    acts with the role, on what, and why no call records it."""

    action: str
    resource: str
    reason: str

    def need(self, function: str) -> Need:
        return Need(function, self.action, self.resource, f"allowance: {self.reason}")


# ---- calls to needs -------------------------------------------------------------------------------


def _table_arn(table: str, region: str, account: str, partition: str) -> str:
    return table if table.startswith("arn:") else f"arn:{partition}:dynamodb:{region}:{account}:table/{table}"


def _dynamodb(call: ApiCall, region: str, account: str, partition: str) -> list[tuple[str, str, str]]:
    """(action, resource, because) for one DynamoDB call."""
    params, operation = call.params, call.operation

    def table(name: str) -> str:
        return _table_arn(name, region, account, partition)

    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable", "DescribeTimeToLive"):
        return [(f"dynamodb:{operation}", table(params["TableName"]), "")]
    if operation in ("Query", "Scan"):
        resource = table(params["TableName"])
        if params.get("IndexName"):
            resource = f"{resource}/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", resource, "")]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", table(name), "") for name in params["RequestItems"]]
    if operation == "TransactWriteItems":
        actions = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        found = []
        for position, item in enumerate(params["TransactItems"]):
            ((kind, body),) = item.items()
            found.append(
                (
                    f"dynamodb:{actions[kind]}",
                    table(body["TableName"]),
                    f"item {position} ({kind})",
                )
            )
        return found
    if operation == "TransactGetItems":
        return [
            ("dynamodb:GetItem", table(item["Get"]["TableName"]), f"item {position} (Get)")
            for position, item in enumerate(params["TransactItems"])
        ]
    raise UnmappedCall(f"dynamodb:{operation}")


def _s3(call: ApiCall, partition: str) -> list[tuple[str, str, str]]:
    params, operation = call.params, call.operation
    bucket = f"arn:{partition}:s3:::{params.get('Bucket', '')}"
    objects = {
        "GetObject": "s3:GetObject",
        "HeadObject": "s3:GetObject",
        "PutObject": "s3:PutObject",
        "DeleteObject": "s3:DeleteObject",
    }
    if operation in objects:
        return [(objects[operation], f"{bucket}/{params['Key']}", "")]
    if operation in ("ListObjectsV2", "ListObjects", "HeadBucket"):
        return [("s3:ListBucket", bucket, "")]
    if operation == "DeleteObjects":
        # One request, but IAM checks s3:DeleteObject on every key it names.
        return [
            ("s3:DeleteObject", f"{bucket}/{item['Key']}", f"object {position}")
            for position, item in enumerate(params["Delete"]["Objects"])
        ]
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, Mapping):
            source = f"{source['Bucket']}/{source['Key']}"
        return [
            ("s3:GetObject", f"arn:{partition}:s3:::{str(source).lstrip('/')}", "its source"),
            ("s3:PutObject", f"{bucket}/{params['Key']}", ""),
        ]
    raise UnmappedCall(f"s3:{operation}")


def _identity_arn(address: str, region: str, account: str, partition: str) -> str:
    domain = parseaddr(address)[1].rpartition("@")[2].lower()
    return f"arn:{partition}:ses:{region}:{account}:identity/{domain}"


def _ses(call: ApiCall, region: str, account: str, partition: str) -> list[tuple[str, str, str]]:
    """SES authorizes a send against the sending identity and the configuration set it names."""
    params, operation = call.params, call.operation
    if call.service == "ses" and operation in ("SendRawEmail", "SendEmail"):
        identity = params.get("SourceArn") or params.get("FromArn")
        if not identity:
            source = params.get("Source")
            if not source and operation == "SendRawEmail":
                source = str(message_from_bytes(params["RawMessage"]["Data"]).get("From", ""))
            identity = _identity_arn(source or "", region, account, partition)
    elif call.service == "sesv2" and operation == "SendEmail":
        identity = params.get("FromEmailAddressIdentityArn") or _identity_arn(
            params.get("FromEmailAddress", ""), region, account, partition
        )
    else:
        raise UnmappedCall(f"{call.service}:{operation}")
    found = [(f"ses:{operation}", identity, "the sending identity")]
    if params.get("ConfigurationSetName"):
        configuration_set = f"arn:{partition}:ses:{region}:{account}:configuration-set/"
        found.append(
            (f"ses:{operation}", configuration_set + params["ConfigurationSetName"], "its configuration set")
        )
    return found


def _schedule_arn(params: Mapping[str, Any], region: str, account: str, partition: str) -> str:
    group = params.get("GroupName") or "default"
    return f"arn:{partition}:scheduler:{region}:{account}:schedule/{group}/{params['Name']}"


def _secret_arn(call: ApiCall) -> str:
    """The secret's full ARN (with the random suffix the policy is written against)."""
    if call.response and call.response.get("ARN"):
        return str(call.response["ARN"])
    secret = str(call.params["SecretId"])
    if not secret.startswith("arn:"):
        raise UnmappedCall(f"secretsmanager:{call.operation} by the name {secret!r}: its ARN is not known")
    return secret


# The SQS calls of a queue's reader and the action IAM checks for each.
SQS_RECEIVING = {
    "ReceiveMessage": "sqs:ReceiveMessage",
    "DeleteMessage": "sqs:DeleteMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "ChangeMessageVisibility": "sqs:ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "GetQueueAttributes": "sqs:GetQueueAttributes",
}
# EventBridge calls authorized against one rule (by its name, on a bus).
EVENT_RULE_OPERATIONS = frozenset(
    {"PutRule", "PutTargets", "RemoveTargets", "DeleteRule", "DescribeRule", "EnableRule", "DisableRule"}
)


def _user_pool_arn(pool_id: str, region: str, account: str, partition: str) -> str:
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool_id}"


def _cognito(call: ApiCall, region: str, account: str, partition: str) -> list[tuple[str, str, str]]:
    """An Admin* call is authorized against its pool. The calls a user makes with their own
    password, session or token (InitiateAuth, RespondToAuthChallenge, GetUser, AssociateSoftwareToken,
    RevokeToken, ...) are not signed with the function's role: botocore's model marks them noAuth."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    if model.operation_model(call.operation).auth_type == "none":
        return []
    # ListUsers (the admins' list of agents with their accounts' states) is authorized the same way.
    if (call.operation.startswith("Admin") or call.operation == "ListUsers") and "UserPoolId" in call.params:
        pool = _user_pool_arn(str(call.params["UserPoolId"]), region, account, partition)
        return [(f"cognito-idp:{call.operation}", pool, "")]
    raise UnmappedCall(f"cognito-idp:{call.operation}")


def _event_bus_arn(bus: str, region: str, account: str, partition: str) -> str:
    return bus if bus.startswith("arn:") else f"arn:{partition}:events:{region}:{account}:event-bus/{bus}"


def _event_rule_arn(rule: str, bus: str, region: str, account: str, partition: str) -> str:
    """A rule's ARN: a rule of the default bus is rule/<name>, one of another bus rule/<bus>/<name>."""
    bus = bus.rsplit("/", 1)[-1]
    path = rule if bus == "default" else f"{bus}/{rule}"
    return f"arn:{partition}:events:{region}:{account}:rule/{path}"


def _stream_of_iterator(iterator: str) -> str:
    """The stream ARN a shard iterator of moto's names (``<stream arn>/stream/…|<shard>|…``)."""
    match = re.search(r"(arn:[^|]*?/stream/[^/|]+)", iterator)
    if match is None:
        raise UnmappedCall(f"dynamodbstreams:GetRecords with an iterator naming no stream: {iterator[:80]!r}")
    return match.group(1)


def needs_of(call: ApiCall, region: str, account: str = ACCOUNT, partition: str = "aws") -> list[Need]:
    """The (action, resource) pairs IAM checks for ``call``, made in ``region`` of ``account``."""
    extra: list[Need] = []
    if call.service == "dynamodb":
        found = _dynamodb(call, region, account, partition)
    elif call.service == "s3":
        found = _s3(call, partition)
    elif call.service in ("ses", "sesv2"):
        found = _ses(call, region, account, partition)
    elif call.service == "scheduler" and call.operation in (
        "CreateSchedule",
        "UpdateSchedule",
        "DeleteSchedule",
        "GetSchedule",
    ):
        found = [(f"scheduler:{call.operation}", _schedule_arn(call.params, region, account, partition), "")]
        if call.operation in ("CreateSchedule", "UpdateSchedule"):
            # Scheduler invokes the target with this role: handing it over is a PassRole of ours.
            passed = (("iam:PassedToService", "scheduler.amazonaws.com"),)
            extra.append(
                Need(
                    call.function,
                    "iam:PassRole",
                    call.params["Target"]["RoleArn"],
                    f"scheduler:{call.operation} passes its target's role",
                    passed,
                )
            )
    elif call.service == "secretsmanager" and call.operation in ("GetSecretValue", "DescribeSecret"):
        found = [(f"secretsmanager:{call.operation}", _secret_arn(call), "")]
    elif call.service == "sqs" and call.operation in ("SendMessage", "SendMessageBatch"):
        name = str(call.params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        found = [("sqs:SendMessage", f"arn:{partition}:sqs:{region}:{account}:{name}", "")]
    elif call.service == "sqs" and call.operation in SQS_RECEIVING:
        # What Lambda's event source mapping does with the queue, and the function's back-off of a
        # message; the batch operations are authorized as their single action.
        name = str(call.params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        found = [(SQS_RECEIVING[call.operation], f"arn:{partition}:sqs:{region}:{account}:{name}", "")]
    elif call.service == "events" and call.operation == "PutEvents":
        # Authorized against the bus each entry names.
        buses = {str(entry.get("EventBusName") or "default") for entry in call.params["Entries"]}
        found = [("events:PutEvents", _event_bus_arn(bus, region, account, partition), "") for bus in buses]
    elif call.service == "events" and call.operation in EVENT_RULE_OPERATIONS:
        rule = call.params.get("Name") or call.params["Rule"]
        bus = str(call.params.get("EventBusName") or "default")
        found = [(f"events:{call.operation}", _event_rule_arn(rule, bus, region, account, partition), "")]
    elif call.service == "dynamodbstreams" and call.operation in (
        "DescribeStream",
        "GetShardIterator",
        "GetRecords",
        "ListStreams",
    ):
        # Lambda's event source mapping reads the stream with the function's role.
        stream = call.params.get("StreamArn") or _stream_of_iterator(
            str(call.params.get("ShardIterator", ""))
        )
        found = [(f"dynamodb:{call.operation}", stream, "")]
    elif call.service == "cognito-idp":
        found = _cognito(call, region, account, partition)
    elif call.service == "sts" and call.operation == "GetCallerIdentity":
        return []  # needs no permission
    else:
        raise UnmappedCall(f"{call.service}:{call.operation}")
    label = f"{call.service}:{call.operation}"
    return [
        Need(call.function, action, resource, f"{label}: {because}" if because else label)
        for action, resource, because in found
    ] + extra


# ---- the template, resolved -----------------------------------------------------------------------

# What Ref AWS::NoValue gives: the property or list element it stands for is left out.
_NO_VALUE: Any = object()
_SUB = re.compile(r"\$\{(!?)([^}]+)\}")


@dataclass(frozen=True, slots=True)
class Stack:
    """What the template's intrinsics give on one stack: ``refs`` for Ref (a logical id or a
    parameter), ``attributes`` for Fn::GetAtt ("LogicalId.Attribute")."""

    name: str
    region: str
    account: str
    refs: Mapping[str, str]
    attributes: Mapping[str, str]
    partition: str = "aws"
    # The template's Conditions, for Fn::If.
    conditions: Mapping[str, Any] = field(default_factory=dict)
    # The parameters of type CommaDelimitedList: their Ref is a list.
    lists: frozenset[str] = frozenset()

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.lists:
            return self.refs[name].split(",")
        pseudo = {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name not in self.refs:
            raise KeyError(f"the test desk has nothing for Ref {name}: add it to desk_stack()")
        return self.refs[name]

    def attribute(self, logical_id: str, attribute: str) -> str:
        key = f"{logical_id}.{attribute}"
        if key not in self.attributes:
            raise KeyError(f"the test desk has nothing for Fn::GetAtt {key}: add it to desk_stack()")
        return self.attributes[key]

    def resolve(self, node: Any) -> Any:
        """``node`` with every Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split and Fn::If done."""
        if isinstance(node, list):
            return [
                resolved for resolved in (self.resolve(value) for value in node) if resolved is not _NO_VALUE
            ]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Fn::If":
                condition, when_true, when_false = value
                return self.resolve(when_true if self.holds(condition) else when_false)
            if key == "Fn::GetAtt":
                logical_id, attribute = value.split(".", 1) if isinstance(value, str) else value
                return self.attribute(logical_id, attribute)
            if key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                return self._sub(text, {name: self.resolve(v) for name, v in variables.items()})
            if key == "Fn::Join":
                separator, values = value
                return separator.join(self.resolve(values))
            if key == "Fn::Select":
                index, values = value
                return self.resolve(values)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = value
                return self.resolve(text).split(separator)
            if key.startswith("Fn::"):
                raise ValueError(f"{key} is not resolved here")
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}

    def holds(self, condition: str) -> bool:
        """Whether the template's condition ``condition`` holds on this stack."""
        return self._evaluate(self.conditions[condition])

    def _evaluate(self, node: Any) -> bool:
        ((key, value),) = node.items()
        if key == "Condition":
            return self.holds(value)
        if key == "Fn::Equals":
            first, second = (self.resolve(operand) for operand in value)
            return bool(first == second)
        if key == "Fn::Not":
            return not self._evaluate(value[0])
        if key == "Fn::And":
            return all(self._evaluate(operand) for operand in value)
        if key == "Fn::Or":
            return any(self._evaluate(operand) for operand in value)
        raise ValueError(f"{key} is not evaluated in a condition here")

    def _sub(self, text: str, variables: Mapping[str, str]) -> str:
        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in variables:
                return variables[name]
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.attribute(logical_id, attribute)
            return self.ref(name)

        return _SUB.sub(replace, text)


def desk_stack(
    settings: Settings, template: Mapping[str, Any], account: str = ACCOUNT, name: str = "test"
) -> Stack:
    """The template's logical ids as the test desk (postdesk_tools.provision) made them: its
    tables, user pool and console client, bucket, secret, schedule group, Scheduler role and queue,
    configuration set, event bus, webhooks table and delivery queue; what the desk does not make
    (functions, their queues and log groups) named as CloudFormation would."""
    region, partition = settings.region, "aws"
    refs: dict[str, str] = {}
    attributes: dict[str, str] = {}
    resources = template["Resources"]

    def generated(logical_id: str) -> str:
        return f"{name}-{logical_id}-{GENERATED_SUFFIX}"

    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table" and logical_id == "WebhooksTable":
            refs[logical_id] = settings.events.webhooks_table
            attributes[f"{logical_id}.Arn"] = _table_arn(
                settings.events.webhooks_table, region, account, partition
            )
        elif kind == "AWS::DynamoDB::Table" and logical_id in TABLE_RESOURCES:
            table = getattr(settings.tables, TABLE_RESOURCES[logical_id])
            refs[logical_id] = table
            attributes[f"{logical_id}.Arn"] = _table_arn(table, region, account, partition)
            if "StreamSpecification" in resource["Properties"]:
                stream = client("dynamodb", region).describe_table(TableName=table)["Table"][
                    "LatestStreamArn"
                ]
                attributes[f"{logical_id}.StreamArn"] = stream
        elif kind == "AWS::DynamoDB::Table" and logical_id in SIGN_IN_TABLES:
            table = getattr(settings.sign_in, SIGN_IN_TABLES[logical_id])
            refs[logical_id] = table
            attributes[f"{logical_id}.Arn"] = _table_arn(table, region, account, partition)
        elif kind == "AWS::Cognito::UserPool":
            refs[logical_id] = settings.sign_in.user_pool_id
            attributes[f"{logical_id}.Arn"] = _user_pool_arn(
                settings.sign_in.user_pool_id, region, account, partition
            )
        elif kind == "AWS::Cognito::UserPoolClient":
            refs[logical_id] = settings.sign_in.client_id
        elif kind == "AWS::S3::Bucket":
            refs[logical_id] = settings.mail_bucket
            attributes[f"{logical_id}.Arn"] = f"arn:{partition}:s3:::{settings.mail_bucket}"
        elif kind == "AWS::SecretsManager::Secret":
            refs[logical_id] = settings.signing_secret_id  # Ref of a secret is its ARN
        elif kind == "AWS::Scheduler::ScheduleGroup":
            refs[logical_id] = settings.scheduling.group
            attributes[f"{logical_id}.Arn"] = (
                f"arn:{partition}:scheduler:{region}:{account}:schedule-group/{settings.scheduling.group}"
            )
        elif kind == "AWS::SES::ConfigurationSet" and settings.ses_configuration_set:
            refs[logical_id] = settings.ses_configuration_set
        elif kind == "AWS::IAM::Role":
            arn = settings.scheduling.role_arn if logical_id == "SchedulerRole" else ""
            arn = arn or f"arn:{partition}:iam::{account}:role/{generated(logical_id)}"
            refs[logical_id] = arn.rsplit("/", 1)[-1]
            attributes[f"{logical_id}.Arn"] = arn
        elif kind == "AWS::SQS::Queue":
            made = {
                "SchedulerDeadLetterQueue": settings.scheduling.dead_letter_arn,
                "WebhookDeliveryQueue": settings.events.delivery_queue_arn,
            }
            arn = made.get(logical_id, "")
            arn = arn or f"arn:{partition}:sqs:{region}:{account}:{generated(logical_id)}"
            queue = arn.rsplit(":", 1)[-1]
            refs[logical_id] = f"https://sqs.{region}.amazonaws.com/{account}/{queue}"
            attributes[f"{logical_id}.Arn"] = arn
            attributes[f"{logical_id}.QueueName"] = queue
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            refs[logical_id] = generated(logical_id)
            attributes[f"{logical_id}.Arn"] = (
                f"arn:{partition}:lambda:{region}:{account}:function:{generated(logical_id)}"
            )
        elif kind == "AWS::Events::EventBus":
            refs[logical_id] = settings.events.bus_name  # Ref of a bus is its name
            attributes[f"{logical_id}.Arn"] = _event_bus_arn(
                settings.events.bus_name, region, account, partition
            )
            attributes[f"{logical_id}.Name"] = settings.events.bus_name
        elif kind == "AWS::SNS::Topic":
            refs[logical_id] = f"arn:{partition}:sns:{region}:{account}:{generated(logical_id)}"
    parameters = {
        "SupportAddress": settings.support_address,
        "SupportName": settings.support_name,
        "PublicUrl": settings.survey.public_url,
        "TeamAddress": settings.survey.team_address,
        "MailboxDomains": ",".join(sorted(settings.own_domains - {settings.support_domain})),
    }
    for parameter, declared in template.get("Parameters", {}).items():
        value = parameters.get(parameter, declared.get("Default"))
        if value is not None:
            refs[parameter] = str(value)
    lists = frozenset(
        parameter
        for parameter, declared in template.get("Parameters", {}).items()
        if declared.get("Type") == "CommaDelimitedList"
    )
    stack = Stack(name, region, account, refs, attributes, partition, template.get("Conditions", {}), lists)
    # Log groups name their function: resolved once the functions have names.
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Logs::LogGroup":
            group = stack.resolve(resource["Properties"]["LogGroupName"])
            refs[logical_id] = group
            attributes[f"{logical_id}.Arn"] = f"arn:{partition}:logs:{region}:{account}:log-group:{group}:*"
    return stack


# ---- what a role grants ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    """One action on one resource pattern of a role's statement (resolved)."""

    role: str
    sid: str
    action: str
    resource: str
    statement: Mapping[str, Any] = field(repr=False)

    def describe(self) -> str:
        return f"{self.action} on {self.resource} (statement {self.sid or 'without Sid'} of {self.role})"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def role_grants(template: Mapping[str, Any], role: str, stack: Stack) -> list[Grant]:
    """Every (action, resource pattern) of every inline policy of ``role``, resolved on ``stack``."""
    properties = template["Resources"][role]["Properties"]
    if properties.get("ManagedPolicyArns"):
        raise ValueError(f"{role} has managed policies: their statements are not in the template")
    grants = []
    for policy in properties.get("Policies", []):
        for position, statement in enumerate(stack.resolve(policy["PolicyDocument"])["Statement"]):
            if "NotAction" in statement or "NotResource" in statement:
                raise ValueError(f"{role}: NotAction and NotResource are not checked here")
            sid = statement.get("Sid") or f"{policy['PolicyName']}[{position}]"
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    narrowed = {**statement, "Action": action, "Resource": resource}
                    grants.append(Grant(role, sid, action, resource, narrowed))
    return grants


# ---- evaluation -----------------------------------------------------------------------------------


def _pattern(text: str) -> str:
    """An IAM pattern as moto's matcher reads it right: it turns ``*`` into ``.*`` and takes every
    other character as regex syntax, so the rest is escaped and ``?`` written as ``.``."""
    return "".join("." if c == "?" else c if c == "*" else re.escape(c) for c in text)


def _for_moto(statement: Mapping[str, Any]) -> dict[str, Any]:
    prepared = dict(statement)
    for element, lower in (("Action", True), ("NotAction", True), ("Resource", False)):
        if element in prepared:
            values = [_pattern(v.lower() if lower else v) for v in _as_list(prepared[element])]
            prepared[element] = values if isinstance(statement[element], list) else values[0]
    return prepared


def _conditions_hold_for(statement: Mapping[str, Any], need: Need) -> bool:
    """False when the statement's conditions name a key the request does not carry (IAM: the
    condition fails); what the keys it carries must match is left to moto."""
    carried = dict(need.context)
    for operator, keys in statement.get("Condition", {}).items():
        if operator not in SUPPORTED_CONDITIONS:
            raise ValueError(f"the {operator} condition is not evaluated here")
        if any(key not in carried for key in keys):
            return False
    return True


def _matches(statement: Mapping[str, Any], need: Need) -> bool:
    """Whether ``statement``, taken as an Allow, covers ``need``."""
    if not _conditions_hold_for(statement, need):
        return False
    allowing = _for_moto({**statement, "Effect": "Allow"})
    result = IAMPolicyStatement(allowing).is_action_permitted(
        need.action.lower(), need.resource, incoming_condition_values=dict(need.context)
    )
    return result is PermissionResult.PERMITTED


def permitted(statements: Sequence[Mapping[str, Any]], need: Need) -> bool:
    """IAM's answer for one identity policy: an explicit Deny wins, else some Allow must cover it."""
    if any(s["Effect"] == "Deny" and _matches(s, need) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, need) for s in statements)


@dataclass(frozen=True, slots=True)
class Findings:
    function: str
    role: str
    denied: list[Need]
    unused: list[Grant]

    def messages(self) -> list[str]:
        return [
            f"{self.function}: {need.action} on {need.resource} is not allowed by {self.role} "
            f"(needed by {need.because})"
            for need in self.denied
        ] + [
            f"{self.function}: {grant.describe()} is granted, but no call of {self.function} "
            "and no allowance needed it"
            for grant in self.unused
        ]


def check(function: str, role: str, grants: Sequence[Grant], needs: Iterable[Need]) -> Findings:
    """The needs of ``function`` that ``role`` (its ``grants``) does not allow, and the grants that no
    need of ``function`` used."""
    mine: dict[tuple[str, str, tuple[tuple[str, str], ...]], Need] = {}
    for need in needs:
        if need.function == function:
            mine.setdefault((need.action.lower(), need.resource, need.context), need)
    statements = [grant.statement for grant in grants]
    denied = [need for need in mine.values() if not permitted(statements, need)]
    unused = [
        grant
        for grant in grants
        if grant.statement["Effect"] == "Allow"
        and not any(_matches(grant.statement, n) for n in mine.values())
    ]
    return Findings(function, role, denied, unused)


# ---- what acts with a function's role, with no call of its code ------------------------------------

# The Lambda runtime sends what the function prints and logs (and its START, END and REPORT lines)
# to the function's log group with the function's role: one log stream per container
# (logs:CreateLogStream), then its events (logs:PutLogEvents). The code makes no call for it.
LAMBDA_LOGS = "the Lambda runtime writes the function's logs with its role"
# Lambda hands an asynchronous event (SES, Scheduler) that failed every retry to the function's
# dead-letter queue with the function's role (sqs:SendMessage). The code makes no call for it.
STREAM_POLLER = "Lambda's event source mapping reads the stream and hands on failed batches"
QUEUE_POLLER = "Lambda's event source mapping reads the queue's attributes before it polls it"
DEAD_LETTERS = "Lambda sends an event that failed every retry to the function's dead-letter queue"
# Lambda names a container's log stream date/[version]id.
LOG_STREAM = "2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef"


def runtime_allowances(template: Mapping[str, Any], function: str, stack: Stack) -> list[Allowance]:
    """What Lambda itself does with the role of the function ``function`` (its logical id): write
    its logs to the log group the template makes for it, when it has one, send what failed to its
    dead-letter queue, and what its event source mappings' pollers do with its role."""
    resources = template["Resources"]
    name = stack.ref(function)
    groups = [
        stack.ref(logical_id)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Logs::LogGroup" and stack.ref(logical_id) == f"/aws/lambda/{name}"
    ]
    if not groups:
        raise LookupError(f"the template makes no log group for {function} (/aws/lambda/{name})")
    (group,) = groups
    stream = (
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{group}:log-stream:{LOG_STREAM}"
    )
    allowances = [
        Allowance("logs:CreateLogStream", stream, LAMBDA_LOGS),
        Allowance("logs:PutLogEvents", stream, LAMBDA_LOGS),
    ]
    dead_letters = resources[function]["Properties"].get("DeadLetterQueue")
    if dead_letters:
        if dead_letters["Type"] != "SQS":
            raise ValueError(f"{function}: a {dead_letters['Type']} dead-letter target is not mapped here")
        allowances.append(
            Allowance("sqs:SendMessage", stack.resolve(dead_letters["TargetArn"]), DEAD_LETTERS)
        )
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] != "AWS::Lambda::EventSourceMapping" or properties.get("FunctionName") != {
            "Ref": function
        }:
            continue
        source = stack.resolve(properties["EventSourceArn"])
        if source.startswith(f"arn:{stack.partition}:sqs:"):
            # The mapping's poller reads the queue's attributes (its visibility timeout) with the
            # function's role before it receives; the receipts and deletes are recorded as calls.
            allowances.append(Allowance("sqs:GetQueueAttributes", source, QUEUE_POLLER))
            continue
        # The mapping's poller lists the table's streams and, for a batch that failed every retry,
        # sends its position to the on-failure destination, both with the function's role.
        allowances.append(Allowance("dynamodb:ListStreams", source, STREAM_POLLER))
        failed = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if failed:
            allowances.append(Allowance("sqs:SendMessage", stack.resolve(failed), STREAM_POLLER))
    return allowances
