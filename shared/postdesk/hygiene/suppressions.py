"""The desk's suppression list: addresses that bounced for good, complained, or kept bouncing.

Entries are keyed by the SHA-256 of the lower-cased address, so the table holds no address in the
clear: the desk asks "may I write to x?" by hashing x. A hard bounce or a complaint suppresses at
once; soft bounces (a full mailbox, a server that was down) are counted over a window and suppress
after the third, and the count lapses with the window (DynamoDB's TTL) when no third one came.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from postdesk.aws.dynamodb import DeskModel, read_item
from postdesk.effects.keys import address_hash
from postdesk.errors import Unprocessable
from postdesk.tickets.dynamo import bind_model

SOFT_BOUNCES_BEFORE_SUPPRESSION = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)


class Reason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    SOFT_BOUNCES = "soft_bounces"
    # The person asked to be erased and never written to again: only the hash of the address stays.
    DO_NOT_CONTACT = "do_not_contact"


REASON_WORDS = {
    Reason.HARD_BOUNCE: "mail to it bounced permanently",
    Reason.COMPLAINT: "its owner marked our mail as spam",
    Reason.SOFT_BOUNCES: f"mail to it bounced {SOFT_BOUNCES_BEFORE_SUPPRESSION} times within a month",
    Reason.DO_NOT_CONTACT: "its owner was erased and asked never to be written to again",
}


@dataclass(frozen=True, slots=True)
class Suppression:
    reason: Reason
    since: datetime
    # What SES said, without the address: "Permanent/General", "abuse".
    detail: str = ""

    def explain(self, address: str) -> str:
        why = REASON_WORDS[self.reason]
        return f"{address} is on the suppression list since {self.since:%Y-%m-%d}: {why}"


@dataclass(frozen=True, slots=True)
class SuppressionEntry:
    """What the list keeps about one address: a suppression, or soft bounces counted so far."""

    suppressed: bool
    reason: Reason | None
    since: datetime | None
    detail: str
    soft_bounces: int
    first_soft_bounce_at: datetime | None


class RecipientSuppressed(Unprocessable):
    """Nothing was sent: a recipient is on the suppression list."""

    def __init__(self, suppressed: dict[str, Suppression]) -> None:
        self.suppressed = suppressed
        super().__init__(
            "; ".join(s.explain(address) for address, s in sorted(suppressed.items())) + ". Nothing was sent."
        )


class SuppressionItem(DeskModel):
    class Meta:
        table_name = "unbound-suppressions"

    address_hash = UnicodeAttribute(hash_key=True)
    suppressed = BooleanAttribute(default=False)
    reason = UnicodeAttribute(null=True)
    since = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    soft_bounces = NumberAttribute(default=0)
    first_soft_bounce_at = UnicodeAttribute(null=True)
    # Only on an entry that counts soft bounces and suppresses nothing yet: the count lapses.
    expires_at = NumberAttribute(null=True)


class SuppressionList:
    def __init__(self, table: str, region: str) -> None:
        self._table = table
        self._region = region

    def _bound(self) -> type[SuppressionItem]:
        return bind_model(SuppressionItem, self._table, self._region)

    def check(self, addresses: Iterable[str]) -> dict[str, Suppression]:
        """The suppressed ones among ``addresses``, with why."""
        by_hash = {address_hash(address): address for address in addresses if address.strip()}
        if not by_hash:
            return {}
        found: dict[str, Suppression] = {}
        for item in self._bound().batch_get(list(by_hash), consistent_read=True):
            if item.suppressed and item.reason and item.since:
                found[by_hash[item.address_hash]] = Suppression(
                    Reason(item.reason), datetime.fromisoformat(item.since), item.detail or ""
                )
        return found

    def entry(self, address: str) -> SuppressionEntry | None:
        """Everything the list holds about ``address`` (a suppression or a soft-bounce count), or None."""
        item = read_item(self._bound(), address_hash(address))
        if item is None:
            return None
        return SuppressionEntry(
            suppressed=bool(item.suppressed),
            reason=Reason(item.reason) if item.reason else None,
            since=datetime.fromisoformat(item.since) if item.since else None,
            detail=item.detail or "",
            soft_bounces=int(item.soft_bounces or 0),
            first_soft_bounce_at=(
                datetime.fromisoformat(item.first_soft_bounce_at) if item.first_soft_bounce_at else None
            ),
        )

    def suppress(self, address: str, reason: Reason, at: datetime, detail: str = "") -> bool:
        """Suppress ``address``; False when it already was (the first reason stays)."""
        model = self._bound()
        existing = read_item(model, address_hash(address))
        if existing is not None and existing.suppressed:
            return False
        model(
            address_hash(address),
            suppressed=True,
            reason=reason.value,
            since=at.isoformat(),
            detail=detail[:200],
            soft_bounces=existing.soft_bounces if existing else 0,
        ).save()
        return True

    def soft_bounce(self, address: str, at: datetime, detail: str = "") -> bool:
        """Count a soft bounce; True when this one suppressed the address."""
        model = self._bound()
        item = read_item(model, address_hash(address))
        if item is None:
            item = model(address_hash(address))
        if item.suppressed:
            return False
        started = datetime.fromisoformat(item.first_soft_bounce_at) if item.first_soft_bounce_at else None
        if started is None or at - started > SOFT_BOUNCE_WINDOW:
            item.soft_bounces, item.first_soft_bounce_at = 0, at.isoformat()
            started = at
        item.soft_bounces = int(item.soft_bounces or 0) + 1
        if item.soft_bounces >= SOFT_BOUNCES_BEFORE_SUPPRESSION:
            item.suppressed, item.reason, item.since = True, Reason.SOFT_BOUNCES.value, at.isoformat()
            item.detail, item.expires_at = detail[:200], None
        else:
            item.expires_at = int((started + SOFT_BOUNCE_WINDOW).timestamp())
        item.save()
        return bool(item.suppressed)

    def remove(self, address: str) -> bool:
        """Forget ``address`` (an erasure, or an operator who knows the mailbox works again)."""
        item = read_item(self._bound(), address_hash(address))
        if item is None:
            return False
        item.delete()
        return True
