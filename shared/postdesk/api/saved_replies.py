"""Saved-reply routes: every agent reads and previews them, admins write them."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.api.visibility import visible_ticket
from postdesk.clock import to_iso
from postdesk.errors import BadRequest
from postdesk.knowledge.links import linked_slugs
from postdesk.rendering import available_languages
from postdesk.replies.markdown import reply_parts
from postdesk.replies.saved import BODY_LIMIT, SavedReply, SavedReplyNotFound, SavedReplyStore
from postdesk.replies.sign_off import compose_sign_off, load_sign_off, sign_off_language
from postdesk.replies.variables import SAMPLE_VARIABLES, variable_values
from postdesk.tickets.refs import normalize_ref
from postdesk.workflows.reply import article_links_in_language
from postdesk.workflows.thread_mail import ticket_variables
from postdesk.workflows.ticket_work import desk_queues

_FIELDS = frozenset({"title", "body", "language"})
_REQUIRED = frozenset({"title", "body"})
_PREVIEW_FIELDS = frozenset({"body", "ref", "language"})
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")


def saved_reply_store(context: ApiContext) -> SavedReplyStore:
    """The saved replies of the deployment ``context`` serves. Made on each call, not cached: making
    one points the model at its table (a comparison when it already does), and a cached store would
    keep a stale table when the same process serves another deployment (tests, the CLI)."""
    return SavedReplyStore(context.settings.tables.saved_replies, context.settings.region)


def saved_reply_json(reply: SavedReply, public_url: str) -> dict[str, Any]:
    return {
        "id": reply.id,
        "title": reply.title,
        "body": reply.body,
        "language": reply.language,
        # The help-center articles the body links to (slugs): the report counts what they do.
        "articles": linked_slugs(reply.body, public_url),
        "created_at": to_iso(reply.created_at),
        "updated_at": to_iso(reply.updated_at),
        "updated_by": reply.updated_by,
    }


def _reply_id(request: ApiRequest) -> str:
    return request.path_params.get("id", "")


def list_saved_replies(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Saved replies by title; ``?language=de`` keeps those in German and those for any language."""
    authenticated(request, context)
    language = request.query.get("language")
    replies = saved_reply_store(context).list(language)
    return ApiResponse(
        200,
        {"saved_replies": [saved_reply_json(reply, context.settings.survey.public_url) for reply in replies]},
    )


