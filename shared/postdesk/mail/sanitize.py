"""Customer HTML made safe to show to an agent: an allow-list of mail formatting, nothing that runs,
submits, embeds or loads from elsewhere unless the agent asks for remote images."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import nh3

# What mail uses to lay out and emphasise text. Everything else is dropped, its text kept.
ALLOWED_TAGS: Final = frozenset(
    {
        "a", "abbr", "address", "article", "b", "bdi", "bdo", "big", "blockquote", "br", "caption",
        "center", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small",
        "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

# Elements dropped with everything inside them: code, embedded documents, foreign content (SVG and
# MathML are where mutation XSS lives) and the raw-text elements whose text no reader should see.
DROPPED_WITH_CONTENT: Final = frozenset(
    {
        "applet", "embed", "frame", "frameset", "head", "iframe", "math", "noembed", "noframes",
        "noscript", "object", "script", "select", "style", "svg", "template", "textarea", "title",
        "xmp",
    }
)  # fmt: skip

_TABLE_CELL: Final = frozenset(
    {"align", "valign", "width", "height", "bgcolor", "colspan", "rowspan", "nowrap"}
)
ALLOWED_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "*": frozenset({"dir", "lang", "title", "align", "style"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height", "border"}),
    "table": frozenset({"width", "border", "cellpadding", "cellspacing", "bgcolor", "summary"}),
    "td": _TABLE_CELL,
    "th": _TABLE_CELL,
    "tr": frozenset({"valign", "bgcolor", "height"}),
    "col": frozenset({"span", "width"}),
    "colgroup": frozenset({"span", "width"}),
    "font": frozenset({"color", "face", "size"}),
    "ol": frozenset({"start", "type", "reversed"}),
    "ul": frozenset({"type"}),
    "li": frozenset({"value"}),
    "time": frozenset({"datetime"}),
}

# Style properties that lay out text. None of them takes an image, a font file or a filter, so no
# allowed declaration can make the browser load anything.
ALLOWED_STYLE_PROPERTIES: Final = frozenset(
    {
        "background-color", "border", "border-bottom", "border-collapse", "border-color", "border-left",
        "border-radius", "border-right", "border-spacing", "border-style", "border-top", "border-width",
        "color", "direction", "display", "font", "font-family", "font-size", "font-style",
        "font-variant", "font-weight", "height", "letter-spacing", "line-height", "margin",
        "margin-bottom", "margin-left", "margin-right", "margin-top", "max-width", "min-width",
        "padding", "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align",
        "text-decoration", "text-indent", "text-transform", "vertical-align", "white-space", "width",
        "word-break", "word-spacing",
    }
)  # fmt: skip

# A style value holding any of these is dropped whole: they load or run something, or (a backslash)
# spell a word in CSS escapes so that no property list could recognise it.
_UNSAFE_STYLE = re.compile(r"url\s*\(|image-set|expression|javascript|behavior|binding|@import|\\", re.I)

LINK_SCHEMES: Final = ("http:", "https:", "mailto:")
REMOTE_IMAGE_SCHEMES: Final = ("http:", "https:")
# Raster images only: an SVG image cannot run script inside <img>, but leaving it out keeps the rule
# obviously safe for every other reader of the HTML.
INLINE_IMAGE_TYPES: Final = frozenset(
    {"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/bmp", "image/x-icon"}
)


@dataclass(frozen=True, slots=True)
class SanitizedHtml:
    """HTML safe to render in a sandboxed frame, and how many remote images the mail asked for."""

    html: str
    remote_images: int


def _inline_image(src: str) -> bool:
    media_type = src[len("data:") :].split(";", 1)[0].split(",", 1)[0].strip().lower()
    return media_type in INLINE_IMAGE_TYPES


def sanitize_html(html: str, *, allow_remote_images: bool = False) -> SanitizedHtml:
    """``html`` reduced to mail formatting. Links keep http, https and mailto targets only and open
    in a new browsing context without opener or referrer; images keep ``data:`` raster images and,
    only with ``allow_remote_images``, http(s) sources (otherwise the ``src`` is dropped and the
    ``alt`` text stays as a placeholder); ``cid:`` and relative sources are dropped. Every remote
    image is counted either way."""
    remote_images = 0

    def keep_attribute(tag: str, name: str, value: str) -> str | None:
        nonlocal remote_images
        lowered = value.strip().lower()
        if name == "style":
            return None if _UNSAFE_STYLE.search(value) else value
        if tag == "a" and name == "href":
            return value if lowered.startswith(LINK_SCHEMES) else None
        if tag == "img" and name == "src":
            if lowered.startswith(REMOTE_IMAGE_SCHEMES):
                remote_images += 1
                return value if allow_remote_images else None
            return value if lowered.startswith("data:") and _inline_image(lowered) else None
        return value

    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes={"http", "https", "mailto", "data"},
        url_relative="deny",
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    )
    return SanitizedHtml(html=cleaned, remote_images=remote_images)
