"""What API Gateway answers itself (no route, a body over its limit, throttling, a timeout, a failed
function) is said in the desk's shape `{"error", "message"}`, in words, as every answer of the app:
the gateway responses of RestAPI in infra/template.json, and the local stack's mirror of them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from postdesk import errors
from postdesk.api.http import _STATUS, INTERNAL_ERROR
from postdesk_tools.local_server import gateway_response
from postdesk_tools.provision import template

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
# Every response type a client of the desk can meet, with the status it answers (None: the status
# API Gateway had, kept). The desk has no authorizer, API keys or WAF: those end in DEFAULT_4XX.
EXPECTED = {
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "MISSING_AUTHENTICATION_TOKEN": "404",
    "RESOURCE_NOT_FOUND": "404",
    "BAD_REQUEST_BODY": "400",
    "BAD_REQUEST_PARAMETERS": "400",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "REQUEST_TOO_LARGE": "413",
    "THROTTLED": "429",
    "QUOTA_EXCEEDED": "429",
    "INTEGRATION_TIMEOUT": "504",
    "INTEGRATION_FAILURE": "502",
}
# The names the app's own answers use beyond postdesk/errors.py's classes (api/routing.py, api/http.py).
APP_NAMES = {INTERNAL_ERROR["error"], "UnsupportedMediaType", "MethodNotAllowed", "NotAcceptable"}
# What API Gateway may put in a template here: the request's id, nothing the caller wrote.
CONTEXT = re.compile(r"\$context\.[A-Za-z]+(?:\.[A-Za-z]+)*")


def _responses() -> dict[str, Any]:
    responses: dict[str, Any] = template()["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    return responses


def _status_of_category(name: str) -> int | None:
    """The status the app answers for the error class ``name`` of postdesk/errors.py."""
    kind = getattr(errors, name, None)
    if not isinstance(kind, type) or not issubclass(kind, Exception):
        return None
    return next((answer.status for category, answer in _STATUS.items() if issubclass(kind, category)), None)


def test_every_response_a_client_can_meet_is_there_with_its_status() -> None:
    responses = _responses()

    assert set(EXPECTED) <= set(responses)
    assert {kind: responses[kind].get("StatusCode") for kind in EXPECTED} == EXPECTED


def test_no_gateway_response_is_a_resource_of_its_own() -> None:
    # A GatewayResponse resource is applied at the API's next deployment, which CloudFormation may
    # make before it: in the API's definition (SAM's GatewayResponses) they are part of the deployment.
    kinds = {resource["Type"] for resource in template()["Resources"].values()}

    assert "AWS::ApiGateway::GatewayResponse" not in kinds


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_answers_json_in_the_desks_shape_in_words(kind: str) -> None:
    response = _responses()[kind]
    said = response["ResponseTemplates"]["application/json"]

    assert set(CONTEXT.findall(said)) <= {"$context.requestId"}
    document = json.loads(said.replace("$context.requestId", "c0ffee00-0000-4000-8000-000000000000"))
    assert set(document) == {"error", "message"}
    assert re.fullmatch(r"[A-Z][A-Za-z]+", document["error"])
    assert len(document["message"]) > 30 and document["message"].endswith(".")
    assert "{" not in document["message"] and "Missing Authentication Token" not in document["message"]
    headers = response["ResponseParameters"]["Headers"]
    assert headers["Content-Type"] == "'application/json'"
    assert all(value.startswith("'") and value.endswith("'") for value in headers.values())


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_names_an_error_the_desk_has_with_its_status(kind: str) -> None:
    response = _responses()[kind]
    name = json.loads(response["ResponseTemplates"]["application/json"])["error"]
    status = response.get("StatusCode")

    category_status = _status_of_category(name)
    if category_status is not None:
        # A class of postdesk/errors.py: the status the app answers for it, or the kept one.
        assert status is None or int(status) == category_status, (name, status, category_status)
    elif name == INTERNAL_ERROR["error"]:
        assert status is None or int(status) >= 500
    else:
        # An answer only the gateway gives: named in the API's contract.
        assert name in APP_NAMES or f"`{name}`" in OPENAPI.read_text(encoding="utf-8"), name


def test_a_throttled_client_is_told_when_to_try_again() -> None:
    headers = _responses()["THROTTLED"]["ResponseParameters"]["Headers"]

    assert int(headers["Retry-After"].strip("'")) >= 1


def test_the_local_stack_answers_as_the_gateway_does() -> None:
    status, headers, body = gateway_response("REQUEST_TOO_LARGE", "local-1")
    document = json.loads(body)

    assert status == 413 and headers["Content-Type"] == "application/json"
    assert document["error"] == "PayloadTooLarge" and "10 MB" in document["message"]
    status, _, body = gateway_response("DEFAULT_5XX", "local-2")
    assert status == 500 and "local-2" in json.loads(body)["message"]
