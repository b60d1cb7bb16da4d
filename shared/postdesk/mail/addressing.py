"""The signed plus-address we give as Reply-To, so a reply finds its ticket whatever the client keeps."""

from __future__ import annotations

import re
from collections.abc import Iterable

from postdesk.signing import sign, verify
from postdesk.tickets.refs import normalize_ref

_PURPOSE = "reply-to"
_TAG = re.compile(r"^(?P<ref>[0-9a-z]{8})\.(?P<sig>[0-9a-z]+)$")


def reply_address(support_address: str, ref: str, key: bytes) -> str:
    """``support+k7q2m9xd.<signature>@domain`` for the ticket ``ref``."""
    local, _, domain = support_address.partition("@")
    compact = ref.replace("-", "").lower()
    return f"{local}+{compact}.{sign(key, _PURPOSE, compact)}@{domain}"


class ReplyAddressCheck:
    """Which of the recipients is a plus-address of ours, and whether its signature holds."""

    def __init__(self, support_address: str, key: bytes) -> None:
        local, _, domain = support_address.lower().partition("@")
        self._local = local
        self._domain = domain
        self._key = key

    def find(self, recipients: Iterable[str]) -> tuple[str | None, bool]:
        """(ref, forged): the ticket of the first validly signed plus-address, or None; ``forged`` is
        True when a plus-address of ours was present but none had a valid signature."""
        forged = False
        for recipient in recipients:
            local, _, domain = recipient.strip().lower().rpartition("@")
            base, plus, tag = local.partition("+")
            if domain != self._domain or base != self._local or not plus:
                continue
            match = _TAG.match(tag)
            if match and verify(self._key, match["sig"], _PURPOSE, match["ref"]):
                return normalize_ref(match["ref"]), False
            forged = True
        return None, forged
