"""The typed form of a parsed inbound message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox: display name (may be empty) and address (domain lower-cased)."""

    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part that is not the chosen body: a file, an inline image, or an enclosed message."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes = field(repr=False)
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """Everything the desk needs from one inbound mail, decoded and bounded.

    ``headers`` keeps every top-level header as (lower-case name, decoded value), in order, with
    line breaks folded into spaces so that no value can ever smuggle a header into outbound mail.
    ``defects`` lists what was wrong with the mail and how it was handled; parsing never raises.
    """

    headers: tuple[tuple[str, str], ...]
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    content_type: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...] = ()
    # Attachments (and MIME parts past the part limit) the parse left in the raw mail: the ticket
    # says so and links the raw mail.
    not_extracted: int = 0

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    def has_header_prefix(self, prefix: str) -> bool:
        wanted = prefix.lower()
        return any(key.startswith(wanted) for key, _ in self.headers)
