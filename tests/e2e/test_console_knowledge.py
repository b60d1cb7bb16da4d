"""The knowledge base in the console, in a real browser against the desk on a local moto server, with
the shipped articles imported as a new desk imports them (`postdesk kb import`): the list with each
language's state, flags and filters kept in the address; the editor's live preview, a draft saved,
its diff and its publication; a translation made outdated by the original, brought up to date from
what changed; a colleague's draft saved meanwhile ("Keep mine"); a new article translated from its
published original; the reply box's article search inserting a link; the report's article figures.
Screenshots at 1,366 and 390 px in .postdesk/screenshots/."""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from postdesk.agents.model import Role
from postdesk_tools.knowledge_cli import run_knowledge
from postdesk_tools.local_server import RunningDesk
from tests.e2e.conftest import PIXEL_PNG
from tests.e2e.desk_api import api_ok, sign_in
from tests.mails import build_mail

pytestmark = pytest.mark.e2e
# Publishing writes the article's records, its body and its search entries: a second or two here,
# more on a machine running the whole suite.
PUBLISHING_MS = 20_000

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".postdesk" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
OWNER = ("ana@example.com", "Ana Ruiz")
GERMAN_MAIL = (
    "Guten Tag,\n\nich habe mein Passwort vergessen und komme nicht mehr in mein Konto. "
    "Wie kann ich es zurücksetzen?\n\nViele Grüße\nJörg"
)


@pytest.fixture(scope="module")
def seeded(desk: RunningDesk) -> Iterator[dict[str, str]]:
    """The desk with its admin, who owns the shipped articles, imported as `postdesk kb import` does."""
    admin = desk.add_agent(*OWNER, Role.ADMIN)
    agent = desk.add_agent("sam@example.com", "Sam Lee")
    out = io.StringIO()
    assert (
        run_knowledge(["import", "--owner", OWNER[0]], desk.settings, out, lambda: datetime.now(UTC)) == 0
    ), out.getvalue()
    yield {"admin": admin, "agent": agent}


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _article(desk: RunningDesk, token: str, slug: str) -> dict[str, object]:
    article: dict[str, object] = api_ok(desk, token, "GET", f"/articles/{slug}")["article"]
    return article


def _row(page: Page, slug: str) -> Locator:
    return page.locator(f'#knowledge-list tr[data-slug="{slug}"]')


