"""`make demo` tells the whole story on a local stack it starts: mail in over SMTP in three
languages, a customer's reply, an out-of-office and a bounce, an agent's answer, a day later the
survey, and the customer's rating."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from postdesk_tools.demo import run_demo

pytestmark = pytest.mark.e2e


def test_the_demo_tells_the_story_end_to_end(tmp_path: Path) -> None:
    out = io.StringIO()

    code = run_demo(out, state_dir=tmp_path / "stack")

    story = out.getvalue()
    assert code == 0, story
    # Three requests acknowledged in their languages, with a promise of when a person answers
    assert story.count("   ack      sent") == 3
    assert (
        "| Hello Jane Doe," in story
        and "| Guten Tag Jürgen Müller," in story
        and "| Bonjour Marie Dupont," in story
    )
    assert (
        "A member of our team will answer you by " in story
        and "Jemand aus unserem Team antwortet Ihnen" in story
    )
    # The answer and the out-of-office joined the first ticket; the bounce was kept, unanswered
    first = re.search(r"new ticket (\S+):", story)
    assert first is not None
    assert story.count(f"added to {first.group(1)}") == 2
    assert "quarantined (bounce" in story and "   ack      suppressed" in story
    # The agent resolved it, the survey went out a day later and the rating came back
    assert f"survey-{first.group(1)}-1: sent" in story
    assert "(Auto-Submitted: auto-generated)" in story
    assert "POST 200 (recorded)" in story and "'rating': 4" in story
    assert re.search(r"Numbers: 3 tickets, 1 survey answers, \d+ mails in the outbox", story)
