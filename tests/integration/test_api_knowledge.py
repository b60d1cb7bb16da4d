"""The knowledge base's agent API over HTTP (functions/app.py through Chalice's test client, the
desk on moto): an article written, versioned, translated, published onto the help center and taken
off it again; bad input refused in words; a draft saved over someone else's is a 409 naming them;
who may do what (signed in, admins delete, a read token only reads). Every answer is checked against
docs/openapi.yaml."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.agents.store import AgentStore
from postdesk.agents.tokens import TokenScope
from postdesk.knowledge.store import MAX_IMAGE_BYTES
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.test_openapi import _check

SAM = "sam@example.com"  # the agent of the `token` fixture
ALEX = "alex@example.com"  # the admin of the `admin_token` fixture
SLUG = "change-your-billing-address"
BODY = (
    "# Change your billing address\n\n"
    "Open **Account**, then *Billing*, and type the new address.\n\n"
    "The next invoice carries it.\n"
)
# The smallest PNG there is: one transparent pixel.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class Api:
    """The API as one agent calls it: every answer checked against the spec before it is read."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, spec_path: str | None = None) -> Any:
        headers = auth(self.token) if self.token else {"Content-Type": "application/json"}
        answer = getattr(self.client.http, method.lower())(
            path, headers=headers, body=json.dumps(body) if body is not None else None
        )
        if spec_path is not None:
            _check(answer, spec_path, method.lower())
        return answer

    def ok(self, method: str, path: str, body: Any = None, *, spec_path: str) -> Any:
        answer = self.call(method, path, body, spec_path)
        assert answer.status_code < 300, (method, path, answer.status_code, answer.body)
        return body_of(answer)


@pytest.fixture
def sam(desk: Desk, client: Client, token: str) -> Iterator[Api]:
    runtime.use_clock(desk.now)
    yield Api(client, token)
    runtime.use_clock(None)


@pytest.fixture
def alex(client: Client, admin_token: str) -> Api:
    return Api(client, admin_token)


def _create(api: Api, **changes: Any) -> dict[str, Any]:
    document = {
        "category": "billing",
        "language": "en",
        "title": "Change your billing address",
        "tags": ["invoice", "address"],
        "body": BODY,
        **changes,
    }
    answer = api.call("POST", "/articles", document, "/articles")
    assert answer.status_code == 201, answer.body
    article: dict[str, Any] = body_of(answer)["article"]
    return article


def _save(api: Api, language: str, base_version: int, body: str, **more: Any) -> Any:
    document = {"title": "Change your billing address", "tags": ["invoice"], "body": body}
    return api.call(
        "PUT",
        f"/articles/{SLUG}/{language}",
        {**document, "base_version": base_version, **more},
        "/articles/{slug}/{lang}",
    )


def _publish(api: Api, language: str, version: int) -> dict[str, Any]:
    answer = api.ok(
        "POST",
        f"/articles/{SLUG}/{language}/publish",
        {"version": version},
        spec_path="/articles/{slug}/{lang}/publish",
    )
    translation: dict[str, Any] = answer["translation"]
    return translation


def _listed(api: Api, query: str = "") -> dict[str, dict[str, Any]]:
    answer = api.ok("GET", f"/articles{query}", spec_path="/articles")
    return {summary["slug"]: summary for summary in answer["articles"]}


def _help_home(client: Client, language: str) -> str:
    """The help center's home page in ``language`` (it lists the published articles)."""
    page = client.http.get(f"/help/{language}/")
    assert page.status_code == 200, page.body
    return str(page.body.decode("utf-8"))


# -- a life of one article --------------------------------------------------------------------------


