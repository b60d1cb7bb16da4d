"""`make deploy STAGE=dev DOMAIN=support.example.com`: the one command that puts the desk into an AWS
account, and `make deploy DRY_RUN=1 ...`, which builds and checks the same artifact without one.

The deploy packages the app with Chalice (infra/template.json merged in), makes the zip byte-for-byte
reproducible, and hands the rest to the AWS CLI from the infra tools' own virtualenv
(`aws cloudformation package` uploads the zip under its checksum, `aws cloudformation deploy` makes a
change set with the SAM transform, executes it and waits). Unchanged code gives the same zip, the same
key and the same template, so a second run finds an empty change set and changes nothing.

Afterwards it prints the stack's outputs, the DNS records the domain needs (with the DKIM tokens SES
made) and the steps that are left to a person. A first deploy is followed by one update that points
the survey links at the API's own URL unless ``--public-url`` names another one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from postdesk_tools.package import FUNCTIONS_DIR, package

CHECKOUT = FUNCTIONS_DIR.parent
INFRA_TOOLS = CHECKOUT / ".venv-infra" / "bin"
CFN_LINT = INFRA_TOOLS / "cfn-lint"
AWS_CLI = INFRA_TOOLS / "aws"
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
# The regions whose SES receives mail for a domain (an MX record to inbound-smtp.<region>).
SES_RECEIVING_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})
# Every entry of a reproducible zip gets this time (the earliest a zip can hold) and these modes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16


class DeployError(RuntimeError):
    """A step failed; the message says which one and what AWS answered."""


def dns_records(domain: str, region: str, dkim: Sequence[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """The records the receiving and sending domain needs; the DKIM CNAMEs are placeholders until SES
    has made the identity (a dry run, or a domain the stack does not own)."""
    dkim_records = [
        {"name": name, "type": "CNAME", "value": value, "why": "Easy DKIM: SES signs the desk's mail"}
        for name, value in dkim
    ] or [
        {
            "name": f"<dkim-token-{n}>._domainkey.{domain}",
            "type": "CNAME",
            "value": f"<dkim-token-{n}>.dkim.amazonses.com",
            "why": "Easy DKIM: one of the three tokens SES shows for the domain identity",
        }
        for n in (1, 2, 3)
    ]
    return [
        {
            "name": domain,
            "type": "MX",
            "value": f"10 inbound-smtp.{region}.amazonaws.com",
            "why": "SES receives the desk's mail",
        },
        {
            "name": domain,
            "type": "TXT",
            "value": "v=spf1 include:amazonses.com ~all",
            "why": "SPF: SES may send for the domain",
        },
        {
            "name": f"_dmarc.{domain}",
            "type": "TXT",
            # No rua= on the desk's own domain: SES receives all of its mail, so the receivers'
            # aggregate reports would arrive as tickets. Add one that points elsewhere if wanted.
            "value": "v=DMARC1; p=quarantine",
            "why": "DMARC: receivers check SPF/DKIM alignment; for their reports add "
            "rua=mailto:<an address outside this domain>",
        },
        *dkim_records,
    ]


FIRST_ADMIN = (
    "Invite the first admin: postdesk agents invite you@example.com --name 'You' --role admin"
    " (with the stack's environment): the desk mails a temporary password; the first sign-in in the"
    " console sets your own and a TOTP code app."
)
SUBSCRIBE_ALARMS = (
    "Subscribe the team to the alarm topic (AlarmTopicArn): aws sns subscribe --protocol email ..."
)
DRY_RUN_STEPS = (
    "Verify the domain identity in SES and create its three DKIM CNAME records.",
    "Activate the stack's receipt rule set (aws ses set-active-receipt-rule-set) if another one is active:"
    " an account has one active rule set per region.",
    "Ask AWS to move the account out of the SES sandbox (200 mails a day, verified recipients only).",
    FIRST_ADMIN,
)


def plan(template: dict[str, Any], archive: Path) -> dict[str, Any]:
    resources = template["Resources"]
    with zipfile.ZipFile(archive) as opened:
        files = len(opened.infolist())
    return {
        "resources": dict(sorted(Counter(r["Type"] for r in resources.values()).items())),
        "functions": {
            name: {
                key: r["Properties"].get(key)
                for key in ("Runtime", "MemorySize", "Timeout", "ReservedConcurrentExecutions")
            }
            for name, r in sorted(resources.items())
            if r["Type"] == "AWS::Serverless::Function"
        },
        "parameters": sorted(template.get("Parameters", {})),
        "package": {"bytes": archive.stat().st_size, "files": files},
    }


def make_reproducible(archive: Path) -> None:
    """Rewrite ``archive`` with sorted entries, one timestamp and one file mode: the same files give
    the same bytes, so the same checksum, the same S3 key and no change to the stack."""
    with zipfile.ZipFile(archive) as source:
        entries = sorted(
            (info.filename, source.read(info)) for info in source.infolist() if not info.is_dir()
        )
    rewritten = archive.with_suffix(".tmp")
    with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data, compresslevel=9)
    rewritten.replace(archive)


def build(stage: str, region: str, out_dir: Path) -> Path:
    """The package and the final template; the template's path."""
    template_path = package(out_dir, stage=stage, region=region)
    make_reproducible(out_dir / "deployment.zip")
    return template_path