def test_an_agent_edits_publishes_and_brings_a_translation_up_to_date(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    page.set_viewport_size(DESKTOP)
    slug = "account-recovery"
    seed = _article(desk, seeded["agent"], slug)
    assert seed["original"] == "en"

    # Given the knowledge base, opened from the navigation
    sign_in(page, desk, seeded["agent"])
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Knowledge base").click()
    expect(page.get_by_role("heading", name="Knowledge base", level=1)).to_be_visible()
    expect(page).to_have_title("Knowledge base · Postdesk")
    # Then every shipped article is listed with the state of each desk language, in words
    rows = page.locator("#knowledge-list tbody tr")
    expect(rows).to_have_count(len(api_ok(desk, seeded["agent"], "GET", "/articles")["articles"]))
    german = _row(page, slug).get_by_role("link", name="German: Published, up to date")
    expect(german).to_be_visible()
    expect(
        _row(page, slug).get_by_role("link", name="English, the original: Published, up to date")
    ).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "knowledge-list-1366.png"), full_page=True)

    # When the list is narrowed to a category, the address keeps it across a reload
    filters = page.get_by_role("search", name="Filter the articles")
    filters.get_by_label("Category").select_option("account")
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge?category=account")
    page.reload()
    expect(filters.get_by_label("Category")).to_have_value("account")
    expect(rows.first).to_be_visible()
    categories = {
        article["category"]
        for article in api_ok(desk, seeded["agent"], "GET", "/articles?category=account")["articles"]
    }
    assert categories == {"account"}
    expect(rows).to_have_count(
        len(api_ok(desk, seeded["agent"], "GET", "/articles?category=account")["articles"])
    )

    # When Sam opens the English original and changes its text
    _row(page, slug).get_by_role("link", name="English, the original: Published, up to date").click()
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge/{slug}/en")
    editor = page.locator("#knowledge-form")
    body = editor.get_by_label("Text", exact=True)
    expect(body).not_to_have_value("")
    body.press("End")
    body.press("Control+End")
    body.type("\n\n## If the mail does not come\n\nLook in your **spam folder** first.")
    # Then the preview shows it as the help center will, while it is not saved
    frame = page.frame_locator("#knowledge-preview iframe")
    expect(frame.locator("h2", has_text="If the mail does not come")).to_be_visible()
    expect(frame.locator("strong", has_text="spam folder")).to_be_visible()
    expect(page.locator("#knowledge-unsaved")).to_have_text("Not saved yet.")

    # When the draft is saved with a note
    editor.get_by_label("What changed (optional)").fill("Spam folder")
    editor.get_by_role("button", name="Save draft").click()
    expect(page.locator("#knowledge-status-line")).to_have_text(
        "Saved draft version 2. It is not published yet."
    )
    expect(page.locator("#knowledge-publish-state")).to_contain_text(
        "Version 1 is published; the draft (version 2)"
    )
    # Then the versions list it, and its changes show as a diff
    versions = page.locator("#knowledge-version-list tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("Spam folder")
    page.get_by_role("button", name="Changes in version 2").click()
    diff = page.locator("#knowledge-diff .diff")
    expect(diff.locator("ins", has_text="Look in your **spam folder** first.")).to_be_visible()

    # When it is published
    page.locator("#knowledge-publish").click()
    expect(page.locator("#knowledge-status-line")).to_contain_text(
        "Published version 2 in English", timeout=PUBLISHING_MS
    )
    expect(page.locator("#knowledge-publish-state")).to_contain_text("Published: version 2")
    help_link = page.get_by_role("link", name="View on the help center (opens in a new tab)")
    expect(help_link).to_have_attribute("href", f"{desk.api_url}/help/en/articles/{slug}")
    # Then the translations are older than the original, said in the panel and flagged in the list
    panel = page.locator("#knowledge-translation-list")
    expect(panel.locator("li", has_text="German")).to_contain_text("Outdated")
    # And the preview shows the published text again once the editor is read anew
    expect(frame.locator("h2", has_text="If the mail does not come")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / "knowledge-editor-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "knowledge-editor-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # When Sam updates the German translation from the panel
    panel.get_by_role("link", name="Update the German translation").click()
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge/{slug}/de")
    outdated = page.locator("#knowledge-outdated")
    expect(outdated).to_contain_text("made from version 1 of the English original; version 2 is published")
    # Then what changed in the original shows, to translate it
    outdated.get_by_role("button", name="Show what changed in the original").click()
    expect(outdated.locator("ins", has_text="spam folder")).to_be_visible()
    german_body = page.locator("#knowledge-body")
    german_body.press("Control+End")
    german_body.type("\n\n## Wenn keine Mail kommt\n\nSehen Sie zuerst im **Spam-Ordner** nach.")
    page.get_by_label("This text follows the original's version 2").check()
    page.locator("#knowledge-publish").click()
    expect(page.locator("#knowledge-status-line")).to_contain_text(
        "Published version 2 in German", timeout=PUBLISHING_MS
    )
    # Then it is up to date again
    translations = api_ok(desk, seeded["agent"], "GET", f"/articles/{slug}")["article"]["translations"]
    assert translations["de"]["state"] == "current"
    assert translations["de"]["source_version"] == 2
    expect(page.locator("#knowledge-outdated")).to_be_hidden()
    expect(panel.locator("li", has_text="German")).to_contain_text("Up to date")

    # And the list shows the French still outdated, flagged for its owner
    page.get_by_role("link", name="Back to the knowledge base").click()
    expect(_row(page, slug).get_by_role("link", name="French: Older than the original")).to_be_visible()
    expect(_row(page, slug).locator(".flag-list")).to_contain_text(
        "French follows version 1 of the original; version 2 is published"
    )
    filters.get_by_label("Flagged").select_option("outdated_translation")
    expect(rows).to_have_count(1)
    expect(_row(page, slug)).to_be_visible()
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge?category=account&flag=outdated_translation")
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "knowledge-list-390.png"), full_page=True)


