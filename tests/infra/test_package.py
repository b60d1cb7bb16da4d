"""The artifact, not just the source: what `chalice package` with infra/template.json merged in
produces, checked function by function, and the zip run as Lambda runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postdesk_tools.package import FUNCTIONS_DIR, package
from postdesk_tools.provision import template
from tests.infra.cloudformation import MOTO_SKIPS, SSO_ONLY, for_moto, infra_tool, translate

# SES production accounts start at 14 mails a second: the mail-sending functions together stay at
# or below that many concurrent invocations.
SES_SENDING_RATE = 14
MAIL_SENDERS = ("APIHandler", "Ingest", "Survey", "Sla", "Automations")
CHALICE_NAMES = {
    "APIHandler": "api_handler",
    "Ingest": "ingest",
    "Survey": "survey",
    "Sla": "sla",
    "Automations": "automations",
    "Feedback": "feedback",
    "SearchIndex": "search_index",
    "EventsOut": "events_out",
    "WebhookSender": "webhook_sender",
}
# Fed by DynamoDB Streams: a failed batch's position goes to the mapping's on-failure queue instead.
STREAM_FED = {
    "SearchIndex": ("SearchIndexFeedTickets", "SearchIndexFeedTicketLog"),
    "EventsOut": ("EventsOutFeed",),
}
# Fed by SQS: a message that failed its last try goes to the queue's dead-letter queue (its redrive policy).
QUEUE_FED = {"WebhookSender": ("WebhookSenderFeed", "WebhookDeliveryQueue", "WebhookDeadLetterQueue")}
DEV_ONLY = ("pytest", "moto", "playwright", "ruff", "mypy", "aiosmtpd", "jsonschema", "yaml", "xdist")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    try:
        package(out)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"chalice package failed:\n{error.stdout}\n{error.stderr}")
    return out


@pytest.fixture(scope="module")
def functions(packaged: Path) -> dict[str, dict[str, Any]]:
    template = json.loads((packaged / "sam.json").read_text())
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_every_function_of_the_app_is_in_the_template(functions: dict[str, dict[str, Any]]) -> None:
    assert sorted(functions) == sorted(CHALICE_NAMES)


@pytest.mark.parametrize("name", sorted(CHALICE_NAMES))
def test_every_function_is_configured_on_purpose(functions: dict[str, dict[str, Any]], name: str) -> None:
    config = json.loads((FUNCTIONS_DIR.parent / "chalicefile.json").read_text())
    chosen = config["stages"]["dev"]["lambda_functions"][CHALICE_NAMES[name]]
    function = functions[name]

    assert function["Runtime"] == "python3.13"
    # Memory and timeout come from chalicefile.json, set there for this function (not defaults).
    assert (function["MemorySize"], function["Timeout"]) == (
        chosen["lambda_memory_size"],
        chosen["lambda_timeout"],
    )
    if name in STREAM_FED:
        resources = json.loads((FUNCTIONS_DIR.parent / "infra" / "template.json").read_text())["Resources"]
        for mapping in STREAM_FED[name]:
            properties = resources[mapping]["Properties"]
            assert properties["FunctionName"] == {"Ref": name}
            assert properties["BisectBatchOnFunctionError"] is True
            failed = properties["DestinationConfig"]["OnFailure"]["Destination"]
            assert failed == {"Fn::GetAtt": [f"{name}DeadLetterQueue", "Arn"]}
        if name == "SearchIndex":
            # One batch at a time: the index has one writer (docs/search.md).
            assert function["ReservedConcurrentExecutions"] == 1
    elif name in QUEUE_FED:
        resources = json.loads((FUNCTIONS_DIR.parent / "infra" / "template.json").read_text())["Resources"]
        mapping, queue, dead_letters = QUEUE_FED[name]
        properties = resources[mapping]["Properties"]
        assert properties["FunctionName"] == {"Ref": name}
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue_properties = resources[queue]["Properties"]
        assert queue_properties["RedrivePolicy"]["deadLetterTargetArn"] == {
            "Fn::GetAtt": [dead_letters, "Arn"]
        }
        # SQS's advice: a visibility timeout of at least six times the function's.
        assert queue_properties["VisibilityTimeout"] >= 6 * function["Timeout"]
    elif name != "APIHandler":
        # Invoked asynchronously (SES, Scheduler): what fails every retry lands in a queue.
        dead_letters = function["DeadLetterQueue"]
        assert dead_letters["Type"] == "SQS"
        assert dead_letters["TargetArn"]["Fn::GetAtt"][0].endswith("DeadLetterQueue")


def test_every_function_runs_with_a_role_of_its_own(packaged: Path) -> None:
    resources = json.loads((packaged / "sam.json").read_text())["Resources"]
    roles = {
        name: resource["Properties"]["Role"]
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    # Chalice's shared DefaultRole is gone; each function names its own role, made in infra/.
    assert "DefaultRole" not in resources
    assert roles == {name: {"Fn::GetAtt": [f"{name}Role", "Arn"]} for name in CHALICE_NAMES}
    for name in CHALICE_NAMES:
        role = resources[f"{name}Role"]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
        statements = [
            _conditional(s) for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]
        ]
        assert statements and all(s["Effect"] == "Allow" for s in statements)
        # No wildcard actions and no statement on every resource.
        actions = [
            a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        assert not [a for a in actions if "*" in a], actions
        assert not [s for s in statements if s["Resource"] == "*"]


def _conditional(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement as it is when its condition holds: ``{"Fn::If": [condition, statement,
    {"Ref": "AWS::NoValue"}]}`` (a grant only some stacks have, such as sending as other brands)."""
    if "Fn::If" not in statement:
        return statement
    _, present, absent = statement["Fn::If"]
    assert absent == {"Ref": "AWS::NoValue"}
    return dict(present)