def test_an_article_is_written_versioned_translated_published_and_taken_off(
    desk: Desk, client: Client, sam: Api, alex: Api
) -> None:
    # When Sam writes a new article (no slug: made from the title)
    article = _create(sam)

    # Then it is a draft in English, its original, owned by Sam, to be reviewed in 180 days
    assert (article["slug"], article["category"], article["original"], article["owner"]) == (
        SLUG,
        "billing",
        "en",
        SAM,
    )
    assert article["review_by"] == (desk.now() + timedelta(days=180)).date().isoformat()
    states = {language: t["state"] for language, t in article["translations"].items()}
    assert states == {"en": "draft", "de": "missing", "es": "missing", "fr": "missing", "pt": "missing"}
    assert article["translations"]["en"]["draft_version"] == 1
    # And it is listed, unflagged, with no figures yet; the help center does not show it
    listed = _listed(sam)[SLUG]
    assert listed["flags"] == [] and listed["figures"]["suggested"] == 0
    assert listed["figures"]["helpful_share"] is None
    assert "Change your billing address" not in _help_home(client, "en")

    # When Sam rewrites a line and saves over version 1
    changed = BODY.replace("type the new address", "type the new address and save it")
    saved = _save(sam, "en", 1, changed, note="Say to save")
    assert saved.status_code == 200, saved.body
    assert body_of(saved)["version"]["number"] == 2

    # Then the editor's document has both versions, the draft's text, nothing published
    document = sam.ok("GET", f"/articles/{SLUG}/en", spec_path="/articles/{slug}/{lang}")
    assert document["draft"]["number"] == 2 and document["draft"]["body"] == changed
    assert document["published"] is None and document["url"] is None
    assert [(v["number"], v["author"], v["note"]) for v in document["versions"]] == [
        (2, SAM, "Say to save"),
        (1, SAM, "Created"),
    ]
    assert all("body" not in version for version in document["versions"])
    first = sam.ok(
        "GET", f"/articles/{SLUG}/en/versions/1", spec_path="/articles/{slug}/{lang}/versions/{number}"
    )
    assert first["version"]["body"] == BODY
    # And the diff says what changed, line by line
    diff = sam.ok("GET", f"/articles/{SLUG}/en/diff?from=1&to=2", spec_path="/articles/{slug}/{lang}/diff")
    line = "Open **Account**, then *Billing*, and type the new address"
    assert {"kind": "removed", "text": f"{line}."} in diff["lines"]
    assert {"kind": "added", "text": f"{line} and save it."} in diff["lines"]
    assert (diff["from"], diff["to"]) == (1, 2)

    # When Sam publishes version 2
    published = _publish(sam, "en", 2)

    # Then it is current, and the help center lists and shows it
    assert (published["state"], published["status"], published["published_version"]) == (
        "current",
        "published",
        2,
    )
    assert "Change your billing address" in _help_home(client, "en")
    page = client.http.get(f"/help/en/articles/{SLUG}")
    assert page.status_code == 200 and "type the new address and save it" in page.body.decode("utf-8")
    # And the page served counts as opened in the article's figures
    assert _listed(sam)[SLUG]["figures"]["opened"] == 1

    # When Alex translates it into German from version 2, and publishes that
    german = _save(alex, "de", 0, "# Rechnungsadresse ändern\n\nÖffnen Sie **Konto**.\n", source_version=2)
    assert german.status_code == 200, german.body
    assert _publish(alex, "de", 1)["state"] == "current"
    assert f"/help/de/articles/{SLUG}" in _help_home(client, "de")

    # When Sam changes the original again and publishes it
    third = _save(sam, "en", 2, changed + "\nIt takes a minute.\n")
    assert body_of(third)["version"]["number"] == 3
    _publish(sam, "en", 3)

    # Then the German translation is outdated, and the list flags it for its owner
    listed = _listed(sam)[SLUG]
    assert listed["translations"]["de"]["state"] == "outdated"
    assert [(flag["reason"], flag["language"]) for flag in listed["flags"]] == [
        ("outdated_translation", "de")
    ]
    assert list(_listed(sam, "?flag=outdated_translation")) == [SLUG]
    assert _listed(sam, "?flag=review_due") == {}

    # When Sam takes the English text off the help center
    off = sam.ok("DELETE", f"/articles/{SLUG}/en/publish", spec_path="/articles/{slug}/{lang}/publish")

    # Then it is a draft again with its versions kept, and the help center no longer shows it
    assert (off["translation"]["state"], off["translation"]["published_version"]) == ("draft", 0)
    assert client.http.get(f"/help/en/articles/{SLUG}").status_code == 404
    assert "Change your billing address" not in _help_home(client, "en")
    document = sam.ok("GET", f"/articles/{SLUG}/en", spec_path="/articles/{slug}/{lang}")
    assert [version["number"] for version in document["versions"]] == [3, 2, 1]

    # When Alex (an admin) deletes the article: gone, the German page too
    gone = alex.call("DELETE", f"/articles/{SLUG}", spec_path="/articles/{slug}")
    assert gone.status_code == 204, gone.body
    assert sam.call("GET", f"/articles/{SLUG}", spec_path="/articles/{slug}").status_code == 404
    assert client.http.get(f"/help/de/articles/{SLUG}").status_code == 404
    assert _listed(sam) == {}


