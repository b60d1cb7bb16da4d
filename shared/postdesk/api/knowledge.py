"""The knowledge base's agent routes (docs/knowledge.md, docs/openapi.yaml): list the articles with
their translations' states, flags and figures; write an article and its translations as versioned
drafts, publish and unpublish them, read the versions and the diff between two; preview Markdown as
the help center shows it; upload an image for an article.

Articles are the desk's, not a queue's: every signed-in agent reads, writes and publishes them, and
only admins delete one. An API token of the read scope reads (GET) only.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date
from typing import Any

from postdesk.agents.model import Role
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, error_response, text_field
from postdesk.clock import to_iso
from postdesk.errors import BadRequest
from postdesk.knowledge.figures import desk_figures
from postdesk.knowledge.freshness import FlagReason, flag_json, flags_for
from postdesk.knowledge.links import help_image_url, help_url
from postdesk.knowledge.model import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    Article,
    ArticleStatus,
    ArticleVersion,
    diff_versions,
    validate_body,
    validate_category,
    validate_slug,
)
from postdesk.knowledge.render import article_html
from postdesk.knowledge.store import MAX_IMAGE_BYTES, ArticleNotFound, StaleDraft
from postdesk.rendering import available_languages
from postdesk.workflows import knowledge as workflow
from postdesk.workflows.report import ARTICLE_FIGURES

# Path words of the API under /articles: an article with one of them as its slug could not be read
# (the fixed route answers before /articles/{slug}), so none may have it.
STATUS_FILTERS = frozenset({status.value for status in ArticleStatus})
# "any": flagged for any reason; or one reason (knowledge/freshness.py).
FLAG_FILTERS = frozenset({"any", *(reason.value for reason in FlagReason)})
# A version number as the store writes it (six digits in the key).
MAX_VERSION = 999_999
# An image as base64 in a JSON body: four characters for every three bytes, and room for the rest.
_IMAGE_BODY_BYTES = (MAX_IMAGE_BYTES + 2) // 3 * 4 + 4096

_CREATE_FIELDS = frozenset({"slug", "category", "language", "title", "tags", "body", "review_by", "owner"})
_PATCH_FIELDS = frozenset({"version", "category", "owner", "review_by"})
_DRAFT_FIELDS = frozenset({"title", "tags", "body", "base_version", "source_version", "note"})
_IMAGE_FIELDS = frozenset({"data", "content_type", "filename"})


# -- answers ---------------------------------------------------------------------------------------


def _desk_languages(article: Article | None = None) -> list[str]:
    """The desk's languages, and any other an article has a translation in (written before the desk
    dropped that language)."""
    languages = set(available_languages())
    if article is not None:
        languages |= set(article.translations)
    return sorted(languages)


def translation_json(article: Article, language: str) -> dict[str, Any]:
    """The translation of ``article`` in ``language`` with its state; a missing one has its state
    ``missing``, no title and no versions."""
    state = article.state_of(language).value
    translation = article.translations.get(language)
    if translation is None:
        return {
            "language": language,
            "state": state,
            "title": None,
            "tags": [],
            "status": None,
            "draft_version": 0,
            "published_version": 0,
            "source_version": 0,
            "published_at": None,
            "updated_at": None,
            "updated_by": None,
        }
    return {
        "language": language,
        "state": state,
        "title": translation.title,
        "tags": list(translation.tags),
        "status": translation.status.value,
        "draft_version": translation.draft_version,
        "published_version": translation.published_version,
        "source_version": translation.source_version,
        "published_at": to_iso(translation.published_at) if translation.published_at else None,
        "updated_at": to_iso(translation.updated_at),
        "updated_by": translation.updated_by,
    }


def article_json(article: Article) -> dict[str, Any]:
    """The article with a translation (or its ``missing`` state) for every desk language."""
    return {
        "slug": article.slug,
        "category": article.category,
        "original": article.original,
        "owner": article.owner,
        "review_by": article.review_by.isoformat(),
        "created_at": to_iso(article.created_at),
        "created_by": article.created_by,
        "updated_at": to_iso(article.updated_at),
        "version": article.version,
        "translations": {
            language: translation_json(article, language) for language in _desk_languages(article)
        },
    }


def version_json(version: ArticleVersion, *, with_body: bool = True) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "slug": version.slug,
        "language": version.language,
        "number": version.number,
        "title": version.title,
        "tags": list(version.tags),
        "author": version.author,
        "at": to_iso(version.at),
        "source_version": version.source_version,
        "note": version.note,
    }
    if with_body:
        answer["body"] = version.body
    return answer


def figures_json(counts: Mapping[str, int]) -> dict[str, Any]:
    """An article's figures of the recent days (every one the report shows, 0 when none), with
    the share of helpful votes and the deflection rate (deflected / suggested) as the report has
    them: null when there is nothing to divide by."""
    figures: dict[str, Any] = {what: int(counts.get(what, 0)) for what in ARTICLE_FIGURES}
    votes = figures["helpful"] + figures["not_helpful"]
    figures["helpful_share"] = round(figures["helpful"] / votes, 4) if votes else None
    suggested = figures["suggested"]
    figures["deflection_rate"] = round(figures["deflected"] / suggested, 4) if suggested else None
    return figures


# -- reading a request -----------------------------------------------------------------------------


def _slug(request: ApiRequest) -> str:
    return validate_slug(request.path_params.get("slug", ""))


def _language(request: ApiRequest) -> str:
    return workflow.validate_language(request.path_params.get("lang", ""))


def _whole_number(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one kind of number: 3.0 is version 3
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_VERSION:
        raise BadRequest(f"{name} must be a whole number from {minimum} to {MAX_VERSION:,}")
    return value


def _version_number(text: str, name: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_VERSION:
        raise BadRequest(f"{name} must be a version number from 1 to {MAX_VERSION:,}, not {text[:20]!r}")
    return int(text)


def _day(document: Mapping[str, Any], name: str) -> date | None:
    text = text_field(document, name)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"{name} must be a day as YYYY-MM-DD, such as 2027-06-30; not {text[:20]!r}"
        ) from None


def _tags(document: Mapping[str, Any]) -> list[str]:
    tags = document.get("tags", [])
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BadRequest("tags must be a list of words or short phrases (strings)")
    # As sent, before repeats and blanks are dropped: what the request says is what is checked.
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"an article has at most {MAX_TAGS} tags; this request gives {len(tags)}")
    too_long = next((tag for tag in tags if len(tag) > MAX_TAG_LENGTH), None)
    if too_long is not None:
        raise BadRequest(f"a tag is at most {MAX_TAG_LENGTH} characters: {too_long[:MAX_TAG_LENGTH]!r}…")
    return tags


def _required_text(document: Mapping[str, Any], name: str) -> str:
    value = text_field(document, name)
    if value is None:
        raise BadRequest(f"{name} must be a string")
    return value


def _served_under(request: ApiRequest) -> str:
    """The path the desk is served under (behind API Gateway, its stage: "/api"; else ""), so
    that an image's address works on this host whatever the stage."""
    position = request.path.find("/articles")
    return request.path[:position] if position > 0 else ""


