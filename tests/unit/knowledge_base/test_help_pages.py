"""The help center's pages made from plain published articles (no AWS): what a reader sees in each
language, and that nothing an article's author types becomes markup of the page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from postdesk.api import help_center
from postdesk.api.context import ApiContext
from postdesk.api.http import ApiRequest, ApiResponse
from postdesk.effects.guards import RateLimit
from postdesk.knowledge.links import help_home_url, help_image_url, help_url
from postdesk.knowledge.model import PublishedArticle
from postdesk.rendering import environment, templates_dir

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
HOSTILE_TITLE = '</title><script>alert("title")</script>'
HOSTILE_BODY = (
    "Hello <script>alert('body')</script>\n\n"
    "## <img src=x onerror=alert(1)>\n\n"
    '[click](javascript:alert(2)) [ok](https://example.com/"onclick="alert(3))\n\n'
    '<style>body{display:none}</style> <a href="https://evil.example">evil</a>'
)


def _article(slug: str, language: str, title: str, category: str, body: str) -> PublishedArticle:
    return PublishedArticle(slug, language, title, (), category, body, 1, AT, AT, "en")


ARTICLES = [
    _article(
        "account-recovery",
        "en",
        "Reset your password",
        "account",
        "Forgot it? Reset it yourself.\n\n## Reset your password\n\nSteps.\n\n## Locked out\n\nWait.",
    ),
    _article("account-recovery", "de", "Passwort zurücksetzen", "account", "Vergessen? Selbst zurücksetzen."),
    _article("payment-failed", "en", "Your payment failed", "billing", "Why a payment fails."),
    _article("hostile", "en", HOSTILE_TITLE, "general", HOSTILE_BODY),
]


class Catalogue:
    def articles(self, language: str | None = None) -> list[PublishedArticle]:
        return [article for article in ARTICLES if language in (None, article.language)]

    def article(self, slug: str, language: str) -> PublishedArticle | None:
        return next((a for a in ARTICLES if (a.slug, a.language) == (slug, language)), None)

    def languages_of(self, slug: str) -> list[str]:
        return sorted(article.language for article in ARTICLES if article.slug == slug)


@dataclass
class Counted:
    """The figures the pages count and the vote limits they ask for."""

    figures: list[tuple[str, str]] = field(default_factory=list)
    limits: list[RateLimit] = field(default_factory=list)

    def count_within(self, limit: RateLimit) -> bool:
        self.limits.append(limit)
        return True


def _context(counted: Counted, public_url: str = "https://desk.example.com") -> ApiContext:
    settings = SimpleNamespace(
        support_name="Example Support",
        support_address="help@example.com",
        survey=SimpleNamespace(public_url=public_url),
        default_language="en",
    )
    ports = SimpleNamespace(
        catalogue=Catalogue(), clock=lambda: AT, guards=counted, signing_key=lambda: b"desk key"
    )
    return cast(ApiContext, SimpleNamespace(settings=settings, ports=ports))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    recorder = Counted()
    monkeypatch.setattr(
        help_center, "_count", lambda _context, slug, what: recorder.figures.append((slug, what))
    )
    return recorder


def _get(
    route: Any, path: str, counted: Counted, query: dict[str, str] | None = None, **params: str
) -> ApiResponse:
    request = ApiRequest("GET", params, query or {}, {}, path=path)
    answer: ApiResponse = route(request, _context(counted))
    return answer


def test_a_hostile_article_cannot_put_markup_on_the_page(counted: Counted) -> None:
    answer = _get(help_center.help_article, "/help/en/articles/hostile", counted, lang="en", slug="hostile")

    page = str(answer.body)
    assert answer.status == 200
    assert "<script" not in page and "<img" not in page and '<a href="https://evil' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<title>") == 1 and page.count("<style>") == 1
    assert "&lt;/title&gt;&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in page
    assert "javascript:" not in page.split("<main", 1)[1].split("[click]")[0]
    assert 'onclick="' not in page
    assert 'href="https://evil.example"' not in page
    # The title goes into the mail's subject encoded, never as markup.
    assert "subject=%3C%2Ftitle%3E%3Cscript%3Ealert%28%22title%22%29%3C%2Fscript%3E" in page


def test_the_article_page_has_its_outline_languages_vote_and_the_way_to_write(counted: Counted) -> None:
    answer = _get(
        help_center.help_article,
        "/api/help/en/articles/account-recovery",
        counted,
        lang="en",
        slug="account-recovery",
    )

    page = str(answer.body)
    assert '<html lang="en">' in page
    assert '<a class="skip-link" href="#content">Skip to content</a>' in page
    assert '<main id="content" tabindex="-1">' in page
    assert '<li><a href="#reset-your-password">Reset your password</a></li>' in page
    # The links follow the path the page was asked under (an API Gateway stage here).
    assert '<form method="post" action="/api/help/en/articles/account-recovery/votes">' in page
    assert '<a href="/api/help/en/categories/account">Your account</a>' in page
    # Alternates only in the languages the article is published in, by the desk's public address.
    assert re.findall(r'<link rel="alternate" hreflang="(\w+)" href="([^"]+)">', page) == [
        ("de", "https://desk.example.com/help/de/articles/account-recovery"),
        ("en", "https://desk.example.com/help/en/articles/account-recovery"),
    ]
    assert '<link rel="canonical" href="https://desk.example.com/help/en/articles/account-recovery">' in page
    assert 'href="mailto:help@example.com?subject=Reset%20your%20password"' in page
    assert '<time datetime="2026-12-01">December 1, 2026</time>' in page
    assert counted.figures == [("account-recovery", "opened")]


def test_a_german_reader_gets_german_words_and_dates(counted: Counted) -> None:
    answer = _get(
        help_center.help_article,
        "/help/de/articles/account-recovery",
        counted,
        {"from": "mail"},
        lang="de",
        slug="account-recovery",
    )

    page = str(answer.body)
    assert '<html lang="de">' in page
    assert 'Aktualisiert am <time datetime="2026-12-01">1. Dezember 2026</time>' in page
    assert "War dieser Artikel hilfreich?" in page and "Schreiben Sie uns" in page
    assert counted.figures == [("account-recovery", "opened"), ("account-recovery", "opened_from_mail")]


def test_after_a_vote_the_thanks_take_the_forms_place_and_are_not_counted_as_opened(counted: Counted) -> None:
    yes = _get(
        help_center.help_article,
        "/help/en/articles/payment-failed",
        counted,
        {"voted": "yes"},
        lang="en",
        slug="payment-failed",
    )
    odd = _get(
        help_center.help_article,
        "/help/en/articles/payment-failed",
        counted,
        {"voted": "<b>"},
        lang="en",
        slug="payment-failed",
    )

    assert "Thank you! We are glad it helped." in str(yes.body) and "<form method" not in str(yes.body)
    assert '<form method="post"' in str(odd.body) and "<b>" not in str(odd.body)
    # The thanks are the same reader again; any other "voted" is an ordinary look at the article.
    assert counted.figures == [("payment-failed", "opened")]


def test_the_vote_counter_names_the_address_by_a_keyed_hash(counted: Counted) -> None:
    request = ApiRequest(
        "POST",
        {"lang": "en", "slug": "payment-failed"},
        {},
        {"content-type": "application/x-www-form-urlencoded"},
        b"helpful=yes",
        path="/help/en/articles/payment-failed/votes",
        source_ip="198.51.100.7",
    )

    answer = help_center.help_vote(request, _context(counted))

    assert (answer.status, answer.headers["Location"]) == (
        303,
        "/help/en/articles/payment-failed?voted=yes#vote-heading",
    )
    (limit,) = counted.limits
    assert re.fullmatch(r"help-vote#[a-z2-7]{26}#payment-failed#20261201", limit.window_key)
    assert "198.51.100.7" not in limit.window_key
    assert limit.limit == 3 and limit.expires_at == int(AT.timestamp()) + 2 * 24 * 3600
    assert counted.figures == [("payment-failed", "helpful")]


def test_the_category_page_lists_its_articles_with_their_first_words(counted: Counted) -> None:
    answer = _get(
        help_center.help_category, "/help/en/categories/account", counted, lang="en", category="account"
    )

    page = str(answer.body)
    assert "<h1>Your account</h1>" in page
    assert '<h2><a href="/help/en/articles/account-recovery">Reset your password</a></h2>' in page
    assert "<p>Forgot it? Reset it yourself.</p>" in page
    assert "Your payment failed" not in page
    assert "1 article" in page


def test_the_home_page_says_so_when_a_language_has_no_article_yet(counted: Counted) -> None:
    answer = _get(help_center.help_home, "/help/fr/", counted, lang="fr")

    page = str(answer.body)
    assert answer.status == 200
    assert "Il n’y a pas encore d’articles en français." in page
    assert '<a href="/help/de/" lang="de" hreflang="de">Deutsch</a>' in page


def test_every_language_of_the_help_center_says_every_sentence() -> None:
    english = environment().get_template(f"en/{help_center.WORDS}").module
    expected = {name for name in dir(english) if not name.startswith("_")}
    languages = sorted(path.parent.name for path in Path(templates_dir()).glob(f"*/{help_center.WORDS}"))

    assert languages == ["de", "en", "es", "fr", "pt"]
    assert list(help_center.help_languages()) == languages
    for language in languages:
        words = environment().get_template(f"{language}/{help_center.WORDS}").module
        assert {name for name in dir(words) if not name.startswith("_")} == expected, language
        assert sorted(words.categories) == sorted(help_center.CATEGORIES), language  # type: ignore[attr-defined]
        assert len(words.months) == 12, language  # type: ignore[attr-defined]
        assert words.updated.count("%s") == 1, language  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "base"),
    [("/help/en/", ""), ("/api/help/en/articles/x", "/api"), ("/helpdesk/help/en/search", "/helpdesk")],
)
def test_links_start_with_the_path_the_desk_is_served_under(counted: Counted, path: str, base: str) -> None:
    answer = _get(help_center.help_home, path, counted, lang="en")

    assert f'<a class="brand" href="{base}/help/en/">' in str(answer.body)
    assert f'action="{base}/help/en/search"' in str(answer.body)


def test_the_addresses_others_put_in_mail_are_the_pages_the_help_center_serves() -> None:
    assert help_url("https://desk.example.com/", "de", "payment-failed") == (
        "https://desk.example.com/help/de/articles/payment-failed"
    )
    assert help_home_url("https://desk.example.com", "pt") == "https://desk.example.com/help/pt/"
    assert help_image_url("", "0123456789abcdef.png") == "/help/images/0123456789abcdef.png"
    # A desk nobody can reach from outside links to no page.
    assert help_url("", "en", "payment-failed") == "" and help_home_url("", "en") == ""
