"""Files for mail: the limits the console says before an upload, and the presigned POST a browser
uploads one file with (postdesk/attachments/uploads.py). A mail then names the file by its id."""

from __future__ import annotations

from typing import Any

from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.attachments.outgoing import is_attachment_id
from postdesk.attachments.types import ALLOWED
from postdesk.attachments.uploads import start_upload
from postdesk.errors import BadRequest

_MAX_NAME_CHARS = 1000
_MAX_TYPE_CHARS = 255


def attachment_limits(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """How large and how many files a mail may carry, and which kinds the desk sends."""
    authenticated(request, context)
    request.only_query(frozenset())
    limits = context.settings.attachments
    return ApiResponse(
        200,
        {
            "max_file_bytes": limits.max_file_bytes,
            "max_mail_bytes": limits.max_mail_bytes,
            "max_files": limits.max_files,
            "extensions": sorted({extension for kind in ALLOWED for extension in kind.extensions}),
        },
    )


def _text(document: dict[str, Any], name: str, limit: int, *, empty: bool) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if not empty and not value.strip():
        raise BadRequest(f"{name} must not be empty")
    if len(value) > limit:
        raise BadRequest(f"{name} must be at most {limit} characters")
    return value


def post_attachment(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """``{"filename", "size", "content_type"}`` as the browser says them: 201 with the upload's id,
    its cleaned name and the form to POST the file with (``url``, ``fields``)."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    fields = frozenset({"filename", "size", "content_type"})
    document = request.json_body(allowed=fields, required=fields)
    filename = _text(document, "filename", _MAX_NAME_CHARS, empty=False)
    content_type = _text(document, "content_type", _MAX_TYPE_CHARS, empty=True)
    size = document["size"]
    if isinstance(size, float) and size.is_integer():
        # JSON has one kind of number: 1000.0 is a whole number of bytes.
        size = int(size)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise BadRequest("size must be a whole number of bytes, at least 1 (empty files are not sent)")
    form = start_upload(
        agent.email,
        filename,
        size,
        content_type,
        context.settings.attachments,
        context.blobs,
        context.ports.clock(),
    )
    return ApiResponse(
        201,
        {
            "id": form.id,
            "filename": form.filename,
            "size": size,
            "url": form.url,
            "fields": form.fields,
            "max_bytes": form.max_bytes,
            "expires_in": form.expires_in,
        },
    )


def attachment_ids(document: dict[str, Any], name: str = "attachments") -> tuple[str, ...]:
    """The files a mail's body names (``attachments``: upload ids from ``POST /attachments`` and
    ids of files on the ticket's thread); () when absent. Whether each exists is the workflow's to
    say (attachments/outgoing.py); here only their form."""
    given = document.get(name, [])
    if not isinstance(given, list) or not all(isinstance(item, str) for item in given):
        raise BadRequest(f"{name} must be a list of attachment ids")
    for item in given:
        if not is_attachment_id(item):
            raise BadRequest(
                f"{name}: {item[:80]!r} is not an attachment id (upload files with POST /attachments)"
            )
    return tuple(given)
