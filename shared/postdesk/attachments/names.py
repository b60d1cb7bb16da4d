"""The name a file is sent and shown under, cleaned once when it is uploaded: the browser's name is
the agent's text (or their computer's), and it goes into a MIME header and a download's
Content-Disposition."""

from __future__ import annotations

import re
import unicodedata

from postdesk.mail.filenames import neutral_filename

# Long enough for any real name, short enough for a header line and every file system.
MAX_FILENAME_CHARS = 150
# An extension longer than this is no extension: the name is cut at its end.
_MAX_EXTENSION_CHARS = 16
_PATH_SEPARATORS = re.compile(r"[/\\]")
_SPACES = re.compile(r"\s+")
# Characters Windows refuses in a name: a recipient who saves the file there would be stuck.
_RESERVED = re.compile(r'[<>:"|?*]')
FALLBACK_NAME = "attachment"


def clean_filename(name: str) -> str:
    """``name`` as a file can be called: its last path component, NFC, on one line, without control
    or format characters (a bidi override makes ``invoice\\u202egpj.exe`` look like
    ``invoiceexe.jpg``), without the characters Windows refuses, without leading dots (no hidden
    files) or trailing dots and spaces, and at most :data:`MAX_FILENAME_CHARS` characters long
    with its extension kept. A name with nothing left is ``attachment``."""
    last = _PATH_SEPARATORS.split(unicodedata.normalize("NFC", name))[-1]
    # Line breaks and tabs become spaces before the other controls go (a name never runs together).
    cleaned = _RESERVED.sub("_", neutral_filename(_SPACES.sub(" ", last))).strip()
    cleaned = cleaned.lstrip(".").rstrip(". ").strip()
    if not cleaned:
        return FALLBACK_NAME
    if len(cleaned) <= MAX_FILENAME_CHARS:
        return cleaned
    stem, dot, extension = cleaned.rpartition(".")
    if dot and stem and len(extension) <= _MAX_EXTENSION_CHARS:
        return stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip(". ") + "." + extension
    return cleaned[:MAX_FILENAME_CHARS].rstrip(". ")


def extension_of(name: str) -> str:
    """The lower-case extension of ``name`` without its dot ("" when it has none)."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > _MAX_EXTENSION_CHARS:
        return ""
    return extension.lower()
