"""The survey page customers reach from the survey mail.

``GET /survey/{token}`` only shows the question with the rating of the link chosen: mail scanners and
link previews fetch every link, so a GET records nothing. ``POST`` (the page's form, no JavaScript)
records the answer. A tampered link is a 403 page, an expired one (or one of a resolution the ticket
has left) a 410 page in the customer's language; every page comes under a strict CSP.
"""

from __future__ import annotations

from functools import cache
from typing import Final
from urllib.parse import parse_qs

from postdesk.api.context import ApiContext
from postdesk.api.http import MAX_BODY_BYTES, ApiRequest, ApiResponse, page_security_policy
from postdesk.rendering import (
    available_languages,
    language_having,
    preferred_language,
    render_page,
    templates_dir,
)
from postdesk.survey.tokens import RATINGS, ExpiredToken, SurveyToken, TamperedToken, read_token
from postdesk.tickets.model import Ticket
from postdesk.workflows.ratings import MAX_COMMENT_CHARS, AnswerSource, InvalidAnswer, record_rating
from postdesk.workflows.thread_mail import desk_name

WORDS: Final = "survey_words.j2"
FORM_TYPE: Final = "application/x-www-form-urlencoded"


@cache
def _stylesheet() -> str:
    return (templates_dir() / "pages" / "survey.css").read_text(encoding="utf-8").strip()


@cache
def content_security_policy() -> str:
    """Nothing but the page's own style element (by its hash) and a form posting back to us."""
    return page_security_policy(_stylesheet())


def _page(status: int, name: str, language: str, brand: str = "", **context: object) -> ApiResponse:
    """A survey page; ``brand`` (the name the desk wrote to the customer under) heads it, and a
    link that is not ours names none."""
    html = render_page(name, language, {"stylesheet": _stylesheet(), "brand": brand, **context})
    return ApiResponse(
        status,
        html,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": content_security_policy(),
            # The token in the address is the customer's answer key: no referrer, no caching, no index.
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Robots-Tag": "noindex, nofollow",
        },
    )


def _language(ticket: Ticket | None, request: ApiRequest, context: ApiContext) -> str:
    default = context.settings.default_language
    if ticket is not None:
        return language_having(WORDS, ticket.language, default)
    wanted = preferred_language(request.header("accept-language") or "", available_languages(), default)
    return language_having(WORDS, wanted, default)


def _invalid(request: ApiRequest, context: ApiContext) -> ApiResponse:
    return _page(403, "survey_problem", _language(None, request, context), expired=False)


def _expired(ticket: Ticket | None, ref: str, request: ApiRequest, context: ApiContext) -> ApiResponse:
    brand = desk_name(ticket, context.settings) if ticket is not None else ""
    return _page(410, "survey_problem", _language(ticket, request, context), brand, expired=True, ref=ref)


def _open_survey(request: ApiRequest, context: ApiContext) -> tuple[SurveyToken, Ticket] | ApiResponse:
    """The token and its ticket while the survey can be answered, else the page that says why."""
    text = request.path_params.get("token", "")
    try:
        token = read_token(context.ports.signing_key(), text, context.ports.clock())
    except TamperedToken:
        return _invalid(request, context)
    except ExpiredToken as expired:
        ticket = context.ports.store.get_ticket(expired.token.ref)
        return _expired(ticket, expired.token.ref, request, context)
    ticket = context.ports.store.get_ticket(token.ref)
    if ticket is None:
        # A genuine link whose ticket is gone (erased): nothing left to rate.
        return _expired(None, token.ref, request, context)
    if ticket.cycle != token.cycle:
        # The ticket was reopened since this survey went out: that resolution is over.
        return _expired(ticket, token.ref, request, context)
    return token, ticket


def _form(
    context: ApiContext,
    status: int,
    token: SurveyToken,
    ticket: Ticket,
    chosen: int,
    comment: str,
    problem: bool,
) -> ApiResponse:
    return _page(
        status,
        "survey_form",
        language_having(WORDS, ticket.language),
        desk_name(ticket, context.settings),
        ref=ticket.ref,
        subject=ticket.subject,
        chosen=chosen,
        comment=comment,
        max_comment=MAX_COMMENT_CHARS,
        problem=problem,
    )


def show_survey(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The question with the link's rating chosen (and the comment given before, if any)."""
    opened = _open_survey(request, context)
    if isinstance(opened, ApiResponse):
        return opened
    token, ticket = opened
    earlier_comment = ticket.survey_comment if ticket.survey_cycle == token.cycle else ""
    return _form(context, 200, token, ticket, token.rating, earlier_comment, problem=False)


def _answer_fields(request: ApiRequest) -> tuple[int | None, str]:
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        return None, ""
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    raw_rating = (fields.get("rating") or [""])[0].strip()
    rating = int(raw_rating) if raw_rating.isdigit() and int(raw_rating) in RATINGS else None
    return rating, (fields.get("comment") or [""])[0]


def answer_survey(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Record the rating (and comment) the form sent; a second answer for the same resolution
    changes the first."""
    opened = _open_survey(request, context)
    if isinstance(opened, ApiResponse):
        return opened
    token, ticket = opened
    rating, comment = _answer_fields(request)
    if rating is None:
        return _form(context, 400, token, ticket, token.rating, comment[:MAX_COMMENT_CHARS], problem=True)
    try:
        outcome = record_rating(
            ticket.ref,
            token.cycle,
            rating,
            comment,
            AnswerSource.PAGE,
            context.settings,
            context.ports,
        )
    except InvalidAnswer:
        return _form(context, 400, token, ticket, rating, comment[:MAX_COMMENT_CHARS], problem=True)
    return _page(
        200,
        "survey_thanks",
        language_having(WORDS, ticket.language),
        desk_name(outcome.ticket, context.settings),
        rating=rating,
        changed=not outcome.first_answer,
        follow_up=outcome.ticket.follow_up is not None,
    )
