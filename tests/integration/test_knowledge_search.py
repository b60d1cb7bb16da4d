"""GET /kb: the reply box's article picker searches the published articles as the agent types
(mode=find, the default), or asks what an acknowledgement would suggest (mode=suggest)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from postdesk.workflows.knowledge import import_seed
from tests.integration.conftest import Desk, auth, body_of


def _search(client: Client, token: str, **query: str) -> tuple[int, Any]:
    answer = client.http.get(f"/kb?{urlencode(query)}", headers=auth(token))
    return answer.status_code, body_of(answer)


def _slugs(client: Client, token: str, **query: str) -> list[str]:
    status, body = _search(client, token, **query)
    assert status == 200, body
    return [article["id"] for article in body["articles"]]


def test_the_article_picker_finds_published_articles_as_the_agent_types(
    desk: Desk, client: Client, token: str
) -> None:
    # Given the shipped articles published
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")

    # When the agent types the beginning of a word, in German, without its accents
    status, body = _search(client, token, q="Ruckerst", language="de")

    # Then the refunds article comes first, with its help-center address, a snippet and its text
    assert status == 200
    first = body["articles"][0]
    assert first["id"] == "billing-invoices-refunds"
    assert first["language"] == "de"
    assert first["url"] == "https://desk.example.com/help/de/articles/billing-invoices-refunds"
    assert first["category"] == "billing"
    assert first["snippet"].startswith("Zu jeder Zahlung gibt es eine Rechnung.")
    # A snippet is the first paragraph holding a word (or the beginning of one) of the query
    (refunds,) = [
        a for a in _search(client, token, q="erstatt", language="de")[1]["articles"] if a["id"] == first["id"]
    ]
    assert "wir erstatten die doppelte Zahlung" in refunds["snippet"]
    assert first["body"] == desk.ports.catalogue.article("billing-invoices-refunds", "de").body
    # A snippet is plain text: the Markdown of a list of bold items shows as its words
    (failed,) = [
        a
        for a in _search(client, token, q="card", language="en")[1]["articles"]
        if a["id"] == "payment-failed"
    ]
    assert failed["snippet"].startswith("The card has expired or your bank has replaced it.")
    assert "**" not in failed["snippet"] and not failed["snippet"].startswith("-")

    # A word being typed is a beginning; a trailing space finishes it
    assert _slugs(client, token, q="passw", language="en")[:1] == ["account-recovery"]
    assert _slugs(client, token, q="passw ", language="en") == []
    # Find shows every article holding the word; suggest only what an acknowledgement would offer
    assert len(_slugs(client, token, q="browser", language="en", limit="10")) >= 1
    assert _slugs(client, token, q="browser", language="en", mode="suggest") == []
    assert _slugs(client, token, q="I forgot my password", language="en", mode="suggest") == [
        "account-recovery"
    ]
    # The limit holds, and a regional tag searches its language
    assert len(_slugs(client, token, q="account", language="en", limit="1")) == 1
    assert _slugs(client, token, q="senha", language="pt-BR")[:1] == ["account-recovery"]


def test_a_search_the_desk_cannot_answer_is_refused_in_words(desk: Desk, client: Client, token: str) -> None:
    # Nothing published yet: a desk language finds nothing, rather than refusing the question
    assert _slugs(client, token, q="password", language="en") == []
    for query, words in (
        ({"q": "  "}, "q must hold the words"),
        ({"q": "refund", "language": "it"}, "not one of the desk's"),
        ({"q": "refund", "mode": "fuzzy"}, "mode is find"),
        ({"q": "refund", "limit": "11"}, "limit must be"),
        ({"q": "refund", "sort": "title"}, "unknown parameter"),
    ):
        status, body = _search(client, token, **query)
        assert status == 400, (query, body)
        assert words in str(body["message"])


def test_every_wrong_parameter_of_a_search_is_named_at_once(desk: Desk, client: Client, token: str) -> None:
    status, body = _search(client, token, mode="bogus")

    assert status == 400
    assert "q must hold the words" in body["message"]
    assert "mode is find (every article holding a word of q) or suggest" in body["message"]
    assert "not 'bogus'" in body["message"]
