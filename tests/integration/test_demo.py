"""`make demo` tells the inbound story end to end on in-process moto."""

from __future__ import annotations

import io
import re

from postdesk.devtools.demo import run_demo


def test_demo_runs_the_five_mails_and_tells_what_happened() -> None:
    # When the demo runs
    out = io.StringIO()
    assert run_demo(out) == 0
    story = out.getvalue()

    # Then the request and the German request were acknowledged, in their languages
    assert story.count("acknowledgement headers:") == 2
    assert "| Hello Jane Doe," in story and "| Guten Tag Jürgen Müller," in story
    assert "Auto-Submitted: auto-replied" in story and "X-Auto-Response-Suppress: All" in story
    # And the answer to the acknowledgement joined the first ticket, the out-of-office too
    first_ref = re.search(r"new ticket (\S+);", story)
    assert first_ref is not None
    assert f"joined {first_ref.group(1)} via signed reply address" in story
    assert f"joined {first_ref.group(1)} via In-Reply-To/References" in story
    # And the bounce was quarantined without an acknowledgement
    assert "screened bounce: multipart/report" in story and "ack      suppressed" in story
    assert "Mails sent: 2;" in story
