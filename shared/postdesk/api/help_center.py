"""The public help center: the published articles per language, for anyone, without signing in
(docs/knowledge.md, "The help center").

``GET /help`` sends a reader to the language their browser asks for; ``/help/{lang}/`` lists the
topics and their articles, ``/help/{lang}/categories/{category}`` one topic,
``/help/{lang}/articles/{slug}`` one article, ``/help/{lang}/search?q=`` what the search engine
finds; ``POST /help/{lang}/articles/{slug}/votes`` records "Was this helpful?" (a plain form, no
script) and ``GET /help/images/{name}`` serves the articles' images.

Every page can be cached by anyone for five minutes and carries a strong ETag (a second look with
``If-None-Match`` is a 304 without a body); it sets no cookie, runs no script, loads nothing from
another site (its style is in the page, allowed by its hash) and names the same page in the other
languages. An unknown language, topic or article is a 404 page in words, with the way back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, quote

from postdesk.api.context import ApiContext, require_own_origin
from postdesk.api.http import MAX_BODY_BYTES, ApiRequest, ApiResponse, page_security_policy, redirect
from postdesk.effects import keys
from postdesk.effects.guards import RateLimit
from postdesk.errors import CrossSiteRefused
from postdesk.knowledge.figures import desk_figures
from postdesk.knowledge.render import RenderedArticle, article_summary, render_article
from postdesk.knowledge.store import ArticleNotFound
from postdesk.observability import logger
from postdesk.rendering import (
    available_languages,
    environment,
    language_having,
    preferred_language,
    render_page,
    templates_dir,
)
from postdesk.signing import sign
from postdesk.triage.knowledge import CATEGORIES

if TYPE_CHECKING:
    from postdesk.knowledge.model import PublishedArticle

WORDS: Final = "help_words.j2"
# Pages change when an article is published; five minutes of caching is what a reader may wait.
PAGE_CACHE: Final = "public, max-age=300"
# An image's name is its content's hash: it never changes under its name.
IMAGE_CACHE: Final = "public, max-age=31536000, immutable"
# Votes of one source address for one article in one day that count; the rest are thanked and dropped.
VOTES_PER_DAY: Final = 3
# The vote counters live two days: long enough for a day's window, then DynamoDB removes them.
VOTE_COUNTER_SECONDS: Final = 2 * 24 * 3600
MAX_QUERY_CHARS: Final = 200
SEARCH_RESULTS: Final = 20
# A topic on the home page shows this many of its articles; its own page shows all.
HOME_ARTICLES_PER_TOPIC: Final = 5
VOTES: Final = {"yes": "helpful", "no": "not_helpful"}
# Where the help center's own part of a path begins ("/helpdesk/help/en/" is under "/helpdesk").
_HELP_SEGMENT: Final = re.compile(r"/help(?=/|$)")


@cache
def _stylesheet() -> str:
    return (templates_dir() / "pages" / "help.css").read_text(encoding="utf-8").strip()


@cache
def content_security_policy() -> str:
    """The page's own style element (by its hash), the help center's own images, a search form and
    a vote form that stay on the desk; nothing else, from nowhere else."""
    # data: for the empty icon only (the browser would ask for /favicon.ico): an article's own images
    # come from the desk (knowledge/render.py refuses data: addresses).
    return page_security_policy(_stylesheet(), "img-src 'self' data:")


def _security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        # Links out of an article tell the other site nothing about who read what; within the desk
        # the browser names the page's origin (with "no-referrer" a vote's Origin would be "null").
        "Referrer-Policy": "same-origin",
    }


@cache
def help_languages() -> tuple[str, ...]:
    """The desk's languages the help center speaks (those with its words), in a stable order."""
    return tuple(sorted(lang for lang in available_languages() if (templates_dir() / lang / WORDS).is_file()))


@cache
def _endonym(language: str) -> str:
    """The language's name in itself ("Deutsch"), as its own words file says it."""
    return str(environment().get_template(f"{language}/{WORDS}").module.language_name)  # type: ignore[attr-defined]


def _base(request: ApiRequest) -> str:
    """The path the desk is served under (behind API Gateway's stage, "/api"; else ""): every link
    of a page starts with it, so the pages work under any stage or domain."""
    found = _HELP_SEGMENT.search(request.path or "")
    return request.path[: found.start()] if found else ""


