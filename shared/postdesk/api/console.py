"""The agent console: its page and files, served by the same app as the API, and the one route that
shows a customer's original HTML, sanitized."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, redirect
from postdesk.api.tickets import message_key_from_api_id
from postdesk.api.visibility import path_ref, visible_ticket
from postdesk.aws.s3 import BlobNotFound
from postdesk.errors import MessageNotFound
from postdesk.mail.parse import parse_message
from postdesk.mail.sanitize import sanitize_html
from postdesk.tickets.model import Direction

CONSOLE_DIR: Final = Path(__file__).resolve().parents[1] / "console"
INDEX: Final = "index.html"
# A console file's name: a lower-case word or words joined by "-", and its type. No folder, no
# "..", no second dot: index.html is the page (served at /console only), a source map never ships.
ASSET_NAME: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.(js|css)")
CONTENT_TYPES: Final = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


def console_files(directory: Path) -> Mapping[str, str]:
    """The files the console is made of (its ES modules and style sheet), by name, with their type.
    Read once, at import, from the files the package holds: no path from a request ever reaches the
    disk, a request only picks a name from this list. Links are left out: they could point anywhere."""
    found: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        named = ASSET_NAME.fullmatch(path.name)
        if named and path.is_file() and not path.is_symlink():
            found[path.name] = CONTENT_TYPES[named.group(1)]
    return MappingProxyType(found)


ASSET_TYPES: Final = console_files(CONSOLE_DIR)

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


@cache
def _read(name: str) -> tuple[str, str]:
    """The file's text and its entity tag (a hash of the text: a deploy that changes it changes it)."""
    text = (CONSOLE_DIR / name).read_text(encoding="utf-8")
    return text, '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


def page_policy(upload_origin: str) -> str:
    """The console page's policy: the one above, and its scripts may also POST files to the mail
    bucket (attachments go from the browser straight to S3 with a presigned form)."""
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {upload_origin}")


def _file(
    request: ApiRequest,
    name: str,
    content_type: str,
    cache_control: str,
    policy: str = CONTENT_SECURITY_POLICY,
) -> ApiResponse:
    text, etag = _read(name)
    headers = {
        "Content-Type": content_type,
        "Cache-Control": cache_control,
        **SECURITY_HEADERS,
        "Content-Security-Policy": policy,
    }
    if cache_control == "no-store":
        return ApiResponse(200, text, headers)
    # "no-cache" makes the browser ask again on every load; an unchanged file answers without a body.
    headers["ETag"] = etag
    if etag in _tags(request.header("if-none-match")):
        return ApiResponse(304, "", headers)
    return ApiResponse(200, text, headers)


def _tags(if_none_match: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",") if tag.strip()}


def index_page(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The console page (never cached: it names the scripts, which change with a deploy). Its
    address may carry the list's state (``?q=…&status=…``) and the view (``#/tickets/…``): the page
    reads them itself."""
    return _file(
        request, INDEX, "text/html; charset=utf-8", "no-store", page_policy(context.blobs.upload_origin())
    )


def asset(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """One of the console's modules or style sheets; 404 for any other name."""
    name = request.path_params.get("asset", "")
    if name not in ASSET_TYPES:
        return ApiResponse(
            404,
            {"error": "NotFound", "message": "No such console file."},
            {"Content-Type": "application/json", **SECURITY_HEADERS},
        )
    return _file(request, name, ASSET_TYPES[name], "no-cache")


def console_location(request_path: str) -> str:
    """Where the console is, from the path the root was asked under (behind API Gateway that path
    starts with the stage, '/api/')."""
    return request_path.rstrip("/") + "/console"


def root(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The desk's root sends a person to the console."""
    return redirect(302, console_location(request.path or "/"), SECURITY_HEADERS)


def message_html(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The sanitized HTML of an inbound message and the number of remote images in it; their
    sources stay out unless ``?images=true``."""
    agent = authenticated(request, context)
    ref = visible_ticket(path_ref(request), agent, context).ref
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
    allow_remote_images = request.flag("images")
    sanitized = sanitize_html(html, allow_remote_images=allow_remote_images)
    return ApiResponse(
        200,
        {"html": sanitized.html, "remote_images": sanitized.remote_images},
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
