"""`make deploy` as it runs against an account, here a moto server: the package is built and
uploaded, the stack is made through the AWS CLI's change sets, the outputs and DNS records are printed,
and a second run with nothing changed changes nothing."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from postdesk_tools import deploy
from tests.infra.cloudformation import for_moto, infra_tool, translate

REGION = "eu-west-1"
DOMAIN = "support.example.com"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A moto server whose CloudFormation expands the SAM transform, as CloudFormation does, and
    whose executed change sets leave the stack as CloudFormation leaves it (moto keeps the stack's
    outputs and parameters from before)."""
    from moto.cloudformation.models import CloudFormationBackend
    from moto.server import ThreadedMotoServer

    create_change_set = CloudFormationBackend.create_change_set
    execute_change_set = CloudFormationBackend.execute_change_set

    def with_the_transform(
        self: Any, stack_name: str, change_set_name: str, template: str, *args: Any, **kw: Any
    ) -> Any:
        body = json.loads(template)
        if body.get("Transform") == "AWS::Serverless-2016-10-31":
            template = json.dumps(for_moto(translate(body, tmp_path)), sort_keys=True)
        # CloudFormation compares a stack's effective parameters: the defaults filled in, all strings.
        given = {name: str(value) for name, value in (kw.get("parameters") or {}).items()}
        defaults = {
            name: str(declared["Default"])
            for name, declared in body.get("Parameters", {}).items()
            if "Default" in declared
        }
        kw["parameters"] = {**defaults, **given}
        return create_change_set(self, stack_name, change_set_name, template, *args, **kw)

    def and_its_outputs(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        execute_change_set(self, change_set_name, stack_name)
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.parameters = change_set.parameters
        stack.output_map = stack._create_output_map()

    monkeypatch.setattr(CloudFormationBackend, "create_change_set", with_the_transform)
    monkeypatch.setattr(CloudFormationBackend, "execute_change_set", and_its_outputs)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # "localhost": moto finds the bucket of a path-style template URL only under that name.
    environment = {
        "AWS_ENDPOINT_URL": f"http://localhost:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    try:
        yield environment
    finally:
        server.stop()


def _client(environment: dict[str, str], service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _deploy(
    environment: dict[str, str], out_dir: Path, parameters: tuple[tuple[str, str], ...] = ()
) -> tuple[int, str]:
    out = io.StringIO()
    target = deploy.Target(
        stage="dev", domain=DOMAIN, region=REGION, create_mail_identity=False, parameters=parameters
    )
    cli = deploy.AwsCli(REGION, environment=environment)
    code = deploy.deploy(target, out_dir, out, cli)
    return code, out.getvalue()


def test_the_deploy_makes_the_stack_prints_what_is_left_and_a_second_run_changes_nothing(
    account: dict[str, str], tmp_path: Path
) -> None:
    infra_tool("aws")
    # An account as many are: the domain already an identity (so DKIM tokens come from SES), and an
    # older receipt rule set active.
    ses = _client(account, "ses")
    ses.verify_domain_dkim(Domain=DOMAIN)
    ses.create_receipt_rule_set(RuleSetName="older-rules")
    ses.set_active_receipt_rule_set(RuleSetName="older-rules")

    code, first = _deploy(account, tmp_path / "build", (("ClosedTicketRetentionDays", "365"),))

    assert code == 0, first
    cloudformation = _client(account, "cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName="postdesk-dev")["Stacks"]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert parameters["SupportAddress"] == f"support@{DOMAIN}"
    assert parameters["ClosedTicketRetentionDays"] == "365"
    # The survey links point at the API the stack made (set by the second step of a first deploy).
    assert (
        parameters["PublicUrl"] == outputs["EndpointURL"].rstrip("/")
        and "execute-api" in outputs["EndpointURL"]
    )
    functions = _client(account, "lambda").list_functions()["Functions"]
    assert sorted(f["Runtime"] for f in functions) == ["python3.13"] * 9
    roles = {f["FunctionName"].split("-")[2]: f["Role"] for f in functions}
    # A role of its own for each function.
    assert len(set(roles.values())) == len(functions), roles
    (artifacts,) = [
        b["Name"] for b in _client(account, "s3").list_buckets()["Buckets"] if "artifacts" in b["Name"]
    ]
    keys = [o["Key"] for o in _client(account, "s3").list_objects_v2(Bucket=artifacts)["Contents"]]
    assert any(key.startswith("postdesk-dev/") and not key.endswith(".template") for key in keys)
    assert "cfn-lint passed" in first
    assert f"{DOMAIN}  MX  10 inbound-smtp.{REGION}.amazonaws.com" in first
    assert f"_dmarc.{DOMAIN}" in first and "v=spf1 include:amazonses.com ~all" in first
    dkim = [line for line in first.splitlines() if "._domainkey." in line]
    assert len(dkim) == 3 and not [line for line in dkim if "<dkim-token" in line]
    assert "older-rules" in first and "set-active-receipt-rule-set --rule-set-name" in first
    assert "EndpointURL" in first and "postdesk agents invite" in first

    events = cloudformation.describe_stack_events(StackName="postdesk-dev")["StackEvents"]
    code, second = _deploy(account, tmp_path / "build")

    assert code == 0, second
    # Run without the parameter: the stack keeps the value it has, so nothing changes
    assert "no changes: nothing was deployed" in second
    assert cloudformation.describe_stack_events(StackName="postdesk-dev")["StackEvents"] == events
    (stack,) = cloudformation.describe_stacks(StackName="postdesk-dev")["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
        "ClosedTicketRetentionDays"
    ] in ("365", 365)
    assert "Pointing the survey links" not in second


def test_the_zip_is_the_same_when_the_code_is(tmp_path: Path) -> None:
    first = deploy.build("dev", REGION, tmp_path / "one")
    second = deploy.build("dev", REGION, tmp_path / "two")

    assert (first.parent / "deployment.zip").read_bytes() == (second.parent / "deployment.zip").read_bytes()


def test_a_failing_step_stops_the_deploy_with_what_aws_said(account: dict[str, str], tmp_path: Path) -> None:
    infra_tool("aws")
    unreachable = {**account, "AWS_ENDPOINT_URL": f"http://localhost:{_free_port()}"}
    target = deploy.Target(stage="dev", domain=DOMAIN, region=REGION)

    with pytest.raises(deploy.DeployError, match="sts get-caller-identity failed"):
        deploy.deploy(
            target, tmp_path / "build", io.StringIO(), deploy.AwsCli(REGION, environment=unreachable)
        )


def test_an_address_off_the_domain_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    out = io.StringIO()

    code = deploy.main(
        ["--domain", DOMAIN, "--support-address", "help@elsewhere.example", "--out", str(tmp_path)], out
    )

    assert code == 2 and "is not on the domain support.example.com" in out.getvalue()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--support-address", "help@elsewhere.example"], "is not on the domain support.example.com"),
        (["--parameter", "RawMailRetentionDays"], "A --parameter is KEY=VALUE"),
        (["--mailboxes", "billing@example.com"], "--mailboxes:"),
    ],
)
def test_the_dry_run_refuses_what_the_deploy_would_before_anything_is_built(
    tmp_path: Path, arguments: list[str], said: str
) -> None:
    out = io.StringIO()

    code = deploy.main(["--dry-run", "--domain", DOMAIN, "--out", str(tmp_path), *arguments], out)

    assert code == 2 and said in out.getvalue()
    assert not list(tmp_path.iterdir())


def test_a_parameter_the_stack_does_not_have_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    out = io.StringIO()
    target = deploy.Target(stage="dev", domain=DOMAIN, region=REGION, parameters=(("RetentionDays", "9"),))

    code = deploy.deploy(
        target, tmp_path / "build", out, deploy.AwsCli(REGION, environment={"PATH": "/nowhere"})
    )

    assert code == 2 and "The stack has no parameter RetentionDays" in out.getvalue()
    assert "ClosedTicketRetentionDays" in out.getvalue()


def test_mailboxes_set_both_parameters_so_the_rule_and_the_roles_cover_their_domains() -> None:
    target = deploy.Target(stage="dev", domain=DOMAIN, region="eu-west-1")
    out = io.StringIO()

    given = f"billing@{DOMAIN}=billing:Billing,help@other.example=general:Other Brand"
    chosen = deploy._with_mailboxes(target, given, out)

    assert chosen is not None
    assert dict(chosen.parameters) == {"Mailboxes": given, "MailboxDomains": "other.example"}
    assert "other.example" in out.getvalue() and "verified SES identity" in out.getvalue()
    # A mistake is said, naming the entry, and nothing is deployed
    assert deploy._with_mailboxes(target, "billing=billing:Billing", out) is None
    assert "--mailboxes: POSTDESK_MAILBOXES: 'billing=billing:Billing'" in out.getvalue()


def test_no_record_asks_for_reports_to_the_desks_own_domain() -> None:
    # SES receives every address of the domain: reports sent there would arrive as tickets.
    records = deploy.dns_records(DOMAIN, REGION)

    (dmarc,) = [r for r in records if r["name"] == f"_dmarc.{DOMAIN}"]
    assert dmarc["value"].startswith("v=DMARC1; p=")
    assert not [r for r in records if f"@{DOMAIN}" in r["value"]]
    assert "outside this domain" in dmarc["why"]
