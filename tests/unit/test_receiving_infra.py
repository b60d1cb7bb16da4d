"""Receiving in infra/template.json: SES stores the raw mail first, then invokes ingest; only SES of
this account may do either; the bucket keeps raw mail and attachments for a while, over TLS only."""

from __future__ import annotations

from typing import Any

from postdesk_tools.provision import template
from tests.iam import Stack


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = template()["Resources"]
    return resources


def test_the_receipt_rule_stores_the_mail_then_invokes_ingest_asynchronously() -> None:
    rule = _resources()["ReceiptRule"]

    actions = rule["Properties"]["Rule"]["Actions"]
    assert [next(iter(action)) for action in actions] == ["S3Action", "LambdaAction"]
    assert actions[0]["S3Action"] == {"BucketName": {"Ref": "MailBucket"}, "ObjectKeyPrefix": "inbound/"}
    assert actions[1]["LambdaAction"] == {
        "FunctionArn": {"Fn::GetAtt": ["Ingest", "Arn"]},
        "InvocationType": "Event",
    }
    assert rule["Properties"]["Rule"]["ScanEnabled"] is True
    assert rule["Properties"]["Rule"]["TlsPolicy"] == {"Ref": "RequireTls"}
    assert template()["Parameters"]["RequireTls"]["AllowedValues"] == ["Optional", "Require"]
    # The rule waits for the permissions it needs, so SES's first mail does not bounce.
    assert set(rule["DependsOn"]) == {"MailBucketPolicy", "IngestSesPermission"}


def test_only_ses_of_this_account_writes_mail_and_invokes_ingest() -> None:
    resources = _resources()

    permission = resources["IngestSesPermission"]["Properties"]
    assert (permission["Principal"], permission["SourceAccount"]) == (
        "ses.amazonaws.com",
        {"Ref": "AWS::AccountId"},
    )
    statements = {
        s["Sid"]: s for s in resources["MailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    }
    ses = statements["SesOfThisAccountWritesInboundMail"]
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"} and ses["Action"] == "s3:PutObject"
    assert ses["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert statements["TlsOnly"]["Effect"] == "Deny"


def test_the_bucket_is_private_encrypted_and_forgets_raw_mail_and_attachments() -> None:
    bucket = _resources()["MailBucket"]["Properties"]

    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    expiring = {
        rule["Prefix"]: rule.get("ExpirationInDays") for rule in bucket["LifecycleConfiguration"]["Rules"]
    }
    assert expiring["inbound/"] and expiring["attachments/"]


def _mailbox_stack(domains: str) -> Stack:
    """The template's intrinsics on a stack of support@example.com with ``domains`` as MailboxDomains."""
    return Stack(
        "test",
        "eu-west-1",
        "123456789012",
        {"SupportAddress": "support@example.com", "MailboxDomains": domains},
        {},
        conditions=template()["Conditions"],
    )


def test_the_receipt_rule_takes_the_mail_of_every_mailbox_domain() -> None:
    recipients = _resources()["ReceiptRule"]["Properties"]["Rule"]["Recipients"]

    assert _mailbox_stack("").resolve(recipients) == ["example.com"]
    assert _mailbox_stack("other.example,third.example").resolve(recipients) == [
        "example.com",
        "other.example",
        "third.example",
    ]
    # And every function hears of the desk's other addresses
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POSTDESK_MAILBOXES"] == {"Ref": "Mailboxes"}


def test_the_roles_that_send_as_the_desk_send_from_the_other_domains_and_only_from_them() -> None:
    senders = 0
    for resource in _resources().values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            statements = policy["PolicyDocument"]["Statement"]
            if not any(isinstance(s, dict) and s.get("Sid") == "SendAsTheDesk" for s in statements):
                continue
            senders += 1
            (others,) = [s for s in statements if "Fn::If" in s]
            # No other domain: no statement at all
            assert _mailbox_stack("").resolve([others]) == []
            # Other domains: any identity of the account, but only with a From on those domains
            (statement,) = _mailbox_stack("other.example,third.example").resolve([others])
            assert statement["Action"] == "ses:SendRawEmail"
            assert statement["Resource"] == "arn:aws:ses:eu-west-1:123456789012:identity/*"
            assert statement["Condition"] == {
                "StringLike": {"ses:FromAddress": ["*@other.example", "*@third.example"]}
            }
    assert senders == 5  # Ingest, APIHandler, Survey, Sla, Automations
