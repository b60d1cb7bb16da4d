"""A request body the API cannot read as plain JSON is a 400 in words, never a 500: a name given
twice in one object, NaN or Infinity, nesting deeper than the parser goes."""

from __future__ import annotations

import pytest

from postdesk.api.http import ApiRequest, error_response
from postdesk.errors import BadRequest

FIELDS = frozenset({"body", "version"})


def _read(body: bytes) -> object:
    return ApiRequest("POST", {}, {}, {}, body).json_body(FIELDS)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"body": "a", "body": "b"}', "the request body gives body more than once: give each once"),
        (b'{"body": "a", "version": {"x": 1, "x": 2}}', "gives x more than once"),
        (b'{"version": NaN}', "the request body is not valid JSON: NaN is not a JSON number"),
        (b'{"version": -Infinity}', "-Infinity is not a JSON number"),
        (b"[" * 100_000 + b"]" * 100_000, "the request body is nested too deeply to be read"),
        (b'{"body": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested too deeply"),
        (b'{"body":', "the request body is not valid JSON"),
    ],
)
def test_what_is_not_plain_json_is_a_400_in_words(body: bytes, said: str) -> None:
    with pytest.raises(BadRequest) as refused:
        _read(body)

    answer = error_response(refused.value)
    assert answer.status == 400 and said in answer.body["message"]


def test_plain_json_is_read_as_it_is() -> None:
    assert _read(b'{"body": "a", "version": 3}') == {"body": "a", "version": 3}
