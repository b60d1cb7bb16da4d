"""``POST /tickets/{ref}/article``: "Create an article from this ticket" (workflows/article_draft.py):
a draft article from the agents' public replies, the customer's data taken out, for review."""

from __future__ import annotations

from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, text_field
from postdesk.api.visibility import visible_ref
from postdesk.workflows.article_draft import draft_article

ARTICLE_DRAFT_FIELDS = frozenset({"language"})


def post_ticket_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Draft a new article from the ticket's replies (optional body ``{"language": "de"}``, default
    the ticket's language); 201 with its slug, language, draft version, title and what was taken
    out (kinds and counts, never the values)."""
    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(allowed=ARTICLE_DRAFT_FIELDS)
    language = text_field(document, "language")
    draft = draft_article(
        context.settings,
        context.ports,
        ref=ref,
        agent_email=agent.email,
        language=language.strip().lower() if language else None,
    )
    return ApiResponse(
        201,
        {
            "slug": draft.slug,
            "language": draft.language,
            "version": draft.version,
            "title": draft.title,
            "removed": [{"kind": removal.kind.value, "count": removal.count} for removal in draft.removed],
        },
    )
