"""What help-center articles count, pure: the per-day figures a ticket's events add to the articles
suggested on it (tickets/stats.py), the links a reply's body holds (knowledge/links.py), and the
report's knowledge section (workflows/report.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from postdesk.knowledge.figures import article_figures
from postdesk.knowledge.links import linked_articles, linked_slugs, links_in_language
from postdesk.replies.saved import SavedReply
from postdesk.tickets.model import TicketEvent
from postdesk.tickets.stats import article_slugs, stat_deltas
from postdesk.workflows.report import format_report, knowledge_figures, saved_reply_figures

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
DAY = "2026-03-02"
PUBLIC = "https://desk.example.com"


def _event(kind: str, actor: str = "system", minutes: int = 0, **detail: str) -> TicketEvent:
    return TicketEvent(
        ref="K7Q2-M9XD",
        at=AT + timedelta(minutes=minutes),
        kind=kind,
        event_id=f"{kind}:{minutes}",
        actor=actor,
        detail=detail,
    )


def _articles(
    events: list[TicketEvent], suggested_articles: tuple[str, ...] = (), answered_by_agent: bool = False
) -> dict[str, int]:
    """The article figures of ``events`` on their day, by key."""
    deltas = stat_deltas(
        events, ZONE, suggested_articles=suggested_articles, answered_by_agent=answered_by_agent
    )
    return {
        key: delta.count
        for (day, key), delta in deltas.items()
        if key.startswith("article:") and day == DAY and delta.count
    }


def test_an_acknowledgement_counts_each_article_it_suggested() -> None:
    ack = _event("ack_sent", articles="reset-password, invoice-copy,reset-password", language="en")

    assert _articles([ack]) == {"article:reset-password:suggested": 1, "article:invoice-copy:suggested": 1}
    assert _articles([_event("ack_sent", language="en")]) == {}
    assert article_slugs(" a ,, b ,a") == ["a", "b"]


def test_a_resolution_nobody_answered_is_a_deflection_of_every_suggested_article() -> None:
    resolved = _event("resolved", actor="automation", seconds="3600")

    figures = _articles([resolved], suggested_articles=("invoice-copy", "reset-password"))

    assert figures == {
        "article:invoice-copy:resolved": 1,
        "article:invoice-copy:deflected": 1,
        "article:reset-password:resolved": 1,
        "article:reset-password:deflected": 1,
    }


def test_only_the_first_resolution_can_be_a_deflection() -> None:
    again = _event("resolved", actor="automation", seconds="60", cycle="2")

    assert _articles([again], suggested_articles=("reset-password",)) == {
        "article:reset-password:resolved": 1
    }


def test_a_resolution_after_an_agents_answer_is_no_deflection() -> None:
    resolved = _event("resolved", actor="ana@example.com", seconds="3600")

    answered_before = _articles([resolved], suggested_articles=("reset-password",), answered_by_agent=True)
    reply = _event("agent_replied", actor="ana@example.com", ses_message_id="x")
    answered_now = _articles([reply, resolved], suggested_articles=("reset-password",))

    assert answered_before == {"article:reset-password:resolved": 1}
    assert answered_now == {"article:reset-password:resolved": 1}


def test_no_article_suggested_counts_no_outcome() -> None:
    events = [
        _event("resolved", actor="automation", seconds="60"),
        _event("reopened", minutes=1),
        _event("survey_answered", minutes=2, rating="1"),
    ]

    assert _articles(events) == {}


def test_an_acknowledgement_in_the_same_write_counts_for_what_follows_it() -> None:
    events = [_event("ack_sent", articles="reset-password"), _event("resolved", minutes=1, seconds="60")]

    assert _articles(events) == {
        "article:reset-password:suggested": 1,
        "article:reset-password:resolved": 1,
        "article:reset-password:deflected": 1,
    }


def test_reopenings_and_low_ratings_count_for_the_suggested_articles() -> None:
    suggested = ("reset-password",)

    assert _articles([_event("reopened", **{"from": "resolved", "to": "open"})], suggested) == {
        "article:reset-password:reopened": 1
    }
    assert _articles([_event("survey_answered", rating="2")], suggested) == {
        "article:reset-password:answered": 1,
        "article:reset-password:low_rated": 1,
    }
    assert _articles([_event("survey_answered", rating="3")], suggested) == {
        "article:reset-password:answered": 1
    }
    # A low rating changed to a good one is no longer low; the other way round it becomes one.
    assert _articles([_event("survey_rating_changed", rating="5", **{"from": "1"})], suggested) == {
        "article:reset-password:low_rated": -1
    }
    assert _articles([_event("survey_rating_changed", rating="2", **{"from": "4"})], suggested) == {
        "article:reset-password:low_rated": 1
    }
    assert _articles([_event("survey_rating_changed", rating="2", **{"from": "1"})], suggested) == {}


def test_a_reply_counts_the_articles_it_links() -> None:
    reply = _event("agent_replied", actor="ana@example.com", articles="reset-password,invoice-copy")

    assert _articles([reply]) == {"article:reset-password:linked": 1, "article:invoice-copy:linked": 1}


def test_the_links_of_a_body_to_this_desks_help_center() -> None:
    body = (
        f"See [Reset]({PUBLIC}/help/en/articles/reset-password?from=mail) and "
        f"{PUBLIC}/help/de/articles/invoice-copy.\n"
        f"Again: <{PUBLIC}/help/en/articles/reset-password#steps>, "
        "elsewhere https://other.example.com/help/en/articles/not-ours, "
        f"and a longer slug {PUBLIC}/help/en/articles/reset-password-on-mobile"
    )

    assert linked_articles(body, PUBLIC) == [
        ("en", "reset-password"),
        ("de", "invoice-copy"),
        ("en", "reset-password-on-mobile"),
    ]
    assert linked_slugs(body, PUBLIC + "/") == ["reset-password", "invoice-copy", "reset-password-on-mobile"]
    assert linked_slugs(body, "") == []


def test_links_turn_to_the_tickets_language_where_the_article_is_published_in_it() -> None:
    published = {"reset-password": ["en", "de"], "invoice-copy": ["en"]}
    asked: list[str] = []

    def published_in(slug: str) -> list[str]:
        asked.append(slug)
        return published.get(slug, [])

    body = (
        f"[Reset]({PUBLIC}/help/en/articles/reset-password?from=mail) "
        f"[Invoice]({PUBLIC}/help/en/articles/invoice-copy) "
        f"[Again]({PUBLIC}/help/en/articles/reset-password)"
    )

    relinked = links_in_language(body, PUBLIC, "de", published_in)

    assert relinked == (
        f"[Reset]({PUBLIC}/help/de/articles/reset-password?from=mail) "
        f"[Invoice]({PUBLIC}/help/en/articles/invoice-copy) "
        f"[Again]({PUBLIC}/help/de/articles/reset-password)"
    )
    assert asked == ["reset-password", "invoice-copy"]
    assert links_in_language(body, PUBLIC, "en", published_in) == body
    assert links_in_language(body, "", "de", published_in) == body


def test_the_reports_knowledge_section() -> None:
    totals = Counter(
        {
            "article:reset-password:suggested": 4,
            "article:reset-password:deflected": 1,
            "article:reset-password:resolved": 3,
            "article:reset-password:helpful": 3,
            "article:reset-password:not_helpful": 1,
            "article:reset-password:opened": 5,
            "article:gone-article:opened": 2,
            "saved:abc:used": 7,
            "created": 9,
        }
    )

    knowledge = knowledge_figures(
        totals, {"reset-password": "Reset your password", "unused-article": "Never suggested"}
    )

    rows = {row["slug"]: row for row in knowledge["articles"]}
    assert [row["slug"] for row in knowledge["articles"]] == [
        "reset-password",
        "gone-article",
        "unused-article",
    ]
    reset = rows["reset-password"]
    assert reset["title"] == "Reset your password"
    assert (reset["suggested"], reset["deflected"], reset["opened"]) == (4, 1, 5)
    assert reset["helpful_share"] == 0.75
    assert reset["deflection_rate"] == 0.25
    assert rows["gone-article"]["title"] is None
    assert rows["unused-article"]["helpful_share"] is None
    assert rows["unused-article"]["deflection_rate"] is None
    assert knowledge["totals"]["opened"] == 7
    assert knowledge["totals"]["slug"] is None
    assert article_figures(totals) == {
        "reset-password": {
            "suggested": 4,
            "deflected": 1,
            "resolved": 3,
            "helpful": 3,
            "not_helpful": 1,
            "opened": 5,
        },
        "gone-article": {"opened": 2},
    }
    lines = "\n".join(_knowledge_text(knowledge))
    assert "Reset your password: suggested 4" in lines
    assert "(deleted) gone-article" in lines


def _knowledge_text(knowledge: dict[str, object]) -> list[str]:
    """The knowledge lines of the text report of an otherwise empty report."""
    report = {
        "since": "2026-03-01",
        "until": "2026-03-02",
        "timezone": "UTC",
        "volume": {"total": 0, "by_day": {}, "by_category": {}, "by_language": {}, "by_queue": {}},
        "first_response": {"median_seconds": None, "p90_seconds": None, "count": 0},
        "resolution": {"median_seconds": None, "p90_seconds": None, "count": 0},
        "sla": {},
        "reopen": {"reopened": 0, "resolved": 0, "rate": None},
        "csat": {"satisfied_share": None, "answers": 0, "response_rate": None, "surveys_sent": 0},
        "agents": {},
        "automation": {
            "reminders": 0,
            "auto_resolved": 0,
            "reopened_after_auto_resolve": 0,
            "reopen_rate": None,
            "auto_closed": 0,
        },
        "notifications": {"sent": 0},
        "assignment": {"automatic": 0, "by_rule": {}, "nobody_available": 0},
        "time_rules": {"applied": 0, "by_rule": {}},
        "saved_replies": [],
        "knowledge": knowledge,
        "backlog": {},
        "surges": [],
    }
    text = format_report(report)
    start = text.index("Help-center articles:")
    return text[start:].split("\n\nBacklog")[0].splitlines()


def _saved_reply(saved_id: str, body: str) -> SavedReply:
    return SavedReply(saved_id, f"Reply {saved_id}", body, "en", AT, AT, "ana@example.com")


def test_each_saved_reply_row_of_the_report_names_the_articles_its_text_links() -> None:
    # Given a saved reply linking two articles of this desk's help center (one twice, one in German),
    # one linking another site's page of the same shape, and one deleted since with figures
    linking = _saved_reply(
        "links",
        f"See [Reset]({PUBLIC}/help/en/articles/account-recovery) and "
        f"[Retouren]({PUBLIC}/help/de/articles/delivery-and-returns?from=mail), "
        f"or [again]({PUBLIC}/help/fr/articles/account-recovery).",
    )
    elsewhere = _saved_reply("elsewhere", "See https://other.example/help/en/articles/account-recovery")
    totals = {"saved:links:used": 2, "saved:gone:used": 1}

    rows = {row["id"]: row for row in saved_reply_figures(totals, [linking, elsewhere], PUBLIC)}

    # Then each row has the slugs linked, in order and once each, and only this desk's
    assert rows["links"]["articles"] == ["account-recovery", "delivery-and-returns"]
    assert rows["elsewhere"]["articles"] == []
    assert rows["gone"]["articles"] == [] and rows["gone"]["title"] is None
    # And a desk without a public address links no article of its own
    assert saved_reply_figures(totals, [linking])[0]["articles"] == []
