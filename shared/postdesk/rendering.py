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


def language_having(template: str, language: str, fallback: str = "en") -> str:
    """The first of ``language`` and ``fallback`` that has ``<language>/<template>``."""
    root = templates_dir()
    for lang in dict.fromkeys((language, fallback)):
        if (root / lang / template).is_file():
            return lang
    raise ConfigurationError(f"no template {template} in {language} or {fallback}")


def preferred_language(accept_language: str, available: frozenset[str], default: str) -> str:
    """The best language of an ``Accept-Language`` header among ``available`` ("de-CH;q=0.9"
    counts as "de"); ``default`` when none is."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in available and quality > 0:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else default


def render_page(name: str, language: str, context: dict[str, Any]) -> str:
    """Render the page ``pages/<name>.html.j2`` in ``language`` (the caller chose one that exists)."""
    return environment().get_template(f"pages/{name}.html.j2").render(context, language=language)