# -- the routes ------------------------------------------------------------------------------------


def list_articles(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Every article with its translations' states, why it needs a look (flags) and its figures of
    the last 30 days; ``category``, ``status`` (published: some translation is; draft: none is) and
    ``flag`` (any, or a reason) narrow the list."""
    authenticated(request, context)
    request.only_query(frozenset({"category", "status", "flag"}))
    category = request.query.get("category") or None
    if category is not None:
        validate_category(category)
    status = request.query.get("status") or None
    if status is not None and status not in STATUS_FILTERS:
        raise BadRequest(f"status must be one of {', '.join(sorted(STATUS_FILTERS))}, not {status[:20]!r}")
    flag = request.query.get("flag") or None
    if flag is not None and flag not in FLAG_FILTERS:
        raise BadRequest(f"flag must be one of {', '.join(sorted(FLAG_FILTERS))}, not {flag[:40]!r}")

    articles = context.ports.knowledge.list_articles()
    figures = desk_figures(context.settings)
    today = context.ports.clock().astimezone(figures.zone).date()
    recent = figures.recent(today)
    flagged = flags_for(articles, recent, today)
    summaries = []
    for article in articles:
        published = any(t.status is ArticleStatus.PUBLISHED for t in article.translations.values())
        reasons = {found.reason.value for found in flagged[article.slug]}
        if category is not None and article.category != category:
            continue
        if status is not None and published != (status == ArticleStatus.PUBLISHED.value):
            continue
        if flag is not None and not (bool(reasons) if flag == "any" else flag in reasons):
            continue
        summaries.append(
            {
                **article_json(article),
                "flags": [flag_json(found) for found in flagged[article.slug]],
                "figures": figures_json(recent.get(article.slug, {})),
            }
        )
    return ApiResponse(200, {"articles": summaries, "languages": _desk_languages()})


def create_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """A new article, a draft in ``language`` (its original): 201 with the article. Without a slug,
    one is made from the title; a slug taken already is a 409."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(
        allowed=_CREATE_FIELDS, required=frozenset({"category", "language", "title", "body"})
    )
    # Absent or null: one is made from the title; given, it must be a slug ("" is not one).
    given = text_field(document, "slug")
    slug = validate_slug(given) if given is not None else None
    article = workflow.create_article(
        context.settings,
        context.ports,
        slug=slug,
        category=_required_text(document, "category"),
        language=_required_text(document, "language"),
        title=_required_text(document, "title"),
        tags=_tags(document),
        body=_required_text(document, "body"),
        actor=agent.email,
        owner=text_field(document, "owner") or None,
        review_by=_day(document, "review_by"),
    )
    return ApiResponse(201, {"article": article_json(article)})


