"""Exactly one sign-off under every reply, through the API as the console sends it: the desk's
closing in the ticket's language, the agent's signature (or their name), the desk's name and the
legal footer of the ticket's queue; a saved reply that signs itself gets no second one. The text
part reads as plain mail, the HTML part shows the signature's Markdown. An agent reads and edits
their own signature (GET /me, GET|PUT /me/signature), previews the sign-off, and reads the queues'
footers (GET /queues)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.replies.saved import SavedReplyStore
from postdesk.replies.sign_off import MAX_SIGNATURE_CHARS
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

GERMAN_BILLING_MAIL = build_mail(
    subject="Rechnung doppelt abgebucht",
    body="Guten Tag,\n\nmeine Rechnung wurde zweimal abgebucht. Bitte erstatten Sie den Betrag.\n\nMax",
    sender="Max Mustermann <max@kunde.example>",
)
SIGN_OFF_FILE = """
[closing]
en = "Best regards,"
de = "Viele Grüße"

[recognised]
en = ["Thanks"]
de = ["Danke"]

[footer]
default = "Example Ltd · 1 Example Street · London"

[queues.billing-de.footer]
de = "Example Payments GmbH · Beispielstraße 1 · 10115 Berlin · HRB 67890 B · [Impressum](https://example.com/impressum)"
"""


@pytest.fixture
def local_admin(desk: Desk) -> str:
    """The issue's agent: named "Local Admin", no signature of their own."""
    _, token = AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        "admin@example.com", "Local Admin", Role.ADMIN, desk.clock_now
    )
    return token


