"""The acknowledgement's "Your message" shows where it leaves the rest of a long mail out: a reader
must never take a cut quote for all they wrote (nor get a whole novel back)."""

from __future__ import annotations

import pytest

from postdesk.mail.compose import QUOTE_CUT, quoted_lines
from tests.integration.conftest import Desk
from tests.mails import build_mail

PARAGRAPH = "When I open the app on my phone, the notes I wrote on my laptop are missing until I restart it."


def _quote(desk: Desk) -> list[str]:
    (ack,) = desk.sent()
    text = ack.message.get_body(("plain",)).get_content()
    return [line for line in text.splitlines() if line.startswith("  >")]


def test_a_long_mail_is_quoted_in_part_and_says_so(desk: Desk) -> None:
    body = "Hello,\n\n" + "\n\n".join(f"{n}. {PARAGRAPH}" for n in range(1, 40)) + "\n\nRegards\nLee"
    desk.deliver(build_mail(subject="Notes do not sync", body=body))
    quote = _quote(desk)
    assert quote[-1] == f"  > {QUOTE_CUT}"
    assert "  > Lee" not in quote
    html = desk.sent()[0].message.get_body(("html",)).get_content()
    assert QUOTE_CUT in html


def test_a_whole_short_mail_has_no_mark(desk: Desk) -> None:
    desk.deliver(build_mail(subject="Cannot sign in", body="Hello,\n\nI cannot sign in.\n\nLee"))
    assert QUOTE_CUT not in "\n".join(_quote(desk))


@pytest.mark.parametrize(
    ("text", "most", "most_chars", "quoted"),
    [
        ("one two three four", 12, 9, [f"one two {QUOTE_CUT}"]),  # a long line is cut at a space
        ("abcdefghij", 12, 4, [f"abcd {QUOTE_CUT}"]),  # a line with no space, where it must
        ("ab\ncd\nef", 12, 4, ["ab", "cd", QUOTE_CUT]),  # the room is used up
        ("ab\ncd", 12, 4, ["ab", "cd"]),  # exactly all of it
    ],
)
def test_quoted_lines_keep_to_their_room(text: str, most: int, most_chars: int, quoted: list[str]) -> None:
    assert quoted_lines(text, most, most_chars) == quoted
