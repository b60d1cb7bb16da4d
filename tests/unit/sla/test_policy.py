"""SLA policies: the shipped file, durations, validation that names the bad entry, and loading files."""

from __future__ import annotations

import copy
import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from postdesk.errors import PostdeskError
from postdesk.sla.policy import (
    DEFAULT_POLICY_PATH,
    PolicyError,
    SlaPolicy,
    Targets,
    load_policy,
    parse_duration,
    parse_policy,
)
from postdesk.tickets.model import PRIORITIES, Status

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
EIGHT_HOUR_DAY = 8 * HOUR
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def document() -> dict[str, Any]:
    """A small valid policy document, as tomllib would give it; each test breaks one entry."""
    return {
        "calendar": {
            "timezone": "Europe/Berlin",
            "hours": dict.fromkeys(WORKDAYS, "09:00-17:00"),
            "holidays": "DE",
            "closed": ["2026-12-24"],
        },
        "clocks": {"business_day": "8h", "pause_resolution_in": ["pending"], "warn_at": 0.75},
        "targets": {
            "urgent": {"first_response": "1h", "next_response": "2h", "resolution": "1d"},
            "high": {"first_response": "4h", "next_response": "4h", "resolution": "2d"},
            "normal": {"first_response": "1d", "next_response": "1d", "resolution": "3d"},
            "low": {"first_response": "2d", "next_response": "2d", "resolution": "5d"},
        },
        "queues": {"billing": {"targets": {"normal": {"first_response": "4h"}}}},
        "escalation": {"raise_priority": True, "reassign_to": ""},
    }


def with_entry(path: tuple[str, ...], value: object) -> dict[str, Any]:
    """The valid document with the entry at ``path`` set to ``value``."""
    changed = copy.deepcopy(document())
    table = changed
    for key in path[:-1]:
        table = table[key]
    table[path[-1]] = value
    return changed


def without_entry(path: tuple[str, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(document())
    table = changed
    for key in path[:-1]:
        table = table[key]
    del table[path[-1]]
    return changed


# --- the shipped policy -------------------------------------------------------------------------


def test_the_shipped_policy_loads_with_targets_for_every_priority() -> None:
    # Given the policy.toml that ships with the package
    # When it is loaded
    policy = load_policy()

    # Then every priority has its three targets, "1d" being one 8-hour business day
    assert policy.business_day == EIGHT_HOUR_DAY
    assert set(policy.targets) == set(PRIORITIES)
    assert policy.targets["urgent"] == Targets(1 * HOUR, 2 * HOUR, 8 * HOUR)
    assert policy.targets["high"] == Targets(4 * HOUR, 4 * HOUR, 16 * HOUR)
    assert policy.targets["normal"] == Targets(8 * HOUR, 8 * HOUR, 24 * HOUR)
    assert policy.targets["low"] == Targets(16 * HOUR, 16 * HOUR, 40 * HOUR)


def test_the_shipped_billing_queue_answers_normal_tickets_in_four_hours_and_inherits_the_rest() -> None:
    # Given the shipped policy
    policy = load_policy()

    # When the targets of the billing queue are looked up
    billing = policy.targets_for("normal", "billing")

    # Then only the first response of normal tickets is the queue's own; the rest is the desk's
    assert billing == Targets(first_response=4 * HOUR, next_response=8 * HOUR, resolution=24 * HOUR)
    for priority in ("urgent", "high", "low"):
        assert policy.targets_for(priority, "billing") == policy.targets[priority]
    assert policy.targets_for("normal", "general") == Targets(8 * HOUR, 8 * HOUR, 24 * HOUR)


def test_the_shipped_clocks_calendar_and_escalation_settings() -> None:
    # Given the shipped policy
    policy = load_policy()

    # Then the Berlin office with German holidays and two own closed days, pending pausing the
    # resolution, warnings at 75 % and escalation by priority only
    calendar = policy.calendar
    assert calendar.timezone == "Europe/Berlin"
    assert calendar.holiday_country == "DE"
    assert calendar.holiday_subdivision is None
    assert calendar.closed_days == frozenset({date(2026, 12, 24), date(2026, 12, 31)})
    assert calendar.weekly_hours == dict.fromkeys(range(5), ((time(9), time(17)),))
    assert policy.pause_resolution_in == frozenset({Status.PENDING})
    assert policy.warn_at == 0.75
    assert policy.raise_priority is True
    assert policy.reassign_to is None


def test_loading_the_default_policy_twice_gives_the_same_cached_policy() -> None:
    # Given the shipped policy, loaded once without a path
    first = load_policy()

    # When it is loaded by its path
    second = load_policy(DEFAULT_POLICY_PATH)

    # Then it is the very same (cached) object
    assert second is first


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "business_day", "expected"),
    [
        ("30m", EIGHT_HOUR_DAY, 30 * MINUTE),
        ("4h", EIGHT_HOUR_DAY, 4 * HOUR),
        ("1d", EIGHT_HOUR_DAY, 8 * HOUR),
        # "d" is a business day, whatever its length
        ("1d", 6 * HOUR, 6 * HOUR),
        ("1d 4h", EIGHT_HOUR_DAY, 12 * HOUR),
        ("1.5h", EIGHT_HOUR_DAY, 90 * MINUTE),
        ("4h30m", EIGHT_HOUR_DAY, 4 * HOUR + 30 * MINUTE),
        ("2d 1h 15m", EIGHT_HOUR_DAY, 17 * HOUR + 15 * MINUTE),
        ("  4 h  ", EIGHT_HOUR_DAY, 4 * HOUR),
    ],
)
def test_durations_parse_into_business_time(text: str, business_day: timedelta, expected: timedelta) -> None:
    # Given a duration as the policy writes it
    # When it is parsed
    duration = parse_duration(text, business_day, "targets.normal.first_response")

    # Then it is that much business time
    assert duration == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "4",  # no unit
        "h",  # no amount
        "4x",
        "4 hours",
        "4H",
        "-4h",
        "4h and more",
        "0h",  # not longer than zero
        "0d 0m",
        "99999999999d",  # more than a timedelta can hold
        "1" + "0" * 400 + "h",  # infinite as a float
        4,
        4.0,
        None,
        ["4h"],
    ],
)
def test_bad_durations_raise_a_policy_error_naming_the_entry(text: object) -> None:
    # Given a malformed, empty, zero or impossible duration
    # When it is parsed
    # Then a PolicyError names the entry
    with pytest.raises(PolicyError, match=r"^targets\.low\.resolution: "):
        parse_duration(text, EIGHT_HOUR_DAY, "targets.low.resolution")


