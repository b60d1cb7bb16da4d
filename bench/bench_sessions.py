"""What checking who asks costs the API function (docs/sign-in.md): the check of a Cognito access
token with the pool's keys already held (median microseconds per token accepted, and per forged
token refused); the cold cost of importing the sign-in code (``postdesk.auth.token_check``, which
brings joserfc and cryptography, and ``postdesk.auth.sign_in``), the median of 7 fresh interpreters
as a ratio to ``import boto3`` in the same run (what a container's first cookie request pays on
top); and the AWS calls one request's ``authenticated()`` makes on an in-process moto desk, for a
session cookie and for a Bearer API token, on a warm container and on the once-a-minute re-check
(counts, not times: moto's speed is not AWS's)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.timing import REPO_ROOT

RUNS = 7
TOKENS = 2_000
REGION = "eu-west-1"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_bench"
CLIENT_ID = "bench-client"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
SESSION_COOKIE = "__Host-postdesk_session"
HOST = "desk.example.com"
PASSWORD = "Correct-Horse-42"  # noqa: S105 - the bench account's, on moto only


def _moto_public_keys(url: str) -> dict[str, Any]:
    from moto.utilities.utils import load_resource

    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def _access_tokens(count: int, *, forged: bool) -> list[str]:
    """Access tokens as moto's Cognito signs them (its private key, kid "dummy"); ``forged``: the
    same claims and kid signed by another key, refused only by the signature."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey
    from moto.utilities.utils import load_resource

    key = (
        RSAKey.generate_key(2048)
        if forged
        else RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    )
    now = int(time.time())
    return [
        jwt.encode(
            {"alg": "RS256", "kid": "dummy"},
            {
                "sub": f"agent-{number}",
                "iss": ISSUER,
                "client_id": CLIENT_ID,
                "token_use": "access",
                "username": f"agent-{number}@example.com",
                "auth_time": now,
                "iat": now,
                "exp": now + 3600,
                "jti": f"bench-{number}",
            },
            key,
        )
        for number in range(count)
    ]


def _token_check_microseconds() -> dict[str, Any]:
    from postdesk.auth.token_check import PoolKeys, TokenCheck, TokenRejected

    check = TokenCheck(ISSUER, CLIENT_ID, PoolKeys(JWKS_URL, fetch=_moto_public_keys))
    genuine = _access_tokens(TOKENS, forged=False)
    forged = _access_tokens(TOKENS // 4, forged=True)
    check.access_token(genuine[0])  # the keys read once, as a warm container holds them
    accepted: list[float] = []
    for token in genuine:
        started = time.perf_counter_ns()
        verified = check.access_token(token)
        accepted.append((time.perf_counter_ns() - started) / 1000)
        assert verified.subject.startswith("agent-")
    refused: list[float] = []
    for token in forged:
        started = time.perf_counter_ns()
        try:
            check.access_token(token)
        except TokenRejected:
            refused.append((time.perf_counter_ns() - started) / 1000)
    if len(refused) != len(forged):
        raise AssertionError("a forged token passed the check")
    return {
        "tokens": len(genuine),
        "forged_tokens": len(forged),
        "verify_median_us": round(statistics.median(accepted), 1),
        "verify_p99_us": round(statistics.quantiles(accepted, n=100)[98], 1),
        "refuse_forged_median_us": round(statistics.median(refused), 1),
    }


# Each interpreter prints the seconds its imports took, as measured inside it: the wall time of the
# whole run also holds the interpreter's teardown of every module, which a Lambda never pays.
_TIMED_IMPORTS = (
    "import time; started = time.perf_counter(); import boto3; between = time.perf_counter(); "
    "import postdesk.auth.token_check, postdesk.auth.sign_in; done = time.perf_counter(); "
    "print(between - started, done - between)"
)


def _fresh_seconds(codes: dict[str, str]) -> dict[str, list[float]]:
    """Wall times of ``RUNS`` new interpreters (isolated: no PYTHONPATH, no user site) running each
    of ``codes``, taken in turns so a busy machine slows them all alike; and, under "boto3 import"
    and "sign-in import", what ``_TIMED_IMPORTS`` printed of its two steps."""
    timings: dict[str, list[float]] = {name: [] for name in (*codes, "boto3 import", "sign-in import")}
    for _ in range(RUNS):
        for name, code in codes.items():
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-I", "-c", code], check=True, cwd=REPO_ROOT, capture_output=True, text=True
            )
            timings[name].append(time.perf_counter() - started)
            if code == _TIMED_IMPORTS:
                boto3, sign_in = (float(value) for value in done.stdout.split())
                timings["boto3 import"].append(boto3)
                timings["sign-in import"].append(sign_in)
    return timings


