"""Saved replies on the saved-replies table (moto, provisioned from infra/template.json), their
routes called directly, and a reply whose body uses variables and Markdown going out as mail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from typing import Any

import pytest

from postdesk.agents.model import Role
from postdesk.agents.store import AgentStore
from postdesk.api.context import ApiContext
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.api.saved_replies import (
    create_saved_reply,
    delete_saved_reply,
    list_saved_replies,
    reply_body,
    update_saved_reply,
)
from postdesk.aws.s3 import S3BlobStore
from postdesk.errors import BadRequest, Forbidden, Unauthenticated
from postdesk.replies.saved import InvalidSavedReply, SavedReplyNotFound, SavedReplyStore
from postdesk.replies.variables import InvalidReplyTemplate
from postdesk.workflows.reply import AgentReply, EmptyReply, ReplyTooLarge, send_reply
from tests.integration.conftest import Desk
from tests.mails import build_mail

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
ADMIN = "ada@example.com"
GREETING = "Hi {{ customer.first_name }},\n\nthanks for writing to {{ support.name }}."


@pytest.fixture
def store(desk: Desk) -> SavedReplyStore:
    return SavedReplyStore(desk.settings.tables.saved_replies, desk.settings.region)


@pytest.fixture
def context(desk: Desk) -> ApiContext:
    return ApiContext(
        settings=desk.settings,
        ports=desk.ports,
        agents=AgentStore(desk.settings.tables.agents, desk.settings.region),
        blobs=S3BlobStore(desk.settings.mail_bucket, desk.settings.region),
    )


@pytest.fixture
def agent_token(context: ApiContext) -> str:
    return context.agents.add("sam@example.com", "Sam Lee", Role.AGENT, NOW)[1]


@pytest.fixture
def admin_token(context: ApiContext) -> str:
    return context.agents.add(ADMIN, "Ada Admin", Role.ADMIN, NOW)[1]


def _request(
    token: str, body: dict[str, Any] | None = None, reply_id: str | None = None, **query: str
) -> ApiRequest:
    return ApiRequest(
        method="GET" if body is None else "POST",
        path_params={"id": reply_id} if reply_id is not None else {},
        query=query,
        headers={"authorization": f"Bearer {token}"},
        body=json.dumps(body).encode() if body is not None else None,
    )


def _saved_replies(answer: ApiResponse) -> list[tuple[str, str]]:
    return [(reply["title"], reply["language"]) for reply in answer.body["saved_replies"]]


# The store


def test_a_created_saved_reply_reads_back_and_lists_by_title(store: SavedReplyStore) -> None:
    # Given two saved replies created out of title order
    refund = store.create("Refund issued", "Your refund is on its way.", "", ADMIN, NOW)
    greeting = store.create("  Greeting ", GREETING, "EN", ADMIN, NOW)

    # Then each reads back as it was stored, the title trimmed and the language in lower case
    assert store.get(greeting.id) == greeting
    assert (greeting.title, greeting.body, greeting.language) == ("Greeting", GREETING, "en")
    assert (greeting.created_at, greeting.updated_at, greeting.updated_by) == (NOW, NOW, ADMIN)
    # And ids are short, URL-safe and distinct
    assert greeting.id != refund.id
    assert all(
        len(reply.id) == 12 and reply.id.replace("-", "").replace("_", "").isalnum()
        for reply in (greeting, refund)
    )
    # And the list is sorted by title
    assert [reply.title for reply in store.list()] == ["Greeting", "Refund issued"]


def test_a_language_lists_its_own_replies_and_those_for_any_language(store: SavedReplyStore) -> None:
    store.create("Danke", "Vielen Dank!", "de", ADMIN, NOW)
    store.create("Thanks", "Thank you!", "en", ADMIN, NOW)
    store.create("Ref", "{{ ticket.ref }}", "", ADMIN, NOW)

    assert [reply.title for reply in store.list("de")] == ["Danke", "Ref"]
    assert [reply.title for reply in store.list()] == ["Danke", "Ref", "Thanks"]


def test_an_update_replaces_the_content_and_keeps_the_creation_time(store: SavedReplyStore) -> None:
    created = store.create("Greeting", GREETING, "en", ADMIN, NOW)

    updated = store.update(
        created.id, "Welcome", "Welcome, {{ customer.name }}!", "", "bo@example.com", LATER
    )

    assert updated == store.get(created.id)
    assert (updated.title, updated.body, updated.language) == ("Welcome", "Welcome, {{ customer.name }}!", "")
    assert (updated.created_at, updated.updated_at, updated.updated_by) == (NOW, LATER, "bo@example.com")


def test_unknown_ids_are_not_found(store: SavedReplyStore) -> None:
    created = store.create("Greeting", GREETING, "en", ADMIN, NOW)
    store.delete(created.id)

    for attempt in (
        lambda: store.get(created.id),
        lambda: store.update(created.id, "Greeting", GREETING, "en", ADMIN, LATER),
        lambda: store.delete(created.id),
        lambda: store.get(""),
        lambda: store.get("../../etc"),
    ):
        with pytest.raises(SavedReplyNotFound):
            attempt()
    # And an update of a deleted reply did not bring it back
    assert store.list() == []


@pytest.mark.parametrize(
    ("title", "body", "language", "message"),
    [
        ("", "Body", "", "a saved reply needs a title"),
        ("   ", "Body", "", "a saved reply needs a title"),
        ("Two\nlines", "Body", "", "the title must be one line"),
        ("Carriage\rreturn", "Body", "", "the title must be one line"),
        ("x" * 121, "Body", "", "the title is over 120 characters"),
        ("Title", " \n ", "", "a saved reply needs a body"),
        ("Title", "x" * 20_001, "", "the body is over 20,000 characters"),
        ("Title", "Body", "eng", "the language must be a two-letter code"),
        ("Title", "Body", "e1", "the language must be a two-letter code"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(
    store: SavedReplyStore, title: str, body: str, language: str, message: str
) -> None:
    with pytest.raises(InvalidSavedReply, match=f"^{message}"):
        store.create(title, body, language, ADMIN, NOW)
    assert store.list() == []


def test_the_longest_title_and_body_are_accepted(store: SavedReplyStore) -> None:
    created = store.create("x" * 120, "y" * 20_000, "", ADMIN, NOW)
    assert (len(created.title), len(created.body)) == (120, 20_000)


def test_a_body_with_an_unknown_variable_is_refused_before_it_is_stored(store: SavedReplyStore) -> None:
    created = store.create("Greeting", GREETING, "en", ADMIN, NOW)
    with pytest.raises(InvalidReplyTemplate, match=r"^line 3: unknown variable customer\.nickname"):
        store.create("Broken", "Hi,\n\n{{ customer.nickname }}", "en", ADMIN, NOW)
    with pytest.raises(InvalidReplyTemplate, match=r"^line 1: .*end of print statement"):
        store.update(created.id, "Greeting", "Hi {{ customer.name", "en", ADMIN, LATER)
    assert store.list() == [created]


# The routes


def test_an_agent_may_list_but_not_write(
    context: ApiContext, store: SavedReplyStore, agent_token: str
) -> None:
    # Given a saved reply
    created = store.create("Greeting", GREETING, "en", ADMIN, NOW)

    # When an agent lists the saved replies, it sees them in the contract's shape
    answer = list_saved_replies(_request(agent_token), context)
    assert answer.status == 200
    assert answer.body == {
        "saved_replies": [
            {
                "id": created.id,
                "title": "Greeting",
                "body": GREETING,
                "language": "en",
                "articles": [],
                "created_at": "2026-11-24T09:00:00.000Z",
                "updated_at": "2026-11-24T09:00:00.000Z",
                "updated_by": ADMIN,
            }
        ]
    }

    # But it may not create, change or delete one
    document = {"title": "Mine", "body": "Text"}
    writes: tuple[Callable[[], ApiResponse], ...] = (
        lambda: create_saved_reply(_request(agent_token, document), context),
        lambda: update_saved_reply(_request(agent_token, document, reply_id=created.id), context),
        lambda: delete_saved_reply(_request(agent_token, {}, reply_id=created.id), context),
    )
    for write in writes:
        with pytest.raises(Forbidden):
            write()
    assert store.list() == [created]


def test_without_a_token_nothing_is_listed(context: ApiContext) -> None:
    with pytest.raises(Unauthenticated):
        list_saved_replies(_request("pdk_nonsense"), context)


def test_an_admin_creates_updates_and_deletes(
    desk: Desk, context: ApiContext, store: SavedReplyStore, admin_token: str
) -> None:
    # When an admin creates a saved reply
    created = create_saved_reply(_request(admin_token, {"title": "Greeting", "body": GREETING}), context)

    # Then it is stored by the admin at the desk's time, for any language
    assert created.status == 201
    shown = created.body["saved_reply"]
    assert (shown["title"], shown["language"], shown["updated_by"]) == ("Greeting", "", ADMIN)
    assert shown["created_at"] == "2026-11-24T09:31:02.000Z"
    reply_id = shown["id"]

    # When the admin changes it
    changed = update_saved_reply(
        _request(admin_token, {"title": "Hello", "body": "Hello!", "language": "de"}, reply_id=reply_id),
        context,
    )

    # Then the new values are returned and stored
    assert changed.status == 200
    assert (changed.body["saved_reply"]["title"], changed.body["saved_reply"]["language"]) == ("Hello", "de")
    assert _saved_replies(list_saved_replies(_request(admin_token, language="de"), context)) == [
        ("Hello", "de")
    ]
    assert _saved_replies(list_saved_replies(_request(admin_token, language="fr"), context)) == []

    # When the admin deletes it, the answer is empty and it is gone
    deleted = delete_saved_reply(_request(admin_token, reply_id=reply_id), context)
    assert (deleted.status, deleted.body) == (204, "")
    assert store.list() == []
    with pytest.raises(SavedReplyNotFound):
        delete_saved_reply(_request(admin_token, reply_id=reply_id), context)


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        ({"title": "T"}, BadRequest, "missing field(s): body"),
        ({"title": "T", "body": "B", "tags": []}, BadRequest, "unknown field(s): tags"),
        ({"title": 1, "body": "B"}, BadRequest, "title must be a string"),
        ({"title": "T", "body": "B", "language": 5}, BadRequest, "language must be a string"),
        ({"title": "", "body": "B"}, InvalidSavedReply, "a saved reply needs a title"),
        (
            {"title": "T", "body": "{{ ticket.owner }}"},
            InvalidReplyTemplate,
            "line 1: unknown variable ticket.owner",
        ),
    ],
)
def test_bad_documents_are_refused(
    context: ApiContext,
    store: SavedReplyStore,
    admin_token: str,
    document: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error) as raised:
        create_saved_reply(_request(admin_token, document), context)
    assert str(raised.value).startswith(message)
    assert store.list() == []


def test_updating_an_unknown_id_is_not_found(context: ApiContext, admin_token: str) -> None:
    with pytest.raises(SavedReplyNotFound, match="no saved reply has the id 'AAAAAAAAAAAA'"):
        update_saved_reply(
            _request(admin_token, {"title": "T", "body": "B"}, reply_id="AAAAAAAAAAAA"), context
        )


def test_the_reply_body_comes_from_the_request_or_the_saved_reply(store: SavedReplyStore) -> None:
    saved = store.create("Greeting", GREETING, "en", ADMIN, NOW)

    assert reply_body("Typed text", saved.id, store) == "Typed text"
    assert reply_body(None, saved.id, store) == GREETING
    with pytest.raises(SavedReplyNotFound):
        reply_body(None, "AAAAAAAAAAAA", store)
    with pytest.raises(BadRequest, match="a reply needs a body or a saved_reply_id"):
        reply_body(None, None, store)


# Sending a reply with variables and Markdown


def _part(message: Message, subtype: str) -> str:
    """One part of a sent mail, with the line ends the agent typed (mail travels with CRLF)."""
    assert isinstance(message, EmailMessage)
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _text_part(message: Message) -> str:
    return _part(message, "plain")


def _html_part(message: Message) -> str:
    return _part(message, "html")


def _agent_reply(ref: str, body: str, **options: Any) -> AgentReply:
    return AgentReply(
        ref=ref, agent_email="sam@example.com", agent_name="Sam Lee", body=body, request_id="req-1", **options
    )


def test_a_reply_from_a_saved_reply_has_its_variables_replaced_and_its_markdown_rendered(
    desk: Desk, store: SavedReplyStore
) -> None:
    # Given a ticket from Jane Doe and a saved reply with variables and Markdown
    ref = desk.deliver(build_mail()).ref
    saved = store.create(
        "Shipping",
        "Hi {{ customer.first_name }},\n\n"
        "your order is **on its way**: [track it](https://track.example/{{ ticket.ref }}).\n"
        "{{ agent.first_name }}",
        "",
        ADMIN,
        NOW,
    )

    # When an agent sends it
    sent = send_reply(
        _agent_reply(ref, reply_body(None, saved.id, store), saved_reply_id=saved.id),
        desk.settings,
        desk.ports,
    )

    # Then the mail is multipart: the text reads as plain mail (no Markdown marks, the link's address
    # after its words), with the variables replaced
    message = desk.sent()[-1].message
    assert message.get_content_type() == "multipart/alternative"
    text = _text_part(message)
    expected_text = f"Hi Jane,\n\nyour order is **on its way**: [track it](https://track.example/{ref}).\nSam"
    plain = f"Hi Jane,\n\nyour order is on its way: track it <https://track.example/{ref}>.\nSam"
    # (the saved reply signs with the agent's first name, so the desk adds no second sign-off)
    assert text.startswith(plain + "\n\n--\n")
    # And the HTML part has the Markdown rendered
    html = _html_part(message)
    assert "<p>Hi Jane,</p>" in html
    assert (
        "your order is <strong>on its way</strong>: "
        f'<a href="https://track.example/{ref}">track it</a>.<br>\nSam</p>' in html
    )
    assert "Sam Lee" not in html and "Best regards" not in html
    # And the thread keeps the text as the agent wrote it, and the event which saved reply it came from
    assert sent.text == expected_text
    (event,) = [e for e in desk.store.events(ref) if e.kind == "agent_replied"]
    assert event.detail["saved_reply_id"] == saved.id


def test_a_customer_name_and_subject_are_never_read_as_markdown_or_html(desk: Desk) -> None:
    # Given a ticket whose requester name and subject look like Markdown and HTML
    ref = desk.deliver(
        build_mail(
            sender='"[Prize](https://evil.example)" <jane.doe@customer.example>',
            subject="<b>Urgent</b> *now*",
        )
    ).ref

    # When an agent greets the customer by name and quotes the subject
    send_reply(
        _agent_reply(ref, "Dear {{ customer.name }},\n\nabout {{ ticket.subject }}:"),
        desk.settings,
        desk.ports,
    )

    # Then the HTML shows them as written, and the text part has them unescaped
    message = desk.sent()[-1].message
    html = _html_part(message)
    assert "<p>Dear [Prize](https://evil.example),</p>" in html
    assert "<p>about &lt;b&gt;Urgent&lt;/b&gt; *now*:</p>" in html
    assert 'href="https://evil.example"' not in html
    text = _text_part(message)
    assert text.startswith("Dear [Prize](https://evil.example),\n\nabout <b>Urgent</b> *now*:")


def test_a_broken_body_is_refused_before_anything_is_sent_and_can_be_fixed(desk: Desk) -> None:
    # Given a reply whose body has an unknown variable
    ref = desk.deliver(build_mail()).ref
    with pytest.raises(InvalidReplyTemplate, match=r"^line 2: unknown variable customer\.phone"):
        send_reply(_agent_reply(ref, "Hi,\n{{ customer.phone }}"), desk.settings, desk.ports)
    assert len(desk.sent()) == 1

    # When the agent fixes it and sends it under the same request id
    send_reply(_agent_reply(ref, "Hi {{ customer.name }},"), desk.settings, desk.ports)

    # Then it goes out once
    assert len(desk.sent()) == 2
    assert _text_part(desk.sent()[-1].message).startswith("Hi Jane Doe,")


def test_lengths_are_checked_on_the_rendered_text(desk: Desk) -> None:
    # Given a ticket from a customer whose name gives no first name
    ref = desk.deliver(build_mail(sender="jane.doe@customer.example")).ref

    # Then a body of only that first name is empty once rendered
    with pytest.raises(EmptyReply):
        send_reply(_agent_reply(ref, "{{ customer.first_name }}\n"), desk.settings, desk.ports)
    # And a body under the limit that grows over it with its values is too large
    body = "{{ customer.email }}" * 4_900
    assert len(body) < 100_000
    with pytest.raises(ReplyTooLarge):
        send_reply(_agent_reply(ref, body), desk.settings, desk.ports)
    assert len(desk.sent()) == 1