def test_a_draft_saved_meanwhile_is_said_and_mine_kept_over_it(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    slug = "delivery-and-returns"
    # Given Sam with the Spanish text open
    sign_in(page, desk, seeded["agent"], f"#/knowledge/{slug}/es")
    body = page.locator("#knowledge-body")
    expect(body).not_to_have_value("")
    before = api_ok(desk, seeded["agent"], "GET", f"/articles/{slug}/es")["translation"]["draft_version"]

    # When Ana saves a draft of it meanwhile, and Sam then saves his
    theirs = api_ok(desk, seeded["admin"], "GET", f"/articles/{slug}/es")["draft"]
    api_ok(
        desk,
        seeded["admin"],
        "PUT",
        f"/articles/{slug}/es",
        {
            "title": theirs["title"],
            "tags": theirs["tags"],
            "body": theirs["body"] + "\n\nAna.",
            "base_version": before,
        },
    )
    body.fill("Texto de Sam.")
    page.get_by_role("button", name="Save draft").click()

    # Then nothing is saved and the page says who saved since, the text kept
    conflict = page.locator("#knowledge-conflict")
    expect(conflict).to_be_focused()
    expect(conflict).to_contain_text("Not saved: someone saved this text since you opened it.")
    expect(conflict).to_contain_text(f"ana@example.com saved version {before + 1} of the es translation")
    expect(body).to_have_value("Texto de Sam.")
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    conflict.screenshot(path=str(SCREENSHOTS / "knowledge-conflict-390.png"))
    page.set_viewport_size(DESKTOP)

    # When he keeps his
    conflict.get_by_role("button", name="Keep mine").click()

    # Then his text is the newest draft, over Ana's, which stays in the versions
    expect(page.locator("#knowledge-status-line")).to_contain_text(
        f"Saved your text as draft version {before + 2}"
    )
    saved = api_ok(desk, seeded["agent"], "GET", f"/articles/{slug}/es")
    assert saved["draft"]["body"] == "Texto de Sam."
    assert saved["versions"][1]["author"] == "ana@example.com"

    # When Ana saves again while Sam, who started a new change, looks at the list and comes back
    body.fill("Texto de Sam, otra vez.")
    page.get_by_role("link", name="Back to the knowledge base").click()
    expect(page.locator("#knowledge-list tbody tr").first).to_be_visible()
    theirs = api_ok(desk, seeded["admin"], "GET", f"/articles/{slug}/es")["draft"]
    api_ok(
        desk,
        seeded["admin"],
        "PUT",
        f"/articles/{slug}/es",
        {
            "title": theirs["title"],
            "tags": theirs["tags"],
            "body": "Texto de Ana.",
            "base_version": before + 2,
        },
    )
    page.go_back()

    # Then his unsaved text is back, and saving it still says a colleague saved since
    expect(page.locator("#knowledge-status-line")).to_have_text(
        "Your changes from before are back in the box: not saved yet."
    )
    expect(body).to_have_value("Texto de Sam, otra vez.")
    page.get_by_role("button", name="Save draft").click()
    expect(conflict).to_contain_text(f"ana@example.com saved version {before + 3} of the es translation")

    # When he reloads theirs, the box shows Ana's text and his is dropped
    conflict.get_by_role("button", name="Reload theirs").click()
    expect(page.locator("#knowledge-status-line")).to_have_text(
        "Reloaded: the box shows your colleague's version."
    )
    expect(body).to_have_value("Texto de Ana.")
    expect(page.locator("#knowledge-unsaved")).to_have_text("")


def test_a_new_article_is_written_published_and_translated_from_its_original(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    # Given Sam on the new article's page
    sign_in(page, desk, seeded["agent"], "#/knowledge")
    page.get_by_role("link", name="New article").click()
    expect(page.get_by_role("heading", name="New article", level=1)).to_be_visible()

    # When he saves it without text, the page says what is missing at the field
    page.locator("#knowledge-form").get_by_label("Title").fill("Gift cards")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator("#knowledge-body-error")).to_have_text("Write the article's text.")
    expect(page.locator("#knowledge-body")).to_be_focused()

    # When he writes it and creates it
    page.locator("#knowledge-form").get_by_label("Category").select_option("billing")
    page.locator("#knowledge-body").fill("A gift card is valid for **three years**.")
    page.locator("#knowledge-form").get_by_label("Tags").fill("voucher, present")
    # And adds a picture of the card, which the preview shows from the help center
    page.locator("#knowledge-image").set_input_files(
        {"name": "gift card.png", "mimeType": "image/png", "buffer": PIXEL_PNG}
    )
    expect(page.locator("#knowledge-image-status")).to_contain_text("Added gift card.png to the text")
    expect(page.locator("#knowledge-body")).to_have_value(
        re.compile(
            r"\*\*three years\*\*\.\n\n!\[gift card\]\(http://127\.0\.0\.1:\d+/help/images/[0-9a-f]{16}\.png\)\n$"
        )
    )
    image = page.frame_locator("#knowledge-preview iframe").locator("img")
    expect(image).to_have_attribute("alt", "gift card")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "knowledge-new-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Create the draft").click()

    # Then its editor opens on the English draft, made from the title
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge/gift-cards/en")
    expect(page.locator("#knowledge-status-line")).to_contain_text("Created “Gift cards” as a draft")
    expect(page.locator("#knowledge-status-line")).to_have_class("notice-ok")
    expect(page.locator("#flash")).to_be_hidden()
    expect(page.locator("#knowledge-publish-state")).to_contain_text("Not published")
    article = _article(desk, seeded["agent"], "gift-cards")
    assert article["category"] == "billing"
    assert article["owner"] == "sam@example.com"

    # When it is published and Sam translates it into German from the panel
    page.locator("#knowledge-publish").click()
    expect(page.locator("#knowledge-status-line")).to_contain_text(
        "Published version 1 in English", timeout=PUBLISHING_MS
    )
    page.get_by_role("link", name="Translate into German").click()

    # Then the German editor starts from the published original, marked as made from it
    expect(page.get_by_role("heading", name="Translate “Gift cards” into German")).to_be_visible()
    expect(page.locator("#knowledge-translating")).to_contain_text("as published (version 1)")
    original = api_ok(desk, seeded["agent"], "GET", "/articles/gift-cards/en")["published"]["body"]
    expect(page.locator("#knowledge-body")).to_have_value(original)
    page.locator("#knowledge-form").get_by_label("Title").fill("Geschenkkarten")
    page.locator("#knowledge-body").fill("Eine Geschenkkarte gilt **drei Jahre**.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#knowledge-status-line")).to_contain_text("Saved draft version 1")
    german = api_ok(desk, seeded["agent"], "GET", "/articles/gift-cards/de")
    assert german["translation"]["source_version"] == 1
    assert german["translation"]["state"] == "draft"

    # And "Only those I own" in the list shows the articles Sam owns, this one among them
    page.get_by_role("link", name="Back to the knowledge base").click()
    page.get_by_label("Only those I own").check()
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge?mine=yes")
    owned = [
        a["slug"]
        for a in api_ok(desk, seeded["agent"], "GET", "/articles")["articles"]
        if a["owner"] == "sam@example.com"
    ]
    assert "gift-cards" in owned
    expect(page.locator("#knowledge-list tbody tr")).to_have_count(len(owned))