def _cold_imports() -> dict[str, Any]:
    timings = _fresh_seconds(
        {
            "bare": "pass",
            "boto3": "import boto3",
            "token_check": "import postdesk.auth.token_check",
            "sign_in": "import postdesk.auth.token_check, postdesk.auth.sign_in",
            "both": _TIMED_IMPORTS,
        }
    )
    seconds = {name: statistics.median(values) for name, values in timings.items()}
    bare, boto3 = seconds["bare"], seconds["boto3"]
    token_check, sign_in = seconds["token_check"], seconds["sign_in"]
    return {
        "cold_seconds": {
            "bare_interpreter": round(bare, 3),
            "import_boto3": round(boto3, 3),
            "import_token_check": round(token_check, 3),
            "import_token_check_and_sign_in": round(sign_in, 3),
            "import_boto3_then_sign_in": round(seconds["both"], 3),
            # Inside that last interpreter: boto3's import, then the sign-in code's on top of it.
            "in_process_boto3": round(seconds["boto3 import"], 3),
            "in_process_sign_in_after_boto3": round(seconds["sign-in import"], 3),
        },
        "cold_ratio_to_boto3": {
            # Wall times, interpreter start-up taken off both sides (teardown left in).
            "import_token_check": round((token_check - bare) / (boto3 - bare), 2),
            "import_token_check_and_sign_in": round((sign_in - bare) / (boto3 - bare), 2),
            # What a container's first cookie request pays for the sign-in code, boto3 (which every
            # function imports) already loaded: the imports alone, timed inside the interpreter.
            "sign_in_added_after_boto3": round(
                statistics.median(
                    added / loaded
                    for added, loaded in zip(timings["sign-in import"], timings["boto3 import"], strict=True)
                ),
                2,
            ),
        },
    }


@contextmanager
def _moto_desk() -> Iterator[Any]:
    """A provisioned desk on an in-process moto, as tests/integration's ``desk`` fixture makes it."""
    from moto import mock_aws

    from postdesk import runtime
    from postdesk.auth import token_check
    from postdesk.aws.clients import reset_clients
    from postdesk_tools import moto_fit
    from postdesk_tools.provision import provision

    moto_fit.apply()
    token_check.use_keys_fetcher(_moto_public_keys)
    saved = dict(os.environ)
    try:
        with mock_aws():
            reset_clients()
            provisioned = provision(REGION, "bench", "support@example.com", "Example Support")
            os.environ.update(provisioned.environment)
            runtime.reset_runtime()
            yield provisioned.settings
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_clients()
        runtime.use_clock(None)
        runtime.reset_runtime()
        token_check.use_keys_fetcher(None)


def _counted(recorder: Any, request: Any) -> dict[str, int]:
    from postdesk.api.context import authenticated
    from postdesk.runtime import api_context

    recorder.calls.clear()
    authenticated(request, api_context())
    counts = Counter(f"{call.service}:{call.operation}" for call in recorder.calls)
    return {"total": sum(counts.values()), **dict(sorted(counts.items()))}


def _aws_calls_per_request() -> dict[str, Any]:
    import json

    from chalice.test import Client

    from postdesk import runtime
    from postdesk.agents.model import Role
    from postdesk.agents.store import AgentStore
    from postdesk.api.http import ApiRequest
    from postdesk.auth.accounts import CognitoAccounts
    from tests.api_calls import recording_api_calls
    from tests.integration.conftest import FUNCTIONS_DIR, chalice_app

    offset = [timedelta()]
    with _moto_desk() as settings:
        runtime.use_clock(lambda: datetime.now(UTC) + offset[0])
        agents = AgentStore(settings.tables.agents, settings.region)
        _, api_token = agents.add("bot@example.com", "bot", Role.AGENT, datetime.now(UTC))
        agents.add("sam@example.com", "sam", Role.AGENT, datetime.now(UTC))
        accounts = CognitoAccounts(settings.sign_in.user_pool_id, settings.region)
        accounts.create("sam@example.com", "sam")
        accounts.set_password("sam@example.com", PASSWORD)
        with Client(chalice_app(), stage_name="dev", project_dir=str(FUNCTIONS_DIR)) as client:
            answer = client.http.post(
                "/session",
                headers={"Content-Type": "application/json", "Host": HOST},
                body=json.dumps({"email": "sam@example.com", "password": PASSWORD}),
            )
        if answer.status_code != 200:
            raise RuntimeError(f"the bench's sign-in failed: {answer.status_code} {answer.body!r}")
        session_id = answer.headers["Set-Cookie"].split(";")[0].partition("=")[2]

        def request(headers: dict[str, str]) -> ApiRequest:
            return ApiRequest(method="GET", path_params={}, query={}, headers={"host": HOST, **headers})

        cookie = request({"cookie": f"{SESSION_COOKIE}={session_id}"})
        bearer = request({"authorization": f"Bearer {api_token}"})
        figures: dict[str, Any] = {}
        with recording_api_calls() as recorder:
            for name, asking in (("cookie_session", cookie), ("bearer_token", bearer)):
                _counted(recorder, asking)  # the container warmed by this caller's first request
                warm = _counted(recorder, asking)
                again = _counted(recorder, asking)
                offset[0] += timedelta(minutes=1, seconds=1)
                recheck = _counted(recorder, asking)
                after_recheck = _counted(recorder, asking)
                figures[name] = {
                    "warm": warm,
                    "warm_again": again,
                    "after_a_minute": recheck,
                    "right_after_that": after_recheck,
                }
    return figures


def run() -> dict[str, Any]:
    return {
        "token_check": _token_check_microseconds(),
        **_cold_imports(),
        "aws_calls_per_authenticated_request": _aws_calls_per_request(),
    }