def test_a_bad_target_in_a_document_names_its_priority_and_target() -> None:
    # Given a document whose high resolution target is not a duration
    bad = with_entry(("targets", "high", "resolution"), "two days")

    # When it is parsed
    # Then the error names the source, the priority, the target and the value
    with pytest.raises(
        PolicyError, match=r"^ops\.toml: targets\.high\.resolution: 'two days' is not a duration"
    ):
        parse_policy(bad, source="ops.toml")


def test_the_business_day_sets_the_length_of_a_d() -> None:
    # Given a desk whose business day is 6 hours
    custom = with_entry(("clocks", "business_day"), "6h")

    # When the policy is parsed
    policy = parse_policy(custom)

    # Then "1d", "2d" and "3d" are 6, 12 and 18 hours, and "1d" in the billing queue's inherited targets too
    assert policy.business_day == 6 * HOUR
    assert policy.targets["normal"] == Targets(6 * HOUR, 6 * HOUR, 18 * HOUR)
    assert policy.targets["high"].resolution == 12 * HOUR
    assert policy.targets_for("normal", "billing") == Targets(4 * HOUR, 6 * HOUR, 18 * HOUR)


def test_a_bad_business_day_is_named() -> None:
    # Given a business day that is no duration
    bad = with_entry(("clocks", "business_day"), "eight hours")

    # When the policy is parsed
    # Then the error names [clocks] business_day
    with pytest.raises(PolicyError, match=r"^<policy>: \[clocks\] business_day: 'eight hours'"):
        parse_policy(bad)


