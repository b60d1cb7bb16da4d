"""A reply, a note or a forward sent again with the same Idempotency-Key (its first answer was lost
on the way): done once, and the 409 ``DuplicateRequest`` of the repeat says in words whether the
first attempt is in the thread, with the message it recorded, so a client can tell what became of
it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from postdesk.effects import keys
from postdesk.effects.guards import GuardState
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _post(client: Client, token: str, path: str, key: str, document: dict[str, Any]) -> Any:
    headers = {**auth(token), "Idempotency-Key": key}
    return client.http.post(path, headers=headers, body=json.dumps(document))


def _thread(client: Client, token: str, ref: str) -> list[dict[str, Any]]:
    thread: list[dict[str, Any]] = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["thread"]
    return thread


@pytest.mark.parametrize(
    ("route", "document", "words", "kind", "mails"),
    [
        ("replies", {"body": "We are on it."}, ("reply", "sent"), "agent_reply", 2),
        ("notes", {"body": "Called the warehouse."}, ("note", "added"), "note", 1),
        (
            "forwards",
            {"to": ["orders@supplier.example"], "note": "Where is order 4711?"},
            ("forward", "sent"),
            "forward",
            2,
        ),
    ],
)
def test_a_send_repeated_with_its_key_is_done_once_and_the_repeat_names_it(
    desk: Desk,
    client: Client,
    token: str,
    route: str,
    document: dict[str, Any],
    words: tuple[str, str],
    kind: str,
    mails: int,
) -> None:
    ref = desk.deliver(build_mail()).ref
    path = f"/tickets/{ref}/{route}"
    first = _post(client, token, path, "lost-answer", document)
    assert first.status_code == 201, body_of(first)
    seen = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["seen"]

    # The same request again (its answer was lost), over the thread as it is now where it takes a marker
    again = _post(
        client, token, path, "lost-answer", {**document, "seen": seen} if route != "forwards" else document
    )

    assert again.status_code == 409
    answer = body_of(again)
    assert answer["error"] == "DuplicateRequest"
    thing, done = words
    assert answer["message"] == (
        f"This {thing} was {done} already (the same Idempotency-Key): it is in the ticket's thread, "
        f"and is not {done} again."
    )
    assert answer["recorded"]["id"] == body_of(first)["message"]["id"]
    assert len(desk.sent()) == mails  # the acknowledgement and, for mail, the one sent
    assert [m["kind"] for m in _thread(client, token, ref)].count(kind) == 1


def test_a_repeat_of_a_reply_whose_sending_was_never_confirmed_says_so_and_sends_nothing(
    desk: Desk, client: Client, token: str
) -> None:
    # An earlier attempt claimed the reply and never recorded it (it stopped after the claim)
    ref = desk.deliver(build_mail()).ref
    desk.ports.guards.claim(keys.reply_guard(ref, "cut-off"), GuardState.SENDING, desk.now(), ref=ref)

    again = _post(client, token, f"/tickets/{ref}/replies", "cut-off", {"body": "We are on it."})

    assert again.status_code == 409
    answer = body_of(again)
    assert "recorded" not in answer
    assert answer["message"] == (
        "This reply was asked for before with the same Idempotency-Key, and the desk has not confirmed "
        "it was sent: it is not in the ticket's thread yet. It is not sent again; look at the thread "
        "in a few minutes."
    )
    assert len(desk.sent()) == 1
