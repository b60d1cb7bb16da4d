"""The text a reply keeps for its thread (``ReplyParts.text``) renders to exactly the mail's HTML part,
whatever Markdown marks the values hold, and carries no backslash a value does not need."""

from __future__ import annotations

import pytest

from postdesk.replies.markdown import markdown_to_html, reply_parts
from postdesk.replies.variables import ReplyVariables

BODY = (
    "Hi {{ customer.name }},\n\n{{ customer.name }}\n\n"
    "About *{{ ticket.subject }}* ({{ customer.email }}), {{ agent.first_name }} here:\n\n- **done**"
)


def _variables(name: str, subject: str = "Order 4711") -> ReplyVariables:
    return ReplyVariables(
        customer_name=name,
        customer_email="anna_maier@customer.example",
        ticket_ref="K7Q2-M9XD",
        ticket_subject=subject,
        agent_name="Sam O'Neil",
        support_name="Example Support",
    )


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("*Bob* _the_ [builder](http://x)", "Can't log in? #2 - help!"),
        ("Anna **Maier**", "Re: [x] `code` & <b>bold</b> &amp;"),
        ("# Heading", "<http://evil.example>"),
        ("1. First", "- a list"),
        ("> quote", "C:\\path\\*"),
        ("![img](http://x/y.png)", "~~~"),
        ("\ue000*odd*", "a \ue000 b"),
    ],
)
def test_the_thread_text_renders_as_the_mail(name: str, subject: str) -> None:
    parts = reply_parts(BODY, _variables(name, subject))
    assert markdown_to_html(parts.text) == parts.html
    assert "<em>" not in parts.html.split("About")[0]


def test_a_plain_name_subject_and_address_stay_as_written() -> None:
    parts = reply_parts(BODY, _variables("Sean O'Brien", "Can't log in (again)."))
    assert parts.text == (
        "Hi Sean O'Brien,\n\nSean O'Brien\n\n"
        "About *Can't log in (again).* (anna_maier@customer.example), Sam here:\n\n- **done**"
    )


def test_a_name_keeps_the_escapes_a_person_would_type() -> None:
    parts = reply_parts("Hi {{ customer.name }},", _variables("*Bob* _the_ [builder](http://x)"))
    assert parts.text == "Hi \\*Bob* \\_the_ \\[builder](http://x),"
    assert parts.html == "<p>Hi *Bob* _the_ [builder](http://x),</p>\n"


def test_a_long_reply_keeps_every_escape_and_still_renders_as_the_mail() -> None:
    # Past the tidying bound no escape is tried without (each try renders the whole text again)
    long_body = BODY + "\n\n" + "A long answer, paragraph after paragraph.\n\n" * 600
    parts = reply_parts(long_body, _variables("Anna O'Brien"))

    assert "Anna O\\'Brien" in parts.text
    assert markdown_to_html(parts.text) == parts.html
