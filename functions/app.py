"""The Chalice app: every Lambda function and every HTTP route of the desk is declared here, and
nowhere else. Each loads its code on its first call, so a cold start imports Chalice and the logger
only (a function never imports another's code). Powertools' middleware runs around all of them: the
log carries the Lambda context and the metrics of every invocation are flushed as it ends."""

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, ConvertToMiddleware, Request, Response

from postdesk.api.routing import Route, in_the_desks_shape, serve, without_body_for_head
from postdesk.observability import logger, metrics

# Chalice would take over the "postdesk" logger (its own handler, level ERROR); the desk logs through
# the Powertools Logger of postdesk.observability instead.
app = Chalice(app_name="postdesk", configure_logs=False)
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))
# Answers of these types travel through API Gateway as bytes: Chalice's list has PNG, JPEG and GIF,
# the help center's article images may also be WebP.
app.api.binary_types.append("image/webp")

JSON = ["application/json"]
FORM = ["application/x-www-form-urlencoded"]
# The console's files and the public pages also answer HEAD (link checkers, caches): as GET does,
# without the body (api/routing.py).
PAGE = ["GET", "HEAD"]


@app.middleware("http")
def errors_in_the_desks_shape(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """What Chalice answers itself (a 415 for a body type a route does not take, a 405, a 500 it
    caught) in the desk's shape and words, as every other error; any answer to HEAD without a body."""
    return without_body_for_head(request, in_the_desks_shape(request, get_response(request), app.routes))


# -- Lambda functions (their triggers are wired in infra/template.json) ----------------------------


@app.lambda_function(name="ingest")
def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SES receipt rule, Lambda action (Event invocation), after the S3 action stored the raw mail."""
    from postdesk.handlers import ingest_handler

    return ingest_handler(event, context)


@app.lambda_function(name="survey")
def send_survey(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedule, a delay after a ticket was resolved."""
    from postdesk.handlers import survey_handler

    return survey_handler(event, context)


@app.lambda_function(name="sla")
def check_sla(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time SLA timer: a warning or a breach of a ticket's clock."""
    from postdesk.handlers import sla_handler

    return sla_handler(event, context)


@app.lambda_function(name="automations")
def run_automations(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedules of what the desk does by itself: pending reminders,
    auto-resolve, close after resolve, the end of a snooze (workflows/automations.py)."""
    from postdesk.handlers import automations_handler

    return automations_handler(event, context)


@app.lambda_function(name="feedback")
def mail_feedback(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SNS: SES's bounce, complaint and reject events of the desk's mail (its configuration set)."""
    from postdesk.handlers import mail_feedback_handler

    return mail_feedback_handler(event, context)


@app.lambda_function(name="search_index")
def index_for_search(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB Streams of the tickets and their logs (one event source mapping each, one batch at a
    time): the changed tickets are written to the search index (docs/search.md)."""
    from postdesk.handlers import search_index_handler

    return search_index_handler(event, context)


@app.lambda_function(name="events_out")
def publish_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB Stream of the ticket logs (its own event source mapping, so search and events never
    hold each other up): each change of a ticket is published to the stack's event bus."""
    from postdesk.handlers import events_out_handler

    return events_out_handler(event, context)


@app.lambda_function(name="webhook_sender")
def send_webhooks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS, the webhooks' delivery queue: signs and POSTs each event to its webhook (docs/events.md)."""
    from postdesk.handlers import webhook_sender_handler

    return webhook_sender_handler(event, context)


# -- HTTP: the agent API, the console and the survey page (docs/openapi.yaml) ------------------------


def _serve(route: Route) -> Response:
    return serve(app.current_request, route)


@app.route("/", methods=PAGE)
def root() -> Response:
    from postdesk.api import console

    return _serve(console.root)


@app.route("/console", methods=PAGE)
def console_page() -> Response:
    from postdesk.api import console

    return _serve(console.index_page)


@app.route("/console/{asset}", methods=PAGE)
def console_asset(asset: str) -> Response:
    from postdesk.api import console

    return _serve(console.asset)


@app.route("/session", methods=["POST"], content_types=JSON)
def create_session() -> Response:
    """Sign in (email and password, then the steps Cognito asks for); sets the session cookie."""
    from postdesk.api import session

    return _serve(session.create_session)


@app.route("/session", methods=["GET"])
def current_session() -> Response:
    from postdesk.api import session

    return _serve(session.current_session)


@app.route("/session", methods=["DELETE"])
def delete_session() -> Response:
    from postdesk.api import session

    return _serve(session.delete_session)


@app.route("/session/options", methods=["GET"])
def session_options() -> Response:
    """How people may sign in: single sign-on offered, and its provider's name."""
    from postdesk.api import session

    return _serve(session.session_options)


@app.route("/session/sso", methods=["GET"])
def single_sign_on() -> Response:
    """Single sign-on: off to the identity provider, and back with its code (docs/sign-in.md)."""
    from postdesk.api import session

    return _serve(session.single_sign_on)


@app.route("/session/password-reset", methods=["POST"], content_types=JSON)
def start_password_reset() -> Response:
    from postdesk.api import session

    return _serve(session.start_password_reset)


@app.route("/session/password-reset/confirm", methods=["POST"], content_types=JSON)
def finish_password_reset() -> Response:
    from postdesk.api import session

    return _serve(session.finish_password_reset)


@app.route("/me/two-step", methods=["GET"])
def my_two_step() -> Response:
    from postdesk.api import session

    return _serve(session.my_two_step)


@app.route("/me/two-step", methods=["POST"], content_types=JSON)
def begin_two_step() -> Response:
    from postdesk.api import session

    return _serve(session.begin_two_step)


@app.route("/me/two-step", methods=["PUT"], content_types=JSON)
def confirm_my_two_step() -> Response:
    from postdesk.api import session

    return _serve(session.confirm_my_two_step)


@app.route("/me/two-step", methods=["DELETE"])
def end_my_two_step() -> Response:
    from postdesk.api import session

    return _serve(session.end_my_two_step)


@app.route("/me", methods=["GET"])
def me() -> Response:
    from postdesk.api import directory

    return _serve(directory.me)


@app.route("/me/signature", methods=["GET"])
def my_signature() -> Response:
    from postdesk.api import signature

    return _serve(signature.my_signature)


@app.route("/me/signature", methods=["PUT"], content_types=JSON)
def update_my_signature() -> Response:
    from postdesk.api import signature

    return _serve(signature.update_my_signature)


@app.route("/me/notifications", methods=["GET"])
def my_notifications() -> Response:
    from postdesk.api import notifications

    return _serve(notifications.my_notifications)


@app.route("/me/notifications", methods=["PUT"], content_types=JSON)
def update_my_notifications() -> Response:
    from postdesk.api import notifications

    return _serve(notifications.update_my_notifications)


@app.route("/notifications", methods=["GET"])
def list_notifications() -> Response:
    from postdesk.api import notification_feed

    return _serve(notification_feed.list_notifications)


@app.route("/notifications/read", methods=["POST"], content_types=JSON)
def mark_notifications_read() -> Response:
    from postdesk.api import notification_feed

    return _serve(notification_feed.mark_read)


@app.route("/me/signature/preview", methods=["POST"], content_types=JSON)
def preview_sign_off() -> Response:
    from postdesk.api import signature

    return _serve(signature.preview_sign_off)


@app.route("/me/away", methods=["PUT"], content_types=JSON)
def update_my_away() -> Response:
    from postdesk.api import availability

    return _serve(availability.update_my_away)


@app.route("/agents/{email}", methods=["PUT"], content_types=JSON)
def update_agent(email: str) -> Response:
    from postdesk.api import availability

    return _serve(availability.update_agent)


@app.route("/attachments", methods=["POST"], content_types=JSON)
def post_attachment() -> Response:
    from postdesk.api import attachments

    return _serve(attachments.post_attachment)


@app.route("/attachments/limits", methods=["GET"])
def attachment_limits() -> Response:
    from postdesk.api import attachments

    return _serve(attachments.attachment_limits)


@app.route("/agents", methods=["GET"])
def list_agents() -> Response:
    from postdesk.api import directory

    return _serve(directory.list_agents)


@app.route("/agents", methods=["POST"], content_types=JSON)
def invite_agent() -> Response:
    from postdesk.api import agents

    return _serve(agents.invite_agent)


@app.route("/agents/{email}/invitation", methods=["POST"], content_types=JSON)
def renew_agent_invitation(email: str) -> Response:
    from postdesk.api import agents

    return _serve(agents.renew_agent_invitation)


@app.route("/tokens", methods=["GET"])
def list_tokens() -> Response:
    from postdesk.api import tokens

    return _serve(tokens.list_tokens)


@app.route("/tokens", methods=["POST"], content_types=JSON)
def create_token() -> Response:
    from postdesk.api import tokens

    return _serve(tokens.create_token)


@app.route("/tokens/{key_id}", methods=["DELETE"])
def revoke_token(key_id: str) -> Response:
    from postdesk.api import tokens

    return _serve(tokens.revoke_token)


@app.route("/audit", methods=["GET"])
def list_access_audit() -> Response:
    from postdesk.api import audit

    return _serve(audit.list_access_audit)


@app.route("/queues", methods=["GET"])
def list_queues() -> Response:
    from postdesk.api import directory

    return _serve(directory.list_queues)


@app.route("/mailboxes", methods=["GET"])
def list_mailboxes() -> Response:
    from postdesk.api import directory

    return _serve(directory.list_mailboxes)


@app.route("/categories", methods=["GET"])
def list_categories() -> Response:
    from postdesk.api import directory

    return _serve(directory.list_categories)


@app.route("/tickets", methods=["GET"])
def list_tickets() -> Response:
    from postdesk.api import tickets

    return _serve(tickets.list_tickets)


@app.route("/tickets/views", methods=["GET"])
def list_views() -> Response:
    from postdesk.api import tickets

    return _serve(tickets.list_views)


@app.route("/tickets", methods=["POST"], content_types=JSON)
def post_ticket() -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_ticket)


@app.route("/tickets/bulk", methods=["POST"], content_types=JSON)
def post_bulk() -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_bulk)


@app.route("/tickets/{ref}", methods=["GET"])
def get_ticket(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.get_ticket)


@app.route("/tickets/{ref}", methods=["PATCH"], content_types=JSON)
def patch_ticket(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.patch_ticket)


@app.route("/tickets/{ref}", methods=["DELETE"])
def delete_ticket(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.delete_ticket)


@app.route("/tickets/{ref}/replies", methods=["POST"], content_types=JSON)
def post_reply(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_reply)


@app.route("/tickets/{ref}/forwards", methods=["POST"], content_types=JSON)
def post_forward(ref: str) -> Response:
    from postdesk.api import forwards

    return _serve(forwards.post_forward)


@app.route("/tickets/{ref}/notes", methods=["POST"], content_types=JSON)
def post_note(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_note)


@app.route("/tickets/{ref}/presence", methods=["PUT"], content_types=JSON)
def put_presence(ref: str) -> Response:
    from postdesk.api import presence

    return _serve(presence.put_presence)


@app.route("/tickets/{ref}/presence", methods=["GET"])
def get_presence(ref: str) -> Response:
    from postdesk.api import presence

    return _serve(presence.get_presence)


@app.route("/tickets/{ref}/presence", methods=["DELETE"])
def delete_presence(ref: str) -> Response:
    from postdesk.api import presence

    return _serve(presence.delete_presence)


@app.route("/tickets/{ref}/merge", methods=["POST"], content_types=JSON)
def post_merge(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_merge)


@app.route("/tickets/{ref}/release", methods=["POST"], content_types=JSON)
def post_release(ref: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_release)


@app.route("/tickets/{ref}/messages/{message_id}/split", methods=["POST"], content_types=JSON)
def post_split(ref: str, message_id: str) -> Response:
    from postdesk.api import tickets

    return _serve(tickets.post_split)


@app.route("/tickets/{ref}/messages/{message_id}/html", methods=["GET"])
def get_message_html(ref: str, message_id: str) -> Response:
    from postdesk.api import console

    return _serve(console.message_html)


@app.route("/saved-replies", methods=["GET"])
def list_saved_replies() -> Response:
    from postdesk.api import saved_replies

    return _serve(saved_replies.list_saved_replies)


@app.route("/saved-replies", methods=["POST"], content_types=JSON)
def create_saved_reply() -> Response:
    from postdesk.api import saved_replies

    return _serve(saved_replies.create_saved_reply)


@app.route("/saved-replies/preview", methods=["POST"], content_types=JSON)
def preview_saved_reply() -> Response:
    from postdesk.api import saved_replies

    return _serve(saved_replies.preview_saved_reply)


@app.route("/saved-replies/{id}", methods=["PUT"], content_types=JSON)
def update_saved_reply(id: str) -> Response:
    from postdesk.api import saved_replies

    return _serve(saved_replies.update_saved_reply)


@app.route("/saved-replies/{id}", methods=["DELETE"])
def delete_saved_reply(id: str) -> Response:
    from postdesk.api import saved_replies

    return _serve(saved_replies.delete_saved_reply)


@app.route("/metrics", methods=["GET"])
def get_metrics() -> Response:
    from postdesk.api import metrics as desk_metrics

    return _serve(desk_metrics.get_metrics)


@app.route("/kb", methods=["GET"])
def search_knowledge_base() -> Response:
    from postdesk.api import directory

    return _serve(directory.search_knowledge_base)


# -- The knowledge base: the agents' articles, translations, versions (docs/knowledge.md) ------------


@app.route("/articles", methods=["GET"])
def list_articles() -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.list_articles)


@app.route("/articles", methods=["POST"], content_types=JSON)
def create_article() -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.create_article)


