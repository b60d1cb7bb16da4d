"""The desk on one machine: moto in server mode and the Chalice app over real HTTP, both in this
process. The browser tests use it; ``python -m postdesk_tools.local_server`` serves it by hand.

Nothing here can reach AWS: fake credentials, and AWS_ENDPOINT_URL pointing every client (boto3,
PynamoDB, Powertools) at the moto server.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from functools import cache
from pathlib import Path
from typing import Any

from postdesk import handlers, runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.aws.clients import reset_clients
from postdesk.settings import Settings
from postdesk_tools import moto_fit
from postdesk_tools.local_api import without_local_routes
from postdesk_tools.provision import TEMPLATE, provision
from postdesk_tools.serving import serve_in_thread
from postdesk_tools.ses_events import store_and_describe

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
REGION = "eu-west-1"
SUPPORT_ADDRESS = "support@example.com"
SUPPORT_NAME = "Example Support"
HOST = "127.0.0.1"
CHALICE_STAGE = "dev"
# Nothing here can reach AWS: fake credentials, and every client pointed at moto.
LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "postdesk",
    "POWERTOOLS_METRICS_NAMESPACE": "Postdesk",
}


@dataclass(frozen=True, slots=True)
class SentMail:
    """One mail SES accepted for sending (moto keeps it instead of delivering it)."""

    source: str
    destinations: tuple[str, ...]
    raw: bytes

    @property
    def recipients(self) -> frozenset[str]:
        """Addresses it went to (moto appends the To/Cc of raw mail to the destinations given)."""
        return frozenset(address.lower() for _, address in getaddresses(list(self.destinations)) if address)

    @property
    def message(self) -> Message:
        return message_from_bytes(self.raw, policy=default_policy)


@dataclass(frozen=True, slots=True)
class RunningDesk:
    """A desk serving HTTP at ``api_url`` against the moto server at ``aws_url``."""

    api_url: str
    aws_url: str
    settings: Settings

    def deliver(
        self,
        raw_mail: bytes,
        *,
        envelope_sender: str | None = None,
        recipients: list[str] | None = None,
        verdicts: dict[str, str] | None = None,
    ) -> str:
        """What SES receiving does: the raw mail into the bucket, then the ingest Lambda with the
        receipt event. Returns the ticket reference the mail went to."""
        if envelope_sender is None:
            head = BytesHeaderParser().parsebytes(raw_mail)
            envelope_sender = parseaddr(str(head.get("From", "")))[1]
        event = store_and_describe(
            raw_mail,
            bucket=self.settings.mail_bucket,
            prefix=self.settings.raw_mail_prefix,
            region=self.settings.region,
            recipients=recipients or [self.settings.support_address],
            envelope_sender=envelope_sender,
            verdicts=verdicts,
        )
        (result,) = handlers.ingest_handler(event, None)["results"]
        ref: str = result["ref"]
        return ref

    def sent_mail(self) -> list[SentMail]:
        """Everything SES sent so far, oldest first."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        backend = ses_backends[DEFAULT_ACCOUNT_ID][self.settings.region]
        return [
            SentMail(
                source=str(message.source),
                destinations=tuple(message.destinations),
                raw=message.raw_data.encode("utf-8")
                if isinstance(message.raw_data, str)
                else message.raw_data,
            )
            for message in backend.sent_messages
        ]

    def add_agent(self, email: str, name: str, role: Role = Role.AGENT) -> str:
        """A new agent; returns their API token (shown once, as the CLI does)."""
        _, token = AgentStore(self.settings.tables.agents, self.settings.region).add(
            email, name, role, datetime.now(UTC)
        )
        return token


def _reset_desk_state() -> None:
    reset_clients()
    runtime.reset_runtime()


# API Gateway's own limit on a request (REQUEST_TOO_LARGE above it); chalice local has none.
GATEWAY_MAX_REQUEST_BYTES = 10 * 1024 * 1024
# The default status of each gateway response type the stack answers with its own status.
_GATEWAY_DEFAULT_STATUS = {"DEFAULT_4XX": 400, "DEFAULT_5XX": 500}


