"""From ticket to article over HTTP: an agent answers a customer, then drafts a help article from the
ticket; the draft keeps the answer and none of the customer's data, and the ticket's history says so."""

from __future__ import annotations

import json

from chalice.test import Client

from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

CUSTOMER_MAIL = (
    "Hello,\n\nmy parcel for order 58213 has not arrived and the tracking page shows nothing since "
    "Monday. You can call me on +351 912 345 678.\n\nThanks,\nMarta Oliveira"
)
ANSWER = (
    "Hi Marta,\n\n"
    "I am sorry the parcel for order 58213 is late. When tracking shows nothing for three working "
    "days, the carrier has usually lost the scan, not the parcel:\n\n"
    "1. Wait one more working day: most parcels turn up with a new scan.\n"
    "2. If nothing moves, reply to this mail and we send a replacement at once, free of charge.\n\n"
    "Your tracking link: https://track.example.com/t?code=PT58213XYZ&lang=pt\n"
    "I tried to call you on +351 912 345 678, Marta, without luck.\n\n"
    "Best regards,\nSam"
)


def test_an_agent_drafts_an_article_from_a_ticket_without_the_customers_data(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a customer's mail, the agent's public answer, and an internal note
    ref = desk.deliver(
        build_mail(
            subject="Parcel for order 58213 not arrived",
            body=CUSTOMER_MAIL,
            sender="Marta Oliveira <marta.oliveira@customer.example>",
        ),
        envelope_sender="marta.oliveira@customer.example",
    ).ref
    replied = client.http.post(
        f"/tickets/{ref}/replies", headers=auth(token), body=json.dumps({"body": ANSWER})
    )
    assert replied.status_code == 201, replied.body
    noted = client.http.post(
        f"/tickets/{ref}/notes",
        headers=auth(token),
        body=json.dumps({"body": "Internal: carrier case opened, tell nobody yet"}),
    )
    assert noted.status_code == 201, noted.body

    # When the agent creates an article from the ticket
    created = client.http.post(f"/tickets/{ref}/article", headers=auth(token), body="{}")

    # Then a draft exists, named after the subject, with what was taken out listed by kind
    assert created.status_code == 201, created.body
    draft = body_of(created)
    assert draft == {
        "slug": "parcel-for-order-not-arrived",
        "language": "en",
        "version": 1,
        "title": "Parcel for order not arrived",
        "removed": [
            {"kind": "greeting", "count": 1},
            {"kind": "sign_off", "count": 1},
            {"kind": "name", "count": 1},
            {"kind": "phone", "count": 1},
            {"kind": "reference_number", "count": 2},
            {"kind": "link", "count": 1},
        ],
    }
    # And its text is the answer without the customer's data, the note or the customer's mail
    version = desk.ports.knowledge.version(draft["slug"], "en", 1)
    assert version.body.startswith("I am sorry the parcel for order […] is late.")
    assert "2. If nothing moves, reply to this mail" in version.body
    for value in ("Marta", "Oliveira", "58213", "912 345", "track.example.com", "Sam", "Internal", "Thanks"):
        assert value not in version.body, value
    # (nor the desk's own acknowledgement, which the thread holds as an outbound mail too)
    assert "We have received your message" not in version.body
    assert any(m.kind.value == "acknowledgement" for m in desk.store.thread(ref))
    article = desk.ports.knowledge.get(draft["slug"])
    assert article.owner == "sam@example.com"
    assert article.translations["en"].status.value == "draft"
    # And nothing is published: the help center does not show it
    assert desk.ports.catalogue.article(draft["slug"], "en") is None

    # And the ticket's history says who drafted which article, and what was taken out
    ticket = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))
    (event,) = [e for e in ticket["events"] if e["kind"] == "article_drafted"]
    assert event["actor"] == "sam@example.com"
    assert event["detail"]["slug"] == "parcel-for-order-not-arrived"
    assert event["detail"]["removed"] == (
        "greeting:1, sign_off:1, name:1, phone:1, reference_number:2, link:1"
    )

    # When it is done again, in German, a second draft gets a slug of its own
    again = client.http.post(
        f"/tickets/{ref}/article", headers=auth(token), body=json.dumps({"language": "de"})
    )
    assert again.status_code == 201, again.body
    assert (body_of(again)["slug"], body_of(again)["language"]) == ("parcel-for-order-not-arrived-2", "de")


def test_a_ticket_nobody_answered_or_a_language_the_desk_lacks_drafts_nothing(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref

    unanswered = client.http.post(f"/tickets/{ref}/article", headers=auth(token), body="{}")
    assert unanswered.status_code == 422, unanswered.body
    assert "no reply of an agent" in body_of(unanswered)["message"]

    client.http.post(
        f"/tickets/{ref}/replies", headers=auth(token), body=json.dumps({"body": "It ships today."})
    )
    for body, words in (
        ({"language": "it"}, "not one of the desk's"),
        ({"language": 7}, "language must be a string"),
        ({"title": "Mine"}, "unknown field"),
    ):
        refused = client.http.post(f"/tickets/{ref}/article", headers=auth(token), body=json.dumps(body))
        assert refused.status_code == 400, refused.body
        assert words in body_of(refused)["message"]
    assert desk.ports.knowledge.list_articles() == []
    assert client.http.post(f"/tickets/{ref}/article", body="{}").status_code == 401
