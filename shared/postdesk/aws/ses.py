"""Sending through SES as raw MIME (the only way every header we set reaches the recipient)."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from postdesk.aws.clients import client


class SesMailer:
    def __init__(self, region: str, configuration_set: str | None = None) -> None:
        self._region = region
        self._configuration_set = configuration_set

    def send_raw(self, source: str, destinations: Sequence[str], raw: bytes) -> str:
        """Send and return the SES MessageId (SES replaces our Message-ID with ``<id@region...>``)."""
        arguments: dict[str, object] = {
            "Source": source,
            "Destinations": list(destinations),
            "RawMessage": {"Data": raw},
        }
        if self._configuration_set:
            arguments["ConfigurationSetName"] = self._configuration_set
        response = client("ses", self._region).send_raw_email(**arguments)
        return str(response["MessageId"])

    def ses_message_id_header(self, ses_id: str) -> str:
        """The Message-ID SES gives what it sends; us-east-1 uses the older ``email.amazonses.com``."""
        host = "email.amazonses.com" if self._region == "us-east-1" else f"{self._region}.amazonses.com"
        return f"<{ses_id}@{host}>"


def send_problem(error: BaseException) -> str | None:
    """What went wrong, in words, when ``error`` is SES refusing a mail or not being reached (its
    error code and message, never the mail's text); None for any other error, which is not a
    failure to send and must not be taken for one."""
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        code = detail.get("Code", "an error")
        message = detail.get("Message", "")
        return f"SES answered {code}: {message}" if message else f"SES answered {code}"
    if isinstance(error, BotoCoreError):
        return f"SES could not be reached: {error}"
    return None
