"""The layers of docs/architecture.md, checked on the imports of every module of the package: a module
imports only from its own layer or the layers below it, and nothing in the package imports the tools
or Chalice (but the one module that is Chalice's glue)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "postdesk"

# Lowest first; each entry is a module or a package (every module under it). docs/architecture.md
# draws the same.
LAYERS: tuple[tuple[str, ...], ...] = (
    # 1. Foundations: no AWS, no domain.
    ("errors", "clock", "settings", "mailboxes", "signing", "tomlfile", "observability", "rendering"),
    # 2. The domain, pure: mail in and out, understanding it, time targets, the ticket's shape and
    #    states, the names of once-only effects.
    (
        "mail",
        "triage",
        "sla",
        "survey",
        "replies.markdown",
        "replies.variables",
        "replies.sign_off",
        "tickets.model",
        "tickets.refs",
        "tickets.states",
        "tickets.listing",
        "tickets.threading",
        "tickets.stats",
        "tickets.views",
        "effects.keys",
        "search.query",
        "search.documents",
        "search.segments",
        "attachments.names",
        "attachments.types",
        "events",
        "webhooks.model",
        "webhooks.payloads",
        "webhooks.signature",
        "webhooks.endpoints",
        "knowledge.links",
        "knowledge.render",
        "knowledge.model",
        "knowledge.freshness",
        "knowledge.redaction",
    ),
    # 3. Adapters and storage: the only modules that talk to AWS.
    (
        "aws",
        "tickets.dynamo",
        "tickets.items",
        "effects.guards",
        "tickets.store",
        "hygiene",
        "agents",
        "replies.saved",
        "privacy.audit",
        "privacy.store",
        "search.index",
        "ports",
        "attachments",
        "webhooks.store",
        "webhooks.http",
        "auth.accounts",
        "auth.audit",
        "auth.cognito_signin",
        "auth.token_check",
        "auth.sessions",
        "auth.throttle",
        "auth.sso_starts",
        "knowledge.store",
        "knowledge.catalogue",
        "knowledge.figures",
    ),
    # 4. Mechanisms every workflow shares.
    ("effects.retry", "effects.send_once"),
    # 5. Use cases.
    ("workflows", "privacy.records", "privacy.export", "privacy.erase", "auth.sign_in", "auth.sso"),
    # 6. Entry points: what a Lambda function or an HTTP route calls.
    ("runtime", "handlers", "api"),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int | None:
    for level, members in enumerate(LAYERS):
        for member in members:
            if module == member or module.startswith(member + "."):
                return level
    return None


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, whether only for type checking) of every import of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for child in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in typing_only))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, id(node) in typing_only) for alias in node.names)
    return found


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def test_every_module_has_a_layer() -> None:
    assert [_module_name(p) for p in _modules() if _layer(_module_name(p)) is None] == []


def test_modules_import_only_their_layer_and_those_below() -> None:
    upward = []
    for path in _modules():
        module = _module_name(path)
        level = _layer(module)
        assert level is not None
        for imported, typing_only in _imports(path):
            if not imported.startswith("postdesk.") or typing_only:
                continue
            target = _layer(imported.removeprefix("postdesk."))
            if target is not None and target > level:
                upward.append(f"{module} (layer {level + 1}) imports {imported} (layer {target + 1})")
    assert upward == []


def test_the_package_never_imports_the_tools_and_only_its_glue_imports_chalice() -> None:
    offenders = []
    for path in _modules():
        module = _module_name(path)
        for imported, _ in _imports(path):
            if imported.startswith("postdesk_tools"):
                offenders.append(f"{module} imports {imported}")
            if imported.startswith("chalice") and module != "api.routing":
                offenders.append(f"{module} imports {imported}")
    assert offenders == []


def test_only_adapters_and_storage_talk_to_aws() -> None:
    aws_clients = ("boto3", "botocore", "pynamodb")
    talking = {
        _module_name(path)
        for path in _modules()
        for imported, typing_only in _imports(path)
        if imported.split(".")[0] in aws_clients and not typing_only
    }
    assert {module for module in talking if _layer(module) != 2} == set()
