"""The single sign-ons under way (auth/sso.py), in the sessions table: ``SSO#<sha256 of state>``
holds the PKCE verifier, the SHA-256 of the nonce the starting browser's cookie holds, the console
address to return to, and ``expires_at`` (ten minutes, the table's TTL). Neither the state nor the
nonce is stored: reading the table lets no one finish a sign-on."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from postdesk.auth.sessions import digest
from postdesk.aws.dynamodb import DeskModel, delete_if, read_item
from postdesk.tickets.dynamo import bind_model

SSO_PREFIX = "SSO#"


class SsoItem(DeskModel):
    class Meta:
        table_name = "unbound-sessions"

    key = UnicodeAttribute(hash_key=True)
    verifier = UnicodeAttribute()
    browser_hash = UnicodeAttribute()
    return_to = UnicodeAttribute()
    expires_at = NumberAttribute()


class SsoStarts:
    """The sign-ons under way, in the sessions table."""

    def __init__(self, table_name: str, region: str) -> None:
        bind_model(SsoItem, table_name, region)

    def save(
        self, state: str, verifier: str, browser_nonce: str, return_to: str, expires_at: datetime
    ) -> None:
        SsoItem(
            SSO_PREFIX + digest(state),
            verifier=verifier,
            browser_hash=digest(browser_nonce),
            return_to=return_to,
            expires_at=int(expires_at.timestamp()),
        ).save()

    def take(self, state: str) -> SsoItem | None:
        """The sign-on ``state`` names, removed so that it serves once (None: unknown or used)."""
        item = read_item(SsoItem, SSO_PREFIX + digest(state))
        if item is None:
            return None
        if not delete_if(item, SsoItem.key.exists()):
            return None  # another request took it first
        return item
