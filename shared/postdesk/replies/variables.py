"""Variables in a reply body: ``Hi {{ customer.first_name }},`` becomes ``Hi Sam,``.

A body is a Jinja2 template rendered in a sandbox, and only a small part of Jinja2 is accepted:

- the variables ``customer.first_name``, ``customer.name``, ``customer.email``, ``ticket.ref``,
  ``ticket.subject``, ``agent.name``, ``agent.first_name`` and ``support.name``;
- ``{% if %}`` / ``{% elif %}`` / ``{% else %}``, ``and``, ``or``, ``not``, comparisons, ``~``;
- the filters ``default``, ``upper``, ``lower``, ``title``, ``capitalize`` and ``trim``;
- ``{% raw %}`` for literal braces, and ``{# comments #}``.

Loops, macros, calls, arithmetic and other names are refused before anything is rendered: a reply
needs none of them, and without them rendering is bounded by the size of the body. Every refusal is
an :class:`InvalidReplyTemplate` naming the line, so the agent can fix the body.

A first name may be empty (see :func:`first_name`); ``Hi {{ customer.first_name or "there" }},``
greets someone whose name is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from postdesk.errors import Invalid

# Namespace -> its fields: every variable a reply body may use.
KNOWN_VARIABLES: Final[dict[str, frozenset[str]]] = {
    "customer": frozenset({"first_name", "name", "email"}),
    "ticket": frozenset({"ref", "subject"}),
    "agent": frozenset({"name", "first_name"}),
    "support": frozenset({"name"}),
}
ALLOWED_FILTERS: Final = frozenset({"default", "d", "upper", "lower", "title", "capitalize", "trim"})

# Syntax nodes whose children are checked in turn; anything else (For, Macro, Call, Mul, Pow, Set,
# Include...) is refused. Variables (Name, Getattr, Getitem) and filters are checked on their own.
_PLAIN_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Keyword,
)
# How the constructs agents are most likely to try are named in a refusal.
_CONSTRUCT_NAMES: Final = {
    "For": "a {% for %} loop",
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "Macro": "a macro",
    "CallBlock": "{% call %}",
    "Call": "calling a function or method",
    "Include": "{% include %}",
    "Import": "{% import %}",
    "FromImport": "{% import %}",
    "Extends": "{% extends %}",
    "Block": "{% block %}",
    "FilterBlock": "{% filter %}",
    "With": "{% with %}",
    "Test": "an 'is' test",
}
_TEMPLATE_MARKERS = ("{{", "{%")
_SYNTAX_HELP = "use variables such as {{ customer.first_name }}, {% if %} and simple filters"

# Honorifics dropped before the first name ("Dr. Anna Schmidt" -> "Anna"), compared without dots.
_HONORIFICS: Final = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "fr",
        "herr", "frau", "mme", "mlle", "sr", "sra", "srta", "sig", "sig.ra", "dott", "ing",
    }
)  # fmt: skip
# Suffixes after a comma ("Sam Lee, Jr.") that do not make the name "Last, First".
_NAME_SUFFIXES: Final = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", "dds", "msc"})
_SURROUNDING_QUOTES = "\"'“”‘’«»"
_WORD = re.compile(r"\w", re.UNICODE)
# "Sam Lee <sam@example.com>": a whole From header pasted as the name.
_ADDRESS_AFTER_NAME = re.compile(r"\s*<[^<>@\s]+@[^<>\s]+>\s*$")


class InvalidReplyTemplate(Invalid):
    """A reply body uses a variable that does not exist, a construct that is not allowed, or broken
    template syntax; the message names the problem and its line."""


@dataclass(frozen=True, slots=True)
class ReplyVariables:
    """What the variables of one reply stand for."""

    customer_name: str
    customer_email: str
    ticket_ref: str
    ticket_subject: str
    agent_name: str
    support_name: str


# Stands in for a real ticket when a saved reply is checked before it is stored.
SAMPLE_VARIABLES: Final = ReplyVariables(
    customer_name="Jane Doe",
    customer_email="jane.doe@customer.example",
    ticket_ref="K7Q2-M9XD",
    ticket_subject="My order has not arrived",
    agent_name="Sam Lee",
    support_name="Example Support",
)


def first_name(display_name: str) -> str:
    """A first name to greet someone by, taken from a display name, or "" when none can be told.

    - "Sam Lee" -> "Sam"; "Jean-Luc Picard" -> "Jean-Luc"; a single word is the first name;
    - "Lee, Sam" -> "Sam" (a comma means "Last, First"), but "Sam Lee, Jr." -> "Sam";
    - honorifics are skipped: "Dr. Anna Schmidt" -> "Anna"; "Dr. Schmidt" -> "" (what is left is a
      surname, and "Hi Schmidt," would be wrong);
    - an address after the name is left out: "Sam Lee <sam@example.com>" -> "Sam";
    - an empty name, an address used as the name, or a name with no letters -> "".

    Case is kept as written ("McDonald" must stay so). Names written family name first without a
    comma ("Yamada Taro") cannot be told apart and give the first word.
    """
    name = " ".join(_ADDRESS_AFTER_NAME.sub("", display_name).split()).strip(_SURROUNDING_QUOTES + " ")
    if not name or "@" in name:
        return ""
    before, comma, after = name.partition(",")
    after_words = after.split()
    if comma and before.strip() and after_words and _bare(after_words[0]) not in _NAME_SUFFIXES:
        words = after_words
    else:
        words = before.split()
    had_honorific = False
    while words and _bare(words[0]) in _HONORIFICS:
        words = words[1:]
        had_honorific = True
    if not words or (had_honorific and len(words) == 1):
        return ""
    candidate = words[0].strip(_SURROUNDING_QUOTES + "()[]")
    return candidate if _WORD.search(candidate) else ""


def _bare(word: str) -> str:
    return word.strip(".").lower()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _context(variables: ReplyVariables, escape: Callable[[str], str]) -> dict[str, dict[str, str]]:
    def shown(value: str) -> str:
        return escape(_one_line(value))

    return {
        "customer": {
            "first_name": shown(first_name(variables.customer_name)),
            "name": shown(variables.customer_name),
            "email": shown(variables.customer_email),
        },
        "ticket": {"ref": shown(variables.ticket_ref), "subject": shown(variables.ticket_subject)},
        "agent": {"name": shown(variables.agent_name), "first_name": shown(first_name(variables.agent_name))},
        "support": {"name": shown(variables.support_name)},
    }


class _ReplyEnvironment(SandboxedEnvironment):
    """The sandbox, closed further: the context holds plain dicts read by key, so no attribute of
    any object and no callable is ever needed."""

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        return False

    def is_safe_callable(self, obj: object) -> bool:
        return False


_ENVIRONMENT = _ReplyEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    # Block tags on lines of their own leave no blank lines behind, and the body ends as it was typed.
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _refusal(node: nodes.Node, problem: str) -> InvalidReplyTemplate:
    return InvalidReplyTemplate(f"line {node.lineno}: {problem}")


def _variable_field(node: nodes.Getattr | nodes.Getitem) -> tuple[str, str] | None:
    """(namespace, field) when ``node`` reads a field of a namespace by name, else None."""
    if not isinstance(node.node, nodes.Name):
        return None
    if isinstance(node, nodes.Getattr):
        return node.node.name, node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.node.name, node.arg.value
    return None


def _known_fields(namespace: str) -> str:
    return ", ".join(f"{namespace}.{name}" for name in sorted(KNOWN_VARIABLES[namespace]))


def _all_variables() -> str:
    return ", ".join(_known_fields(namespace) for namespace in KNOWN_VARIABLES)


def _problems(node: nodes.Node) -> Iterator[InvalidReplyTemplate]:
    """Every use of something a reply body may not use, in the order they appear."""
    if isinstance(node, (nodes.Getattr, nodes.Getitem)):
        variable = _variable_field(node)
        if variable is None:
            yield _refusal(node, f"only plain variables can be read; known variables: {_all_variables()}")
            return
        namespace, field = variable
        if namespace not in KNOWN_VARIABLES:
            yield _refusal(node, f"unknown variable {namespace}.{field}; known variables: {_all_variables()}")
        elif field not in KNOWN_VARIABLES[namespace]:
            yield _refusal(
                node, f"unknown variable {namespace}.{field}; {namespace} has {_known_fields(namespace)}"
            )
        return
    if isinstance(node, nodes.Name):
        if node.name in KNOWN_VARIABLES:
            yield _refusal(node, f"{node.name} alone is not a variable; use {_known_fields(node.name)}")
        else:
            yield _refusal(node, f"unknown variable {node.name}; known variables: {_all_variables()}")
        return
    if isinstance(node, nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            yield _refusal(
                node, f"the filter {node.name} is not available; use {', '.join(sorted(ALLOWED_FILTERS))}"
            )
            return
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            yield _refusal(node, "filters take plain arguments only")
            return
    elif not isinstance(node, _PLAIN_NODES):
        construct = _CONSTRUCT_NAMES.get(type(node).__name__)
        if construct is None:
            construct = (
                "arithmetic" if isinstance(node, (nodes.BinExpr, nodes.UnaryExpr)) else "this construct"
            )
        yield _refusal(node, f"{construct} is not allowed in a reply; {_SYNTAX_HELP}")
        return
    for child in node.iter_child_nodes():
        yield from _problems(child)


def _template_line(error: BaseException) -> int | None:
    """The line of the body a rendering error happened on, from Jinja2's rewritten traceback."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _checked_tree(body: str) -> nodes.Template:
    """The parsed body; raises InvalidReplyTemplate for broken syntax or the first thing it may not use."""
    try:
        tree = _ENVIRONMENT.parse(body)
    except TemplateSyntaxError as error:
        problem = (error.message or "broken template syntax").rstrip(".")
        raise InvalidReplyTemplate(f"line {error.lineno}: {problem}; {_SYNTAX_HELP}") from None
    first_refusal = next(_problems(tree), None)
    if first_refusal is not None:
        raise first_refusal
    return tree


