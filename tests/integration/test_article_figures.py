"""What each help-center article does, counted as tickets live (suggested in an acknowledgement, then
resolved with no agent's answer, reopened, rated low; linked in a reply), counted by the help center
(opened, voted), shown in the report; and the daily review that tells owners of their articles that
need a look."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from chalice.test import Client

from postdesk import runtime
from postdesk.aws.clients import client as aws_client
from postdesk.errors import Invalid
from postdesk.knowledge.figures import KnowledgeFigures
from postdesk.tickets.model import Status
from postdesk.workflows.knowledge import import_seed
from postdesk.workflows.ratings import AnswerSource, record_rating
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.report import article_titles, build_report, format_report
from postdesk.workflows.survey import SurveyRequest, send_survey
from postdesk.workflows.ticket_work import TicketEdit, edit_ticket
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.life import Life
from tests.mails import build_mail

HELP = "https://desk.example.com/help"
RECOVERY = "account-recovery"
FORGOT = (
    "Hi,\n\nI forgot my password and cannot log in to my account any more. How do I reset my "
    "password?\n\nThanks,\nJane"
)
PAID_TWICE = "Hallo,\n\nmeine Zahlung ist fehlgeschlagen, die Karte wurde abgelehnt.\n\nGrüße\nLena"


def _deliver(desk: Desk, subject: str, body: str, sender: str) -> str:
    address = sender.split("<")[1].rstrip(">")
    return desk.deliver(build_mail(subject=subject, body=body, sender=sender), envelope_sender=address).ref


def _set_status(desk: Desk, ref: str, request_id: str, status: Status) -> None:
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    edit_ticket(
        TicketEdit(
            ref=ref,
            expected_version=ticket.version,
            actor="sam@example.com",
            request_id=request_id,
            status=status,
        ),
        desk.settings,
        desk.ports,
        lambda address: True,
    )


def _article_figures(desk: Desk, slug: str) -> dict[str, int]:
    """Today's figures of the article ``slug``, by what."""
    today = desk.now().date()
    prefix = f"article:{slug}:"
    return {
        key[len(prefix) :]: figure.total
        for key, figure in desk.ports.store.figures_of([today]).get(today, {}).items()
        if key.startswith(prefix) and figure.total
    }


def test_a_suggested_article_counts_the_deflection_reopening_and_low_rating_of_its_ticket(desk: Desk) -> None:
    # Given the shipped articles published, and a customer who forgot their password
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
    ref = _deliver(desk, "Forgot my password", FORGOT, "Jane Doe <jane@customer.example>")

    # Then the acknowledgement suggested the account-recovery article, and the ticket remembers it
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and RECOVERY in ticket.suggested_articles
    # (from its creation: the acknowledgement's record leaves the ticket at the version an agent or
    # an integration saw first, so acting on it at once meets no 409)
    assert ticket.version == 1
    (ack,) = [event for event in desk.store.events(ref) if event.kind == "ack_sent"]
    assert RECOVERY in ack.detail["articles"].split(",")
    assert _article_figures(desk, RECOVERY) == {"suggested": 1}

    # When an agent resolves it without ever answering (the customer found the answer there)
    _set_status(desk, ref, "done", Status.RESOLVED)

    # Then it is a deflection
    assert _article_figures(desk, RECOVERY) == {"suggested": 1, "resolved": 1, "deflected": 1}

    # When the customer rates it 1 and writes back, reopening it
    send_survey(SurveyRequest(ref, 1), desk.settings, desk.ports)
    record_rating(ref, 1, 1, "", AnswerSource.PAGE, desk.settings, desk.ports)
    desk.deliver(
        build_mail(
            subject=f"Re: [#{ref}] Forgot my password",
            body="The link in that article does not work.",
            sender="Jane Doe <jane@customer.example>",
        ),
        envelope_sender="jane@customer.example",
    )

    # Then the article counts the low rating and the reopening too
    assert _article_figures(desk, RECOVERY) == {
        "suggested": 1,
        "resolved": 1,
        "deflected": 1,
        "answered": 1,
        "low_rated": 1,
        "reopened": 1,
    }

    # And the report shows the article by its title, with its deflection rate
    titles = article_titles(desk.ports.knowledge.list_articles())
    report = build_report(
        desk.ports.store, desk.now(), desk.now().date(), "Europe/Berlin", article_titles=titles
    )
    rows = {row["slug"]: row for row in report["knowledge"]["articles"]}
    assert set(rows) == set(titles)
    recovery = rows[RECOVERY]
    assert recovery["title"] == "Reset your password and get back into your account"
    assert (recovery["deflection_rate"], recovery["low_rated"], recovery["reopened"]) == (1.0, 1, 1)
    assert report["knowledge"]["articles"][0]["slug"] in ack.detail["articles"].split(",")
    assert report["knowledge"]["totals"]["deflected"] == 1
    assert "Reset your password and get back into your account: suggested 1" in format_report(report)