def lint(template_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CFN_LINT), str(template_path)], capture_output=True, text=True)  # noqa: S603


def _write_plan(described: dict[str, Any], out: TextIO) -> None:
    out.write("\nResources\n")
    for kind, count in described["resources"].items():
        out.write(f"  {count:>2} {kind}\n")
    out.write("\nFunctions\n")
    width = max((len(name) for name in described["functions"]), default=0)
    for name, settings in described["functions"].items():
        out.write(
            f"  {name:<{width}} {settings['Runtime']}, {settings['MemorySize']} MB, {settings['Timeout']} s, "
            f"at most {settings['ReservedConcurrentExecutions']} at once\n"
        )


def _write_records(records: list[dict[str, str]], out: TextIO) -> None:
    out.write("\nDNS records to create\n")
    for record in records:
        out.write(f"  {record['name']}  {record['type']}  {record['value']}    ({record['why']})\n")


def _write_steps(steps: Sequence[str], out: TextIO) -> None:
    out.write("\nLeft by hand\n" if steps else "\nNothing is left by hand.\n")
    for number, step in enumerate(steps, start=1):
        out.write(f"  {number}. {step}\n")


def dry_run(
    stage: str,
    domain: str,
    region: str,
    out_dir: Path,
    out: TextIO,
    parameters: Sequence[tuple[str, str]] = (),
) -> int:
    """Build, validate and describe; 0 when the template passes cfn-lint and has every parameter
    in ``parameters``."""
    _warn_of_region(region, out)
    template_path = build(stage, region, out_dir)
    template = json.loads(template_path.read_text(encoding="utf-8"))
    if not CFN_LINT.exists():
        out.write(f"cfn-lint is missing at {CFN_LINT}: run make infra-tools\n")
        return 1
    if not _has_parameters(template, parameters, out):
        return 2
    linted = lint(template_path)
    described = plan(template, out_dir / "deployment.zip")
    out.write(f"Dry run of stage {stage} in {region} for {domain} (nothing was sent to AWS)\n\n")
    size = described["package"]
    out.write(f"Package  {out_dir / 'deployment.zip'}: {size['bytes'] / 1e6:.1f} MB, {size['files']} files\n")
    out.write(f"Template {template_path}\n")
    out.write(
        "cfn-lint " + ("passed\n" if linted.returncode == 0 else f"FAILED\n{linted.stdout}{linted.stderr}\n")
    )
    _write_plan(described, out)
    given = ", ".join(f"{key}={value}" for key, value in parameters)
    out.write(
        f"\nParameters: {', '.join(described['parameters'])} (SupportAddress=support@{domain}"
        + (f"; given: {given})\n" if given else ")\n")
    )
    _write_records(dns_records(domain, region), out)
    _write_steps(DRY_RUN_STEPS, out)
    return 0 if linted.returncode == 0 else 1


@dataclass
class AwsCli:
    """The AWS CLI of the infra tools, in one region, answering in JSON."""

    region: str
    executable: Path = AWS_CLI
    environment: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def run(self, *arguments: str, parse: bool = True) -> Any:
        command = [str(self.executable), *arguments, "--region", self.region]
        if parse:
            command += ["--output", "json"]
        done = subprocess.run(command, capture_output=True, text=True, env=self.environment)  # noqa: S603
        if done.returncode != 0:
            raise DeployError(f"aws {' '.join(arguments[:2])} failed:\n{done.stderr.strip() or done.stdout}")
        if not parse:
            return done.stdout
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def succeeds(self, *arguments: str) -> bool:
        try:
            self.run(*arguments)
        except DeployError:
            return False
        return True


