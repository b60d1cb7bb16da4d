"""Raw inbound mail to a :class:`ParsedMessage`: forgiving, bounded, and never raising.

The MIME structure is split here rather than by ``email.parser``: the stdlib feed parser parses every
enclosed ``message/rfc822`` eagerly and without a depth limit, and its strict header parsers raise on
malformed input. This module reads header blocks line by line, finds boundaries with one C-speed regular
expression scan per nesting level (levels capped by :attr:`ParseLimits.max_depth`), and opens an enclosed
message only when its text is needed. Every irregularity becomes a short sentence in ``defects``.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz
from urllib.parse import unquote_to_bytes

from postdesk.mail.charsets import codecs_for, decode_bytes, decode_header_bytes
from postdesk.mail.filenames import neutral_filename
from postdesk.mail.html_text import html_to_text
from postdesk.mail.model import Address, Attachment, ParsedMessage


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds that keep one hostile or broken mail from costing more than an ordinary one.

    Each limit, when reached, leaves a defect in the result and the parse carries on with what it has.
    """

    max_input_bytes: int = 50 * 1024 * 1024
    """Bytes of the raw mail that are looked at. SES accepts up to 40 MB; anything larger is cut here so
    that no later step scales with an unbounded input."""

    max_header_bytes: int = 256 * 1024
    """Bytes of one header block that are read (top level and each part). Real header blocks stay far
    below this even with long Received, DKIM and ARC chains; every header is decoded and stored, so
    this bounds that work. The rest of a longer block is skipped up to the blank line."""

    max_header_value_bytes: int = 64 * 1024
    """Bytes kept of one header value: room for a To of a thousand recipients or a long References
    chain, while one 200 KB Subject cannot crowd out the headers after it."""

    max_depth: int = 16
    """How deep multiparts and enclosed messages are opened. Forward chains and signed or encrypted
    wrappers rarely exceed eight levels; anything deeper is kept whole as one attachment, which also
    bounds recursion and the repeated boundary scans of nested parts."""

    max_parts: int = 500
    """MIME parts split out of one mail, enclosed messages that are opened included. Parts past this
    are ignored: thousands of parts are a parser attack, not correspondence."""

    max_attachments: int = 100
    """Attachments returned (each is decoded, hashed and kept in memory); later ones are dropped."""

    max_text_chars: int = 500_000
    """Characters kept of ``text`` and, separately, of ``html``. Half a million characters is far more
    than a person reads in a ticket, and it bounds the HTML-to-text conversion."""

    max_defects: int = 50
    """Distinct defect sentences kept; a mail with thousands of broken parts says so once, briefly."""


DEFAULT_LIMITS = ParseLimits()

