"""Jinja2 rendering of every mail and page a person sees, from templates/<language>/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from postdesk.errors import ConfigurationError

# In a checkout templates/ sits two levels above this package; in the Lambda package it is shipped
# beside the package as postdesk_templates/.
_CANDIDATES = (
    Path(__file__).resolve().parent.parent.parent / "templates",
    Path(__file__).resolve().parent.parent / "postdesk_templates",
)


def templates_dir() -> Path:
    configured = os.environ.get("POSTDESK_TEMPLATES_DIR")
    for candidate in ([Path(configured)] if configured else []) + list(_CANDIDATES):
        if candidate.is_dir():
            return candidate
    raise ConfigurationError("the templates folder was not found next to the postdesk package")


@cache
def environment(root: Path | None = None) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(root or templates_dir())),
        # HTML is escaped everywhere; plain-text mail is not HTML, so it is not.
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def available_languages() -> frozenset[str]:
    """Languages the desk can answer in: the folders that hold an acknowledgement template."""
    root = templates_dir()
    return frozenset(path.parent.name for path in root.glob("*/ack.txt.j2"))


@dataclass(frozen=True, slots=True)
class RenderedMail:
    language: str
    text: str
    html: str


def render_mail(name: str, language: str, context: dict[str, Any], fallback: str = "en") -> RenderedMail:
    """Render ``<language>/<name>.txt.j2`` and ``.html.j2``, in ``fallback`` when the language has
    no such template."""
    env = environment()
    for lang in dict.fromkeys((language, fallback)):
        try:
            text = env.get_template(f"{lang}/{name}.txt.j2").render(context, language=lang)
            html = env.get_template(f"{lang}/{name}.html.j2").render(context, language=lang)
        except TemplateNotFound:
            continue
        return RenderedMail(lang, text, html)
    raise ConfigurationError(f"no template {name} in {language} or {fallback}")
