"""Variables in reply bodies: values in, unknown names and disallowed constructs refused with the
line, the sandbox closed, first names taken sensibly from display names."""

from __future__ import annotations

import pytest

from postdesk.replies.markdown import escape_markdown
from postdesk.replies.variables import (
    SAMPLE_VARIABLES,
    InvalidReplyTemplate,
    ReplyVariables,
    first_name,
    render_reply,
    validate_reply_template,
)

VARIABLES = ReplyVariables(
    customer_name="Lee, Sam",
    customer_email="sam@customer.example",
    ticket_ref="K7Q2-M9XD",
    ticket_subject="Invoice *twice*",
    agent_name="Dr. Anna Schmidt",
    support_name="Example Support",
)


def _refusal(body: str) -> str:
    with pytest.raises(InvalidReplyTemplate) as raised:
        render_reply(body, VARIABLES)
    return str(raised.value)


def test_every_variable_is_replaced() -> None:
    # Given a body using every variable
    body = (
        "Hi {{ customer.first_name }} ({{ customer.name }}, {{ customer.email }}),\n"
        "about {{ ticket.ref }} {{ ticket.subject }}:\n"
        "{{ agent.first_name }} / {{ agent.name }} / {{ support.name }}"
    )

    # When it is rendered
    text = render_reply(body, VARIABLES)

    # Then each is replaced by its value
    assert text == (
        "Hi Sam (Lee, Sam, sam@customer.example),\n"
        "about K7Q2-M9XD Invoice *twice*:\n"
        "Anna / Dr. Anna Schmidt / Example Support"
    )


def test_plain_text_passes_through_unchanged() -> None:
    body = "  Hello {name} and {# not a comment #},\n\n100% sure: } {\n"
    assert render_reply(body, VARIABLES) is body


def test_if_else_filters_and_raw_work() -> None:
    body = (
        "{% if customer.first_name %}\n"
        "Hi {{ customer.first_name | upper }},\n"
        "{% else %}\n"
        "Hello,\n"
        "{% endif %}\n"
        "Write {% raw %}{{ this }}{% endraw %} literally.\n"
    )
    assert render_reply(body, VARIABLES) == "Hi SAM,\nWrite {{ this }} literally.\n"


def test_an_empty_first_name_degrades_to_a_fallback_the_agent_chooses() -> None:
    nameless = ReplyVariables("", "x@customer.example", "K7Q2-M9XD", "Help", "", "Example Support")
    assert render_reply("Hi {{ customer.first_name }},", nameless) == "Hi ,"
    assert render_reply('Hi {{ customer.first_name or "there" }},', nameless) == "Hi there,"
    assert render_reply('Hi {{ customer.first_name | default("there", true) }},', nameless) == "Hi there,"


def test_an_unknown_variable_is_refused_with_its_line_and_the_known_ones() -> None:
    message = _refusal("Hello,\n\nyour order {{ order.number }} is late.")
    assert message.startswith("line 3: unknown variable order.number; known variables: customer.email,")


def test_an_unknown_field_of_a_known_namespace_names_the_fields_it_has() -> None:
    assert _refusal("Hi {{ customer.phone }}") == (
        "line 1: unknown variable customer.phone; "
        "customer has customer.email, customer.first_name, customer.name"
    )


def test_a_namespace_alone_is_refused() -> None:
    assert _refusal("{{ ticket }}").startswith("line 1: ticket alone is not a variable")


def test_broken_syntax_is_refused_with_its_line() -> None:
    assert _refusal("Hi,\n{% if customer.name %}\nyes\n").startswith(
        "line 3: Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else'"
    )
    assert _refusal("Hi,\n\n{{ customer.name").startswith(
        "line 3: unexpected end of template, expected 'end of print statement';"
    )


