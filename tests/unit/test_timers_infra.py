"""The survey's part of the stack in infra/template.json: Scheduler may invoke the survey function
and nothing else, and failed invocations land in dead-letter queues."""

from __future__ import annotations

from typing import Any

from postdesk.devtools.provision import template


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = template()["Resources"]
    return resources


def test_scheduler_assumes_its_role_only_for_this_account() -> None:
    trust = _resources()["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]

    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_role_invokes_the_survey_function_and_writes_its_dead_letters_only() -> None:
    (policy,) = _resources()["SchedulerRole"]["Properties"]["Policies"]

    allowed = {
        (statement["Action"], str(statement["Resource"]))
        for statement in policy["PolicyDocument"]["Statement"]
    }
    assert allowed == {
        ("lambda:InvokeFunction", str([{"Fn::GetAtt": ["Survey", "Arn"]}])),
        ("sqs:SendMessage", str([{"Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]}])),
    }
    assert all(s["Effect"] == "Allow" for s in policy["PolicyDocument"]["Statement"])


def test_the_survey_function_has_a_dead_letter_queue_and_the_schedulers_know_the_group() -> None:
    resources = _resources()

    survey = resources["Survey"]["Properties"]
    assert survey["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["SurveyDeadLetterQueue", "Arn"]},
    }
    assert resources["SurveyScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"
    # The functions that resolve and reopen tickets (the API, arriving mail) schedule and cancel.
    for function in ("APIHandler", "Ingest"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["POSTDESK_SCHEDULE_GROUP"] == {"Ref": "SurveyScheduleGroup"}
        assert variables["POSTDESK_SURVEY_FUNCTION_ARN"] == {"Fn::GetAtt": ["Survey", "Arn"]}
        assert variables["POSTDESK_SCHEDULER_DLQ_ARN"] == {"Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]}