# --- unknown and missing entries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            ("notify",),
            r"^<policy>: unknown entries notify; allowed: automation, calendar, clocks, escalation, queues",
        ),
        (("clocks", "pause"), r"^<policy>: \[clocks\]: unknown entries pause; allowed: business_day"),
        (
            ("targets", "normal", "first_reply"),
            r"^<policy>: targets\.normal: unknown entries first_reply; allowed: first_response",
        ),
        (
            ("queues", "billing", "sla"),
            r"^<policy>: queues\.billing: unknown entries sla; allowed: assignment, automation, targets$",
        ),
        (
            ("queues", "billing", "targets", "normal", "answer"),
            r"^<policy>: queues\.billing\.targets\.normal: unknown entries answer",
        ),
        (
            ("escalation", "notify"),
            r"^<policy>: \[escalation\]: unknown entries notify; allowed: raise_priority",
        ),
        (("calendar", "zone"), r"^<policy>: \[calendar\] unknown calendar setting\(s\) 'zone'"),
    ],
)
def test_unknown_entries_are_rejected_by_name(path: tuple[str, ...], message: str) -> None:
    # Given a document with an entry the policy does not know (a typo, say)
    bad = with_entry(path, "x")

    # When it is parsed
    # Then the error names the table and the entry
    with pytest.raises(PolicyError, match=message):
        parse_policy(bad)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            ("targets", "critical"),
            r"^<policy>: targets: unknown entries critical; allowed: high, low, normal",
        ),
        (
            ("queues", "billing", "targets", "critical"),
            r"^<policy>: queues\.billing\.targets: unknown entries critical",
        ),
    ],
)
def test_unknown_priorities_are_rejected_by_name(path: tuple[str, ...], message: str) -> None:
    # Given targets for a priority the desk does not have
    bad = with_entry(path, {"first_response": "1h"})

    # When the document is parsed
    # Then the error names the priority
    with pytest.raises(PolicyError, match=message):
        parse_policy(bad)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("targets", "normal", "resolution"), r"^<policy>: targets\.normal: resolution is missing$"),
        (("targets", "low"), r"^<policy>: targets\.low: first_response is missing$"),
    ],
)
def test_the_desk_must_give_every_target_of_every_priority(path: tuple[str, ...], message: str) -> None:
    # Given desk targets with a target or a whole priority left out
    bad = without_entry(path)

    # When the document is parsed
    # Then the error names what is missing
    with pytest.raises(PolicyError, match=message):
        parse_policy(bad)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("targets",), "fast", r"^<policy>: \[targets\]: must be a table$"),
        (("targets", "normal"), "1d", r"^<policy>: targets\.normal: must be a table$"),
        (("queues", "billing"), "4h", r"^<policy>: queues\.billing: must be a table$"),
        (("clocks",), ["8h"], r"^<policy>: \[clocks\]: must be a table$"),
    ],
)
def test_values_where_a_table_belongs_are_rejected(
    path: tuple[str, ...], value: object, message: str
) -> None:
    # Given a plain value where a table belongs
    bad = with_entry(path, value)

    # When the document is parsed
    # Then the error names the entry
    with pytest.raises(PolicyError, match=message):
        parse_policy(bad)


# --- clocks and escalation settings -------------------------------------------------------------


@pytest.mark.parametrize("warn_at", [0, 1, 0.0, 1.0, 1.5, -0.25, "0.75", True, float("nan"), float("inf")])
def test_warn_at_must_be_a_share_strictly_between_zero_and_one(warn_at: object) -> None:
    # Given a warning share that is no number between 0 and 1
    bad = with_entry(("clocks", "warn_at"), warn_at)

    # When the document is parsed
    # Then the error names warn_at
    with pytest.raises(PolicyError, match=r"^<policy>: \[clocks\] warn_at: a share between 0 and 1"):
        parse_policy(bad)


def test_warn_at_takes_a_share_inside_the_range() -> None:
    # Given warnings at half of each target
    # When the document is parsed
    policy = parse_policy(with_entry(("clocks", "warn_at"), 0.5))

    # Then the share is kept
    assert policy.warn_at == 0.5


@pytest.mark.parametrize(
    "paused",
    [
        "pending",  # not a list
        ["resolved"],  # a done status: the clock stops there anyway
        ["closed"],
        ["Pending"],
        ["waiting"],
        [1],
        [["pending"]],
        [{"status": "pending"}],
    ],
)
def test_pause_statuses_must_be_a_list_of_open_statuses(paused: object) -> None:
    # Given statuses to pause in that are no list of open statuses
    bad = with_entry(("clocks", "pause_resolution_in"), paused)

    # When the document is parsed
    # Then a PolicyError names pause_resolution_in and the allowed statuses
    with pytest.raises(
        PolicyError,
        match=r"^<policy>: \[clocks\] pause_resolution_in: a list of new, on-hold, open, pending$",
    ):
        parse_policy(bad)


