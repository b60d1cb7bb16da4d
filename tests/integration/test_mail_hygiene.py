"""Bounces and complaints: SES's notifications (configuration set -> SNS -> the feedback function)
put the address on the suppression list and an event on the ticket, and afterwards no mail, automatic
or human, goes to that address; the agent is told why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from postdesk.hygiene.suppressions import Reason, SuppressionList
from postdesk.tickets.model import MessageKind
from postdesk.workflows.ingest import AckOutcome
from postdesk.workflows.mail_feedback import UNREADABLE_PREFIX, FeedbackKind, handle_sns_message
from postdesk.workflows.reply import AgentReply, send_reply
from postdesk.workflows.survey import SurveyOutcome, SurveyRequest, send_survey
from tests.integration.conftest import Desk, auth, body_of
from tests.mails import build_mail

CUSTOMER = "jane.doe@customer.example"


def _bounce(ses_id: str, recipient: str, bounce_type: str = "Permanent", feedback_id: str = "fb-1") -> str:
    return json.dumps(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
                "bouncedRecipients": [
                    {
                        "emailAddress": recipient,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": f"smtp; 550 5.1.1 <{recipient}>: user unknown",
                    }
                ],
                "timestamp": "2026-11-24T09:40:00.000Z",
                "feedbackId": feedback_id,
            },
            "mail": {
                "timestamp": "2026-11-24T09:39:58.000Z",
                "messageId": ses_id,
                "source": "support@example.com",
                "destination": [recipient],
            },
        }
    )


def _complaint(ses_id: str, recipient: str) -> str:
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": recipient}],
                "timestamp": "2026-11-24T10:00:00.000Z",
                "feedbackId": "complaint-1",
                "complaintFeedbackType": "abuse",
            },
            "mail": {"timestamp": "2026-11-24T09:39:58.000Z", "messageId": ses_id},
        }
    )


def _ack_ses_id(desk: Desk, ref: str) -> str:
    (ack,) = [m for m in desk.store.thread(ref) if m.kind is MessageKind.ACKNOWLEDGEMENT]
    assert ack.ses_id
    return ack.ses_id


def _sns_event(*messages: str) -> dict[str, Any]:
    return {
        "Records": [
            {"EventSource": "aws:sns", "Sns": {"MessageId": f"m{i}", "Message": m}}
            for i, m in enumerate(messages)
        ]
    }


def test_a_hard_bounce_suppresses_the_address_shows_on_the_ticket_and_stops_every_mail(
    desk: Desk, client: Client, token: str
) -> None:
    first = desk.deliver(build_mail(message_id="<first@customer.example>"))
    assert first.ack is AckOutcome.SENT
    sent_before = len(desk.sent())

    # SNS hands the bounce of the acknowledgement to the feedback function of functions/app.py
    answer = client.lambda_.invoke("feedback", _sns_event(_bounce(_ack_ses_id(desk, first.ref), CUSTOMER)))

    (outcome,) = answer.payload["outcomes"]
    assert outcome == {"kind": "bounce", "ref": first.ref, "suppressed": ["***@customer.example"]}
    suppressed = SuppressionList(desk.settings.tables.suppressions, desk.settings.region).check([CUSTOMER])
    assert suppressed[CUSTOMER].reason is Reason.HARD_BOUNCE
    (event,) = [e for e in desk.store.events(first.ref) if e.kind == "mail_bounced"]
    assert event.detail["recipient"] == CUSTOMER and event.detail["suppressed"] == "yes"
    assert event.detail["detail"] == "Permanent/General"

    # Agents see it on the ticket
    shown = body_of(client.http.get(f"/tickets/{first.ref}", headers=auth(token)))
    assert "mail_bounced" in [e["kind"] for e in shown["events"]]
    assert shown["requester_suppressed"]["reason"] == "hard_bounce"

    # An agent's reply is refused with the reason, and nothing is sent
    refused = client.http.post(
        f"/tickets/{first.ref}/replies",
        headers={**auth(token), "Idempotency-Key": "reply-after-bounce"},
        body=json.dumps({"body": "Hello Jane, here is the tracking number."}),
    )
    assert refused.status_code == 422, refused.body
    message = body_of(refused)["message"]
    assert CUSTOMER in message and "bounced permanently" in message and "Nothing was sent" in message

    # The customer writes again from the same address: the ticket is made, no acknowledgement goes out
    again = desk.deliver(build_mail(message_id="<again@customer.example>", subject="Another question"))
    assert (again.ack, again.ack_reason) == (AckOutcome.SUPPRESSED, "suppression_list")

    # The survey of a resolved ticket is not sent either
    patched = client.http.patch(
        f"/tickets/{first.ref}",
        headers=auth(token),
        body=json.dumps(
            {
                "version": body_of(client.http.get(f"/tickets/{first.ref}", headers=auth(token)))["ticket"][
                    "version"
                ],
                "status": "resolved",
            }
        ),
    )
    assert patched.status_code == 200, patched.body
    ticket = desk.store.get_ticket(first.ref)
    assert ticket is not None
    survey = send_survey(SurveyRequest(first.ref, ticket.cycle), desk.settings, desk.ports)
    assert survey is SurveyOutcome.SUPPRESSED
    assert "survey_suppressed" in [e.kind for e in desk.store.events(first.ref)]
    assert len(desk.sent()) == sent_before
    assert desk.metrics.total("MailsSuppressed") == 1  # the survey; the ack is refused before it is made


def test_the_same_notification_twice_is_acted_on_once(desk: Desk) -> None:
    first = desk.deliver(build_mail())
    message = _bounce(_ack_ses_id(desk, first.ref), CUSTOMER, bounce_type="Transient")

    outcomes = [handle_sns_message(message, desk.ports) for _ in range(2)]

    assert [o.duplicate for o in outcomes] == [False, True]
    assert len([e for e in desk.store.events(first.ref) if e.kind == "mail_bounced"]) == 1
    # One soft bounce counted, not two: the address is not suppressed.
    assert desk.ports.suppressions.check([CUSTOMER]) == {}


def test_soft_bounces_suppress_on_the_third_within_a_month_and_lapse_otherwise(desk: Desk) -> None:
    suppressions = desk.ports.suppressions
    start = datetime(2026, 11, 1, tzinfo=UTC)

    assert suppressions.soft_bounce("a@example.net", start) is False
    assert suppressions.soft_bounce("a@example.net", start + timedelta(days=40)) is False  # the first lapsed
    assert suppressions.soft_bounce("a@example.net", start + timedelta(days=41)) is False
    assert suppressions.check(["a@example.net"]) == {}
    assert suppressions.soft_bounce("a@example.net", start + timedelta(days=42)) is True
    assert suppressions.check(["A@Example.net"])["A@Example.net"].reason is Reason.SOFT_BOUNCES


def test_a_complaint_suppresses_at_once(desk: Desk) -> None:
    first = desk.deliver(build_mail())

    outcome = handle_sns_message(_complaint(_ack_ses_id(desk, first.ref), CUSTOMER), desk.ports)

    assert (outcome.kind, outcome.ref, outcome.suppressed) == (
        FeedbackKind.COMPLAINT,
        first.ref,
        ("***@customer.example",),
    )
    assert desk.ports.suppressions.check([CUSTOMER])[CUSTOMER].reason is Reason.COMPLAINT
    with pytest.raises(Exception, match="marked our mail as spam"):
        send_reply(
            AgentReply(
                ref=first.ref, agent_email="sam@example.com", agent_name="Sam", body="Hi", request_id="r1"
            ),
            desk.settings,
            desk.ports,
        )


def test_an_unreadable_notification_is_kept_and_counted_not_dropped(desk: Desk) -> None:
    outcome = handle_sns_message('{"eventType": "Bounce", "bounce": {}}', desk.ports)

    assert outcome.kind is FeedbackKind.UNREADABLE
    s3 = boto3.client("s3", region_name=desk.settings.region)
    kept = s3.list_objects_v2(Bucket=desk.settings.mail_bucket, Prefix=UNREADABLE_PREFIX)["Contents"]
    assert len(kept) == 1
    assert desk.metrics.total("MailFeedbackUnreadable") == 1


def test_feedback_for_mail_no_ticket_knows_still_suppresses(desk: Desk) -> None:
    outcome = handle_sns_message(_bounce("0102019a-unknown", "someone@elsewhere.example"), desk.ports)

    assert outcome.ref is None and outcome.suppressed == ("***@elsewhere.example",)
    assert "someone@elsewhere.example" in desk.ports.suppressions.check(["someone@elsewhere.example"])