@pytest.fixture
def footers(desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The desk runs with a sign-off file that has a brand footer and a German one for billing-de."""
    path = tmp_path / "sign_off.toml"
    path.write_text(SIGN_OFF_FILE, encoding="utf-8")
    monkeypatch.setenv("POSTDESK_SIGN_OFF", str(path))
    runtime.reset_runtime()
    return path


def _parts(desk: Desk) -> tuple[str, str]:
    """The text and HTML parts of the last mail sent, with the line ends typed (mail travels CRLF)."""
    message = desk.sent()[-1].message
    assert isinstance(message, EmailMessage)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return (
        str(text.get_content()).replace("\r\n", "\n"),
        str(html.get_content()).replace("\r\n", "\n"),
    )


def _reply(client: Client, token: str, ref: str, key: str, **body: Any) -> None:
    answer = client.http.post(
        f"/tickets/{ref}/replies", headers={**auth(token), "Idempotency-Key": key}, body=json.dumps(body)
    )
    assert answer.status_code == 201, body_of(answer)


def _put_signature(client: Client, token: str, signature: object) -> Any:
    return client.http.put("/me/signature", headers=auth(token), body=json.dumps({"signature": signature}))


def _below_body(text: str) -> str:
    """What the text part holds between the body's last line and the reference line."""
    return text.split("\n\n", 1)[1].rsplit("\n\n--\n", 1)[0]


def test_a_reply_without_a_signature_signs_with_the_closing_the_name_and_the_desk(
    desk: Desk, client: Client, token: str
) -> None:
    # Given an English ticket and an agent (Sam Lee) with no signature of their own
    ref = desk.deliver(build_mail()).ref

    # When they reply
    _reply(client, token, ref, "plain", body="Your parcel left our warehouse today.")

    # Then the text part closes once, with their name and the desk's, and nothing else
    text, html = _parts(desk)
    assert text == (
        f"Your parcel left our warehouse today.\n\nBest regards,\nSam Lee\nExample Support\n\n--\n[#{ref}]\n"
    )
    # And the HTML part shows the same lines as one paragraph
    assert "<p>Best regards,<br>\nSam Lee<br>\nExample Support</p>" in html


def test_an_agents_signature_replaces_their_name_with_its_markdown_rendered(
    desk: Desk, client: Client, token: str
) -> None:
    # Given Sam's signature, with a second line and a link, as the console saves it
    saved = _put_signature(
        client,
        token,
        {"default": "**Sam Lee**\nCustomer care · [example.com/help](https://example.com/help)"},
    )
    assert saved.status_code == 200, body_of(saved)
    ref = desk.deliver(build_mail()).ref

    # When Sam replies
    _reply(client, token, ref, "signed", body="It is on its way.")

    # Then the text part reads the signature as plain text (no Markdown marks, the link's address
    # after its words) under the closing, and the desk's name after it
    text, html = _parts(desk)
    assert _below_body(text) == (
        "Best regards,\nSam Lee\nCustomer care · example.com/help <https://example.com/help>\nExample Support"
    )
    # And the HTML part renders it
    assert (
        "<p>Best regards,<br>\n<strong>Sam Lee</strong><br>\n"
        'Customer care · <a href="https://example.com/help">example.com/help</a><br>\nExample Support</p>'
    ) in html
    # And GET /me carries it
    me = body_of(client.http.get("/me", headers=auth(token)))
    assert me["signature"] == {
        "default": "**Sam Lee**\nCustomer care · [example.com/help](https://example.com/help)"
    }


def test_a_german_saved_reply_that_signs_itself_gets_one_sign_off_and_the_queues_footer(
    desk: Desk, client: Client, local_admin: str, footers: Path
) -> None:
    # Given a German billing ticket, and the saved reply that ends with its own sign-off
    ref = desk.deliver(GERMAN_BILLING_MAIL).ref
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and (ticket.language, ticket.queue) == ("de", "billing-de")
    saved = SavedReplyStore(desk.settings.tables.saved_replies, desk.settings.region).create(
        "Erstattung",
        "Hallo {{ customer.first_name }},\n\ndie doppelte Abbuchung erstatten wir heute.\n\n"
        "Viele Grüße\n{{ agent.name }}",
        "de",
        "admin@example.com",
        desk.clock_now,
    )

    # When Local Admin sends it
    _reply(client, local_admin, ref, "saved", saved_reply_id=saved.id)

    # Then "Viele Grüße" and the name are there once each: the desk adds only billing-de's footer
    text, html = _parts(desk)
    assert text.count("Viele Grüße") == 1 and text.count("Local Admin") == 1
    assert html.count("Viele Grüße") == 1 and html.count("Local Admin") == 1
    assert "Best regards" not in text and "Example Support" not in text
    assert text.endswith(
        "Viele Grüße\nLocal Admin\n\n"
        "Example Payments GmbH · Beispielstraße 1 · 10115 Berlin · HRB 67890 B · "
        "Impressum <https://example.com/impressum>\n\n--\n"
        f"[#{ref}]\n"
    )
    assert '<a href="https://example.com/impressum">Impressum</a>' in html


def test_a_german_ticket_signs_off_in_german_with_the_agents_german_signature(
    desk: Desk, client: Client, token: str, footers: Path
) -> None:
    # Given Sam's signature in German and by default, and a German billing ticket
    assert (
        _put_signature(client, token, {"default": "Sam Lee", "de": "Sam Lee\nKundenservice"}).status_code
        == 200
    )
    ref = desk.deliver(GERMAN_BILLING_MAIL).ref

    # When Sam replies without a sign-off of his own
    _reply(client, token, ref, "german", body="Hallo Max,\n\nwir erstatten den Betrag heute.")

    # Then the sign-off is German, once, with billing-de's German footer after it
    text, _ = _parts(desk)
    assert _below_body(text).split("\n\n", 1)[1] == (
        "Viele Grüße\nSam Lee\nKundenservice\nExample Support\n\n"
        "Example Payments GmbH · Beispielstraße 1 · 10115 Berlin · HRB 67890 B · "
        "Impressum <https://example.com/impressum>"
    )


def test_an_english_ticket_of_another_queue_gets_the_brands_footer(
    desk: Desk, client: Client, token: str, footers: Path
) -> None:
    ref = desk.deliver(build_mail()).ref

    _reply(client, token, ref, "brand", body="We are on it.")

    text, html = _parts(desk)
    assert (
        _below_body(text)
        == "Best regards,\nSam Lee\nExample Support\n\nExample Ltd · 1 Example Street · London"
    )
    assert "<p>Example Ltd · 1 Example Street · London</p>" in html


def test_a_body_that_closes_without_a_name_gets_the_name_but_no_second_closing(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref

    _reply(client, token, ref, "thanks", body="We refunded the order.\n\nThanks!")

    text, _ = _parts(desk)
    assert _below_body(text) == "Thanks!\n\nSam Lee\nExample Support"
    assert "Best regards" not in text


def test_a_body_signed_with_closing_and_first_name_on_one_line_gets_no_second_sign_off(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref

    _reply(client, token, ref, "cheers", body="All sorted.\n\nCheers, Sam")

    text, _ = _parts(desk)
    assert text == f"All sorted.\n\nCheers, Sam\n\n--\n[#{ref}]\n"


def test_an_agent_reads_and_clears_their_signature(desk: Desk, client: Client, token: str) -> None:
    # Given a signature with Windows line ends and spaces around it
    saved = _put_signature(client, token, {"de": "  Sam Lee\r\nKundenservice  "})
    assert body_of(saved) == {"signature": {"de": "Sam Lee\nKundenservice"}}

    # When it is read
    mine = body_of(client.http.get("/me/signature", headers=auth(token)))

    # Then it comes back with the languages it may be written in and its limits
    assert mine["signature"] == {"de": "Sam Lee\nKundenservice"}
    assert set(mine["languages"]) == {"de", "en", "es", "fr", "pt"} and mine["default_language"] == "en"
    assert mine["max_chars"] == MAX_SIGNATURE_CHARS

    # When it is replaced by an empty one, it is gone
    assert body_of(_put_signature(client, token, {})) == {"signature": {}}
    assert body_of(client.http.get("/me", headers=auth(token)))["signature"] == {}


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"signature": None}, "signature must be an object"),
        ({"signature": "Sam"}, "signature must be an object"),
        ({"signature": []}, "signature must be an object"),
        ({}, "missing field(s): signature"),
        ({"signature": {}, "name": "x"}, "unknown field(s): name"),
        ({"signature": {"xx": "Sam"}}, "unknown language(s) 'xx'"),
        ({"signature": {"de": None}}, "signature.de must be a string"),
        ({"signature": {"de": 5}}, "signature.de must be a string"),
        ({"signature": {"de": "  "}}, "signature.de is empty"),
        ({"signature": {"default": "x" * (MAX_SIGNATURE_CHARS + 1)}}, "over 1,000 characters"),
        ({"signature": {"default": "\n".join("line" for _ in range(11))}}, "more than 10 lines"),
        ({"signature": {"default": "<b>Sam</b>"}}, "holds HTML (<b>)"),
        ({"signature": {"default": "{{ agent.name }}"}}, "without variables"),
        ({"signature": {"default": "Sam\x07"}}, "control character"),
    ],
)
def test_a_signature_that_cannot_be_used_is_a_400_in_words(
    client: Client, token: str, body: dict[str, Any], said: str
) -> None:
    answer = client.http.put("/me/signature", headers=auth(token), body=json.dumps(body))

    assert answer.status_code == 400
    assert said in body_of(answer)["message"]
    assert body_of(client.http.get("/me", headers=auth(token)))["signature"] == {}


