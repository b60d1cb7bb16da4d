"""Translate the final SAM template into plain CloudFormation, as CloudFormation's SAM transform
does, without an AWS account: `python infra/translate.py sam.json out.json` with the infra tools'
interpreter (.venv-infra, which has aws-sam-translator).

Code locations still on disk are pointed at an S3 URI first, as `aws cloudformation package` would
after uploading; a packaged template keeps its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

ARTIFACT_URI = "s3://postdesk-artifacts/deployment.zip"


class NoManagedPolicies:
    """The desk's roles name no AWS managed policy by name, so none has to be looked up."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: dict[str, Any]) -> dict[str, Any]:
    for resource in template["Resources"].values():
        uploaded = str(resource.get("Properties", {}).get("CodeUri", "")).startswith("s3://")
        if resource["Type"] == "AWS::Serverless::Function" and not uploaded:
            resource["Properties"]["CodeUri"] = ARTIFACT_URI
    translated: dict[str, Any] = transform(template, {}, NoManagedPolicies())
    return translated


def main(argv: list[str]) -> int:
    source, target = (Path(arg) for arg in argv)
    target.write_text(json.dumps(translate(json.loads(source.read_text())), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
