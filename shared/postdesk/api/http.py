"""Requests and responses as plain values, and the one place where errors become HTTP statuses."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from postdesk.agents.model import AgentNotFound, Forbidden, InvalidAgent, Unauthenticated
from postdesk.errors import (
    ConcurrentUpdate,
    IllegalTransition,
    MessageNotFound,
    OutboxUnavailable,
    PostdeskError,
    TicketNotFound,
)
from postdesk.hygiene.suppressions import RecipientSuppressed
from postdesk.observability import logger
from postdesk.replies.saved import InvalidSavedReply, SavedReplyNotFound
from postdesk.replies.variables import InvalidReplyTemplate
from postdesk.workflows.feedback import InvalidAnswer
from postdesk.workflows.reply import DuplicateRequest, EmptyReply, ReplyTooLarge
from postdesk.workflows.report import InvalidSpan
from postdesk.workflows.ticket_work import InvalidEdit

MAX_BODY_BYTES = 256 * 1024


class BadRequest(PostdeskError):
    """The request itself is wrong (malformed JSON, an unknown field, a value out of range)."""


class PayloadTooLarge(PostdeskError):
    """The request body is over the limit."""


class PreconditionRequired(PostdeskError):
    """A change that must name the version it was made on came without one."""


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def only_query(self, allowed: frozenset[str]) -> None:
        """BadRequest when the query has parameters other than ``allowed``."""
        unknown = sorted(set(self.query) - allowed)
        if unknown:
            raise BadRequest(
                f"unknown parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed)) or 'none'}"
            )

    def json_body(self, allowed: frozenset[str], required: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The body as a JSON object holding only ``allowed`` keys and every ``required`` one."""
        if self.body is not None and len(self.body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the request body is over {MAX_BODY_BYTES // 1024} KB")
        try:
            document = json.loads(self.body or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest("the request body is not valid JSON") from error
        if not isinstance(document, dict):
            raise BadRequest("the request body must be a JSON object")
        unknown = sorted(set(document) - allowed)
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        missing = sorted(required - set(document))
        if missing:
            raise BadRequest(f"missing field(s): {', '.join(missing)}")
        return document


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


# Domain errors to HTTP statuses: the one mapping, so every route answers alike.
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (TicketNotFound, 404),
    (MessageNotFound, 404),
    (AgentNotFound, 404),
    (SavedReplyNotFound, 404),
    (OutboxUnavailable, 404),
    (DuplicateRequest, 409),
    (ConcurrentUpdate, 409),
    (IllegalTransition, 409),
    (RecipientSuppressed, 422),
    (PreconditionRequired, 428),
    (PayloadTooLarge, 413),
    (ReplyTooLarge, 413),
    (EmptyReply, 400),
    (InvalidEdit, 400),
    (InvalidAnswer, 400),
    (InvalidAgent, 400),
    (InvalidSavedReply, 400),
    (InvalidReplyTemplate, 400),
    (BadRequest, 400),
    (InvalidSpan, 400),
)
_MESSAGES: dict[type[Exception], str] = {
    Unauthenticated: "Sign in: send your API token as 'Authorization: Bearer <token>'.",
    Forbidden: "Your role does not allow this.",
}


def error_response(error: Exception) -> ApiResponse:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            message = _MESSAGES.get(kind) or str(error) or kind.__doc__ or kind.__name__
            if isinstance(error, TicketNotFound):
                message = f"No ticket has the reference {error}."
            return ApiResponse(status, {"error": kind.__name__, "message": message})
    logger.exception("unhandled error in the API")
    return ApiResponse(500, {"error": "InternalError", "message": "Something went wrong on our side."})


def respond(action: Callable[[], ApiResponse]) -> ApiResponse:
    """Run a route's action, turning any error into its JSON answer."""
    try:
        return action()
    except Exception as error:
        return error_response(error)