def test_the_functions_that_send_mail_cannot_outrun_ses(functions: dict[str, dict[str, Any]]) -> None:
    caps = {name: functions[name].get("ReservedConcurrentExecutions") for name in MAIL_SENDERS}

    assert all(isinstance(cap, int) and cap > 0 for cap in caps.values()), caps
    assert sum(caps[name] for name in ("Ingest", "Survey", "Sla", "Automations")) <= 2 * SES_SENDING_RATE


def test_the_zip_holds_the_app_and_no_tests_corpora_or_dev_dependencies(packaged: Path) -> None:
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = archive.namelist()
    tops = {name.split("/", 1)[0] for name in names}

    assert {"app.py", "postdesk", "postdesk_templates", "chalice", "boto3", "pynamodb", "holidays"} <= tops
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or "/corpora/" in n]
    assert not [
        top for top in tops if top.split("-")[0].lower() in DEV_ONLY or top.lower().startswith(DEV_ONLY)
    ]
    assert "postdesk/sla/policy.toml" in names and "postdesk/triage/rules.toml" in names


def test_nothing_of_development_goes_to_production(packaged: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "task")

    # The tools (local stack, deploy, cost model, training, demo mail, load driver) are not packaged.
    assert not [n for n in names if n.startswith(("postdesk_tools/", "postdesk/devtools/"))]
    assert not [n for n in names if n.endswith(".eml")]
    # The packaged app serves no route of the local stack's: the outbox is registered by it alone.
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import app; "
        "print(json.dumps(sorted(app.app.routes)))"
    )
    listed = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-S", "-I", "-c", code, str(tmp_path / "task")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"},
        timeout=120,
        check=True,
    )
    routes = json.loads(listed.stdout.strip().splitlines()[-1])
    assert "/tickets" in routes and "/survey/{token}" in routes and "/console" in routes
    assert "/outbox" not in routes


@pytest.fixture
def unpacked(packaged: Path, tmp_path: Path) -> Path:
    target = tmp_path / "task"
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        archive.extractall(target)
    return target


