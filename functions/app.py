"""The Chalice app: registers the HTTP routes and Lambda functions, and does nothing else."""

from typing import Any

from chalice.app import Chalice, Response

from postdesk import handlers
from postdesk.api import console, directory, metrics, privacy, saved_replies, survey, tickets
from postdesk.api.routing import Route, serve

# Chalice would take over the "postdesk" logger (its own handler, level ERROR); the desk logs through
# the Powertools Logger of postdesk.observability instead.
app = Chalice(app_name="postdesk", configure_logs=False)
app.register_blueprint(console.blueprint)
app.register_blueprint(survey.blueprint)


@app.lambda_function(name="ingest")
def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SES receipt rule, Lambda action (Event invocation), after the S3 action stored the raw mail."""
    # Powertools' metrics decorator hides the handler's return type.
    result: dict[str, Any] = handlers.ingest_handler(event, context)
    return result


@app.lambda_function(name="survey")
def send_survey(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedule, a delay after a ticket was resolved."""
    result: dict[str, Any] = handlers.survey_handler(event, context)
    return result


@app.lambda_function(name="sla")
def check_sla(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time SLA timer: a warning or a breach of a ticket's clock."""
    result: dict[str, Any] = handlers.sla_handler(event, context)
    return result


@app.lambda_function(name="feedback")
def mail_feedback(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SNS: SES's bounce, complaint and reject events of the desk's mail (its configuration set)."""
    result: dict[str, Any] = handlers.feedback_handler(event, context)
    return result


def _serve(route: Route) -> Response:
    return serve(app.current_request, route)


JSON = ["application/json"]


@app.route("/me", methods=["GET"])
def me() -> Response:
    return _serve(directory.me)


@app.route("/agents", methods=["GET"])
def list_agents() -> Response:
    return _serve(directory.list_agents)


@app.route("/tickets", methods=["GET"])
def list_tickets() -> Response:
    return _serve(tickets.list_tickets)


@app.route("/tickets/{ref}", methods=["GET"])
def get_ticket(ref: str) -> Response:
    return _serve(tickets.get_ticket)


@app.route("/tickets/{ref}", methods=["PATCH"], content_types=JSON)
def patch_ticket(ref: str) -> Response:
    return _serve(tickets.patch_ticket)


@app.route("/tickets/{ref}/replies", methods=["POST"], content_types=JSON)
def post_reply(ref: str) -> Response:
    return _serve(tickets.post_reply)


@app.route("/tickets/{ref}/notes", methods=["POST"], content_types=JSON)
def post_note(ref: str) -> Response:
    return _serve(tickets.post_note)


@app.route("/saved-replies", methods=["GET"])
def list_saved_replies() -> Response:
    return _serve(saved_replies.list_saved_replies)


@app.route("/saved-replies", methods=["POST"], content_types=JSON)
def create_saved_reply() -> Response:
    return _serve(saved_replies.create_saved_reply)


@app.route("/saved-replies/{id}", methods=["PUT"], content_types=JSON)
def update_saved_reply(id: str) -> Response:
    return _serve(saved_replies.update_saved_reply)


@app.route("/saved-replies/{id}", methods=["DELETE"])
def delete_saved_reply(id: str) -> Response:
    return _serve(saved_replies.delete_saved_reply)


@app.route("/metrics", methods=["GET"])
def get_metrics() -> Response:
    return _serve(metrics.get_metrics)


@app.route("/kb", methods=["GET"])
def search_knowledge_base() -> Response:
    return _serve(directory.search_knowledge_base)


@app.route("/privacy/exports", methods=["POST"], content_types=JSON)
def post_privacy_export() -> Response:
    return _serve(privacy.post_export)


@app.route("/privacy/erasures", methods=["POST"], content_types=JSON)
def post_privacy_erasure() -> Response:
    return _serve(privacy.post_erasure)
