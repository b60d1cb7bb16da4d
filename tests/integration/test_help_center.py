"""The public help center through the Chalice app, over the shipped articles imported as the seed:
pages anyone may cache (ETag, 304), never a cookie, 404 pages in words, the search, the votes and
their limit per source address, and the figures an article's readers leave."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from chalice.local import LambdaEventConverter
from chalice.test import Client

from postdesk import runtime
from postdesk.api.help_center import VOTES_PER_DAY, content_security_policy
from postdesk.aws.clients import client as aws_client
from postdesk.knowledge.figures import KnowledgeFigures
from postdesk.sla.policy import load_policy
from postdesk.workflows.knowledge import create_article, import_seed, publish
from tests.integration.conftest import Desk

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ARTICLE = "/help/en/articles/account-recovery"


@pytest.fixture
def seeded(desk: Desk, token: str) -> Desk:
    """The desk with the shipped articles published, owned by Sam (an agent); before the app's first
    request, so that its catalogue reads them at once."""
    import_seed(desk.settings, desk.ports, root=None, owner="sam@example.com")
    return desk


def _html(response: Any) -> str:
    body = response.body
    return body.decode() if isinstance(body, bytes) else str(body)


def _figures(desk: Desk) -> dict[str, dict[str, int]]:
    """Every article's help-center figures of today and yesterday (the desk's days)."""
    zone = load_policy(desk.settings.sla_policy_path).calendar.timezone
    figures = KnowledgeFigures(desk.settings.tables.stats, desk.settings.region, zone)
    today = datetime.now(UTC).date() + timedelta(days=1)
    return figures.recent(today, days=3)


@pytest.fixture
def source_ip() -> Iterator[type[LambdaEventConverter]]:
    """Chalice's local gateway tells every request it comes from 127.0.0.1: a test may say otherwise."""
    converter = LambdaEventConverter
    original = converter.LOCAL_SOURCE_IP
    yield converter
    converter.LOCAL_SOURCE_IP = original


# -- the pages -------------------------------------------------------------------------------------


def test_the_home_page_lists_the_published_articles_by_topic_for_anyone(seeded: Desk, client: Client) -> None:
    answer = client.http.get("/help/en/")

    assert answer.status_code == 200
    page = _html(answer)
    assert '<html lang="en">' in page
    for title in ("Reset your password and get back into your account", "Your account"):
        assert title in page
    assert 'href="/help/en/articles/account-recovery"' in page
    assert 'href="/help/en/categories/account"' in page
    # The same page in the other languages, for readers (by the path it was asked under) and for
    # search engines (by the desk's public address).
    for language in ("de", "es", "fr", "pt"):
        alternate = f"https://desk.example.com/help/{language}/"
        assert f'<link rel="alternate" hreflang="{language}" href="{alternate}">' in page
        assert f'<a href="/help/{language}/" lang="{language}" hreflang="{language}">' in page
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert answer.headers["Content-Security-Policy"] == content_security_policy()
    assert "script-src" not in content_security_policy() and "default-src 'none'" in content_security_policy()
    assert "<script" not in page
    assert "Set-Cookie" not in answer.headers


def test_every_page_is_in_its_language_with_the_way_back(seeded: Desk, client: Client) -> None:
    german = _html(client.http.get("/help/de/articles/account-recovery"))
    spanish = _html(client.http.get("/help/es/categories/account"))

    assert '<html lang="de">' in german and "Passwort zurücksetzen" in german
    assert "War dieser Artikel hilfreich?" in german
    assert 'href="/help/de/categories/account">Ihr Konto</a>' in german
    assert '<html lang="es">' in spanish and "Su cuenta" in spanish


