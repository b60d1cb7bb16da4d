"""The ingest Lambda as registered in functions/app.py, through Chalice's test client, with its logs
and metrics captured: JSON logs correlated by SES messageId, no bodies, no full addresses."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from chalice.test import Client

from tests.integration.conftest import Desk
from tests.mails import build_mail

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
sys.path.insert(0, str(FUNCTIONS_DIR))

from app import app  # noqa: E402

SECRET_BODY = "my card number is in this sentence and must never be logged"
ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_ingest_lambda_handles_the_ses_event_and_logs_safely(
    desk: Desk, capsys: pytest.CaptureFixture[str], log_output: io.StringIO
) -> None:
    # Given a mail with a sensitive body, stored by SES, and the Lambda action's event
    event = desk.event(build_mail(body=SECRET_BODY, subject="Card problem"), ses_id="sesid0123456789abcd")

    # When the registered ingest function is invoked with it
    with Client(app, stage_name="dev", project_dir=str(FUNCTIONS_DIR)) as client:
        response = client.lambda_.invoke("ingest", event)

    # Then it answers with the ticket and the decision
    (result,) = response.payload["results"]
    assert result["new_ticket"] is True and result["ack"] == "sent" and result["verdict"] == "accept"
    assert desk.store.get_ticket(result["ref"]) is not None

    # And every log line is JSON, carries the SES messageId as correlation id, and holds no body
    # and no full address
    output = capsys.readouterr().out + log_output.getvalue()
    lines = _json_lines(output)
    logs = [line for line in lines if "level" in line]
    assert logs, output
    assert all(line.get("correlation_id") == "sesid0123456789abcd" for line in logs)
    assert SECRET_BODY not in output
    assert "my card number" not in output
    full_addresses = [a for a in ADDRESS.findall(output) if not a.startswith("***@")]
    assert full_addresses == []

    # And the metrics went out in CloudWatch's embedded format
    metric_names = {
        metric["Name"]
        for line in lines
        if "_aws" in line
        for directive in line["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
        for metric in directive["Metrics"]
    }
    assert {"TicketsCreated", "AcksSent"} <= metric_names


def test_suppressed_ack_metric_carries_the_reason(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    # Given an out-of-office reply
    event = desk.event(build_mail(headers={"Auto-Submitted": "auto-replied"}))

    # When the Lambda handles it
    with Client(app, stage_name="dev", project_dir=str(FUNCTIONS_DIR)) as client:
        client.lambda_.invoke("ingest", event)

    # Then AcksSuppressed is emitted with the reason as a dimension
    lines = _json_lines(capsys.readouterr().out)
    suppressed = [line for line in lines if "AcksSuppressed" in line]
    assert suppressed and suppressed[0]["reason"] == "auto_reply"
