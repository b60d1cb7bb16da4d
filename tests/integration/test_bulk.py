"""Bulk actions through the API: one change for a selection, each ticket its own versioned change
with its own result (a ticket someone changed meanwhile says so and is left as it was), or the
selection merged into one ticket."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _bulk(client: Client, token: str, body: dict[str, Any]) -> Any:
    return client.http.post("/tickets/bulk", headers=auth(token), body=json.dumps(body))


def test_one_change_for_a_selection_with_a_result_per_ticket(desk: Desk, client: Client, token: str) -> None:
    refs = [
        desk.deliver(build_mail(subject=f"Order {n}", sender=f"c{n}@customer.example")).ref for n in range(3)
    ]
    # Someone else changes the second meanwhile: the bulk change must not write over it
    client.http.patch(
        f"/tickets/{refs[1]}", headers=auth(token), body=json.dumps({"version": 1, "priority": "low"})
    )

    answer = _bulk(
        client,
        token,
        {
            "tickets": [{"ref": ref, "version": 1} for ref in refs] + [{"ref": "ZZZZ-ZZZZ", "version": 1}],
            "change": {
                "status": "open",
                "queue": "technical",
                "assignee": "sam@example.com",
                "tags": ["courier"],
            },
        },
    )

    assert answer.status_code == 200, answer.body
    results = {r["ref"]: r for r in body_of(answer)["results"]}
    assert results[refs[0]]["status"] == 200 and results[refs[2]]["status"] == 200
    assert results[refs[0]]["ticket"]["queue"] == "technical" and results[refs[0]]["ticket"]["tags"] == [
        "courier"
    ]
    assert results[refs[1]]["status"] == 409 and "changed by someone else" in results[refs[1]]["message"]
    assert results["ZZZZ-ZZZZ"]["status"] == 404
    assert desk.store.get_ticket(refs[1]).queue != "technical"  # type: ignore[union-attr]
    events = body_of(client.http.get(f"/tickets/{refs[0]}", headers=auth(token)))["events"]
    assert {"status_changed", "queue_changed", "assigned", "tags_changed"} <= {e["kind"] for e in events}


def test_a_selection_merged_into_one(desk: Desk, client: Client, token: str) -> None:
    refs = [
        desk.deliver(build_mail(subject="Same thing", sender=f"colleague{n}@customer.example")).ref
        for n in range(3)
    ]
    answer = _bulk(
        client, token, {"tickets": [{"ref": ref, "version": 1} for ref in refs], "merge_into": refs[0]}
    )
    assert answer.status_code == 200, answer.body
    results = body_of(answer)["results"]
    assert [(r["ref"], r["status"]) for r in results] == [(refs[1], 200), (refs[2], 200)]
    assert all(r["ticket"]["merged_into"] == refs[0] for r in results)


def test_bad_bulk_requests_get_a_clear_answer(client: Client, token: str) -> None:
    for body in (
        {"tickets": []},
        {"tickets": [{"ref": "AAAA-BBBB", "version": 1}]},
        {"tickets": [{"ref": "AAAA-BBBB", "version": 1}], "change": {"subject": "x"}},
        {"tickets": [{"ref": "AAAA-BBBB", "version": 1}], "change": {}, "merge_into": "AAAA-CCCC"},
        {"tickets": [{"ref": "AAAA-BBBB"}] * 101, "change": {"priority": "high"}},
        {"tickets": [{"ref": "AAAA-BBBB", "version": 1}], "merge_into": "nope"},
        {"tickets": [{"ref": "", "version": {}}], "merge_into": "22222222"},
        {"tickets": [{"ref": 5, "version": 1}], "change": {"priority": "high"}},
        {"tickets": [{"ref": "AAAA-BBBB", "version": True}], "change": {"priority": "high"}},
    ):
        answer = _bulk(client, token, body)
        assert answer.status_code == 400, (body, answer.body)
    # A value no ticket could take is the request's fault; a ticket named without its version, that one's
    for change in (
        {"priority": "urgent!"},
        {"tags": None},
        {"assignee": "nobody@example.com"},
        {"queue": "Bad Queue"},
    ):
        answer = _bulk(client, token, {"tickets": [{"ref": "AAAA-BBBB", "version": 1}], "change": change})
        assert answer.status_code == 400, (change, answer.body)
    # A ticket without the version seen is the request's fault; a reference that is none, that ticket's
    unversioned = _bulk(client, token, {"tickets": [{"ref": "AAAA-BBBB"}], "change": {"priority": "high"}})
    assert unversioned.status_code == 400 and "version" in body_of(unversioned)["message"]
    one = _bulk(
        client, token, {"tickets": [{"ref": "not one", "version": 1}], "change": {"priority": "high"}}
    )
    assert one.status_code == 200
    assert body_of(one)["results"] == [
        {"ref": "not one", "status": 400, "message": "is not a ticket's reference, such as K7Q2-M9XD"}
    ]


def test_tags_are_added_to_and_removed_from_each_tickets_own(desk: Desk, client: Client, token: str) -> None:
    # Given two tickets with tags of their own
    refs = [
        desk.deliver(build_mail(subject=f"Parcel {n}", sender=f"p{n}@customer.example")).ref for n in range(2)
    ]
    for ref, tags in zip(refs, (["damaged", "courier"], ["late"]), strict=True):
        edited = client.http.patch(
            f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": 1, "tags": tags})
        )
        assert edited.status_code == 200, edited.body

    # When an agent adds two tags to both and takes "courier" away, in any case
    answer = _bulk(
        client,
        token,
        {
            "tickets": [{"ref": ref, "version": 2} for ref in refs],
            "change": {"add_tags": ["VIP", "late"], "remove_tags": ["Courier"]},
        },
    )

    # Then each ticket keeps its other tags, the new ones after them, and the history says so
    assert answer.status_code == 200, answer.body
    tickets = {r["ref"]: r["ticket"] for r in body_of(answer)["results"]}
    assert tickets[refs[0]]["tags"] == ["damaged", "vip", "late"]
    assert tickets[refs[1]]["tags"] == ["late", "vip"]
    events = body_of(client.http.get(f"/tickets/{refs[0]}", headers=auth(token)))["events"]
    changed = [e["detail"] for e in events if e["kind"] == "tags_changed"]
    assert changed[-1] == {"from": "damaged, courier", "to": "damaged, vip, late"}

    # And a removal of a tag a ticket does not have changes nothing: same version, no event
    again = _bulk(
        client,
        token,
        {"tickets": [{"ref": refs[1], "version": 3}], "change": {"remove_tags": ["courier"]}},
    )
    assert body_of(again)["results"][0]["ticket"]["version"] == 3


def test_a_tag_list_that_cannot_be_applied_is_refused_in_words(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail(subject="Too many tags")).ref
    one = [{"ref": ref, "version": 1}]
    # A request no ticket could take is a 400 that says why
    for change, words in (
        ({"tags": ["a"], "add_tags": ["b"]}, "not both"),
        ({"add_tags": ["vip"], "remove_tags": ["VIP"]}, "both added and removed"),
        ({"add_tags": []}, "one tag or more"),
        ({"remove_tags": ["no spaces"]}, "lower-case letters"),
        ({"add_tags": [f"t{n}" for n in range(21)]}, "at most 20"),
        ({"add_tags": "vip"}, "list of strings"),
    ):
        answer = _bulk(client, token, {"tickets": one, "change": change})
        assert answer.status_code == 400, (change, answer.body)
        assert words in body_of(answer)["message"], (change, body_of(answer))
    # A ticket that would end up with more than 20 tags is refused on its own, and left as it was
    client.http.patch(
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": 1, "tags": [f"t{n}" for n in range(20)]}),
    )
    answer = _bulk(
        client, token, {"tickets": [{"ref": ref, "version": 2}], "change": {"add_tags": ["one-more"]}}
    )
    result = body_of(answer)["results"][0]
    assert result["status"] == 400 and "at most 20 tags" in result["message"]
    assert len(desk.store.get_ticket(ref).tags) == 20  # type: ignore[union-attr]
