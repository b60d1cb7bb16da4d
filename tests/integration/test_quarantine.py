"""Quarantine review through the API: a quarantined mail is listed with its reason; "not spam"
releases it into the normal flow (open work, SLA clocks from now, the history in words, nobody
mailed) and remembers the sender, so their next mail with a spam verdict is a ticket like any other,
while a virus still is not; an erasure forgets the sender."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from postdesk.aws.clients import client as aws_client
from postdesk.effects import keys
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

SENDER = "Nia Okafor <nia@newsletter-looking.example>"
ADDRESS = "nia@newsletter-looking.example"


def _refs(client: Client, token: str, query: str) -> list[str]:
    answer = client.http.get(f"/tickets?{query}", headers=auth(token))
    assert answer.status_code == 200, answer.body
    return [ticket["ref"] for ticket in body_of(answer)["tickets"]]


def _trusted(desk: Desk) -> dict[str, Any] | None:
    found = aws_client("dynamodb", desk.settings.region).get_item(
        TableName=desk.settings.tables.guards, Key={"key": {"S": keys.trusted_sender_guard(ADDRESS)}}
    )
    item: dict[str, Any] | None = found.get("Item")
    return item


def test_not_spam_releases_the_mail_and_remembers_the_sender(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    held = desk.deliver(build_mail(sender=SENDER, subject="Partnership"), verdicts={"spam": "FAIL"})
    sent = len(desk.sent())
    assert held.ref in _refs(client, token, "quarantined=true")
    assert held.ref not in _refs(client, token, "")
    ticket = body_of(client.http.get(f"/tickets/{held.ref}", headers=auth(token)))["ticket"]
    assert ticket["quarantine"] == "spam: SES spam verdict FAIL" and ticket["sla"] is None

    released = client.http.post(f"/tickets/{held.ref}/release", headers=auth(token), body="")
    assert released.status_code == 200, released.body
    after = body_of(released)["ticket"]
    assert after["quarantine"] is None and after["status"] == "new"
    assert after["sla"]["first_response_due"] is not None  # the clock runs, from now
    assert held.ref in _refs(client, token, "") and held.ref not in _refs(client, token, "quarantined=true")
    events = body_of(client.http.get(f"/tickets/{held.ref}", headers=auth(token)))["events"]
    (event,) = [e for e in events if e["kind"] == "released"]
    assert event["detail"] == {"was": "spam: SES spam verdict FAIL", "sender_trusted": "yes"}
    assert len(desk.sent()) == sent  # nobody is mailed
    again = client.http.post(f"/tickets/{held.ref}/release", headers=auth(token), body="")
    assert again.status_code == 409 and "not in quarantine" in body_of(again)["message"]

    # The same sender, the same verdict: a ticket like any other, acknowledged
    next_one = desk.deliver(build_mail(sender=SENDER, subject="Following up"), verdicts={"spam": "FAIL"})
    assert next_one.new_ticket and next_one.screening.verdict.value == "accept"
    assert "overruled: an agent released this sender before" in next_one.screening.reason
    assert desk.store.get_ticket(next_one.ref).quarantine is None  # type: ignore[union-attr]
    assert next_one.ack.value == "sent"
    # A virus is about the mail, not the person: still held
    infected = desk.deliver(build_mail(sender=SENDER, subject="Invoice"), verdicts={"virus": "FAIL"})
    assert desk.store.get_ticket(infected.ref).quarantine is not None  # type: ignore[union-attr]

    # Erasing the sender forgets that they were trusted
    assert _trusted(desk) is not None
    erased = client.http.post(
        "/privacy/erasures", headers=auth(admin_token), body=json.dumps({"email": ADDRESS, "confirm": True})
    )
    assert erased.status_code in (200, 201), erased.body
    assert _trusted(desk) is None


def test_a_release_without_trust_keeps_the_next_spam_out(desk: Desk, client: Client, token: str) -> None:
    held = desk.deliver(build_mail(sender=SENDER), verdicts={"spam": "FAIL"})
    answer = client.http.post(
        f"/tickets/{held.ref}/release", headers=auth(token), body=json.dumps({"trust_sender": False})
    )
    assert answer.status_code == 200, answer.body
    later = desk.deliver(build_mail(sender=SENDER, subject="Another"), verdicts={"spam": "FAIL"})
    assert desk.store.get_ticket(later.ref).quarantine is not None  # type: ignore[union-attr]
    assert client.http.post("/tickets/ZZZZ-ZZZZ/release", headers=auth(token), body="").status_code == 404
    bad = client.http.post(
        f"/tickets/{later.ref}/release", headers=auth(token), body=json.dumps({"trust_sender": "y"})
    )
    assert bad.status_code == 400
