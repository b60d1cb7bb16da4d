"""The Lambda package and the final template, as the deploy makes them: ``chalice package`` with
the CloudFormation in infra/ merged in. Needs a region, no credentials."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
MERGE_TEMPLATE = FUNCTIONS_DIR.parent / "infra" / "template.json"


def package(out_dir: Path, stage: str = "dev", region: str = "eu-west-1") -> Path:
    """Write ``deployment.zip`` and ``sam.json`` to ``out_dir``; the path of the final template.
    Raises CalledProcessError with Chalice's output when packaging fails."""
    chalice = Path(sys.executable).with_name("chalice")
    # Chalice chdirs into the project: every path it is given is absolute.
    command = [
        str(chalice),
        "--project-dir",
        str(FUNCTIONS_DIR),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(MERGE_TEMPLATE),
        str(out_dir.resolve()),
    ]
    environment = {**os.environ, "AWS_DEFAULT_REGION": region}
    environment.pop("AWS_ENDPOINT_URL", None)
    # Chalice keeps one cache of the built dependencies in the project: two packagings at once (test
    # workers, a deploy beside a test run) would write it together.
    with (FUNCTIONS_DIR / ".chalice" / "package.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(command, check=True, capture_output=True, text=True, env=environment)  # noqa: S603
    return out_dir / "sam.json"
