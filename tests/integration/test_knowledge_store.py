"""The knowledge base on moto: articles, translations and their versions in the knowledge table,
bodies in the mail bucket, and the published snapshot every reader uses."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta

import pytest

from postdesk.agents.model import Role
from postdesk.aws.clients import client
from postdesk.errors import ConfigurationError, Invalid
from postdesk.knowledge.catalogue import REFRESH_SECONDS, SNAPSHOT_KEY, PublishedCatalogue
from postdesk.knowledge.model import ArticleStatus, TranslationState, diff_versions
from postdesk.knowledge.store import (
    ArticleChanged,
    ArticleExists,
    ArticleNotFound,
    KnowledgeStore,
    StaleDraft,
)
from postdesk.workflows import knowledge
from postdesk.workflows.knowledge import OriginalNotPublished, TranslationExists
from postdesk_tools.knowledge_cli import run_knowledge
from tests.integration.conftest import Desk

ANA = "ana@example.com"
BEN = "ben@example.com"
BODY_V1 = "# Reset your password\n\nOpen the sign-in page.\nClick **Forgot password**.\n"
BODY_V2 = "# Reset your password\n\nOpen the sign-in page.\nChoose **Forgot password**.\nCheck your inbox.\n"


@pytest.fixture
def agents(desk: Desk) -> Desk:
    desk.ports.agents.add(ANA, "Ana Lima", Role.AGENT, desk.clock_now)
    desk.ports.agents.add(BEN, "Ben Ode", Role.AGENT, desk.clock_now)
    return desk


def _create(desk: Desk) -> None:
    knowledge.create_article(
        desk.settings,
        desk.ports,
        slug="reset-password",
        category="account",
        language="en",
        title="Reset your password",
        tags=["password", "locked out"],
        body=BODY_V1,
        actor=ANA,
    )


def _snapshot(desk: Desk) -> dict[str, object]:
    raw = client("s3", desk.settings.region).get_object(Bucket=desk.settings.mail_bucket, Key=SNAPSHOT_KEY)
    loaded: dict[str, object] = json.loads(raw["Body"].read())
    return loaded


def test_versions_keep_their_author_and_show_a_diff(agents: Desk) -> None:
    desk = agents
    _create(desk)
    article = desk.ports.knowledge.get("reset-password")
    assert article.original == "en" and article.owner == ANA and article.category == "account"
    assert article.review_by == (desk.now() + timedelta(days=180)).date()
    assert article.state_of("en") is TranslationState.DRAFT
    desk.clock_now += timedelta(hours=1)
    second = knowledge.save_draft(
        desk.settings,
        desk.ports,
        slug="reset-password",
        language="en",
        title="Reset your password",
        tags="password, locked out, sign in",
        body=BODY_V2,
        base_version=1,
        actor=BEN,
        note="Clearer steps",
    )
    assert second.number == 2

    versions = desk.ports.knowledge.versions("reset-password", "en")
    assert [(v.number, v.author, v.body, v.note) for v in versions] == [
        (2, BEN, "", "Clearer steps"),
        (1, ANA, "", "Created"),
    ]
    assert versions[0].at == desk.now()
    first, newest = (desk.ports.knowledge.version("reset-password", "en", n) for n in (1, 2))
    assert (first.body, newest.body) == (BODY_V1, BODY_V2)
    kinds = [(line.kind, line.text) for line in diff_versions(first, newest)]
    assert ("removed", "Click **Forgot password**.") in kinds
    assert ("added", "Check your inbox.") in kinds
    assert ("added", "password, locked out, sign in") in kinds
    # Bodies are in the mail bucket under the article's prefix.
    key = f"knowledge/articles/reset-password/en/000002-{_digest(BODY_V2)}.md"
    assert desk.ports.blobs.get(key) == BODY_V2.encode()


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def test_a_draft_saved_over_an_older_version_is_refused_with_who_saved_since(agents: Desk) -> None:
    desk = agents
    _create(desk)
    knowledge.save_draft(
        desk.settings, desk.ports, slug="reset-password", language="en", title="Reset",
        tags=[], body=BODY_V2, base_version=1, actor=BEN,
    )  # fmt: skip
    with pytest.raises(StaleDraft) as refused:
        knowledge.save_draft(
            desk.settings, desk.ports, slug="reset-password", language="en", title="Mine",
            tags=[], body="My text", base_version=1, actor=ANA,
        )  # fmt: skip
    assert refused.value.current == 2 and refused.value.author == BEN
    assert BEN in str(refused.value) and "version 2" in str(refused.value)
    assert [v.number for v in desk.ports.knowledge.versions("reset-password", "en")] == [2, 1]
    assert desk.ports.knowledge.version("reset-password", "en", 2).body == BODY_V2
    # A second new translation of the same language is stale too.
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="en", version=2, actor=ANA)
    knowledge.translate(desk.settings, desk.ports, slug="reset-password", language="de", actor=BEN)
    with pytest.raises(StaleDraft):
        knowledge.save_draft(
            desk.settings, desk.ports, slug="reset-password", language="de", title="Passwort",
            tags=[], body="Text", base_version=0, actor=ANA,
        )  # fmt: skip


def test_translations_are_missing_draft_outdated_or_current(agents: Desk) -> None:
    desk = agents
    _create(desk)
    with pytest.raises(OriginalNotPublished):
        knowledge.translate(desk.settings, desk.ports, slug="reset-password", language="de", actor=BEN)
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="en", version=1, actor=ANA)

    started = knowledge.translate(desk.settings, desk.ports, slug="reset-password", language="de", actor=BEN)
    assert (started.number, started.source_version, started.body) == (1, 1, BODY_V1)
    with pytest.raises(TranslationExists):
        knowledge.translate(desk.settings, desk.ports, slug="reset-password", language="de", actor=BEN)
    article = desk.ports.knowledge.get("reset-password")
    assert {lang: article.state_of(lang) for lang in ("en", "de", "fr")} == {
        "en": TranslationState.CURRENT,
        "de": TranslationState.DRAFT,
        "fr": TranslationState.MISSING,
    }
    knowledge.save_draft(
        desk.settings, desk.ports, slug="reset-password", language="de", title="Passwort zurücksetzen",
        tags=["Passwort"], body="# Passwort zurücksetzen\n", base_version=1, actor=BEN, source_version=1,
    )  # fmt: skip
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="de", version=2, actor=BEN)
    assert desk.ports.knowledge.get("reset-password").state_of("de") is TranslationState.CURRENT

    # The original moves on: the German text is now older than what it was translated from.
    knowledge.save_draft(
        desk.settings, desk.ports, slug="reset-password", language="en", title="Reset your password",
        tags=[], body=BODY_V2, base_version=1, actor=ANA,
    )  # fmt: skip
    assert desk.ports.knowledge.get("reset-password").state_of("de") is TranslationState.CURRENT
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="en", version=2, actor=ANA)
    assert desk.ports.knowledge.get("reset-password").state_of("de") is TranslationState.OUTDATED
    # A new German draft from version 2 does not change what readers see until it is published.
    knowledge.save_draft(
        desk.settings, desk.ports, slug="reset-password", language="de", title="Passwort zurücksetzen",
        tags=[], body="# Neu\n", base_version=2, actor=BEN, source_version=2,
    )  # fmt: skip
    assert desk.ports.knowledge.get("reset-password").state_of("de") is TranslationState.OUTDATED
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="de", version=3, actor=BEN)
    assert desk.ports.knowledge.get("reset-password").state_of("de") is TranslationState.CURRENT


def test_publishing_and_unpublishing_rewrite_the_snapshot_readers_use(agents: Desk) -> None:
    desk = agents
    _create(desk)
    readers = PublishedCatalogue(desk.settings.mail_bucket, desk.settings.region, "https://desk.example")
    assert readers.articles() == [] and readers.generation == 0

    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="en", version=1, actor=ANA)
    snapshot = _snapshot(desk)
    assert snapshot["format"] == 1 and snapshot["generation"] == 1
    # This container's catalogue was told; another container's reads again after its interval.
    published = desk.ports.catalogue.article("reset-password", "en")
    assert published is not None and (published.body, published.version) == (BODY_V1, 1)
    assert readers.articles() == []
    readers.invalidate()
    (article,) = readers.articles("en")
    assert article.title == "Reset your password" and article.category == "account"
    (suggestion,) = readers.engine().find("forgot password", "en")
    assert suggestion.article.url == "https://desk.example/help/en/articles/reset-password"
    assert readers.languages_of("reset-password") == ["en"]

    knowledge.unpublish(desk.settings, desk.ports, slug="reset-password", language="en", actor=ANA)
    assert _snapshot(desk)["generation"] == 2 and _snapshot(desk)["articles"] == []
    assert desk.ports.catalogue.articles() == []
    translation = desk.ports.knowledge.get("reset-password").translations["en"]
    assert (translation.status, translation.published_version) == (ArticleStatus.DRAFT, 0)
    knowledge.delete_article(desk.settings, desk.ports, slug="reset-password")
    with pytest.raises(ArticleNotFound):
        desk.ports.knowledge.get("reset-password")
    left = client("s3", desk.settings.region).list_objects_v2(
        Bucket=desk.settings.mail_bucket, Prefix="knowledge/articles/reset-password/"
    )
    assert left.get("Contents", []) == []


def test_a_catalogue_asks_s3_at_most_every_interval(agents: Desk) -> None:
    desk = agents
    now = [1000.0]
    readers = PublishedCatalogue(desk.settings.mail_bucket, desk.settings.region, monotonic=lambda: now[0])
    assert readers.generation == 0
    _create(desk)
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="en", version=1, actor=ANA)
    now[0] += REFRESH_SECONDS - 1
    assert readers.generation == 0
    now[0] += 1
    assert readers.generation == 1
    engine = readers.engine()
    now[0] += REFRESH_SECONDS
    assert readers.generation == 1 and readers.engine() is engine  # a 304: nothing rebuilt


def test_a_catalogue_that_cannot_reach_s3_keeps_what_it_read_or_says_so(agents: Desk) -> None:
    desk = agents
    now = [1000.0]
    _create(desk)
    knowledge.publish(desk.settings, desk.ports, slug="reset-password", language="en", version=1, actor=ANA)
    readers = PublishedCatalogue(desk.settings.mail_bucket, desk.settings.region, monotonic=lambda: now[0])
    assert [a.slug for a in readers.articles("en")] == ["reset-password"]
    # When the bucket cannot be read any more (here: it is gone)
    s3 = client("s3", desk.settings.region)
    for listed in s3.list_objects_v2(Bucket=desk.settings.mail_bucket).get("Contents", []):
        s3.delete_object(Bucket=desk.settings.mail_bucket, Key=listed["Key"])
    s3.delete_bucket(Bucket=desk.settings.mail_bucket)
    now[0] += REFRESH_SECONDS
    # Then a container that read the snapshot keeps serving it
    assert [a.slug for a in readers.articles("en")] == ["reset-password"]
    # And one that never read it says in words that it cannot know, never a botocore error
    fresh = PublishedCatalogue(desk.settings.mail_bucket, desk.settings.region)
    with pytest.raises(ConfigurationError, match=r"knowledge/published\.json cannot be read"):
        fresh.articles("en")


def test_article_changes_name_the_version_they_were_made_on(agents: Desk) -> None:
    desk = agents
    _create(desk)
    changed = knowledge.update_article(
        desk.settings, desk.ports, slug="reset-password", version=1, actor=ANA,
        owner=BEN, review_by=date(2027, 1, 31), category="technical",
    )  # fmt: skip
    assert (changed.version, changed.owner, changed.review_by, changed.category) == (
        2, BEN, date(2027, 1, 31), "technical",
    )  # fmt: skip
    with pytest.raises(ArticleChanged, match="version 1, now 2"):
        knowledge.update_article(desk.settings, desk.ports, slug="reset-password", version=1, actor=BEN)
    with pytest.raises(Invalid, match="not an agent"):
        knowledge.update_article(
            desk.settings, desk.ports, slug="reset-password", version=2, actor=BEN, owner="x@nowhere.example"
        )
    with pytest.raises(ArticleExists):
        _create(desk)
    created = knowledge.create_article(
        desk.settings, desk.ports, slug=None, category="account", language="en",
        title="Reset password", tags=[], body="Text", actor=ANA,
    )  # fmt: skip
    assert created.slug == "reset-password-2"
    # A title that would make the slug of a route (/articles/preview) gets a slug of its own
    previewed = knowledge.create_article(
        desk.settings, desk.ports, slug=None, category="general", language="en",
        title="Preview", tags=[], body="Text", actor=ANA,
    )  # fmt: skip
    assert previewed.slug == "preview-2"


def test_importing_the_seed_twice_gives_the_same_desk(agents: Desk) -> None:
    desk = agents
    first = knowledge.import_seed(desk.settings, desk.ports, root=None, owner=ANA)
    assert len(first.imported) == 6 and first.kept == []
    articles = desk.ports.knowledge.list_articles()
    assert all(a.owner == ANA and a.original == "en" for a in articles)
    assert {
        (a.slug, lang, a.state_of(lang)) for a in articles for lang in ("en", "de", "es", "fr", "pt")
    } == {
        (a.slug, lang, TranslationState.CURRENT) for a in articles for lang in ("en", "de", "es", "fr", "pt")
    }
    de = articles[0].translations["de"]
    assert (de.source_version, de.published_version) == (1, 1)
    snapshot = _snapshot(desk)
    assert len(snapshot["articles"]) == 30  # type: ignore[arg-type]

    second = knowledge.import_seed(desk.settings, desk.ports, root=None, owner=BEN)
    assert second.imported == [] and sorted(second.kept) == sorted(first.imported)
    assert desk.ports.knowledge.list_articles() == articles
    assert _snapshot(desk) == snapshot
    assert "6 already in the desk" in second.summary()
    # The acknowledgement's engine now suggests them.
    (suggestion, *_) = desk.ports.catalogue.engine().search("Ich habe mein Passwort vergessen", "de")
    assert suggestion.article.slug == "account-recovery"


def test_the_kb_commands_import_for_the_first_admin_and_list_the_states(agents: Desk) -> None:
    desk = agents
    without_admin = io.StringIO()
    assert run_knowledge(["import"], desk.settings, without_admin, desk.now) == 1
    assert "no admin yet" in without_admin.getvalue()
    unknown = io.StringIO()
    assert run_knowledge(["import", "--owner", "who@nowhere.example"], desk.settings, unknown, desk.now) == 1
    assert "not an agent of the desk" in unknown.getvalue()
    assert desk.ports.knowledge.list_articles() == []

    desk.ports.agents.add("root@example.com", "Root Admin", Role.ADMIN, desk.clock_now)
    imported = io.StringIO()
    assert run_knowledge(["import"], desk.settings, imported, desk.now) == 0, imported.getvalue()
    assert "6 article(s) imported" in imported.getvalue() and "root@example.com" in imported.getvalue()

    listed = io.StringIO()
    assert run_knowledge(["list"], desk.settings, listed, desk.now) == 0
    header, *rows = listed.getvalue().splitlines()
    assert header.split() == ["slug", "category", "owner", "review", "by", "de", "en", "es", "fr", "pt"]
    assert len(rows) == 6
    assert rows[0].split()[:3] == ["account-recovery", "account", "root@example.com"]
    assert rows[0].split()[4:] == ["current", "v1"] * 5


def test_images_are_named_by_their_content_and_typed_by_their_bytes(agents: Desk) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    name = desk_store(agents).put_image(png, "image/svg+xml")
    assert name.endswith(".png") and len(name) == 16 + 4
    stored = desk_store(agents).image(name)
    assert (stored.content_type, stored.data) == ("image/png", png)
    with pytest.raises(Invalid, match="PNG, JPEG, GIF or WebP"):
        desk_store(agents).put_image(b"<svg onload='alert(1)'/>", "image/svg+xml")
    with pytest.raises(ArticleNotFound):
        desk_store(agents).image("../../inbound/x.png")


def desk_store(desk: Desk) -> KnowledgeStore:
    return desk.ports.knowledge
