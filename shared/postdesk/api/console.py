"""The agent console: pages served by the same app as the API (a Chalice blueprint), and the one
route that shows a customer's original HTML, sanitized."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from chalice.app import Blueprint, Response

from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.api.routing import serve
from postdesk.api.tickets import message_key_from_api_id
from postdesk.aws.s3 import BlobNotFound
from postdesk.clock import to_iso
from postdesk.errors import MessageNotFound, OutboxUnavailable, TicketNotFound
from postdesk.mail.parse import parse_message
from postdesk.mail.sanitize import sanitize_html
from postdesk.tickets.model import Direction
from postdesk.tickets.refs import normalize_ref

CONSOLE_DIR: Final = Path(__file__).resolve().parents[1] / "console"
INDEX: Final = "index.html"
# The files the console is made of, and nothing else: no path from a request ever reaches the disk.
ASSET_TYPES: Final = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}

# Scripts and styles from the console's own files only, no inline code, nothing framed or framing.
# style-src-attr allows style attributes (not <style> elements): a customer's HTML is shown in a
# srcdoc frame, which inherits this policy, and mail lays itself out with style attributes only
# (the sanitizer keeps a short list of layout properties and drops every <style> element).
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

blueprint = Blueprint(__name__)


@cache
def _read(name: str) -> str:
    return (CONSOLE_DIR / name).read_text(encoding="utf-8")


def _file_response(name: str, content_type: str, cache_control: str) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": content_type,
        "Cache-Control": cache_control,
        **SECURITY_HEADERS,
    }
    return Response(body=_read(name), status_code=200, headers=headers)


def index_response() -> Response:
    """The console page (never cached: it names the scripts, which change with a deploy)."""
    return _file_response(INDEX, "text/html; charset=utf-8", "no-store")


def asset_response(name: str) -> Response:
    """One of the console's scripts or style sheets; 404 for any other name."""
    if name not in ASSET_TYPES:
        return Response(
            body={"error": "NotFound", "message": "No such console file."},
            status_code=404,
            headers={"Content-Type": "application/json", **SECURITY_HEADERS},
        )
    return _file_response(name, ASSET_TYPES[name], "no-cache")


def console_location(request_path: str) -> str:
    """Where the console is, from the path the root was asked under (behind API Gateway that path
    starts with the stage, '/api/')."""
    return request_path.rstrip("/") + "/console"


@blueprint.route("/", methods=["GET"])
def root() -> Response:
    path = str(blueprint.current_request.context.get("path") or "/")
    return Response(
        body="", status_code=302, headers={"Location": console_location(path), **SECURITY_HEADERS}
    )


@blueprint.route("/console", methods=["GET"])
def console_index() -> Response:
    return index_response()


@blueprint.route("/console/{asset}", methods=["GET"])
def console_asset(asset: str) -> Response:
    return asset_response(asset)


def message_html(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The sanitized HTML of an inbound message and the number of remote images in it; their
    sources stay out unless ``?images=true``."""
    authenticated(request, context)
    asked_ref = request.path_params.get("ref", "")
    ref = normalize_ref(asked_ref)
    if ref is None or context.ports.store.get_ticket(ref) is None:
        raise TicketNotFound(ref or asked_ref[:20])
    key = message_key_from_api_id(request.path_params.get("message_id", ""))
    message = next((m for m in context.ports.store.thread(ref) if m.key == key), None) if key else None
    if message is None or message.direction is not Direction.INBOUND or not message.raw_key:
        raise MessageNotFound("This ticket has no such customer message.")
    try:
        raw = context.blobs.get(message.raw_key)
    except BlobNotFound as error:
        raise MessageNotFound("The original of this message is no longer stored.") from error
    html = parse_message(raw).html
    if not html:
        raise MessageNotFound("This message has no HTML part.")
    allow_remote_images = request.query.get("images", "").lower() in ("1", "true", "yes")
    sanitized = sanitize_html(html, allow_remote_images=allow_remote_images)
    return ApiResponse(
        200,
        {"html": sanitized.html, "remote_images": sanitized.remote_images},
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


@blueprint.route("/tickets/{ref}/messages/{message_id}/html", methods=["GET"])
def get_message_html(ref: str, message_id: str) -> Response:
    return serve(blueprint.current_request, message_html)


OUTBOX_PAGE = 200


def outbox(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The local stack's outbox: every mail the desk sent, newest first (the last 200)."""
    authenticated(request, context)
    request.only_query(frozenset())
    folder = context.settings.local_outbox
    if not folder:
        raise OutboxUnavailable("The outbox exists on the local stack only (make local).")
    mails = []
    for path in sorted(Path(folder).glob("*.eml"), reverse=True)[:OUTBOX_PAGE]:
        message = parse_message(path.read_bytes())
        mails.append(
            {
                "name": path.name,
                "from": message.sender.email if message.sender else "",
                "to": [address.email for address in (*message.to, *message.cc)],
                "subject": message.subject,
                "date": to_iso(message.date) if message.date else None,
                "automatic": dict(message.headers).get("auto-submitted", "no"),
                "text": message.text,
            }
        )
    return ApiResponse(
        200, {"mails": mails}, {"Content-Type": "application/json", "Cache-Control": "no-store"}
    )


@blueprint.route("/outbox", methods=["GET"])
def get_outbox() -> Response:
    return serve(blueprint.current_request, outbox)
