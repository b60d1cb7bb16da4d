"""Typed outbound message in, MIME bytes out. Every header value is cleaned here, once, so text that
came from a customer (a subject, a name) can never add a header to what we send."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from postdesk.mail.model import Address

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
# Long References headers get trimmed by some servers; RFC 5322 §3.6.4 lets us keep the first and
# the most recent ones.
MAX_REFERENCES = 20
MAX_SUBJECT = 250
# At the standard 78 columns the email package turns any longer token into an RFC 2047 encoded
# word, and Message-IDs from SES (``<0102018c...-000000@eu-west-1.amazonses.com>``) are longer:
# encoded, they would no longer match when a client copies them back. Lines fold at spaces below
# 256 columns, well inside RFC 5322's hard limit of 998.
_POLICY = SMTP.clone(max_line_length=256)


def clean_header_text(value: str, limit: int = 998) -> str:
    """One line of printable text: control characters (CR, LF, NUL, Unicode line separators) become
    spaces, runs of spaces fold to one, and the result is cut at ``limit`` characters."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


# Where a quote back to its writer leaves out the rest of what they wrote: words in no language.
QUOTE_CUT = "[…]"


def quoted_lines(text: str, most: int, most_chars: int = 1200) -> list[str]:
    """The lines of ``text`` to quote back to the person who wrote it (an acknowledgement's "Your
    message"): its first ``most`` lines that hold words, as written, and an empty line wherever
    they left blank lines between paragraphs, so the quote reads like what they wrote. At most
    ``most_chars`` characters, a long line cut at a space; when anything is left out, the quote
    ends with ``[…]``, so no one reads a cut quote as their whole mail."""
    lines: list[str] = []
    kept = 0
    room = most_chars
    cut = False
    for line in text.splitlines():
        if not line.strip():
            if lines and lines[-1]:
                lines.append("")
            continue
        if kept == most or room <= 0:
            cut = True
            break
        if len(line) > room:
            shortened = line[:room].rsplit(" ", 1)[0] if " " in line[:room].strip() else line[:room]
            lines.append(f"{shortened.rstrip()} {QUOTE_CUT}")
            return lines
        lines.append(line)
        kept += 1
        room -= len(line)
    if lines and not lines[-1]:
        lines.pop()
    if cut:
        lines.append(QUOTE_CUT)
    return lines


def is_header_safe(value: str) -> bool:
    """Whether ``value`` can go into a header as it is: no CR, LF or other control character (a
    value that has one is refused, not cleaned, when a person typed it: it is header injection)."""
    return _CONTROL.search(value) is None


def derived_message_id(kind: str, seed: str, domain: str) -> str:
    """A Message-ID of ours, the same for the same ``seed`` (so a retry names the same mail) and
    recognisable when it comes back (screening treats it as a loop)."""
    digest = hashlib.sha256(f"{kind}:{seed}".encode()).hexdigest()[:24]
    return f"<{kind}.{digest}.postdesk@{domain}>"


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    """A file a mail of ours carries: its name as the recipient sees it (already cleaned), its
    checked type, and its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class OutboundMail:
    sender: Address
    to: tuple[Address, ...]
    subject: str
    text: str
    html: str | None
    message_id: str
    date: datetime
    reply_to: str | None = None
    cc: tuple[Address, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # RFC 3834: "auto-replied" for answers to a message, "auto-generated" for the rest; None for
    # mail a person wrote.
    auto_submitted: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = field(default=())
    # Recipients no header names: SES is given them as destinations only.
    bcc: tuple[Address, ...] = ()
    attachments: tuple[OutgoingAttachment, ...] = ()

    @property
    def recipients(self) -> list[str]:
        """Every address the message goes to (To, Cc and Bcc), once each: the SES destinations."""
        return list(dict.fromkeys(address.email for address in (*self.to, *self.cc, *self.bcc)))


def _header_address(address: Address) -> HeaderAddress:
    local, _, domain = address.email.rpartition("@")
    # "=?" would start an encoded word that clients decode (into a line break, say): a name is shown,
    # so a space keeps it literal.
    name = clean_header_text(address.name, 200).replace("=?", "= ?")
    return HeaderAddress(display_name=name, username=local, domain=domain)


# UTF-8 bytes per encoded word: base64 makes 60 characters of 45 bytes, 72 with "=?utf-8?b?" and
# "?=", within RFC 2047's 75.
_ENCODED_WORD_BYTES = 45


def literal_encoded_words(text: str) -> str:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), one per folded line, which a client decodes
    to exactly ``text``. For text that holds "=?": written as it is, a client would decode *that* as
    an encoded word (``=?utf-8?q?Hi=0D=0ABcc:...?=`` shows as a line break and a Bcc line), and the
    email package decodes it too when it is set as a header."""
    words: list[str] = []
    chunk = b""
    for character in text:
        encoded = character.encode("utf-8")
        if len(chunk) + len(encoded) > _ENCODED_WORD_BYTES:
            words.append(chunk.decode("utf-8"))
            chunk = b""
        chunk += encoded
    if chunk:
        words.append(chunk.decode("utf-8"))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word.encode()).decode()}?=" for word in words)


def trimmed_references(references: tuple[str, ...]) -> list[str]:
    ids = [clean_header_text(ref, 250) for ref in dict.fromkeys(references) if ref]
    if len(ids) <= MAX_REFERENCES:
        return ids
    return [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def compose(mail: OutboundMail) -> bytes:
    """The mail as MIME bytes (multipart/alternative when there is HTML, inside multipart/mixed when
    it carries files), CRLF line ends. Bcc recipients are in no header."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = _header_address(mail.sender)
    message["To"] = [_header_address(address) for address in mail.to]
    if mail.cc:
        message["Cc"] = [_header_address(address) for address in mail.cc]
    if mail.reply_to:
        message["Reply-To"] = clean_header_text(mail.reply_to, 320)
    subject = clean_header_text(mail.subject, MAX_SUBJECT)
    if "=?" in subject:
        # Set as written: the email package would decode it first (see literal_encoded_words).
        message.set_raw("Subject", literal_encoded_words(subject))
    else:
        message["Subject"] = subject
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = clean_header_text(mail.message_id, 250)
    if mail.in_reply_to:
        message["In-Reply-To"] = clean_header_text(mail.in_reply_to, 250)
    references = trimmed_references(mail.references)
    if references:
        message["References"] = " ".join(references)
    if mail.auto_submitted:
        message["Auto-Submitted"] = mail.auto_submitted
        # Exchange and Outlook honour this and send no out-of-office back to automatic mail.
        message["X-Auto-Response-Suppress"] = "All"
    for name, value in mail.extra_headers:
        message[clean_header_text(name, 76)] = clean_header_text(value)
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=clean_header_text(attachment.filename, 200) or "attachment",
        )
    return message.as_bytes()
