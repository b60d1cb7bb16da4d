"""``GET /metrics``: the desk's report for admins (the same figures as ``postdesk report``)."""

from __future__ import annotations

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.workflows.report import build_report, parse_since
from postdesk.workflows.sla import policy_of

PARAMETERS = frozenset({"since"})


def get_metrics(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The report from ``since`` (``7d`` by default, or a date) to today, in the desk's time zone."""
    authenticated(request, context, Role.ADMIN)
    request.only_query(PARAMETERS)
    zone = policy_of(context.settings).calendar.timezone
    now = context.ports.clock()
    since = parse_since(
        request.query.get("since", "7d"), now.astimezone(policy_of(context.settings).calendar.zone()).date()
    )
    return ApiResponse(
        200,
        build_report(context.ports.store, now, since, zone),
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