def create_saved_reply(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Store a new saved reply (admins only)."""
    return _write_saved_reply(request, context, reply_id=None)


def update_saved_reply(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Replace the title, body and language of a saved reply (admins only)."""
    return _write_saved_reply(request, context, reply_id=_reply_id(request))


def _write_saved_reply(request: ApiRequest, context: ApiContext, *, reply_id: str | None) -> ApiResponse:
    """The body's title, body and language written by an admin: a new saved reply when ``reply_id``
    is None (201), else over that one (200)."""
    agent = authenticated(request, context, Role.ADMIN)
    document = request.json_body(allowed=_FIELDS, required=_REQUIRED)
    fields = (
        text_field(document, "title") or "",
        text_field(document, "body") or "",
        text_field(document, "language") or "",
        agent.email,
        context.ports.clock(),
    )
    store = saved_reply_store(context)
    written = store.create(*fields) if reply_id is None else store.update(reply_id, *fields)
    status = 201 if reply_id is None else 200
    return ApiResponse(status, {"saved_reply": saved_reply_json(written, context.settings.survey.public_url)})


def delete_saved_reply(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Delete a saved reply (admins only); 204 with no body."""
    authenticated(request, context, Role.ADMIN)
    saved_reply_store(context).delete(_reply_id(request))
    return ApiResponse(204, "", headers={})


def preview_saved_reply(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """A body (Markdown with variables) as a reply sends it: its HTML and plain-text parts, with the
    variables of the ticket ``ref`` and the calling agent, or of a sample ticket without ``ref``.
    Nothing is stored; every agent may preview (the reply box shows a saved reply for its ticket)."""
    agent = authenticated(request, context)
    document = request.json_body(allowed=_PREVIEW_FIELDS, required=frozenset({"body"}))
    body = text_field(document, "body")
    if not body:
        raise BadRequest("body: the text to preview is empty")
    if len(body) > BODY_LIMIT:
        raise BadRequest(f"body: over {BODY_LIMIT:,} characters, the most a saved reply may hold")
    typed_ref = text_field(document, "ref")
    languages = available_languages()
    language = text_field(document, "language") or context.settings.default_language
    if not _LANGUAGE_CODE.fullmatch(language):
        raise BadRequest(f"language: {language[:20]!r} is not a two-letter language code such as 'de'")
    queue = desk_queues(context.settings)[0]
    mailbox = context.settings.mailboxes.main
    variables = replace(SAMPLE_VARIABLES, agent_name=agent.name, support_name=context.settings.support_name)
    if typed_ref is not None:
        ref = normalize_ref(typed_ref)
        if ref is None:
            raise BadRequest(f"ref: {typed_ref[:20]!r} is not a ticket reference such as K7Q2-M9XD")
        # A ticket of another queue than the agent's is as unknown as one that does not exist.
        ticket = visible_ticket(ref, agent, context)
        # As workflows/reply.py fills them in for a reply to that ticket.
        variables = ticket_variables(ticket, agent.name, context.settings)
        # A reply to the ticket signs off in its language, under its mailbox's brand and with its
        # mailbox's or queue's footer. (A language the desk has no sign-off in falls back to the
        # desk's, as the reply's does.)
        language, queue = ticket.language, ticket.queue
        mailbox = context.settings.mailboxes.of_ticket(ticket.mailbox)
        # Its links to help-center articles in the ticket's language, as the reply sends them.
        body = article_links_in_language(body, ticket.language, context.settings, context.ports)
    parts = reply_parts(body, variables)
    # The one sign-off the reply would carry under this body (none when the body signs already).
    sign_off = compose_sign_off(
        parts.plain,
        language=sign_off_language(language, context.settings.default_language, languages),
        default_language=context.settings.default_language,
        agent_name=agent.name,
        agent_signature=agent.signature,
        support_name=variables.support_name,
        queue=queue,
        policy=load_sign_off(context.settings.sign_off_path),
        mailbox=mailbox.address,
    )
    return ApiResponse(
        200,
        {
            "ref": variables.ticket_ref if typed_ref is not None else None,
            "text": parts.plain,
            "html": parts.html,
            "sign_off": {
                "text": sign_off.text,
                "html": sign_off.html,
                "footer": sign_off.footer_text,
                "footer_html": sign_off.footer_html,
            },
            "variables": variable_values(variables),
        },
    )


def used_saved_reply(saved_reply_id: str | None, store: SavedReplyStore) -> str | None:
    """The saved reply a reply names, to record with it: None when it names none or one that no
    longer exists (deleted since the agent inserted it; the reply still goes out)."""
    if saved_reply_id is None:
        return None
    try:
        return store.get(saved_reply_id).id
    except SavedReplyNotFound:
        return None


def reply_warnings(saved_reply_id: str | None, used: str | None) -> list[dict[str, str]]:
    """What a sent reply's answer warns of: the saved reply it names when that one was not found
    (``used`` is None), so a caller learns its reply counts for no saved reply. Not an error: the
    saved reply may have been deleted while the agent wrote, and the customer's reply goes out."""
    if saved_reply_id is None or used is not None:
        return []
    return [
        {
            "warning": "SavedReplyNotFound",
            "message": (
                f"There is no saved reply {saved_reply_id} (it may have been deleted while the reply was "
                "written): the reply was sent, and counts for no saved reply."
            ),
        }
    ]


def reply_body(document_body: str | None, saved_reply_id: str | None, store: SavedReplyStore) -> str:
    """The body of a reply to send: ``body`` when the request has one (an agent may start from a
    saved reply and edit it), else the body of the saved reply ``saved_reply_id``. Raises BadRequest
    when there is neither, SavedReplyNotFound for an unknown id."""
    if document_body is not None:
        return document_body
    if saved_reply_id is not None:
        return store.get(saved_reply_id).body
    raise BadRequest("a reply needs a body or a saved_reply_id")
