"""The acknowledgement quotes the customer's mail as they wrote it: paragraphs stay paragraphs."""

from __future__ import annotations

import pytest

from postdesk.mail.compose import quoted_lines
from tests.integration.conftest import Desk
from tests.mails import build_mail

LETTER = "Hello,\n\nsince yesterday I cannot sign in.\nThe page stays white.\n\n\n\nThanks,\nAlice\n"


def test_the_quote_keeps_the_blank_lines_between_paragraphs(desk: Desk) -> None:
    desk.deliver(build_mail(subject="Cannot sign in", body=LETTER))
    (ack,) = desk.sent()
    text = ack.message.get_body(("plain",)).get_content()
    html = ack.message.get_body(("html",)).get_content()

    quote = [line for line in text.splitlines() if line.startswith("  >")]
    assert quote == [
        "  > Hello,",
        "  > ",
        "  > since yesterday I cannot sign in.",
        "  > The page stays white.",
        "  > ",
        "  > Thanks,",
        "  > Alice",
    ]
    assert "Hello,<br><br>since yesterday I cannot sign in.<br>The page stays white.<br><br>Thanks," in html


@pytest.mark.parametrize(
    ("text", "most", "quoted"),
    [
        ("\n\n  \nHello,\n\n\nBye\n\n", 12, ["Hello,", "", "Bye"]),  # blank runs become one, none at the ends
        ("a\n\nb\n\nc\n\nd", 2, ["a", "", "b", "[…]"]),  # at most ``most`` lines of words, the cut shown
        ("a\r\n\r\nb", 12, ["a", "", "b"]),
        ("  indented\n", 12, ["  indented"]),
        ("", 12, []),
    ],
)
def test_quoted_lines(text: str, most: int, quoted: list[str]) -> None:
    assert quoted_lines(text, most) == quoted