@app.route("/articles/preview", methods=["POST"], content_types=JSON)
def preview_article() -> Response:
    """Markdown as the help center shows it (the editor's live preview)."""
    from postdesk.api import knowledge

    return _serve(knowledge.preview_article)


@app.route("/articles/images", methods=["POST"], content_types=JSON)
def upload_article_image() -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.upload_image)


@app.route("/articles/{slug}", methods=["GET"])
def get_article(slug: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.get_article)


@app.route("/articles/{slug}", methods=["PATCH"], content_types=JSON)
def update_article(slug: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.update_article)


@app.route("/articles/{slug}", methods=["DELETE"])
def delete_article(slug: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.delete_article)


@app.route("/articles/{slug}/{lang}", methods=["GET"])
def get_article_translation(slug: str, lang: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.get_translation)


@app.route("/articles/{slug}/{lang}", methods=["PUT"], content_types=JSON)
def save_article_translation(slug: str, lang: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.save_translation)


@app.route("/articles/{slug}/{lang}/publish", methods=["POST"], content_types=JSON)
def publish_article_translation(slug: str, lang: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.publish_translation)


@app.route("/articles/{slug}/{lang}/publish", methods=["DELETE"])
def unpublish_article_translation(slug: str, lang: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.unpublish_translation)


@app.route("/articles/{slug}/{lang}/versions/{number}", methods=["GET"])
def get_article_version(slug: str, lang: str, number: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.get_version)


