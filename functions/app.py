"""The Chalice app: registers the HTTP routes and Lambda functions, and does nothing else."""

from typing import Any

from chalice import Chalice, Response

from postdesk import handlers
from postdesk.api import console, tickets
from postdesk.api.routing import Route, serve

# Chalice would take over the "postdesk" logger (its own handler, level ERROR); the desk logs through
# the Powertools Logger of postdesk.observability instead.
app = Chalice(app_name="postdesk", configure_logs=False)
app.register_blueprint(console.blueprint)


@app.lambda_function(name="ingest")
def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SES receipt rule, Lambda action (Event invocation), after the S3 action stored the raw mail."""
    return handlers.ingest_handler(event, context)


def _serve(route: Route) -> Response:
    return serve(app.current_request, route)


@app.route("/tickets/{ref}", methods=["GET"])
def get_ticket(ref: str) -> Response:
    return _serve(tickets.get_ticket)


@app.route("/tickets/{ref}/replies", methods=["POST"], content_types=["application/json"])
def post_reply(ref: str) -> Response:
    return _serve(tickets.post_reply)
