"""Requests and responses as plain values, and the one place where errors become HTTP statuses."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from postdesk.auth.audit import Caller
from postdesk.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionRequired,
    SignInRefused,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from postdesk.observability import logger

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes | None = None
    # The path as the caller asked for it (behind API Gateway it starts with the stage).
    path: str = ""
    # Query parameters given more than once (``status=new&status=open``): only one value would be
    # read, so the request is refused rather than half done.
    repeated: tuple[str, ...] = ()
    # The caller's IP as API Gateway saw it ("" when unknown), for the sign-in throttle and the
    # access audit.
    source_ip: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def caller(self) -> Caller:
        """Where the request came from, for the sign-in throttle and the access audit (each clips
        what it keeps)."""
        return Caller(source_ip=self.source_ip, user_agent=self.header("user-agent") or "")

    def cookie(self, name: str) -> str | None:
        """The value of the cookie ``name`` the request carries, if any."""
        for part in (self.header("cookie") or "").split(";"):
            key, separator, value = part.strip().partition("=")
            if separator and key == name:
                return value.strip()
        return None

    def only_query(self, allowed: frozenset[str]) -> None:
        """BadRequest when the query has parameters other than ``allowed``, or one more than once."""
        if self.repeated:
            raise BadRequest(
                f"give each parameter once: {', '.join(self.repeated)} came more than once "
                "(a list of statuses is one parameter: status=new,open)"
            )
        unknown = sorted(set(self.query) - allowed)
        if unknown:
            raise BadRequest(
                f"unknown parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed)) or 'none'}"
            )

    def flag(self, name: str) -> bool:
        """A ``true``/``false`` query parameter (false when absent); BadRequest for any other value."""
        value = self.query.get(name)
        if value is None or value == "false":
            return False
        if value == "true":
            return True
        raise BadRequest(f"{name} must be true or false")

    def json_body(
        self, allowed: frozenset[str], required: frozenset[str] = frozenset(), max_bytes: int = MAX_BODY_BYTES
    ) -> dict[str, Any]:
        """The body as a JSON object holding only ``allowed`` keys and every ``required`` one, of at
        most ``max_bytes`` (a route that takes a file as base64 allows more)."""
        if self.body is not None and len(self.body) > max_bytes:
            raise PayloadTooLarge(f"the request body is over {max_bytes // 1024} KB")
        document = _json_document(self.body or b"{}")
        if not isinstance(document, dict):
            raise BadRequest("the request body must be a JSON object")
        unknown = sorted(set(document) - allowed)
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        missing = sorted(required - set(document))
        if missing:
            raise BadRequest(f"missing field(s): {', '.join(missing)}")
        return document


def _json_document(body: bytes) -> Any:
    """The JSON value ``body`` holds; BadRequest in words for what is not JSON or not plain JSON: a
    name given twice in one object (which value was meant?), NaN or Infinity (not JSON), nesting
    deeper than the parser goes."""

    def one_value_per_name(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        twice = sorted(name for name, count in Counter(name for name, _ in pairs).items() if count > 1)
        if twice:
            raise BadRequest(f"the request body gives {', '.join(twice)} more than once: give each once")
        return dict(pairs)

    def no_constant(name: str) -> Any:
        raise BadRequest(f"the request body is not valid JSON: {name} is not a JSON number")

    try:
        return json.loads(body, object_pairs_hook=one_value_per_name, parse_constant=no_constant)
    except RecursionError as error:
        raise BadRequest("the request body is nested too deeply to be read") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("the request body is not valid JSON") from error


def text_field(document: Mapping[str, Any], name: str) -> str | None:
    """The string a JSON body holds at ``name``: None when absent or null, BadRequest when it is
    something other than a string."""
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def redirect(status: int, location: str, headers: Mapping[str, str]) -> ApiResponse:
    """A redirect (302, 303) to ``location`` with ``headers``. Browsers follow the Location header;
    the body is a short HTML page with the link, for a client that does not (a redirect is no JSON,
    and an answer without a Content-Type would be called JSON by API Gateway and chalice local)."""
    link = html.escape(location, quote=True)
    page = (
        '<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>Moved</title>\n'
        f'<p>This page is at <a href="{link}">{link}</a>.</p></html>\n'
    )
    return ApiResponse(
        status, page, {**headers, "Location": location, "Content-Type": "text/html; charset=utf-8"}
    )


def page_security_policy(stylesheet: str, *allowed: str) -> str:
    """The Content-Security-Policy of a public page (the help center's, the survey's): nothing but
    the page's own style element, by its hash, what ``allowed`` adds, and forms posting back to us."""
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src 'sha256-{digest}'",
            *allowed,
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    # Said instead of the error's own words, which may tell a caller more than it should know.
    message: str | None = None


# Error categories (postdesk/errors.py) to HTTP statuses: the one mapping, so every route answers
# alike. The body names the error itself ("TicketNotFound"), the status its category.
_STATUS: dict[type[Exception], _Answer] = {
    # Refused sign-ins and sessions say why in their own words, chosen to tell nothing more.
    SignInRefused: _Answer(401),
    Unauthenticated: _Answer(
        401, "Sign in (POST /session), or send your API token as 'Authorization: Bearer <token>'."
    ),
    NotAllowed: _Answer(403),
    Forbidden: _Answer(403, "Your role does not allow this."),
    NotFound: _Answer(404),
    Conflict: _Answer(409),
    Invalid: _Answer(400),
    TooLarge: _Answer(413),
    Unprocessable: _Answer(422),
    PreconditionRequired: _Answer(428),
    TooManyRequests: _Answer(429),
    Unavailable: _Answer(503, "A part of the desk is not set up or not reachable; try again later."),
}


# What a 500 says, wherever it comes from (the desk's code, or Chalice's own catch).
INTERNAL_ERROR = {"error": "InternalError", "message": "Something went wrong on our side."}


def error_response(error: Exception) -> ApiResponse:
    for category, answer in _STATUS.items():
        if isinstance(error, category):
            if answer.status >= 500:
                logger.exception("the desk could not answer", extra={"error": type(error).__name__})
            message = answer.message or str(error) or type(error).__doc__ or type(error).__name__
            body = {"error": type(error).__name__, "message": message}
            if isinstance(error, TooManyRequests):
                headers = {"Content-Type": "application/json", "Retry-After": str(error.retry_after)}
                return ApiResponse(answer.status, body, headers)
            return ApiResponse(answer.status, body)
    if _missing_resource(error):
        # A table, bucket or function the desk needs is not there (a stack half deployed or torn
        # down): the desk is not set up, which the caller can do nothing about but wait.
        logger.exception("a part of the desk is missing")
        answer = _STATUS[Unavailable]
        return ApiResponse(answer.status, {"error": "Unavailable", "message": answer.message})
    logger.exception("unhandled error in the API")
    return ApiResponse(500, INTERNAL_ERROR)


# What AWS answers for a table, bucket or function that does not exist.
_MISSING_RESOURCE_CODES = frozenset({"ResourceNotFoundException", "NoSuchBucket"})


def _missing_resource(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from (PynamoDB wraps botocore's), says an AWS
    resource the desk needs does not exist."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        response = getattr(seen, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in _MISSING_RESOURCE_CODES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def respond(action: Callable[[], ApiResponse]) -> ApiResponse:
    """Run a route's action, turning any error into its JSON answer."""
    try:
        return action()
    except Exception as error:
        return error_response(error)
