"""A small load on the local stack, checked as the benchmark checks its 1,000 mails: every raw mail
kept, every request one ticket with one acknowledgement, every reply on its ticket, nothing doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk_tools.load import run_load
from postdesk_tools.local_stack import local_stack

pytestmark = pytest.mark.e2e


def test_concurrent_senders_lose_and_double_nothing(tmp_path: Path) -> None:
    with local_stack(tmp_path / "stack", smtp_port=0, api_port=0) as stack:
        figures = run_load(stack, requests=40, replies=20, senders=4)

    assert figures["problems"] == [] and figures["problem_count"] == 0
    assert (figures["mails"], figures["requests"], figures["replies"]) == (60, 40, 20)
    assert figures["accept_to_ack_median_ms"] is not None and figures["mails_per_second"] > 0
