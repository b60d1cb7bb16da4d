"""The signature of a webhook delivery: ``Postdesk-Signature: t=<unix seconds>,v1=<hex>``, where the
hex is the HMAC-SHA256, under the webhook's secret, of ``<t>.<body>`` (the body's exact bytes). The
timestamp lets a receiver refuse a delivery replayed long after it was made; docs/events.md shows how
to verify one."""

from __future__ import annotations

import hashlib
import hmac

from postdesk.signing import sign

HEADER = "Postdesk-Signature"
# A receiver's tolerance for the signature's time (docs/events.md's snippet uses the same).
TOLERANCE_SECONDS = 300
# What every webhook secret starts with (a prefix, not a secret).
SECRET_PREFIX = "whsec_"  # noqa: S105
# 52 base32 characters: the whole HMAC-SHA256 (256 bits).
_SECRET_LENGTH = 52


def webhook_secret(signing_key: bytes, webhook_id: str, salt: str) -> str:
    """A webhook's secret, derived from the desk's signing key (Secrets Manager) and the webhook's own
    random salt: the webhooks table holds no secret, and only who can read the signing key can sign.
    Shown to the admin once, when the webhook is made (or its secret rolled)."""
    return SECRET_PREFIX + sign(signing_key, "webhook-secret", webhook_id, salt, length=_SECRET_LENGTH)


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now`` (what
    a receiver does; the desk's tests check its own deliveries with it)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature_header(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts.get('v1', '')}".encode())
