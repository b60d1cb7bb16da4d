"""A path no route serves gets the answer the deployed API gives (its gateway response in
infra/template.json): a 404 in words, never the caller's token echoed back."""

from __future__ import annotations

import json

import pytest

from postdesk_tools.local_server import RunningDesk
from tests.e2e.desk_api import call_api

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("method", "path"), [("GET", "/nonexistent"), ("POST", "/tickets/A/b/c")])
def test_a_path_no_route_serves_is_a_404_in_words_without_the_token(
    desk: RunningDesk, method: str, path: str
) -> None:
    token = desk.add_agent(f"ivo.{method.lower()}.{len(path)}@example.com", "Ivo Marin")
    status, document = call_api(desk, token, method, path)
    assert status == 404
    assert document["error"] == "NotFound" and "No such route" in document["message"]
    assert token not in json.dumps(document)