@dataclass(frozen=True)
class Target:
    stage: str
    domain: str
    region: str
    # None: the stack keeps what it has (the template's default on the first deploy), so a run
    # without the option never undoes an earlier run's choice.
    support_name: str | None = None
    team_address: str | None = None
    public_url: str = ""
    create_mail_identity: bool | None = None
    address: str = ""
    # Further parameters of the stack (RawMailRetentionDays=90, RequireTls=Require, ...).
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def stack(self) -> str:
        return f"postdesk-{self.stage}"

    @property
    def support_address(self) -> str:
        return self.address or f"support@{self.domain}"


def artifact_bucket(cli: AwsCli) -> str:
    """The bucket the package and the template are uploaded to (made once per account and region,
    private and encrypted)."""
    account = cli.run("sts", "get-caller-identity")["Account"]
    bucket = f"postdesk-artifacts-{account}-{cli.region}"
    if not cli.succeeds("s3api", "head-bucket", "--bucket", bucket):
        location = (
            []
            if cli.region == "us-east-1"
            else ["--create-bucket-configuration", f"LocationConstraint={cli.region}"]
        )
        cli.run("s3api", "create-bucket", "--bucket", bucket, *location)
        cli.run(
            "s3api",
            "put-public-access-block",
            "--bucket",
            bucket,
            "--public-access-block-configuration",
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            parse=False,
        )
    return bucket


def stack_description(cli: AwsCli, stack: str) -> dict[str, Any] | None:
    try:
        answer = cli.run("cloudformation", "describe-stacks", "--stack-name", stack)
    except DeployError as error:
        if "does not exist" in str(error):
            return None
        raise
    description: dict[str, Any] = answer["Stacks"][0]
    return description


def outputs_of(description: dict[str, Any]) -> dict[str, str]:
    return {item["OutputKey"]: item["OutputValue"] for item in description.get("Outputs", [])}


def parameters_of(description: dict[str, Any]) -> dict[str, str]:
    return {
        item["ParameterKey"]: item.get("ParameterValue", "") for item in description.get("Parameters", [])
    }


def deploy_template(cli: AwsCli, target: Target, template: Path, bucket: str, public_url: str) -> bool:
    """Upload and deploy; True when the stack changed, False when the change set was empty."""
    packaged = template.with_name("packaged.json")
    cli.run(
        "cloudformation",
        "package",
        "--template-file",
        str(template),
        "--s3-bucket",
        bucket,
        "--s3-prefix",
        target.stack,
        "--output-template-file",
        str(packaged),
        "--use-json",
        parse=False,
    )
    chosen = {
        "SupportName": target.support_name,
        "TeamAddress": target.team_address,
        "CreateMailIdentity": None
        if target.create_mail_identity is None
        else ("true" if target.create_mail_identity else "false"),
    }
    parameters = {
        "SupportAddress": target.support_address,
        "PublicUrl": public_url,
        **{key: value for key, value in chosen.items() if value is not None},
        **dict(target.parameters),
    }
    answer: str = cli.run(
        "cloudformation",
        "deploy",
        "--template-file",
        str(packaged),
        "--stack-name",
        target.stack,
        "--s3-bucket",
        bucket,
        "--s3-prefix",
        target.stack,
        "--capabilities",
        *CAPABILITIES,
        "--parameter-overrides",
        *(f"{key}={value}" for key, value in parameters.items()),
        "--no-fail-on-empty-changeset",
        parse=False,
    )
    return "No changes to deploy" not in answer


def dkim_tokens(cli: AwsCli, outputs: dict[str, str], domain: str) -> list[tuple[str, str]]:
    """The DKIM CNAMEs: from the stack's outputs when it owns the identity, else from SES."""
    from_stack = [outputs[f"DkimRecord{n}"].split(" ", 1) for n in (1, 2, 3) if f"DkimRecord{n}" in outputs]
    if from_stack:
        return [(name, value) for name, value in from_stack]
    try:
        answer = cli.run("ses", "get-identity-dkim-attributes", "--identities", domain)
    except DeployError:
        return []
    tokens = answer.get("DkimAttributes", {}).get(domain, {}).get("DkimTokens", [])
    return [(f"{token}._domainkey.{domain}", f"{token}.dkim.amazonses.com") for token in tokens]