@app.route("/articles/{slug}/{lang}/diff", methods=["GET"])
def diff_article_versions(slug: str, lang: str) -> Response:
    from postdesk.api import knowledge

    return _serve(knowledge.version_diff)


# -- The knowledge base: from ticket to article (docs/knowledge.md) ----------------------------------


@app.route("/tickets/{ref}/article", methods=["POST"], content_types=JSON)
def post_ticket_article(ref: str) -> Response:
    from postdesk.api import article_draft

    return _serve(article_draft.post_ticket_article)


@app.route("/privacy/exports", methods=["POST"], content_types=JSON)
def post_privacy_export() -> Response:
    from postdesk.api import privacy

    return _serve(privacy.post_export)


@app.route("/privacy/erasures", methods=["POST"], content_types=JSON)
def post_privacy_erasure() -> Response:
    from postdesk.api import privacy

    return _serve(privacy.post_erasure)


@app.route("/webhooks", methods=["GET"])
def list_webhooks() -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.list_webhooks)


@app.route("/webhooks", methods=["POST"], content_types=JSON)
def create_webhook() -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.create_webhook)


@app.route("/webhooks/event-types", methods=["GET"])
def list_event_types() -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.list_event_types)


@app.route("/webhooks/{id}", methods=["PATCH"], content_types=JSON)
def update_webhook(id: str) -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.update_webhook)


