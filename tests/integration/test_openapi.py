"""docs/openapi.yaml describes the API the app really has: the same routes and methods, the same path
parameters, and real answers that validate against the documented schemas."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from chalice.test import Client
from jsonschema import Draft202012Validator

from tests.integration.conftest import Desk, auth, body_of, chalice_app
from tests.mails import build_mail

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = ("get", "head", "put", "post", "delete", "patch")


@cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def _resolve(node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A node and, when it was a $ref, the JSON pointer it points at."""
    reference = node.get("$ref")
    if reference is None:
        return node, None
    target: Any = spec()
    for part in reference.removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target, reference.removeprefix("#")


def _documented_routes() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, operations in spec()["paths"].items()
        for method in operations
        if method in METHODS
    }


def test_every_route_of_the_app_is_documented_and_nothing_else() -> None:
    app_routes = {(path, method) for path, methods in chalice_app().routes.items() for method in methods}
    assert app_routes == _documented_routes()


def test_every_path_parameter_is_declared() -> None:
    for path, operations in spec()["paths"].items():
        in_path = set(re.findall(r"{(\w+)}", path))
        for method in (m for m in operations if m in METHODS):
            declared = {
                _resolve(parameter)[0]["name"]
                for parameter in [
                    *operations.get("parameters", []),
                    *operations[method].get("parameters", []),
                ]
                if _resolve(parameter)[0]["in"] == "path"
            }
            assert declared == in_path, (path, method)


def test_every_protected_operation_documents_401() -> None:
    # A public operation answers 401 only where it is a sign-in that was refused (a wrong password).
    refused_sign_in = {"$ref": "#/components/responses/SignInRefused"}
    for path, operations in spec()["paths"].items():
        for method in (m for m in operations if m in METHODS):
            operation = operations[method]
            protected = operation.get("security", spec()["security"]) != []
            documented = operation["responses"].get("401")
            assert (documented is not None) == protected or documented == refused_sign_in, (path, method)


def _check(response: Any, path: str, method: str) -> Any:
    """The answer's body, after checking that its status is documented and its body fits the schema."""
    responses = spec()["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path} answered {status}, which is not documented"
    documented, pointer = _resolve(responses[status])
    base = pointer or "/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/{method}/responses/{status}"
    body = body_of(response)
    content = documented.get("content", {})
    if "application/json" in content:
        schema = {**spec(), "$ref": f"#{base}/content/application~1json/schema"}
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
        assert not errors, f"{method.upper()} {path} {status}: {errors[0].message} at {list(errors[0].path)}"
    return body


def test_real_answers_match_the_documented_schemas(
    desk: Desk, client: Client, token: str, admin_token: str
) -> None:
    ref = desk.deliver(build_mail(html="<p>Hello <b>there</b></p>")).ref
    headers = auth(token)

    _check(client.http.get("/me", headers=headers), "/me", "get")
    _check(client.http.get("/agents", headers=headers), "/agents", "get")
    _check(client.http.get("/tickets", headers=headers), "/tickets", "get")
    _check(client.http.get("/tickets?limit=0", headers=headers), "/tickets", "get")
    _check(client.http.get("/tickets"), "/tickets", "get")
    shown = _check(client.http.get(f"/tickets/{ref}?full=true", headers=headers), "/tickets/{ref}", "get")
    _check(client.http.get("/tickets/AAAA-BBBB", headers=headers), "/tickets/{ref}", "get")
    version = shown["ticket"]["version"]
    _check(
        client.http.patch(
            f"/tickets/{ref}", headers=headers, body=json.dumps({"version": version, "priority": "high"})
        ),
        "/tickets/{ref}",
        "patch",
    )
    for stale in (
        {"version": version, "priority": "low"},
        {"priority": "low"},
        {"version": version + 1, "status": "new"},
    ):
        _check(
            client.http.patch(f"/tickets/{ref}", headers=headers, body=json.dumps(stale)),
            "/tickets/{ref}",
            "patch",
        )
    _check(
        client.http.post(f"/tickets/{ref}/notes", headers=headers, body='{"body": "A note"}'),
        "/tickets/{ref}/notes",
        "post",
    )
    _check(
        client.http.post(f"/tickets/{ref}/replies", headers=headers, body='{"body": "Thanks!"}'),
        "/tickets/{ref}/replies",
        "post",
    )
    _check(
        client.http.post(f"/tickets/{ref}/replies", headers=headers, body='{"text": "x"}'),
        "/tickets/{ref}/replies",
        "post",
    )
    created = _check(
        client.http.post(
            "/saved-replies",
            headers=auth(admin_token),
            body='{"title": "Hi", "body": "Hi {{ customer.first_name }}"}',
        ),
        "/saved-replies",
        "post",
    )
    _check(
        client.http.post("/saved-replies", headers=headers, body='{"title": "Hi", "body": "Hi"}'),
        "/saved-replies",
        "post",
    )
    _check(client.http.get("/saved-replies", headers=headers), "/saved-replies", "get")
    reply_id = created["saved_reply"]["id"]
    for preview in (
        {"body": "Hi {{ customer.first_name }}", "ref": ref},
        {"body": "Hi {{ customer.first_name }}"},
        {"body": "Hi {{ customer.age }}"},
        {"body": "Hi", "ref": "AAAA-BBBB"},
    ):
        _check(
            client.http.post("/saved-replies/preview", headers=headers, body=json.dumps(preview)),
            "/saved-replies/preview",
            "post",
        )
    client.http.post(
        f"/tickets/{ref}/replies",
        headers=headers,
        body=json.dumps({"saved_reply_id": reply_id, "status": "resolved"}),
    )
    report = _check(client.http.get("/metrics", headers=auth(admin_token)), "/metrics", "get")
    assert [row["uses"] for row in report["saved_replies"]] == [1]
    _check(
        client.http.put(
            f"/saved-replies/{reply_id}",
            headers=auth(admin_token),
            body='{"title": "Hello", "body": "Hello"}',
        ),
        "/saved-replies/{id}",
        "put",
    )
    _check(
        client.http.delete(f"/saved-replies/{reply_id}", headers=auth(admin_token)),
        "/saved-replies/{id}",
        "delete",
    )
    _check(
        client.http.delete(f"/saved-replies/{reply_id}", headers=auth(admin_token)),
        "/saved-replies/{id}",
        "delete",
    )
    _check(client.http.get("/kb?q=refund", headers=headers), "/kb", "get")
    _check(client.http.get("/kb", headers=headers), "/kb", "get")