def test_the_list_filters_by_category_status_and_flag(desk: Desk, sam: Api) -> None:
    _create(sam)
    _create(sam, slug="reset-your-password", category="account", title="Reset your password")
    _save(sam, "en", 1, BODY)
    _publish(sam, "en", 2)
    # Given one article whose review date has come
    overdue = (desk.now() - timedelta(days=1)).date().isoformat()
    article = sam.ok("GET", "/articles/reset-your-password", spec_path="/articles/{slug}")["article"]
    patched = sam.ok(
        "PATCH",
        "/articles/reset-your-password",
        {"version": article["version"], "review_by": overdue},
        spec_path="/articles/{slug}",
    )
    assert patched["article"]["review_by"] == overdue

    assert list(_listed(sam, "?category=billing")) == [SLUG]
    assert list(_listed(sam, "?category=account")) == ["reset-your-password"]
    assert list(_listed(sam, "?status=published")) == [SLUG]
    assert list(_listed(sam, "?status=draft")) == ["reset-your-password"]
    assert list(_listed(sam, "?flag=review_due")) == ["reset-your-password"]
    assert list(_listed(sam, "?flag=any")) == ["reset-your-password"]
    (flag,) = _listed(sam)["reset-your-password"]["flags"]
    assert flag["reason"] == "review_due" and overdue in flag["message"]
    assert _listed(sam, "?category=orders") == {}


def test_the_settings_change_over_the_version_read_and_name_an_agent(sam: Api, alex: Api) -> None:
    article = _create(sam)
    path = f"/articles/{SLUG}"
    moved = alex.ok(
        "PATCH",
        path,
        {"version": article["version"], "owner": ALEX, "category": "account"},
        spec_path="/articles/{slug}",
    )
    assert (moved["article"]["owner"], moved["article"]["category"]) == (ALEX, "account")

    # Sam's change over the version read before Alex's: 409 in words, nothing written
    stale = sam.call("PATCH", path, {"version": article["version"], "category": "orders"}, "/articles/{slug}")
    assert stale.status_code == 409, stale.body
    assert "changed since you opened it" in body_of(stale)["message"]
    nobody = sam.call(
        "PATCH",
        path,
        {"version": moved["article"]["version"], "owner": "nobody@example.com"},
        "/articles/{slug}",
    )
    assert nobody.status_code == 400 and "not an agent of the desk" in body_of(nobody)["message"]
    assert sam.ok("GET", path, spec_path="/articles/{slug}")["article"]["category"] == "account"


# -- two editors ----------------------------------------------------------------------------------


def test_a_draft_saved_over_a_newer_one_is_refused_naming_who_saved_since(
    desk: Desk, sam: Api, alex: Api
) -> None:
    _create(sam)
    # Both open version 1; Alex saves first
    desk.clock_now += timedelta(minutes=5)
    assert _save(alex, "en", 1, BODY + "\nAlex's line.\n").status_code == 200

    # When Sam saves over version 1 too
    refused = _save(sam, "en", 1, BODY + "\nSam's line.\n")

    # Then: 409, saying who saved which version when, and nothing of Sam's was written
    assert refused.status_code == 409, refused.body
    answer = body_of(refused)
    assert answer["error"] == "StaleDraft"
    assert answer["message"].startswith(f"{ALEX} saved version 2 of the en translation at ")
    assert (answer["newer"]["number"], answer["newer"]["author"]) == (2, ALEX)
    document = sam.ok("GET", f"/articles/{SLUG}/en", spec_path="/articles/{slug}/{lang}")
    assert document["draft"]["body"].endswith("Alex's line.\n")
    # And saved over Alex's version, Sam's text is version 3
    assert body_of(_save(sam, "en", 2, BODY + "\nSam's line.\n"))["version"]["number"] == 3


# -- bad input -------------------------------------------------------------------------------------


def _big_body() -> str:
    return "Words. " * 30_000  # over 200 kB of Markdown, under the 256 KB request limit