@pytest.mark.parametrize(
    ("paused", "expected"),
    [
        (["pending", "on-hold"], frozenset({Status.PENDING, Status.ON_HOLD})),
        ([], frozenset()),
    ],
)
def test_pause_statuses_are_read_as_statuses(paused: list[str], expected: frozenset[Status]) -> None:
    # Given a list of open statuses (or none) to pause the resolution in
    # When the document is parsed
    policy = parse_policy(with_entry(("clocks", "pause_resolution_in"), paused))

    # Then they are those statuses
    assert policy.pause_resolution_in == expected


def test_clock_settings_default_when_left_out() -> None:
    # Given a document without a [clocks] table
    # When it is parsed
    policy = parse_policy(without_entry(("clocks",)))

    # Then the business day is 8 hours, pending pauses, and warnings come at 75 %
    assert policy.business_day == EIGHT_HOUR_DAY
    assert policy.pause_resolution_in == frozenset({Status.PENDING})
    assert policy.warn_at == 0.75


@pytest.mark.parametrize("reassign_to", ["lead", "  ", 42, None, ["lead@example.com"]])
def test_reassign_to_must_be_an_email_address_or_empty(reassign_to: object) -> None:
    # Given an escalation target that is no email address
    bad = with_entry(("escalation", "reassign_to"), reassign_to)

    # When the document is parsed
    # Then the error names reassign_to
    with pytest.raises(PolicyError, match=r"^<policy>: \[escalation\] reassign_to: an agent's email address"):
        parse_policy(bad)


@pytest.mark.parametrize(
    ("reassign_to", "expected"), [(" Lead@Example.COM ", "lead@example.com"), ("", None)]
)
def test_reassign_to_is_normalised(reassign_to: str, expected: str | None) -> None:
    # Given an escalation address (or none)
    # When the document is parsed
    policy = parse_policy(with_entry(("escalation", "reassign_to"), reassign_to))

    # Then it is trimmed and lower-cased, and "" means nobody
    assert policy.reassign_to == expected


def test_raise_priority_must_be_true_or_false() -> None:
    # Given raise_priority as text
    bad = with_entry(("escalation", "raise_priority"), "yes")

    # When the document is parsed
    # Then the error names raise_priority
    with pytest.raises(PolicyError, match=r"^<policy>: \[escalation\] raise_priority: true or false$"):
        parse_policy(bad)


# --- the calendar --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "detail"),
    [
        (("calendar", "timezone"), "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        (("calendar", "hours", "mon"), "9-5", "opening hours for 'mon'"),
        (("calendar", "hours", "someday"), "09:00-17:00", "unknown day 'someday'"),
        (("calendar", "holidays"), "ZZ", "no public holidays are known for 'ZZ'"),
        (("calendar", "closed"), ["24.12.2026"], "closed day '24.12.2026' is not a date"),
    ],
)
def test_a_bad_calendar_raises_a_policy_error_naming_the_calendar(
    path: tuple[str, ...], value: object, detail: str
) -> None:
    # Given a calendar with a bad zone, hours, holiday region or closed day
    bad = with_entry(path, value)

    # When the document is parsed
    # Then a PolicyError (not the calendar's own error) names [calendar] and the problem
    with pytest.raises(PolicyError, match=rf"^ops\.toml: \[calendar\] .*{re.escape(detail)}"):
        parse_policy(bad, source="ops.toml")


def test_a_policy_without_a_calendar_names_the_missing_setting() -> None:
    # Given a document without a calendar
    # When it is parsed
    # Then the error says the calendar's timezone is missing
    with pytest.raises(
        PolicyError, match=r"^<policy>: \[calendar\] the calendar setting 'timezone' is missing$"
    ):
        parse_policy(without_entry(("calendar",)))


def test_policy_errors_are_postdesk_errors() -> None:
    # Given / When a policy error / Then the HTTP layer can map it like every deliberate error
    assert issubclass(PolicyError, PostdeskError)


# --- targets_for ---------------------------------------------------------------------------------


def test_an_unknown_priority_counts_as_normal() -> None:
    # Given the test policy
    policy = parse_policy(document())

    # When the targets of a priority the desk does not have are looked up
    targets = policy.targets_for("critical", "general")

    # Then they are the normal ones
    assert targets == policy.targets["normal"] == Targets(8 * HOUR, 8 * HOUR, 24 * HOUR)


