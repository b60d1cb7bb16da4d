"""Every error of a route becomes one JSON answer: a missing part of the stack is a 503 in words,
anything unforeseen a 500 that says nothing of the inside."""

from __future__ import annotations

from botocore.exceptions import ClientError
from pynamodb.exceptions import QueryError

from postdesk.api.http import error_response


def _missing_table() -> QueryError:
    cause = ClientError(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}}, "Query"
    )
    try:
        raise QueryError("Failed to query items", cause) from cause
    except QueryError as error:
        return error


def test_a_table_that_is_not_there_is_a_503_in_words() -> None:
    answer = error_response(_missing_table())
    assert answer.status == 503
    assert answer.body == {
        "error": "Unavailable",
        "message": "A part of the desk is not set up or not reachable; try again later.",
    }


def test_an_unforeseen_error_is_a_500_that_tells_nothing_of_the_inside() -> None:
    answer = error_response(KeyError("secret detail"))
    assert answer.status == 500
    assert answer.body == {"error": "InternalError", "message": "Something went wrong on our side."}
