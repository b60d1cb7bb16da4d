"""What SES receiving does, for the places where there is no SES (tests, the demo, the local stack):
store the raw mail in the bucket under its messageId, then build the Lambda action's event."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from postdesk.aws.clients import client

# SES stops copying headers into the event past 10 KB and says so with headersTruncated.
HEADERS_LIMIT = 10 * 1024
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_ses_message_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def receipt_event(
    raw: bytes,
    *,
    ses_id: str,
    recipients: list[str],
    envelope_sender: str,
    received_at: datetime | None = None,
    verdicts: dict[str, str] | None = None,
    dmarc_policy: str | None = None,
) -> dict[str, Any]:
    """The event of a Lambda receipt action (InvocationType Event), shaped like SES's own."""
    moment = (received_at or datetime.now(UTC)).astimezone(UTC)
    timestamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    header_block = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = BytesHeaderParser(policy=compat32).parsebytes(header_block)
    headers = []
    size = 0
    truncated = False
    for name, value in parsed.items():
        size += len(name) + len(str(value)) + 4
        if size > HEADERS_LIMIT:
            truncated = True
            break
        headers.append({"name": name, "value": str(value)})
    status = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}
    status.update(verdicts or {})
    receipt: dict[str, Any] = {
        "timestamp": timestamp,
        "processingTimeMillis": 120,
        "recipients": recipients,
        "spamVerdict": {"status": status["spam"]},
        "virusVerdict": {"status": status["virus"]},
        "spfVerdict": {"status": status["spf"]},
        "dkimVerdict": {"status": status["dkim"]},
        "dmarcVerdict": {"status": status["dmarc"]},
        "action": {
            "type": "Lambda",
            "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:postdesk-ingest",
            "invocationType": "Event",
        },
    }
    if dmarc_policy:
        receipt["dmarcPolicy"] = dmarc_policy
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": timestamp,
                        "source": envelope_sender,
                        "messageId": ses_id,
                        "destination": recipients,
                        "headersTruncated": truncated,
                        "headers": headers,
                        "commonHeaders": {
                            "returnPath": envelope_sender,
                            "from": [str(parsed.get("From", ""))],
                            "to": [str(parsed.get("To", ""))],
                            "messageId": str(parsed.get("Message-ID", "")),
                            "subject": str(parsed.get("Subject", "")),
                        },
                    },
                    "receipt": receipt,
                },
            }
        ]
    }


def store_and_describe(
    raw: bytes,
    *,
    bucket: str,
    prefix: str,
    region: str,
    recipients: list[str],
    envelope_sender: str,
    ses_id: str | None = None,
    received_at: datetime | None = None,
    verdicts: dict[str, str] | None = None,
    dmarc_policy: str | None = None,
) -> dict[str, Any]:
    """SES's S3 action then its Lambda action: the raw mail in the bucket, and the event to invoke with."""
    ses_id = ses_id or new_ses_message_id()
    client("s3", region).put_object(Bucket=bucket, Key=f"{prefix}{ses_id}", Body=raw)
    return receipt_event(
        raw,
        ses_id=ses_id,
        recipients=recipients,
        envelope_sender=envelope_sender,
        received_at=received_at,
        verdicts=verdicts,
        dmarc_policy=dmarc_policy,
    )


# The local stack only: SES's receipt verdicts for a mail sent to its SMTP listener, so that the
# quarantine can be tried by hand ("X-Postdesk-Local-Verdicts: spam=FAIL"). SES never reads it.
LOCAL_VERDICTS_HEADER = "X-Postdesk-Local-Verdicts"
_VERDICT_NAMES = frozenset({"spam", "virus", "spf", "dkim", "dmarc"})
_VERDICT_VALUES = frozenset({"PASS", "FAIL", "GRAY", "PROCESSING_FAILED"})
_DMARC_POLICIES = frozenset({"NONE", "QUARANTINE", "REJECT"})


def local_verdicts(raw: bytes) -> tuple[dict[str, str], str | None]:
    """The verdicts (and DMARC policy) a mail's LOCAL_VERDICTS_HEADER asks for: ``spam=FAIL;
    dmarc=FAIL; dmarc_policy=REJECT``, names and values in any case; what it does not name passes,
    and what is not a verdict is left out."""
    header_block = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    value = BytesHeaderParser(policy=compat32).parsebytes(header_block).get(LOCAL_VERDICTS_HEADER)
    verdicts: dict[str, str] = {}
    policy: str | None = None
    for part in str(value or "").replace(",", ";").split(";"):
        name, _, given = part.partition("=")
        name, given = name.strip().lower(), given.strip().upper()
        if name in _VERDICT_NAMES and given in _VERDICT_VALUES:
            verdicts[name] = given
        elif name == "dmarc_policy" and given in _DMARC_POLICIES:
            policy = given
    return verdicts, policy
