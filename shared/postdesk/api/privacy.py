"""Privacy routes (admins only): a requester's export and erasure, as `postdesk privacy` does them."""

from __future__ import annotations

from typing import Any

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.clock import to_iso
from postdesk.errors import BadRequest
from postdesk.mail.recipients import InvalidAddress, normalize_address
from postdesk.privacy.erase import ErasureReport, erase
from postdesk.privacy.export import export_to_bucket
from postdesk.privacy.records import PrivacyDesk, privacy_desk


def _desk(context: ApiContext) -> PrivacyDesk:
    return privacy_desk(context.settings, context.ports, context.blobs)


def _address(document: dict[str, Any]) -> str:
    """The address as the admin gave it (checked; lower-cased where it is looked up)."""
    address = (text_field(document, "email") or "").strip()
    try:
        normalize_address(address)
    except InvalidAddress as error:
        raise BadRequest(f"email: {error}") from error
    return address


def post_export(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Build the requester's export, keep it in the mail bucket under ``exports/`` (gone after a
    day) and answer with a download link that works for a short time."""
    agent = authenticated(request, context, Role.ADMIN)
    document = request.json_body(allowed=frozenset({"email"}), required=frozenset({"email"}))
    stored = export_to_bucket(_address(document), _desk(context), operator=agent.email)
    summary = stored.summary
    return ApiResponse(
        201,
        {
            "export": {
                "id": summary.export_id,
                "at": to_iso(summary.at),
                "url": stored.url,
                "expires_at": to_iso(stored.expires_at),
                "bytes": summary.size,
                "tickets": summary.tickets,
                "messages": summary.messages,
                "attachments": summary.attachments,
                "raw_mails": summary.raw_mails,
                "missing": summary.missing,
            }
        },
    )


def post_erasure(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Erase everything about the requester (``"confirm": true`` is required; it cannot be undone)."""
    agent = authenticated(request, context, Role.ADMIN)
    document = request.json_body(
        allowed=frozenset({"email", "confirm", "keep_suppression"}), required=frozenset({"email", "confirm"})
    )
    address = _address(document)
    if document["confirm"] is not True:
        raise BadRequest('an erasure cannot be undone: send "confirm": true to go ahead')
    keep = document.get("keep_suppression", False)
    if not isinstance(keep, bool):
        raise BadRequest("keep_suppression must be true or false")
    report = erase(address, _desk(context), operator=agent.email, channel="api", keep_suppression=keep)
    return ApiResponse(201, {"erasure": erasure_json(report)})


def erasure_json(report: ErasureReport) -> dict[str, Any]:
    return {
        "id": report.erasure_id,
        "at": to_iso(report.at),
        "operator": report.operator,
        "nothing_found": report.nothing_found,
        "removed": report.counts(),
        "suppression_kept": report.suppression_kept,
    }