def test_the_reply_box_finds_an_article_in_the_tickets_language_and_inserts_its_link(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    # Given a German customer's ticket
    ref = desk.deliver(
        build_mail(
            subject="Passwort vergessen", body=GERMAN_MAIL, sender="Jörg Müller <joerg@customer.example>"
        )
    )
    sign_in(page, desk, seeded["agent"], f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()

    # When Sam searches the help articles while typing a word
    page.get_by_role("button", name="Find a help article…").click()
    search = page.get_by_label("Search help articles")
    expect(search).to_be_focused()
    expect(page.locator("#article-search-hint")).to_contain_text("in German, this ticket's language")
    search.fill("passw")

    # Then German articles come, best first
    results = page.locator("#article-results li")
    expect(results.first).to_contain_text("Passwort")
    # Enter searches and never sends the reply
    search.press("Enter")
    expect(page.locator("#reply-body")).to_have_value("")
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.locator("#article-picker").screenshot(path=str(SCREENSHOTS / "reply-box-article-picker-390.png"))
    page.set_viewport_size(DESKTOP)

    # When he inserts the first one's link
    title = results.first.locator(".article-title").inner_text()
    results.first.get_by_role("button", name="Insert link").click()

    # Then the reply box holds a Markdown link to its German help-center page, and has the focus
    reply = page.locator("#reply-body")
    expect(reply).to_be_focused()
    expect(reply).to_have_value(f"[{title}]({desk.api_url}/help/de/articles/account-recovery)")
    expect(page.locator("#article-count")).to_have_text(f"Inserted a link to “{title}”.")

    # And Escape closes the search, the focus back on its button
    page.get_by_role("button", name="Find a help article…").click()
    search.press("Escape")
    expect(page.locator("#article-picker")).to_be_hidden()
    expect(page.get_by_role("button", name="Find a help article…")).to_be_focused()

    # And once the reply is sent, the report counts the article as linked in a reply
    def linked() -> int:
        rows = api_ok(desk, seeded["admin"], "GET", "/metrics")["knowledge"]["articles"]
        count: int = next(row["linked"] for row in rows if row["slug"] == "account-recovery")
        return count

    before = linked()
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread li.kind-agent_reply")).to_contain_text(title)
    assert linked() == before + 1
    # And the history says which articles the acknowledgement suggested and the reply linked
    expect(
        page.locator("#events li", has_text="Automatic acknowledgement sent (German), suggesting")
    ).to_contain_text("account-recovery")
    expect(
        page.locator(
            "#events li",
            has_text="Sam Lee replied to the customer, linking the help article account-recovery",
        )
    ).to_be_visible()


def test_an_article_is_drafted_from_a_ticket_with_the_customers_data_taken_out(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    # Given a ticket Sam answered, naming the customer and her order
    ref = desk.deliver(
        build_mail(
            subject="Gift card not accepted",
            body="Hello,\n\nmy gift card is refused at checkout for order 5567123.\n\nMaria Lopez",
            sender="Maria Lopez <maria.lopez@customer.example>",
        )
    )
    api_ok(
        desk,
        seeded["agent"],
        "POST",
        f"/tickets/{ref}/replies",
        {
            "body": "Hi Maria,\n\nA gift card works only in the country it was bought in. Choose that "
            "country's shop at the top of the page, then enter the card's code again at checkout; "
            "your order 5567123 keeps its items meanwhile.\n\nBest regards,\nSam",
            "status": "pending",
        },
    )
    unanswered = desk.deliver(
        build_mail(subject="Gift card balance", body="Hello,\n\nhow much is left?\n\nMaria")
    )
    sign_in(page, desk, seeded["agent"], f"#/tickets/{unanswered}")
    expect(page.locator("#thread li").first).to_be_visible()

    # When Sam asks for an article from a ticket nobody answered yet, the desk's refusal is said
    page.get_by_role("button", name="Create an article from this ticket").click()
    expect(page.locator("#flash")).to_have_text(
        f"No article was drafted: The ticket {unanswered} has no reply of an agent to the customer yet: "
        "an article is drafted from the agents' answers."
    )

    # When Sam creates an article from the answered ticket
    page.goto(f"{desk.api_url}/console#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    page.get_by_role("button", name="Create an article from this ticket").click()

    # Then its editor opens on a draft, saying what was taken out, and nothing is published
    expect(page).to_have_url(re.compile(r"#/knowledge/[a-z0-9-]+/en$"))
    banner = page.locator("#knowledge-from-ticket")
    expect(banner).to_contain_text(f"Drafted from the agents' replies on ticket {ref}.")
    expect(banner.locator("li", has_text="name")).to_be_visible()
    expect(banner.locator("li", has_text="order, invoice or other number")).to_be_visible()
    body = page.locator("#knowledge-body")
    expect(body).to_have_value(re.compile("A gift card works only in the country it was bought in."))
    text = body.input_value()
    assert "Maria" not in text
    assert "5567123" not in text
    expect(page.locator("#knowledge-publish-state")).to_contain_text("Not published")
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "knowledge-from-ticket-390.png"))
    page.set_viewport_size(DESKTOP)

    # And the ticket's history says who drafted which article, linked to its editor
    page.go_back()
    drafted = page.locator("#events li", has_text="Sam Lee drafted the help article")
    expect(drafted).to_contain_text("from this ticket's replies, the customer's data taken out")
    expect(drafted.get_by_role("link")).to_have_attribute("href", re.compile(r"^#/knowledge/[a-z0-9-]+/en$"))


def test_the_report_shows_what_each_article_did(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    # Given a German mail whose acknowledgement suggested the password article, opened from the mail
    desk.deliver(
        build_mail(subject="Passwort vergessen", body=GERMAN_MAIL, sender="Ute Kahn <ute@customer.example>")
    )
    opened = f"{desk.api_url}/help/de/articles/account-recovery?from=mail"
    with urllib.request.urlopen(opened, timeout=10) as answer:  # noqa: S310 (the local desk)
        assert answer.status == 200
    report = api_ok(desk, seeded["admin"], "GET", "/metrics")["knowledge"]
    (row,) = [row for row in report["articles"] if row["slug"] == "account-recovery"]
    assert row["suggested"] >= 1
    assert row["opened_from_mail"] >= 1

    # When an admin opens the reports
    sign_in(page, desk, seeded["admin"], "#/reports")
    figure = page.locator("#report-knowledge")
    expect(figure.get_by_role("heading", name="Help-center articles")).to_be_visible()

    # Then the article's figures are those of the API's report, with the totals
    figure.get_by_text("Show table").click()
    table = figure.get_by_role("table")
    line = table.locator("tbody tr", has_text=row["title"])
    cells = [cell.strip() for cell in line.locator("th, td").all_inner_texts()]
    assert cells[:3] == [row["title"], str(row["suggested"]), str(row["linked"])]
    assert cells[3].startswith(str(row["opened"]))
    assert f"({row['opened_from_mail']} from a mail)" in cells[3]
    expect(table.locator("tfoot")).to_contain_text("All articles")
    expect(line.get_by_role("link", name=row["title"])).to_have_attribute(
        "href", "#/knowledge/account-recovery"
    )
    figure.screenshot(path=str(SCREENSHOTS / "reports-knowledge-1366.png"))
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    figure.screenshot(path=str(SCREENSHOTS / "reports-knowledge-390.png"))

    # And the article's link opens its editor in its original language
    page.set_viewport_size(DESKTOP)
    line.get_by_role("link", name=row["title"]).click()
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge/account-recovery/en")


def test_only_an_admin_deletes_an_article_after_a_dialog(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    api_ok(
        desk,
        seeded["agent"],
        "POST",
        "/articles",
        {
            "slug": "old-promotion",
            "category": "general",
            "language": "en",
            "title": "Old promotion",
            "body": "Gone.",
        },
    )
    # Given an agent on the article: no way to delete it
    sign_in(page, desk, seeded["agent"], "#/knowledge/old-promotion/en")
    expect(page.locator("#knowledge-version-list tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="Delete the article…")).to_be_hidden()

    # When an admin asks to delete it, the dialog says what goes; Escape keeps it, the focus back
    sign_in(page, desk, seeded["admin"], "#/knowledge/old-promotion/en")
    # (once the editor has loaded the article: the dialog names it by the title in the editor)
    expect(page.locator("#knowledge-version-list tbody tr")).to_have_count(1)
    expect(page.locator("#knowledge-title-field")).to_have_value("Old promotion")
    delete = page.get_by_role("button", name="Delete the article…")
    expect(delete).to_be_visible()
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete “Old promotion”?")
    expect(dialog).to_contain_text("goes in every language, with all its versions")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()

    # When she confirms
    delete.click()
    dialog.get_by_role("button", name="Delete", exact=True).click()

    # Then the list says so and the article is gone
    expect(page.locator("#knowledge-status-line")).to_have_text("Deleted “Old promotion” in every language.")
    expect(page.locator("#knowledge-status-line")).to_have_class("notice-ok")
    expect(page).to_have_url(f"{desk.api_url}/console#/knowledge")
    expect(_row(page, "old-promotion")).to_have_count(0)
    slugs = [article["slug"] for article in api_ok(desk, seeded["admin"], "GET", "/articles")["articles"]]
    assert "old-promotion" not in slugs


def test_a_saved_reply_links_an_article_that_a_german_ticket_gets_in_german(
    desk: RunningDesk, seeded: dict[str, str], page: Page
) -> None:
    slug = "account-recovery"
    english = _article(desk, seeded["admin"], slug)["translations"]
    title = english["en"]["title"]  # type: ignore[index]
    assert english["de"]["status"] == "published"  # type: ignore[index]
    page.set_viewport_size(DESKTOP)

    # Given Ana writing a new English saved reply
    sign_in(page, desk, seeded["admin"], "#/saved-replies/new")
    editor = page.locator("#saved-reply-editor")
    editor.get_by_label("Title").fill("Reset your password")
    editor.get_by_label("Language").fill("en")
    body = editor.get_by_label("Text", exact=True)
    body.fill("Hello {{ customer.first_name }},\n\nthis is how: ")

    # When she looks for a help article from the editor
    editor.get_by_role("button", name="Find a help article…").click()
    search = editor.get_by_label("Search articles to link")
    expect(search).to_be_focused()
    hint = page.locator("#saved-reply-article-search-hint")
    expect(hint).to_contain_text("Published articles in English, this saved reply's language.")
    expect(hint).to_contain_text("the link goes to the article in the ticket's language")
    search.fill("password reset")

    # Then English articles come, each to link (not to copy: a link follows the customer's language)
    results = page.locator("#saved-reply-article-results li")
    found = results.filter(has_text=title)
    expect(found).to_have_count(1)
    expect(found.get_by_role("button", name="Insert text")).to_have_count(0)
    # (Enter searches and never saves the saved reply)
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"#/saved-replies/new$"))
    page.screenshot(path=str(SCREENSHOTS / "saved-reply-article-finder-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.locator("#saved-reply-article-picker").screenshot(
        path=str(SCREENSHOTS / "saved-reply-article-finder-390.png")
    )
    page.set_viewport_size(DESKTOP)

    # When she inserts its link
    found.get_by_role("button", name="Insert link").click()

    # Then the text holds a Markdown link to the English page at the cursor, and the preview shows it
    english_url = f"{desk.api_url}/help/en/articles/{slug}"
    expect(body).to_be_focused()
    expect(body).to_have_value(
        f"Hello {{{{ customer.first_name }}}},\n\nthis is how: [{title}]({english_url})"
    )
    expect(page.locator("#saved-reply-article-count")).to_have_text(f"Inserted a link to “{title}”.")
    preview = page.frame_locator("#saved-reply-editor-preview iframe.reply-preview-frame")
    expect(preview.get_by_role("link", name=title)).to_have_attribute("href", english_url)

    # When she saves it
    editor.get_by_role("button", name="Save").click()

    # Then the list names the article it links, opening it in the knowledge base
    row = page.locator("#saved-replies-list tr", has_text="Reset your password")
    linked = row.get_by_role("link", name=title)
    expect(linked).to_have_attribute("href", f"#/knowledge/{slug}")
    saved = next(
        reply
        for reply in api_ok(desk, seeded["admin"], "GET", "/saved-replies")["saved_replies"]
        if reply["title"] == "Reset your password"
    )
    assert saved["articles"] == [slug]
    page.screenshot(path=str(SCREENSHOTS / "saved-replies-linked-articles-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "saved-replies-linked-articles-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    linked.click()
    expect(page).to_have_url(re.compile(rf"#/knowledge/{slug}(/en)?$"))
    expect(page.locator("#knowledge-form").get_by_label("Title")).to_have_value(title)

    # When Sam answers a German customer with it
    ref = desk.deliver(
        build_mail(subject="Kein Zugang mehr", body=GERMAN_MAIL, sender="Greta Vogel <greta@kundin.example>")
    )
    sent_before = len(desk.sent_mail())
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("#sign-in-notice")).to_have_text("You are signed out.")
    sign_in(page, desk, seeded["agent"], f"#/tickets/{ref}")
    expect(page.locator("#thread li").first).to_be_visible()
    page.get_by_label("Saved reply").select_option(label="Reset your password")
    page.get_by_role("button", name="Insert", exact=True).click()
    expect(page.locator("#reply-body")).to_have_value(re.compile(re.escape(english_url)))
    page.get_by_role("button", name="Send reply").click()

    # Then the mail and the thread link the German article, the one published in his language
    german_url = f"{desk.api_url}/help/de/articles/{slug}"
    # (the thread shows the reply as the customer read it: the title, linking the German article)
    link = page.locator("#thread li.kind-agent_reply .message-body").last.get_by_role("link", name=title)
    expect(link).to_have_attribute("href", german_url)
    (mail,) = desk.sent_mail()[sent_before:]
    plain = mail.message.get_body(preferencelist=("plain",))
    html = mail.message.get_body(preferencelist=("html",))
    assert plain is not None and german_url in plain.get_content()
    assert html is not None and f'href="{german_url}"' in html.get_content()
    assert "/help/en/" not in plain.get_content() + html.get_content()

    # And the report's saved-reply row names the article it links, on the Reports page too
    rows = api_ok(desk, seeded["admin"], "GET", "/metrics")["saved_replies"]
    (figures,) = [row for row in rows if row["id"] == saved["id"]]
    assert (figures["uses"], figures["articles"]) == (1, [slug])
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("#sign-in-notice")).to_have_text("You are signed out.")
    sign_in(page, desk, seeded["admin"], "#/reports")
    saved_figure = page.locator("#report-saved-replies")
    saved_figure.get_by_text("Show table").click()
    table_row = saved_figure.locator("tbody tr", has_text="Reset your password")
    expect(table_row.locator("td").last).to_have_text(
        next(
            row["title"]
            for row in api_ok(desk, seeded["admin"], "GET", "/metrics")["knowledge"]["articles"]
            if row["slug"] == slug
        )
    )
    saved_figure.screenshot(path=str(SCREENSHOTS / "report-saved-replies-articles-1366.png"))
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    saved_figure.screenshot(path=str(SCREENSHOTS / "report-saved-replies-articles-390.png"))
