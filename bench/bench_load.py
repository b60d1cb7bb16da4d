"""The local stack under load: 1,000 mails over SMTP from 8 concurrent senders (700 new requests,
then 300 replies to them), checked for anything lost or doubled; throughput and the time from SMTP
acceptance to the acknowledgement being sent (median, 99th percentile)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any


def run() -> dict[str, Any]:
    from postdesk_tools.load import run_load
    from postdesk_tools.local_stack import local_stack, quiet_empty_metrics

    quiet_empty_metrics()
    with (
        tempfile.TemporaryDirectory(prefix="postdesk-load-") as state,
        local_stack(Path(state), smtp_port=0, api_port=0) as stack,
    ):
        return run_load(stack, requests=700, replies=300, senders=8)