# A reply is rendered twice (text and HTML) and saved replies are sent again and again; compiling
# is most of the cost (about 1 ms). Few entries, as a body may be 100,000 characters.
@lru_cache(maxsize=32)
def _compiled(body: str) -> Template:
    return _ENVIRONMENT.from_string(_checked_tree(body))


def _render(body: str, variables: ReplyVariables, escape: Callable[[str], str]) -> str:
    template = _compiled(body)
    try:
        return template.render(_context(variables, escape))
    except TemplateError as error:
        raise _rendering_failed(error, error.message or type(error).__name__) from None
    except (TypeError, ValueError) as error:
        # A filter given the wrong arguments, or a comparison of text with a number.
        raise _rendering_failed(error, f"cannot be rendered: {error}") from None


def _rendering_failed(error: Exception, problem: str) -> InvalidReplyTemplate:
    line = _template_line(error)
    return InvalidReplyTemplate(f"line {line}: {problem}" if line is not None else problem)


def _unchanged(value: str) -> str:
    return value


def has_template_markers(body: str) -> bool:
    """Whether ``body`` holds a variable or a tag at all (plain text is used as it is)."""
    return any(marker in body for marker in _TEMPLATE_MARKERS)


def validate_reply_template(body: str) -> None:
    """Return if ``body`` renders: its syntax is sound and it uses only the known variables, filters
    and tags (checked by rendering it for a sample ticket). Raises InvalidReplyTemplate otherwise."""
    if has_template_markers(body):
        _render(body, SAMPLE_VARIABLES, _unchanged)


def variable_values(variables: ReplyVariables) -> dict[str, str]:
    """What each variable stands for, by its name in a body ("customer.first_name": "Jane")."""
    return {
        f"{namespace}.{name}": value
        for namespace, fields in _context(variables, _unchanged).items()
        for name, value in sorted(fields.items())
    }


def render_reply(body: str, variables: ReplyVariables, escape: Callable[[str], str] = _unchanged) -> str:
    """The body with its variables replaced by their values, each put through ``escape`` (for example
    Markdown escaping, so a customer's name is never read as Markdown). A body with no ``{{`` and no
    ``{%`` comes back unchanged. Raises InvalidReplyTemplate for a body that cannot be rendered."""
    if not has_template_markers(body):
        return body
    return _render(body, variables, escape)
