"""Ticket routes: read a ticket with its thread, answer it."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from postdesk.agents.model import Agent, AgentNotFound
from postdesk.agents.store import AgentStore
from postdesk.api.attachments import attachment_ids
from postdesk.api.collision import COLLISION_FIELDS, answering_changes, seen_of
from postdesk.api.context import ApiContext, authenticated
from postdesk.api.http import ApiRequest, ApiResponse, error_response, text_field
from postdesk.api.saved_replies import reply_body, reply_warnings, saved_reply_store, used_saved_reply
from postdesk.api.visibility import (
    hidden_refs,
    in_sight,
    path_ref,
    require_visible,
    visible_ref,
    visible_ticket,
)
from postdesk.attachments.outgoing import attachment_id
from postdesk.aws.s3 import BlobNotFound, S3BlobStore
from postdesk.clock import to_iso
from postdesk.errors import (
    BadRequest,
    DuplicateRequest,
    MessageNotFound,
    OutsideQueues,
    PostdeskError,
    PreconditionRequired,
    TicketNotFound,
)
from postdesk.mail.compose import is_header_safe
from postdesk.mail.filenames import neutral_filename
from postdesk.mail.recipients import InvalidAddress, normalize_address
from postdesk.replies.markdown import markdown_to_html
from postdesk.search.documents import snippet_parts
from postdesk.search.query import MAX_QUERY_LENGTH
from postdesk.search.segments import Order, search_conditions
from postdesk.signing import sign, verify
from postdesk.tickets.listing import (
    MAX_PAGE_SIZE,
    SLA_VIEWS,
    UNASSIGNED,
    Sort,
    TicketFilter,
    View,
    view_filter,
    waiting_on,
)
from postdesk.tickets.model import PRIORITIES, MessageKind, Status, ThreadMessage, Ticket, TicketEvent
from postdesk.tickets.refs import normalize_ref
from postdesk.tickets.views import ticket_summary
from postdesk.triage.rules import load_rules
from postdesk.workflows.collision import seen_marker
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.ticket_work import TicketEdit, add_note, check_edit, checked_queue, edit_ticket

ATTACHMENT_LINK_SECONDS = 300
REPLY_STATUSES = frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED})
DEFAULT_PAGE_SIZE = 25
# 130 bits: a cursor is a bearer of read positions, so it gets a full-strength signature.
CURSOR_SIGNATURE_LENGTH = 26
LIST_PARAMETERS = frozenset(
    {
        "status",
        "queue",
        "assignee",
        "priority",
        "language",
        "requester",
        "quarantined",
        "follow_up",
        # One of the views (GET /tickets/views), narrowed by the other filters where they apply.
        "view",
        "sort",
        "limit",
        "cursor",
        # Search (docs/search.md): words, their order, and when the tickets were created.
        "q",
        "order",
        "created_from",
        "created_to",
    }
)
EDIT_FIELDS = frozenset(
    {"version", "status", "priority", "queue", "assignee", "category", "tags", "subject", "follow_up"}
)
# Who stays on the thread (one ticket at a time: not a bulk change).
COPY_FIELDS = frozenset({"cc", "bcc", "dismiss_cc_offered"})
# Snooze (one ticket at a time): on hold until a time and/or until the customer answers, or not.
SNOOZE_FIELDS = frozenset({"snooze_until", "snooze_until_answer", "unsnooze"})


def message_api_id(key: str) -> str:
    """A thread message's storage key as a URL path segment (keys hold '#' and ':')."""
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def message_key_from_api_id(api_id: str) -> str | None:
    """The storage key behind :func:`message_api_id`, or None when ``api_id`` is not one."""
    try:
        key = base64.urlsafe_b64decode(api_id + "=" * (-len(api_id) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return key if key.startswith("M#") else None


# The thread messages an agent wrote in Markdown, by kind and by the start of their key's unique part
# (effects/keys.py thread_message_key): a reply or a new ticket's first mail, a forward's note. The
# desk's automatic mail of the same kind (a reminder, a closing notice) is plain text.
_WRITTEN_IN_MARKDOWN = {MessageKind.AGENT_REPLY: "reply-", MessageKind.FORWARD: "forward-"}


def written_html(message: ThreadMessage) -> str | None:
    """The HTML of what an agent wrote, as its mail showed it; None for any other message or an empty
    text. The text is stored as the agent typed it, variables replaced (workflows/reply.py), and is
    rendered by the same Markdown path as the mail's HTML part (replies/markdown.py: raw HTML escaped,
    links to http, https and mailto only), so messages sent before this field existed show too. The
    stored text keeps the backslashes a variable's value needs (a customer named ``*Sam*`` is
    ``\\*Sam*``: replies/markdown.py ``reply_parts``), so it renders here as the mail showed it; a
    message sent before that shows such a value as Markdown would render it."""
    unique = _WRITTEN_IN_MARKDOWN.get(message.kind)
    if unique is None or not message.key.split("#", 2)[-1].startswith(unique) or not message.text:
        return None
    return markdown_to_html(message.text)


def message_json(message: ThreadMessage, full: bool, blobs: S3BlobStore) -> dict[str, Any]:
    """A thread message as the API shows it (``full``: with its whole text and download links)."""
    shown: dict[str, Any] = {
        "id": message_api_id(message.key),
        "key": message.key,
        "direction": message.direction.value,
        "kind": message.kind.value,
        "at": to_iso(message.at),
        "from": {"email": message.from_email, "name": message.from_name},
        "subject": message.subject,
        "visible_reply": message.visible_text if message.visible_text is not None else message.text,
        "attachments": [
            {
                "id": attachment_id(a),
                "filename": neutral_filename(a.filename),
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": blobs.presigned_url(a.key, ATTACHMENT_LINK_SECONDS, a.filename),
            }
            for a in message.attachments
        ],
        # Attachments only the raw mail holds (the parse keeps at most 100 of a mail).
        "attachments_not_extracted": message.attachments_not_extracted,
        "raw_url": (
            blobs.presigned_url(
                message.raw_key, ATTACHMENT_LINK_SECONDS, f"{message.ref}-{message_api_id(message.key)}.eml"
            )
            if message.raw_key
            else None
        ),
        "screening": message.screening,
        "has_html": message.has_html,
        "body_html": written_html(message),
        # Who the mail was addressed to; the Bcc of our mail is for agents' eyes (no header names it).
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
    }
    if full:
        text = message.text
        if message.text_key:
            try:
                text = blobs.get(message.text_key).decode("utf-8", "replace")
            except BlobNotFound:
                # The bucket's lifecycle rule deleted the long text (raw_mail_days): the preview stays.
                text = message.text
        shown["text"] = text
    return shown


def _event(event: TicketEvent) -> dict[str, Any]:
    return {"at": to_iso(event.at), "kind": event.kind, "actor": event.actor, "detail": event.detail}


def get_ticket(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The ticket, its thread in order (visible replies; whole texts with ``?full=true``), its event
    log, and the requester's other tickets (those in the agent's queues)."""
    agent = authenticated(request, context)
    request.only_query(frozenset({"full"}))
    ticket = visible_ticket(path_ref(request), agent, context)
    ref = ticket.ref
    full = request.flag("full")
    others = [
        ticket_summary(other)
        for other in context.ports.store.tickets_of_requester(ticket.requester_email, limit=20)
        if other.ref != ticket.ref and agent.sees_queue(other.queue)
    ]
    thread = context.ports.store.thread(ref)
    body = {
        "ticket": ticket_summary(ticket),
        "thread": [message_json(m, full, context.blobs) for m in thread],
        # What a reply or note names as read (api/collision.py): exactly the thread above.
        "seen": seen_marker(thread),
        "events": [_event(e) for e in context.ports.store.events(ref)],
        "requester_tickets": others,
        "requester_suppressed": _suppression(ticket.requester_email, context),
        "mailbox": _mailbox(ticket, context),
    }
    return ApiResponse(200, body, _with_etag(ticket))


def _mailbox(ticket: Ticket, context: ApiContext) -> dict[str, str]:
    """The desk's address the ticket came in on, which its mail goes from, and the brand it carries."""
    mailbox = context.settings.mailboxes.of_ticket(ticket.mailbox)
    return {"address": mailbox.address, "name": mailbox.brand}


def _suppression(address: str, context: ApiContext) -> dict[str, str] | None:
    """Why no mail can go to the requester, when none can (the console shows it above the reply)."""
    found = context.ports.suppressions.check([address]).get(address)
    if found is None:
        return None
    return {"reason": found.reason.value, "since": to_iso(found.since), "message": found.explain(address)}


def _with_etag(ticket: Ticket) -> dict[str, str]:
    return {"Content-Type": "application/json", "ETag": f'"{ticket.version}"'}


# The longest Idempotency-Key taken (docs/openapi.yaml): a longer one is refused, not cut, since two
# keys that differ after it would name the same request.
MAX_IDEMPOTENCY_KEY = 80


def idempotency_id(request: ApiRequest) -> str:
    """The client's Idempotency-Key (a retry carries the same one), or a fresh id."""
    given = request.header("idempotency-key")
    if given is not None and len(given) > MAX_IDEMPOTENCY_KEY:
        raise BadRequest(f"the Idempotency-Key is over {MAX_IDEMPOTENCY_KEY} characters")
    return given or secrets.token_hex(12)


def answering_repeats(
    action: Callable[[], ApiResponse], ref: str, unique: str, what: tuple[str, str], context: ApiContext
) -> ApiResponse:
    """``action``'s answer; when it was done before under the same Idempotency-Key, the 409
    ``DuplicateRequest`` that says in words whether it is in the thread, with the message it
    recorded (``recorded``) when it is. ``unique`` is the end of the thread key the request writes
    (``reply-<request>``: effects/keys.py thread_message_key); ``what`` names it and what is done to
    it (``("reply", "sent")``). A client whose first answer was lost learns from it what became of
    the first attempt; nothing is done twice."""
    try:
        return action()
    except DuplicateRequest:
        thing, done = what
        recorded = next((m for m in context.ports.store.thread(ref) if m.key.endswith(f"#{unique}")), None)
        if recorded is None:
            words = (
                f"This {thing} was asked for before with the same Idempotency-Key, and the desk has not "
                f"confirmed it was {done}: it is not in the ticket's thread yet. It is not {done} again; "
                "look at the thread in a few minutes."
            )
            return ApiResponse(409, {"error": "DuplicateRequest", "message": words})
        words = (
            f"This {thing} was {done} already (the same Idempotency-Key): it is in the ticket's "
            f"thread, and is not {done} again."
        )
        shown = message_json(recorded, True, context.blobs)
        return ApiResponse(409, {"error": "DuplicateRequest", "message": words, "recorded": shown})


def _requester_filter(given: str | None) -> str | None:
    """The ``requester`` filter: an address (lower case), or None when the query has none."""
    if given is None:
        return None
    try:
        return normalize_address(given)
    except InvalidAddress as error:
        raise BadRequest(f"requester: {error}") from error


def list_tickets(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """A page of tickets: open work, oldest waiting first, unless filters and ``sort`` say otherwise."""
    agent = authenticated(request, context)
    request.only_query(LIST_PARAMETERS)
    wanted = _ticket_filter(request, agent, context)
    limit = _page_size(request.query.get("limit"))
    # The key signs cursors: read (from Secrets Manager, on a cold container) only when one is used.
    key = context.ports.signing_key
    cursor = _decode_cursor(request.query["cursor"], wanted, key()) if "cursor" in request.query else None
    if wanted.text is not None or wanted.created_from or wanted.created_before:
        return _search_tickets(wanted, limit, cursor, key, context)
    page = context.ports.store.list_tickets(wanted, limit, cursor)
    return ApiResponse(
        200,
        {
            "tickets": [_list_row(ticket) for ticket in page.tickets],
            "next_cursor": _encode_cursor(page.cursor, wanted, key()) if page.cursor else None,
        },
    )


def _list_row(ticket: Ticket) -> dict[str, Any]:
    """A ticket as a list shows it: its summary and whose turn it is (the row's marker)."""
    turn = waiting_on(ticket)
    return {**ticket_summary(ticket), "waiting_on": turn.value if turn else None}


def _ticket_filter(request: ApiRequest, agent: Agent, context: ApiContext) -> TicketFilter:
    query = request.query
    statuses = TicketFilter().statuses
    if "status" in query:
        try:
            statuses = tuple(dict.fromkeys(Status(part.strip()) for part in query["status"].split(",")))
        except ValueError as error:
            raise BadRequest(
                f"status must be a comma-separated list of {', '.join(s.value for s in Status)}"
            ) from error
    assignee = query.get("assignee") or None
    if assignee == "me":
        assignee = agent.email
    elif assignee == "none":
        assignee = UNASSIGNED
    priority = query.get("priority") or None
    if priority is not None and priority not in PRIORITIES:
        raise BadRequest(f"priority must be one of {', '.join(PRIORITIES)}")
    try:
        sort = Sort(query.get("sort", Sort.WAITING.value))
    except ValueError as error:
        raise BadRequest(f"sort must be one of {', '.join(s.value for s in Sort)}") from error
    if sort is Sort.DUE and query.get("view") not in SLA_VIEWS:
        raise BadRequest("sort=due orders the views due_soon and breached only")
    follow_up = request.flag("follow_up")
    if follow_up and not query.get("status"):
        statuses = ()
    if len(query.get("q", "")) > MAX_QUERY_LENGTH:
        raise BadRequest(f"q is at most {MAX_QUERY_LENGTH} characters: search with fewer words")
    text = query.get("q", "").strip() or None
    try:
        order = Order(query.get("order", Order.RELEVANCE.value))
    except ValueError as error:
        raise BadRequest(f"order must be one of {', '.join(o.value for o in Order)}") from error
    created_from = _day_bound(query.get("created_from"), "created_from", 0)
    created_before = _day_bound(query.get("created_to"), "created_to", 1)
    if created_from and created_before and created_from >= created_before:
        raise BadRequest(
            f"created_from ({query['created_from']}) is after created_to ({query['created_to']}): "
            "the first day comes first"
        )
    wanted = TicketFilter(
        text=text,
        order=order.value,
        created_from=created_from,
        created_before=created_before,
        statuses=statuses,
        follow_up=follow_up,
        quarantined=request.flag("quarantined"),
        queue=query.get("queue") or None,
        assignee=assignee.lower() if assignee and assignee != UNASSIGNED else assignee,
        priority=priority,
        language=_language_filter(query.get("language")),
        requester=_requester_filter(query.get("requester")),
        sort=sort,
        queues=agent.visible_queues,
    )
    return _in_view(wanted, request, agent, context) if "view" in query else wanted


# A view's count stops here ("1000+"): it bounds what one count reads when a list grows large.
VIEW_COUNT_CAP = 1000
VIEW_LABELS = {
    View.MINE: "Mine",
    View.UNASSIGNED: "Unassigned",
    View.DUE_SOON: "Due soon",
    View.BREACHED: "Breached",
    View.FOLLOW_UP: "Needs follow-up",
    View.SNOOZED: "Snoozed",
    View.QUARANTINE: "Quarantine",
}


def _business_hours(duration: timedelta) -> str:
    hours = duration.total_seconds() / 3600
    if hours < 1:
        minutes = round(duration.total_seconds() / 60)
        return f"{minutes} business {'minute' if minutes == 1 else 'minutes'}"
    shown = f"{hours:g}"
    return f"{shown} business {'hour' if hours == 1 else 'hours'}"


def list_views(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """The views an agent works from, each with how many tickets it holds now (counted over its
    index partitions with Select=COUNT: no ticket is read), in the order the console shows them."""
    from postdesk.sla.policy import load_policy

    agent = authenticated(request, context)
    request.only_query(frozenset())
    now = context.ports.clock()
    due_soon = load_policy(context.settings.sla_policy_path).due_soon
    soon = _due_soon_before(now, context)
    descriptions = {
        View.MINE: "Open tickets assigned to you",
        View.UNASSIGNED: "Open tickets nobody is assigned to",
        View.DUE_SOON: (
            f"Open tickets whose next SLA target falls due within {_business_hours(due_soon)}, soonest first"
        ),
        View.BREACHED: "Open tickets with an SLA target already past due, longest overdue first",
        View.FOLLOW_UP: "Tickets of any status flagged for a follow-up after a bad survey answer",
        View.SNOOZED: "Tickets on hold until a time or until the customer answers, the soonest to wake first",
        View.QUARANTINE: "Mail held as spam, as carrying a virus or as coming from a forged sender",
    }
    views = []
    for view in View:
        wanted = in_sight(view_filter(view, agent.email, to_iso(now), to_iso(soon)), agent)
        count = context.ports.store.count_tickets(wanted, VIEW_COUNT_CAP)
        shown: dict[str, Any] = {
            "name": view.value,
            "label": VIEW_LABELS[view],
            "count": count,
            "capped": count >= VIEW_COUNT_CAP,
            "description": descriptions[view],
        }
        if view is View.DUE_SOON:
            shown["due_before"] = to_iso(soon)
        views.append(shown)
    return ApiResponse(200, {"views": views, "counted_at": to_iso(now)})


def _due_soon_before(now: datetime, context: ApiContext) -> datetime:
    """The end of "Due soon": the policy's due_soon of business time from now."""
    from postdesk.sla.policy import load_policy

    policy = load_policy(context.settings.sla_policy_path)
    return policy.calendar.add(now, policy.due_soon)


def _in_view(wanted: TicketFilter, request: ApiRequest, agent: Agent, context: ApiContext) -> TicketFilter:
    """``wanted`` narrowed to the view ``view=`` names; a filter that contradicts the view, or that
    its index cannot answer, is a 400 that says so."""
    query = request.query
    try:
        view = View(query["view"])
    except ValueError as error:
        raise BadRequest(f"view must be one of {', '.join(v.value for v in View)}") from error
    clashes = {
        View.MINE: ("assignee", "quarantined"),
        View.UNASSIGNED: ("assignee", "quarantined"),
        View.FOLLOW_UP: ("follow_up", "quarantined"),
        View.QUARANTINE: ("status", "quarantined"),
        View.SNOOZED: ("status", "quarantined", "sort", "q", "order", "created_from", "created_to"),
        View.DUE_SOON: ("quarantined", "q", "order", "created_from", "created_to"),
        View.BREACHED: ("quarantined", "q", "order", "created_from", "created_to"),
    }[view]
    given = [name for name in clashes if name in query]
    if given:
        raise BadRequest(
            f"view={view.value} cannot be combined with {', '.join(given)}"
            + (
                ": the search index does not know due times; search open work without the view"
                if view in SLA_VIEWS and not set(given) <= {"quarantined"}
                else ": the view is on hold tickets in the order they wake"
                if view is View.SNOOZED
                else ": the view sets it"
            )
        )
    if view in SLA_VIEWS and query.get("sort", Sort.DUE.value) != Sort.DUE.value:
        raise BadRequest(f"view={view.value} is ordered by due time: sort=due or no sort")
    now = context.ports.clock()
    shown = view_filter(view, agent.email, to_iso(now), to_iso(_due_soon_before(now, context)))
    return replace(
        wanted,
        view=view,
        assignee=shown.assignee or wanted.assignee,
        follow_up=shown.follow_up or wanted.follow_up,
        snoozed=shown.snoozed,
        quarantined=shown.quarantined,
        # Needs follow-up spans every status unless the agent picked some; Snoozed is on hold only.
        statuses=shown.statuses
        if view is View.SNOOZED
        else wanted.statuses
        if "status" in query or view is not View.FOLLOW_UP
        else shown.statuses,
        sort=shown.sort if view in SLA_VIEWS else wanted.sort,
        due_from=shown.due_from,
        due_before=shown.due_before,
    )


# Languages are named by their ISO 639-1 code, as tickets keep them ("de", not "DE" or "German").
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")


def _language_filter(given: str | None) -> str | None:
    """The ``language`` filter: a two-letter code in any case (``DE`` is ``de``); None when absent."""
    if not given:
        return None
    code = given.lower()
    if not _LANGUAGE_CODE.fullmatch(code):
        raise BadRequest(f"language is a two-letter code such as de, en or fr, not {given[:20]!r}")
    return code


def _day_bound(value: str | None, name: str, days_after: int) -> str | None:
    """The start of the day ``value`` names (``days_after`` days later), as the index compares it."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"{name} must be a date such as 2026-12-01") from error
    return to_iso(datetime.combine(day + timedelta(days=days_after), time(), tzinfo=UTC))


def _search_tickets(
    wanted: TicketFilter,
    limit: int,
    cursor: Mapping[str, object] | None,
    key: Callable[[], bytes],
    context: ApiContext,
) -> ApiResponse:
    """The list through the search index: the words of ``q`` (any, when only dates were asked),
    ranked, each ticket with the passage that matched; the tickets read fresh from the store."""
    from postdesk.runtime import search_index
    from postdesk.search.documents import document_of
    from postdesk.search.query import parse_query

    parsed = parse_query(wanted.text) if wanted.text is not None else None
    if wanted.text is not None and parsed is None:
        raise BadRequest("q holds no word to look for")
    offset = cursor.get("offset", 0) if cursor else 0
    if not isinstance(offset, int) or offset < 0:
        raise BadRequest("the cursor is not valid for this list; start again without it")
    conditions = search_conditions(wanted)
    page = search_index("reader").search(parsed, conditions, Order(wanted.order), limit, offset)
    tickets = context.ports.store.get_tickets([hit.ref for hit in page.hits])
    shown = []
    for hit in page.hits:
        ticket = tickets.get(hit.ref)
        # The index may be a second behind: a ticket gone or changed out of the filters is left out.
        if ticket is None or not conditions.admits(document_of(ticket, ())):
            continue
        shown.append(
            {**_list_row(ticket), "match": {"snippet": snippet_parts(hit.snippet), "score": hit.score}}
        )
    next_cursor = _encode_cursor({"offset": offset + limit}, wanted, key()) if page.more else None
    return ApiResponse(200, {"tickets": shown, "next_cursor": next_cursor})


def _page_size(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def _encode_cursor(state: Mapping[str, object], wanted: TicketFilter, key: bytes) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")
    return (
        f"{payload}.{sign(key, 'ticket-list', wanted.fingerprint(), payload, length=CURSOR_SIGNATURE_LENGTH)}"
    )


def _decode_cursor(cursor: str, wanted: TicketFilter, key: bytes) -> dict[str, object]:
    """The list position a cursor of ours carries. Signed with the filter it was made for: a cursor
    edited by hand, or reused with other filters, is refused rather than followed."""
    payload, _, signature = cursor.partition(".")
    valid = verify(
        key, signature, "ticket-list", wanted.fingerprint(), payload, length=CURSOR_SIGNATURE_LENGTH
    )
    if not valid:
        raise BadRequest("the cursor is not valid for this list; start again without it")
    state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if not isinstance(state, dict):
        raise BadRequest("the cursor is not valid for this list; start again without it")
    return state


def patch_ticket(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Change status, priority, queue, assignee, category, tags or subject over the version the agent
    saw (``version`` in the body or ``If-Match``); 409 when someone changed the ticket since."""
    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(allowed=EDIT_FIELDS | COPY_FIELDS | SNOOZE_FIELDS)
    expected = _expected_version(document.get("version"), request.header("if-match"))
    edit = replace(
        _ticket_edit(ref, expected, document, agent.email, idempotency_id(request)),
        cc=_address_list(document, "cc"),
        bcc=_address_list(document, "bcc"),
        dismiss_cc_offered=_address_list(document, "dismiss_cc_offered") or (),
        **_snooze_of(document),
    )
    result = edit_ticket(
        edit,
        context.settings,
        context.ports,
        lambda address: _is_active_agent(context.agents, address),
    )
    return ApiResponse(
        200,
        {"ticket": ticket_summary(result.ticket), "changed": list(result.changed)},
        _with_etag(result.ticket),
    )


def _ticket_edit(
    ref: str, expected: int, document: Mapping[str, Any], actor: str, request_id: str
) -> TicketEdit:
    """The edit a PATCH body (or a bulk change) asks for; BadRequest for a value of the wrong type."""
    status = None
    status_text = text_field(document, "status")
    if status_text is not None:
        try:
            status = Status(status_text)
        except ValueError as error:
            raise BadRequest(f"status must be one of {', '.join(s.value for s in Status)}") from error
    tags = _tag_list(document, "tags")
    assignee = document.get("assignee")
    if assignee is not None and not isinstance(assignee, str):
        raise BadRequest("assignee must be an agent's email address or null")
    return TicketEdit(
        ref=ref,
        expected_version=expected,
        actor=actor,
        request_id=request_id,
        status=status,
        priority=text_field(document, "priority"),
        queue=text_field(document, "queue"),
        category=text_field(document, "category"),
        tags=tags,
        add_tags=_tag_list(document, "add_tags") or (),
        remove_tags=_tag_list(document, "remove_tags") or (),
        subject=text_field(document, "subject"),
        assignee_set="assignee" in document,
        assignee=assignee,
        clear_follow_up=_follow_up_cleared(document),
    )


def _tag_list(document: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    """The list of tags ``document`` gives as ``name``, or None when it gives none."""
    tags = document.get(name)
    if tags is None:
        return None
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BadRequest(f"{name} must be a list of strings")
    return tuple(tags)


# At most this many tickets in one bulk request (each is its own versioned change).
MAX_BULK_TICKETS = 100
# A bulk change can also add tags to each ticket's own, or take some away, rather than set them all.
BULK_CHANGE_FIELDS = (EDIT_FIELDS - {"version", "subject", "follow_up"}) | {"add_tags", "remove_tags"}


def post_bulk(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """One change for a selection of tickets (``tickets``: each ``{"ref", "version"}``), or all of
    them merged into one (``merge_into``); ``add_tags`` and ``remove_tags`` change each ticket's own
    tags. Each ticket is its own versioned change, and the answer says, ticket by ticket, what
    happened (``results``: status, message, ticket). 200 even when some failed: the results say
    which."""
    from postdesk.workflows.merge import merge_tickets

    agent = authenticated(request, context)
    document = request.json_body(
        allowed=frozenset({"tickets", "change", "merge_into"}), required=frozenset({"tickets"})
    )
    selection = document["tickets"]
    if (
        not isinstance(selection, list)
        or not 1 <= len(selection) <= MAX_BULK_TICKETS
        or not all(isinstance(item, dict) and set(item) <= {"ref", "version"} for item in selection)
    ):
        raise BadRequest(f'tickets must be a list of 1 to {MAX_BULK_TICKETS} objects {{"ref", "version"}}')
    if not all(
        isinstance(item.get("ref"), str)
        and isinstance(item.get("version"), int)
        and not isinstance(item.get("version"), bool)
        for item in selection
    ):
        raise BadRequest("each ticket needs its reference (text) and the version seen (a whole number)")
    change = document.get("change")
    merge_into = document.get("merge_into")
    if ("change" in document and not isinstance(change, dict)) or (
        "merge_into" in document and not isinstance(merge_into, str)
    ):
        raise BadRequest("change must be an object of fields, merge_into a ticket's reference")
    if (change is None) == (merge_into is None):
        raise BadRequest("say either change (the fields to set) or merge_into (a ticket's reference)")
    if isinstance(change, dict) and (not change or set(change) - BULK_CHANGE_FIELDS):
        raise BadRequest(f"change holds one or more of: {', '.join(sorted(BULK_CHANGE_FIELDS))}")
    if isinstance(change, dict) and [
        name for name, value in change.items() if value is None and name != "assignee"
    ]:
        raise BadRequest("only assignee may be null (nobody); leave out a field to keep it")
    if isinstance(change, dict) and [name for name in ("add_tags", "remove_tags") if change.get(name) == []]:
        raise BadRequest("add_tags and remove_tags name one tag or more; leave out a field to keep the tags")
    target = normalize_ref(merge_into) if isinstance(merge_into, str) else None
    if merge_into is not None and target is None:
        raise BadRequest("merge_into must be a ticket's reference, such as K7Q2-M9XD")
    request_id = idempotency_id(request)
    # Tickets the agent may not see answer, each, as tickets that do not exist.
    hidden = hidden_refs(
        [ref for item in selection if (ref := normalize_ref(str(item.get("ref", "")))) is not None]
        + ([target] if target is not None else []),
        agent,
        context,
    )
    if change is not None:
        # A value no ticket could take is the request's fault, not any one ticket's.
        check_edit(_ticket_edit("", 0, change, agent.email, request_id))
        assignee = change.get("assignee")
        if isinstance(assignee, str) and not _is_active_agent(context.agents, assignee.strip().lower()):
            raise BadRequest(f"no active agent has the address {assignee[:100]!r}")
    results = []
    for item in selection:
        ref = normalize_ref(str(item.get("ref", "")))
        version = item.get("version")
        if ref is None:
            refused = "is not a ticket's reference, such as K7Q2-M9XD"
            results.append({"ref": item.get("ref"), "status": 400, "message": refused})
            continue
        try:
            if ref != target and (ref in hidden or target in hidden):
                raise TicketNotFound(ref if ref in hidden else str(target))
            if target is not None:
                if ref == target:
                    continue
                merged = merge_tickets(ref, target, agent.email, version, context.settings, context.ports)
                ticket = merged.source
            else:
                edit = _ticket_edit(ref, version, change or {}, agent.email, f"{request_id}:{ref}")
                ticket = edit_ticket(
                    edit, context.settings, context.ports, lambda a: _is_active_agent(context.agents, a)
                ).ticket
        except PostdeskError as error:
            answer = error_response(error)
            results.append({"ref": ref, "status": answer.status, **answer.body})
            continue
        results.append({"ref": ref, "status": 200, "ticket": ticket_summary(ticket)})
    return ApiResponse(200, {"results": results})


def _snooze_of(document: Mapping[str, object]) -> dict[str, Any]:
    """The snooze a PATCH body asks for: ``snooze_until`` (an ISO 8601 time with its offset),
    ``snooze_until_answer: true``, or ``unsnooze: true``; BadRequest for anything else."""
    found: dict[str, Any] = {}
    if "snooze_until" in document:
        text = document["snooze_until"]
        try:
            moment = datetime.fromisoformat(text) if isinstance(text, str) and text.strip() else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise BadRequest(
                'snooze_until must be a time with its offset, such as "2026-11-30T09:00:00+01:00"'
            )
        found["snooze_until"] = moment.astimezone(UTC)
    for name in ("snooze_until_answer", "unsnooze"):
        if name in document:
            if document[name] is not True:
                raise BadRequest(f"{name} can only be true (leave it out otherwise)")
            found[name] = True
    return found


def _follow_up_cleared(document: Mapping[str, object]) -> bool:
    """``"follow_up": false`` clears the flag; only the customer's answers ever set it."""
    if "follow_up" not in document:
        return False
    if document["follow_up"] is not False:
        raise BadRequest("follow_up can only be set to false (done); a bad survey answer sets it")
    return True


def _is_active_agent(agents: AgentStore, address: str) -> bool:
    try:
        return agents.get(address).active
    except AgentNotFound:
        return False


def _expected_version(version: object, if_match: str | None) -> int:
    if isinstance(version, bool) or (version is not None and not isinstance(version, int)):
        raise BadRequest("version must be the ticket's version number, as GET /tickets/{ref} shows it")
    if version is None and if_match:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise BadRequest("If-Match must be the ETag of GET /tickets/{ref}")
        version = int(tag)
    if version is None:
        raise PreconditionRequired(
            "Say which version of the ticket you changed: 'version' in the body or an If-Match header."
        )
    return int(version)


def post_merge(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Merge this ticket into ``into`` over the version the agent saw (``version`` or If-Match):
    its thread, notes, events and Cc join that ticket; it is closed and points there. Nobody is
    mailed. Asking again finishes a merge cut short and changes nothing more."""
    from postdesk.workflows.merge import merge_tickets

    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(allowed=frozenset({"into", "version"}), required=frozenset({"into"}))
    into = normalize_ref(text_field(document, "into") or "")
    if into is None:
        raise BadRequest("into must be the reference of the ticket to merge into, such as K7Q2-M9XD")
    require_visible(into, agent, context)
    expected = _expected_version(document.get("version"), request.header("if-match"))
    result = merge_tickets(ref, into, agent.email, expected, context.settings, context.ports)
    return ApiResponse(
        200,
        {
            "ticket": ticket_summary(result.target),
            "merged": ticket_summary(result.source),
            "copied": result.copied,
        },
    )


def post_split(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """A customer's message of this ticket becomes a ticket of its own (201; 200 with the same
    ticket when that split was made before)."""
    from postdesk.workflows.merge import split_message

    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    request.json_body(allowed=frozenset())
    key = message_key_from_api_id(request.path_params.get("message_id", ""))
    if key is None:
        raise MessageNotFound("This ticket has no such message.")
    result = split_message(ref, key, agent.email, context.settings, context.ports)
    return ApiResponse(
        201 if result.new else 200,
        {"ticket": ticket_summary(result.created), "source": ticket_summary(result.source)},
    )


def post_release(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """ "Not spam": take the ticket out of quarantine into the normal flow; with ``trust_sender``
    (the default) the sender's mail is no longer kept out by a spam verdict; with ``acknowledge``
    (off by default) the sender gets the acknowledgement their mail would have had."""
    from postdesk.workflows.quarantine import release

    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(allowed=frozenset({"trust_sender", "acknowledge"}))
    trust = document.get("trust_sender", True)
    if not isinstance(trust, bool):
        raise BadRequest("trust_sender must be true or false")
    acknowledge = document.get("acknowledge", False)
    if not isinstance(acknowledge, bool):
        raise BadRequest("acknowledge must be true or false")
    released = release(ref, agent.email, trust, context.settings, context.ports, acknowledge)
    return ApiResponse(
        200,
        {
            "ticket": ticket_summary(released.ticket),
            "acknowledgement": None
            if released.acknowledgement is None
            else {"outcome": released.acknowledgement.value, "reason": released.acknowledgement_reason},
        },
    )


def delete_ticket(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """ "Delete" on held mail: a quarantined ticket removed whole (any other ticket answers 409)."""
    from postdesk.privacy.records import privacy_desk
    from postdesk.workflows.quarantine import delete_held

    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    request.only_query(frozenset())
    report = delete_held(ref, agent.email, privacy_desk(context.settings, context.ports, context.blobs))
    return ApiResponse(200, {"deleted": {"ref": ref, "at": to_iso(report.at), "removed": report.counts()}})


def post_note(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Add an internal note (never mailed); with ``seen``, a 409 naming what was written on the
    ticket since, and no note (api/collision.py)."""
    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(allowed=frozenset({"body"}) | COLLISION_FIELDS, required=frozenset({"body"}))
    seen = seen_of(document)
    request_id = idempotency_id(request)

    def add() -> ApiResponse:
        note = add_note(
            ref,
            agent.email,
            agent.name,
            text_field(document, "body") or "",
            request_id,
            context.ports,
            seen,
            settings=context.settings,
        )
        return ApiResponse(201, {"message": message_json(note, True, context.blobs)})

    return answering_changes(
        lambda: answering_repeats(add, ref, f"note-{request_id}", ("note", "added"), context), message_api_id
    )


def _address_list(document: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    """A list of addresses (``cc``, ``bcc``...): checked, lower case, each once; None when absent.
    Its length is the workflow's to judge, against the limit of recipients."""
    if name not in document:
        return None
    given = document[name]
    if not isinstance(given, list) or not all(isinstance(address, str) for address in given):
        raise BadRequest(f"{name} must be a list of email addresses")
    try:
        return tuple(dict.fromkeys(normalize_address(address) for address in given))
    except InvalidAddress as error:
        raise BadRequest(f"{name}: {error}") from error


def _keep_bcc(document: Mapping[str, Any]) -> bool:
    keep = document.get("keep_bcc", False)
    if not isinstance(keep, bool):
        raise BadRequest("keep_bcc must be true (the ticket keeps this Bcc) or false (this mail only)")
    return keep


NEW_TICKET_FIELDS = frozenset(
    {"requester", "subject", "body", "cc", "bcc", "keep_bcc", "queue", "category", "priority"}
    | {"language", "status", "mailbox"}
    | {"attachments"}
)
MAX_REQUESTER_NAME = 200


def _new_requester(document: Mapping[str, Any]) -> tuple[str, str]:
    """The new ticket's ``requester``: ``{"email": ..., "name": ...}`` (the name may be left out)."""
    given = document.get("requester")
    if not isinstance(given, dict) or set(given) - {"email", "name"} or "email" not in given:
        raise BadRequest('requester must be {"email": "...", "name": "..."} (the name may be left out)')
    name = given.get("name", "")
    if not isinstance(given["email"], str) or not isinstance(name, str):
        raise BadRequest("requester: email and name are text")
    if not is_header_safe(name) or len(name) > MAX_REQUESTER_NAME:
        raise BadRequest(f"requester: the name is one line of at most {MAX_REQUESTER_NAME} characters")
    try:
        return normalize_address(given["email"]), name.strip()
    except InvalidAddress as error:
        raise BadRequest(f"requester: {error}") from error


def _require_own_queue(given: str | None, agent: Agent, context: ApiContext) -> None:
    """Return if a new ticket in ``given`` (None: the desk's default queue) would be one the agent
    sees; OutsideQueues (403), in words, otherwise (moving a ticket of theirs elsewhere is another matter: a
    PATCH may, and the ticket then leaves their sight)."""
    if agent.visible_queues is None:
        return
    queue = checked_queue(given, context.settings) if given is not None else None
    if queue is None:
        queue = load_rules(context.settings.triage_rules_path).default_queue
    if not agent.sees_queue(queue):
        yours = ", ".join(agent.visible_queues)
        raise OutsideQueues(
            f"You do not belong to the queue {queue}, so you cannot start a ticket there: "
            + (f"name one of your queues ({yours}) as queue." if yours else "you belong to no queue yet.")
        )


def post_ticket(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """A ticket the agent starts: its first mail goes to the requester (and the Cc) now; the same
    Idempotency-Key gives the same ticket (200) and sends once."""
    from postdesk.workflows.new_ticket import NewTicket, start_ticket

    agent = authenticated(request, context)
    document = request.json_body(
        allowed=NEW_TICKET_FIELDS, required=frozenset({"requester", "subject", "body"})
    )
    email, name = _new_requester(document)
    for field_name in NEW_TICKET_FIELDS - {"requester", "cc", "bcc", "keep_bcc", "attachments"}:
        # Given means given: a null is no way to ask for the default.
        if field_name in document and not isinstance(document[field_name], str):
            raise BadRequest(f"{field_name} must be a string")
    try:
        status = Status(document.get("status", Status.PENDING.value))
    except ValueError as error:
        raise BadRequest("status must be one of open, pending, on-hold, resolved") from error
    _require_own_queue(document.get("queue"), agent, context)
    started = start_ticket(
        NewTicket(
            agent_email=agent.email,
            agent_name=agent.name,
            requester_email=email,
            requester_name=name,
            subject=document["subject"],
            body=document["body"],
            request_id=idempotency_id(request),
            cc=_address_list(document, "cc") or (),
            bcc=_address_list(document, "bcc") or (),
            keep_bcc=_keep_bcc(document),
            queue=document.get("queue"),
            category=document.get("category"),
            priority=document.get("priority", "normal"),
            language=document.get("language"),
            status_after=status,
            agent_signature=agent.signature,
            mailbox=document.get("mailbox"),
            attachments=attachment_ids(document),
        ),
        context.settings,
        context.ports,
    )
    return ApiResponse(
        201 if started.new else 200,
        {
            "ticket": ticket_summary(started.ticket),
            "message": message_json(started.message, True, context.blobs) if started.message else None,
        },
    )


def post_reply(request: ApiRequest, context: ApiContext) -> ApiResponse:
    """Send the agent's reply (plain text or Markdown, with variables), written or taken from a saved
    reply; ``status`` after it defaults to pending (waiting on the customer). With ``seen``, a 409
    naming what was written on the ticket since, and nothing sent (api/collision.py)."""
    agent = authenticated(request, context)
    ref = visible_ref(request, context, agent)
    document = request.json_body(
        allowed=frozenset({"body", "status", "saved_reply_id", "cc", "bcc", "keep_bcc", "attachments"})
        | COLLISION_FIELDS
    )
    seen = seen_of(document)
    saved_reply_id = text_field(document, "saved_reply_id")
    body = reply_body(text_field(document, "body"), saved_reply_id, saved_reply_store(context))
    try:
        status = Status(document.get("status", Status.PENDING.value))
    except ValueError as error:
        raise BadRequest(
            f"status must be one of {', '.join(sorted(s.value for s in REPLY_STATUSES))}"
        ) from error
    if status not in REPLY_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(sorted(s.value for s in REPLY_STATUSES))}")
    request_id = idempotency_id(request)
    used = used_saved_reply(saved_reply_id, saved_reply_store(context))
    reply = AgentReply(
        ref=ref,
        agent_email=agent.email,
        agent_name=agent.name,
        body=body,
        request_id=request_id,
        status_after=status,
        saved_reply_id=used,
        cc=_address_list(document, "cc"),
        bcc=_address_list(document, "bcc"),
        keep_bcc=_keep_bcc(document),
        agent_signature=agent.signature,
        seen=seen,
        attachments=attachment_ids(document),
    )

    def send() -> ApiResponse:
        sent = send_reply(reply, context.settings, context.ports)
        message = message_json(sent, True, context.blobs)
        return ApiResponse(201, {"message": message, "warnings": reply_warnings(saved_reply_id, used)})

    unique = f"reply-{request_id}"
    return answering_changes(
        lambda: answering_repeats(send, ref, unique, ("reply", "sent"), context), message_api_id
    )