@pytest.fixture
def moto_environment() -> Iterator[dict[str, str]]:
    from postdesk_tools.local_server import moto_desk

    with moto_desk("artifact") as (_, environment):
        yield environment


def test_the_unpacked_zip_handles_a_mail_in_a_fresh_process(
    unpacked: Path, moto_environment: dict[str, str]
) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from postdesk.settings import Settings
    from postdesk_tools.ses_events import store_and_describe
    from tests.mails import build_mail

    settings = Settings.from_environment(moto_environment)
    event = store_and_describe(
        build_mail(),
        bucket=settings.mail_bucket,
        prefix=settings.raw_mail_prefix,
        region=settings.region,
        recipients=[settings.support_address],
        envelope_sender="jane.doe@customer.example",
    )
    # As Lambda's /var/task: the standard library and the unpacked zip, nothing else (-S -I).
    # Lambda's context, as the runtime passes it (the app's middleware logs with it).
    code = (
        "import json, sys, types; sys.path.insert(0, sys.argv[1]); import app; "
        "context = types.SimpleNamespace(function_name='postdesk-prod-ingest', memory_limit_in_mb=512, "
        "invoked_function_arn='arn:aws:lambda:eu-west-1:123456789012:function:postdesk-prod-ingest', "
        "aws_request_id='0f7c2f6e-1111-2222-3333-444455556666'); "
        "print(json.dumps(app.ingest(json.load(sys.stdin), context)))"
    )
    environment = {**moto_environment, "PATH": "/usr/bin:/bin", "HOME": str(unpacked)}
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-S", "-I", "-c", code, str(unpacked)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=unpacked,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = json.loads(done.stdout.strip().splitlines()[-1])["results"]
    assert result["created"] is True and result["ack"] == "sent"
    sent = ses_backends[DEFAULT_ACCOUNT_ID][settings.region].sent_messages
    assert len(sent) == 1 and "[#" + result["ref"] + "]" in str(sent[0].raw_data)


