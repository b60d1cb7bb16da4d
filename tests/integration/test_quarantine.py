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
from tests.mails import build_mail, mail_with_attachments

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


def test_not_spam_with_an_acknowledgement_sends_the_one_the_mail_would_have_had(
    desk: Desk, client: Client, token: str
) -> None:
    held = desk.deliver(build_mail(sender=SENDER, subject="Wholesale prices"), verdicts={"spam": "FAIL"})
    sent = len(desk.sent())
    answer = client.http.post(
        f"/tickets/{held.ref}/release", headers=auth(token), body=json.dumps({"acknowledge": True})
    )
    assert answer.status_code == 200, answer.body
    assert body_of(answer)["acknowledgement"] == {"outcome": "sent", "reason": None}
    (ack,) = desk.sent()[sent:]
    assert ack.destinations == [SENDER]
    text = ack.raw.decode("utf-8", "replace")
    assert f"[#{held.ref}] Wholesale prices" in text and "Auto-Submitted: auto-replied" in text
    events = body_of(client.http.get(f"/tickets/{held.ref}", headers=auth(token)))["events"]
    assert [e["kind"] for e in events].count("ack_sent") == 1

    # Sent once: the same mail acknowledged again (a retried release, a second agent) sends nothing
    from postdesk.workflows.ingest import AckOutcome, acknowledge_release

    ticket = desk.store.get_ticket(held.ref)
    assert ticket is not None
    assert acknowledge_release(ticket, desk.settings, desk.ports)[0] is AckOutcome.ALREADY_SENT
    assert len(desk.sent()) == sent + 1


def test_an_acknowledgement_is_refused_for_held_mail_that_is_not_spam(
    desk: Desk, client: Client, token: str
) -> None:
    forged = desk.deliver(
        build_mail(sender=SENDER, subject="Reset"), verdicts={"dmarc": "FAIL", "dmarc_policy": "REJECT"}
    )
    infected = desk.deliver(build_mail(sender=SENDER, subject="Invoice"), verdicts={"virus": "FAIL"})
    sent = len(desk.sent())
    for ref in (forged.ref, infected.ref):
        assert desk.store.get_ticket(ref).quarantine is not None  # type: ignore[union-attr]
        refused = client.http.post(
            f"/tickets/{ref}/release", headers=auth(token), body=json.dumps({"acknowledge": True})
        )
        assert refused.status_code == 400 and "never answered automatically" in body_of(refused)["message"]
        # Refused before anything changed: still held
        assert desk.store.get_ticket(ref).quarantine is not None  # type: ignore[union-attr]
    wrong = client.http.post(
        f"/tickets/{forged.ref}/release", headers=auth(token), body=json.dumps({"acknowledge": "yes"})
    )
    assert wrong.status_code == 400 and "acknowledge must be true or false" in body_of(wrong)["message"]
    assert len(desk.sent()) == sent


def test_delete_removes_held_mail_whole_and_nothing_else(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    # Given a held mail with an attachment, and an ordinary ticket of the same sender
    kept = desk.deliver(build_mail(subject="My real question"))
    held = desk.deliver(
        mail_with_attachments(["offer.pdf"], subject="Cheap watches", body="Cheap watches, buy now.\n"),
        verdicts={"spam": "FAIL"},
    )
    desk.index_changes()
    objects = desk.ports.blobs.keys_under(f"{desk.settings.attachments_prefix}{held.ref}/")
    assert objects

    # An ordinary ticket cannot be deleted: it is kept, or erased with its requester's data
    refused = client.http.delete(f"/tickets/{kept.ref}", headers=auth(token))
    assert refused.status_code == 409 and "not in quarantine" in body_of(refused)["message"]

    # When an agent deletes the held one
    answer = client.http.delete(f"/tickets/{held.ref}", headers=auth(token))

    # Then it is gone with its raw mail, attachments and log; the sender's other ticket stays
    assert answer.status_code == 200, answer.body
    removed = body_of(answer)["deleted"]["removed"]
    assert removed["tickets"] == 1 and removed["messages"] >= 1 and removed["objects"] >= 2
    assert client.http.get(f"/tickets/{held.ref}", headers=auth(token)).status_code == 404
    assert desk.ports.blobs.keys_under(f"{desk.settings.attachments_prefix}{held.ref}/") == []
    assert desk.store.log(held.ref) == ([], [])
    assert desk.store.get_ticket(kept.ref) is not None
    # It leaves the search index with the ticket
    desk.index_changes()
    assert _refs(client, token, "q=watches&quarantined=true") == []
    assert kept.ref in _refs(client, token, "q=question")
    # An audit record says who and when, and names nobody
    audit = aws_client("dynamodb", desk.settings.region).scan(TableName=desk.settings.tables.audit)["Items"]
    (record,) = [item for item in audit if item["action"]["S"] == "ticket-deletion"]
    assert record["operator"]["S"] == "sam@example.com"
    assert held.ref not in json.dumps(record) and "jane.doe" not in json.dumps(record)
    # Deleting again: not found
    assert client.http.delete(f"/tickets/{held.ref}", headers=auth(token)).status_code == 404


def test_held_mail_is_neither_answered_nor_changed_until_released(
    desk: Desk, client: Client, token: str
) -> None:
    held = desk.deliver(build_mail(sender=SENDER, subject="Claim your prize"), verdicts={"spam": "FAIL"})
    sent = len(desk.sent())
    version = body_of(client.http.get(f"/tickets/{held.ref}", headers=auth(token)))["ticket"]["version"]

    reply = client.http.post(
        f"/tickets/{held.ref}/replies", headers=auth(token), body=json.dumps({"body": "Thanks!"})
    )
    change = client.http.patch(
        f"/tickets/{held.ref}", headers=auth(token), body=json.dumps({"version": version, "status": "open"})
    )
    for refused in (reply, change):
        assert refused.status_code == 409, refused.body
        assert "held in quarantine: release it (Not spam)" in body_of(refused)["message"]
    assert len(desk.sent()) == sent
    ticket = desk.store.get_ticket(held.ref)
    assert ticket is not None and ticket.status.value == "new" and ticket.first_response_at is None
    # An internal note is fine: nobody is mailed
    note = client.http.post(
        f"/tickets/{held.ref}/notes", headers=auth(token), body=json.dumps({"body": "Looks like spam."})
    )
    assert note.status_code == 201, note.body