# The words for what http.server refuses by itself, by status.
_REFUSED = {
    400: "The request is not well-formed HTTP: its request line or headers could not be read.",
    414: "The request's URL is too long: send long values in the body.",
    431: "The request's headers are too many or too long.",
    505: "The request's HTTP version is not one the API speaks: use HTTP/1.1.",
}


@cache
def _gateway_responses() -> dict[str, Any]:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    responses: dict[str, Any] = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    return responses


def gateway_response(response_type: str, request_id: str) -> tuple[int, dict[str, str], str]:
    """What the deployed API answers itself for ``response_type`` (its gateway response in
    infra/template.json): the status, the headers and the body, ``$context.requestId`` filled in."""
    response = _gateway_responses()[response_type]
    status = int(response.get("StatusCode", _GATEWAY_DEFAULT_STATUS.get(response_type, 400)))
    headers = {name: value.strip("'") for name, value in response["ResponseParameters"]["Headers"].items()}
    body: str = response["ResponseTemplates"]["application/json"].replace("$context.requestId", request_id)
    return status, headers, body


def local_api_server(port: int, host: str = HOST) -> Any:
    """The server ``chalice local`` runs, built the same way, for functions/app.py's app with the
    local stack's routes and clock (local_api.py)."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes
    from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

    from postdesk_tools.local_api import local_app

    # The factory puts functions/ on sys.path and sets the stage's environment variables, as
    # `chalice local` does.
    config = CLIFactory(str(FUNCTIONS_DIR), environ=os.environ).create_config_obj(
        chalice_stage_name=CHALICE_STAGE
    )
    app = local_app(config.chalice_app)
    validate_routes(app.routes)
    if not isinstance(app, LocalChalice):
        # What chalice's create_local_server does (once per app object), with our request handler.
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice

    class DeskRequestHandler(ChaliceRequestHandler):
        """chalice local's handler, which answers any method (TRACE, CONNECT, QUERY, a made-up one)
        through the app, as API Gateway does: a JSON error, not http.server's HTML 501."""

        def __getattr__(self, name: str) -> Any:
            # http.server looks for do_<METHOD>; chalice defines the usual seven.
            if name.startswith("do_"):
                return self._generic_handle
            raise AttributeError(name)

        def parse_request(self) -> bool:
            # A request over API Gateway's limit gets its gateway response, its body unread, as on
            # AWS (chalice local would read any size).
            if not super().parse_request():
                return False
            length = (self.headers.get("Content-Length") or "0").strip()
            if not length.isdigit():
                self._refuse(400, "The request's Content-Length is not a number of bytes.")
                return False
            if int(length) > GATEWAY_MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send_gateway_response("REQUEST_TOO_LARGE")
                return False
            return True

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # What http.server refuses before the app sees the request (a request line or headers
            # it cannot read, too long, too many): in the desk's shape, not an HTML page.
            self.log_error("code %d, message %s", code, message or "")
            self._refuse(code, _REFUSED.get(code, _REFUSED[400]))

        def _refuse(self, code: int, words: str) -> None:
            body = json.dumps({"error": "RequestRefused", "message": words}).encode()
            self.send_response(code)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True

        def do_OPTIONS(self) -> None:  # noqa: N802 - http.server's name for the method
            # No route takes OPTIONS (the app sets up no CORS), so API Gateway answers it with the
            # gateway response of a method no route serves; chalice local would answer a 200.
            self.close_connection = True
            self._send_gateway_response("MISSING_AUTHENTICATION_TOKEN")

        def _send_gateway_response(self, response_type: str) -> None:
            status, headers, body = gateway_response(response_type, str(uuid.uuid4()))
            self._send_http_response(status, headers, body)

        def _send_error_response(self, error: Any) -> None:
            # A path no route serves: what the stack's gateway response answers on AWS
            # (MISSING_AUTHENTICATION_TOKEN of RestAPI in infra/template.json), where chalice local
            # would answer 403 with the caller's whole Authorization header in the body.
            if error.headers.get("x-amzn-ErrorType") == "UnauthorizedException":
                self._send_gateway_response("MISSING_AUTHENTICATION_TOKEN")
                return
            super()._send_error_response(error)

    return LocalDevServer(app, config, host, port, handler_cls=DeskRequestHandler)