@pytest.mark.parametrize(
    "body",
    [
        "{{ ticket.__class__ }}",
        "{{ ticket['__class__'] }}",
        "{{ customer.name.__class__.__mro__ }}",
        "{{ customer.name | attr('__class__') }}",
        "{{ customer.name.upper() }}",
        "{{ ticket.ref.__len__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_the_sandbox_refuses_attribute_access_and_calls(body: str) -> None:
    with pytest.raises(InvalidReplyTemplate):
        render_reply(body, VARIABLES)


@pytest.mark.parametrize(
    ("body", "construct"),
    [
        ("{% for i in range(10) %}x{% endfor %}", "a {% for %} loop"),
        ("{{ 'x' * 1000000000 }}", "arithmetic"),
        ("{% set x = 1 %}", "{% set %}"),
        ("{% include 'en/ack.txt.j2' %}", "{% include %}"),
        ("{% macro m() %}{% endmacro %}", "a macro"),
    ],
)
def test_loops_arithmetic_and_other_tags_are_refused(body: str, construct: str) -> None:
    assert _refusal(body).startswith(f"line 1: {construct} is not allowed in a reply")


def test_a_filter_given_wrong_arguments_is_refused_with_its_line() -> None:
    assert _refusal("Hi,\n\n{{ customer.name | upper(1) }}").startswith("line 3: cannot be rendered:")


def test_filters_beyond_the_simple_ones_are_refused() -> None:
    assert _refusal("{{ customer.name | format(1) }}").startswith(
        "line 1: the filter format is not available"
    )


def test_values_are_escaped_when_an_escape_is_given() -> None:
    # Given a subject that looks like Markdown
    # When the body is rendered for the HTML part
    source = render_reply("About {{ ticket.subject }}.", VARIABLES, escape=escape_markdown)

    # Then the value is escaped and the agent's own text is not
    assert source == r"About Invoice \*twice\*."


def test_values_are_one_line() -> None:
    spread = ReplyVariables("Sam\nLee", "s@x.example", "K7Q2-M9XD", "Line one\r\n# Heading", "", "Support")
    assert render_reply("{{ customer.name }}|{{ ticket.subject }}", spread) == "Sam Lee|Line one # Heading"


def test_validate_accepts_good_bodies_and_refuses_bad_ones() -> None:
    validate_reply_template("Hi {{ customer.first_name }},\n\nthanks for writing to {{ support.name }}.")
    validate_reply_template("No variables at all.")
    with pytest.raises(InvalidReplyTemplate, match=r"^line 2: unknown variable customer\.nickname"):
        validate_reply_template("Hi,\n{{ customer.nickname }}")


def test_the_sample_used_for_validation_renders_every_variable() -> None:
    text = render_reply("{{ customer.first_name }} {{ agent.first_name }}", SAMPLE_VARIABLES)
    assert text == "Jane Sam"


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Sam Lee", "Sam"),
        ("Lee, Sam", "Sam"),
        ("Lee, Sam Robert", "Sam"),
        ("Sam Lee, Jr.", "Sam"),
        ("Sam Lee, PhD", "Sam"),
        ("Dr. Anna Schmidt", "Anna"),
        ("Prof. Dr. Hans Müller", "Hans"),
        ("Dr. Schmidt", ""),
        ("Mrs Smith", ""),
        ("Jean-Luc Picard", "Jean-Luc"),
        ('"Sam Lee"', "Sam"),
        ("  sam   lee ", "sam"),
        ("Cher", "Cher"),
        ("山田太郎", "山田太郎"),
        ("", ""),
        ("   ", ""),
        ("jane.doe@customer.example", ""),
        ("---", ""),
        # Names with two words and more, as agents and customers write them
        ("Local Admin", "Local"),
        ("Anna Maria Schmidt", "Anna"),
        ("van der Berg, Jan", "Jan"),
        ("Dr. Eva Klein", "Eva"),
        ("José García", "José"),
        ("Sam Lee <sam@example.com>", "Sam"),
        ('"Lee, Sam" <sam@example.com>', "Sam"),
        ("<sam@example.com>", ""),
    ],
)
def test_first_name_rules(display_name: str, expected: str) -> None:
    assert first_name(display_name) == expected
