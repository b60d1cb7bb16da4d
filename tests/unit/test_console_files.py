"""The console's files as the API serves them: exactly the modules and style sheet of its folder,
each with its type, every import of a module naming one of them, index.html preloading all that
app.js needs, and no module turning data into markup."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from postdesk.api.console import ASSET_TYPES, CONSOLE_DIR, asset, console_files, index_page
from postdesk.api.context import ApiContext
from postdesk.api.http import ApiRequest
from postdesk.triage.screening import NO_SIGNAL, Verdict

MODULES = sorted(path.name for path in CONSOLE_DIR.glob("*.js"))
# `import { a, b as c } from "./d.js";`, `import * as d from "./d.js";`, `import "./d.js";` and
# `export { a } from "./d.js";` (what is between the keyword and the quote cannot be code).
STATIC_IMPORT = re.compile(
    r'^\s*(?:import\s*(?:[\w$*{},\s]+?\sfrom\s*)?|export\s*(?:\*|\{[^}]*\})\s*from\s*)"([^"]+)"', re.MULTILINE
)
# Ways to make markup or code from a string: the console builds elements (dom.js) instead.
MARKUP_SINKS = (
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "document.write",
    "eval(",
    "new Function",
    "DOMParser",
)
# The no-context routes never look at their context.
NO_CONTEXT = cast(ApiContext, None)


class _Bucket:
    """The mail bucket, as far as the page needs it: where browsers upload attachments."""

    def upload_origin(self) -> str:
        return "https://mail.s3.eu-west-1.amazonaws.com"


PAGE_CONTEXT = cast(ApiContext, SimpleNamespace(blobs=_Bucket()))


def _get(name: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = ApiRequest("GET", {"asset": name}, {}, headers or {}, None, f"/console/{name}")
    answer = asset(request, NO_CONTEXT)
    return answer.status, dict(answer.headers), str(answer.body) if isinstance(answer.body, str) else ""


def _imports(module: str) -> list[str]:
    return STATIC_IMPORT.findall((CONSOLE_DIR / module).read_text(encoding="utf-8"))


def _needed_by(entry: str) -> set[str]:
    needed: set[str] = set()
    waiting = [entry]
    while waiting:
        for specifier in _imports(waiting.pop()):
            name = specifier.removeprefix("./")
            if name not in needed:
                needed.add(name)
                waiting.append(name)
    return needed


def test_the_served_files_are_the_modules_and_style_sheet_of_the_folder() -> None:
    assert MODULES and "app.js" in MODULES
    assert dict(ASSET_TYPES) == {
        **dict.fromkeys(MODULES, "text/javascript; charset=utf-8"),
        "app.css": "text/css; charset=utf-8",
    }


@pytest.mark.parametrize("name", [*MODULES, "app.css"])
def test_each_file_comes_with_its_type_the_security_headers_and_an_etag(name: str) -> None:
    status, headers, body = _get(name)
    assert status == 200
    assert headers["Content-Type"] == ASSET_TYPES[name]
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self';")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert body == (CONSOLE_DIR / name).read_text(encoding="utf-8")
    # Asked again with the tag it got: unchanged, so no body
    again, again_headers, again_body = _get(name, {"if-none-match": headers["ETag"]})
    assert (again, again_body, again_headers["ETag"]) == (304, "", headers["ETag"])


@pytest.mark.parametrize(
    "name",
    [
        "index.html",
        "../api/console.py",
        "..%2Fapi%2Fconsole.py",
        "sub/app.js",
        "app.js.map",
        "APP.JS",
        "",
        ".",
    ],
)
def test_any_other_name_is_404(name: str) -> None:
    status, headers, _ = _get(name)
    assert status == 404
    assert headers["Content-Type"] == "application/json"


def test_the_page_itself_is_never_cached_nor_answered_304() -> None:
    request = ApiRequest("GET", {}, {"q": "müller"}, {"if-none-match": "*"}, None, "/console")
    answer = index_page(request, PAGE_CONTEXT)
    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "no-store"
    # Its scripts may upload attachments to the mail bucket, and connect nowhere else
    assert (
        "connect-src 'self' https://mail.s3.eu-west-1.amazonaws.com;"
        in answer.headers["Content-Security-Policy"]
    )
    assert "ETag" not in answer.headers


def test_only_files_named_as_console_files_are_listed(tmp_path: Path) -> None:
    for name in (
        "app.js",
        "url-state.js",
        "app.css",
        "index.html",
        "app.js.map",
        "Upper.js",
        "two.dots.js",
        "-a.js",
    ):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.js").write_text("x", encoding="utf-8")
    (tmp_path / "folder.js").mkdir()
    (tmp_path / "elsewhere.js").symlink_to(tmp_path / "sub" / "inner.js")
    assert set(console_files(tmp_path)) == {"app.js", "url-state.js", "app.css"}


@pytest.mark.parametrize("module", MODULES)
def test_every_import_names_a_served_module_beside_it(module: str) -> None:
    for specifier in _imports(module):
        assert specifier.startswith("./") and "/" not in specifier.removeprefix("./"), specifier
        assert specifier.removeprefix("./") in ASSET_TYPES, (
            f"{module} imports {specifier}, which is not served"
        )


# The classic script that says when the modules could not load: it cannot be one of them.
LOAD_CHECK = "load-check.js"


def test_every_module_is_used_and_preloaded_by_the_page() -> None:
    needed = _needed_by("app.js")
    assert needed | {"app.js", LOAD_CHECK} == set(MODULES), (
        "a module nothing imports, or an import of a missing one"
    )
    page = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="console/([^"]+)">', page))
    assert preloaded == needed
    assert '<script type="module" src="console/app.js"></script>' in page
    assert f'<script src="console/{LOAD_CHECK}"></script>' in page
    assert not _imports(LOAD_CHECK)


@pytest.mark.parametrize("module", MODULES)
def test_no_module_turns_data_into_markup(module: str) -> None:
    text = (CONSOLE_DIR / module).read_text(encoding="utf-8")
    assert [sink for sink in MARKUP_SINKS if sink in text] == []
    # The only documents made from a string are sandboxed frames: a customer's sanitized HTML
    # (ticket.js) and a reply's HTML as the API renders it for a preview (reply-preview.js).
    assert ("srcdoc" in text) == (module in ("ticket.js", "reply-preview.js"))


def test_the_ticket_page_hides_the_screening_line_of_a_plain_accept_as_the_screening_writes_it() -> None:
    # The page hides the one screening line that says nothing (a mail with no automatic, list,
    # bounce or spam signal); it must match what ingest stores, "verdict: reason".
    ticket_js = (CONSOLE_DIR / "ticket.js").read_text(encoding="utf-8")
    (shown,) = re.findall(r'const PLAIN_ACCEPT = "([^"]*)";', ticket_js)
    assert shown == f"{Verdict.ACCEPT.value}: {NO_SIGNAL}"
