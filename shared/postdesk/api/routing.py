"""Chalice glue: Chalice's current request in, a route's answer out. The app and its blueprints
serve every route through :func:`serve`, so all of them authenticate and answer errors alike."""

from __future__ import annotations

import json
from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from postdesk import handlers
from postdesk.api.http import ApiRequest, ApiResponse, respond
from postdesk.api.tickets import ApiContext

Route = Callable[[ApiRequest, ApiContext], ApiResponse]


def api_request(current: Request) -> ApiRequest:
    return ApiRequest(
        method=current.method,
        path_params=current.uri_params or {},
        query=current.query_params or {},
        headers={name.lower(): value for name, value in current.headers.items()},
        body=current.raw_body or None,
    )


def serve(current: Request, route: Route) -> Response:
    """Run ``route`` for Chalice's current request; JSON bodies are serialized here, text bodies
    (pages, scripts) pass through as they are."""
    request = api_request(current)
    answer = respond(lambda: route(request, handlers.api_context()))
    body = answer.body
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body, ensure_ascii=False)
    return Response(body=body, status_code=answer.status, headers=answer.headers)
