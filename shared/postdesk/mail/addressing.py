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

    def __init__(self, support_address: str, key: bytes, other_addresses: Iterable[str] = ()) -> None:
        # Every mailbox of the desk (mailboxes.py) signs its Reply-To the same way: a plus-address of
        # any of them is ours to check.
        self._mailboxes = {
            (local, domain)
            for local, _, domain in (a.lower().partition("@") for a in (support_address, *other_addresses))
        }
        self._key = key

    def find(self, recipients: Iterable[str]) -> tuple[str | None, bool]:
        """(ref, forged): the ticket of the first validly signed plus-address, or None; ``forged`` is
        True when a plus-address of ours was present but none had a valid signature."""
        forged = False
        for recipient in recipients:
            local, _, domain = recipient.strip().lower().rpartition("@")
            base, plus, tag = local.partition("+")
            if (base, domain) not in self._mailboxes or not plus:
                continue
            match = _TAG.match(tag)
            if match and verify(self._key, match["sig"], _PURPOSE, match["ref"]):
                return normalize_ref(match["ref"]), False
            forged = True
        return None, forged


# A forward to a third party (workflows/forward.py) has a Reply-To of its own, signed for another
# purpose: a customer's reply address can never be made into one, nor the other way round.
_FORWARD_PURPOSE = "forward-reply-to"
_FORWARD_TAG = re.compile(r"^fw\.(?P<ref>[0-9a-z]{8})\.(?P<forward>[0-9a-z]{8})\.(?P<sig>[0-9a-z]+)$")
# RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
MAX_LOCAL_PART = 64


def forward_address(support_address: str, ref: str, forward_id: str, key: bytes) -> str:
    """``support+fw.k7q2m9xd.<forward id>.<signature>@domain``: where a third party's answer to the
    forward ``forward_id`` of ticket ``ref`` comes back. ValueError when the support address's local
    part leaves no room for the tag (at most 32 characters of it fit in 64)."""
    local, _, domain = support_address.partition("@")
    compact = ref.replace("-", "").lower()
    tag = f"fw.{compact}.{forward_id}.{sign(key, _FORWARD_PURPOSE, compact, forward_id)}"
    if len(local) + 1 + len(tag) > MAX_LOCAL_PART:
        raise ValueError(f"the address {support_address} is too long for a signed forward address")
    return f"{local}+{tag}@{domain}"


class ForwardAddressCheck:
    """Which of the recipients is the signed Reply-To of a forward of ours, and whether its signature
    holds. Any of the desk's addresses may carry it: only the signature says whose it is."""

    def __init__(self, addresses: Iterable[str], key: bytes) -> None:
        self._mailboxes = {
            (local, domain) for local, _, domain in (address.lower().partition("@") for address in addresses)
        }
        self._key = key

    def find(self, recipients: Iterable[str]) -> tuple[tuple[str, str] | None, bool]:
        """((ref, forward id), forged): the first validly signed forward address, or None; ``forged``
        is True when a forward address of ours was present but none had a valid signature (customer
        reply addresses are :class:`ReplyAddressCheck`'s)."""
        forged = False
        for recipient in recipients:
            local, _, domain = recipient.strip().lower().rpartition("@")
            base, plus, tag = local.partition("+")
            if (base, domain) not in self._mailboxes or not plus or not tag.startswith("fw."):
                continue
            match = _FORWARD_TAG.match(tag)
            if match and verify(self._key, match["sig"], _FORWARD_PURPOSE, match["ref"], match["forward"]):
                ref = normalize_ref(match["ref"])
                if ref is not None:
                    return (ref, match["forward"]), False
            forged = True
        return None, forged