def test_the_help_root_sends_a_browser_to_its_language(seeded: Desk, client: Client) -> None:
    french = client.http.get("/help", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"})
    unknown = client.http.get("/help", headers={"Accept-Language": "ja"})

    assert french.status_code == 302 and french.headers["Location"] == "/help/fr/"
    assert french.headers["Vary"] == "Accept-Language"
    assert unknown.headers["Location"] == "/help/en/"


def test_a_page_the_reader_has_is_a_304_without_a_body(seeded: Desk, client: Client) -> None:
    first = client.http.get("/help/en/categories/billing")
    etag = first.headers["ETag"]

    again = client.http.get("/help/en/categories/billing", headers={"If-None-Match": etag})
    weakly = client.http.get("/help/en/categories/billing", headers={"If-None-Match": f'"other", W/{etag}'})
    changed = client.http.get("/help/en/categories/billing", headers={"If-None-Match": '"something-else"'})

    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert (again.status_code, again.body) == (304, b"")
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=300"
    assert weakly.status_code == 304
    assert changed.status_code == 200 and changed.headers["ETag"] == etag


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/help/xx/", "The help center is not available in the language “xx”."),
        ("/help/en/categories/gardening", "There is no topic with this name."),
        ("/help/en/articles/no-such-article", "This article does not exist, or it is no longer published."),
        ("/help/de/articles/<b>", "Diesen Artikel gibt es nicht, oder er ist nicht mehr veröffentlicht."),
        ("/help/images/0123456789abcdef.png", "There is no page at this address."),
        ("/help/images/..%2Fpublished.json", "There is no page at this address."),
    ],
)
def test_what_is_not_there_is_a_404_page_in_words_with_a_link_home(
    seeded: Desk, client: Client, path: str, words: str
) -> None:
    answer = client.http.get(path)

    assert answer.status_code == 404
    page = _html(answer)
    assert words in page
    assert re.search(r'href="/help/(en|de)/"', page)
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<b>" not in page.split("<main", 1)[1]
    # Its language is the path's, else the browser's: then a cache must keep one per language.
    assert answer.headers.get("Vary") == (
        None if path.startswith(("/help/en/", "/help/de/")) else "Accept-Language"
    )


def test_an_article_of_another_language_names_where_it_can_be_read(seeded: Desk, client: Client) -> None:
    # One article published in English only.
    desk = seeded
    created = create_article(
        desk.settings,
        desk.ports,
        slug="gift-cards",
        category="billing",
        language="en",
        title="Gift cards",
        tags=["gift card"],
        body="Gift cards never expire.",
        actor="sam@example.com",
    )
    publish(desk.settings, desk.ports, slug=created.slug, language="en", version=1, actor="sam@example.com")
    # The app's container read the catalogue before (the fixture): it would ask again within 30 s.
    runtime.api_context().ports.catalogue.invalidate()

    answer = client.http.get("/help/de/articles/gift-cards")

    assert answer.status_code == 404
    page = _html(answer)
    assert "Diesen Artikel gibt es nicht auf Deutsch, aber Sie können ihn hier lesen:" in page
    assert 'href="/help/en/articles/gift-cards" lang="en" hreflang="en">English</a>' in page


def test_an_image_is_served_as_stored_and_cached_for_a_year(seeded: Desk, client: Client) -> None:
    webp = (
        b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    )
    name = seeded.ports.knowledge.put_image(webp, "image/webp")
    browser_accepts = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}

    answer = client.http.get(f"/help/images/{name}", headers=browser_accepts)

    assert answer.status_code == 200
    assert answer.body == webp
    assert answer.headers["Content-Type"] == "image/webp"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "set-cookie" not in {header.lower() for header in answer.headers}


def test_write_to_us_mails_the_support_address_with_the_title_as_subject(
    seeded: Desk, client: Client
) -> None:
    page = _html(client.http.get(ARTICLE))

    (link,) = re.findall(r'href="(mailto:[^"]+)"', page)
    address, _, query = link.removeprefix("mailto:").partition("?subject=")
    assert address == "support@example.com"
    assert unquote(query) == "Reset your password and get back into your account"


def test_the_search_finds_articles_in_the_pages_language(seeded: Desk, client: Client) -> None:
    english = _html(client.http.get("/help/en/search?q=forgot+passw"))
    german = _html(client.http.get("/help/de/search?q=Rechnung"))
    nothing = _html(client.http.get("/help/en/search?q=zebra+crossing"))
    empty = _html(client.http.get("/help/en/search"))
    hostile = _html(client.http.get("/help/en/search?q=%3Cscript%3Ealert(1)%3C/script%3E"))

    assert 'href="/help/en/articles/account-recovery"' in english
    assert "Results for “forgot passw”" in english
    assert 'href="/help/de/articles/billing-invoices-refunds"' in german
    assert "No article matches “zebra crossing”." in nothing
    assert "Type a word or two about your question." in empty
    assert "<script>" not in hostile and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile


