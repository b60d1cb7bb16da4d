"""What EventBridge Scheduler does and moto does not: fire the one-time schedules that are due.

Moto stores schedules but never runs them. The local desk and the tests call this instead: each
due ``at()`` schedule of the group invokes its target (the Lambda handler its ARN names) with the
schedule's input, and is deleted afterwards, as ``ActionAfterCompletion=DELETE`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postdesk import handlers
from postdesk.aws.clients import client
from postdesk.aws.scheduler import validate_at_expression

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# The Lambda functions schedules may target, by their name in functions/app.py (a deployed
# function is called <app>-<stage>-<name>, a local one <prefix>-<name>).
TARGETS: Mapping[str, Handler] = {
    "survey": handlers.survey_handler,
    "sla": handlers.sla_handler,
    "automations": handlers.automations_handler,
}


@dataclass(frozen=True, slots=True)
class FiredSchedule:
    name: str
    due: datetime
    target: str
    result: dict[str, Any]


def _handler_for(arn: str) -> tuple[str, Handler]:
    function = arn.rsplit(":", 1)[-1]
    for name, handler in TARGETS.items():
        if function == name or function.endswith(f"-{name}"):
            return name, handler
    raise LookupError(f"no local handler for the schedule target {arn}")


def fire_due_schedules(
    region: str,
    group: str,
    now: datetime,
    prefix: str = "",
    known: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> list[FiredSchedule]:
    """Run every schedule of ``group`` that is due at ``now`` (and whose name starts with ``prefix``),
    oldest first, and delete it. ``known`` (kept by a caller that ticks) holds the schedules read
    before, by name and last change, so a tick reads only what is new."""
    scheduler = client("scheduler", region)
    seen = known if known is not None else {}
    due: list[tuple[datetime, dict[str, Any]]] = []
    pages = scheduler.get_paginator("list_schedules").paginate(GroupName=group)
    listed: set[tuple[str, str]] = set()
    for page in pages:
        for summary in page["Schedules"]:
            if not summary["Name"].startswith(prefix):
                continue
            version = (summary["Name"], str(summary.get("LastModificationDate", "")))
            listed.add(version)
            schedule = seen.get(version)
            if schedule is None:
                schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                seen[version] = schedule
            when = validate_at_expression(schedule["ScheduleExpression"])
            if when <= now:
                due.append((when, schedule))
    for gone in set(seen) - listed:
        del seen[gone]
    fired = []
    for when, schedule in sorted(due, key=lambda pair: pair[0]):
        target = schedule["Target"]
        name, handler = _handler_for(target["Arn"])
        result = handler(json.loads(target.get("Input") or "{}"), None)
        with suppress(scheduler.exceptions.ResourceNotFoundException):
            # Gone already when its target deleted it (a reopen cancelling a survey, say).
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)
        fired.append(FiredSchedule(schedule["Name"], when, name, result))
    return fired
