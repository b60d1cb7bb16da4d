"""The console's bell: what the desk told the signed-in agent (the same notifications it mails them,
agents/notifications.py), newest first, and marking them read. Each agent sees only their own, and
of those only the ones about tickets they may see now (a ticket moved to a queue not theirs, or
erased, is left out)."""

from __future__ import annotations

import re
from typing import Any

from postdesk.agents.model import Agent
from postdesk.agents.notifications import FeedEntry
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.clock import to_iso
from postdesk.errors import BadRequest
from postdesk.workflows.notify import box_of, sentence

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# The most ids one request marks read (the bell keeps no more than this many anyway).
MAX_IDS = 200
_ID = re.compile(r"^[0-9a-f]{32}$")
# A cursor names the last entry of the page: its time and id.
_CURSOR = re.compile(r"^(?P<at>\d{4}-\d\d-\d\dT[0-9:.]+Z?)~(?P<id>[0-9a-f]{32})$")


def list_notifications(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """``{"notifications": [...], "unread": n, "next_cursor": ...}``: ``limit`` (1-100, 20 by
    default), ``cursor`` (the previous page's ``next_cursor``), ``unread=true`` for the unread only."""
    agent = authenticated(request, context)
    request.only_query(frozenset({"limit", "cursor", "unread"}))
    limit_text = request.query.get("limit", str(DEFAULT_PAGE_SIZE))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    cursor = request.query.get("cursor")
    after = None
    if cursor is not None:
        match = _CURSOR.match(cursor)
        if match is None:
            raise BadRequest("the cursor is not one this list gave: start again without it")
        after = (match["at"], match["id"])
    only_unread = request.flag("unread")
    entries = _visible(box_of(context.settings).feed(agent.email, context.ports.clock()), agent, context)
    unread = sum(1 for entry in entries if entry.read_at is None)
    listed = [entry for entry in entries if not only_unread or entry.read_at is None]
    if after is not None:
        listed = [entry for entry in listed if _position(entry) < after]
    page = listed[: int(limit_text)]
    more = len(listed) > len(page)
    return ApiResponse(
        200,
        {
            "notifications": [_document(entry) for entry in page],
            "unread": unread,
            "next_cursor": "~".join(_position(page[-1])) if more and page else None,
        },
    )


def mark_read(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """``{"ids": [...]}`` marks those read, ``{"all": true}`` every one; ``{"marked": n, "unread": m}``."""
    agent = authenticated(request, context)
    request.only_query(frozenset())
    document = request.json_body(allowed=frozenset({"ids", "all"}))
    every = document.get("all")
    ids = document.get("ids")
    if every is not None and not isinstance(every, bool):
        raise BadRequest("all must be true or false")
    if (every is True) == (ids is not None):
        raise BadRequest('say which to mark read: "ids" (a list of notification ids) or "all": true')
    if ids is not None:
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and _ID.match(i) for i in ids):
            raise BadRequest("ids must be a list of notification ids, as GET /notifications gives them")
        if len(ids) > MAX_IDS:
            raise BadRequest(f'mark at most {MAX_IDS} at once, or all of them with "all": true')
    box = box_of(context.settings)
    now = context.ports.clock()
    marked = box.mark_read(agent.email, None if every else ids, now)
    unread = sum(1 for entry in _visible(box.feed(agent.email, now), agent, context) if entry.read_at is None)
    return ApiResponse(200, {"marked": marked, "unread": unread})


def _position(entry: FeedEntry) -> tuple[str, str]:
    return (to_iso(entry.notification.at), entry.id)


def _visible(entries: list[FeedEntry], agent: Agent, context: ApiContext) -> list[FeedEntry]:
    """Those of ``entries`` about a ticket that exists and is in one of the agent's queues, or about
    no ticket (an article)."""
    refs = list(dict.fromkeys(entry.notification.ref for entry in entries if entry.notification.ref))
    tickets = context.ports.store.get_tickets(refs) if refs else {}
    return [
        entry
        for entry in entries
        if not entry.notification.ref
        or (entry.notification.ref in tickets and agent.sees_queue(tickets[entry.notification.ref].queue))
    ]


def _document(entry: FeedEntry) -> dict[str, Any]:
    notification = entry.notification
    return {
        "id": entry.id,
        "kind": notification.kind.value,
        "text": sentence(notification),
        "ref": notification.ref or None,
        "subject": notification.subject,
        "article": notification.article or None,
        "article_language": notification.article_language or None,
        "actor": notification.actor or None,
        "detail": notification.detail,
        "at": to_iso(notification.at),
        "read": entry.read_at is not None,
        "read_at": to_iso(entry.read_at) if entry.read_at is not None else None,
    }
