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
                "queue": "shipping",
                "assignee": "sam@example.com",
                "tags": ["courier"],
            },
        },
    )

    assert answer.status_code == 200, answer.body
    results = {r["ref"]: r for r in body_of(answer)["results"]}
    assert results[refs[0]]["status"] == 200 and results[refs[2]]["status"] == 200
    assert results[refs[0]]["ticket"]["queue"] == "shipping" and results[refs[0]]["ticket"]["tags"] == [
        "courier"
    ]
    assert results[refs[1]]["status"] == 409 and "changed by someone else" in results[refs[1]]["message"]
    assert results["ZZZZ-ZZZZ"]["status"] == 404
    assert desk.store.get_ticket(refs[1]).queue != "shipping"  # type: ignore[union-attr]
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
    one = _bulk(client, token, {"tickets": [{"ref": "AAAA-BBBB"}], "change": {"priority": "high"}})
    assert one.status_code == 200 and body_of(one)["results"][0]["status"] == 400