def get_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    authenticated(request, context)
    request.only_query(frozenset())
    return ApiResponse(200, {"article": article_json(context.ports.knowledge.get(_slug(request)))})


def update_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Change the category, owner or review date over the article's ``version`` (409 when it has
    changed since)."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    slug = _slug(request)
    document = request.json_body(allowed=_PATCH_FIELDS, required=frozenset({"version"}))
    if len(document) == 1:
        raise BadRequest("give category, owner or review_by to change, with the version you read")
    category = text_field(document, "category")
    owner = text_field(document, "owner")
    article = workflow.update_article(
        context.settings,
        context.ports,
        slug=slug,
        version=_whole_number(document["version"], "version", 1),
        actor=agent.email,
        category=category,
        owner=owner,
        review_by=_day(document, "review_by"),
    )
    return ApiResponse(200, {"article": article_json(article)})


def delete_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Delete the article, every translation and version (admins only); 204."""
    authenticated(request, context, Role.ADMIN)
    request.only_query(frozenset())
    workflow.delete_article(context.settings, context.ports, slug=_slug(request))
    return ApiResponse(204, "", headers={})


def get_translation(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """What the editor opens: the translation, its newest draft and its published version with
    their text, the original's published version (what a translation follows), the versions
    without their text, and the help center's address of the published text."""
    authenticated(request, context)
    request.only_query(frozenset())
    slug, language = _slug(request), _language(request)
    store = context.ports.knowledge
    article = store.get(slug)
    translation = article.translations.get(language)
    if translation is None:
        raise ArticleNotFound(
            f"The article {slug!r} has no {language} translation yet: save a {language} draft to start it."
        )
    draft = store.version(slug, language, translation.draft_version)
    published = (
        store.version(slug, language, translation.published_version)
        if translation.published_version
        else None
    )
    original = article.translations.get(article.original)
    url = help_url(context.settings.survey.public_url, language, slug) if published else ""
    return ApiResponse(
        200,
        {
            "article": article_json(article),
            "translation": translation_json(article, language),
            "draft": version_json(draft),
            "published": version_json(published) if published else None,
            "original": {
                "language": article.original,
                "published_version": original.published_version if original else 0,
                "title": original.title if original else None,
            },
            "versions": [version_json(v, with_body=False) for v in store.versions(slug, language)],
            "url": url or None,
        },
    )


