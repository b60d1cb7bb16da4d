"""The desk's API as the local stack serves it: functions/app.py's app, exactly as deployed, plus
what only the local stack has (the outbox page), on the local stack's clock. ``python -m
postdesk_tools.local_api --port 8000`` is what ``make local`` runs instead of ``chalice local``;
the browser tests serve the same in a thread (local_server.py).

The local-only variables are read here and nowhere in the package: POSTDESK_LOCAL_OUTBOX (the folder
of the mails SES sent) and POSTDESK_LOCAL_CLOCK_FILE (local_clock.py)."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from chalice.app import Blueprint, Response

from postdesk import runtime
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.api.routing import serve
from postdesk.clock import to_iso
from postdesk.mail.parse import parse_message
from postdesk_tools.local_clock import local_clock

OUTBOX_VARIABLE = "POSTDESK_LOCAL_OUTBOX"
OUTBOX_PAGE = 200

local_routes = Blueprint(__name__)


def outbox(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The local stack's outbox: every mail the desk sent, newest first (the last 200)."""
    authenticated(request, context)
    request.only_query(frozenset())
    folder = os.environ.get(OUTBOX_VARIABLE, "").strip()
    mails = []
    for path in sorted(Path(folder).glob("*.eml"), reverse=True)[:OUTBOX_PAGE] if folder else []:
        message = parse_message(path.read_bytes())
        mails.append(
            {
                "name": path.name,
                "from": message.sender.email if message.sender else "",
                "to": [address.email for address in (*message.to, *message.cc)],
                "subject": message.subject,
                "date": to_iso(message.date) if message.date else None,
                "automatic": dict(message.headers).get("auto-submitted", "no"),
                "text": message.text,
            }
        )
    return ApiResponse(
        200, {"mails": mails}, {"Content-Type": "application/json", "Cache-Control": "no-store"}
    )


@local_routes.route("/outbox", methods=["GET"])
def get_outbox() -> Response:
    return serve(local_routes.current_request, outbox)


LOCAL_PATHS = ("/outbox",)


def local_app(app: Any) -> Any:
    """``app`` (functions/app.py's) with the local stack's routes, on the local stack's clock."""
    if not set(LOCAL_PATHS) <= set(app.routes):
        app.register_blueprint(local_routes)
    runtime.use_clock(local_clock())
    return app


def without_local_routes(app: Any) -> None:
    """Take the local stack's routes off ``app`` again (a test process that served the desk in a
    thread goes on testing the app as it is deployed)."""
    for path in LOCAL_PATHS:
        app.routes.pop(path, None)


def main(argv: list[str] | None = None) -> int:
    from postdesk_tools.local_server import HOST, local_api_server

    parser = argparse.ArgumentParser(prog="python -m postdesk_tools.local_api")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args(argv)
    server = local_api_server(arguments.port, arguments.host)
    sys.stdout.write(f"serving the desk's API on http://{arguments.host}:{arguments.port}\n")
    sys.stdout.flush()
    with suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
