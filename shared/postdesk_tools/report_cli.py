"""`postdesk report [--since 7d] [--until 2026-11-30] [--json]`: the desk's figures, as text or JSON
(the same as GET /metrics)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from postdesk.knowledge.store import KnowledgeStore
from postdesk.replies.saved import SavedReplyStore
from postdesk.settings import Settings
from postdesk.tickets.store import TicketStore
from postdesk.workflows.report import (
    InvalidSpan,
    article_titles,
    build_report,
    format_report,
    parse_span,
)
from postdesk.workflows.sla import policy_of
from postdesk_tools.local_clock import local_clock


def add_report_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser(
        "report", help="how the desk is doing: volume, response times, SLA attainment, satisfaction"
    )
    report.add_argument(
        "--since",
        default="7d",
        help='days back, the last day included ("7d"), or the first date (default 7d)',
    )
    report.add_argument("--until", help="the last day, a date such as 2026-11-30 (default today)")
    report.add_argument("--json", action="store_true", help="the report as JSON")


def run_report(argv: Sequence[str], settings: Settings, out: TextIO, now: Callable[[], datetime]) -> int:
    """Print the report; 1 with a message for a span that is not one."""
    parser = argparse.ArgumentParser(prog="postdesk report")
    parser.add_argument("--since", default="7d")
    parser.add_argument("--until")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(list(argv))
    calendar = policy_of(settings).calendar
    # On the local stack, its clock (which `postdesk local advance` moves).
    moment = (local_clock() or now)()
    try:
        span = parse_span(arguments.since, arguments.until, moment.astimezone(calendar.zone()).date())
    except InvalidSpan as error:
        out.write(f"postdesk report: {error}\n")
        return 1
    store = TicketStore(settings.tables, settings.region, calendar.timezone)
    saved_replies = SavedReplyStore(settings.tables.saved_replies, settings.region).list()
    articles = KnowledgeStore(
        settings.tables.knowledge, settings.mail_bucket, settings.region
    ).list_articles()
    report = build_report(
        store,
        moment,
        span.first,
        calendar.timezone,
        until=span.last,
        saved_replies=saved_replies,
        article_titles=article_titles(articles),
        public_url=settings.survey.public_url,
    )
    out.write(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n" if arguments.json else format_report(report)
    )
    return 0