_CONTROLS_AND_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_PARAMETER = re.compile(r'[;\s]\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)', re.DOTALL)
_RFC2231_NAME = re.compile(r"([^*]+)\*(?:(\d{1,3})(\*)?)?")
_QUOTED_PAIR = re.compile(r"\\([\\\"])")
_MESSAGE_ID_BRACKETED = re.compile(r"<([^<>]*)>")
_MESSAGE_ID_TEXT = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+")
_EMAIL = re.compile(r'(?:[^\s@<>()\[\],;:"\\]+|"[^"]*")@[^\s@<>()\[\],;:"\\]+')
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")
_BASE64_INVALID = re.compile(rb"[^A-Za-z0-9+/=\s]")
_BASE64_CHUNK_END = re.compile(rb"(?<==)(?=[A-Za-z0-9+/])")
_PATH_SEPARATORS = re.compile(r"[/\\]")
_ADDRESS_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|<[^<>]*>?|[^",(<]+|,')
# Address headers are parsed whole only when the stdlib parser's recursion (one level per colon) is
# safe; entries are never longer than a line of mail may be.
_WHOLE_LIST_MAX_CHARS = 16 * 1024
_WHOLE_LIST_MAX_COLONS = 100
_ENTRY_MAX_CHARS = 320

_SUBTYPE_DEFAULTS = {"text": "text/plain", "multipart": "multipart/mixed", "message": "message/rfc822"}
_ENCLOSED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/news"})
# Other renderings of the body that are not worth keeping once plain text or HTML was chosen.
_DROPPED_ALTERNATIVES = frozenset({"text/enriched", "text/richtext", "text/x-amp-html", "text/watch-html"})
_IDENTITY_ENCODINGS = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits", "plain"})
_QP_ENCODINGS = frozenset({"quoted-printable", "quoted printable", "quotedprintable", "qp"})
_BASE64_ENCODINGS = frozenset({"base64", "base-64", "b64"})
_UU_ENCODINGS = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_EXTENSIONS = {
    "application/json": ".json",
    "application/ms-tnef": ".dat",
    "application/octet-stream": ".bin",
    "application/pdf": ".pdf",
    "application/pgp-encrypted": ".asc",
    "application/pgp-signature": ".asc",
    "application/pkcs7-mime": ".p7m",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/zip": ".zip",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/feedback-report": ".txt",
    "message/global": ".eml",
    "message/news": ".eml",
    "message/rfc822": ".eml",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/html": ".html",
    "text/plain": ".txt",
    "text/rfc822-headers": ".txt",
    "text/xml": ".xml",
}
_MAX_FILENAME_CHARS = 200


# -- small decoders --------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """One line: every run of whitespace or control characters becomes a single space."""
    return _CONTROLS_AND_SPACE.sub(" ", text).strip()


def _clean_text(text: str) -> str:
    """Body text with ``\\n`` line ends and no NULs or other control characters but tab."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _TEXT_CONTROLS.sub("", text.removeprefix("\ufeff"))


def _decode_base64(data: bytes, defects: list[str]) -> bytes:
    """Decode what can be decoded: junk characters are skipped, chunks that were padded separately are
    decoded one by one, and a dangling single character (six bits, not a whole byte) is dropped."""
    if _BASE64_INVALID.search(data):
        defects.append("base64 content contained characters outside the alphabet; they were skipped")
    cleaned = _BASE64_JUNK.sub(b"", data)
    decoded = bytearray()
    for chunk in _BASE64_CHUNK_END.split(cleaned):
        letters = chunk.rstrip(b"=")
        if len(letters) % 4 == 1:
            defects.append("base64 content was truncated; the last incomplete byte was dropped")
            letters = letters[:-1]
        letters += b"=" * (-len(letters) % 4)
        try:
            decoded += binascii.a2b_base64(letters)
        except binascii.Error:
            defects.append("base64 content could not be decoded; part of it was dropped")
    return bytes(decoded)


def _decode_uu(data: bytes, defects: list[str]) -> bytes:
    if not data.strip():
        return b""
    decoded = bytearray()
    lines = iter(data.splitlines())
    if not any(line.startswith(b"begin") for line in lines):
        defects.append("uuencoded content without a begin line; kept as it was")
        return data
    for line in lines:
        if line.strip() == b"end":
            break
        if not line.strip():
            continue
        try:
            decoded += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad lines with extra characters; the length byte says what is real.
            usable = (((line[0] - 32) & 63) * 4 + 5) // 3
            try:
                decoded += binascii.a2b_uu(line[:usable])
            except binascii.Error:
                defects.append("uuencoded content had an undecodable line; it was skipped")
    return bytes(decoded)


def _decode_transfer(body: bytes, encoding: str, defects: list[str]) -> bytes:
    if encoding in _IDENTITY_ENCODINGS:
        return body
    if encoding in _BASE64_ENCODINGS:
        return _decode_base64(body, defects)
    if encoding in _QP_ENCODINGS:
        return binascii.a2b_qp(body)
    if encoding in _UU_ENCODINGS:
        return _decode_uu(body, defects)
    defects.append(f"unknown Content-Transfer-Encoding {encoding[:40]!r}; content kept as it was")
    return body


def _decode_encoded_words(text: str, defects: list[str]) -> str:
    """RFC 2047: decode ``=?charset?B|Q?...?=`` words, leniently (also inside quotes and words).

    Whitespace between adjacent encoded words is dropped as the RFC says, and adjacent words in the
    same charset are decoded together, since senders split multi-byte characters across words.
    """
    if "=?" not in text:
        return text
    pieces: list[str] = []
    run_charset: str | None = None
    run = bytearray()
    position = 0

    def flush() -> None:
        nonlocal run_charset
        if run_charset is not None:
            decoded, defect = decode_bytes(bytes(run), run_charset)
            if defect:
                defects.append(f"encoded word: {defect}")
            pieces.append(decoded)
        run_charset = None
        run.clear()

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if run_charset is None or between.strip():
            flush()
            pieces.append(between)
        charset, encoding, payload = match.group(1), match.group(2).lower(), match.group(3)
        if encoding == "b":
            word = _decode_base64(payload.encode("ascii", "ignore"), defects)
        else:
            word = binascii.a2b_qp(payload.encode("utf-8", "replace"), header=True)
        if run_charset is not None and run_charset.lower() != charset.lower():
            flush()
        run_charset = charset
        run += word
        position = match.end()
    flush()
    pieces.append(text[position:])
    return "".join(pieces)


# -- header blocks ---------------------------------------------------------------------------------


def _next_line(data: bytes, position: int) -> tuple[bytes, int]:
    """The line starting at ``position`` without its line end, and where the next line starts."""
    newline = data.find(b"\n", position)
    end = len(data) if newline < 0 else newline + 1
    return data[position:end].rstrip(b"\r\n"), end


def _header_follows(data: bytes, position: int) -> bool:
    """Whether the next line that is not a continuation line is a header line."""
    while position < len(data):
        line, position = _next_line(data, position)
        if not line[:1].isspace() or not line.strip():
            return _HEADER_NAME.match(line) is not None
    return False


@dataclass(slots=True)
class _RawHeader:
    """A header while its lines are read: name, the lines of its value, and their total size."""

    name: str
    pieces: list[bytes] = field(default_factory=list)
    size: int = 0

    def add(self, piece: bytes, limit: int, defects: list[str]) -> None:
        """Add one line of the value, unless the value is already at its size limit."""
        if self.size >= limit:
            return
        if self.size + len(piece) > limit:
            defects.append(f"header {self.name!r} longer than {limit} bytes; cut")
            piece = piece[: limit - self.size]
        self.pieces.append(piece)
        self.size += len(piece)


def _split_head(
    data: bytes, limits: ParseLimits, defects: list[str]
) -> tuple[list[tuple[str, bytes]], bytes]:
    """Headers (lower-case name, unfolded raw value) and the body that follows the blank line.

    A line that is neither a header nor a continuation ends the headers (it is the first body line),
    unless the next line is a header again, in which case it is skipped as a malformed header.
    """
    headers: list[_RawHeader] = []
    size = len(data)
    position = 0
    read_bytes = 0
    while position < size:
        line, next_position = _next_line(data, position)
        if not line:
            position = next_position
            break
        if line[0] in b" \t":
            if headers:
                headers[-1].add(line, limits.max_header_value_bytes, defects)
            elif line.strip():
                defects.append("header block starts with a continuation line; it was skipped")
        else:
            match = _HEADER_NAME.match(line)
            if match is None:
                if position == 0 and line.startswith(b"From "):
                    pass  # an mbox separator line, not part of the message
                elif _header_follows(data, next_position):
                    defects.append("malformed header line skipped")
                else:
                    defects.append("no blank line between headers and body")
                    break
            else:
                headers.append(_RawHeader(match.group(1).decode("ascii").lower()))
                headers[-1].add(line[match.end() :], limits.max_header_value_bytes, defects)
        read_bytes += len(line)
        position = next_position
        if read_bytes > limits.max_header_bytes:
            defects.append(f"header block longer than {limits.max_header_bytes} bytes; the rest was skipped")
            # Skip to the blank line at C speed rather than walking a huge block line by line.
            blank = _BLANK_LINE.search(data, position - 1)
            position = size if blank is None else blank.end()
            break
    return [(header.name, b"".join(header.pieces).strip()) for header in headers], data[position:]


def _first(headers: list[tuple[str, bytes]], name: str) -> bytes | None:
    return next((value for key, value in headers if key == name), None)


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return _QUOTED_PAIR.sub(r"\1", value)
    return value


def _parse_parameters(text: str, defects: list[str]) -> tuple[str, dict[str, str]]:
    """``type/subtype; a=b; c*0*=utf-8''x%20; c*1=y`` to (lower-case value, parameters).

    RFC 2231 continuations and charsets are joined and decoded; ``name*`` wins over ``name``; RFC 2047
    words in ``name`` and ``filename`` (not allowed, but common) are decoded too.
    """
    main, _, rest = text.partition(";")
    main_words = main.split(None, 1)
    value = main_words[0].lower() if main_words else ""
    if len(main_words) > 1:
        rest = main_words[1] + ";" + rest  # parameters written without the separating semicolon
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for match in _PARAMETER.finditer(" " + rest):
        name, raw_value = match.group(1).lower(), match.group(2)
        extended = _RFC2231_NAME.fullmatch(name)
        if extended is None:
            plain.setdefault(name, _unquote(raw_value))
            continue
        index = int(extended.group(2) or 0)
        encoded = extended.group(2) is None or extended.group(3) is not None
        sections.setdefault(extended.group(1), {}).setdefault(index, (_unquote(raw_value), encoded))
    parameters = dict(plain)
    for name in ("name", "filename"):
        if name in parameters:
            parameters[name] = _decode_encoded_words(parameters[name], defects)
    for name, parts in sections.items():
        parameters[name] = _join_rfc2231(parts, defects)
    return value, parameters


def _join_rfc2231(parts: dict[int, tuple[str, bool]], defects: list[str]) -> str:
    charset: str | None = None
    joined = bytearray()
    for position, index in enumerate(sorted(parts)):
        piece, encoded = parts[index]
        if not encoded:
            joined += piece.encode("utf-8")
            continue
        if position == 0 and piece.count("'") >= 2:
            # The first encoded section reads charset'language'value.
            charset, _language, piece = piece.split("'", 2)
        joined += unquote_to_bytes(piece)
    text, defect = decode_bytes(bytes(joined), charset or "utf-8")
    if defect:
        defects.append(f"RFC 2231 parameter: {defect}")
    return text


def _content_type(raw: bytes | None, default: str, defects: list[str]) -> tuple[str, dict[str, str]]:
    if raw is None:
        return default, {}
    text, _ = decode_header_bytes(raw)
    value, parameters = _parse_parameters(_fold(text), defects)
    if value in _SUBTYPE_DEFAULTS:
        defects.append(f"Content-Type {value!r} has no subtype")
        return _SUBTYPE_DEFAULTS[value], parameters
    if not _MIME_TYPE.fullmatch(value):
        defects.append(f"invalid Content-Type {_fold(text)[:60]!r}")
        named = "name" in parameters or "filename" in parameters
        return ("application/octet-stream" if named else "text/plain"), parameters
    return value, parameters


# -- the part tree ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Part:
    """One MIME entity; ``children`` is set for a multipart that was split.

    ``content_type`` is how the part is read; it differs from ``declared_type`` for a multipart whose
    boundary is missing, which is read as text.
    """

    headers: list[tuple[str, bytes]]
    body: bytes
    declared_type: str
    content_type: str
    parameters: dict[str, str]
    disposition: str
    disposition_parameters: dict[str, str]
    transfer_encoding: str
    content_id: str | None
    children: list[_Part] | None = None

    @property
    def filename(self) -> str | None:
        return self.disposition_parameters.get("filename") or self.parameters.get("name") or None

    @property
    def is_attachment(self) -> bool:
        """Marked as a file: disposition ``attachment``, or a filename with a disposition that is not
        ``inline``. A named part without any disposition is shown inline by mail clients, so it is too."""
        if self.disposition == "attachment":
            return True
        return self.filename is not None and self.disposition not in ("inline", "")

    @property
    def is_text_body(self) -> bool:
        return (
            self.content_type in ("text/plain", "text/html")
            and not self.is_attachment
            and self.children is None
        )


@dataclass(frozen=True, slots=True)
class _Body:
    """Parts that render one stretch of the body: plain text, and the HTML showing the same."""

    plain: tuple[_Part, ...] = ()
    html: tuple[_Part, ...] = ()


@dataclass(slots=True)
class _Rendered:
    """A message reduced to what the desk shows: headers, text, HTML, and the attachment parts."""

    headers: list[tuple[str, bytes]]
    header_hint: str | None
    content_type: str
    text: str
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)


class _Parser:
    """One parse: the limits, the running part count, and the defects found so far."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.defects: list[str] = []
        self.parts_seen = 0
        # Parts past the part budget (counted, not read) and attachments past the attachment limit:
        # what the raw mail holds that the ticket does not.
        self.parts_ignored = 0
        self.attachments_dropped = 0
        self._reported_part_limit = False
        self._reported_depth_limit = False

    # -- structure --

    def part(self, data: bytes, depth: int, default_type: str = "text/plain") -> _Part:
        self.parts_seen += 1
        headers, body = _split_head(data, self.limits, self.defects)
        content_type, parameters = _content_type(_first(headers, "content-type"), default_type, self.defects)
        disposition_raw = _first(headers, "content-disposition") or b""
        disposition, disposition_parameters = _parse_parameters(
            _fold(decode_header_bytes(disposition_raw)[0]), self.defects
        )
        encoding_raw = _first(headers, "content-transfer-encoding") or b""
        encoding = _fold(encoding_raw.decode("latin-1")).strip("\"'; ").lower()
        content_id_raw = _first(headers, "content-id")
        content_id = _fold(content_id_raw.decode("latin-1")).strip("<> ") if content_id_raw else None
        part = _Part(
            headers=headers,
            body=body,
            declared_type=content_type,
            content_type=content_type,
            parameters=parameters,
            disposition=disposition,
            disposition_parameters=disposition_parameters,
            transfer_encoding=encoding,
            content_id=content_id or None,
        )
        if content_type.startswith("multipart/"):
            self._split_multipart(part, depth)
        return part

    def _delimiters(self, body: bytes, boundary: bytes) -> Iterator[tuple[int, int, bool]]:
        """(end of the content before it, start of the content after it, is the closing delimiter)
        for each ``--boundary`` line; the line break before a delimiter belongs to the delimiter.

        Both searches are regular expressions with a literal start, so the scan runs at C speed even
        through megabytes of near-misses, and Python only sees real delimiters.
        """
        tail = re.escape(boundary) + rb"(--)?[ \t]*(?=\r?\n|\r?\Z)"
        first = re.compile(b"--" + tail).match(body)
        if first is not None:
            yield 0, _next_line(body, first.end())[1], first.group(1) is not None
        for match in re.finditer(b"\n--" + tail, body):
            content_end = (
                match.start() - 1 if body[match.start() - 1 : match.start()] == b"\r" else match.start()
            )
            yield content_end, _next_line(body, match.end())[1], match.group(1) is not None

    def depth_limit_reached(self) -> None:
        if not self._reported_depth_limit:
            self.defects.append(f"MIME nesting deeper than {self.limits.max_depth}; kept as one attachment")
            self._reported_depth_limit = True

    def _split_multipart(self, part: _Part, depth: int) -> None:
        if depth >= self.limits.max_depth:
            self.depth_limit_reached()
            return
        boundary = part.parameters.get("boundary", "").rstrip()
        if not boundary:
            self.defects.append(f"{part.content_type} without a boundary; read as text")
            part.content_type = "text/plain"
            return
        child_type = "message/rfc822" if part.content_type == "multipart/digest" else "text/plain"
        children: list[_Part] = []
        start: int | None = None
        closed = over_budget = False
        for content_end, next_start, closing in self._delimiters(
            part.body, boundary.encode("utf-8", "replace")
        ):
            if over_budget:
                # Past the budget the parts are only counted (a delimiter each), never read.
                self.parts_ignored += 1
            elif start is not None and not self._add_child(
                children, part.body[start:content_end], depth, child_type
            ):
                over_budget = True
                self.parts_ignored += 1
            if closing:
                closed = True
                break
            start = next_start
        else:
            if start is not None and not over_budget:
                if not self._add_child(children, part.body[start:], depth, child_type):
                    self.parts_ignored += 1
            elif over_budget:
                self.parts_ignored += 1
        if start is None:
            self.defects.append(f"no {part.content_type} boundary found in the body; read as text")
            part.content_type = "text/plain"
            return
        if not closed:
            self.defects.append(f"{part.content_type} has no closing boundary")
        part.children = children

    def _add_child(self, children: list[_Part], data: bytes, depth: int, child_type: str) -> bool:
        """Parse one part between delimiters into ``children``; False once the part budget is spent."""
        if self.parts_seen >= self.limits.max_parts:
            if not self._reported_part_limit:
                self.defects.append(f"more than {self.limits.max_parts} MIME parts; the rest was ignored")
                self._reported_part_limit = True
            return False
        children.append(self.part(data, depth + 1, child_type))
        return True

    # -- body and attachments --

    def collect(self, part: _Part) -> tuple[list[_Body], list[_Part]]:
        """The body stretches of ``part`` in reading order, and every part that is not body."""
        if part.children is None:
            if part.is_text_body:
                return (
                    [_Body(plain=(part,))] if part.content_type == "text/plain" else [_Body(html=(part,))]
                ), []
            return [], [part]
        subtype = part.content_type.partition("/")[2]
        if subtype == "alternative":
            return self._collect_alternative(part.children)
        if subtype == "related" and part.children:
            root = self._related_root(part, part.children)
            bodies, attachments = self.collect(root)
            for child in part.children:
                if child is not root:
                    attachments.extend(self._all_parts(child))
            return bodies, attachments
        bodies = []
        attachments = []
        for child in part.children:
            child_bodies, child_attachments = self.collect(child)
            bodies.extend(child_bodies)
            attachments.extend(child_attachments)
        return bodies, attachments

    def _related_root(self, part: _Part, children: list[_Part]) -> _Part:
        """The ``start`` part, else the first of the declared root ``type``, else the first part."""
        start = part.parameters.get("start", "").strip("<> ")
        root_type = part.parameters.get("type", "").lower()
        return next(
            (child for child in children if start and child.content_id == start),
            next((child for child in children if root_type and child.content_type == root_type), children[0]),
        )

    def _collect_alternative(self, children: list[_Part]) -> tuple[list[_Body], list[_Part]]:
        results = [
            self.collect(child) for child in children if child.content_type not in _DROPPED_ALTERNATIVES
        ]
        plain = next((bodies for bodies, _ in results if bodies and all(body.plain for body in bodies)), [])
        html = next((bodies for bodies, _ in reversed(results) if any(body.html for body in bodies)), [])
        attachments = [attachment for _, found in results for attachment in found]
        if not plain and not html:
            return [], attachments
        merged = _Body(
            plain=tuple(part for body in plain for part in body.plain),
            html=tuple(part for body in html for part in body.html),
        )
        return [merged], attachments

    def _all_parts(self, part: _Part) -> Iterator[_Part]:
        if part.children is None:
            yield part
        else:
            for child in part.children:
                yield from self._all_parts(child)

    def decoded(self, part: _Part) -> bytes:
        return _decode_transfer(part.body, part.transfer_encoding, self.defects)

    def text_of(self, part: _Part) -> str:
        content = self.decoded(part)
        # No charset needs more than four bytes a character, so more bytes than this can only be cut
        # after decoding; cutting first (at a line end, which no multi-byte sequence contains) spares
        # decoding and cleaning megabytes that would be dropped.
        byte_limit = 4 * self.limits.max_text_chars
        if len(content) > byte_limit:
            line_end = content.rfind(b"\n", 0, byte_limit)
            content = content[: line_end + 1 if line_end > 0 else byte_limit]
            self.defects.append(
                f"{part.content_type} part larger than {byte_limit} bytes; only its start was read"
            )
        text, defect = decode_bytes(content, part.parameters.get("charset"))
        if defect:
            self.defects.append(f"{part.content_type} part: {defect}")
        return _clean_text(text)

    def render_body(self, bodies: list[_Body]) -> tuple[str, str | None]:
        texts: list[str] = []
        htmls: list[str] = []
        limit = self.limits.max_text_chars
        for body in bodies:
            html = "\n".join(self.text_of(part) for part in body.html)
            plain = "\n\n".join(self.text_of(part).rstrip() for part in body.plain)
            if not plain.strip() and html:
                plain = html_to_text(html[:limit])
            if plain.strip():
                texts.append(plain.rstrip())
            if html:
                htmls.append(html)
        text = "\n\n".join(texts).strip("\n")
        if len(text) > limit:
            self.defects.append(f"text longer than {limit} characters; cut")
            text = text[:limit]
        html_text = "\n".join(htmls) if htmls else None
        if html_text is not None and len(html_text) > limit:
            self.defects.append(f"HTML longer than {limit} characters; cut")
            html_text = html_text[:limit]
        return text, html_text

    def attachment(self, part: _Part, number: int) -> Attachment:
        content = self.decoded(part)
        filename = _safe_filename(part.filename)
        if filename is None and part.content_type in _ENCLOSED_MESSAGE_TYPES:
            subject = _first(_split_head(content, self.limits, [])[0], "subject")
            if subject is not None:
                filename = _safe_filename(_header_text(subject, None, []) + ".eml")
        if filename is None:
            filename = f"attachment-{number}{_EXTENSIONS.get(part.content_type, '.bin')}"
        return Attachment(
            filename=filename,
            content_type=part.content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            inline=part.content_id is not None and part.disposition != "attachment",
            content_id=part.content_id,
        )

    # -- whole messages --

    def message(self, data: bytes, depth: int) -> _Rendered:
        """Parse and render one message; enclosed messages are opened only when it has no text."""
        root = self.part(data, depth, "text/plain")
        bodies, attachment_parts = self.collect(root)
        text, html = self.render_body(bodies)
        rendered = _Rendered(
            headers=root.headers,
            header_hint=_header_hint(root),
            content_type=root.declared_type,
            text=text,
            html=html,
        )
        enclosed_texts: list[str] = []
        dropped = False
        for position, part in enumerate(attachment_parts):
            if len(rendered.attachments) >= self.limits.max_attachments:
                dropped = True
                self.attachments_dropped += len(attachment_parts) - position
                break
            if not text.strip() and part.content_type in _ENCLOSED_MESSAGE_TYPES:
                if depth + 1 < self.limits.max_depth:
                    enclosed = self.message(self.decoded(part), depth + 1)
                    enclosed_texts.append(_forward_rendition(enclosed))
                    rendered.html = rendered.html or enclosed.html
                    rendered.attachments.extend(enclosed.attachments)
                    continue
                self.depth_limit_reached()
            rendered.attachments.append(self.attachment(part, len(rendered.attachments) + 1))
        if enclosed_texts:
            rendered.text = "\n\n".join(enclosed_texts)
        if dropped or len(rendered.attachments) > self.limits.max_attachments:
            self.defects.append(f"more than {self.limits.max_attachments} attachments; the rest was dropped")
            self.attachments_dropped += max(0, len(rendered.attachments) - self.limits.max_attachments)
            del rendered.attachments[self.limits.max_attachments :]
        return rendered


# -- header values -------------------------------------------------------------------------------


def _header_text(raw: bytes, hint: str | None, defects: list[str]) -> str:
    """A header value as one clean line: raw 8-bit bytes and RFC 2047 words decoded, controls folded."""
    text, defect = decode_header_bytes(raw, hint)
    if defect:
        defects.append(defect)
    return _fold(_decode_encoded_words(text, defects))


def _message_ids(values: Iterable[bytes], defects: list[str]) -> list[str]:
    """``<id>`` tokens in order, deduplicated; whitespace inside brackets (a folding accident) removed,
    bare ``local@domain`` tokens bracketed, anything else dropped."""
    found: dict[str, None] = {}
    for raw in values:
        text = raw.decode("utf-8", "replace")
        tokens = _MESSAGE_ID_BRACKETED.findall(text)
        if not tokens:
            tokens = [token for token in re.split(r"[\s,]+", text) if "@" in token]
        for token in tokens:
            token = "".join(token.split())
            if _MESSAGE_ID_TEXT.fullmatch(token) and len(token) <= 998:
                found[f"<{token}>"] = None
            elif token:
                defects.append(f"invalid message id {token[:60]!r} dropped")
    return list(found)


def _split_address_list(text: str) -> list[str]:
    """Split at commas that are outside quoted strings, comments and angle brackets."""
    pieces: list[str] = []
    current: list[str] = []
    for lexeme in _ADDRESS_TOKEN.findall(text):
        if lexeme == ",":
            pieces.append("".join(current))
            current = []
        else:
            current.append(lexeme)
    pieces.append("".join(current))
    return pieces


def _address_pairs(text: str, defects: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs, parsed by the stdlib's strict parser in pieces it can afford.

    That parser recurses once per group colon, so a long header full of colons would exhaust the
    stack; and in strict mode one bad entry voids the whole list. Short lists are parsed whole (which
    keeps group syntax right); otherwise, or when the whole list is rejected, entry by entry.
    """
    if len(text) <= _WHOLE_LIST_MAX_CHARS and text.count(":") <= _WHOLE_LIST_MAX_COLONS:
        pairs = getaddresses([text])
        if pairs != [("", "")] or "@" not in text:
            return pairs
    recovered: list[tuple[str, str]] = []
    for piece in _split_address_list(text):
        entry = piece.strip().rstrip(";")
        if len(entry) > _ENTRY_MAX_CHARS:
            defects.append(f"overlong address entry skipped: {entry[:60]!r}")
            continue
        recovered.extend(pair for pair in getaddresses([entry]) if pair != ("", ""))
    return recovered


def _quote_encoded_words(text: str) -> str:
    """Encoded words outside quoted strings become quoted strings, so that the commas, colons and
    ``@`` they may carry cannot split or redirect the address parse; names are decoded afterwards."""

    def quoted(match: re.Match[str]) -> str:
        return '"' + match.group(0).replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "".join(
        lexeme if lexeme[:1] in ('"', "(", "<") else _ENCODED_WORD.sub(quoted, lexeme)
        for lexeme in _ADDRESS_TOKEN.findall(text)
    )


def _mailboxes(text: str, undecodable: bool, defects: list[str]) -> list[Address]:
    found: list[Address] = []
    for name, email in _address_pairs(text, defects):
        email = email.strip()
        if not email:
            if name:
                defects.append(f"address without a mailbox skipped: {name[:60]!r}")
            continue
        if (undecodable and not email.isascii()) or "\ufffd" in email:
            defects.append(f"undecodable address skipped: {email[:60]!r}")
            continue
        if not _EMAIL.fullmatch(email):
            defects.append(f"invalid address skipped: {email[:60]!r}")
            continue
        local, _, domain = email.rpartition("@")
        found.append(
            Address(name=_fold(_decode_encoded_words(name, defects)), email=f"{local}@{domain.lower()}")
        )
    return found


def _addresses(values: Iterable[bytes], hint: str | None, defects: list[str]) -> list[Address]:
    """Valid mailboxes in order, deduplicated, domains lower-cased; every skipped entry is a defect."""
    found: dict[Address, None] = {}
    for raw in values:
        text, defect = decode_header_bytes(raw, hint)
        text = _fold(text)
        attempt_defects: list[str] = []
        mailboxes = _mailboxes(_quote_encoded_words(text), defect is not None, attempt_defects)
        if not mailboxes and "=?" in text:
            # A whole "Name <address>" hidden in one encoded word: readable only once decoded.
            retry_defects: list[str] = []
            decoded = _fold(_decode_encoded_words(text, retry_defects))
            retried = _mailboxes(decoded, defect is not None, retry_defects)
            if retried:
                mailboxes, attempt_defects = retried, retry_defects
        defects.extend(attempt_defects)
        found.update(dict.fromkeys(mailboxes))
    return list(found)


def _date(raw: bytes | None, defects: list[str]) -> datetime | None:
    if raw is None:
        return None
    text = _fold(raw.decode("latin-1"))
    try:
        parts = parsedate_tz(text)
        if parts is None:
            raise ValueError(text)
        offset = parts[9]
        zone = UTC if offset is None else timezone(timedelta(seconds=offset))
        year, month, day, hour, minute, second = parts[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except (ValueError, OverflowError, TypeError, IndexError):
        defects.append(f"unreadable Date header {text[:60]!r}")
        return None


def _safe_filename(name: str | None) -> str | None:
    """The last path component, on one line, without control or format characters (a bidi override
    would make ``invoice\u202egpj.exe`` look like ``invoiceexe.jpg``); None when nothing is left."""
    if name is None:
        return None
    name = neutral_filename(_fold(_PATH_SEPARATORS.split(name)[-1]))
    if not name.strip("."):
        return None
    if len(name) > _MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 16:
            return stem[: _MAX_FILENAME_CHARS - len(extension) - 1] + "." + extension
        return name[:_MAX_FILENAME_CHARS]
    return name


def _format_address(address: Address) -> str:
    return f"{address.name} <{address.email}>" if address.name else address.email


def _forward_rendition(enclosed: _Rendered) -> str:
    """An enclosed message as a reader would see a forward: its main headers, then its text."""
    scratch: list[str] = []
    lines = ["---------- Forwarded message ----------"]
    for label, name in (
        ("From", "from"),
        ("Date", "date"),
        ("Subject", "subject"),
        ("To", "to"),
        ("Cc", "cc"),
    ):
        values = [value for key, value in enclosed.headers if key == name]
        if not values:
            continue
        if name in ("from", "to", "cc"):
            addresses = _addresses(values, enclosed.header_hint, scratch)
            shown = ", ".join(_format_address(address) for address in addresses)
        else:
            shown = _header_text(values[0], enclosed.header_hint, scratch)
        if shown:
            lines.append(f"{label}: {shown}")
    return ("\n".join(lines) + "\n\n" + enclosed.text).rstrip()


def _header_hint(root: _Part) -> str | None:
    """The charset a sender of raw 8-bit headers most likely used: the first one declared for a part,
    else the first one its encoded words name."""
    pending = deque([root])
    while pending:
        part = pending.popleft()
        charset = part.parameters.get("charset")
        if charset and codecs_for(charset) not in ((), ("ascii",)):
            return charset
        pending.extend(part.children or ())
    for _, value in root.headers:
        for match in _ENCODED_WORD.finditer(value.decode("latin-1")):
            if codecs_for(match.group(1)) not in ((), ("ascii",), ("utf-8",)):
                return match.group(1)
    return None


def _parse(raw: bytes, limits: ParseLimits) -> ParsedMessage:
    parser = _Parser(limits)
    if len(raw) > limits.max_input_bytes:
        parser.defects.append(f"mail larger than {limits.max_input_bytes} bytes; only the start was read")
        raw = raw[: limits.max_input_bytes]
    rendered = parser.message(raw, 0)
    defects = parser.defects
    hint = rendered.header_hint
    headers = tuple((name, _header_text(value, hint, defects)) for name, value in rendered.headers)

    def raw_values(name: str) -> list[bytes]:
        return [value for key, value in rendered.headers if key == name]

    message_ids = _message_ids(raw_values("message-id")[:1], defects)
    senders = _addresses(raw_values("from"), hint, defects)
    return ParsedMessage(
        headers=headers,
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=tuple(_message_ids(raw_values("in-reply-to"), defects)),
        references=tuple(_message_ids(raw_values("references"), defects)),
        subject=next((value for name, value in headers if name == "subject"), ""),
        sender=senders[0] if senders else None,
        reply_to=tuple(_addresses(raw_values("reply-to"), hint, defects)),
        to=tuple(_addresses(raw_values("to"), hint, defects)),
        cc=tuple(_addresses(raw_values("cc"), hint, defects)),
        date=_date(_first(rendered.headers, "date"), defects),
        content_type=rendered.content_type,
        text=rendered.text,
        html=rendered.html,
        attachments=tuple(rendered.attachments),
        defects=_bounded_defects(defects, limits.max_defects),
        not_extracted=parser.attachments_dropped + parser.parts_ignored,
    )


def _bounded_defects(defects: list[str], limit: int) -> tuple[str, ...]:
    unique = list(dict.fromkeys(defects))
    if len(unique) > limit:
        return (*unique[: limit - 1], f"{len(unique) - limit + 1} further defects not listed")
    return tuple(unique)


def parse_message(raw: bytes, *, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedMessage:
    """Parse one raw inbound mail; never raises, whatever the bytes.

    The text body prefers ``text/plain`` (the plain alternative, the inline text parts of a mixed
    body) and falls back to the HTML converted to text; a message whose only content is enclosed
    messages shows them as forwards. Every part that is not body text is an attachment. Everything
    that was wrong with the mail and how it was handled is listed in ``defects``.
    """
    try:
        return _parse(bytes(raw), limits)
    except Exception as error:  # a parser bug must cost one mail its structure, never the batch
        return ParsedMessage(
            headers=(),
            message_id=None,
            in_reply_to=(),
            references=(),
            subject="",
            sender=None,
            reply_to=(),
            to=(),
            cc=(),
            date=None,
            content_type="text/plain",
            text=_clean_text(bytes(raw[: limits.max_text_chars]).decode("utf-8", "replace")),
            html=None,
            attachments=(),
            defects=(f"parser error {type(error).__name__}; the raw mail is given as text",),
        )