BAD_REQUESTS = [
    # (method, path, body, status, words in the message)
    (
        "PUT",
        f"/articles/{SLUG}/en",
        {"title": "T", "body": "B", "base_version": 1, "tags": ["same"] * 21},
        400,
        "at most 20 tags; this request gives 21",
    ),
    (
        "POST",
        "/articles",
        {"slug": "", "category": "billing", "language": "en", "title": "T", "body": "B"},
        400,
        "An article needs a slug",
    ),
    (
        "POST",
        "/articles",
        {"slug": "Bad Slug!", "category": "billing", "language": "en", "title": "T", "body": "B"},
        400,
        "may hold only lower-case letters",
    ),
    (
        "POST",
        "/articles",
        {"slug": "preview", "category": "billing", "language": "en", "title": "T", "body": "B"},
        400,
        "names a route of the API",
    ),
    (
        "POST",
        "/articles",
        {"category": "shoes", "language": "en", "title": "T", "body": "B"},
        400,
        "The category 'shoes' is not one of",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "xx", "title": "T", "body": "B"},
        400,
        "The language 'xx' is not one of the desk's",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "en", "title": "  ", "body": "B"},
        400,
        "needs a title",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "en", "title": "T", "body": "B", "review_by": "soon"},
        400,
        "review_by must be a day as YYYY-MM-DD",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "en", "title": "T", "body": "B", "tags": "a"},
        400,
        "tags must be a list",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "en", "title": "T"},
        400,
        "missing field(s): body",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "en", "title": "T", "body": "B", "color": "red"},
        400,
        "unknown field(s): color",
    ),
    (
        "POST",
        "/articles",
        {"category": "billing", "language": "en", "title": "T", "body": _big_body()},
        413,
        "at most 200 kB",
    ),
    (
        "POST",
        "/articles",
        {"slug": SLUG, "category": "billing", "language": "en", "title": "T", "body": "B"},
        409,
        "is in the desk already",
    ),
    ("GET", "/articles/Not_A_Slug", None, 400, "may hold only lower-case letters"),
    ("GET", "/articles/no-such-article", None, 404, "No article has the slug 'no-such-article'"),
    ("GET", "/articles?category=shoes", None, 400, "The category 'shoes' is not one of"),
    ("GET", "/articles?status=gone", None, 400, "status must be one of draft, published"),
    ("GET", "/articles?flag=odd", None, 400, "flag must be one of any, outdated_translation"),
    ("GET", "/articles?sort=title", None, 400, "unknown parameter(s): sort"),
    ("PATCH", f"/articles/{SLUG}", {"version": 1}, 400, "give category, owner or review_by"),
    ("PATCH", f"/articles/{SLUG}", {"category": "account"}, 400, "missing field(s): version"),
    (
        "PATCH",
        f"/articles/{SLUG}",
        {"version": 1, "category": "shoes"},
        400,
        "The category 'shoes' is not one of",
    ),
    ("GET", f"/articles/{SLUG}/xx", None, 400, "The language 'xx' is not one of the desk's"),
    ("GET", f"/articles/{SLUG}/de", None, 404, "has no de translation yet"),
    (
        "PUT",
        f"/articles/{SLUG}/xx",
        {"title": "T", "body": "B", "base_version": 0},
        400,
        "The language 'xx' is not one of the desk's",
    ),
    (
        "PUT",
        f"/articles/{SLUG}/en",
        {"title": "T", "body": "B", "base_version": -1},
        400,
        "base_version must be a whole number from 0",
    ),
    (
        "PUT",
        f"/articles/{SLUG}/en",
        {"title": "T", "body": "B", "base_version": "1"},
        400,
        "base_version must be a whole number",
    ),
    (
        "PUT",
        f"/articles/{SLUG}/en",
        {"title": "T", "body": _big_body(), "base_version": 1},
        413,
        "at most 200 kB",
    ),
    (
        "PUT",
        f"/articles/{SLUG}/en",
        {"title": "T", "body": "B", "base_version": 1, "note": "n" * 201},
        400,
        "note is at most 200 characters",
    ),
    (
        "PUT",
        "/articles/no-such-article/en",
        {"title": "T", "body": "B", "base_version": 0},
        404,
        "No article has the slug",
    ),
    ("POST", f"/articles/{SLUG}/en/publish", {"version": 9}, 404, "has no version 9 in 'en'"),
    ("POST", f"/articles/{SLUG}/en/publish", {}, 400, "missing field(s): version"),
    ("POST", f"/articles/{SLUG}/en/publish", {"version": 0}, 400, "version must be a whole number from 1"),
    ("DELETE", f"/articles/{SLUG}/de/publish", None, 404, "has no de translation"),
    ("GET", f"/articles/{SLUG}/en/versions/0", None, 400, "number must be a version number from 1"),
    ("GET", f"/articles/{SLUG}/en/versions/two", None, 400, "number must be a version number"),
    ("GET", f"/articles/{SLUG}/en/versions/7", None, 404, "has no version 7"),
    ("GET", f"/articles/{SLUG}/en/diff?from=1", None, 400, "missing: to"),
    ("GET", f"/articles/{SLUG}/en/diff?from=1&to=x", None, 400, "to must be a version number"),
    ("POST", "/articles/preview", {"body": 5}, 400, "body must be a string"),
    ("POST", "/articles/preview", {"body": _big_body()}, 413, "at most 200 kB"),
    ("POST", "/articles/images", {"data": "not base64!"}, 400, "base64"),
    (
        "POST",
        "/articles/images",
        {"data": base64.b64encode(b"<svg onload=alert(1)>").decode()},
        400,
        "must be a PNG, JPEG, GIF or WebP",
    ),
    ("POST", "/articles/images", {"data": ""}, 400, "The image is empty"),
    (
        "POST",
        "/articles/images",
        {"data": base64.b64encode(PIXEL + b"\0" * MAX_IMAGE_BYTES).decode()},
        413,
        "at most 2 MB",
    ),
]


