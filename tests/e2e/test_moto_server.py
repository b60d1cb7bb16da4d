"""Moto in the local stack's own process: what it answered survives a kill -9, identical down to the
identifiers moto made up, and a replay sends no mail twice."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.e2e.stack import CHECKOUT, alive, clean_environment

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(state: Path, port: int) -> subprocess.Popen[bytes]:
    environment = clean_environment(state)
    environment["PYTHONPATH"] = str(CHECKOUT / "shared")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "postdesk_tools.moto_server",
            "--state-dir",
            str(state / "aws"),
            "--port",
            str(port),
            "--outbox",
            str(state / "outbox"),
        ],
        cwd=CHECKOUT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("moto did not start")


def _client(service: str, port: int):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_what_moto_answered_survives_a_kill_minus_9_with_the_same_identifiers(tmp_path: Path) -> None:
    port = _free_port()
    process = _serve(tmp_path, port)
    try:
        secrets = _client("secretsmanager", port)
        created = secrets.create_secret(Name="signing-key", SecretString="s3cret")
        ses = _client("ses", port)
        ses.verify_domain_identity(Domain="example.com")
        sent = ses.send_raw_email(
            Source="support@example.com",
            Destinations=["jane@customer.example"],
            RawMessage={"Data": b"From: support@example.com\r\nSubject: Hello\r\n\r\nHi\r\n"},
        )
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert not alive(process.pid)

    process = _serve(tmp_path, port)
    try:
        # The secret is found by the ARN moto gave it (the desk's settings name it so)
        again = _client("secretsmanager", port).get_secret_value(SecretId=created["ARN"])
        assert again["SecretString"] == "s3cret"
        assert again["VersionId"] == created["VersionId"]
        # The mail sent before the kill is not written to the outbox a second time by the replay
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
        # And what comes next is journaled and kept too, through a clean stop this time
        listed = _client("secretsmanager", port).list_secrets()["SecretList"]
        assert [entry["ARN"] for entry in listed] == [created["ARN"]]
        assert sent["MessageId"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert (tmp_path / "aws" / "snapshot.pickle").exists()
    process = _serve(tmp_path, port)
    try:
        assert (
            _client("secretsmanager", port).describe_secret(SecretId=created["ARN"])["Name"] == "signing-key"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert not (tmp_path / "aws" / "snapshot.pickle.tmp").exists()