def test_a_reply_links_the_article_in_the_tickets_language_and_is_no_deflection(desk: Desk) -> None:
    # Given the shipped articles published, and a German customer whose payment failed
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
    ref = _deliver(desk, "Zahlung fehlgeschlagen", PAID_TWICE, "Lena Vogel <lena@kunde.example>")
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.language == "de"
    suggested = ticket.suggested_articles
    assert "payment-failed" in suggested

    # When an agent answers with a saved text linking the English article, and resolves the ticket
    send_reply(
        AgentReply(
            ref=ref,
            agent_email="sam@example.com",
            agent_name="Sam Lee",
            body=f"Bitte lesen Sie [diesen Artikel]({HELP}/en/articles/payment-failed).",
            request_id="linked",
            status_after=Status.RESOLVED,
        ),
        desk.settings,
        desk.ports,
    )

    # Then the mail links the German article (published in German), and the article counts the link
    text = desk.sent()[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{HELP}/de/articles/payment-failed" in text
    assert "/help/en/" not in text
    (replied,) = [event for event in desk.store.events(ref) if event.kind == "agent_replied"]
    assert replied.detail["articles"] == "payment-failed"
    assert _article_figures(desk, "payment-failed").get("linked") == 1
    # And the articles its acknowledgement suggested count a resolution, but no deflection: an agent
    # answered
    for slug in suggested:
        assert _article_figures(desk, slug).get("resolved") == 1
        assert "deflected" not in _article_figures(desk, slug)


def test_the_help_centers_counts_land_in_the_days_figures(desk: Desk) -> None:
    figures = KnowledgeFigures(desk.settings.tables.stats, desk.settings.region, "Europe/Berlin")
    # 23:30 UTC is the next day in Berlin
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)

    for what in ("opened", "opened", "opened_from_mail", "helpful", "not_helpful"):
        figures.record(RECOVERY, what, late)
    with pytest.raises(Invalid, match="not a help-center figure"):
        figures.record(RECOVERY, "suggested", late)

    assert figures.recent(date(2026, 11, 25)) == {
        RECOVERY: {"opened": 2, "opened_from_mail": 1, "helpful": 1, "not_helpful": 1}
    }
    assert figures.totals([date(2026, 11, 24)]) == {}


def test_the_report_api_has_every_articles_figures(desk: Desk, client: Client, admin_token: str) -> None:
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
    figures = KnowledgeFigures(desk.settings.tables.stats, desk.settings.region, "Europe/Berlin")
    figures.record(RECOVERY, "helpful", desk.now())
    figures.record(RECOVERY, "not_helpful", desk.now())
    figures.record(RECOVERY, "helpful", desk.now())
    figures.record(RECOVERY, "opened", desk.now())

    runtime.use_clock(desk.now)
    answer = client.http.get("/metrics?since=1d", headers=auth(admin_token))

    assert answer.status_code == 200, answer.body
    knowledge = body_of(answer)["knowledge"]
    (recovery,) = [row for row in knowledge["articles"] if row["slug"] == RECOVERY]
    assert (recovery["helpful"], recovery["not_helpful"], recovery["helpful_share"]) == (2, 1, 0.6667)
    assert recovery["deflection_rate"] is None
    assert knowledge["articles"][0]["slug"] == RECOVERY
    assert len(knowledge["articles"]) == 6
    assert knowledge["totals"]["opened"] == 1


def test_the_saved_replies_api_says_which_articles_a_body_links(
    desk: Desk, client: Client, admin_token: str
) -> None:
    body = f"See {HELP}/en/articles/{RECOVERY}?from=mail and {HELP}/de/articles/payment-failed."

    made = client.http.post(
        "/saved-replies",
        headers=auth(admin_token),
        body=json.dumps({"title": "Password help", "body": body, "language": "en"}),
    )

    assert made.status_code == 201, made.body
    assert body_of(made)["saved_reply"]["articles"] == [RECOVERY, "payment-failed"]
    listed = body_of(client.http.get("/saved-replies", headers=auth(admin_token)))
    assert listed["saved_replies"][0]["articles"] == [RECOVERY, "payment-failed"]


# The daily review


def _schedules(desk: Desk, prefix: str) -> list[str]:
    scheduler = aws_client("scheduler", desk.settings.region)
    names = scheduler.list_schedules(GroupName=desk.settings.scheduling.group)["Schedules"]
    return sorted(schedule["Name"] for schedule in names if schedule["Name"].startswith(prefix))


