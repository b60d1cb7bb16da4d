"""Attachment names as they are shown and served.

A name is the sender's text: it may hold bidirectional overrides (``invoice\\u202egpj.exe`` displays as
``invoiceexe.jpg``), zero-width characters and other format controls that make a name look like
another. Those are taken out wherever a name is shown or served. A download names its file the way
RFC 6266 says: an ASCII ``filename`` for old clients and the real name in ``filename*`` (UTF-8,
percent-encoded), so ``見積書.pdf`` downloads as itself and the header stays ASCII."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

# Unicode's format (Cf: bidi overrides and isolates, zero-width joiners, BOM...), control (Cc) and
# separator (Zl, Zp) characters: none belongs in a file's name.
_NEUTRALISED = frozenset({"Cf", "Cc", "Zl", "Zp"})
# RFC 5987 attr-char, besides letters and digits: what filename* carries without percent-encoding.
_ATTR_CHARS = "!#$&+-.^_`|~"


def neutral_filename(name: str) -> str:
    """``name`` without format, control and line-separator characters."""
    return "".join(character for character in name if unicodedata.category(character) not in _NEUTRALISED)


def content_disposition(filename: str) -> str:
    """``attachment; filename="<ASCII>"; filename*=UTF-8''<name>`` for a download of ``filename``."""
    name = neutral_filename(filename).strip() or "download"
    fallback = "".join(
        character if " " <= character <= "~" and character not in '"\\%' else "_" for character in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
