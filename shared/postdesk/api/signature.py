"""An agent's own signature: read it, replace it, and see the sign-off a reply would carry with it.

The sign-off itself (closing, signature, desk name, legal footer) is composed in one place,
replies/sign_off.py; the footers are the operator's, in the sign-off file, and not edited here.
"""

from __future__ import annotations

from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.errors import BadRequest
from postdesk.rendering import available_languages
from postdesk.replies.sign_off import (
    MAX_SIGNATURE_CHARS,
    MAX_SIGNATURE_LINES,
    compose_sign_off,
    load_sign_off,
    sign_off_language,
    validated_signature,
)
from postdesk.workflows.ticket_work import desk_queues

# What a reply the preview stands for says before its sign-off: nothing that signs or closes.
_PREVIEW_BODY = "…"


def _languages() -> list[str]:
    return sorted(available_languages())


def my_signature(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The agent's signature, the languages it may be written in and its limits."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    return ApiResponse(
        200,
        {
            "signature": dict(agent.signature),
            "languages": _languages(),
            "default_language": context.settings.default_language,
            "max_chars": MAX_SIGNATURE_CHARS,
            "max_lines": MAX_SIGNATURE_LINES,
        },
    )


def update_my_signature(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Replace the agent's signature with ``{"signature": {"default": "...", "de": "..."}}``; an
    empty object removes it (replies then sign with the agent's name)."""
    agent = authenticated(request, context)
    document = request.json_body(allowed=frozenset({"signature"}), required=frozenset({"signature"}))
    signature = validated_signature(document["signature"], _languages())
    updated = context.agents.set_signature(agent.email, signature)
    return ApiResponse(200, {"signature": dict(updated.signature)})


def preview_sign_off(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The sign-off a reply in ``language`` on a ticket of ``queue`` would carry, with the signature
    given (the agent's own when left out), as the mail's text part reads it."""
    agent = authenticated(request, context)
    document = request.json_body(allowed=frozenset({"signature", "language", "queue"}))
    languages = _languages()
    signature = (
        validated_signature(document["signature"], languages) if "signature" in document else agent.signature
    )
    language = text_field(document, "language")
    if "language" in document and language not in languages:
        raise BadRequest(f"language must be one of the desk's languages: {', '.join(languages)}")
    queues = desk_queues(context.settings)
    queue = text_field(document, "queue")
    if "queue" in document and queue not in queues:
        raise BadRequest(f"queue must be one of the desk's queues: {', '.join(queues)}")
    chosen_language = sign_off_language(
        language or context.settings.default_language, context.settings.default_language, languages
    )
    chosen_queue = queue or queues[0]
    sign_off = compose_sign_off(
        _PREVIEW_BODY,
        language=chosen_language,
        default_language=context.settings.default_language,
        agent_name=agent.name,
        agent_signature=signature,
        support_name=context.settings.support_name,
        queue=chosen_queue,
        policy=load_sign_off(context.settings.sign_off_path),
    )
    return ApiResponse(
        200,
        {
            "language": chosen_language,
            "queue": chosen_queue,
            "sign_off": sign_off.text,
            "footer": sign_off.footer_text,
        },
    )
