"""The Chalice app: registers the HTTP routes and Lambda functions, and does nothing else."""

from typing import Any

from chalice import Chalice

from postdesk import handlers

# Chalice would take over the "postdesk" logger (its own handler, level ERROR); the desk logs through
# the Powertools Logger of postdesk.observability instead.
app = Chalice(app_name="postdesk", configure_logs=False)


@app.lambda_function(name="ingest")
def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SES receipt rule, Lambda action (Event invocation), after the S3 action stored the raw mail."""
    return handlers.ingest_handler(event, context)