def test_bad_input_is_refused_in_words(sam: Api) -> None:
    _create(sam)
    for method, path, body, status, words in BAD_REQUESTS:
        answer = sam.call(method, path, body, _spec_path(path))

        assert answer.status_code == status, (method, path, answer.body)
        assert words in body_of(answer)["message"], (method, path, body_of(answer))
        # And nothing was written: the article is as it was made
        article = sam.ok("GET", f"/articles/{SLUG}", spec_path="/articles/{slug}")["article"]
        assert (article["version"], article["category"]) == (1, "billing"), (method, path)
        assert article["translations"]["en"]["draft_version"] == 1, (method, path)
        assert article["translations"]["en"]["status"] == "draft", (method, path)
    # The list holds the one article still (the refused creations made none)
    assert list(_listed(sam)) == [SLUG]


def _spec_path(path: str) -> str:
    """The path of the spec a request path falls under."""
    parts = path.split("?")[0].strip("/").split("/")
    if parts[1:] and parts[1] in ("preview", "images"):
        return "/" + "/".join(parts)
    named = ["articles", "{slug}", "{lang}"][: len(parts)]
    if len(parts) >= 4:
        named = ["articles", "{slug}", "{lang}", parts[3], *(["{number}"] if parts[3] == "versions" else [])]
    return "/" + "/".join(named)


# -- preview and images ----------------------------------------------------------------------------


def test_the_preview_is_the_help_centers_html(client: Client, sam: Api) -> None:
    answer = sam.ok(
        "POST",
        "/articles/preview",
        {"body": "# Billing\n\nPay by <script>alert(1)</script> **card**.\n"},
        spec_path="/articles/preview",
    )
    html = answer["html"]
    # The article's first heading is the page's second (the page's title is the first), with an id
    assert '<h2 id="billing">Billing</h2>' in html
    assert "<strong>card</strong>" in html
    # Raw HTML is shown as typed, never run
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert sam.ok("POST", "/articles/preview", {"body": ""}, spec_path="/articles/preview") == {"html": ""}


