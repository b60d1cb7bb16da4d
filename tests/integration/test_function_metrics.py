"""Every function flushes its own metrics and logs with its Lambda context (Powertools' middleware
on the Chalice app). Each case runs one invocation alone in a fresh interpreter, as a Lambda container
would, so no other handler of the same process can flush the metrics for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _invocation_output(what: str) -> list[dict[str, Any]]:
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-m", "tests.integration.fresh_invocation", what],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.split("=== invocation", 1)[1]
    return [json.loads(line) for line in printed.splitlines() if line.startswith("{")]


def _metrics(lines: list[dict[str, Any]]) -> set[str]:
    return {
        metric["Name"]
        for line in lines
        if "_aws" in line
        for directive in line["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }


@pytest.mark.parametrize(("what", "metric"), [("api", "TicketEdits"), ("ingest", "TicketsCreated")])
def test_one_invocation_alone_flushes_its_metrics_and_logs_with_its_context(what: str, metric: str) -> None:
    lines = _invocation_output(what)

    # Its metric is flushed by the invocation itself, as one EMF line
    assert metric in _metrics(lines)
    # And what it logged carries the Lambda context
    logged = [line for line in lines if "level" in line]
    assert logged or what == "api"
    assert all("function_name" in line and "function_request_id" in line for line in logged)
