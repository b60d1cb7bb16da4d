"""Survey links: one signed token per rating, carrying the ticket reference, the resolution cycle,
the rating and an expiry. The HMAC covers all four, so a token can be neither edited nor reused for
another ticket, cycle or rating; the page may still offer the customer another rating on submit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from postdesk.errors import Conflict, Forbidden
from postdesk.signing import sign, verify

RATINGS = range(1, 6)
# 130 bits: a survey link is a bearer token for the customer's answer.
SIGNATURE_LENGTH = 26
_PURPOSE = "survey"
_TOKEN = re.compile(r"([A-Z0-9]{4}-[A-Z0-9]{4})\.([1-9][0-9]{0,3})\.([1-5])\.([0-9]{1,12})\.([a-z2-7]+)")


class TamperedToken(Forbidden):
    """The link is not one of ours, or was changed."""


@dataclass(frozen=True, slots=True)
class SurveyToken:
    ref: str
    cycle: int
    rating: int
    expires_at: datetime


class ExpiredToken(Conflict):
    """The link is ours but too old; it still names its ticket (to answer in the customer's language)."""

    def __init__(self, token: SurveyToken) -> None:
        super().__init__(f"the survey link for {token.ref} expired at {token.expires_at.isoformat()}")
        self.token = token


def issue_token(key: bytes, ref: str, cycle: int, rating: int, expires_at: datetime) -> str:
    if rating not in RATINGS:
        raise ValueError(f"a rating is 1 to 5, not {rating}")
    expiry = str(int(expires_at.timestamp()))
    signature = sign(key, _PURPOSE, ref, str(cycle), str(rating), expiry, length=SIGNATURE_LENGTH)
    return f"{ref}.{cycle}.{rating}.{expiry}.{signature}"


def read_token(key: bytes, text: str, now: datetime) -> SurveyToken:
    """The token's content; TamperedToken when it is not ours or was changed, ExpiredToken when too old."""
    match = _TOKEN.fullmatch(text.strip())
    if match is None:
        raise TamperedToken("this is not a survey link of ours")
    ref, cycle, rating, expiry, signature = match.groups()
    if not verify(key, signature, _PURPOSE, ref, cycle, rating, expiry, length=SIGNATURE_LENGTH):
        raise TamperedToken("this survey link was changed")
    token = SurveyToken(ref, int(cycle), int(rating), datetime.fromtimestamp(int(expiry), tz=UTC))
    if now >= token.expires_at:
        raise ExpiredToken(token)
    return token
