"""Chalice glue: Chalice's current request in, a route's answer out. functions/app.py serves every
route through :func:`serve`, so all of them authenticate and answer errors alike. Light on purpose:
the app imports it at a cold start, and it imports the API's code on the first request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Request, Response

if TYPE_CHECKING:
    from postdesk.api.context import ApiContext
    from postdesk.api.http import ApiRequest, ApiResponse

Route = Callable[["ApiRequest", "ApiContext"], "ApiResponse"]


def api_request(current: Request) -> ApiRequest:
    from postdesk.api.http import ApiRequest

    return ApiRequest(
        method=current.method,
        path_params=current.uri_params or {},
        query=current.query_params or {},
        headers={name.lower(): value for name, value in current.headers.items()},
        body=_raw_body(current),
        path=str(current.context.get("path") or "/"),
        repeated=_repeated(current),
        source_ip=_source_ip(current),
    )


def _source_ip(current: Request) -> str:
    """The caller's IP from API Gateway's request context (chalice local says 127.0.0.1)."""
    identity = (current.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "") if isinstance(identity, dict) else ""


def _repeated(current: Request) -> tuple[str, ...]:
    """The query parameters given more than once (Chalice keeps every value of each)."""
    params = current.query_params
    if not params or not hasattr(params, "getlist"):
        return ()
    return tuple(sorted(name for name in params if len(params.getlist(name)) > 1))


def _raw_body(current: Request) -> bytes | None:
    raw = current.raw_body
    if not raw:
        return None
    return raw.encode("utf-8") if isinstance(raw, str) else raw


def serve(current: Request | None, route: Route) -> Response:
    """Run ``route`` for Chalice's current request; JSON bodies are serialized here, text bodies
    (pages, scripts) pass through as they are."""
    from postdesk.api.http import respond
    from postdesk.runtime import api_context

    if current is None:
        raise RuntimeError("serve() runs inside a Chalice route, where a current request exists")
    request = api_request(current)
    answer = respond(lambda: route(request, api_context()))
    body = answer.body
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body, ensure_ascii=False)
    headers: dict[str, str | list[str]] = dict(answer.headers)
    return Response(body=body, status_code=answer.status, headers=headers)