@contextmanager
def moto_desk(
    prefix: str = "local", support_address: str = SUPPORT_ADDRESS, port: int = 0
) -> Iterator[tuple[str, dict[str, str]]]:
    """Moto's server on 127.0.0.1 (``port``, 0 for a free one) with the desk provisioned from
    infra/template.json; yields its URL and the desk's environment. The process environment points
    at it while the block runs and is restored afterwards, as are the cached AWS clients."""
    from moto.server import ThreadedMotoServer

    moto_fit.apply()
    saved_environment = dict(os.environ)
    # Moto's server logs every AWS call it answers through werkzeug; the desk's own log is enough.
    werkzeug_log = logging.getLogger("werkzeug")
    saved_werkzeug_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    moto_server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    moto_started = False
    try:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(LOCAL_AWS_ENVIRONMENT)
        moto_server.start()
        moto_started = True
        host, bound_port = moto_server.get_host_and_port()
        aws_url = f"http://{host}:{bound_port}"
        os.environ["AWS_ENDPOINT_URL"] = aws_url
        # One moto holds the state of every server in this process: start from nothing.
        connection = http.client.HTTPConnection(host, bound_port, timeout=10)
        connection.request("POST", "/moto-api/reset")
        connection.getresponse().read()
        connection.close()
        _reset_desk_state()
        provisioned = provision(REGION, prefix, support_address, SUPPORT_NAME)
        os.environ.update(provisioned.environment)
        _reset_desk_state()
        yield aws_url, {**LOCAL_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": aws_url, **provisioned.environment}
    finally:
        if moto_started:
            moto_server.stop()
        werkzeug_log.setLevel(saved_werkzeug_level)
        os.environ.clear()
        os.environ.update(saved_environment)
        _reset_desk_state()


@contextmanager
def running_desk(prefix: str = "local", support_address: str = SUPPORT_ADDRESS) -> Iterator[RunningDesk]:
    """Moto's server and the desk's API, both on free ports of 127.0.0.1 (the API in a thread of
    this process, as ``chalice local`` serves it)."""
    with moto_desk(prefix, support_address) as (aws_url, _):
        chalice_server = local_api_server(0)
        api_port = chalice_server.server.server_address[1]
        # Links in mail (the survey's) point at this very server.
        os.environ["POSTDESK_PUBLIC_URL"] = f"http://{HOST}:{api_port}"
        _reset_desk_state()
        chalice_thread = serve_in_thread(chalice_server.server, "api")
        try:
            yield RunningDesk(
                api_url=f"http://{HOST}:{api_port}",
                aws_url=aws_url,
                settings=Settings.from_environment(),
            )
        finally:
            chalice_server.server.shutdown()
            chalice_server.server.server_close()
            chalice_thread.join()
            without_local_routes(chalice_server.app_object)


def main() -> int:
    """Serve the desk until interrupted, with one agent whose sign-in (email and a temporary
    password, for the console) and API token are printed."""
    from postdesk.auth.accounts import CognitoAccounts

    with running_desk() as desk:
        email = "agent@example.com"
        token = desk.add_agent(email, "Local Agent")
        password = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.region).create(
            email, "Local Agent"
        )
        print(f"Console:  {desk.api_url}/console", file=sys.stdout)
        print(f"Sign in:  {email} with the temporary password {password}", file=sys.stdout)
        print(f"Token:    {token}", file=sys.stdout)
        print(f"AWS (moto): {desk.aws_url}", file=sys.stdout)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