def test_an_unknown_priority_in_a_queue_with_own_targets_counts_as_that_queue_s_normal() -> None:
    # Given a policy whose billing queue answers normal tickets within 4 hours
    policy = parse_policy(document())

    # When the targets of an unknown priority in billing are looked up
    targets = policy.targets_for("critical", "billing")

    # Then they are billing's normal targets, not the desk's
    assert targets == policy.targets_for("normal", "billing") == Targets(4 * HOUR, 8 * HOUR, 24 * HOUR)


def test_a_queue_without_own_targets_uses_the_desk_s() -> None:
    # Given the test policy, which has targets for billing only
    policy = parse_policy(document())

    # When the targets of another queue are looked up
    # Then they are the desk's, for every priority
    for priority in PRIORITIES:
        assert policy.targets_for(priority, "shipping") == policy.targets[priority]


# --- load_policy ---------------------------------------------------------------------------------


POLICY_TEXT = """
[calendar]
timezone = "Europe/Berlin"
holidays = ""
closed = [2026-12-24]

[calendar.hours]
mon = "08:00-16:00"

[clocks]
warn_at = 0.5

[targets.urgent]
first_response = "30m"
next_response = "1h"
resolution = "4h"

[targets.high]
first_response = "2h"
next_response = "2h"
resolution = "1d"

[targets.normal]
first_response = "4h"
next_response = "4h"
resolution = "2d"

[targets.low]
first_response = "1d"
next_response = "1d"
resolution = "4d"

[escalation]
reassign_to = "lead@example.com"
"""


def test_load_policy_reads_a_policy_file(tmp_path: Path) -> None:
    # Given an operator's own policy file (TOML dates for the closed days)
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TEXT, encoding="utf-8")

    # When it is loaded
    policy = load_policy(path)

    # Then its settings are the file's, not the shipped ones
    assert isinstance(policy, SlaPolicy)
    assert policy.targets["normal"] == Targets(4 * HOUR, 4 * HOUR, 16 * HOUR)
    assert policy.targets_for("normal", "billing") == policy.targets["normal"]
    assert policy.warn_at == 0.5
    assert policy.reassign_to == "lead@example.com"
    assert policy.calendar.closed_days == frozenset({date(2026, 12, 24)})
    assert policy.calendar.holiday_country is None
    assert list(policy.calendar.weekly_hours) == [0]


def test_an_invalid_entry_in_a_file_is_reported_with_the_file_s_path(tmp_path: Path) -> None:
    # Given a policy file with a bad warning share
    path = tmp_path / "bad-warn.toml"
    path.write_text(POLICY_TEXT.replace("warn_at = 0.5", "warn_at = 75"), encoding="utf-8")

    # When it is loaded
    # Then the error begins with the file's path and names the entry
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(path))}: \[clocks\] warn_at: "):
        load_policy(path)


def test_a_missing_policy_file_is_reported_as_unreadable(tmp_path: Path) -> None:
    # Given a path where no file is
    path = tmp_path / "nowhere.toml"

    # When it is loaded
    # Then the error names the file and why it cannot be read
    with pytest.raises(
        PolicyError,
        match=rf"^{re.escape(str(path))}: cannot read the SLA policy \(No such file or directory\)$",
    ):
        load_policy(path)


def test_a_folder_as_policy_file_is_reported_as_unreadable(tmp_path: Path) -> None:
    # Given a folder where the policy file should be
    # When it is loaded
    # Then the error says it cannot be read
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(tmp_path))}: cannot read the SLA policy \("):
        load_policy(tmp_path)


def test_a_policy_file_that_is_not_utf8_is_reported_clearly(tmp_path: Path) -> None:
    # Given a policy file saved as Latin-1, with an umlaut in a comment
    path = tmp_path / "latin1.toml"
    path.write_bytes(("# Büro München\n" + POLICY_TEXT).encode("latin-1"))

    # When it is loaded
    # Then a PolicyError names the file and says it is no UTF-8 text (not a bare UnicodeDecodeError)
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(path))}: .*UTF-8"):
        load_policy(path)


def test_a_policy_file_that_is_not_toml_is_reported_as_such(tmp_path: Path) -> None:
    # Given a file that is not TOML (a key without a value on line 2)
    path = tmp_path / "broken.toml"
    path.write_text("[clocks]\nwarn_at =\n", encoding="utf-8")

    # When it is loaded
    # Then the error names the file and the TOML problem
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(path))}: not valid TOML: .*line 2"):
        load_policy(path)
