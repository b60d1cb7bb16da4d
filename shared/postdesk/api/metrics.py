"""``GET /metrics``: the desk's report for admins (the same figures as ``postdesk report``)."""

from __future__ import annotations

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.api.saved_replies import saved_reply_store
from postdesk.workflows.report import article_titles, build_report, parse_span
from postdesk.workflows.sla import policy_of

PARAMETERS = frozenset({"since", "until"})


def get_metrics(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The report from ``since`` (``7d`` by default, or a date) to ``until`` (a date, today by
    default), days in the desk's time zone."""
    authenticated(request, context, Role.ADMIN)
    request.only_query(PARAMETERS)
    calendar = policy_of(context.settings).calendar
    now = context.ports.clock()
    span = parse_span(
        request.query.get("since", "7d"), request.query.get("until"), now.astimezone(calendar.zone()).date()
    )
    return ApiResponse(
        200,
        build_report(
            context.ports.store,
            now,
            span.first,
            calendar.timezone,
            until=span.last,
            saved_replies=saved_reply_store(context).list(),
            article_titles=article_titles(context.ports.knowledge.list_articles()),
            public_url=context.settings.survey.public_url,
        ),
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
