"""One-time EventBridge Scheduler schedules: made once under a deterministic name, deleted when no
longer wanted. The ``at()`` expression is built and checked here (moto checks nothing)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.errors import Invalid

_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_NAME = re.compile(r"[0-9A-Za-z_.-]{1,64}")
# Retries of an invocation that failed, and how long an event may wait for one (Scheduler's range
# is 0-185 retries and 60-86,400 seconds); after that the event goes to the dead-letter queue.
RETRY_ATTEMPTS = 10
MAXIMUM_EVENT_AGE_SECONDS = 6 * 3600


class InvalidSchedule(Invalid):
    """A schedule's name or time cannot be used."""


def at_expression(when: datetime) -> str:
    """``at(yyyy-mm-ddThh:mm:ss)`` in UTC for an aware ``when`` (seconds kept; Scheduler fires within
    the minute)."""
    if when.tzinfo is None:
        raise InvalidSchedule("a schedule time needs a time zone")
    expression = f"at({when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})"
    validate_at_expression(expression)
    return expression


def validate_at_expression(expression: str) -> datetime:
    """The UTC time an ``at()`` expression names; InvalidSchedule when it is not one Scheduler takes."""
    match = _AT.fullmatch(expression)
    if match is None:
        raise InvalidSchedule(f"{expression!r} is not at(yyyy-mm-ddThh:mm:ss)")
    try:
        return datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidSchedule(f"{expression!r} names no real time: {error}") from error


def validate_schedule_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidSchedule(f"{name!r} is not a schedule name (1-64 of letters, digits, '-', '_', '.')")
    return name


@dataclass(frozen=True, slots=True)
class OneTimeSchedule:
    name: str
    at: datetime
    target_arn: str
    role_arn: str
    dead_letter_arn: str
    payload: dict[str, Any]


class EventBridgeScheduler:
    def __init__(self, region: str, group: str = "default") -> None:
        self._region = region
        self._group = group

    def _arguments(self, schedule: OneTimeSchedule) -> dict[str, Any]:
        target: dict[str, Any] = {
            "Arn": schedule.target_arn,
            "RoleArn": schedule.role_arn,
            "Input": json.dumps(schedule.payload, separators=(",", ":")),
            "RetryPolicy": {
                "MaximumRetryAttempts": RETRY_ATTEMPTS,
                "MaximumEventAgeInSeconds": MAXIMUM_EVENT_AGE_SECONDS,
            },
        }
        if schedule.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": schedule.dead_letter_arn}
        return {
            "Name": validate_schedule_name(schedule.name),
            "GroupName": self._group,
            "ScheduleExpression": at_expression(schedule.at),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            # Deletes itself after it fired.
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
            "Target": target,
        }

    def create_once(self, schedule: OneTimeSchedule) -> bool:
        """Create the schedule; False when one of that name already exists (a retry of ours, which
        counts as done)."""
        try:
            client("scheduler", self._region).create_schedule(**self._arguments(schedule))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConflictException":
                return False
            raise
        return True

    def delete(self, name: str) -> bool:
        """Delete the schedule; False when there is none (it fired, or never was)."""
        try:
            client("scheduler", self._region).delete_schedule(
                Name=validate_schedule_name(name), GroupName=self._group
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise
        return True
