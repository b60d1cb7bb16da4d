"""The survey page through the Chalice app: a GET shows and records nothing, a POST records, and
tampered, expired and stale links get a clear page in the customer's language."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from chalice.test import Client

from postdesk import handlers
from postdesk.survey.tokens import issue_token
from postdesk.tickets.model import Status
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GERMAN = {
    "subject": "Rechnung doppelt",
    "body": "Guten Tag, ich habe die Rechnung doppelt bezahlt. Bitte erstatten Sie den Betrag. Danke!",
}


def _resolve(client: Client, token: str, ref: str, status: str = "resolved") -> None:
    version = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    answer = client.http.patch(
        f"/tickets/{ref}", headers=auth(token), body=json.dumps({"version": version, "status": status})
    )
    assert answer.status_code == 200, answer.body


def _survey_mail(desk: Desk) -> Message:
    (survey,) = [m.message for m in desk.sent() if m.message["Auto-Submitted"] == "auto-generated"]
    return survey


def _links(survey: Message) -> dict[int, str]:
    """The survey's links by rating, as paths on the app."""
    text = survey.get_body(preferencelist=("plain",))
    assert text is not None
    links = re.findall(r"https?://\S+/survey/\S+", text.get_content())
    return {int(urlsplit(link).path.split(".")[2]): urlsplit(link).path for link in links}


def _surveyed(desk: Desk, client: Client, token: str, **mail: str) -> tuple[str, dict[int, str]]:
    """A ticket, resolved, whose survey went out: its reference and the survey's links."""
    ref = desk.deliver(build_mail(**mail)).ref
    _resolve(client, token, ref)
    assert handlers.survey_handler({"ref": ref, "cycle": 1}, None)["outcome"] == "sent"
    return ref, _links(_survey_mail(desk))


def _html(response: Any) -> str:
    body = response.body
    return body.decode() if isinstance(body, bytes) else str(body)


def _checked(page: str) -> list[str]:
    return re.findall(r'value="(\d)" checked', page)


def test_the_mail_has_one_link_per_rating_and_a_get_shows_the_choice_and_records_nothing(
    desk: Desk, client: Client, token: str
) -> None:
    ref, links = _surveyed(desk, client, token)
    assert sorted(links) == [1, 2, 3, 4, 5]
    events_before = [e.kind for e in desk.store.events(ref)]

    page = client.http.get(links[4])

    assert page.status_code == 200
    html = _html(page)
    assert "My order has not arrived" in html and ref in html
    assert _checked(html) == ["4"]
    assert '<textarea id="comment" name="comment"' in html
    assert '<button type="submit">' in html and '<form method="post" action="">' in html
    assert "<script" not in html
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.survey_rating is None
    assert [e.kind for e in desk.store.events(ref)] == events_before


def test_the_page_is_served_under_a_strict_policy_that_allows_only_its_own_style(
    desk: Desk, client: Client, token: str
) -> None:
    _, links = _surveyed(desk, client, token)

    page = client.http.get(links[5])

    headers = {name.lower(): value for name, value in page.headers.items()}
    policy = headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; ")
    assert "script-src" not in policy and "form-action 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    (style,) = re.findall(r"<style>(.*?)</style>", _html(page), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"] == "text/html; charset=utf-8"


def test_a_post_records_the_rating_and_a_second_post_changes_it(
    desk: Desk, client: Client, token: str
) -> None:
    ref, links = _surveyed(desk, client, token)

    first = client.http.post(links[5], headers=FORM, body=urlencode({"rating": "4", "comment": "Quick!"}))
    again = client.http.post(links[5], headers=FORM, body=urlencode({"rating": "5", "comment": "Quick!"}))
    repeated = client.http.post(links[5], headers=FORM, body=urlencode({"rating": "5", "comment": "Quick!"}))

    assert first.status_code == again.status_code == repeated.status_code == 200
    assert "We have saved your rating: 4 – Good." in _html(first)
    assert "We have changed your rating to: 5 – Excellent." in _html(again)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None
    assert (ticket.survey_rating, ticket.survey_cycle, ticket.survey_comment) == (5, 1, "Quick!")
    assert ticket.status is Status.RESOLVED and ticket.follow_up is None
    kinds = [e.kind for e in desk.store.events(ref)]
    assert kinds.count("survey_answered") == 1 and kinds.count("survey_rating_changed") == 1
    # The page offered again shows the comment given before.
    assert "Quick!</textarea>" in _html(client.http.get(links[3]))


def test_a_bad_rating_on_the_page_flags_a_follow_up_and_tells_the_team(
    desk: Desk, client: Client, token: str
) -> None:
    ref, links = _surveyed(desk, client, token)

    answer = client.http.post(
        links[2], headers=FORM, body=urlencode({"rating": "2", "comment": "Took a week."})
    )

    assert answer.status_code == 200
    assert "Someone from our team will get back to you." in _html(answer)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.follow_up == "rated 2 of 5"
    (notice,) = [m for m in desk.sent() if "team@example.com" in m.recipients]
    assert "Took a week." in notice.message.get_content()


def test_a_good_rating_with_an_angry_comment_is_followed_up_too(
    desk: Desk, client: Client, token: str
) -> None:
    ref, links = _surveyed(desk, client, token)

    client.http.post(
        links[4],
        headers=FORM,
        body=urlencode(
            {
                "rating": "4",
                "comment": "This is unacceptable, the worst service ever. I am furious and disappointed!",
            }
        ),
    )

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.follow_up == "rated 4 of 5 with a negative comment"
    assert "follow_up_needed" in [e.kind for e in desk.store.events(ref)]


