"""The Lambda package as the deploy builds it (Chalice's package, made reproducible): deployment.zip's
size and file count, and its cold start run as Lambda runs it (the unpacked zip alone on the path,
``python -S -I``): importing the app module, and the same plus the first mail through ``ingest``
against a moto server. Each is the median of 7 fresh interpreters, and a ratio to ``import boto3``
from the same zip measured in the same run (this machine is faster than Lambda's CPUs: the ratio is
what carries over)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

RUNS = 7
CONTEXT = (
    "types.SimpleNamespace(function_name='postdesk-prod-ingest', memory_limit_in_mb=1024, "
    "invoked_function_arn='arn:aws:lambda:eu-west-1:123456789012:function:postdesk-prod-ingest', "
    "aws_request_id='bench')"
)
# Prints the seconds the import took, then those of the first mail (the event on stdin).
FIRST_MAIL = (
    "import json, sys, time, types; sys.path.insert(0, sys.argv[1]); started = time.perf_counter(); "
    "import app; imported = time.perf_counter(); "
    f"app.ingest(json.load(sys.stdin), {CONTEXT}); done = time.perf_counter(); "
    "print(json.dumps([imported - started, done - imported]))"
)


def _seconds(code: str, task: Path, environment: dict[str, str], stdin: str = "") -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-S", "-I", "-c", code, str(task)],
        check=True,
        cwd=task,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def run() -> dict[str, Any]:
    from postdesk.settings import Settings
    from postdesk_tools.deploy import build
    from postdesk_tools.local_server import moto_desk
    from postdesk_tools.ses_events import store_and_describe
    from tests.mails import build_mail

    with tempfile.TemporaryDirectory(prefix="postdesk-package-") as out:
        build("prod", "eu-west-1", Path(out))
        archive = Path(out) / "deployment.zip"
        with zipfile.ZipFile(archive) as opened:
            files = opened.infolist()
            opened.extractall(Path(out) / "task")
        task = Path(out) / "task"
        figures: dict[str, Any] = {
            "zip_bytes": archive.stat().st_size,
            "zip_mb": round(archive.stat().st_size / 1_000_000, 1),
            "unpacked_mb": round(sum(f.file_size for f in files) / 1_000_000, 1),
            "files": len(files),
        }
        plain = {"PATH": "/usr/bin:/bin", "HOME": str(task), "AWS_DEFAULT_REGION": "eu-west-1"}
        bare = [_seconds("pass", task, plain) for _ in range(RUNS)]
        boto3 = [
            _seconds("import sys; sys.path.insert(0, sys.argv[1]); import boto3", task, plain)
            for _ in range(RUNS)
        ]
        app = [
            _seconds("import sys; sys.path.insert(0, sys.argv[1]); import app", task, plain)
            for _ in range(RUNS)
        ]
        imports: list[float] = []
        first_mails: list[float] = []
        with moto_desk("bench") as (_, environment):
            settings = Settings.from_environment(environment)
            for number in range(RUNS):
                event = store_and_describe(
                    build_mail(message_id=f"<cold.{number}@customer.example>"),
                    bucket=settings.mail_bucket,
                    prefix=settings.raw_mail_prefix,
                    region=settings.region,
                    recipients=[settings.support_address],
                    envelope_sender=f"customer.{number}@customer.example",
                )
                done = subprocess.run(
                    [sys.executable, "-S", "-I", "-c", FIRST_MAIL, str(task)],
                    check=True,
                    cwd=task,
                    env={
                        **environment,
                        **plain,
                        "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "eu-west-1"),
                    },
                    input=json.dumps(event),
                    capture_output=True,
                    text=True,
                )
                imported, first_mail = json.loads(done.stdout.strip().splitlines()[-1])
                imports.append(imported)
                first_mails.append(first_mail)
    figures["cold_seconds"] = {
        "bare_interpreter": _median(bare),
        "import_boto3": _median(boto3),
        "import_app": _median(app),
        "import_app_in_process": _median(imports),
        "first_mail_after_import": _median(first_mails),
    }
    figures["cold_ratio_to_boto3"] = {
        "import_app": round(statistics.median(app) / statistics.median(boto3), 2),
        "import_app_and_first_mail": round(
            (statistics.median(app) + statistics.median(first_mails)) / statistics.median(boto3), 2
        ),
    }
    return figures