def steps_left(cli: AwsCli, outputs: dict[str, str], out: TextIO) -> list[str]:
    """What a person still has to do; activates the stack's rule set when none is active."""
    steps: list[str] = []
    rule_set = outputs.get("ReceiptRuleSetName", "")
    active = cli.run("ses", "describe-active-receipt-rule-set").get("Metadata", {}).get("Name")
    if active is None and rule_set:
        cli.run("ses", "set-active-receipt-rule-set", "--rule-set-name", rule_set, parse=False)
        out.write(f"Activated the receipt rule set {rule_set} (no other one was active).\n")
    elif active != rule_set:
        steps.append(
            f"Another receipt rule set ({active}) is active in {cli.region}; an account has one. Move its"
            f" rules into {rule_set} or activate it: aws ses set-active-receipt-rule-set --rule-set-name"
            f" {rule_set}"
        )
    try:
        production = cli.run("sesv2", "get-account").get("ProductionAccessEnabled", False)
    except DeployError as error:
        steps.append(
            f"Could not tell whether the account is in the SES sandbox ({error}); check the console."
        )
    else:
        if not production:
            steps.append(
                "The account is in the SES sandbox (200 mails a day, verified recipients only): ask AWS for"
                " production access (aws sesv2 put-account-details ... or the SES console)."
            )
    steps.append(
        "Create the DNS records above; SES verifies the domain and starts signing once they resolve."
    )
    steps.append(SUBSCRIBE_ALARMS)
    steps.append(FIRST_ADMIN)
    return steps


def _warn_of_region(region: str, out: TextIO) -> None:
    if region not in SES_RECEIVING_REGIONS:
        receiving = ", ".join(sorted(SES_RECEIVING_REGIONS))
        out.write(
            f"Warning: {region} may not offer SES mail receiving ({receiving} do); the MX record"
            " below would have nowhere to point.\n"
        )


def _has_parameters(template: dict[str, Any], parameters: Sequence[tuple[str, str]], out: TextIO) -> bool:
    """Whether the stack has every parameter of ``parameters``; says which it lacks when not."""
    known = template.get("Parameters", {})
    unknown = sorted(key for key, _ in parameters if key not in known)
    if unknown:
        out.write(f"The stack has no parameter {', '.join(unknown)}; it has {', '.join(sorted(known))}.\n")
    return not unknown