def save_translation(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Save a new draft version over ``base_version`` (the draft version the editor started from, 0
    for a new translation): the new version, or a 409 saying who saved since and when (``newer``)."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    slug, language = _slug(request), _language(request)
    document = request.json_body(allowed=_DRAFT_FIELDS, required=frozenset({"title", "body", "base_version"}))
    source = document.get("source_version")
    try:
        version = workflow.save_draft(
            context.settings,
            context.ports,
            slug=slug,
            language=language,
            title=_required_text(document, "title"),
            tags=_tags(document),
            body=_required_text(document, "body"),
            base_version=_whole_number(document["base_version"], "base_version", 0),
            actor=agent.email,
            source_version=_whole_number(source, "source_version", 0) if source is not None else None,
            note=text_field(document, "note") or "",
        )
    except StaleDraft as stale:
        answer = error_response(stale)
        newer = {
            "number": stale.current,
            "author": stale.author,
            "at": to_iso(stale.at) if stale.at else None,
        }
        return ApiResponse(answer.status, {**answer.body, "newer": newer})
    return ApiResponse(200, {"version": version_json(version)})


def publish_translation(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Make ``version`` what the help center shows in the language."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    slug, language = _slug(request), _language(request)
    document = request.json_body(allowed=frozenset({"version"}), required=frozenset({"version"}))
    workflow.publish(
        context.settings,
        context.ports,
        slug=slug,
        language=language,
        version=_whole_number(document["version"], "version", 1),
        actor=agent.email,
    )
    return _translation_answer(context, slug, language)


def unpublish_translation(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Take the language's text off the help center; its draft and versions stay."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    slug, language = _slug(request), _language(request)
    workflow.unpublish(context.settings, context.ports, slug=slug, language=language, actor=agent.email)
    return _translation_answer(context, slug, language)


def _translation_answer(context: ApiContext, slug: str, language: str) -> ApiResponse:
    article = context.ports.knowledge.get(slug)
    return ApiResponse(200, {"translation": translation_json(article, language)})


def get_version(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """One version with its text."""
    authenticated(request, context)
    request.only_query(frozenset())
    slug, language = _slug(request), _language(request)
    number = _version_number(request.path_params.get("number", ""), "number")
    return ApiResponse(
        200, {"version": version_json(context.ports.knowledge.version(slug, language, number))}
    )


def version_diff(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """What changed from version ``from`` to version ``to``: the title, the tags, the body's lines."""
    authenticated(request, context)
    request.only_query(frozenset({"from", "to"}))
    slug, language = _slug(request), _language(request)
    missing = sorted({"from", "to"} - set(request.query))
    if missing:
        raise BadRequest(f"give the two versions to compare as from and to (missing: {', '.join(missing)})")
    older = _version_number(request.query["from"], "from")
    newer = _version_number(request.query["to"], "to")
    store = context.ports.knowledge
    lines = diff_versions(store.version(slug, language, older), store.version(slug, language, newer))
    return ApiResponse(
        200,
        {"from": older, "to": newer, "lines": [{"kind": line.kind, "text": line.text} for line in lines]},
    )


def preview_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Markdown as the help center shows it (its own renderer); nothing is stored."""
    authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(allowed=frozenset({"body"}), required=frozenset({"body"}))
    body = validate_body(_required_text(document, "body"))
    return ApiResponse(200, {"html": article_html(body, image_base=_served_under(request))})


def upload_image(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """An image for articles, as base64 in ``data`` (PNG, JPEG, GIF or WebP, at most 2 MB; its bytes
    say which, whatever ``content_type`` claims): 201 with its name, the help center's address of it
    and the Markdown that shows it."""
    authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(
        allowed=_IMAGE_FIELDS, required=frozenset({"data"}), max_bytes=_IMAGE_BODY_BYTES
    )
    encoded = _required_text(document, "data")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("data must be the image's bytes in base64") from None
    name = context.ports.knowledge.put_image(data, text_field(document, "content_type") or "")
    url = help_image_url(context.settings.survey.public_url or _served_under(request), name)
    alt = (text_field(document, "filename") or "").rsplit(".", 1)[0].replace("]", "").strip()[:120]
    return ApiResponse(201, {"name": name, "url": url, "markdown": f"![{alt}]({url})"})
