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


def test_totp_codes_are_checked_and_an_enrolment_and_tokens_survive_a_kill_minus_9(tmp_path: Path) -> None:
    from postdesk_tools.totp import totp_code

    password = "Correct-Horse-42"
    port = _free_port()
    process = _serve(tmp_path, port)
    try:
        cognito = _client("cognito-idp", port)
        pool_id = cognito.create_user_pool(
            PoolName="desk", UsernameAttributes=["email"], MfaConfiguration="OPTIONAL"
        )["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username="ada@example.com",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": "ada@example.com"}],
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username="ada@example.com", Password=password, Permanent=True
        )
        access_token = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": password},
        )["AuthenticationResult"]["AccessToken"]
        secret = cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
        wrong = str((int(totp_code(secret)) + 1) % 10**6).zfill(6)
        with pytest.raises(cognito.exceptions.EnableSoftwareTokenMFAException):
            cognito.verify_software_token(AccessToken=access_token, UserCode=wrong)
        cognito.verify_software_token(AccessToken=access_token, UserCode=totp_code(secret))
        cognito.set_user_mfa_preference(
            AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    # The start replays the journal. As if it came an hour later, the journaled enrolment code is one
    # that has expired: replayed requests were checked when first answered, and are not checked again.
    _journal_as_if_an_hour_later(tmp_path / "aws", totp_code(secret), totp_code(secret, time.time() - 3600))
    # The enrolment holds the same secret: the authenticator's codes still sign in, a wrong one does not.
    process = _serve(tmp_path, port)
    try:
        cognito = _client("cognito-idp", port)
        # The access token issued before the kill is known still: the replay stamped it again with
        # the time it was first issued, so it came out the same.
        assert cognito.get_user(AccessToken=access_token)["Username"]
        challenge = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": password},
        )
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

        def answer(code: str) -> dict[str, object]:
            result: dict[str, object] = cognito.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge["Session"],
                ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": code},
            )
            return result

        with pytest.raises(cognito.exceptions.CodeMismatchException):
            answer(str((int(totp_code(secret)) + 1) % 10**6).zfill(6))
        assert "AuthenticationResult" in answer(totp_code(secret))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _journal_as_if_an_hour_later(folder: Path, code: str, expired_code: str) -> None:
    """Rewrite the journal with ``expired_code`` in place of ``code`` in its VerifySoftwareToken."""
    import json
    import pickle
    import struct

    from postdesk_tools.moto_server import JOURNAL_PREFIX, read_journal

    records = list(read_journal(folder, 0))
    rewritten = 0
    for _, record in records:
        if record["headers"].get("X-Amz-Target", "").endswith("VerifySoftwareToken"):
            body = json.loads(record["body"])
            assert body["UserCode"] == code
            body["UserCode"] = expired_code
            record["body"] = json.dumps(body).encode()
            record["headers"]["Content-Length"] = str(len(record["body"]))
            rewritten += 1
    assert rewritten == 1
    for old in folder.glob(f"{JOURNAL_PREFIX}*"):
        old.unlink()
    with (folder / f"{JOURNAL_PREFIX}{records[0][0]:012d}").open("wb") as stream:
        for seq, record in records:
            data = pickle.dumps((seq, record), protocol=pickle.HIGHEST_PROTOCOL)
            stream.write(struct.pack(">I", len(data)) + data)


def test_a_stop_after_a_sign_in_snapshots_the_pool_and_its_tokens_still_hold(tmp_path: Path) -> None:
    # A user pool signs its first token with a key moto keeps as cryptography's RSA key object:
    # the snapshot a stop writes must hold it (it did not pickle, and the desk could not start again).
    password = "Correct-Horse-42"
    port = _free_port()
    process = _serve(tmp_path, port)
    try:
        cognito = _client("cognito-idp", port)
        pool_id = cognito.create_user_pool(PoolName="desk", UsernameAttributes=["email"])["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool_id, Username="ada@example.com", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username="ada@example.com", Password=password, Permanent=True
        )
        sign_in = {"USERNAME": "ada@example.com", "PASSWORD": password}
        access_token = cognito.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=sign_in
        )["AuthenticationResult"]["AccessToken"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, "the stop's snapshot failed"
    assert (tmp_path / "aws" / "snapshot.pickle").exists()

    process = _serve(tmp_path, port)
    try:
        cognito = _client("cognito-idp", port)
        assert cognito.get_user(AccessToken=access_token)["Username"]
        again = cognito.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=sign_in
        )
        assert again["AuthenticationResult"]["AccessToken"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