def _mails_to(life: Life, address: str, since: int) -> list[str]:
    return [
        mail.message.get_body(("plain",)).get_content()
        for mail in life.sent_since(since)
        if address in mail.recipients
    ]  # type: ignore[union-attr]


def test_owners_hear_once_of_their_articles_that_need_a_look(life: Life, desk: Desk, token: str) -> None:
    # Given the shipped articles, owned by Sam (an agent), imported on Tuesday: the first review is
    # scheduled for Wednesday morning in the desk's time zone
    import_seed(desk.settings, desk.ports, root=None, owner="sam@example.com", now=life.now)
    assert _schedules(desk, "kb-review-") == ["kb-review-2026-11-25"]
    # and two of them need a look on Wednesday: one is due for review, one has a new English version
    # the translations do not follow yet
    store = desk.ports.knowledge
    recovery = store.get(RECOVERY)
    store.update_article(
        RECOVERY, recovery.version, review_by=date(2026, 11, 25), actor="sam@example.com", now=life.now
    )
    payment = store.version("payment-failed", "en", 1)
    newer = store.save_draft(
        "payment-failed",
        "en",
        payment.title,
        payment.tags,
        payment.body + "\n\nNew.",
        1,
        "sam@example.com",
        life.now,
    )
    store.publish("payment-failed", "en", newer.number, "sam@example.com", life.now)
    before = len(desk.sent())

    # When Wednesday's review fires, and the notification window after it ends
    fired = life.advance(timedelta(hours=21))
    assert "kb-review-2026-11-25" in [schedule.name for schedule in fired]
    life.advance(timedelta(minutes=10))

    # Then Sam has one mail listing each article's reason (a digest), with links to the editors
    (mail,) = _mails_to(life, "sam@example.com", before)
    (subject,) = [m.message["Subject"] for m in life.sent_since(before) if "sam@example.com" in m.recipients]
    assert subject == "5 updates on your articles"
    assert "needs a look: Review was due by 2026-11-25 (today)." in mail
    assert mail.count("payment-failed") >= 4
    assert "/console#/knowledge/account-recovery/en" in mail
    assert "/console#/knowledge/payment-failed/de" in mail
    # And Thursday's review is scheduled
    assert _schedules(desk, "kb-review-") == ["kb-review-2026-11-26"]

    # When Wednesday's review fires again (Scheduler delivers twice), and on Thursday, the same flags
    # still raised
    seen = len(desk.sent())
    life.invoke("automations", {"purpose": "knowledge_review", "ref": "", "due": "2026-11-25T06:00:00Z"})
    life.advance(timedelta(hours=24))
    life.advance(timedelta(minutes=10))

    # Then Sam hears nothing more: a flag is told when it is raised
    assert _mails_to(life, "sam@example.com", seen) == []
    assert _schedules(desk, "kb-review-") == ["kb-review-2026-11-27"]

    # When another article comes due on Friday
    invoices = store.get("billing-invoices-refunds")
    store.update_article(
        invoices.slug, invoices.version, review_by=date(2026, 11, 27), actor="sam@example.com", now=life.now
    )
    friday = len(desk.sent())
    life.advance(timedelta(hours=24))
    life.advance(timedelta(minutes=10))

    # Then Sam hears of that one alone, in a short mail about no ticket
    (told,) = [mail for mail in life.sent_since(friday) if "sam@example.com" in mail.recipients]
    assert told.message["Subject"] == "Article needs a look: Invoices, double charges and refunds"
    plain = told.message.get_body(("plain",))
    assert plain is not None
    assert "/console#/knowledge/billing-invoices-refunds/en" in plain.get_content()


def test_the_preview_for_a_ticket_links_the_article_in_its_language(
    desk: Desk, client: Client, token: str
) -> None:
    import_seed(desk.settings, desk.ports, root=None, owner="alex@example.com")
    ref = _deliver(desk, "Zahlung fehlgeschlagen", PAID_TWICE, "Lena Vogel <lena@kunde.example>")
    body = f"Siehe {HELP}/en/articles/payment-failed und {HELP}/en/articles/no-such-article."

    answer = client.http.post(
        "/saved-replies/preview", headers=auth(token), body=json.dumps({"body": body, "ref": ref})
    )

    assert answer.status_code == 200, answer.body
    text = body_of(answer)["text"]
    assert f"{HELP}/de/articles/payment-failed" in text
    # (an article the desk does not have stays as it was written)
    assert f"{HELP}/en/articles/no-such-article" in text