@app.route("/webhooks/{id}", methods=["DELETE"])
def delete_webhook(id: str) -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.delete_webhook)


@app.route("/webhooks/{id}/deliveries", methods=["GET"])
def list_webhook_deliveries(id: str) -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.list_deliveries)


@app.route("/webhooks/{id}/deliveries/{delivery}/replay", methods=["POST"], content_types=JSON)
def replay_webhook_delivery(id: str, delivery: str) -> Response:
    from postdesk.api import webhooks

    return _serve(webhooks.replay_delivery)


@app.route("/survey/{token}", methods=["GET"])
def get_survey(token: str) -> Response:
    """The customers' survey page (no token needed: the link is signed)."""
    from postdesk.api import survey

    return _serve(survey.show_survey)


@app.route("/survey/{token}", methods=["POST"], content_types=FORM)
def post_survey(token: str) -> Response:
    from postdesk.api import survey

    return _serve(survey.answer_survey)


# -- The knowledge base: the public help center (no sign-in; docs/knowledge.md) -----------------------


@app.route("/help", methods=PAGE)
def help_root() -> Response:
    from postdesk.api import help_center

    return _serve(help_center.help_root)


@app.route("/help/{lang}", methods=PAGE)
def help_home(lang: str) -> Response:
    """``/help/{lang}/`` too: API Gateway (and Chalice) take a trailing slash off."""
    from postdesk.api import help_center

    return _serve(help_center.help_home)


@app.route("/help/{lang}/categories/{category}", methods=PAGE)
def help_category(lang: str, category: str) -> Response:
    from postdesk.api import help_center

    return _serve(help_center.help_category)


@app.route("/help/{lang}/articles/{slug}", methods=PAGE)
def help_article(lang: str, slug: str) -> Response:
    from postdesk.api import help_center

    return _serve(help_center.help_article)


@app.route("/help/{lang}/articles/{slug}/votes", methods=["POST"], content_types=FORM)
def help_vote(lang: str, slug: str) -> Response:
    from postdesk.api import help_center

    return _serve(help_center.help_vote)


@app.route("/help/{lang}/search", methods=PAGE)
def help_search(lang: str) -> Response:
    from postdesk.api import help_center

    return _serve(help_center.help_search)


@app.route("/help/images/{name}", methods=PAGE)
def help_image(name: str) -> Response:
    from postdesk.api import help_center

    return _serve(help_center.help_image)
