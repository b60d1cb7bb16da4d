"""The survey's part of the stack in infra/template.json: Scheduler may invoke the survey function
and nothing else, and failed invocations land in dead-letter queues."""

from __future__ import annotations

from typing import Any

from postdesk_tools.provision import template

FUNCTIONS = "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}"


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = template()["Resources"]
    return resources


def test_scheduler_assumes_its_role_only_for_this_account() -> None:
    trust = _resources()["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]

    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_role_invokes_the_timer_functions_and_writes_its_dead_letters_only() -> None:
    (policy,) = _resources()["SchedulerRole"]["Properties"]["Policies"]

    allowed = {
        (statement["Action"], str(statement["Resource"]))
        for statement in policy["PolicyDocument"]["Statement"]
    }
    assert allowed == {
        (
            "lambda:InvokeFunction",
            str(
                [
                    {"Fn::Sub": f"{FUNCTIONS}-Survey-*"},
                    {"Fn::Sub": f"{FUNCTIONS}-Sla-*"},
                    {"Fn::Sub": f"{FUNCTIONS}-Automations-*"},
                ]
            ),
        ),
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


def test_the_automations_function_is_a_timer_target_the_ticket_changers_know() -> None:
    resources = _resources()

    automations = resources["Automations"]["Properties"]
    assert automations["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["AutomationsDeadLetterQueue", "Arn"]},
    }
    assert automations["Role"] == {"Fn::GetAtt": ["AutomationsRole", "Arn"]}
    # What changes a ticket sets its next reminder, auto-resolve, close or snooze end.
    for function in ("APIHandler", "Ingest"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["POSTDESK_AUTOMATIONS_FUNCTION_ARN"] == {"Fn::GetAtt": ["Automations", "Arn"]}
    # Its own changes schedule surveys (an auto-resolve), SLA timers and agents' notifications; the
    # next step of its own it targets at itself (a function cannot be told its own ARN).
    variables = automations["Environment"]["Variables"]
    assert "POSTDESK_AUTOMATIONS_FUNCTION_ARN" not in variables
    assert variables["POSTDESK_SURVEY_FUNCTION_ARN"] == {"Fn::GetAtt": ["Survey", "Arn"]}
    assert variables["POSTDESK_SLA_FUNCTION_ARN"] == {"Fn::GetAtt": ["Sla", "Arn"]}
    assert variables["POSTDESK_SCHEDULE_GROUP"] == {"Ref": "SurveyScheduleGroup"}
    assert variables["POSTDESK_SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}


def test_every_dead_letter_queue_and_sla_breaches_raise_an_alarm_to_the_alarm_topic() -> None:
    resources = _resources()
    queues = sorted(name for name, r in resources.items() if name.endswith("DeadLetterQueue"))
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}

    watched = sorted(
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in alarms.values()
        if alarm.get("Namespace") == "AWS/SQS"
    )
    assert (
        watched
        == queues
        == [
            "AutomationsDeadLetterQueue",
            "EventsOutDeadLetterQueue",
            "FeedbackDeadLetterQueue",
            "IngestDeadLetterQueue",
            "SchedulerDeadLetterQueue",
            "SearchIndexDeadLetterQueue",
            "SlaDeadLetterQueue",
            "SurveyDeadLetterQueue",
            "WebhookDeadLetterQueue",
        ]
    )
    breach = alarms["SlaBreachAlarm"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in breach["Metrics"] if "MetricStat" in m}
    assert names == {"SlaBreaches"} and breach["Threshold"] == 1
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms.values())


def test_every_function_raises_an_alarm_on_its_first_error_and_its_first_throttle() -> None:
    resources = _resources()
    functions = sorted(name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function")
    watched = sorted(
        (alarm["MetricName"], alarm["Dimensions"][0]["Value"]["Ref"])
        for alarm in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm")
        if alarm.get("Namespace") == "AWS/Lambda"
    )

    assert functions == [
        "APIHandler",
        "Automations",
        "EventsOut",
        "Feedback",
        "Ingest",
        "SearchIndex",
        "Sla",
        "Survey",
        "WebhookSender",
    ]
    assert watched == sorted((metric, name) for metric in ("Errors", "Throttles") for name in functions)
    for name in functions:
        for metric in ("Errors", "Throttles"):
            alarm = resources[f"{name}{metric}Alarm"]["Properties"]
            assert (alarm["Statistic"], alarm["Threshold"], alarm["Period"]) == ("Sum", 1, 300)
            assert alarm["TreatMissingData"] == "notBreaching"


def test_the_dashboard_shows_only_metrics_the_desk_emits() -> None:
    import json
    import re
    from pathlib import Path

    body = json.loads(_resources()["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    shown: set[str] = set()
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            if isinstance(metric[0], dict):
                shown |= set(re.findall(r'MetricName="(\w+)"', metric[0]["expression"]))
            elif metric[0] == "Postdesk":
                shown.add(metric[1])
    source = "\n".join(
        p.read_text() for p in (Path(__file__).parents[2] / "shared" / "postdesk").rglob("*.py")
    )
    assert shown and all(f'"{name}"' in source for name in shown), sorted(shown)
    assert {"TicketsCreated", "SlaBreaches", "FirstResponseSeconds", "SlaMissed", "FollowUpsFlagged"} <= shown


def test_every_function_keeps_its_logs_for_the_retention_chosen() -> None:
    resources = _resources()
    groups = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}

    assert sorted(groups) == [
        "APIHandlerLogGroup",
        "AutomationsLogGroup",
        "EventsOutLogGroup",
        "FeedbackLogGroup",
        "IngestLogGroup",
        "SearchIndexLogGroup",
        "SlaLogGroup",
        "SurveyLogGroup",
        "WebhookSenderLogGroup",
    ]
    for name, group in groups.items():
        function = name.removesuffix("LogGroup")
        assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${" + function + "}"}
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template()["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_the_feedback_function_hears_ses_through_the_topic_and_the_reputation_alarms_ring_early() -> None:
    resources = _resources()
    feedback = resources["Feedback"]["Properties"]
    (event,) = feedback["Events"].values()
    configuration_set_events = resources["MailFeedbackEvents"]["Properties"]["EventDestination"]

    assert event == {"Type": "SNS", "Properties": {"Topic": {"Ref": "MailFeedbackTopic"}}}
    assert configuration_set_events["SnsDestination"] == {"TopicARN": {"Ref": "MailFeedbackTopic"}}
    assert {"bounce", "complaint"} <= set(configuration_set_events["MatchingEventTypes"])
    alarms = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace") == "AWS/SES"
    }
    # SES reviews an account at 5 % bounces and 0.1 % complaints: the alarms ring at well under half.
    assert alarms["Reputation.BounceRate"]["Threshold"] <= 0.05 / 2
    assert alarms["Reputation.ComplaintRate"]["Threshold"] <= 0.001 / 2
    assert all(a["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" for a in alarms.values())
