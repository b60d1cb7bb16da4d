"""The checker behind test_least_privilege: recorded calls to IAM needs, a role's grants, and what
one allows of the other, on a tiny hand-made policy."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_calls import ApiCall
from tests.iam import Stack, UnmappedCall, check, needs_of, role_grants

REGION, ACCOUNT = "eu-west-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
STACK = Stack(
    name="desk",
    region=REGION,
    account=ACCOUNT,
    refs={"Tickets": "desk-Tickets", "Bucket": "desk-mail", "Group": "desk-timers"},
    attributes={
        "Tickets.Arn": f"{TABLE}/desk-Tickets",
        "Log.Arn": f"{TABLE}/desk-Log",
        "TimersRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/desk-timers",
    },
)


def _template(*statements: dict[str, Any]) -> dict[str, Any]:
    policy = {
        "PolicyName": "what-it-uses",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
    }
    return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [policy]}}}}


TICKETS = {
    "Sid": "TicketsItems",
    "Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
    "Resource": {"Fn::GetAtt": ["Tickets", "Arn"]},
}


def _call(service: str, operation: str, **params: Any) -> ApiCall:
    return ApiCall("fn", service, service, operation, params)


def _findings(template: dict[str, Any], *calls: ApiCall) -> list[str]:
    needs = [need for call in calls for need in needs_of(call, REGION, ACCOUNT)]
    return check("fn", "Role", role_grants(template, "Role", STACK), needs).messages()


def test_calls_inside_the_grant_that_use_all_of_it_are_fine() -> None:
    assert (
        _findings(
            _template(TICKETS),
            _call("dynamodb", "GetItem", TableName="desk-Tickets", Key={}),
            _call("dynamodb", "UpdateItem", TableName="desk-Tickets", Key={}),
        )
        == []
    )


def test_a_call_outside_the_grant_is_reported_with_function_action_and_resource() -> None:
    findings = _findings(
        _template(TICKETS),
        _call("dynamodb", "GetItem", TableName="desk-Tickets", Key={}),
        _call("dynamodb", "UpdateItem", TableName="desk-Tickets", Key={}),
        _call("dynamodb", "DeleteItem", TableName="desk-Tickets", Key={}),
        _call("dynamodb", "GetItem", TableName="desk-Log", Key={}),
    )

    assert findings == [
        f"fn: dynamodb:DeleteItem on {TABLE}/desk-Tickets is not allowed by Role "
        "(needed by dynamodb:DeleteItem)",
        f"fn: dynamodb:GetItem on {TABLE}/desk-Log is not allowed by Role (needed by dynamodb:GetItem)",
    ]


def test_a_grant_no_call_used_is_reported() -> None:
    findings = _findings(_template(TICKETS), _call("dynamodb", "GetItem", TableName="desk-Tickets", Key={}))

    assert findings == [
        f"fn: dynamodb:UpdateItem on {TABLE}/desk-Tickets (statement TicketsItems of Role) is granted, "
        "but no call of fn and no allowance needed it"
    ]


def test_a_transaction_item_on_another_table_is_reported() -> None:
    findings = _findings(
        _template(TICKETS),
        _call("dynamodb", "GetItem", TableName="desk-Tickets", Key={}),
        _call(
            "dynamodb",
            "TransactWriteItems",
            TransactItems=[
                {"Update": {"TableName": "desk-Tickets", "Key": {}, "UpdateExpression": "SET a = :a"}},
                {"Put": {"TableName": "desk-Log", "Item": {}}},
                {"ConditionCheck": {"TableName": "desk-Tickets", "Key": {}, "ConditionExpression": "x"}},
            ],
        ),
    )

    assert findings == [
        f"fn: dynamodb:PutItem on {TABLE}/desk-Log is not allowed by Role "
        "(needed by dynamodb:TransactWriteItems: item 1 (Put))",
        f"fn: dynamodb:ConditionCheckItem on {TABLE}/desk-Tickets is not allowed by Role "
        "(needed by dynamodb:TransactWriteItems: item 2 (ConditionCheck))",
    ]


def test_a_query_of_an_index_needs_the_index_and_batch_gets_need_every_table() -> None:
    indexes = {
        "Effect": "Allow",
        "Action": "dynamodb:Query",
        "Resource": {"Fn::Sub": "${Tickets.Arn}/index/*"},
    }
    findings = _findings(
        _template(indexes),
        _call("dynamodb", "Query", TableName="desk-Tickets", IndexName="by-status"),
        _call("dynamodb", "Query", TableName="desk-Tickets"),
        _call("dynamodb", "BatchGetItem", RequestItems={"desk-Tickets": {}, "desk-Log": {}}),
    )

    assert [f.split(" is not")[0] for f in findings] == [
        f"fn: dynamodb:Query on {TABLE}/desk-Tickets",
        f"fn: dynamodb:BatchGetItem on {TABLE}/desk-Tickets",
        f"fn: dynamodb:BatchGetItem on {TABLE}/desk-Log",
    ]


def test_a_schedule_needs_its_group_and_passing_its_role_to_scheduler_only() -> None:
    schedules = {
        "Sid": "OwnSchedules",
        "Effect": "Allow",
        "Action": "scheduler:CreateSchedule",
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${Group}/*"
        },
    }
    pass_role = {
        "Sid": "PassTheirRole",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": {"Fn::GetAtt": ["TimersRole", "Arn"]},
        "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
    }
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/desk-timers"
    create = _call(
        "scheduler", "CreateSchedule", Name="t-1", GroupName="desk-timers", Target={"RoleArn": role_arn}
    )

    assert _findings(_template(schedules, pass_role), create) == []
    # Without the role's grant, or in another group, or handing it to someone other than Scheduler
    assert _findings(_template(schedules), create)[0].startswith(f"fn: iam:PassRole on {role_arn} is not")
    elsewhere = _call(
        "scheduler", "CreateSchedule", Name="t-1", GroupName="default", Target={"RoleArn": role_arn}
    )
    assert "schedule/default/t-1 is not allowed" in _findings(_template(schedules, pass_role), elsewhere)[0]
    to_lambda = {**pass_role, "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
    assert _findings(_template(schedules, to_lambda), create)[0].startswith("fn: iam:PassRole")


def test_patterns_are_iam_wildcards_not_regular_expressions() -> None:
    reads = {
        "Effect": "Allow",
        "Action": "S3:getobject",  # IAM ignores the case of actions
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/in.bound/?/*"},
    }

    assert (
        _findings(_template(reads), _call("s3", "GetObject", Bucket="desk-mail", Key="in.bound/a/b.eml"))
        == []
    )
    # A "." is a dot, not any character; "?" is exactly one character
    assert _findings(_template(reads), _call("s3", "GetObject", Bucket="desk-mail", Key="inXbound/a/b.eml"))
    assert _findings(_template(reads), _call("s3", "GetObject", Bucket="desk-mail", Key="in.bound/ab/b.eml"))


def test_an_explicit_deny_wins_and_sends_need_identity_and_configuration_set() -> None:
    send = {
        "Effect": "Allow",
        "Action": "ses:SendRawEmail",
        "Resource": [
            f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.com",
            f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/desk",
        ],
    }
    deny = {
        "Effect": "Deny",
        "Action": "ses:*",
        "Resource": f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/*",
    }
    mail = _call(
        "ses",
        "SendRawEmail",
        Source="Support <support@Example.com>",
        Destinations=["a@b.example"],
        ConfigurationSetName="desk",
        RawMessage={"Data": b""},
    )

    assert _findings(_template(send), mail) == []
    assert _findings(_template(send, deny), mail) == [
        f"fn: ses:SendRawEmail on arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/desk is not allowed "
        "by Role (needed by ses:SendRawEmail: its configuration set)"
    ]


def test_events_are_put_on_their_bus_and_rules_are_named_on_theirs() -> None:
    bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/desk-events"
    published = needs_of(
        _call(
            "events", "PutEvents", Entries=[{"EventBusName": "desk-events"}, {"EventBusName": "desk-events"}]
        ),
        REGION,
        ACCOUNT,
    )
    assert [(n.action, n.resource) for n in published] == [("events:PutEvents", bus)]
    rules = [
        _call("events", "PutRule", Name="hook-1", EventBusName="desk-events"),
        _call("events", "RemoveTargets", Rule="hook-1", EventBusName="desk-events", Ids=["q"]),
        _call("events", "PutRule", Name="nightly"),
    ]
    assert [(n.action, n.resource) for call in rules for n in needs_of(call, REGION, ACCOUNT)] == [
        ("events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/desk-events/hook-1"),
        ("events:RemoveTargets", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/desk-events/hook-1"),
        ("events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"),
    ]


def test_a_queue_reader_s_batch_calls_need_their_single_action() -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/desk-deliveries"
    calls = [
        _call("sqs", "ReceiveMessage", QueueUrl=url),
        _call("sqs", "DeleteMessageBatch", QueueUrl=url, Entries=[]),
        _call("sqs", "ChangeMessageVisibility", QueueUrl=url, ReceiptHandle="r", VisibilityTimeout=30),
    ]
    assert [n.action for call in calls for n in needs_of(call, REGION, ACCOUNT)] == [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    ]
    assert {n.resource for call in calls for n in needs_of(call, REGION, ACCOUNT)} == {
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:desk-deliveries"
    }


def test_a_call_without_a_mapping_is_refused_rather_than_passed() -> None:
    with pytest.raises(UnmappedCall, match="kinesis:PutRecord"):
        needs_of(_call("kinesis", "PutRecord", StreamName="x"), REGION, ACCOUNT)


def test_the_template_is_resolved_on_the_stack() -> None:
    address = {"Fn::Select": [1, {"Fn::Split": ["@", "support@example.com"]}]}
    node = {"Fn::Sub": ["${AWS::StackName}/${Domain}/${Tickets.Arn}/${!Literal}", {"Domain": address}]}

    assert STACK.resolve(node) == f"desk/example.com/{TABLE}/desk-Tickets/${{Literal}}"
    with pytest.raises(KeyError, match="Ref Missing"):
        STACK.resolve({"Ref": "Missing"})
