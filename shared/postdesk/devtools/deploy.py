"""`make deploy DRY_RUN=1 STAGE=dev DOMAIN=support.example.com`: build what a deploy would deploy
(the Lambda package and the final template), validate it, and print the plan, the DNS records to
create and the steps left by hand. Needs no AWS credentials.

Only the dry run exists so far; the deploy itself refuses with a clear message.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from postdesk.devtools.package import FUNCTIONS_DIR, package

CHECKOUT = FUNCTIONS_DIR.parent
CFN_LINT = CHECKOUT / ".venv-infra" / "bin" / "cfn-lint"


def dns_records(domain: str, region: str) -> list[dict[str, str]]:
    """The records the receiving and sending domain needs (SES gives the DKIM tokens once the
    identity exists; they are shown as placeholders until then)."""
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
            "value": f"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{domain}",
            "why": "DMARC: receivers check SPF/DKIM alignment",
        },
        *(
            {
                "name": f"<dkim-token-{n}>._domainkey.{domain}",
                "type": "CNAME",
                "value": f"<dkim-token-{n}>.dkim.amazonses.com",
                "why": "Easy DKIM (the three tokens SES shows for the domain identity)",
            }
            for n in (1, 2, 3)
        ),
    ]


MANUAL_STEPS = (
    "Verify the domain identity in SES and create its three DKIM CNAME records.",
    "Activate the stack's receipt rule set (aws ses set-active-receipt-rule-set) if another one is active:"
    " an account has one active rule set per region.",
    "Ask AWS to move the account out of the SES sandbox (200 mails a day, verified recipients only).",
    "Create the first admin: postdesk agents add you@example.com --name 'You' --role admin"
    " (with the stack's environment).",
)


FUNCTION_SETTINGS = ("Runtime", "MemorySize", "Timeout", "ReservedConcurrentExecutions")


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


def dry_run(stage: str, domain: str, region: str, out_dir: Path, out: TextIO) -> int:
    """Build, validate and describe; 0 when the template passes cfn-lint."""
    template_path = package(out_dir, stage=stage, region=region)
    template = json.loads(template_path.read_text(encoding="utf-8"))
    if not CFN_LINT.exists():
        out.write(f"cfn-lint is missing at {CFN_LINT}: run make infra-tools\n")
        return 1
    linted = subprocess.run([str(CFN_LINT), str(template_path)], capture_output=True, text=True)  # noqa: S603
    described = plan(template, out_dir / "deployment.zip")
    out.write(f"Dry run of stage {stage} in {region} for {domain} (nothing was sent to AWS)\n\n")
    size = described["package"]
    out.write(f"Package  {out_dir / 'deployment.zip'}: {size['bytes'] / 1e6:.1f} MB, {size['files']} files\n")
    out.write(f"Template {template_path}\n")
    out.write(
        "cfn-lint " + ("passed\n" if linted.returncode == 0 else f"FAILED\n{linted.stdout}{linted.stderr}\n")
    )
    out.write("\nResources\n")
    for kind, count in described["resources"].items():
        out.write(f"  {count:>2} {kind}\n")
    out.write("\nFunctions\n")
    for name, settings in described["functions"].items():
        out.write(
            f"  {name:<11} {settings['Runtime']}, {settings['MemorySize']} MB, {settings['Timeout']} s, "
            f"at most {settings['ReservedConcurrentExecutions']} at once\n"
        )
    out.write(f"\nParameters: {', '.join(described['parameters'])} (SupportAddress=support@{domain})\n")
    out.write("\nDNS records to create\n")
    for record in dns_records(domain, region):
        out.write(f"  {record['name']}  {record['type']}  {record['value']}    ({record['why']})\n")
    out.write("\nLeft by hand\n")
    for number, step in enumerate(MANUAL_STEPS, start=1):
        out.write(f"  {number}. {step}\n")
    return 0 if linted.returncode == 0 else 1


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="postdesk deploy")
    parser.add_argument("--stage", default="dev", choices=("dev", "prod"))
    parser.add_argument(
        "--domain", required=True, help="the desk's receiving domain, for example support.example.com"
    )
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--out", default=str(CHECKOUT / "build"), help="where the package and template go")
    arguments = parser.parse_args(argv)
    out_dir = Path(arguments.out) / f"deploy-{arguments.stage}"
    if not arguments.dry_run:
        out.write("postdesk deploy: only the dry run exists so far (make deploy DRY_RUN=1 DOMAIN=...).\n")
        return 2
    return dry_run(arguments.stage, arguments.domain, arguments.region, out_dir, out)


if __name__ == "__main__":
    raise SystemExit(main())
