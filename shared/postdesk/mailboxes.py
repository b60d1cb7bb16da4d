"""The addresses the desk receives for, each a mailbox: its address, the queue its new tickets go to
and the brand name its mail is sent under.

The support address (``POSTDESK_SUPPORT_ADDRESS``, named ``POSTDESK_SUPPORT_NAME``) is always the
first mailbox, the main one: mail that names no other mailbox, and every ticket from before there
were several, belong to it. ``POSTDESK_MAILBOXES`` adds the others, comma separated::

    billing@example.com=billing:Example Billing,help@other.example=general:Other Brand

Each entry is ``address=queue:Brand name``. The queue may be left empty (``address=:Brand``: triage
decides, as for the main address), and so may the brand (``address=queue``: the desk's name). An
entry for the support address itself gives the main mailbox a queue or another brand name. A ticket
keeps the mailbox its first mail came to; everything the desk sends about it goes from that address
under that brand (workflows/thread_mail.py), and its signed Reply-To is a plus-address of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from postdesk.errors import ConfigurationError

# An address the desk can receive for and send from: no plus in the local part (it carries the
# signed ticket tag of our Reply-To), a dot in the domain.
_ADDRESS: Final = re.compile(r"[a-z0-9!#$%&'*/=?^_`{|}~.-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+")
# The queue names triage rules take (triage/rules.py), but for the colon that ends the queue here.
_QUEUE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
# A brand is a display name in a From header: one line, and short enough to read in a mail list.
MAX_BRAND_CHARS: Final = 100
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
VARIABLE: Final = "POSTDESK_MAILBOXES"


@dataclass(frozen=True, slots=True)
class Mailbox:
    """One address of the desk. ``queue`` None: the queue of a new ticket is triage's to decide."""

    address: str
    brand: str
    queue: str | None = None

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]

    def receives(self, recipient: str) -> bool:
        """Whether mail to ``recipient`` came to this mailbox: its address, or a plus-address of it
        (``billing+anything@``, our signed Reply-To among them)."""
        local, _, domain = recipient.strip().strip("<>").lower().rpartition("@")
        return domain == self.domain and local.partition("+")[0] == self.local_part


@dataclass(frozen=True, slots=True)
class Mailboxes:
    """The desk's mailboxes, the main one first."""

    all: tuple[Mailbox, ...]

    @property
    def main(self) -> Mailbox:
        return self.all[0]

    @property
    def domains(self) -> frozenset[str]:
        """Every domain the desk receives for."""
        return frozenset(mailbox.domain for mailbox in self.all)

    def get(self, address: str) -> Mailbox | None:
        """The mailbox of exactly ``address``, or None."""
        wanted = address.strip().lower()
        return next((mailbox for mailbox in self.all if mailbox.address == wanted), None)

    def of_ticket(self, address: str | None) -> Mailbox:
        """The mailbox a ticket came in on: the one it names, else the main one (a ticket from before
        there were several, or of a mailbox the desk no longer has)."""
        return (self.get(address) if address else None) or self.main

    def addressed(self, recipients: Iterable[str]) -> Mailbox | None:
        """The mailbox of the first recipient that is one of ours (or a plus-address of one)."""
        for recipient in recipients:
            for mailbox in self.all:
                if mailbox.receives(recipient):
                    return mailbox
        return None

    def of_queue(self, queue: str) -> Mailbox:
        """The mailbox whose new tickets go to ``queue``, else the main one: where mail about a
        ticket an agent starts in that queue comes from unless the agent chooses."""
        return next((mailbox for mailbox in self.all if mailbox.queue == queue), self.main)


def _checked_address(text: str, entry: str) -> str:
    address = text.strip().lower()
    if not _ADDRESS.fullmatch(address):
        raise ConfigurationError(
            f"{VARIABLE}: {entry!r}: {text.strip()!r} is not an address the desk can receive for "
            "(one @, a dot in the domain, no + in the local part)"
        )
    return address


def _checked_brand(text: str, entry: str) -> str:
    brand = " ".join(text.split())
    if _CONTROL.search(text) or len(brand) > MAX_BRAND_CHARS:
        raise ConfigurationError(
            f"{VARIABLE}: {entry!r}: the brand name is one line of at most {MAX_BRAND_CHARS} characters"
        )
    return brand


def _parsed_entry(entry: str, default_brand: str) -> Mailbox:
    """``address=queue:Brand name``, either part after ``=`` possibly empty."""
    address_text, separator, rest = entry.partition("=")
    if not separator:
        raise ConfigurationError(f"{VARIABLE}: {entry!r} is not address=queue:Brand name")
    queue_text, _, brand_text = rest.partition(":")
    queue = queue_text.strip()
    if queue and not _QUEUE.fullmatch(queue):
        raise ConfigurationError(
            f"{VARIABLE}: {entry!r}: {queue!r} is not a queue name (letters, digits, _ . -)"
        )
    return Mailbox(
        address=_checked_address(address_text, entry),
        brand=_checked_brand(brand_text, entry) or default_brand,
        queue=queue or None,
    )


def parse_mailboxes(spec: str, support_address: str, support_name: str) -> tuple[Mailbox, ...]:
    """The mailboxes ``spec`` names (see the module docstring), an entry for the support address
    among them if it has one; a mistake raises ConfigurationError naming the entry."""
    main = support_address.strip().lower()
    found: list[Mailbox] = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        mailbox = _parsed_entry(entry, support_name)
        if any(other.address == mailbox.address for other in found):
            raise ConfigurationError(f"{VARIABLE}: {entry!r}: {mailbox.address} is named twice")
        found.append(mailbox)
    # The main mailbox first, whatever the order it was written in.
    return tuple(sorted(found, key=lambda mailbox: mailbox.address != main))


def desk_mailboxes(support_address: str, support_name: str, configured: Iterable[Mailbox]) -> Mailboxes:
    """The main mailbox (the support address, or the entry that names it), then the others."""
    main = Mailbox(support_address.strip().lower(), support_name)
    others: list[Mailbox] = []
    for mailbox in configured:
        if mailbox.address == main.address:
            main = mailbox
        else:
            others.append(mailbox)
    return Mailboxes((main, *others))