def deploy(target: Target, out_dir: Path, out: TextIO, cli: AwsCli | None = None) -> int:
    cli = cli or AwsCli(target.region)
    if not AWS_CLI.exists() or not CFN_LINT.exists():
        out.write(f"The deploy tools are missing in {INFRA_TOOLS}: run make infra-tools\n")
        return 1
    _warn_of_region(target.region, out)
    template = build(target.stage, target.region, out_dir)
    if not _has_parameters(json.loads(template.read_text(encoding="utf-8")), target.parameters, out):
        return 2
    linted = lint(template)
    if linted.returncode != 0:
        out.write(f"cfn-lint failed on {template}; nothing was deployed.\n{linted.stdout}{linted.stderr}\n")
        return 1
    out.write(f"Built {out_dir / 'deployment.zip'} and {template}; cfn-lint passed.\n")
    bucket = artifact_bucket(cli)
    before = stack_description(cli, target.stack)
    # Without a trailing slash: the stack appends paths to it (the single sign-on callback).
    public_url = target.public_url or (
        outputs_of(before).get("EndpointURL", "").rstrip("/") if before else ""
    )
    out.write(f"Deploying stack {target.stack} in {target.region} (artifacts in s3://{bucket}) ...\n")
    changed = deploy_template(cli, target, template, bucket, public_url)
    description = stack_description(cli, target.stack)
    if description is None:
        raise DeployError(f"the stack {target.stack} is not there after the deploy")
    outputs = outputs_of(description)
    if not public_url and outputs.get("EndpointURL"):
        # The API's URL exists only once the stack does: point the survey links at it now.
        public_url = outputs["EndpointURL"].rstrip("/")
        out.write(f"Pointing the survey links at {public_url} ...\n")
        deploy_template(cli, target, template, bucket, public_url)
        description = stack_description(cli, target.stack) or description
        outputs = outputs_of(description)
    out.write(
        f"\nStack {target.stack}: {description['StackStatus']}"
        + ("" if changed else " (no changes: nothing was deployed)")
        + "\n\nOutputs\n"
    )
    for key, value in sorted(outputs.items()):
        out.write(f"  {key:<22} {value}\n")
    _write_records(dns_records(target.domain, target.region, dkim_tokens(cli, outputs, target.domain)), out)
    _write_steps(steps_left(cli, outputs, out), out)
    return 0


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="postdesk deploy",
        description="Put the desk into the AWS account of the environment's credentials (a stack "
        "postdesk-<stage>), or with --dry-run build, check and print the plan without an account.",
    )
    parser.add_argument("--stage", default="dev", choices=("dev", "prod"), help="dev (default) or prod")
    parser.add_argument(
        "--domain", required=True, help="the desk's receiving domain, for example support.example.com"
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or "eu-west-1",
        help="the AWS region (default: AWS_REGION, else eu-west-1); SES receives mail in "
        + ", ".join(sorted(SES_RECEIVING_REGIONS)),
    )
    parser.add_argument(
        "--support-address", default="", help="the address customers write to (support@DOMAIN)"
    )
    parser.add_argument("--support-name", default=None, help="the display name of the desk's mail")
    parser.add_argument("--team-address", default=None, help="where notices of bad feedback and breaches go")
    parser.add_argument("--public-url", default="", help="the survey links' base URL (default: the API's)")
    parser.add_argument(
        "--existing-identity",
        action="store_true",
        help="the domain is already an SES identity of this account: the stack leaves it alone",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another parameter of the stack, e.g. ClosedTicketRetentionDays=365 (repeatable)",
    )
    parser.add_argument(
        "--mailboxes",
        default=None,
        help="the desk's other addresses, each address=queue:Brand name, comma separated "
        '("billing@example.com=billing:Example Billing,help@other.example=general:Other Brand"); '
        "sets the Mailboxes and MailboxDomains parameters",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="build the package and the template, check them and print the plan; no AWS credentials needed",
    )
    parser.add_argument("--out", default=str(CHECKOUT / "build"), help="where the package and template go")
    arguments = parser.parse_args(argv)
    out_dir = Path(arguments.out) / f"deploy-{arguments.stage}"
    extra = tuple(tuple(item.split("=", 1)) for item in arguments.parameter if "=" in item)
    if len(extra) != len(arguments.parameter) or not all(key.isalnum() for key, _ in extra):
        out.write("A --parameter is KEY=VALUE with the name of one of the stack's parameters.\n")
        return 2
    target = Target(
        stage=arguments.stage,
        domain=arguments.domain.lower(),
        region=arguments.region,
        support_name=arguments.support_name,
        team_address=arguments.team_address,
        public_url=arguments.public_url.rstrip("/"),
        create_mail_identity=False if arguments.existing_identity else None,
        address=arguments.support_address.strip(),
        parameters=tuple((key, value) for key, value in extra),
    )
    if target.support_address.rpartition("@")[2].lower() != target.domain:
        out.write(f"The support address {target.support_address} is not on the domain {target.domain}.\n")
        return 2
    if arguments.mailboxes is not None:
        with_mailboxes = _with_mailboxes(target, arguments.mailboxes, out)
        if with_mailboxes is None:
            return 2
        target = with_mailboxes
    if arguments.dry_run:
        # The same checks as the deploy's, so that a dry run that passes is a deploy that can.
        return dry_run(target.stage, target.domain, target.region, out_dir, out, target.parameters)
    try:
        return deploy(target, out_dir, out)
    except DeployError as error:
        out.write(f"\nThe deploy stopped: {error}\n")
        return 1


def _with_mailboxes(target: Target, mailboxes: str, out: TextIO) -> Target | None:
    """``target`` with the Mailboxes parameter and the MailboxDomains the receipt rule and the
    functions' roles need (the domains of ``mailboxes`` but the desk's own), derived here so the
    two never disagree; None, said in words, when ``mailboxes`` has a mistake."""
    from postdesk.errors import ConfigurationError
    from postdesk.mailboxes import parse_mailboxes

    try:
        named = parse_mailboxes(mailboxes, target.support_address, target.support_name or "Support")
    except ConfigurationError as error:
        out.write(f"--mailboxes: {error}\n")
        return None
    domains = sorted({mailbox.domain for mailbox in named} - {target.domain})
    if domains:
        out.write(
            f"Mail for {', '.join(domains)} is received and sent too: each must be a verified SES identity "
            "of this account (its DKIM records in its DNS, an MX record to SES) before mail to it works.\n"
        )
    return replace(
        target,
        parameters=(*target.parameters, ("Mailboxes", mailboxes), ("MailboxDomains", ",".join(domains))),
    )


if __name__ == "__main__":
    raise SystemExit(main())