def test_cfn_lint_passes_on_the_final_template(packaged: Path) -> None:
    linted = subprocess.run(  # noqa: S603 - the infra tools' own cfn-lint
        [str(infra_tool("cfn-lint")), str(packaged / "sam.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.fixture(scope="module")
def translated(packaged: Path) -> dict[str, Any]:
    return translate(json.loads((packaged / "sam.json").read_text()), packaged)


def test_the_translated_template_has_no_sam_left(translated: dict[str, Any]) -> None:
    types = {resource["Type"] for resource in translated["Resources"].values()}

    assert "Transform" not in translated
    assert not [t for t in types if t.startswith("AWS::Serverless::")]
    assert {"AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"} <= types


def test_the_gateway_responses_are_in_the_apis_definition_so_in_its_deployment(
    translated: dict[str, Any],
) -> None:
    resources = translated["Resources"].values()
    (api,) = [r for r in resources if r["Type"] == "AWS::ApiGateway::RestApi"]
    (deployment,) = [r for r in resources if r["Type"] == "AWS::ApiGateway::Deployment"]
    responses = api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    declared = template()["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]

    assert set(responses) == set(declared)
    throttled = responses["THROTTLED"]
    assert throttled["statusCode"] == "429"
    assert throttled["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    assert json.loads(throttled["responseTemplates"]["application/json"])["error"] == "TooManyRequests"
    assert deployment["Properties"]["RestApiId"] == {"Ref": "RestAPI"}


def test_its_plain_resources_are_created_in_motos_cloudformation(
    packaged: Path, translated: dict[str, Any]
) -> None:
    import boto3
    from moto import mock_aws

    from postdesk.settings import Settings

    plain = for_moto(translated)
    resources = plain["Resources"]
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket="postdesk-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.upload_file(str(packaged / "deployment.zip"), "postdesk-artifacts", "deployment.zip")
        cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        cloudformation.create_stack(
            StackName="postdesk",
            TemplateBody=json.dumps(
                {
                    "AWSTemplateFormatVersion": "2010-09-09",
                    "Parameters": plain["Parameters"],
                    "Conditions": plain["Conditions"],
                    "Resources": resources,
                }
            ),
            Parameters=[{"ParameterKey": "SupportAddress", "ParameterValue": "support@example.com"}],
            Capabilities=["CAPABILITY_IAM"],
        )
        stack = cloudformation.describe_stacks(StackName="postdesk")["Stacks"][0]
        summaries = cloudformation.list_stack_resources(StackName="postdesk")["StackResourceSummaries"]
        created = {s["LogicalResourceId"]: s["ResourceType"] for s in summaries if s["ResourceType"]}
        tickets = next(s["PhysicalResourceId"] for s in summaries if s["LogicalResourceId"] == "TicketsTable")
        pool_id = next(s["PhysicalResourceId"] for s in summaries if s["LogicalResourceId"] == "UserPool")
        pool = boto3.client("cognito-idp", region_name="eu-west-1").describe_user_pool(UserPoolId=pool_id)
        indexes = boto3.client("dynamodb", region_name="eu-west-1").describe_table(TableName=tickets)["Table"]
        functions = boto3.client("lambda", region_name="eu-west-1").list_functions()["Functions"]

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    skipped = {resources[name]["Type"] for name in set(resources) - set(created) - SSO_ONLY}
    assert skipped == MOTO_SKIPS
    # Without single sign-on, no identity provider or sign-in domain; the pool and its client are made.
    assert not SSO_ONLY & set(created)
    assert pool["UserPool"]["MfaConfiguration"] == "OPTIONAL"
    assert pool["UserPool"]["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert {"UserPool", "UserPoolClient"} <= set(created)
    assert sorted(created.values()).count("AWS::DynamoDB::Table") == 14
    assert {i["IndexName"] for i in indexes["GlobalSecondaryIndexes"]} >= {"status-waiting", "follow-up"}
    assert sorted(f["Runtime"] for f in functions) == ["python3.13"] * len(CHALICE_NAMES)
    # Every function gets the desk's settings: the tables, the bucket, the secret, the address.
    for function in functions:
        variables = function["Environment"]["Variables"]
        assert variables["POSTDESK_SUPPORT_ADDRESS"] == "support@example.com"
        assert variables["POSTDESK_TICKETS_TABLE"] == tickets
        # The pool the stack made, and no single sign-on without its parameters.
        assert variables["POSTDESK_USER_POOL_ID"] == pool_id
        assert variables["POSTDESK_SSO_PROVIDER"] == variables["POSTDESK_SSO_DOMAIN"] == ""
        # The secret is one of the resources moto skips, so its Ref (the secret id) is not set here.
        assert "POSTDESK_SIGNING_SECRET_ID" not in variables
        # Lambda's environment is strings; moto's CloudFormation passes a Number parameter as an int.
        complete = {
            **{name: str(value) for name, value in variables.items()},
            "POSTDESK_SIGNING_SECRET_ID": "skipped-by-moto",
            "AWS_REGION": "eu-west-1",
        }
        assert Settings.from_environment(complete).tables.tickets == tickets


@pytest.mark.parametrize("provider", ["OIDC", "SAML"])
def test_single_sign_on_parameters_make_the_provider_the_domain_and_the_clients_code_flow(
    packaged: Path, translated: dict[str, Any], provider: str
) -> None:
    import boto3
    from moto import mock_aws

    plain = for_moto(translated)
    given = {
        "SupportAddress": "support@example.com",
        "PublicUrl": "https://desk.example.com",
        "SsoProviderType": provider,
        "SsoProviderName": "Okta",
        "SsoDomainPrefix": "example-desk",
        **(
            {"SsoMetadataUrl": "https://idp.example.com/metadata.xml"}
            if provider == "SAML"
            else {
                "SsoOidcIssuer": "https://idp.example.com",
                "SsoClientId": "desk-client",
                "SsoClientSecret": "desk-secret",
            }
        ),
    }
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket="postdesk-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.upload_file(str(packaged / "deployment.zip"), "postdesk-artifacts", "deployment.zip")
        cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        cloudformation.create_stack(
            StackName="postdesk",
            TemplateBody=json.dumps(
                {
                    "AWSTemplateFormatVersion": "2010-09-09",
                    "Parameters": plain["Parameters"],
                    "Conditions": plain["Conditions"],
                    "Resources": plain["Resources"],
                    "Outputs": {
                        name: plain["Outputs"][name] for name in ("SsoIdpResponseUrl", "SsoSamlAudience")
                    },
                }
            ),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in given.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        stack = cloudformation.describe_stacks(StackName="postdesk")["Stacks"][0]
        summaries = cloudformation.list_stack_resources(StackName="postdesk")["StackResourceSummaries"]
        made = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
        cognito = boto3.client("cognito-idp", region_name="eu-west-1")
        client = cognito.describe_user_pool_client(
            UserPoolId=made["UserPool"], ClientId=made["UserPoolClient"]
        )["UserPoolClient"]
        idp = cognito.describe_identity_provider(UserPoolId=made["UserPool"], ProviderName="Okta")
        domain = cognito.describe_user_pool_domain(Domain="example-desk")["DomainDescription"]
        functions = boto3.client("lambda", region_name="eu-west-1").list_functions()["Functions"]

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["CallbackURLs"] == ["https://desk.example.com/session/sso"]
    assert client["SupportedIdentityProviders"] == ["Okta"]
    details = idp["IdentityProvider"]["ProviderDetails"]
    assert idp["IdentityProvider"]["ProviderType"] == provider
    if provider == "SAML":
        assert details == {"MetadataURL": "https://idp.example.com/metadata.xml"}
    else:
        assert details["oidc_issuer"] == "https://idp.example.com"
        assert details["client_id"] == "desk-client"
        assert details["authorize_scopes"] == "openid email profile"
    assert idp["IdentityProvider"]["AttributeMapping"]["email"]
    assert domain["UserPoolId"] == made["UserPool"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    path = "saml2" if provider == "SAML" else "oauth2"
    assert (
        outputs["SsoIdpResponseUrl"]
        == f"https://example-desk.auth.eu-west-1.amazoncognito.com/{path}/idpresponse"
    )
    assert outputs["SsoSamlAudience"] == f"urn:amazon:cognito:sp:{made['UserPool']}"
    for function in functions:
        variables = function["Environment"]["Variables"]
        assert variables["POSTDESK_SSO_PROVIDER"] == "Okta"
        assert variables["POSTDESK_SSO_DOMAIN"] == "https://example-desk.auth.eu-west-1.amazoncognito.com"


def test_the_dry_run_builds_validates_and_prints_the_plan_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from postdesk_tools.deploy import main

    infra_tool("cfn-lint")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    out = io.StringIO()

    code = main(
        [
            *("--dry-run", "--domain", "support.example.com", "--out", str(tmp_path)),
            *("--parameter", "RawMailRetentionDays=90"),
        ],
        out,
    )

    text = out.getvalue()
    assert code == 0, text
    assert "cfn-lint passed" in text and (tmp_path / "deploy-dev" / "deployment.zip").exists()
    assert "support.example.com  MX  10 inbound-smtp.eu-west-1.amazonaws.com" in text
    assert "v=spf1 include:amazonses.com ~all" in text and "_dmarc.support.example.com" in text
    assert "AWS::SES::ReceiptRule" in text
    # One column for the functions' settings, however long their names.
    assert "  Ingest        python3.13, 512 MB, 60 s, at most 10 at once" in text
    assert "  WebhookSender python3.13" in text
    assert "given: RawMailRetentionDays=90" in text
    assert "set-active-receipt-rule-set" in text and "sandbox" in text
