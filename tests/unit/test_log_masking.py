"""What the desk's log masks: addresses anywhere in a line, the quoted parts of broken-mail
descriptions that are more than a bare token, the addresses in an error leaving a handler, and the
libraries' request dumps at DEBUG."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from postdesk.handlers import masked_failures
from postdesk.mail.parse import parse_message
from postdesk.observability import QUIET_LIBRARIES, mask_quoted_values, masked_exception


@pytest.mark.parametrize(
    ("defect", "logged"),
    [
        (
            "invalid Content-Type 'Jane Doe contract; name=\"Jane Doe contract.pdf\"'",
            "invalid Content-Type '…'",
        ),
        ("invalid message id 'jane.doe@example.com' dropped", "invalid message id '…' dropped"),
        ('invalid Content-Type "it\'s Jane"', "invalid Content-Type '…'"),
        # Bare tokens stay: they are what an operator needs
        ("text/plain part: unknown charset 'X-UNKNOWN'; decoded as UTF-8", None),
        ("unknown Content-Transfer-Encoding 'x-uuencode2'; content kept as it was", None),
        ("header 'subject' longer than 1000 bytes; cut", None),
        ("multipart/mixed has no closing boundary", None),
    ],
)
def test_defects_keep_only_bare_tokens_of_what_the_sender_wrote(defect: str, logged: str | None) -> None:
    assert mask_quoted_values(defect) == (logged or defect)


def test_every_defect_of_a_mail_with_a_name_in_its_headers_logs_without_it() -> None:
    raw = (
        b"From: Jane Doe <jane@example.com>\r\n"
        b"Message-ID: <jane.doe at example.com>, jane.doe@@example.com\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\n"
        b'Content-Type: Jane Doe papers; name="Jane Doe.pdf"\r\n\r\nx\r\n'
    )
    defects = parse_message(raw).defects

    assert any("Jane" in defect for defect in defects)
    assert not [defect for defect in map(mask_quoted_values, defects) if "Jane" in defect or "jane" in defect]


def test_an_error_leaving_a_handler_has_its_addresses_masked_and_keeps_its_type() -> None:
    @masked_failures
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            raise ValueError("first try for Jane.Doe@Example.com")
        except ValueError as cause:
            raise ClientError(
                {"Error": {"Code": "MessageRejected", "Message": "not verified: Jane.Doe@Example.com"}},
                "SendRawEmail",
            ) from cause

    with pytest.raises(ClientError, match="MessageRejected") as raised:
        handler({}, None)

    assert "Jane.Doe" not in str(raised.value) and "***@example.com" in str(raised.value)
    assert raised.value.__cause__ is not None and "Jane" not in str(raised.value.__cause__)


def test_errors_without_text_arguments_are_left_as_they_are() -> None:
    error = OSError(2, "No such file")

    assert masked_exception(error) is error and error.args == (2, "No such file")


def test_the_libraries_never_log_below_info() -> None:
    for name in QUIET_LIBRARIES:
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO, name
    seen: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("botocore.endpoint").debug("Making request with params: %s", {"body": "secret"})
        logging.getLogger("pynamodb.connection.base").debug("Calling PutItem with arguments %s", {"a": 1})
        logging.getLogger("botocore.credentials").info("Found credentials in environment variables.")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert seen == ["Found credentials in environment variables."]
