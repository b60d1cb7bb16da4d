"""Every name the desk derives for a once-only side effect is built in one module
(postdesk/effects/keys.py) and listed in docs/data-model.md: the two say the same."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

from postdesk.effects import keys

DATA_MODEL = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
FIRST_PATTERN = re.compile(r"``(.+?)``")


def _builders() -> list[tuple[str, str]]:
    """(name, the pattern its docstring opens with) of every public function of the keys module."""
    found = []
    for name, function in inspect.getmembers(keys, inspect.isfunction):
        if name.startswith("_") or function.__module__ != keys.__name__:
            continue
        match = FIRST_PATTERN.search(inspect.getdoc(function) or "")
        assert match, f"keys.{name} names no pattern in its docstring"
        found.append((name, match.group(1)))
    return found


def test_every_key_the_desk_derives_is_in_the_data_model() -> None:
    documented = DATA_MODEL.read_text(encoding="utf-8")
    builders = _builders()

    assert len(builders) >= 18
    missing = [f"{name}: {pattern}" for name, pattern in builders if pattern not in documented]
    assert missing == [], "docs/data-model.md does not list: " + "; ".join(missing)


def test_the_patterns_describe_what_the_builders_make() -> None:
    at = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
    assert keys.delivery_guard("0100abc") == "delivery#0100abc"
    assert keys.first_delivery_guard("Jane@Example.com", "<a@b>") == keys.first_delivery_guard(
        "jane@example.com", " <a@b> "
    )
    assert keys.first_delivery_guard("jane@example.com", "<a@b>").startswith(
        f"first-delivery#{keys.address_hash('jane@example.com')[:32]}#"
    )
    assert keys.reply_guard("K7Q2-M9XD", "req-1") == "reply#K7Q2-M9XD#req-1"
    assert keys.survey_guard("K7Q2-M9XD", 2) == "survey#K7Q2-M9XD#2"
    assert keys.notice_guard("K7Q2-M9XD", "sla:warning:r1") == "notice#K7Q2-M9XD#sla:warning:r1"
    assert keys.mail_feedback_guard("fb-1", "") == "mail-feedback#fb-1#none"
    assert keys.mail_feedback_guard("fb-1", "Jane@Example.com") == (
        f"mail-feedback#fb-1#{keys.address_hash('jane@example.com')[:16]}"
    )
    assert keys.ack_rate_hour("jane@example.com", at).endswith("#h#2026112409")
    assert keys.ack_rate_day("jane@example.com", at).startswith(keys.ack_rate_prefix("JANE@example.com "))
    assert keys.survey_schedule("K7Q2-M9XD", 1) == "survey-K7Q2-M9XD-1"
    assert (
        keys.sla_schedule("K7Q2-M9XD", "warning", "first_response", at)
        == "sla-K7Q2-M9XD-w-fr-20261124T093100"
    )
    assert keys.ticket_thread_id("K7Q2-M9XD", "example.com") == "<ticket.k7q2m9xd.postdesk@example.com>"
    assert keys.ack_message_id("0100abc", "example.com").startswith("<ack.")
    assert keys.thread_message_key(at, "ack-0100abc") == "M#2026-11-24T09:31:00.000Z#ack-0100abc"
    assert (
        keys.event_key(at, "0100abc:0:ticket_created")
        == "E#2026-11-24T09:31:00.000Z#0100abc:0:ticket_created"
    )