def test_an_image_is_uploaded_and_served_by_the_help_center(desk: Desk, client: Client, sam: Api) -> None:
    answer = sam.call(
        "POST",
        "/articles/images",
        {
            "data": base64.b64encode(PIXEL).decode(),
            "content_type": "image/png",
            "filename": "billing page.png",
        },
        "/articles/images",
    )
    assert answer.status_code == 201, answer.body
    uploaded = body_of(answer)
    assert uploaded["name"].endswith(".png") and len(uploaded["name"]) == len("0123456789abcdef.png")
    # The help center's address of it, on the desk's public address
    path = f"/help/images/{uploaded['name']}"
    assert uploaded["url"] == f"{desk.settings.survey.public_url}{path}"
    assert uploaded["markdown"] == f"![billing page]({uploaded['url']})"
    # (as a browser asks for an image: API Gateway hands a binary body only to who accepts it)
    served = client.http.get(path, headers={"Accept": "image/avif,image/webp,image/png,image/*,*/*;q=0.8"})
    assert served.status_code == 200 and served.body == PIXEL
    # And an article showing it previews with the image in place
    html = sam.ok("POST", "/articles/preview", {"body": uploaded["markdown"]}, spec_path="/articles/preview")[
        "html"
    ]
    assert f'src="{path}"' in html


# -- who may do what -------------------------------------------------------------------------------

# Every route of the knowledge base's agent API, as a request on the article SLUG.
ROUTES = [
    ("GET", "/articles", None),
    ("POST", "/articles", {"category": "billing", "language": "en", "title": "Refunds", "body": "B"}),
    ("POST", "/articles/preview", {"body": "Hello"}),
    ("POST", "/articles/images", {"data": base64.b64encode(PIXEL).decode()}),
    ("GET", f"/articles/{SLUG}", None),
    ("PATCH", f"/articles/{SLUG}", {"version": 1, "category": "account"}),
    ("GET", f"/articles/{SLUG}/en", None),
    ("PUT", f"/articles/{SLUG}/en", {"title": "T", "body": "B", "base_version": 1}),
    ("POST", f"/articles/{SLUG}/en/publish", {"version": 1}),
    ("DELETE", f"/articles/{SLUG}/en/publish", None),
    ("GET", f"/articles/{SLUG}/en/versions/1", None),
    ("GET", f"/articles/{SLUG}/en/diff?from=1&to=1", None),
    ("DELETE", f"/articles/{SLUG}", None),
]


def test_every_route_is_in_the_list_and_the_app() -> None:
    from tests.integration.conftest import chalice_app

    routes = {(method, path) for path, entries in chalice_app().routes.items() for method in entries}
    ours = {(method, _spec_path(path)) for method, path, _ in ROUTES}
    assert ours == {route for route in routes if route[1].startswith("/articles")}


def test_without_a_token_every_route_is_a_401(client: Client, sam: Api) -> None:
    _create(sam)
    for method, path, body in ROUTES:
        answer = Api(client, None).call(method, path, body, _spec_path(path))
        assert answer.status_code == 401, (method, path, answer.body)
        assert body_of(answer)["error"] == "Unauthenticated"
    assert sam.call("GET", f"/articles/{SLUG}").status_code == 200


def test_an_agent_does_everything_but_delete_an_article(sam: Api) -> None:
    _create(sam)
    for method, path, body in ROUTES:
        answer = sam.call(method, path, body, _spec_path(path))
        if (method, path) == ("DELETE", f"/articles/{SLUG}"):
            assert answer.status_code == 403, answer.body
            assert body_of(answer) == {"error": "Forbidden", "message": "Your role does not allow this."}
        else:
            assert answer.status_code < 300, (method, path, answer.body)
    assert sam.call("GET", f"/articles/{SLUG}").status_code == 200


def test_a_read_token_reads_and_cannot_write(desk: Desk, sam: Api, client: Client) -> None:
    _create(sam)
    agents = AgentStore(desk.settings.tables.agents, desk.settings.region)
    _, read = agents.create_token(SAM, "Dashboard", TokenScope.READ, 30, SAM, desk.now())
    reader = Api(client, read)

    for method, path, body in ROUTES:
        answer = reader.call(method, path, body, _spec_path(path))

        if method == "GET":
            assert answer.status_code == 200, (method, path, answer.body)
        elif (method, path) == ("DELETE", f"/articles/{SLUG}"):
            # An agent's token, whatever its scope, is refused the admins' route for the role
            assert answer.status_code == 403, answer.body
        else:
            assert answer.status_code == 403, (method, path, answer.body)
            assert "read scope" in body_of(answer)["message"], (method, path)
    article = sam.ok("GET", f"/articles/{SLUG}", spec_path="/articles/{slug}")["article"]
    assert (article["version"], article["translations"]["en"]["draft_version"]) == (1, 1)
    assert list(_listed(sam)) == [SLUG]
