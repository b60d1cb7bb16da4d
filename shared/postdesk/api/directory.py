"""Who is signed in, who else works the desk, and the knowledge base: what the console looks up."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from postdesk.agents.model import Agent, Role
from postdesk.api.availability import availability
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.errors import BadRequest
from postdesk.knowledge.render import plain_text
from postdesk.rendering import available_languages
from postdesk.workflows.ticket_work import desk_queues

if TYPE_CHECKING:
    from postdesk.replies.sign_off import SignOffPolicy
from postdesk.triage.knowledge import fold

MAX_QUERY_CHARS = 500
MAX_ARTICLES = 10
SNIPPET_CHARS = 240
# GET /kb's two searches: what a person typing sees (every article holding a word, the last word
# also as a beginning), and what an acknowledgement would suggest (only articles that clearly fit).
SEARCH_MODES = ("find", "suggest")


def _agent(agent: Agent) -> dict[str, Any]:
    return {"email": agent.email, "name": agent.name, "role": agent.role.value}


def me(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The agent the token belongs to (the console checks a token with this), with their signature."""
    agent = authenticated(request, context)
    return ApiResponse(200, {**_agent(agent), "signature": dict(agent.signature), **availability(agent)})


def list_agents(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The active agents, for assigning tickets; with ``?all=true`` (admins) every agent,
    deactivated ones too, with their account's state (api/agents.py)."""
    if "all" in request.query and request.query["all"] != "true":
        raise BadRequest("all is true (every agent, deactivated ones too) or left out")
    if request.query.get("all") == "true":
        from postdesk.api.agents import every_agent

        authenticated(request, context, Role.ADMIN)
        request.only_query(frozenset({"all"}))
        return ApiResponse(200, {"agents": every_agent(context)})
    authenticated(request, context)
    agents = [{**_agent(agent), **availability(agent)} for agent in context.agents.list() if agent.active]
    return ApiResponse(200, {"agents": agents})


def list_queues(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The desk's queues (its triage rules route to them and its SLA policy may time them), for
    choosing one rather than typing it, each with the legal footer its replies carry by language
    (read only: the footers are legal text, reviewed and deployed in the operator's sign-off file),
    and whether the agent belongs to it (``member``: they see its tickets; the others are listed
    too, since a ticket of theirs may be moved to any queue, where it leaves their sight)."""
    from postdesk.replies.sign_off import load_sign_off
    from postdesk.triage.rules import load_rules

    agent = authenticated(request, context)
    rules = load_rules(context.settings.triage_rules_path)
    sign_off = load_sign_off(context.settings.sign_off_path)
    return ApiResponse(
        200,
        {
            "queues": [
                {
                    "name": name,
                    "default": name == rules.default_queue,
                    "triage": name == rules.triage_queue,
                    "footer": _footers(sign_off, name),
                    "member": agent.sees_queue(name),
                }
                for name in desk_queues(context.settings)
            ]
        },
    )


def list_mailboxes(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The desk's addresses (the main one first), each with the brand its mail carries and the queue
    its new tickets go to (null: triage decides), for choosing the address a new ticket goes from."""
    authenticated(request, context)
    request.only_query(frozenset())
    mailboxes = context.settings.mailboxes
    return ApiResponse(
        200,
        {
            "mailboxes": [
                {
                    "address": mailbox.address,
                    "name": mailbox.brand,
                    "queue": mailbox.queue,
                    "main": mailbox is mailboxes.main,
                }
                for mailbox in mailboxes.all
            ]
        },
    )


def _footers(sign_off: SignOffPolicy, queue: str) -> dict[str, str]:
    """The footer a reply on a ticket of ``queue`` carries, by the desk's languages (none: no footer)."""
    footers = {language: sign_off.footer_for(queue, language) for language in sorted(available_languages())}
    return {language: footer for language, footer in footers.items() if footer}


def list_categories(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The categories a ticket can have (triage's taxonomy, in its order), for choosing one rather
    than typing it."""
    from postdesk.triage.rules import CATEGORIES

    authenticated(request, context)
    request.only_query(frozenset())
    return ApiResponse(200, {"categories": [{"name": name} for name in CATEGORIES]})


def search_knowledge_base(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Published help articles for ``q`` in ``language`` (default: the desk's), best first: with
    ``mode=find`` (the default) every article holding a word of the query, the last word also as
    the beginning of a word while it is typed (the reply box's article picker); with
    ``mode=suggest`` only those an acknowledgement would suggest (docs/knowledge.md)."""
    authenticated(request, context)
    unknown = sorted(set(request.query) - {"q", "language", "limit", "mode"})
    if unknown:
        raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}; allowed: language, limit, mode, q")
    # Trailing spaces stay: "passw" is a word being typed, "passw " a finished one.
    query = request.query.get("q") or ""
    language = (request.query.get("language") or context.settings.default_language).strip().lower()
    limit_text = request.query.get("limit") or "5"
    mode = request.query.get("mode") or "find"
    languages = available_languages()
    # Every parameter that is wrong is named at once, so that the caller does not fix one at a time.
    problems = [
        problem
        for wrong, problem in (
            (not query.strip(), "q must hold the words to search for"),
            (len(query) > MAX_QUERY_CHARS, f"q has at most {MAX_QUERY_CHARS} characters"),
            (
                not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_ARTICLES,
                f"limit must be a whole number from 1 to {MAX_ARTICLES}",
            ),
            (
                mode not in SEARCH_MODES,
                "mode is find (every article holding a word of q) or suggest (only the articles an "
                f"acknowledgement would suggest), not {mode[:16]!r}",
            ),
            (
                language.split("-")[0] not in languages,
                f"language {language[:16]!r} is not one of the desk's: {', '.join(sorted(languages))}",
            ),
        )
        if wrong
    ]
    if problems:
        raise BadRequest("; ".join(problems))
    # A desk language with nothing published yet finds nothing, rather than refusing the question.
    knowledge = context.ports.catalogue.engine()
    limit = int(limit_text)
    found = (
        knowledge.find(query, language, limit=limit)
        if mode == "find"
        else knowledge.search(query, language, limit=limit)
    )
    return ApiResponse(
        200,
        {
            "articles": [
                {
                    "id": suggestion.article.slug,
                    "title": suggestion.article.title,
                    "language": suggestion.article.language,
                    "url": suggestion.article.url,
                    "category": suggestion.article.category,
                    "score": round(suggestion.score, 3),
                    "snippet": _snippet(suggestion.article.body, query),
                    # Markdown, for "insert the text" in a reply.
                    "body": suggestion.article.body,
                }
                for suggestion in found
            ]
        },
    )


def _snippet(body: str, query: str) -> str:
    """The article's first paragraph holding a word of the query (or a word it begins: the query
    may be typed still), or its first paragraph, as plain text (no ``**`` or list bullets)."""
    # A heading alone says too little to show under a title.
    paragraphs = [
        plain
        for paragraph in body.split("\n\n")
        if paragraph.strip() and not paragraph.lstrip().startswith("#")
        if (plain := plain_text(paragraph))
    ]
    wanted = tuple(word for word in re.findall(r"\w+", fold(query)) if len(word) > 2)

    def holds(paragraph: str) -> bool:
        return any(word.startswith(wanted) for word in re.findall(r"\w+", fold(paragraph)))

    chosen = next((p for p in paragraphs if wanted and holds(p)), paragraphs[0] if paragraphs else "")
    if len(chosen) <= SNIPPET_CHARS:
        return chosen
    # A long paragraph is shown from the sentence holding the word, when the cut would hide it.
    sentences = re.split(r"(?<=[.!?:;])\s+", chosen)
    holding = next((n for n, sentence in enumerate(sentences) if wanted and holds(sentence)), 0)
    if len(" ".join(sentences[: holding + 1])) > SNIPPET_CHARS:
        chosen = "…" + " ".join(sentences[holding:])
    return chosen if len(chosen) <= SNIPPET_CHARS else chosen[: SNIPPET_CHARS - 1].rstrip() + "…"