@dataclass(frozen=True, slots=True)
class _Where:
    """What a page needs to build its links and name itself in other languages."""

    base: str
    # The desk's public address, for the canonical and alternate addresses ("" = the base path).
    public_url: str
    language: str

    def path(self, tail: str, language: str | None = None) -> str:
        return f"{self.base}/help/{language or self.language}{tail}"

    def absolute(self, tail: str, language: str | None = None) -> str:
        return f"{self.public_url or self.base}/help/{language or self.language}{tail}"


def _where(request: ApiRequest, context: ApiContext, language: str) -> _Where:
    return _Where(_base(request), context.settings.survey.public_url, language)


def _alternates(where: _Where, tail: str, languages: Sequence[str]) -> list[dict[str, Any]]:
    """The same page in each of ``languages``: the header's language links and the page's
    ``hreflang`` alternates."""
    return [
        {
            "language": lang,
            "name": _endonym(lang),
            "path": where.path(tail, lang),
            "url": where.absolute(tail, lang),
            "current": lang == where.language,
        }
        for lang in languages
    ]


def entity_tag(body: str) -> str:
    """A strong ETag of a page: the hash of its bytes (two pages alike byte for byte share it)."""
    return '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'


def _not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (or is ``*``); compared weakly, as RFC 9110 asks."""
    tags = {tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",") if tag.strip()}
    return "*" in tags or etag in tags


def _html(
    context: ApiContext,
    name: str,
    where: _Where,
    tail: str,
    languages: Sequence[str] | None,
    values: dict[str, Any],
) -> str:
    """The page ``pages/<name>.html.j2`` in ``where.language``; ``tail`` is its path after the
    language, its address in the other ``languages`` (every language of the help center when None)."""
    return render_page(
        name,
        where.language,
        {
            "stylesheet": _stylesheet(),
            "words_file": f"{where.language}/{WORDS}",
            "home": where.path("/"),
            "search_action": where.path("/search"),
            "brand": context.settings.support_name,
            "support_address": context.settings.support_address,
            "canonical": where.absolute(tail),
            "alternates": _alternates(where, tail, help_languages() if languages is None else languages),
            "query": "",
            **values,
        },
    )


def _page(
    request: ApiRequest,
    context: ApiContext,
    status: int,
    name: str,
    where: _Where,
    *,
    tail: str,
    languages: Sequence[str] | None = None,
    by_accept_language: bool = False,
    **values: Any,
) -> ApiResponse:
    """A page anyone may cache, with its ETag; a 304 without a body when the caller has it already.
    ``by_accept_language``: its language was chosen by the browser's, which caches must know."""
    html = _html(context, name, where, tail, languages, values)
    etag = entity_tag(html)
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": PAGE_CACHE,
        "ETag": etag,
        **({"Vary": "Accept-Language"} if by_accept_language else {}),
        **_security_headers(),
    }
    if status == 200 and _not_modified(request.header("if-none-match"), etag):
        return ApiResponse(304, "", headers)
    return ApiResponse(status, html, headers)


def _reader_language(request: ApiRequest, context: ApiContext) -> str:
    """The help center's language the reader's browser prefers (the desk's default when none)."""
    default = language_having(WORDS, context.settings.default_language)
    return preferred_language(request.header("accept-language") or "", frozenset(help_languages()), default)


def _page_language(request: ApiRequest, context: ApiContext) -> str | None:
    """The language of the page's path, when the help center speaks it."""
    language = request.path_params.get("lang", "")
    return language if language in help_languages() else None


def _missing(
    request: ApiRequest,
    context: ApiContext,
    language: str | None,
    reason: str,
    *,
    slug: str = "",
    elsewhere: Sequence[str] = (),
) -> ApiResponse:
    """The 404 page, in the page's language or else the reader's: ``reason`` is ``page``,
    ``language``, ``category`` or ``article``; ``elsewhere`` the languages an article is in."""
    where = _where(request, context, language or _reader_language(request, context))
    return _page(
        request,
        context,
        404,
        "help_missing",
        where,
        tail="/",
        by_accept_language=language is None,
        canonical="",
        reason=reason,
        asked_language=request.path_params.get("lang", "")[:20],
        elsewhere=[
            {"language": lang, "name": _endonym(lang), "path": where.path(f"/articles/{slug}", lang)}
            for lang in elsewhere
        ],
    )


# -- the pages -------------------------------------------------------------------------------------


