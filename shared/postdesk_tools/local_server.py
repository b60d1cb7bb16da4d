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


@cache
def unknown_route_body() -> str:
    """The body the deployed API answers for a path no route serves (its gateway response)."""
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    body: str = template["Resources"]["UnknownRouteResponse"]["Properties"]["ResponseTemplates"][
        "application/json"
    ]
    return body


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

        def _send_error_response(self, error: Any) -> None:
            # A path no route serves: what the stack's gateway response answers on AWS
            # (UnknownRouteResponse in infra/template.json), where chalice local would answer 403
            # with the caller's whole Authorization header in the body.
            if error.headers.get("x-amzn-ErrorType") == "UnauthorizedException":
                body = unknown_route_body()
                self._send_http_response(404, {"Content-Type": "application/json"}, body)
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
