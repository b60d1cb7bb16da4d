"""The ``automations`` function's one entry: a fired one-time schedule names its purpose, and the
table :data:`PURPOSES` says who acts on it.

A schedule's input is ``{"purpose": <purpose>, "ref": <ticket>, "due": <iso time>}`` (more fields
are allowed for a purpose that needs them). Each handler re-reads the ticket and acts only if what
the schedule waited for still holds, so a stale or duplicated schedule does nothing. A purpose of the
whole desk (:data:`DESK_PURPOSES`: the daily knowledge review) carries ``"ref": ""``.

To add a purpose (the time rules of the rules file, say): write a function
``(request: AutomationRequest, settings, ports) -> str`` (its outcome, logged and returned) in its
own workflow module, add it to :data:`PURPOSES` under the name its schedules carry in ``purpose``,
and make those schedules with ``settings.scheduling.automations_function_arn`` as their target. The
function's role already may read and write tickets, send mail once and make schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from postdesk.clock import from_iso
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.refs import normalize_ref
from postdesk.workflows.knowledge_review import PURPOSE as KNOWLEDGE_REVIEW
from postdesk.workflows.knowledge_review import fire_knowledge_review
from postdesk.workflows.lifecycle import Purpose, fire_lifecycle
from postdesk.workflows.time_rules import PURPOSE as TIME_RULES
from postdesk.workflows.time_rules import fire_time_rules


@dataclass(frozen=True, slots=True)
class AutomationRequest:
    """What a fired schedule of the ``automations`` function carries."""

    purpose: str
    ref: str
    due: datetime
    # The rest of the schedule's input, for purposes that carry more.
    extra: Mapping[str, Any] = field(default_factory=dict)


AutomationHandler = Callable[[AutomationRequest, Settings, Ports], str]


def _lifecycle(purpose: Purpose) -> AutomationHandler:
    def run(request: AutomationRequest, settings: Settings, ports: Ports) -> str:
        return fire_lifecycle(purpose, request.ref, request.due, settings, ports).value

    return run


def _time_rules(request: AutomationRequest, settings: Settings, ports: Ports) -> str:
    """The time rules of the rules file due for the ticket (workflows/time_rules.py)."""
    outcome, _ = fire_time_rules(request.ref, request.due, settings, ports)
    return outcome.value


def _knowledge_review(request: AutomationRequest, settings: Settings, ports: Ports) -> str:
    """The daily review of the help-center articles (workflows/knowledge_review.py)."""
    return fire_knowledge_review(request.due, settings, ports)


# Purpose (as schedules name it) -> who acts on it. One line per purpose.
PURPOSES: dict[str, AutomationHandler] = {
    Purpose.PENDING_REMINDER.value: _lifecycle(Purpose.PENDING_REMINDER),
    Purpose.AUTO_RESOLVE.value: _lifecycle(Purpose.AUTO_RESOLVE),
    Purpose.CLOSE.value: _lifecycle(Purpose.CLOSE),
    Purpose.SNOOZE_END.value: _lifecycle(Purpose.SNOOZE_END),
    TIME_RULES: _time_rules,
    KNOWLEDGE_REVIEW: _knowledge_review,
}
# Purposes about no ticket: their schedules carry the ref "".
DESK_PURPOSES = frozenset({KNOWLEDGE_REVIEW})


def automation_request(event: Any) -> AutomationRequest | None:
    """The request a fired schedule carries; None for anything else (an unknown purpose, a ref that
    is not one, a time that is not ISO 8601)."""
    if not isinstance(event, dict):
        return None
    purpose, ref, due = event.get("purpose"), event.get("ref"), event.get("due")
    if not (
        isinstance(purpose, str) and purpose in PURPOSES and isinstance(ref, str) and isinstance(due, str)
    ):
        return None
    if (ref != "") if purpose in DESK_PURPOSES else (normalize_ref(ref) != ref):
        return None
    try:
        moment = from_iso(due)
    except (ValueError, TypeError):
        return None
    extra = {name: value for name, value in event.items() if name not in ("purpose", "ref", "due")}
    return AutomationRequest(purpose, ref, moment, extra)


def run_automation(request: AutomationRequest, settings: Settings, ports: Ports) -> str:
    """Hand ``request`` to the handler of its purpose; its outcome."""
    return PURPOSES[request.purpose](request, settings, ports)
