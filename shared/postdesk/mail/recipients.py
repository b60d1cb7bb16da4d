"""Who a mail of ours may go to: a checked address, and how many at once.

SES sends one message to at most 50 recipients (To, Cc and Bcc together) and refuses the whole
message beyond that; a ticket keeps at most that many, less the requester, so that it can always be
answered."""

from __future__ import annotations

import re

from postdesk.errors import Invalid, Unprocessable

# SES: "The message may not include more than 50 recipients, across the To:, CC: and BCC: fields".
MAX_RECIPIENTS = 50
# The requester is always one of them: the Cc addresses a ticket keeps.
MAX_TICKET_CC = MAX_RECIPIENTS - 1
# RFC 5321 caps a forward path at 256 octets, so an address is at most 254 characters.
MAX_ADDRESS = 254
_ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


class InvalidAddress(Invalid):
    """The text is not an email address."""


class TooManyRecipients(Unprocessable):
    """Nothing was sent: the mail would go to more recipients than SES takes in one message."""

    def __init__(self, count: int, detail: str = "") -> None:
        self.count = count
        super().__init__(
            f"a mail goes to at most {MAX_RECIPIENTS} recipients (the limit of Amazon SES); "
            f"this one would go to {count}" + (f": {detail}" if detail else "")
        )


def normalize_address(address: str) -> str:
    """The address as the desk stores it (lower case); InvalidAddress if it is none."""
    candidate = address.strip()
    if len(candidate) > MAX_ADDRESS or not _ADDRESS.fullmatch(candidate):
        raise InvalidAddress(f"{candidate[:80]!r} is not an email address")
    return candidate.lower()


def check_recipient_count(count: int, detail: str = "") -> None:
    """TooManyRecipients when ``count`` recipients are more than one message may have."""
    if count > MAX_RECIPIENTS:
        raise TooManyRecipients(count, detail)
