"""What a webhook's endpoint receives for an event: the event itself as JSON (``json``), or a message
Slack's incoming webhooks (and Mattermost's, Teams' Slack-compatible ones) show as is (``slack``)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from postdesk.events.public import event_label


class PayloadFormat(StrEnum):
    JSON = "json"
    SLACK = "slack"


def delivery_body(event: dict[str, Any], payload_format: PayloadFormat) -> bytes:
    """The bytes POSTed (and signed) for ``event`` (EventBridge's envelope: id, detail-type, detail)."""
    detail = event.get("detail") or {}
    if payload_format is PayloadFormat.SLACK:
        return json.dumps(slack_message(detail), ensure_ascii=False, sort_keys=True).encode()
    document = {"type": event.get("detail-type") or detail.get("type"), **detail}
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def _who(actor: dict[str, Any]) -> str:
    """Who made the change, as a channel's readers say it: an agent by address, else in words."""
    if actor.get("email"):
        return str(actor["email"])
    return "the customer" if actor.get("type") == "customer" else "the desk"


def _change_words(change: dict[str, Any]) -> str:
    """A change from one value to another as a sentence ("from high to urgent"); other details as
    "name: value", the names in words."""
    if change and set(change) <= {"from", "to"}:
        return " ".join(f"{side} {change[side]}" for side in ("from", "to") if change.get(side))
    return ", ".join(f"{str(key).replace('_', ' ')}: {value}" for key, value in sorted(change.items()))


def slack_message(detail: dict[str, Any]) -> dict[str, Any]:
    """A Slack message: one line of text (Slack's fallback and notifications: "Ticket K7Q2-M9XD:
    Priority changed by sam@example.com") and, in a section block, the same with the ticket linked
    and what changed ("from high to urgent"), then the ticket's state in fields. Slack's mrkdwn treats
    <, > and & specially; they are escaped."""
    ref = _escape(str(detail.get("ref", "")))
    what = _escape(event_label(str(detail.get("type", ""))))
    who = _escape(_who(detail.get("actor") or {}))
    # "Customer replied", not "Customer replied by the customer".
    by = "" if what.startswith("Customer") and who == "the customer" else f" by {who}"
    url = detail.get("url")
    named = f"<{url}|{ref}>" if isinstance(url, str) and url else ref
    said = _escape(_change_words(detail.get("change") or {}))
    text = f"Ticket {named}: {what}{by}" + (f", {said}" if said else "")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    ticket = detail.get("ticket")
    if isinstance(ticket, dict):
        fields = [
            {"type": "mrkdwn", "text": f"*{label}*\n{_escape(str(ticket.get(key) or empty))}"}
            for label, key, empty in (
                ("Status", "status", "-"),
                ("Priority", "priority", "-"),
                ("Queue", "queue", "-"),
                ("Assignee", "assignee", "Nobody"),
            )
        ]
        blocks.append({"type": "section", "fields": fields})
    return {"text": f"Ticket {ref}: {what}{by}", "blocks": blocks}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