@pytest.mark.parametrize(
    "form", [{}, {"rating": "9"}, {"rating": "five"}, {"rating": "3", "comment": "x" * 2001}]
)
def test_a_form_without_a_usable_answer_is_shown_again_and_records_nothing(
    desk: Desk, client: Client, token: str, form: dict[str, str]
) -> None:
    ref, links = _surveyed(desk, client, token)

    answer = client.http.post(links[3], headers=FORM, body=urlencode(form))

    assert answer.status_code == 400
    assert "Please choose a rating" in _html(answer) and "<form" in _html(answer)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.survey_rating is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda path: path[:-1] + ("a" if path[-1] != "a" else "b"),  # the signature
        lambda path: path.replace(".4.", ".5.", 1),  # the rating
        lambda path: path.replace(".1.", ".2.", 1),  # the cycle
        lambda path: "/survey/not-a-token",
    ],
)
def test_a_tampered_link_is_a_403_page_that_records_nothing(
    desk: Desk, client: Client, token: str, mangle: Any
) -> None:
    ref, links = _surveyed(desk, client, token)

    shown = client.http.get(mangle(links[4]))
    posted = client.http.post(mangle(links[4]), headers=FORM, body=urlencode({"rating": "5"}))

    assert shown.status_code == posted.status_code == 403
    assert "This link is not valid" in _html(shown)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.survey_rating is None


def test_a_tampered_link_answers_in_the_browsers_language(desk: Desk, client: Client, token: str) -> None:
    _, links = _surveyed(desk, client, token)

    shown = client.http.get(links[4] + "x", headers={"Accept-Language": "fr-CH, de;q=0.8, en;q=0.5"})

    assert shown.status_code == 403 and "Ce lien n&#39;est pas valide" in _html(shown)


def test_an_expired_link_is_a_410_page_in_the_customers_language(
    desk: Desk, client: Client, token: str
) -> None:
    ref, _ = _surveyed(desk, client, token, **GERMAN)
    expired = issue_token(desk.ports.signing_key(), ref, 1, 5, datetime.now(UTC) - timedelta(minutes=1))

    shown = client.http.get(f"/survey/{expired}")
    posted = client.http.post(f"/survey/{expired}", headers=FORM, body=urlencode({"rating": "5"}))

    assert shown.status_code == posted.status_code == 410
    assert "Dieser Link ist abgelaufen" in _html(shown) and ref in _html(shown)
    assert '<html lang="de">' in _html(shown)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.survey_rating is None


def test_the_link_of_a_resolution_the_ticket_has_left_is_expired(
    desk: Desk, client: Client, token: str
) -> None:
    ref, links = _surveyed(desk, client, token)
    _resolve(client, token, ref, "open")

    posted = client.http.post(links[5], headers=FORM, body=urlencode({"rating": "5"}))

    assert posted.status_code == 410
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.survey_rating is None and ticket.cycle == 2


def test_the_pages_speak_the_tickets_language(desk: Desk, client: Client, token: str) -> None:
    _, links = _surveyed(desk, client, token, **GERMAN)

    shown = _html(client.http.get(links[1]))
    thanks = _html(client.http.post(links[1], headers=FORM, body=urlencode({"rating": "1"})))

    assert "Wie waren Sie mit uns zufrieden?" in shown and "Bewertung senden" in shown
    assert "Wir haben Ihre Bewertung gespeichert: 1 – Sehr schlecht." in thanks


def test_the_whole_loop_resolve_schedule_fire_mail_page_rating_and_reopen(
    desk: Desk, client: Client, token: str
) -> None:
    from postdesk.aws.clients import client as aws_client
    from postdesk.aws.scheduler import validate_at_expression
    from postdesk.effects.keys import survey_schedule as schedule_name
    from postdesk_tools.schedules import fire_due_schedules

    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group

    # Resolve: one schedule, due a day after the resolution, in UTC
    ref = desk.deliver(build_mail()).ref
    _resolve(client, token, ref)
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.resolved_at is not None
    schedule = scheduler.get_schedule(Name=schedule_name(ref, 1), GroupName=group)
    due = validate_at_expression(schedule["ScheduleExpression"])
    assert due == (ticket.resolved_at + timedelta(hours=24)).replace(microsecond=0)
    assert schedule["ScheduleExpressionTimezone"] == "UTC"

    # Nothing fires before it is due; then the target is invoked, and the survey is in the outbox
    survey = schedule_name(ref, 1)
    assert fire_due_schedules(desk.settings.region, group, due - timedelta(minutes=1), survey) == []
    (fired,) = fire_due_schedules(desk.settings.region, group, due, survey)
    assert (fired.target, fired.result) == ("survey", {"outcome": "sent"})
    links = _links(_survey_mail(desk))

    # The page: GET shows and stores nothing, POST stores the rating
    assert client.http.get(links[3]).status_code == 200
    assert desk.store.get_ticket(ref).survey_rating is None  # type: ignore[union-attr]
    posted = client.http.post(links[3], headers=FORM, body=urlencode({"rating": "4"}))
    assert posted.status_code == 200
    assert desk.store.get_ticket(ref).survey_rating == 4  # type: ignore[union-attr]

    # Reopen and resolve again: cycle 2 is scheduled; reopening once more deletes it, and a late
    # invocation of it sends nothing
    _resolve(client, token, ref, "open")
    _resolve(client, token, ref)
    assert scheduler.get_schedule(Name=schedule_name(ref, 2), GroupName=group)["Name"]
    _resolve(client, token, ref, "open")
    # What is left is the SLA timer of the reopened ticket
    (left,) = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    assert left.startswith(f"sla-{ref}-")
    sent_before = len(desk.sent())
    assert handlers.survey_handler({"ref": ref, "cycle": 2}, None) == {"outcome": "other_cycle"}
    assert len(desk.sent()) == sent_before
