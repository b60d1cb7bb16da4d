"""Chalice glue: Chalice's current request in, a route's answer out. functions/app.py serves every
route through :func:`serve`, so all of them authenticate and answer errors alike. Light on purpose:
the app imports it at a cold start, and it imports the API's code on the first request."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

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
    (pages, scripts) pass through as they are. A HEAD request runs the route as a GET does (its
    body is dropped by :func:`without_body_for_head`)."""
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


def without_body_for_head(current: Request | None, answer: Response) -> Response:
    """The answer to a HEAD request without its body: a route's (the GET it runs as), and also what
    Chalice answers itself (a 405, a 415), which chalice local would otherwise send after the
    headers, where a client reads the start of its next answer."""
    if current is None or current.method != "HEAD" or not answer.body:
        return answer
    return Response(body="", status_code=answer.status_code, headers=answer.headers)


Routes = Mapping[str, Mapping[str, Any]]


def in_the_desks_shape(current: Request | None, answer: Response, routes: Routes) -> Response:
    """Chalice answers a few requests itself, before or around a route, in its own shape
    ``{"Code", "Message"}``: a 415 for a body type the route does not take, a 405 for a method the
    path lacks, a 400 for a binary answer not asked for, a 500 for an error it caught. Those are
    said here as every other error of the desk is: ``{"error", "message"}``, in words. ``routes``
    is the app's table, for the body types the route takes."""
    body = answer.body
    if current is None or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return answer
    shaped = _chalice_error_in_words(str(body["Code"]), str(body["Message"]), current, answer, routes)
    headers = {**answer.headers, "Content-Type": "application/json"}
    return Response(
        body=json.dumps(shaped, ensure_ascii=False), status_code=answer.status_code, headers=headers
    )


def _chalice_error_in_words(
    code: str, said: str, current: Request, answer: Response, routes: Routes
) -> dict[str, str]:
    if code == "UnsupportedMediaType":
        given = current.headers.get("content-type") or "none"
        taken = _content_types(current, routes)
        return {
            "error": "UnsupportedMediaType",
            "message": f"This route takes a body of type {' or '.join(taken)}, and the request's "
            f"Content-Type is {given}: send the body as {taken[0]} (Content-Type: {taken[0]}).",
        }
    if code == "MethodNotAllowedError":
        allowed = answer.headers.get("Allow", "")
        return {
            "error": "MethodNotAllowed",
            "message": f"This path does not take {current.method}; it takes {allowed}.",
        }
    if code == "InternalServerError":
        from postdesk.api.http import INTERNAL_ERROR

        return dict(INTERNAL_ERROR)
    if code == "BadRequest" and "Accept header" in said:
        found = re.search(r"Content-Type of (\S+?)\.", said)
        kind = found.group(1) if found else "binary"
        return {
            "error": "NotAcceptable",
            "message": f"This answer is a file of type {kind}: send an Accept header that names it "
            f"(Accept: {kind}, or */*).",
        }
    return {"error": code, "message": said}


def _content_types(current: Request, routes: Routes) -> list[str]:
    """The body types the route of ``current`` takes (JSON when it cannot be told)."""
    entry = routes.get(str((current.context or {}).get("resourcePath", "")), {}).get(current.method)
    return list(getattr(entry, "content_types", None) or ["application/json"])
