"""Bytes to text for mail: the declared charset first, then detection, and never an exception.

Mail declares charsets under many names Python does not know (``ks_c_5601-1987``, ``x-sjis``,
``windows-874``), declares them wrongly (``us-ascii`` over UTF-8, ``iso-8859-1`` over UTF-8), or not at
all. The functions here turn any bytes into a ``str`` and say, as a short defect string, when the result
rests on a guess rather than on the declaration.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

# Detection looks at a prefix only: enough to recognise a charset, and it keeps one large body from
# dominating the time of a whole batch.
_DETECTION_SAMPLE_BYTES = 64 * 1024

# Detector answers that score equally are decided by how common the charset is in mail.
_PREFERRED_ON_TIE = ("utf_8", "cp1252", "iso8859_1", "iso8859_15", "cp1251", "koi8_r", "cp1250", "iso8859_2")

# Valid multi-byte characters needed per broken sequence to read bytes as damaged UTF-8.
_MOSTLY_UTF8_RATIO = 4

# Labels seen in mail that Python lacks, or that name a charset whose superset is what senders really
# produce (the WHATWG Encoding Standard makes the same substitutions for the same reason).
_ALIASES: dict[str, tuple[str, ...]] = {
    "us-ascii": ("ascii",),
    "ansi-x3.4-1968": ("ascii",),
    "iso-8859-1": ("cp1252", "latin-1"),
    "iso8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "latin-1": ("cp1252", "latin-1"),
    "l1": ("cp1252", "latin-1"),
    "iso-8859-8-i": ("iso8859-8",),
    "iso-8859-6-i": ("iso8859-6",),
    "windows-874": ("cp874",),
    "tis-620": ("cp874",),
    "iso-8859-11": ("cp874",),
    "ks-c-5601-1987": ("cp949",),
    "ks-c-5601": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc-5601": ("cp949",),
    "euc-kr": ("cp949",),
    "x-euc-kr": ("cp949",),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "chinese": ("gb18030",),
    "csgb2312": ("gb18030",),
    "big5": ("big5hkscs",),
    "x-big5": ("big5hkscs",),
    "shift-jis": ("cp932",),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms-kanji": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp_ext", "iso2022_jp_2"),
    "csiso2022jp": ("iso2022_jp_ext", "iso2022_jp_2"),
    "euc-jp": ("euc_jis_2004",),
    "x-euc-jp": ("euc_jis_2004",),
    "unicode-1-1-utf-7": ("utf-7",),
    "x-unicode20utf7": ("utf-7",),
    "utf7": ("utf-7",),
    "x-mac-roman": ("mac_roman",),
    "x-mac-cyrillic": ("mac_cyrillic",),
    "utf8": ("utf-8",),
}

# Labels that say "unknown" in so many words: straight to detection, without a lookup.
_UNKNOWN_LABELS = frozenset(
    {"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "none", "8bit", "charset"}
)

# Codecs that Python accepts for bytes.decode but that are not text charsets: decoding mail with them
# would interpret escape sequences or domain-name syntax, so they count as unknown.
_REFUSED_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"})

# Declared Unicode encodings are decoded as declared; every other label is checked for hidden UTF-8.
_UNICODE_CODEC_PREFIXES = ("utf-8", "utf-16", "utf-32", "utf_16", "utf_32")


def _normalise_label(label: str) -> str:
    return label.strip().strip("\"'").strip().lower().replace("_", "-")


def codecs_for(declared: str | None) -> tuple[str, ...]:
    """The Python codecs to try, in order, for a declared charset label; empty when it is unknown."""
    if declared is None:
        return ()
    label = _normalise_label(declared)
    if label in _UNKNOWN_LABELS or len(label) > 64:
        return ()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return ()
    return () if name in _REFUSED_CODECS or not _is_text_codec(name) else (name,)


def _is_text_codec(name: str) -> bool:
    try:
        b"a".decode(name)
    except LookupError:  # a bytes-to-bytes codec such as base64 or zlib
        return False
    except UnicodeDecodeError:  # a text codec that merely rejects this byte
        return True
    return True


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_if_valid(data: bytes) -> str | None:
    text = _strict(data, "utf-8")
    return None if text is None else text.removeprefix("\ufeff")


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with replacement characters, when the bytes are UTF-8 apart from a few broken sequences
    (a truncated header, one stray byte); legacy-charset text almost never forms valid UTF-8."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - broken
    return text if valid >= _MOSTLY_UTF8_RATIO * broken else None


def _detect(data: bytes) -> str | None:
    """The codec charset-normalizer finds most plausible, or None (binary junk, or too little text).

    Among equally plausible answers (common for short Latin text) the charset most used in mail wins,
    and UTF-16/32 are only believed when the bytes contain NULs, as text in them always does.
    """
    sample = data[:_DETECTION_SAMPLE_BYTES]
    try:
        matches = list(from_bytes(sample))
    except Exception:  # a detector bug must not turn into a parse failure
        return None
    wide_possible = b"\x00" in sample
    usable = [
        match
        for match in matches
        if codecs_for(match.encoding)
        and (wide_possible or not match.encoding.startswith(("utf_16", "utf_32")))
    ]
    if not usable:
        return None
    best = usable[0]
    tied = [
        match.encoding for match in usable if (match.chaos, match.coherence) == (best.chaos, best.coherence)
    ]
    return next((encoding for encoding in _PREFERRED_ON_TIE if encoding in tied), best.encoding)


def _describe(declared: str | None) -> str:
    if declared is None or not declared.strip():
        return "no charset declared"
    return f"charset {declared.strip()[:40]!r}"


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode ``data`` (a body or a header fragment) as text; never raises.

    Returns ``(text, defect)``: ``defect`` is None when the declared charset decoded the bytes as they
    are, otherwise a short sentence saying what was wrong and what was used instead (UTF-8 when the
    bytes are valid UTF-8, then the charset-normalizer guess, then UTF-8 with replacement characters).
    Valid UTF-8 under a legacy label is read as UTF-8 (with a defect). Pure ASCII under a missing or
    unknown label decodes as ASCII without a defect.
    """
    if not data:
        return "", None
    candidates = codecs_for(declared)
    is_ascii = data.isascii()
    if not candidates and is_ascii:
        if b"\x1b$" in data and (text := _strict(data, "iso2022_jp_ext")) is not None:
            # Undeclared 7-bit Japanese: the escape sequences name the charset themselves.
            return text, f"{_describe(declared)}; ISO-2022-JP escape sequences found and decoded"
        return data.decode("ascii"), None
    if candidates and not is_ascii and not candidates[0].startswith(_UNICODE_CODEC_PREFIXES):
        # UTF-8 under a legacy label is the commonest mislabel, and a single-byte decode never fails,
        # so it would go unnoticed; legacy text with 8-bit bytes is almost never valid UTF-8.
        as_utf8 = _utf8_if_valid(data)
        if as_utf8 is not None:
            return as_utf8, f"{_describe(declared)} declared but the text is UTF-8; decoded as UTF-8"
    for codec in candidates:
        text = _strict(data, codec)
        if text is not None:
            return (text.removeprefix("\ufeff") if codec == "utf-8" else text), None
    if candidates:
        problem = f"{_describe(declared)} does not decode the text"
    elif declared is None or not declared.strip():
        problem = "no charset declared for 8-bit text"
    else:
        problem = f"unknown {_describe(declared)}"
    as_utf8 = _utf8_if_valid(data)
    if as_utf8 is not None:
        return as_utf8, f"{problem}; decoded as UTF-8"
    damaged = _mostly_utf8(data)
    if damaged is not None:
        return damaged, f"{problem}; decoded as UTF-8 with a few invalid bytes replaced"
    detected = _detect(data)
    if detected is not None:
        return data.decode(detected, errors="replace"), f"{problem}; decoded as detected {detected}"
    return data.decode("utf-8", errors="replace"), f"{problem}; decoded as UTF-8 with replacements"


def decode_header_bytes(data: bytes, hint: str | None = None) -> tuple[str, str | None]:
    """Decode a raw 8-bit header value: UTF-8 (also when only a few sequences are broken), then
    ``hint`` (a charset the message declares), then the detected charset, then Latin-1 (which accepts
    every byte); never raises.

    Returns ``(text, defect)``; ``defect`` is None when the bytes were ASCII or valid UTF-8.
    """
    if data.isascii():
        return data.decode("ascii"), None
    as_utf8 = _utf8_if_valid(data)
    if as_utf8 is not None:
        return as_utf8, None
    damaged = _mostly_utf8(data)
    if damaged is not None:
        return damaged, "raw 8-bit header is UTF-8 with invalid bytes; they were replaced"
    for codec in codecs_for(hint):
        text = _strict(data, codec)
        if text is not None and codec != "ascii":
            return text, f"raw 8-bit header decoded as the message charset {codec}"
    detected = _detect(data)
    if detected is not None:
        return data.decode(detected, errors="replace"), f"raw 8-bit header decoded as detected {detected}"
    return data.decode("latin-1"), "raw 8-bit header decoded as Latin-1"