def test_no_page_ever_sets_a_cookie(seeded: Desk, client: Client) -> None:
    answers = [
        client.http.get("/help"),
        client.http.get("/help/pt/"),
        client.http.get("/help/pt/categories/orders"),
        client.http.get("/help/pt/articles/delivery-and-returns?from=mail"),
        client.http.get("/help/pt/search?q=entrega"),
        client.http.get("/help/pt/articles/nothing-here"),
        client.http.post(f"{ARTICLE}/votes", headers=FORM, body="helpful=yes"),
        client.http.post(f"{ARTICLE}/votes", headers=FORM, body="helpful=maybe"),
    ]

    assert [answer.status_code for answer in answers] == [302, 200, 200, 200, 200, 404, 303, 400]
    assert all("set-cookie" not in {name.lower() for name in answer.headers} for answer in answers)


# -- votes and figures -----------------------------------------------------------------------------


def test_a_vote_is_a_303_back_to_the_article_which_thanks_in_place_of_the_form(
    seeded: Desk, client: Client
) -> None:
    voted = client.http.post(f"{ARTICLE}/votes", headers=FORM, body="helpful=no")

    assert voted.status_code == 303
    assert voted.headers["Location"] == f"{ARTICLE}?voted=no#vote-heading"
    assert voted.headers["Cache-Control"] == "no-store"
    thanked = _html(client.http.get(voted.headers["Location"]))
    assert "Thank you for telling us." in thanked
    assert 'name="helpful"' not in thanked
    assert _figures(seeded) == {"account-recovery": {"not_helpful": 1}}


def test_a_vote_without_an_answer_is_a_400_page_and_counts_nothing(seeded: Desk, client: Client) -> None:
    answer = client.http.post(f"{ARTICLE}/votes", headers=FORM, body="helpful=perhaps")
    empty = client.http.post(f"{ARTICLE}/votes", headers=FORM, body="")
    foreign = client.http.post(
        f"{ARTICLE}/votes", headers={**FORM, "Origin": "https://elsewhere.example"}, body="helpful=yes"
    )
    missing = client.http.post("/help/en/articles/nothing-here/votes", headers=FORM, body="helpful=yes")

    assert answer.status_code == 400 and empty.status_code == 400
    assert "Please choose “Yes” or “No”" in _html(answer)
    assert foreign.status_code == 403 and "another website" in _html(foreign)
    assert missing.status_code == 404
    assert "account-recovery" not in _figures(seeded)


def test_one_address_counts_three_votes_per_article_and_day_and_is_never_stored(
    seeded: Desk, client: Client, source_ip: type[LambdaEventConverter]
) -> None:
    source_ip.LOCAL_SOURCE_IP = "198.51.100.7"
    answers = [client.http.post(f"{ARTICLE}/votes", headers=FORM, body="helpful=yes") for _ in range(5)]
    other_article = client.http.post(
        "/help/en/articles/payment-failed/votes", headers=FORM, body="helpful=yes"
    )
    source_ip.LOCAL_SOURCE_IP = "203.0.113.20"
    neighbour = client.http.post(f"{ARTICLE}/votes", headers=FORM, body="helpful=no")

    # Every vote is thanked alike: a flood learns nothing from the answers.
    assert {answer.status_code for answer in [*answers, other_article, neighbour]} == {303}
    figures = _figures(seeded)
    assert figures["account-recovery"] == {"helpful": VOTES_PER_DAY, "not_helpful": 1}
    assert figures["payment-failed"] == {"helpful": 1}
    # The counters name the addresses by a keyed hash only, and go after two days.
    dynamodb = aws_client("dynamodb", seeded.settings.region)
    items = dynamodb.scan(TableName=seeded.settings.tables.counters)["Items"]
    votes = [item for item in items if item["key"]["S"].startswith("help-vote#")]
    assert len(votes) == 3
    assert not [item for item in items if "198.51.100.7" in str(item) or "203.0.113.20" in str(item)]
    now = datetime.now(UTC).timestamp()
    for item in votes:
        assert now + 2 * 86400 - 60 < int(item["expires_at"]["N"]) <= now + 2 * 86400 + 60
    assert sorted(int(item["hits"]["N"]) for item in votes) == [1, 1, VOTES_PER_DAY]


def test_an_article_served_counts_as_opened_and_from_mail_when_the_link_says_so(
    seeded: Desk, client: Client
) -> None:
    client.http.get(ARTICLE)
    client.http.get(f"{ARTICLE}?from=mail")
    client.http.get("/help/de/articles/account-recovery?from=mail")
    client.http.get(f"{ARTICLE}?voted=yes")  # the thanks after a vote: the same reader again
    client.http.get("/help/en/")  # lists, no article opened

    assert _figures(seeded) == {"account-recovery": {"opened": 3, "opened_from_mail": 2}}