def help_root(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """``/help``: to the home page in the language the browser prefers."""
    language = _reader_language(request, context)
    return redirect(
        302,
        f"{_base(request)}/help/{language}/",
        {"Cache-Control": PAGE_CACHE, "Vary": "Accept-Language", **_security_headers()},
    )


# A container serves the same published articles over and over: each is read once per version.
@lru_cache(maxsize=1024)
def _summary(body: str, limit: int = 180) -> str:
    return article_summary(body, limit)


@lru_cache(maxsize=256)
def _rendered(body: str, image_base: str) -> RenderedArticle:
    return render_article(body, image_base=image_base)


def _listed(article: PublishedArticle, where: _Where) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "path": where.path(f"/articles/{article.slug}"),
        "summary": _summary(article.body),
        "category": article.category,
    }


def _by_title(articles: Sequence[PublishedArticle]) -> list[PublishedArticle]:
    return sorted(articles, key=lambda article: (article.title.casefold(), article.slug))


def help_home(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The topics with their articles, and the search."""
    language = _page_language(request, context)
    if language is None:
        return _missing(request, context, None, "language")
    where = _where(request, context, language)
    articles = _by_title(context.ports.catalogue.articles(language))
    topics = [
        {
            "name": category,
            "path": where.path(f"/categories/{category}"),
            "count": len(members),
            "articles": [_listed(article, where) for article in members[:HOME_ARTICLES_PER_TOPIC]],
        }
        for category in sorted(CATEGORIES)
        if (members := [article for article in articles if article.category == category])
    ]
    others = [
        lang for lang in help_languages() if lang != language and context.ports.catalogue.articles(lang)
    ]
    return _page(
        request,
        context,
        200,
        "help_home",
        where,
        tail="/",
        topics=topics,
        languages_with_articles=[
            {"name": _endonym(lang), "language": lang, "path": where.path("/", lang)} for lang in others
        ],
    )


def help_category(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """One topic's articles."""
    language = _page_language(request, context)
    if language is None:
        return _missing(request, context, None, "language")
    category = request.path_params.get("category", "")
    if category not in CATEGORIES:
        return _missing(request, context, language, "category")
    where = _where(request, context, language)
    articles = [a for a in _by_title(context.ports.catalogue.articles(language)) if a.category == category]
    return _page(
        request,
        context,
        200,
        "help_category",
        where,
        tail=f"/categories/{category}",
        category=category,
        category_path=where.path(f"/categories/{category}"),
        articles=[_listed(article, where) for article in articles],
    )


def help_article(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """One article; the vote's thanks in place of the form after a vote (``?voted=yes|no``).
    Serving it counts ``opened`` (and ``opened_from_mail`` for a link of an acknowledgement,
    ``?from=mail``)."""
    language = _page_language(request, context)
    if language is None:
        return _missing(request, context, None, "language")
    slug = request.path_params.get("slug", "")
    catalogue = context.ports.catalogue
    article = catalogue.article(slug, language)
    if article is None:
        elsewhere = [lang for lang in catalogue.languages_of(slug) if lang in help_languages()]
        return _missing(request, context, language, "article", slug=slug, elsewhere=elsewhere)
    where = _where(request, context, language)
    voted = request.query.get("voted", "")
    voted = voted if voted in VOTES else ""
    rendered = _rendered(article.body, where.base)
    related = [
        _listed(other, where)
        for other in _by_title(catalogue.articles(language))
        if other.category == article.category and other.slug != slug
    ]
    answer = _page(
        request,
        context,
        200,
        "help_article",
        where,
        tail=f"/articles/{slug}",
        languages=[lang for lang in help_languages() if lang in catalogue.languages_of(slug)],
        article=article,
        body=rendered.html,
        outline=rendered.outline,
        description=_summary(article.body, 160),
        voted=voted,
        vote_action=where.path(f"/articles/{slug}/votes"),
        category_path=where.path(f"/categories/{article.category}"),
        related=related[:5],
        mail_subject=quote(article.title, safe=""),
    )
    if not voted and request.method != "HEAD":
        # The page after a vote is the same reader again: it counts once, as they first opened it.
        # A HEAD (a link checker, a cache) reads no page.
        _count(context, slug, "opened")
        if request.query.get("from") == "mail":
            _count(context, slug, "opened_from_mail")
    return answer


def help_search(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The articles the search engine finds for ``q`` in the page's language, best first."""
    language = _page_language(request, context)
    if language is None:
        return _missing(request, context, None, "language")
    where = _where(request, context, language)
    query = " ".join((request.query.get("q") or "").split())[:MAX_QUERY_CHARS]
    found = context.ports.catalogue.engine().find(query, language, limit=SEARCH_RESULTS) if query else []
    # With nothing found, the topics to browse instead: those with an article in this language.
    published = {article.category for article in context.ports.catalogue.articles(language)}
    results = [
        {
            "title": suggestion.article.title,
            "path": where.path(f"/articles/{suggestion.article.slug}"),
            "summary": _summary(suggestion.article.body),
            "category": suggestion.article.category,
        }
        for suggestion in found
    ]
    return _page(
        request,
        context,
        200,
        "help_search",
        where,
        tail="/search" + (f"?q={quote(query, safe='')}" if query else ""),
        query=query,
        results=results,
        categories=[category for category in sorted(CATEGORIES) if category in published],
    )


# -- votes -----------------------------------------------------------------------------------------


def _vote_field(request: ApiRequest) -> str:
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        return ""
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=5)
    return (fields.get("helpful") or [""])[0].strip().lower()


def _vote_counts(request: ApiRequest, context: ApiContext, slug: str) -> bool:
    """Whether this vote is within the day's VOTES_PER_DAY of its source address for the article.
    The counter is named by an HMAC of the address under the desk's signing key: the address
    itself is stored nowhere."""
    now = context.ports.clock()
    source_tag = sign(context.ports.signing_key(), "help-vote", request.source_ip, length=26)
    window = keys.help_vote_counter(source_tag, slug, now)
    expires_at = int((now + timedelta(seconds=VOTE_COUNTER_SECONDS)).timestamp())
    return context.ports.guards.count_within(RateLimit(window, VOTES_PER_DAY, expires_at))


def _vote_problem(
    request: ApiRequest, context: ApiContext, status: int, language: str, problem: str
) -> ApiResponse:
    """The answer to a vote that was not counted for a reason the reader should hear (never cached)."""
    where = _where(request, context, language)
    slug = request.path_params.get("slug", "")
    values = {"canonical": "", "problem": problem, "article_path": where.path(f"/articles/{slug}")}
    html = _html(context, "help_vote_problem", where, f"/articles/{slug}", [], values)
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", **_security_headers()}
    return ApiResponse(status, html, headers)


def help_vote(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Record "Was this helpful?" from the article's form (``helpful=yes|no``) and send the reader
    back to the article, scrolled to the thanks in place of the form (303). Beyond VOTES_PER_DAY from
    one address for one article in a day, a vote is thanked all the same and not counted."""
    language = _page_language(request, context)
    if language is None:
        return _missing(request, context, None, "language")
    slug = request.path_params.get("slug", "")
    if context.ports.catalogue.article(slug, language) is None:
        return _missing(request, context, language, "article")
    try:
        require_own_origin(request, context)
    except CrossSiteRefused:
        return _vote_problem(request, context, 403, language, "cross_site")
    answer = _vote_field(request)
    if answer not in VOTES:
        return _vote_problem(request, context, 400, language, "no_answer")
    if _vote_counts(request, context, slug):
        _count(context, slug, VOTES[answer])
    where = _where(request, context, language)
    return redirect(
        303,
        where.path(f"/articles/{slug}?voted={answer}#vote-heading"),
        {"Cache-Control": "no-store", **_security_headers()},
    )


# -- images ----------------------------------------------------------------------------------------


def help_image(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """An image of an article, by the name the editor's upload gave it (its hash and type)."""
    try:
        image = context.ports.knowledge.image(request.path_params.get("name", ""))
    except ArticleNotFound:
        return _missing(request, context, None, "page")
    return ApiResponse(
        200,
        image.data,
        {
            "Content-Type": image.content_type,
            "Cache-Control": IMAGE_CACHE,
            "ETag": f'"{image.name.partition(".")[0]}"',
            "X-Content-Type-Options": "nosniff",
            # Opened on its own, the picture is a document that may do nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


# -- figures ---------------------------------------------------------------------------------------


def _count(context: ApiContext, slug: str, what: str) -> None:
    """Count a reader's ``what`` for the article (knowledge/figures.py). A figure that cannot be
    written is logged and the page is served all the same: a reader never pays for a count."""
    try:
        desk_figures(context.settings).record(slug, what, context.ports.clock())
    except Exception:
        logger.exception("a help center figure was not counted", extra={"slug": slug, "figure": what})
        context.ports.metrics.count("HelpCenterFigureFailed")
