"""Queue permissions over every route of functions/app.py: an agent sees and touches only the tickets
of the queues they belong to; admins, and agents given no list of queues, see every queue.

The matrix enumerates Chalice's routes and fails on one it does not classify, so a new route has to
say whether it shows ticket data, and how it keeps to the agent's queues."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.notifications import NotificationKind
from postdesk.agents.store import AgentStore
from postdesk.auth.audit import AccessAction, AccessAudit
from postdesk.tickets.items import TicketUpdate
from postdesk.workflows.notify import notify_agent
from tests.integration.conftest import Desk, auth, body_of, chalice_app
from tests.mails import build_mail

ORDERS, BILLING = "orders", "billing"
ANN = "ann@example.com"  # an agent of orders only
EVE = "eve@example.com"  # an agent given no list of queues: every queue
ADA = "ada@example.com"  # an admin
# A reference no ticket has (the form of one).
UNKNOWN = "ZZZZ-ZZZZ"
# Wednesday 07:00 in Berlin, before the desk opens: Tuesday's first responses are due soon.
WEDNESDAY_EARLY = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
# Wednesday 10:45 in Berlin: every first response of Tuesday's tickets is overdue (breached).
WEDNESDAY_LATE = datetime(2026, 11, 25, 9, 45, tzinfo=UTC)

# -- the matrix: every route of functions/app.py, classified ----------------------------------------

# Routes that read or change one ticket, named by the path (or, for the preview, the body). For an
# agent, a ticket of another queue answers as an unknown reference: tested route by route below.
TICKET_SCOPED = {
    ("GET", "/tickets/{ref}"),
    ("PATCH", "/tickets/{ref}"),
    ("DELETE", "/tickets/{ref}"),
    ("POST", "/tickets/{ref}/replies"),
    ("POST", "/tickets/{ref}/forwards"),
    ("POST", "/tickets/{ref}/notes"),
    ("PUT", "/tickets/{ref}/presence"),
    ("GET", "/tickets/{ref}/presence"),
    ("DELETE", "/tickets/{ref}/presence"),
    ("POST", "/tickets/{ref}/merge"),
    ("POST", "/tickets/{ref}/release"),
    ("POST", "/tickets/{ref}/messages/{message_id}/split"),
    ("GET", "/tickets/{ref}/messages/{message_id}/html"),
    # An article drafted from the ticket's replies (knowledge base: from ticket to article).
    ("POST", "/tickets/{ref}/article"),
    # With "ref" in the body: the reply's variables are the ticket's (its customer's name...).
    ("POST", "/saved-replies/preview"),
}
# Routes that list tickets or count them, or name tickets in their body: kept to the agent's queues
# (tested below: lists with every filter and view, search, view counts, bulk, new tickets, queues).
LIST_SCOPED = {
    ("GET", "/tickets"),
    ("GET", "/tickets/views"),
    ("POST", "/tickets"),
    ("POST", "/tickets/bulk"),
    # Every queue is listed, each marked with whether the agent belongs to it (a ticket may be moved
    # to any queue).
    ("GET", "/queues"),
    # The queues an agent may watch for new tickets are theirs; the mail is never of another queue.
    ("GET", "/me/notifications"),
    ("PUT", "/me/notifications"),
    # The bell: the agent's own notifications only, and of them those about tickets they see now.
    ("GET", "/notifications"),
    ("POST", "/notifications/read"),
}
# Admins only (an agent is refused, 403): they see every queue anyway. /metrics is the desk's report
# and the privacy routes are the requester's export and erasure: both over every queue, for admins.
ADMIN_ONLY = {
    ("PUT", "/agents/{email}"),
    ("POST", "/agents"),
    ("POST", "/agents/{email}/invitation"),
    ("GET", "/audit"),
    ("GET", "/metrics"),
    ("POST", "/privacy/exports"),
    ("POST", "/privacy/erasures"),
    ("POST", "/saved-replies"),
    ("PUT", "/saved-replies/{id}"),
    ("DELETE", "/saved-replies/{id}"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/event-types"),
    ("PATCH", "/webhooks/{id}"),
    ("DELETE", "/webhooks/{id}"),
    ("GET", "/webhooks/{id}/deliveries"),
    ("POST", "/webhooks/{id}/deliveries/{delivery}/replay"),
    # An article is the desk's, not a queue's; deleting one (every translation and version) is an
    # admin's to do.
    ("DELETE", "/articles/{slug}"),
}
# Signed in, but nothing of any ticket: the caller's own settings, sessions and tokens, the desk's
# directory (agents, mailboxes, categories, saved replies, the knowledge base), uploads.
NOT_TICKET_DATA = {
    ("GET", "/me"),
    ("GET", "/me/signature"),
    ("PUT", "/me/signature"),
    ("POST", "/me/signature/preview"),
    ("PUT", "/me/away"),
    ("GET", "/me/two-step"),
    ("POST", "/me/two-step"),
    ("PUT", "/me/two-step"),
    ("DELETE", "/me/two-step"),
    ("GET", "/session"),
    ("DELETE", "/session"),
    ("GET", "/tokens"),
    ("POST", "/tokens"),
    ("DELETE", "/tokens/{key_id}"),
    ("GET", "/agents"),
    ("GET", "/mailboxes"),
    ("GET", "/categories"),
    ("GET", "/kb"),
    ("GET", "/saved-replies"),
    ("POST", "/attachments"),
    ("GET", "/attachments/limits"),
    # The knowledge base's articles are the desk's, not a queue's: every agent reads, writes and
    # publishes them (docs/knowledge.md); none holds a ticket or a customer's data.
    ("GET", "/articles"),
    ("POST", "/articles"),
    ("POST", "/articles/preview"),
    ("POST", "/articles/images"),
    ("GET", "/articles/{slug}"),
    ("PATCH", "/articles/{slug}"),
    ("GET", "/articles/{slug}/{lang}"),
    ("PUT", "/articles/{slug}/{lang}"),
    ("POST", "/articles/{slug}/{lang}/publish"),
    ("DELETE", "/articles/{slug}/{lang}/publish"),
    ("GET", "/articles/{slug}/{lang}/versions/{number}"),
    ("GET", "/articles/{slug}/{lang}/diff"),
}
# No sign-in: the console's files, signing in, and the customers' survey page (a signed link).
PUBLIC = {
    ("GET", "/"),
    ("GET", "/console"),
    ("GET", "/console/{asset}"),
    ("POST", "/session"),
    ("POST", "/session/password-reset"),
    ("POST", "/session/password-reset/confirm"),
    ("GET", "/session/options"),
    ("GET", "/session/sso"),
    ("GET", "/survey/{token}"),
    ("POST", "/survey/{token}"),
    # The help center: published articles only, for anyone; a vote is counted, never a ticket.
    ("GET", "/help"),
    ("GET", "/help/{lang}"),
    ("GET", "/help/{lang}/categories/{category}"),
    ("GET", "/help/{lang}/articles/{slug}"),
    ("POST", "/help/{lang}/articles/{slug}/votes"),
    ("GET", "/help/{lang}/search"),
    ("GET", "/help/images/{name}"),
    # The same pages' HEAD (link checkers, caches): their GET without the body.
    *(("HEAD", path) for path in ("/", "/console", "/console/{asset}", "/help", "/help/{lang}")),
    *(("HEAD", f"/help/{{lang}}/{tail}") for tail in ("categories/{category}", "articles/{slug}", "search")),
    ("HEAD", "/help/images/{name}"),
}
CLASSES = {
    "ticket-scoped": TICKET_SCOPED,
    "list-scoped": LIST_SCOPED,
    "admin-only": ADMIN_ONLY,
    "not ticket data": NOT_TICKET_DATA,
    "public": PUBLIC,
}


def _app_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, entries in chalice_app().routes.items() for method in entries}


def test_every_route_of_the_app_is_classified_once() -> None:
    routes = _app_routes()
    classified = [route for members in CLASSES.values() for route in members]
    assert len(classified) == len(set(classified)), "a route is in two classes"
    unclassified = sorted(routes - set(classified))
    assert not unclassified, (
        f"routes not classified for queue permissions: {unclassified}; put each in one of "
        f"{', '.join(CLASSES)} (tests/integration/test_queue_permissions.py) and scope it"
    )
    # The ticket routes are all of them: any route with {ref} reads a ticket.
    assert {route for route in routes if "{ref}" in route[1]} <= TICKET_SCOPED


def test_the_matrix_names_no_route_the_app_lacks() -> None:
    missing = sorted({route for members in CLASSES.values() for route in members} - _app_routes())
    assert not missing, f"classified but not routes of functions/app.py: {missing}"


# -- the desk: tickets in two queues, an agent of one, an agent of all, an admin ------------------


@dataclass
class Scene:
    desk: Desk
    client: Client
    ann: str
    eve: str
    ada: str
    # A ticket of orders (Ann's) and one of billing (not Ann's), both with an HTML customer mail.
    own: str
    other: str

    def call(self, token: str, method: str, path: str, body: Any = None) -> Any:
        return getattr(self.client.http, method.lower())(
            path, headers=auth(token), body=json.dumps(body) if body is not None else None
        )

    def version(self, ref: str) -> int:
        ticket = self.desk.store.get_ticket(ref)
        return ticket.version if ticket is not None else 1

    def message_id(self, ref: str) -> str:
        """The API id of the ticket's first message (the own ticket's for an unknown reference)."""
        shown = body_of(self.call(self.ada, "GET", f"/tickets/{ref if ref != UNKNOWN else self.own}"))
        return str(shown["thread"][0]["id"])


def _place(desk: Desk, ref: str, **changes: Any) -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    desk.store.update_ticket(TicketUpdate(ticket, changes), [])


def _arrive(desk: Desk, queue: str, subject: str, **options: Any) -> str:
    mail = build_mail(
        subject=subject,
        body=f"Hello,\n\n{subject}: my parcel with the red scarf.\n\nJane",
        html=f"<p>{subject}: my parcel with the red scarf.</p>",
    )
    ref = desk.deliver(mail, **options).ref
    _place(desk, ref, queue=queue)
    return ref


@pytest.fixture
def scene(desk: Desk, client: Client) -> Iterator[Scene]:
    runtime.use_clock(desk.now)
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region)
    _, ann = agents.add(ANN, "Ann Orders", Role.AGENT, desk.clock_now)
    agents.set_queues(ANN, [ORDERS])
    _, eve = agents.add(EVE, "Eve Every", Role.AGENT, desk.clock_now)
    _, ada = agents.add(ADA, "Ada Admin", Role.ADMIN, desk.clock_now)
    own = _arrive(desk, ORDERS, "Where is order 1")
    other = _arrive(desk, BILLING, "Invoice 2 is wrong")
    yield Scene(desk, client, ann, eve, ada, own, other)
    runtime.use_clock(None)


# Each ticket route as a request for the ticket ``ref``: (method, path, body).
Request = tuple[str, str, Any]
TICKET_REQUESTS: dict[tuple[str, str], Callable[[Scene, str], Request]] = {
    ("GET", "/tickets/{ref}"): lambda s, ref: ("GET", f"/tickets/{ref}", None),
    ("PATCH", "/tickets/{ref}"): lambda s, ref: (
        "PATCH",
        f"/tickets/{ref}",
        {"version": s.version(ref), "priority": "high"},
    ),
    ("DELETE", "/tickets/{ref}"): lambda s, ref: ("DELETE", f"/tickets/{ref}", None),
    ("POST", "/tickets/{ref}/replies"): lambda s, ref: (
        "POST",
        f"/tickets/{ref}/replies",
        {"body": "We are on it."},
    ),
    ("POST", "/tickets/{ref}/forwards"): lambda s, ref: (
        "POST",
        f"/tickets/{ref}/forwards",
        {"to": ["partner@supplier.example"], "note": "Can you check?"},
    ),
    ("POST", "/tickets/{ref}/notes"): lambda s, ref: ("POST", f"/tickets/{ref}/notes", {"body": "A note"}),
    ("PUT", "/tickets/{ref}/presence"): lambda s, ref: (
        "PUT",
        f"/tickets/{ref}/presence",
        {"state": "viewing"},
    ),
    ("GET", "/tickets/{ref}/presence"): lambda s, ref: ("GET", f"/tickets/{ref}/presence", None),
    ("DELETE", "/tickets/{ref}/presence"): lambda s, ref: ("DELETE", f"/tickets/{ref}/presence", None),
    # Into itself: refused (400) once the ticket is known, so nothing is merged.
    ("POST", "/tickets/{ref}/merge"): lambda s, ref: (
        "POST",
        f"/tickets/{ref}/merge",
        {"into": ref, "version": s.version(ref)},
    ),
    ("POST", "/tickets/{ref}/release"): lambda s, ref: ("POST", f"/tickets/{ref}/release", {}),
    # The first message: refused (400) once the ticket is known ("the first message is the ticket").
    ("POST", "/tickets/{ref}/messages/{message_id}/split"): lambda s, ref: (
        "POST",
        f"/tickets/{ref}/messages/{s.message_id(ref)}/split",
        {},
    ),
    ("GET", "/tickets/{ref}/messages/{message_id}/html"): lambda s, ref: (
        "GET",
        f"/tickets/{ref}/messages/{s.message_id(ref)}/html",
        None,
    ),
    ("POST", "/saved-replies/preview"): lambda s, ref: (
        "POST",
        "/saved-replies/preview",
        {"body": "Hello {{ customer.first_name }}", "ref": ref},
    ),
    # No agent answered yet: refused (422) once the ticket is known, so no article is drafted.
    ("POST", "/tickets/{ref}/article"): lambda s, ref: ("POST", f"/tickets/{ref}/article", {}),
}


def test_every_ticket_route_has_its_request() -> None:
    assert set(TICKET_REQUESTS) == TICKET_SCOPED


def _is_unknown_ticket(answer: Any) -> bool:
    return bool(answer.status_code == 404 and body_of(answer).get("error") == "TicketNotFound")


@pytest.mark.parametrize("route", sorted(TICKET_SCOPED), ids=" ".join)
def test_a_ticket_of_another_queue_answers_as_an_unknown_one(scene: Scene, route: tuple[str, str]) -> None:
    make = TICKET_REQUESTS[route]
    other_before = scene.desk.store.get_ticket(scene.other)
    sent_before = len(scene.desk.sent())

    # When Ann (orders) asks about the billing ticket, and about a reference no ticket has
    hidden = scene.call(scene.ann, *make(scene, scene.other))
    unknown = scene.call(scene.ann, *make(scene, UNKNOWN))

    # Then both are the same 404, in the same words but for the reference
    assert hidden.status_code == 404, hidden.body
    assert unknown.status_code == 404, unknown.body
    assert body_of(hidden) == {
        "error": "TicketNotFound",
        "message": f"No ticket has the reference {scene.other}.",
    }
    assert body_of(unknown)["message"].replace(UNKNOWN, scene.other) == body_of(hidden)["message"]
    # And nothing of the billing ticket was changed, nothing mailed
    assert scene.desk.store.get_ticket(scene.other) == other_before
    assert len(scene.desk.sent()) == sent_before

    # When Ann asks about her own queue's ticket, the route answers it (whatever its answer)
    assert not _is_unknown_ticket(scene.call(scene.ann, *make(scene, scene.own)))
    # And an agent of every queue and an admin reach the billing ticket
    assert not _is_unknown_ticket(scene.call(scene.eve, *make(scene, scene.other)))
    assert not _is_unknown_ticket(scene.call(scene.ada, *make(scene, scene.other)))


def test_a_merge_into_a_ticket_of_another_queue_is_a_merge_into_none(scene: Scene) -> None:
    def merge(token: str, into: str) -> Any:
        body = {"into": into, "version": scene.version(scene.own)}
        return scene.call(token, "POST", f"/tickets/{scene.own}/merge", body)

    hidden, unknown = merge(scene.ann, scene.other), merge(scene.ann, UNKNOWN)
    assert _is_unknown_ticket(hidden) and _is_unknown_ticket(unknown)
    assert body_of(hidden)["message"] == f"No ticket has the reference {scene.other}."
    assert body_of(unknown)["message"].replace(UNKNOWN, scene.other) == body_of(hidden)["message"]
    ticket = scene.desk.store.get_ticket(scene.own)
    assert ticket is not None and ticket.merged_into is None

    # An admin merges the same two
    merged = merge(scene.ada, scene.other)
    assert merged.status_code == 200, merged.body


def test_a_bulk_change_skips_the_tickets_of_other_queues_one_by_one_in_words(scene: Scene) -> None:
    selection = [{"ref": ref, "version": scene.version(ref)} for ref in (scene.own, scene.other, UNKNOWN)]
    answer = scene.call(
        scene.ann, "POST", "/tickets/bulk", {"tickets": selection, "change": {"priority": "high"}}
    )

    assert answer.status_code == 200, answer.body
    results = {result["ref"]: result for result in body_of(answer)["results"]}
    assert results[scene.own]["status"] == 200
    assert results[scene.other] == {
        "ref": scene.other,
        "status": 404,
        "error": "TicketNotFound",
        "message": f"No ticket has the reference {scene.other}.",
    }
    assert results[UNKNOWN]["message"].replace(UNKNOWN, scene.other) == results[scene.other]["message"]
    other = scene.desk.store.get_ticket(scene.other)
    assert other is not None and other.priority == "normal"

    # And merging the selection into a ticket of another queue is, ticket by ticket, into none
    mine = [{"ref": scene.own, "version": scene.version(scene.own)}]
    merged = scene.call(scene.ann, "POST", "/tickets/bulk", {"tickets": mine, "merge_into": scene.other})
    (result,) = body_of(merged)["results"]
    assert (result["status"], result["message"]) == (404, f"No ticket has the reference {scene.other}.")


def test_a_new_ticket_goes_only_into_a_queue_of_the_agents(scene: Scene) -> None:
    def start(token: str, queue: str | None, key: str) -> Any:
        body = {"requester": {"email": "bob@customer.example"}, "subject": "Hello", "body": "Hi Bob"}
        return scene.client.http.post(
            "/tickets",
            headers={**auth(token), "Idempotency-Key": key},
            body=json.dumps({**body, **({"queue": queue} if queue else {})}),
        )

    sent_before = len(scene.desk.sent())
    refused = start(scene.ann, BILLING, "a")
    assert refused.status_code == 403
    assert body_of(refused) == {
        "error": "OutsideQueues",
        "message": "You do not belong to the queue billing, so you cannot start a ticket there: "
        "name one of your queues (orders) as queue.",
    }
    # The desk's default queue (support) is not Ann's either
    assert start(scene.ann, None, "b").status_code == 403
    assert len(scene.desk.sent()) == sent_before
    made = start(scene.ann, ORDERS, "c")
    assert made.status_code == 201 and body_of(made)["ticket"]["queue"] == ORDERS
    assert start(scene.ada, BILLING, "d").status_code == 201
    assert start(scene.eve, None, "e").status_code == 201


def test_moving_a_ticket_to_another_queue_takes_it_out_of_sight(scene: Scene) -> None:
    moved = scene.call(
        scene.ann, "PATCH", f"/tickets/{scene.own}", {"version": scene.version(scene.own), "queue": BILLING}
    )
    assert moved.status_code == 200, moved.body
    assert _is_unknown_ticket(scene.call(scene.ann, "GET", f"/tickets/{scene.own}"))
    assert scene.own not in _refs(scene, scene.ann, {})


def test_a_ticket_lists_only_the_requesters_tickets_the_agent_sees(scene: Scene) -> None:
    shown = body_of(scene.call(scene.ann, "GET", f"/tickets/{scene.own}"))
    assert [t["ref"] for t in shown["requester_tickets"]] == []
    shown = body_of(scene.call(scene.ada, "GET", f"/tickets/{scene.own}"))
    assert [t["ref"] for t in shown["requester_tickets"]] == [scene.other]


# -- lists, search, views ----------------------------------------------------------------------------


def _refs(scene: Scene, token: str, query: dict[str, str]) -> list[str]:
    answer = scene.call(token, "GET", f"/tickets?{urlencode(query)}")
    assert answer.status_code == 200, answer.body
    return [ticket["ref"] for ticket in body_of(answer)["tickets"]]


@pytest.fixture
def busy(scene: Scene) -> Scene:
    """In each queue: the ticket of the scene (unassigned), one assigned to Ann, one resolved and
    flagged for a follow-up, one held as spam; all but the held ones searchable."""
    desk = scene.desk
    # Subjects triage files alike, so that the tickets' clocks run alike in both queues.
    for queue, label in ((ORDERS, "A"), (BILLING, "B")):
        assigned = _arrive(desk, queue, f"Parcel {label} assigned")
        _place(desk, assigned, assignee=ANN)
        flagged = _arrive(desk, queue, f"Parcel {label} rated badly")
        _place(desk, flagged, follow_up="rated 1 of 5")
        _arrive(desk, queue, f"Parcel {label} held", verdicts={"spam": "FAIL"})
    desk.index_changes()
    return scene


LIST_QUERIES = [
    {},
    {"status": "new,open,pending,on-hold,resolved,closed"},
    {"sort": "priority"},
    {"priority": "normal"},
    {"language": "en"},
    {"requester": "jane.doe@customer.example"},
    {"assignee": "me"},
    {"assignee": "none"},
    {"assignee": ANN},
    {"queue": BILLING},
    {"queue": ORDERS},
    {"quarantined": "true"},
    {"follow_up": "true"},
    {"view": "mine"},
    {"view": "unassigned"},
    {"view": "follow_up"},
    {"view": "quarantine"},
    {"view": "breached"},
    {"view": "due_soon"},
    {"q": "scarf"},
    {"q": "scarf", "order": "date"},
    {"q": "scarf", "queue": BILLING},
    {"q": "scarf", "view": "unassigned"},
    {"created_from": "2026-11-01"},
    {"created_from": "2026-11-01", "created_to": "2026-12-31", "status": "new,resolved"},
]


@pytest.mark.parametrize("query", LIST_QUERIES, ids=lambda query: urlencode(query) or "default")
def test_every_list_holds_only_the_tickets_of_the_agents_queues(busy: Scene, query: dict[str, str]) -> None:
    if query.get("view") in ("breached", "due_soon"):
        busy.desk.clock_now = WEDNESDAY_LATE if query["view"] == "breached" else WEDNESDAY_EARLY
    # The admin's list of the same tickets: Ann's own ("me", "mine") named by her address
    as_admin = {**query, "assignee": ANN} if query.get("assignee") == "me" else query
    admins = _refs(busy, busy.ada, {"assignee": ANN} if query.get("view") == "mine" else as_admin)
    queue_of = {ref: ticket.queue for ref, ticket in busy.desk.store.get_tickets(admins).items()}

    anns = _refs(busy, busy.ann, query)

    assert anns == [ref for ref in admins if queue_of[ref] == ORDERS]
    # The admin's list holds billing tickets (so Ann's was kept from them), but for lists of orders
    if query.get("queue") != ORDERS:
        assert any(queue_of[ref] == BILLING for ref in admins), admins
    # An agent of every queue sees what the admin sees (their own "mine" aside)
    if "assignee" not in query and query.get("view") != "mine":
        assert _refs(busy, busy.eve, query) == admins


def test_paging_through_the_agents_queues_finds_each_ticket_once(busy: Scene) -> None:
    everything = _refs(busy, busy.ann, {"status": "new,open,pending,on-hold,resolved,closed", "limit": "100"})
    paged: list[str] = []
    query = {"status": "new,open,pending,on-hold,resolved,closed", "limit": "1"}
    for _ in range(20):
        answer = body_of(busy.call(busy.ann, "GET", f"/tickets?{urlencode(query)}"))
        paged += [ticket["ref"] for ticket in answer["tickets"]]
        if answer["next_cursor"] is None:
            break
        query["cursor"] = answer["next_cursor"]
    assert paged == everything and len(everything) == 3


def _counts(scene: Scene, token: str) -> dict[str, int]:
    answer = scene.call(token, "GET", "/tickets/views")
    assert answer.status_code == 200, answer.body
    return {view["name"]: view["count"] for view in body_of(answer)["views"]}


def test_the_views_count_only_the_tickets_of_the_agents_queues(busy: Scene) -> None:
    busy.desk.clock_now = WEDNESDAY_LATE
    anns, admins = _counts(busy, busy.ann), _counts(busy, busy.ada)
    for view, count in anns.items():
        assert count == len(_refs(busy, busy.ann, {"view": view})), view
    # (the flagged ticket is new and unassigned: open work too)
    assert anns == {
        "mine": 1,
        "unassigned": 2,
        "due_soon": 0,
        "breached": 3,
        "follow_up": 1,
        "snoozed": 0,
        "quarantine": 1,
    }
    assert admins == {
        "mine": 0,
        "unassigned": 4,
        "due_soon": 0,
        "breached": 6,
        "follow_up": 2,
        "snoozed": 0,
        "quarantine": 2,
    }
    assert _counts(busy, busy.eve)["breached"] == 6


def test_an_agent_of_no_queue_sees_no_ticket(busy: Scene) -> None:
    AgentStore(busy.desk.settings.tables.agents, busy.desk.settings.region).set_queues(ANN, [])
    assert _refs(busy, busy.ann, {}) == []
    assert _refs(busy, busy.ann, {"q": "scarf"}) == []
    assert set(_counts(busy, busy.ann).values()) == {0}
    assert _is_unknown_ticket(busy.call(busy.ann, "GET", f"/tickets/{busy.own}"))


# -- queues, membership, notifications ---------------------------------------------------------------


def test_the_queues_say_which_the_agent_belongs_to(scene: Scene) -> None:
    def members(token: str) -> set[str]:
        queues = body_of(scene.call(token, "GET", "/queues"))["queues"]
        assert {ORDERS, BILLING} <= {queue["name"] for queue in queues}
        return {queue["name"] for queue in queues if queue["member"]}

    assert members(scene.ann) == {ORDERS}
    everything = members(scene.ada)
    assert {ORDERS, BILLING} < everything and members(scene.eve) == everything


def test_an_admin_sets_the_queues_an_agent_belongs_to_and_the_audit_says_so(scene: Scene) -> None:
    # When an admin gives Ann every queue (null)
    answer = scene.call(scene.ada, "PUT", f"/agents/{ANN}", {"queues": None})
    assert answer.status_code == 200, answer.body
    assert (body_of(answer)["queues"], body_of(answer)["every_queue"]) == ([], True)
    # Then she sees the billing ticket, and automatic assignment gives her none (she names no queue)
    assert scene.call(scene.ann, "GET", f"/tickets/{scene.other}").status_code == 200
    assert AgentStore(scene.desk.settings.tables.agents, scene.desk.settings.region).get(ANN).queues == ()

    # When, a minute later, the admin takes every queue away from her ([] is none, not every one)
    scene.desk.clock_now += timedelta(minutes=1)
    answer = scene.call(scene.ada, "PUT", f"/agents/{ANN}", {"queues": []})
    assert (body_of(answer)["queues"], body_of(answer)["every_queue"]) == ([], False)
    me = body_of(scene.call(scene.ann, "GET", "/me"))
    assert (me["queues"], me["every_queue"]) == ([], False)
    assert _is_unknown_ticket(scene.call(scene.ann, "GET", f"/tickets/{scene.own}"))

    # And a queue that is not the desk's is refused in words
    refused = scene.call(scene.ada, "PUT", f"/agents/{ANN}", {"queues": ["nowhere"]})
    assert refused.status_code == 400 and "not the desk's queues: nowhere" in body_of(refused)["message"]

    # And the access audit has both changes, newest first, with who and what
    audit = AccessAudit(scene.desk.settings.sign_in.access_audit_table, scene.desk.settings.region)
    entries = audit.entries(
        scene.desk.now() - timedelta(days=1),
        scene.desk.now() + timedelta(days=1),
        action=AccessAction.QUEUES_CHANGED,
    ).entries
    assert [(entry.actor, entry.subject, dict(entry.detail)) for entry in entries] == [
        (ADA, ANN, {"before": "every queue", "after": "no queue"}),
        (ADA, ANN, {"before": ORDERS, "after": "every queue"}),
    ]


def test_an_agent_watches_only_the_queues_they_belong_to(scene: Scene) -> None:
    mine = body_of(scene.call(scene.ann, "GET", "/me/notifications"))
    assert mine["available_queues"] == [ORDERS]
    refused = scene.call(scene.ann, "PUT", "/me/notifications", {"queues": [BILLING]})
    assert refused.status_code == 400
    assert "you do not belong to the queue billing" in body_of(refused)["message"]
    assert scene.call(scene.ann, "PUT", "/me/notifications", {"queues": [ORDERS]}).status_code == 200


def test_the_bell_shows_an_agent_only_their_own_notifications_of_their_queues(scene: Scene) -> None:
    def tell(agent: str, ref: str, cause: str) -> None:
        ticket = scene.desk.store.get_ticket(ref)
        assert ticket is not None
        notify_agent(
            agent,
            NotificationKind.ASSIGNED,
            ticket,
            "",
            scene.desk.settings,
            scene.desk.ports,
            cause_id=cause,
            actor=ADA,
        )

    tell(ANN, scene.own, "a")
    tell(EVE, scene.other, "b")
    mine = body_of(scene.call(scene.ann, "GET", "/notifications"))
    assert [(n["ref"], n["kind"]) for n in mine["notifications"]] == [(scene.own, "assigned")]
    assert mine["unread"] == 1
    # Eve's notification is not Ann's to read, nor to mark read.
    eves = body_of(scene.call(scene.eve, "GET", "/notifications"))["notifications"]
    assert [n["ref"] for n in eves] == [scene.other]
    marked = body_of(scene.call(scene.ann, "POST", "/notifications/read", {"ids": [eves[0]["id"]]}))
    assert marked == {"marked": 0, "unread": 1}
    assert body_of(scene.call(scene.eve, "GET", "/notifications"))["unread"] == 1
    # Ann's ticket moved to billing, not her queue: it leaves her bell.
    _place(scene.desk, scene.own, queue=BILLING)
    assert body_of(scene.call(scene.ann, "GET", "/notifications")) == {
        "notifications": [],
        "unread": 0,
        "next_cursor": None,
    }


# -- admins only -------------------------------------------------------------------------------------

PLACEHOLDERS = {"{email}": ANN, "{id}": "x", "{delivery}": "x", "{key_id}": "x", "{slug}": "x"}


@pytest.mark.parametrize("route", sorted(ADMIN_ONLY), ids=" ".join)
def test_an_agent_is_refused_the_admins_routes(scene: Scene, route: tuple[str, str]) -> None:
    if route not in _app_routes():
        pytest.skip(f"{' '.join(route)} is not a route of functions/app.py yet")
    method, path = route
    for placeholder, value in PLACEHOLDERS.items():
        path = path.replace(placeholder, value)
    answer = scene.call(scene.ann, method, path, {} if method in ("POST", "PUT", "PATCH") else None)
    assert answer.status_code == 403, (route, answer.body)


# -- assignees work in the ticket's queue -------------------------------------------------------------


def test_a_ticket_is_assigned_only_to_an_agent_who_works_in_its_queue(scene: Scene) -> None:
    # Given a billing ticket nobody has
    _place(scene.desk, scene.other, assignee=None)

    # When the admin assigns it to Ann, who works in orders only: refused in words, by hand or in bulk
    refused = scene.call(
        scene.ada,
        "PATCH",
        f"/tickets/{scene.other}",
        {"version": scene.version(scene.other), "assignee": ANN},
    )
    assert refused.status_code == 400, refused.body
    assert body_of(refused)["message"] == (
        "Ann Orders does not work in queue billing: add them to it on the Agents page, or move the ticket"
    )
    selection = [{"ref": scene.other, "version": scene.version(scene.other)}]
    bulk = scene.call(scene.ada, "POST", "/tickets/bulk", {"tickets": selection, "change": {"assignee": ANN}})
    (result,) = body_of(bulk)["results"]
    assert result["status"] == 400 and result["message"].startswith(
        "Ann Orders does not work in queue billing"
    )
    other = scene.desk.store.get_ticket(scene.other)
    assert other is not None and other.assignee is None

    # When the same change moves the ticket to orders too, or assigns it to Eve (every queue): done
    moved = scene.call(
        scene.ada,
        "PATCH",
        f"/tickets/{scene.other}",
        {"version": scene.version(scene.other), "assignee": ANN, "queue": ORDERS},
    )
    assert moved.status_code == 200, moved.body
    assert body_of(moved)["ticket"]["assignee"] == ANN and body_of(moved)["ticket"]["queue"] == ORDERS
    eve = scene.call(
        scene.ada, "PATCH", f"/tickets/{scene.own}", {"version": scene.version(scene.own), "assignee": EVE}
    )
    assert eve.status_code == 200, eve.body


def test_a_ticket_moves_away_from_its_assignee_only_with_a_new_assignee(scene: Scene) -> None:
    # Given Ann's orders ticket
    _place(scene.desk, scene.own, assignee=ANN)

    # When it is moved to billing, which Ann does not work in: refused in words, nothing changes
    refused = scene.call(
        scene.ann, "PATCH", f"/tickets/{scene.own}", {"version": scene.version(scene.own), "queue": BILLING}
    )
    assert refused.status_code == 400, refused.body
    assert body_of(refused)["message"].startswith(
        "Ann Orders, the ticket's assignee, does not work in queue billing: add them to it on the Agents "
        "page, or assign the ticket to someone who does"
    )
    own = scene.desk.store.get_ticket(scene.own)
    assert own is not None and (own.queue, own.assignee) == (ORDERS, ANN)

    # When the same change hands it to Eve, who works in every queue: moved and assigned
    handed = scene.call(
        scene.ann,
        "PATCH",
        f"/tickets/{scene.own}",
        {"version": scene.version(scene.own), "queue": BILLING, "assignee": EVE},
    )
    assert handed.status_code == 200, handed.body
    own = scene.desk.store.get_ticket(scene.own)
    assert own is not None and (own.queue, own.assignee) == (BILLING, EVE)