def test_the_preview_is_the_sign_off_a_reply_would_carry(
    desk: Desk, client: Client, token: str, footers: Path
) -> None:
    # When Sam previews an unsaved German signature for a German billing ticket
    answer = client.http.post(
        "/me/signature/preview",
        headers=auth(token),
        body=json.dumps(
            {"signature": {"de": "Sam Lee\n_Kundenservice_"}, "language": "de", "queue": "billing-de"}
        ),
    )

    # Then it is the sign-off as the text part reads it, with the queue's footer apart
    assert answer.status_code == 200, body_of(answer)
    assert body_of(answer) == {
        "language": "de",
        "queue": "billing-de",
        "sign_off": "Viele Grüße\nSam Lee\nKundenservice\nExample Support",
        "footer": "Example Payments GmbH · Beispielstraße 1 · 10115 Berlin · HRB 67890 B · "
        "Impressum <https://example.com/impressum>",
    }
    # And nothing was saved
    assert body_of(client.http.get("/me", headers=auth(token)))["signature"] == {}
    # And without a body it is the saved signature (none: the name) in the desk's language
    plain = body_of(client.http.post("/me/signature/preview", headers=auth(token), body="{}"))
    assert plain["sign_off"] == "Best regards,\nSam Lee\nExample Support" and plain["queue"] == "support"
    for bad in ({"language": "xx"}, {"language": None}, {"queue": "nowhere"}, {"signature": {"de": ""}}):
        refused = client.http.post("/me/signature/preview", headers=auth(token), body=json.dumps(bad))
        assert refused.status_code == 400, bad


def test_the_queues_carry_their_footers_by_language(client: Client, token: str, footers: Path) -> None:
    queues = {
        queue["name"]: queue for queue in body_of(client.http.get("/queues", headers=auth(token)))["queues"]
    }

    brand = "Example Ltd · 1 Example Street · London"
    assert queues["support"]["footer"] == {language: brand for language in ("de", "en", "es", "fr", "pt")}
    assert queues["billing-de"]["footer"]["de"].startswith("Example Payments GmbH")
    assert queues["billing-de"]["footer"]["en"] == brand


def test_a_signature_needs_a_token_and_a_revoked_agent_cannot_set_one(
    desk: Desk, client: Client, token: str
) -> None:
    assert client.http.put("/me/signature", body=json.dumps({"signature": {}})).status_code == 401
    AgentStore(desk.settings.tables.agents, desk.settings.region).revoke("sam@example.com")
    assert _put_signature(client, token, {"default": "Sam"}).status_code == 401
