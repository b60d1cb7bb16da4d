"""What a webhook's endpoint receives for an event: the event itself as JSON (``json``), or a message
Slack's incoming webhooks (and Mattermost's, Teams' Slack-compatible ones) show as is (``slack``)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any


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


def _words(type_name: str) -> str:
    return type_name.removeprefix("ticket.").replace("_", " ")


def slack_message(detail: dict[str, Any]) -> dict[str, Any]:
    """A Slack message: one line of text (Slack's fallback and notifications) and the same in a
    section block, with the ticket's state in fields. Slack's mrkdwn treats <, > and & specially;
    they are escaped."""
    ref = _escape(str(detail.get("ref", "")))
    what = _escape(_words(str(detail.get("type", ""))))
    actor = detail.get("actor") or {}
    who = _escape(str(actor.get("email") or actor.get("type") or "the desk"))
    url = detail.get("url")
    named = f"<{url}|{ref}>" if isinstance(url, str) and url else ref
    change = detail.get("change") or {}
    said = ", ".join(f"{_escape(str(k))}: {_escape(str(v))}" for k, v in sorted(change.items()))
    text = f"Ticket {named}: {what} ({who})" + (f" {said}" if said else "")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    ticket = detail.get("ticket")
    if isinstance(ticket, dict):
        fields = [
            {"type": "mrkdwn", "text": f"*{label}*\n{_escape(str(ticket.get(key) or '-'))}"}
            for label, key in (
                ("Status", "status"),
                ("Priority", "priority"),
                ("Queue", "queue"),
                ("Assignee", "assignee"),
            )
        ]
        blocks.append({"type": "section", "fields": fields})
    return {"text": f"Ticket {ref}: {what} ({who})", "blocks": blocks}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
