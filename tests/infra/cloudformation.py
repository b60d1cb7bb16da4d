"""What moto's CloudFormation can be given of the desk's translated template, shared by the test of
the template and the test of the deploy.

CloudFormation expands the SAM transform on its side; moto does not, so the deploy's test server
expands it with the same aws-sam-translator the checks use (infra/translate.py in .venv-infra)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
INFRA_TOOLS = CHECKOUT / ".venv-infra" / "bin"

# Moto cannot make these: the stage and deployment of the API from Chalice's swagger, and the
# permission that names them. The API itself is kept without its swagger (moto cannot read it).
NOT_SENT_TO_MOTO = {
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::Lambda::Permission",
}
# What moto's CloudFormation skips silently (it has no model for them).
MOTO_SKIPS = {
    "AWS::SecretsManager::Secret",
    "AWS::CloudWatch::Alarm",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::SES::ReceiptRuleSet",
    "AWS::SES::ReceiptRule",
    "AWS::S3::BucketPolicy",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SES::EmailIdentity",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
}
# What the stack makes only with single sign-on (stack parameters SsoProviderType and the rest).
SSO_ONLY = {"SsoIdentityProvider", "SsoDomain"}


def infra_tool(name: str) -> Path:
    """A tool of the infra virtualenv; in CI its absence fails the test, elsewhere it skips."""
    tool = INFRA_TOOLS / name
    if not tool.exists():
        message = f"{tool} is missing: make infra-tools installs it (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return tool


def translate(template: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    """The SAM template expanded to plain CloudFormation, as CloudFormation's transform does."""
    source, target = work_dir / "sam-for-translation.json", work_dir / "translated.json"
    source.write_text(json.dumps(template), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - the infra tools' interpreter and our script
        [str(infra_tool("python")), str(CHECKOUT / "infra" / "translate.py"), str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"the SAM translation failed:\n{done.stderr[-3000:]}")
    translated: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return translated


def for_moto(translated: dict[str, Any]) -> dict[str, Any]:
    """The translated template without what moto cannot create."""
    resources = {
        name: json.loads(json.dumps(resource))
        for name, resource in translated["Resources"].items()
        if resource["Type"] not in NOT_SENT_TO_MOTO
    }
    for resource in resources.values():
        if "DependsOn" in resource:
            depends = resource["DependsOn"]
            resource["DependsOn"] = [
                d for d in ([depends] if isinstance(depends, str) else depends) if d in resources
            ]
        if resource["Type"] == "AWS::ApiGateway::RestApi":
            properties = resource["Properties"]
            properties.pop("Body", None)
            properties.pop("BodyS3Location", None)
            properties["Name"] = "postdesk"
    return {**translated, "Resources": resources}
