"""The edges of HTTP a client meets besides the routes' own work: what Chalice answers itself (a body
type a route does not take, a method a path lacks) in the desk's shape and words, HEAD on the pages
and the console's files (their GET without the body), and redirects that say they are HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.app import Request, Response
from chalice.test import Client

from postdesk.api.routing import in_the_desks_shape
from postdesk.knowledge.figures import KnowledgeFigures
from postdesk.sla.policy import load_policy
from postdesk.workflows.knowledge import import_seed
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail


def _text(response: Any) -> str:
    body = response.body
    return body.decode() if isinstance(body, bytes) else str(body)


# -- Chalice's own answers, in the desk's shape ---------------------------------------------------


def test_a_body_of_the_wrong_type_is_a_415_in_the_desks_shape_and_words(
    desk: Desk, client: Client, token: str
) -> None:
    ref = desk.deliver(build_mail()).ref

    answer = client.http.post(
        f"/tickets/{ref}/notes", headers={**auth(token), "Content-Type": "text/plain"}, body="A note"
    )

    assert answer.status_code == 415
    assert answer.headers["Content-Type"] == "application/json"
    body = body_of(answer)
    assert set(body) == {"error", "message"} and body["error"] == "UnsupportedMediaType"
    assert body["message"] == (
        "This route takes a body of type application/json, and the request's Content-Type is "
        "text/plain: send the body as application/json (Content-Type: application/json)."
    )


def test_a_form_route_names_the_form_type(desk: Desk, client: Client) -> None:
    answer = client.http.post(
        "/help/en/articles/x/votes", headers={"Content-Type": "application/json"}, body="{}"
    )

    assert answer.status_code == 415
    assert "application/x-www-form-urlencoded" in body_of(answer)["message"]


def test_a_method_the_path_lacks_is_a_405_in_the_desks_shape(desk: Desk, client: Client) -> None:
    answer = client.http.delete("/console")

    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    assert body_of(answer) == {
        "error": "MethodNotAllowed",
        "message": f"This path does not take DELETE; it takes {answer.headers['Allow']}.",
    }


def _request(method: str = "GET") -> Request:
    return Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": {},
            "pathParameters": None,
            "requestContext": {"httpMethod": method, "resourcePath": "/x"},
            "body": None,
            "isBase64Encoded": False,
            "stageVariables": None,
        }
    )


def test_an_error_chalice_caught_is_a_500_that_tells_nothing() -> None:
    caught = Response(
        body={"Code": "InternalServerError", "Message": "An internal server error occurred."}, status_code=500
    )

    answer = in_the_desks_shape(_request(), caught, {})

    assert answer.status_code == 500
    assert answer.body == '{"error": "InternalError", "message": "Something went wrong on our side."}'


def test_a_binary_answer_not_asked_for_says_which_accept_header_to_send() -> None:
    refused = Response(
        body={
            "Code": "BadRequest",
            "Message": "Request did not specify an Accept header with image/png, The response has a "
            "Content-Type of image/png. If a response has a binary Content-Type then the request must "
            "specify an Accept header that matches.",
        },
        status_code=400,
    )

    answer = in_the_desks_shape(_request(), refused, {})

    assert answer.status_code == 400
    assert '"error": "NotAcceptable"' in answer.body and "Accept: image/png" in answer.body


def test_the_desks_own_answers_pass_as_they_are() -> None:
    own = Response(body='{"error": "BadRequest", "message": "x"}', status_code=400)

    assert in_the_desks_shape(_request(), own, {}) is own


# -- HEAD -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/console", "/console/merge.js", "/console/app.css"])
def test_head_on_the_console_is_its_get_without_the_body(desk: Desk, client: Client, path: str) -> None:
    got = client.http.get(path)
    head = client.http.head(path)

    assert got.status_code == head.status_code == 200 and got.body
    assert head.body == b""
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert head.headers.get("ETag") == got.headers.get("ETag")


def test_head_on_a_missing_console_file_is_a_404_without_a_body(desk: Desk, client: Client) -> None:
    head = client.http.head("/console/nothing.js")

    assert head.status_code == 404 and head.body == b""


def test_what_chalice_answers_to_head_itself_has_no_body_either(desk: Desk, client: Client) -> None:
    # A body after a HEAD's headers would be read as the start of the connection's next answer
    no_route = client.http.head("/tickets")
    wrong_type = client.http.head("/console", headers={"Content-Type": "multipart/form-data"})

    assert no_route.status_code == 405 and no_route.body == b""
    assert wrong_type.status_code == 415 and wrong_type.body == b""


def _figures(desk: Desk) -> dict[str, dict[str, int]]:
    zone = load_policy(desk.settings.sla_policy_path).calendar.timezone
    figures = KnowledgeFigures(desk.settings.tables.stats, desk.settings.region, zone)
    return figures.recent(datetime.now(UTC).date() + timedelta(days=1), days=3)


def test_head_on_the_help_center_answers_as_get_and_counts_no_reader(desk: Desk, client: Client) -> None:
    # Before the app's first request, so that its catalogue reads the articles at once
    import_seed(desk.settings, desk.ports, root=None, owner="sam@example.com")

    for path in ("/help/en", "/help/en/categories/account", "/help/en/search?q=password"):
        head = client.http.head(path)
        assert head.status_code == 200 and head.body == b"", path
        assert head.headers["Content-Type"].startswith("text/html"), path
    article = client.http.head("/help/en/articles/account-recovery")
    missing = client.http.head("/help/xx")

    assert article.status_code == 200 and article.body == b""
    assert missing.status_code == 404 and missing.body == b""
    assert _figures(desk) == {}
    # while a GET is a reader
    client.http.get("/help/en/articles/account-recovery")
    assert _figures(desk) == {"account-recovery": {"opened": 1}}


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "location"), [("/help", "/help/en/"), ("/", "/console")])
def test_a_redirect_is_an_html_page_with_the_link(
    desk: Desk, client: Client, path: str, location: str
) -> None:
    answer = client.http.get(path, headers={"Accept-Language": "en"})

    assert answer.status_code == 302 and answer.headers["Location"] == location
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<a href="{location}">{location}</a>' in _text(answer)
    head = client.http.head(path, headers={"Accept-Language": "en"})
    assert head.status_code == 302 and head.headers["Location"] == location and head.body == b""
