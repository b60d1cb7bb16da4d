"""Who stays on a ticket's thread: the ticket's Cc and Bcc edited as whole lists (versioned, told in
the history in words, checked, held to SES's 50 recipients per mail), a reply's own Cc and Bcc (the
Bcc sent without a header, recorded on the thread, kept on the ticket only when asked), and an
address a customer copies later: offered to the agents, never added by itself, added or dismissed
(then never offered again)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.utils import getaddresses
from typing import Any

import pytest
from chalice.test import Client

from postdesk.errors import DuplicateRequest
from postdesk.workflows.reply import AgentReply, send_reply
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_exactly_once import Crash, CrashingStore
from tests.mails import build_mail

CUSTOMER = "jane.doe@customer.example"


def _ticket(client: Client, token: str, ref: str) -> Any:
    return body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))


def _patch(client: Client, token: str, ref: str, **fields: Any) -> Any:
    version = fields.pop("version", None) or _ticket(client, token, ref)["ticket"]["version"]
    return client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, **fields})
    )


def _reply(client: Client, token: str, ref: str, key: str = "reply-1", **fields: Any) -> Any:
    return client.http.post(
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": key},
        body=json.dumps({"body": "Hello all, the parcel is on its way.", **fields}),
    )


def _sentences(client: Client, token: str, ref: str, kind: str) -> list[dict[str, str]]:
    return [event["detail"] for event in _ticket(client, token, ref)["events"] if event["kind"] == kind]


def test_an_agent_edits_the_tickets_cc_and_bcc_and_the_history_says_who(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a ticket whose first mail copied Bob
    ref = desk.deliver(build_mail(cc="Bob <bob@customer.example>")).ref
    before = _ticket(client, token, ref)["ticket"]
    assert before["cc"] == ["bob@customer.example"] and before["bcc"] == [] and before["cc_offered"] == []

    # When an agent replaces Bob by Carol (typed in capitals) and blind-copies the account manager
    answer = _patch(
        client,
        token,
        ref,
        version=before["version"],
        cc=[" Carol@Customer.example "],
        bcc=["manager@partner.example"],
    )

    # Then the ticket keeps them checked and in lower case, one version on
    assert answer.status_code == 200, answer.body
    ticket = body_of(answer)["ticket"]
    assert ticket["cc"] == ["carol@customer.example"] and ticket["bcc"] == ["manager@partner.example"]
    assert ticket["version"] == before["version"] + 1
    assert {"cc", "bcc"} <= set(body_of(answer)["changed"])
    # And the history says who was added and who removed, by whom
    events = {e["kind"]: e for e in _ticket(client, token, ref)["events"]}
    assert events["cc_changed"]["detail"] == {
        "added": "carol@customer.example",
        "removed": "bob@customer.example",
    }
    assert events["cc_changed"]["actor"] == "sam@example.com"
    assert events["bcc_changed"]["detail"] == {"added": "manager@partner.example"}

    # And the next reply goes to all of them, the Bcc in no header
    assert _reply(client, token, ref).status_code == 201
    mail = desk.sent()[-1]
    assert mail.recipients == {CUSTOMER, "carol@customer.example", "manager@partner.example"}
    assert "manager@partner.example" not in mail.raw.decode("utf-8", "replace").lower()
    assert mail.message["Bcc"] is None


def test_an_edit_over_an_older_version_is_refused(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    version = _ticket(client, token, ref)["ticket"]["version"]
    assert _patch(client, token, ref, version=version, cc=["bob@customer.example"]).status_code == 200
    stale = _patch(client, token, ref, version=version, cc=["carol@customer.example"])
    assert stale.status_code == 409
    assert _ticket(client, token, ref)["ticket"]["cc"] == ["bob@customer.example"]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"cc": [CUSTOMER.upper()]}, 400, "is the requester: every mail of the ticket goes to them already"),
        ({"bcc": ["support@example.com"]}, 400, "is the desk's own address"),
        ({"cc": ["team@example.com"]}, 400, "is the desk's own address"),
        ({"cc": ["bob@partner.example"], "bcc": ["BOB@partner.example"]}, 400, "is both Cc and Bcc"),
        ({"cc": ["not an address"]}, 400, "cc: 'not an address' is not an email address"),
        ({"bcc": "bob@partner.example"}, 400, "bcc must be a list of email addresses"),
        ({"cc": None}, 400, "cc must be a list"),
        ({"dismiss_cc_offered": ["bob@partner.example"]}, 400, "is not offered for the Cc on this ticket"),
        (
            {
                "cc": [f"p{n}@partner.example" for n in range(30)],
                "bcc": [f"b{n}@partner.example" for n in range(20)],
            },
            422,
            "a mail goes to at most 50 recipients (the limit of Amazon SES); this one would go to 51: "
            "the requester, 30 Cc and 20 Bcc addresses; "
            "a ticket keeps at most 49 Cc and Bcc addresses together",
        ),
    ],
)
def test_who_cannot_be_copied_is_refused_in_words(
    desk: Desk, client: Client, token: str, fields: dict[str, Any], status: int, words: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    before = _ticket(client, token, ref)["ticket"]

    answer = _patch(client, token, ref, **fields)

    assert answer.status_code == status, answer.body
    assert words in body_of(answer)["message"]
    after = _ticket(client, token, ref)["ticket"]
    assert (after["cc"], after["bcc"], after["version"]) == (before["cc"], before["bcc"], before["version"])


def test_49_copies_fit_one_mail(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    cc = [f"p{n}@partner.example" for n in range(29)]
    bcc = [f"b{n}@partner.example" for n in range(20)]
    assert _patch(client, token, ref, cc=cc, bcc=bcc).status_code == 200
    assert _reply(client, token, ref).status_code == 201
    assert len(desk.sent()[-1].recipients) == 50


def test_a_replys_bcc_goes_to_ses_without_a_header_and_is_recorded_for_that_reply_only(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a ticket copying Bob
    ref = desk.deliver(build_mail(cc="bob@customer.example")).ref

    # When the agent's reply drops Bob, copies Carol and blind-copies the warehouse
    answer = _reply(client, token, ref, cc=["carol@customer.example"], bcc=["Warehouse@partner.example"])

    # Then SES gets all three as destinations, and no header names the blind copy
    assert answer.status_code == 201, answer.body
    mail = desk.sent()[-1]
    assert mail.recipients == {CUSTOMER, "carol@customer.example", "warehouse@partner.example"}
    named = {
        address.lower()
        for _, address in getaddresses([*mail.message.get_all("To", []), *mail.message.get_all("Cc", [])])
    }
    assert named == {CUSTOMER, "carol@customer.example"}
    assert b"warehouse@partner.example" not in mail.raw.lower()
    # And the thread shows agents who got it, Bcc too
    message = body_of(answer)["message"]
    assert (message["to"], message["cc"], message["bcc"]) == (
        [CUSTOMER],
        ["carol@customer.example"],
        ["warehouse@partner.example"],
    )
    shown = _ticket(client, token, ref)
    assert shown["thread"][-1]["bcc"] == ["warehouse@partner.example"]
    # And the Cc chosen stays on the ticket, the Bcc was for this reply only
    assert shown["ticket"]["cc"] == ["carol@customer.example"] and shown["ticket"]["bcc"] == []
    replied = [e["detail"] for e in shown["events"] if e["kind"] == "agent_replied"][-1]
    assert replied["cc"] == "carol@customer.example" and replied["bcc"] == "warehouse@partner.example"

    # When the next reply names no Cc or Bcc, it goes to the ticket's
    assert _reply(client, token, ref, key="reply-2").status_code == 201
    assert desk.sent()[-1].recipients == {CUSTOMER, "carol@customer.example"}


def test_a_replys_bcc_kept_stays_on_the_ticket_and_a_reply_may_leave_it_out(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref
    kept = _reply(client, token, ref, bcc=["warehouse@partner.example"], keep_bcc=True)
    assert kept.status_code == 201, kept.body
    assert _ticket(client, token, ref)["ticket"]["bcc"] == ["warehouse@partner.example"]

    # A reply that names an empty Bcc goes without it, and the ticket keeps its Bcc
    assert _reply(client, token, ref, key="reply-2", bcc=[]).status_code == 201
    assert desk.sent()[-1].recipients == {CUSTOMER}
    assert _ticket(client, token, ref)["ticket"]["bcc"] == ["warehouse@partner.example"]
    # The next one without a Bcc of its own goes to the ticket's
    assert _reply(client, token, ref, key="reply-3").status_code == 201
    assert desk.sent()[-1].recipients == {CUSTOMER, "warehouse@partner.example"}


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"bcc": ["support@example.com"]}, 400, "bcc: support@example.com is the desk's own address"),
        ({"keep_bcc": "yes"}, 400, "keep_bcc must be true"),
        ({"bcc": [f"b{n}@partner.example" for n in range(49)]}, 422, "would go to 51"),
    ],
)
def test_a_reply_that_cannot_go_says_why_and_sends_nothing(
    desk: Desk, client: Client, token: str, fields: dict[str, Any], status: int, words: str
) -> None:
    ref = desk.deliver(build_mail(cc="bob@customer.example")).ref
    sent = len(desk.sent())
    answer = _reply(client, token, ref, **fields)
    assert answer.status_code == status, answer.body
    assert words in body_of(answer)["message"]
    assert len(desk.sent()) == sent


def test_a_reply_over_the_limit_names_ses_and_what_to_do(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail(cc="bob@customer.example")).ref
    answer = _reply(client, token, ref, bcc=[f"b{n}@partner.example" for n in range(49)])
    assert body_of(answer)["message"] == (
        "a mail goes to at most 50 recipients (the limit of Amazon SES); this one would go to 51: the "
        "requester, 1 Cc addresses (the ticket's) and 49 Bcc addresses (the reply's); name the "
        "addresses that stay in the reply's `cc` and `bcc` (at most 49 together)"
    )


def _agent_reply(ref: str, **options: Any) -> AgentReply:
    return AgentReply(
        ref=ref,
        agent_email="sam@example.com",
        agent_name="Sam Lee",
        body="Hello Jane, it is on its way.",
        request_id="req-bcc",
        bcc=("warehouse@partner.example",),
        keep_bcc=True,
        **options,
    )


def test_a_reply_with_bcc_sent_twice_at_once_goes_once(desk: Desk) -> None:
    ref = desk.deliver(build_mail()).ref
    before = len(desk.sent())

    def attempt(_: int) -> str:
        try:
            send_reply(_agent_reply(ref), desk.settings, desk.ports)
        except DuplicateRequest:
            return "duplicate"
        return "sent"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4)))

    assert outcomes.count("sent") == 1
    assert len(desk.sent()) == before + 1
    assert desk.sent()[-1].recipients == {CUSTOMER, "warehouse@partner.example"}
    replies = [m for m in desk.store.thread(ref) if m.kind.value == "agent_reply"]
    assert [m.bcc for m in replies] == [("warehouse@partner.example",)]
    assert desk.store.get_ticket(ref).bcc == ("warehouse@partner.example",)  # type: ignore[union-attr]


def test_a_reply_with_bcc_whose_record_crashed_is_sent_once_and_kept(desk: Desk) -> None:
    ref = desk.deliver(build_mail()).ref
    before = len(desk.sent())
    with pytest.raises(Crash):
        send_reply(
            _agent_reply(ref),
            desk.settings,
            replace(desk.ports, store=CrashingStore(desk.store, "finish_guard")),
        )
    with pytest.raises(DuplicateRequest):
        send_reply(_agent_reply(ref), desk.settings, desk.ports)
    assert len(desk.sent()) == before + 1
    # Recorded with the mail, in the same transaction: the thread's Bcc and the ticket's kept one
    (reply,) = [m for m in desk.store.thread(ref) if m.kind.value == "agent_reply"]
    assert reply.bcc == ("warehouse@partner.example",)
    assert desk.store.get_ticket(ref).bcc == ("warehouse@partner.example",)  # type: ignore[union-attr]


def _follow_up(desk: Desk, ref: str, sender: str, cc: str, body: str = "Adding my colleague.") -> None:
    outbound = [m for m in desk.store.thread(ref) if m.message_id and m.direction.value == "outbound"]
    found = desk.deliver(
        build_mail(
            sender=sender,
            subject=f"Re: [#{ref}] My order has not arrived",
            body=body,
            cc=cc,
            in_reply_to=outbound[-1].message_id if outbound else None,
        ),
        envelope_sender=sender.split("<")[-1].strip(">"),
    )
    assert found.ref == ref


def test_a_cc_the_customer_adds_later_is_offered_not_applied(desk: Desk, client: Client, token: str) -> None:
    # Given a ticket the desk answered
    ref = desk.deliver(build_mail()).ref
    assert _reply(client, token, ref).status_code == 201

    # When the customer answers copying a colleague, the desk and herself
    _follow_up(
        desk, ref, f"Jane Doe <{CUSTOMER}>", f"Bob <Bob@Customer.example>, support@example.com, {CUSTOMER}"
    )

    # Then the colleague is offered, not copied
    ticket = _ticket(client, token, ref)["ticket"]
    assert ticket["cc"] == []
    (offer,) = ticket["cc_offered"]
    assert offer["address"] == "bob@customer.example"
    assert offer["by"] == {"email": CUSTOMER, "name": "Jane Doe"}
    assert _sentences(client, token, ref, "cc_offered") == [
        {"by": CUSTOMER, "addresses": "bob@customer.example"}
    ]
    # And the next reply does not go to him
    assert _reply(client, token, ref, key="reply-2").status_code == 201
    assert desk.sent()[-1].recipients == {CUSTOMER}

    # When the agent adds him to the Cc
    answer = _patch(client, token, ref, cc=["bob@customer.example"])

    # Then he is on the thread, no longer offered, and the history says he came from the offer
    assert answer.status_code == 200, answer.body
    ticket = body_of(answer)["ticket"]
    assert ticket["cc"] == ["bob@customer.example"] and ticket["cc_offered"] == []
    assert _sentences(client, token, ref, "cc_changed") == [
        {"added": "bob@customer.example", "accepted_offer": "bob@customer.example"}
    ]
    assert _reply(client, token, ref, key="reply-3").status_code == 201
    assert desk.sent()[-1].recipients == {CUSTOMER, "bob@customer.example"}


def test_a_dismissed_offer_is_not_offered_again(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    assert _reply(client, token, ref).status_code == 201
    _follow_up(desk, ref, f"Jane Doe <{CUSTOMER}>", "lawyer@firm.example, bob@customer.example")
    assert [o["address"] for o in _ticket(client, token, ref)["ticket"]["cc_offered"]] == [
        "lawyer@firm.example",
        "bob@customer.example",
    ]

    # When the agent dismisses the lawyer
    answer = _patch(client, token, ref, dismiss_cc_offered=["Lawyer@Firm.example"])

    # Then only Bob is still offered, and the history says so
    assert answer.status_code == 200, answer.body
    assert [o["address"] for o in body_of(answer)["ticket"]["cc_offered"]] == ["bob@customer.example"]
    assert _sentences(client, token, ref, "cc_offer_dismissed") == [{"addresses": "lawyer@firm.example"}]
    # And when the customer copies the lawyer again, nothing new is offered
    _follow_up(desk, ref, f"Jane Doe <{CUSTOMER}>", "lawyer@firm.example", body="Copying my lawyer again.")
    assert [o["address"] for o in _ticket(client, token, ref)["ticket"]["cc_offered"]] == [
        "bob@customer.example"
    ]
    assert len(_sentences(client, token, ref, "cc_offered")) == 1


def test_someone_taken_off_the_cc_is_not_offered_again(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail(cc="bob@customer.example")).ref
    assert _patch(client, token, ref, cc=[]).status_code == 200
    assert _reply(client, token, ref).status_code == 201
    _follow_up(desk, ref, f"Jane Doe <{CUSTOMER}>", "bob@customer.example")
    assert _ticket(client, token, ref)["ticket"]["cc_offered"] == []


def test_only_someone_on_the_thread_brings_offers(desk: Desk, client: Client, token: str) -> None:
    # Given a ticket copying Bob
    ref = desk.deliver(build_mail(cc="bob@customer.example")).ref
    assert _reply(client, token, ref).status_code == 201

    # When Bob, who is on the thread, copies Carol, she is offered (by Bob)
    _follow_up(desk, ref, "Bob <bob@customer.example>", "carol@customer.example")
    (offer,) = _ticket(client, token, ref)["ticket"]["cc_offered"]
    assert offer["address"] == "carol@customer.example" and offer["by"]["email"] == "bob@customer.example"

    # When a stranger writes on the thread copying someone, nothing is offered
    _follow_up(desk, ref, "Eve <eve@elsewhere.example>", "mallory@elsewhere.example")
    assert [o["address"] for o in _ticket(client, token, ref)["ticket"]["cc_offered"]] == [
        "carol@customer.example"
    ]


def test_the_same_follow_up_delivered_twice_offers_once(desk: Desk, client: Client, token: str) -> None:
    ref = desk.deliver(build_mail()).ref
    mail = build_mail(
        sender=f"Jane Doe <{CUSTOMER}>", subject=f"Re: [#{ref}] Order", cc="bob@customer.example"
    )
    event = desk.event(mail)
    desk.deliver_event(event)
    desk.deliver_event(event)
    ticket = _ticket(client, token, ref)["ticket"]
    assert [o["address"] for o in ticket["cc_offered"]] == ["bob@customer.example"]
    assert len(_sentences(client, token, ref, "cc_offered")) == 1


def test_a_new_ticket_blind_copies_its_first_mail_and_keeps_the_bcc_only_when_asked(
    desk: Desk, client: Client, token: str
) -> None:
    def start(key: str, **fields: Any) -> Any:
        document = {
            "requester": {"email": "lena@customer.example", "name": "Lena"},
            "subject": "Your replacement part",
            "body": "Hello Lena, it is ready.",
            **fields,
        }
        return client.http.post(
            "/tickets", headers={**auth(token), "Idempotency-Key": key}, body=json.dumps(document)
        )

    once = start("a", cc=["max@customer.example"], bcc=["warehouse@partner.example"])
    assert once.status_code == 201, once.body
    assert desk.sent()[-1].recipients == {
        "lena@customer.example",
        "max@customer.example",
        "warehouse@partner.example",
    }
    assert b"warehouse@partner.example" not in desk.sent()[-1].raw.lower()
    assert body_of(once)["ticket"]["bcc"] == [] and body_of(once)["message"]["bcc"] == [
        "warehouse@partner.example"
    ]

    kept = start("b", bcc=["warehouse@partner.example"], keep_bcc=True)
    assert body_of(kept)["ticket"]["bcc"] == ["warehouse@partner.example"]

    refused = start("c", bcc=["support@example.com"])
    assert refused.status_code == 400 and "desk's own address" in body_of(refused)["message"]
    over = start(
        "d", cc=[f"p{n}@partner.example" for n in range(25)], bcc=[f"b{n}@partner.example" for n in range(25)]
    )
    assert over.status_code == 422 and "Amazon SES" in body_of(over)["message"]
