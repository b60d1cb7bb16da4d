"""The Chalice app: registers the HTTP routes and Lambda functions, and does nothing else."""

import json
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Response

from postdesk import handlers
from postdesk.api import tickets
from postdesk.api.http import ApiRequest, ApiResponse, respond

# Chalice would take over the "postdesk" logger (its own handler, level ERROR); the desk logs through
# the Powertools Logger of postdesk.observability instead.
app = Chalice(app_name="postdesk", configure_logs=False)


@app.lambda_function(name="ingest")
def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SES receipt rule, Lambda action (Event invocation), after the S3 action stored the raw mail."""
    return handlers.ingest_handler(event, context)


def _serve(route: Callable[[ApiRequest, tickets.ApiContext], ApiResponse]) -> Response:
    """Chalice's request in, the route's JSON answer out (errors included)."""
    current = app.current_request
    request = ApiRequest(
        method=current.method,
        path_params=current.uri_params or {},
        query=current.query_params or {},
        headers={name.lower(): value for name, value in current.headers.items()},
        body=current.raw_body or None,
    )
    answer = respond(lambda: route(request, handlers.api_context()))
    return Response(
        body=json.dumps(answer.body, ensure_ascii=False), status_code=answer.status, headers=answer.headers
    )


@app.route("/tickets/{ref}", methods=["GET"])
def get_ticket(ref: str) -> Response:
    return _serve(tickets.get_ticket)


@app.route("/tickets/{ref}/replies", methods=["POST"], content_types=["application/json"])
def post_reply(ref: str) -> Response:
    return _serve(tickets.post_reply)
