"""The help center in a real browser, over the shipped articles imported as the seed: a reader finds
an article from the home page, by its topic and by the search, in another language, votes with
JavaScript turned off, and meets a 404 page in words. Every page runs no script, breaks its own
policy nowhere, sets no cookie, does not scroll sideways on a phone and passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from postdesk import runtime
from postdesk.workflows.knowledge import create_article, import_seed, publish
from postdesk_tools.local_server import RunningDesk
from tests.e2e.accessibility import report, violations
from tests.e2e.conftest import PIXEL_PNG

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots" / "help-center"
WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
OWNER = ("kim@example.com", "Kim Ode")


@pytest.fixture(scope="module")
def helped(desk: RunningDesk) -> RunningDesk:
    """The desk with the shipped articles published, and one more with an image and a table."""
    desk.add_agent(*OWNER)
    settings, ports = runtime.runtime()
    import_seed(settings, ports, root=None, owner=OWNER[0])
    image = ports.knowledge.put_image(PIXEL_PNG, "image/png")
    created = create_article(
        settings,
        ports,
        slug="shipping-costs",
        category="orders",
        language="en",
        title="What shipping costs",
        tags=["shipping", "postage"],
        body=(
            "Shipping is free from 50 €.\n\n## Prices\n\n| Destination | Price |\n|:--|--:|\n"
            f"| Germany | 4.90 € |\n| Europe | 9.90 € |\n\n## The parcel label\n\n"
            f"![A parcel label with the tracking number]({settings.survey.public_url}/help/images/{image})"
        ),
        actor=OWNER[0],
    )
    publish(settings, ports, slug=created.slug, language="en", version=1, actor=OWNER[0])
    runtime.api_context().ports.catalogue.invalidate()
    return desk


@pytest.fixture
def reader(browser: Browser, request: pytest.FixtureRequest) -> Iterator[tuple[str, Page, list[str]]]:
    """A fresh tab at a desktop's or a phone's size (the parameter ``width``), and the problems the
    browser reports in it: console errors (a policy violation is one) and page errors."""
    width = getattr(request, "param", "desktop")
    context = browser.new_context(viewport=WIDTHS[width])
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield width, page, problems
    assert context.cookies() == [], "the help center set a cookie"
    context.close()


def _checked(page: Page, name: str, width: str, problems: list[str], expected_errors: int = 0) -> None:
    """The page as it is now: no script, nothing refused by its policy, no sideways scrolling, axe
    clean; and a screenshot to look at."""
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    assert page.evaluate("() => document.scripts.length") == 0
    # A 404 answer is one console error of Chromium's own ("Failed to load resource").
    assert len(problems) == expected_errors, problems
    assert all("404" in problem for problem in problems), problems
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{name} scrolls sideways at {width} width ({scroll} > {client} px)"
    found = violations(page)
    assert not found, f"{name} at {width} width:\n{report(found)}"


@pytest.mark.parametrize("reader", list(WIDTHS), indirect=True)
def test_a_reader_finds_an_article_by_topic_and_reads_it(
    helped: RunningDesk, reader: tuple[str, Page, list[str]]
) -> None:
    width, page, problems = reader
    page.goto(f"{helped.api_url}/help", wait_until="load")

    # The browser's language (English) chose the home page.
    assert page.url == f"{helped.api_url}/help/en/"
    expect(page.get_by_role("heading", name="How can we help?", level=1)).to_be_visible()
    expect(page.get_by_role("search").get_by_label("Search the help center")).to_be_visible()
    _checked(page, "home", width, problems)

    page.get_by_role("link", name="Your account", exact=True).click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    _checked(page, "category", width, problems)

    page.get_by_role("link", name="Reset your password and get back into your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Reset your password and get back into your account"
    )
    outline = page.get_by_role("navigation", name="On this page")
    outline.get_by_role("link", name="Your account is locked").click()
    assert page.url.endswith("#your-account-is-locked")
    write = page.get_by_role("link", name="Write to us")
    assert write.get_attribute("href") == (
        f"mailto:{helped.settings.support_address}"
        "?subject=Reset%20your%20password%20and%20get%20back%20into%20your%20account"
    )
    _checked(page, "article", width, problems)

    # The same article in German, from the language links.
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Passwort")
    expect(page.get_by_role("heading", name="War dieser Artikel hilfreich?")).to_be_visible()
    _checked(page, "article-german", width, problems)


@pytest.mark.parametrize("reader", list(WIDTHS), indirect=True)
def test_a_reader_searches_and_sees_an_article_with_an_image_and_a_table(
    helped: RunningDesk, reader: tuple[str, Page, list[str]]
) -> None:
    width, page, problems = reader
    page.goto(f"{helped.api_url}/help/en/")
    search = page.get_by_role("searchbox", name="Search the help center")
    search.fill("shipping")
    search.press("Enter")

    expect(page.get_by_role("heading", name="Results for “shipping”", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("found")
    _checked(page, "search", width, problems)

    page.get_by_role("link", name="What shipping costs").click()
    image = page.get_by_role("img", name="A parcel label with the tracking number")
    expect(image).to_be_visible()
    # The picture came from the desk itself, under the page's policy.
    assert image.evaluate("(element) => element.complete && element.naturalWidth") == 1
    expect(page.get_by_role("cell", name="9.90 €")).to_have_class("align-right")
    _checked(page, "article-with-image", width, problems)

    page.get_by_role("searchbox", name="Search the help center").fill("zebra crossing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No article matches “zebra crossing”.")).to_be_visible()
    _checked(page, "search-nothing", width, problems)


@pytest.mark.parametrize("reader", list(WIDTHS), indirect=True)
def test_a_page_that_is_not_there_says_so_and_leads_home(
    helped: RunningDesk, reader: tuple[str, Page, list[str]]
) -> None:
    width, page, problems = reader
    answer = page.goto(f"{helped.api_url}/help/fr/articles/no-such-article")

    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Page introuvable", level=1)).to_be_visible()
    expect(page.get_by_text("Cet article n’existe pas ou n’est plus publié.")).to_be_visible()
    _checked(page, "missing", width, problems, expected_errors=1)
    page.get_by_role("link", name="Aller à l’accueil du centre d’aide").click()
    expect(page.get_by_role("heading", name=re.compile("Comment pouvons-nous vous aider"))).to_be_visible()


def test_a_reader_without_javascript_votes_and_is_thanked(helped: RunningDesk, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=WIDTHS["phone"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    article = f"{helped.api_url}/help/es/articles/payment-failed"
    page.goto(article)
    vote = page.get_by_role("group", name="¿Le ha resultado útil este artículo?")

    vote.get_by_role("button", name="No").click()

    assert page.url == f"{article}?voted=no#vote-heading"
    expect(page.get_by_text("Gracias por decírnoslo.")).to_be_visible()
    # on a phone the vote is far below the top: the reader lands on the thanks, not at the top
    expect(page.get_by_text("Gracias por decírnoslo.")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Sí")).to_have_count(0)
    assert context.cookies() == []
    context.close()


@pytest.mark.parametrize("reader", list(WIDTHS), indirect=True)
def test_the_thanks_after_a_vote_pass_the_same_checks(
    helped: RunningDesk, reader: tuple[str, Page, list[str]]
) -> None:
    width, page, problems = reader
    page.goto(f"{helped.api_url}/help/pt/articles/delivery-and-returns?voted=yes")

    expect(page.get_by_role("heading", name="Obrigado! Que bom que ajudou.")).to_be_visible()
    _checked(page, "voted", width, problems)
