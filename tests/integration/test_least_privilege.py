"""One IAM role per function, with only the actions and resources it uses.

A life that touches everything the functions can do is driven through functions/app.py with every
AWS API call recorded: a long request with an HTML part and an attachment (and Lambda delivering it
twice), the customer's answer, its changes published to the event bus and sent to a webhook (whose
endpoint fails once, then takes it; an admin replays it and deletes the webhook), an agent's whole
sitting at the console, saved replies an admin writes, a reply and a survey that SES refuses once,
the survey page, reopening twice, an SLA warning and breach, tickets assigned as they arrive, a
snooze that ends with its assignee's notification mail, a reminder, an auto-resolve and a close, a
time rule that sends a saved reply, SES's bounce notifications. Then, for each function,
against the role the template gives it (resolved on the test desk's names, tests/iam.py):

- (a) every call it made is allowed, and so is what acts with its role without a call of its code
  (the allowances: Lambda writing its logs, Lambda handing a failed event to its dead-letter queue,
  a browser following an attachment link the function signed);
- (b) every action on every resource the role grants was needed by one of those, or it goes.

The calls of SES's own receipt action (storing the raw mail) are allowed by the bucket policy, not a
function's role, and are left to test_receiving_infra."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from postdesk import runtime
from postdesk.api.tickets import message_api_id
from postdesk.aws.clients import client as aws_client
from postdesk.aws.s3 import S3BlobStore
from postdesk.tickets.model import MessageKind
from postdesk.triage.rules import DEFAULT_RULES_PATH
from postdesk_tools import cost
from postdesk_tools.change_feed import ChangeFeed
from postdesk_tools.provision import TEMPLATE
from postdesk_tools.queue_feed import deliver_queue
from tests.api_calls import ApiCall
from tests.iam import Need, UnmappedCall, check, desk_stack, needs_of, role_grants, runtime_allowances
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.life import FORM, Life, survey_links
from tests.integration.webhook_receiver import Receiver, webhook_receiver
from tests.mails import build_mail

# The label of each function's calls (its name in functions/app.py) and its logical id.
FUNCTIONS = {
    "ingest": "Ingest",
    "api_handler": "APIHandler",
    "survey": "Survey",
    "sla": "Sla",
    "automations": "Automations",
    "feedback": "Feedback",
    "search_index": "SearchIndex",
    "events_out": "EventsOut",
    "webhook_sender": "WebhookSender",
}
# Time rules of the rules file (the shipped rules, and these): a pending ticket tagged as waiting for
# the customer's photos gets a saved reply after a business day (the rule names it by its id), and
# another a day later (named by its title), which resolves it.
TIME_RULES = """
[[time_rule]]
name = "Ask for the photos again"
when = { status = ["pending"], tags_all = ["awaiting-photos"], idle_business_hours = 8 }
then = { saved_reply = "SAVED_REPLY_ID" }

[[time_rule]]
name = "Photos never came"
when = { status = ["pending"], tags_all = ["awaiting-photos"], idle_business_hours = 16 }
then = { saved_reply = "Replacement sent", resolve = true }
"""

# The console's lists, views and filters (index.html), and the views' counts ("/views"): each reads
# other indexes of the tickets table.
CONSOLE_LISTS = (
    "",
    "?status=new&limit=50",
    "?status=new,open,pending,on-hold,resolved,closed&sort=priority&limit=50",
    "?assignee=me&limit=50",
    "?assignee=none&sort=priority&limit=50",
    "?queue={queue}&limit=50",
    "?queue={queue}&sort=priority&limit=50",
    "?priority=high&limit=50",
    "?follow_up=true&limit=50",
    "?view=due_soon&limit=50",
    "?view=breached&priority=high&limit=50",
    "?view=mine&limit=50",
    "/views",
)
LONG_LINE = "Error 0x80070005 at step {n}: the label printer refused the job and logged it again.\n"


def _long_request() -> bytes:
    """A request whose text is over the inline limit (kept in S3), with an HTML part and a PDF."""
    body = "Hello,\n\nthe order 4711 arrived broken; the printer log is below.\n\n" + "".join(
        LONG_LINE.format(n=n) for n in range(500)
    )
    raw = build_mail(
        subject="Order 4711 arrived broken",
        body=body,
        message_id="<broken.4711@customer.example>",
        html="<p>Hello,</p><p>the order 4711 arrived <b>broken</b>.</p><img src='https://t.example/p.gif'>",
    )
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    message.add_attachment(
        b"%PDF-1.4 a photo of the box", maintype="application", subtype="pdf", filename="box.pdf"
    )
    return message.as_bytes()


LABEL = b"%PDF-1.7\n% the return label\n%%EOF\n"


def _answer(life: Life, to: Any, body: str, message_id: str) -> dict[str, Any]:
    """The customer answers the mail ``to`` (an ack, a reply) through its signed Reply-To."""
    return life.mail(
        build_mail(
            subject=f"Re: {to.message['Subject']}",
            body=body,
            message_id=message_id,
            in_reply_to=str(to.message["Message-ID"]),
            references=str(to.message["Message-ID"]),
            to=str(to.message["Reply-To"]),
        ),
        to=str(to.message["Reply-To"].addresses[0].addr_spec),
    )


def _version(life: Life, token: str, ref: str) -> int:
    version: int = body_of(life.http("get", f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    return version


def _patch(life: Life, token: str, ref: str, **change: Any) -> dict[str, Any]:
    response = life.http(
        "patch",
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": _version(life, token, ref), **change}),
    )
    assert response.status_code == 200, response.body
    ticket: dict[str, Any] = body_of(response)["ticket"]
    return ticket


@contextmanager
def ses_refuses(desk: Desk) -> Iterator[None]:
    """SES refuses to send from the desk's domain for a while (as it does while an identity is not
    verified): the send fails, and the functions release what they claimed for it."""
    identities = ses_backends[DEFAULT_ACCOUNT_ID][desk.settings.region].email_identities
    domain = desk.settings.support_domain
    identity = identities.pop(domain)
    try:
        yield
    finally:
        identities[domain] = identity


def _bounce(ses_id: str, recipient: str, bounce_type: str, feedback_id: str) -> str:
    """SES's bounce notification (through the configuration set's SNS topic) of the mail ``ses_id``."""
    return json.dumps(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
                "bouncedRecipients": [{"emailAddress": recipient, "action": "failed", "status": "5.1.1"}],
                "timestamp": "2026-11-26T09:40:00.000Z",
                "feedbackId": feedback_id,
            },
            "mail": {
                "timestamp": "2026-11-26T09:39:58.000Z",
                "messageId": ses_id,
                "destination": [recipient],
            },
        }
    )


def _sns_event(*messages: str) -> dict[str, Any]:
    return {
        "Records": [
            {"EventSource": "aws:sns", "Sns": {"MessageId": f"m{i}", "Message": m}}
            for i, m in enumerate(messages)
        ]
    }


def _survey_schedules(desk: Desk, ref: str) -> list[str]:
    scheduler = aws_client("scheduler", desk.settings.region)
    listed = scheduler.list_schedules(GroupName=desk.settings.scheduling.group)["Schedules"]
    return [s["Name"] for s in listed if s["Name"].startswith(f"survey-{ref}-")]


def _fire_automation(life: Life, desk: Desk, ref: str, kind: str = "auto") -> str:
    """Time passes until the one thing the desk does by itself to ``ref`` next (its ``auto-``
    schedule, workflows/lifecycle.py, or with ``kind="rules"`` its time rule timer,
    workflows/time_rules.py) is due, and Scheduler fires it: what the function did."""
    scheduler = aws_client("scheduler", desk.settings.region)
    group = desk.settings.scheduling.group
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    (name,) = [s["Name"] for s in listed if s["Name"].startswith(f"{kind}-{ref}-")]
    payload = json.loads(scheduler.get_schedule(Name=name, GroupName=group)["Target"]["Input"])
    life.now = max(life.now, datetime.fromisoformat(payload["due"]) - timedelta(minutes=1))
    fired = life.advance(timedelta(minutes=2))
    (outcome,) = [f.result["outcome"] for f in fired if f.target == "automations" and f.name == name]
    return str(outcome)


def _events_feed(desk: Desk) -> ChangeFeed:
    """The ticket log's stream as events_out's event source mapping reads it: from now on (LATEST)."""
    feed = ChangeFeed(desk.settings.region, (desk.settings.tables.ticket_log,))
    while True:
        records, moved = feed.read()
        if not records:
            return feed
        feed.advance(moved)


def _publish_events(life: Life, feed: ChangeFeed) -> int:
    """Lambda's event source mapping hands the ticket log's new entries to ``events_out`` (reading
    the stream with its role); the number of records handed on."""
    total = 0
    while True:
        with life.recorder.function("events_out"):
            records, moved = feed.read()
        if not records:
            return total
        life.invoke("events_out", {"Records": records})
        feed.advance(moved)
        total += len(records)


def _send_webhooks(life: Life, desk: Desk) -> int:
    """Lambda's event source mapping hands the delivery queue's messages to ``webhook_sender``
    (receiving and deleting them with its role) until the queue stays empty; the number handed on."""
    events = desk.settings.events
    handed = empty = 0
    while empty < 2:
        with life.recorder.function("webhook_sender"):
            count = deliver_queue(
                events.delivery_queue_url,
                events.delivery_queue_arn,
                desk.settings.region,
                lambda event: life.invoke("webhook_sender", event),
            )
        handed += count
        empty = 0 if count else empty + 1
        # A message whose back-off is over shows again only once SQS has moved it back.
        time.sleep(0.01)
    return handed


def _live(
    life: Life,
    desk: Desk,
    token: str,
    admin_token: str,
    endpoint: Receiver,
    use_time_rules: Callable[[str], None],
) -> None:
    """Everything the functions do, once at least. ``use_time_rules(saved_reply_id)`` puts
    TIME_RULES, naming that saved reply, in the rules file the functions read."""
    # An admin writes the team's saved replies
    life.sitting()
    created = life.http(
        "post",
        "/saved-replies",
        headers=auth(admin_token),
        body=json.dumps(
            {"title": "Replacement", "body": "Hi {{ customer.first_name }}, a new one is coming."}
        ),
    )
    assert created.status_code == 201, created.body
    saved = body_of(created)["saved_reply"]["id"]
    updated = life.http(
        "put",
        f"/saved-replies/{saved}",
        headers=auth(admin_token),
        body=json.dumps(
            {"title": "Replacement sent", "body": "Hi {{ customer.first_name }}, it left today."}
        ),
    )
    assert updated.status_code == 200, updated.body
    use_time_rules(saved)

    # An admin adds a webhook for new tickets; every change from now on goes to the stack's bus
    feed = _events_feed(desk)
    hooked = life.http(
        "post",
        "/webhooks",
        headers=auth(admin_token),
        body=json.dumps({"url": endpoint.url, "events": ["ticket.created"]}),
    )
    assert hooked.status_code == 201, hooked.body
    webhook = body_of(hooked)["webhook"]["id"]

    # A long request with an HTML part and an attachment; the customer adds a detail
    before = len(desk.sent())
    created_ticket = life.mail(_long_request())
    assert created_ticket["new_ticket"] is True and created_ticket["ack"] == "sent"
    ref = created_ticket["ref"]
    (ack,) = life.sent_since(before)
    # Lambda invokes ingest with the same event again (a retry): the same ticket, no second ack
    again = life.deliver(life.events[-1])
    assert again["ref"] == ref and life.sent_since(before) == [ack]
    life.advance(timedelta(minutes=10))
    assert _answer(life, ack, "The box was wet too.\n\nJane", "<detail.4711@customer.example>")["ref"] == ref
    # events_out publishes the changes to the bus; the webhook's rule queues the new ticket for it;
    # its endpoint fails the first try (the sender backs the message off) and takes the second
    assert _publish_events(life, feed) > 0
    _send_webhooks(life, desk)
    assert [json.loads(r.body)["ref"] for r in endpoint.received] == [ref, ref]
    # The admin reads the delivery log, replays the delivery, and deletes the webhook
    life.sitting()
    logged = life.http("get", f"/webhooks/{webhook}/deliveries", headers=auth(admin_token))
    (delivery,) = body_of(logged)["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["status_code"]) == ("delivered", 2, 200)
    replayed = life.http(
        "post",
        f"/webhooks/{webhook}/deliveries/{delivery['id']}/replay",
        headers=auth(admin_token),
        body="{}",
    )
    assert replayed.status_code == 202, replayed.body
    _send_webhooks(life, desk)
    assert len(endpoint.received) == 3
    assert life.http("delete", f"/webhooks/{webhook}", headers=auth(admin_token)).status_code == 204

    # An agent's sitting at the console: who am I, the lists, the ticket, its HTML, a note, an answer
    life.advance(timedelta(minutes=30))
    life.sitting()
    assert body_of(life.http("get", "/me", headers=auth(token)))["email"] == "sam@example.com"
    # The agent writes their signature (the agent item is updated) and previews the sign-off
    signed = life.http(
        "put", "/me/signature", headers=auth(token), body=json.dumps({"signature": {"default": "Sam Lee"}})
    )
    assert signed.status_code == 200, signed.body
    assert life.http("post", "/me/signature/preview", headers=auth(token), body="{}").status_code == 200
    assert len(body_of(life.http("get", "/agents", headers=auth(token)))["agents"]) == 2
    assert body_of(life.http("get", "/saved-replies", headers=auth(token)))["saved_replies"]
    assert life.http("get", "/kb?q=damaged%20delivery&language=en", headers=auth(token)).status_code == 200
    ticket = body_of(life.http("get", f"/tickets/{ref}?full=true", headers=auth(token)))
    queue = ticket["ticket"]["queue"]
    first = next(message for message in ticket["thread"] if message["direction"] == "inbound")
    assert first["attachments"] and first["has_html"] and len(first["text"]) > desk.settings.inline_body_limit
    html = life.http(
        "get", f"/tickets/{ref}/messages/{message_api_id(first['key'])}/html", headers=auth(token)
    )
    assert html.status_code == 200, html.body
    # The console says the agent is on the ticket, then writing, reads who else is, and leaves
    for state in ({"state": "viewing"}, {"state": "writing", "box": "note"}):
        here = life.http("put", f"/tickets/{ref}/presence", headers=auth(token), body=json.dumps(state))
        assert here.status_code == 200, here.body
    assert life.http("get", f"/tickets/{ref}/presence", headers=auth(token)).status_code == 200
    assert life.http("delete", f"/tickets/{ref}/presence", headers=auth(token)).status_code == 204
    noted = life.http(
        "post",
        f"/tickets/{ref}/notes",
        headers=auth(token),
        body=json.dumps({"body": "Asked the warehouse.", "seen": ticket["seen"]}),
    )
    assert noted.status_code == 201, noted.body
    _patch(life, token, ref, priority="high", assignee="sam@example.com")
    # Search keeps up with the tables; the agent finds the ticket by a word of the note
    assert life.index_changes() > 0
    found = life.http("get", "/tickets?q=warehouse&status=new,open,pending", headers=auth(token))
    assert [t["ref"] for t in body_of(found)["tickets"]] == [ref], found.body
    for query in CONSOLE_LISTS:
        listed = life.http("get", "/tickets" + query.format(queue=queue), headers=auth(token))
        assert listed.status_code == 200, (query, listed.body)
    before = len(desk.sent())
    # The agent attaches a label from the browser (straight to S3 with the form the API signed) and
    # sends the customer's photo of the box on with it
    assert life.http("get", "/attachments/limits", headers=auth(token)).status_code == 200
    announced = life.http(
        "post",
        "/attachments",
        headers=auth(token),
        body=json.dumps({"filename": "label.pdf", "size": len(LABEL), "content_type": "application/pdf"}),
    )
    assert announced.status_code == 201, announced.body
    form = body_of(announced)
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("label.pdf", LABEL)}, timeout=10)
    assert posted.status_code == 204, posted.text
    files = [form["id"], first["attachments"][0]["id"]]

    def send_reply() -> Any:
        return life.http(
            "post",
            f"/tickets/{ref}/replies",
            headers={**auth(token), "Idempotency-Key": "least-privilege-reply-1"},
            body=json.dumps({"saved_reply_id": saved, "status": "pending", "attachments": files}),
        )

    # SES refuses the first attempt; the console's retry goes out
    with ses_refuses(desk):
        refused = send_reply()
    assert refused.status_code >= 500 and life.sent_since(before) == []
    replied = send_reply()
    assert replied.status_code == 201, replied.body
    # The console sends it once more (a double click, a retry after a timeout): not sent again
    assert send_reply().status_code == 409
    (reply,) = life.sent_since(before)
    assert _patch(life, token, ref, status="resolved")["status"] == "resolved"
    # The answer was worth keeping: the agent drafts a help article from the ticket
    drafted = life.http("post", f"/tickets/{ref}/article", headers=auth(token), body="{}")
    assert drafted.status_code == 201, drafted.body

    # A day later the survey goes out; the customer's low rating on its page tells the team
    before = len(desk.sent())
    # SES refuses the survey when it first fires; Scheduler's retry sends it
    with ses_refuses(desk), pytest.raises(ClientError, match="MessageRejected"):
        life.advance(timedelta(hours=24, minutes=1))
    assert life.sent_since(before) == []
    fired = life.advance(timedelta(minutes=1))
    assert [(f.target, f.result["outcome"]) for f in fired] == [("survey", "sent")]
    # Scheduler delivers the same invocation again (at least once, as Lambda's async invokes are)
    assert life.invoke("survey", {"ref": ref, "cycle": 1})["outcome"] == "already_sent"
    (survey,) = life.sent_since(before)
    life.sitting()
    link = survey_links(survey)[2]
    assert life.http("get", link).status_code == 200
    before = len(desk.sent())
    rated = life.http(
        "post", link, headers=FORM, body=urlencode({"rating": "2", "comment": "It took a week."})
    )
    assert rated.status_code == 200
    assert [m for m in life.sent_since(before) if "team@example.com" in m.recipients]
    listed = body_of(life.http("get", "/tickets?follow_up=true&limit=50", headers=auth(token)))["tickets"]
    assert [t["ref"] for t in listed] == [ref]

    # The customer writes again: reopened (the survey fired already); resolved again, and reopened
    # before that survey went out, which deletes its schedule
    life.advance(timedelta(minutes=5))
    _answer(life, reply, "Still nothing in the box.\n\nJane", "<again.4711@customer.example>")
    assert desk.store.get_ticket(ref).status.value == "open"  # type: ignore[union-attr]
    life.sitting()
    _patch(life, token, ref, status="resolved")
    assert _survey_schedules(desk, ref)
    life.advance(timedelta(hours=1))
    _answer(life, reply, "Sorry, one more question.\n\nJane", "<more.4711@customer.example>")
    assert _survey_schedules(desk, ref) == []

    # A request nobody answers: its SLA warning, then its breach
    other = life.mail(
        build_mail(
            subject="Invoice 2026-118 charged twice",
            body="Hello,\n\nmy invoice 2026-118 was charged twice. Please refund one.\n\nLi",
            sender="Li Wei <li.wei@shop.example>",
            message_id="<invoice.118@shop.example>",
        ),
        sender="li.wei@shop.example",
    )["ref"]
    for outcome in ("warned", "breached"):
        life.now = life.sla_due(other) - timedelta(minutes=1)
        fired = life.advance(timedelta(minutes=2))
        assert [(f.target, f.result["outcome"]) for f in fired if other in f.name] == [("sla", outcome)]

    # Ana's question goes to Sam on arrival (round robin). Alex takes it and snoozes it for two
    # hours: it opens again then, and Alex hears of it by mail (Alex's first notification)
    # once the notification window ends. Sam answers it pending on Ana, who never writes back:
    # reminded after three business days, resolved four later with a mail saying so, closed a week
    # after that
    ana = life.mail(
        build_mail(
            subject="Parcel 5521 has not moved",
            body="Hello,\n\nmy parcel 5521 has not moved for a week. Where is it?\n\nAna",
            sender="Ana Silva <ana.silva@store.example>",
            message_id="<parcel.5521@store.example>",
        ),
        sender="ana.silva@store.example",
    )["ref"]
    assert desk.store.get_ticket(ana).assignee == "sam@example.com"  # type: ignore[union-attr]
    life.sitting()
    _patch(life, admin_token, ana, assignee="alex@example.com")
    snoozed = _patch(life, admin_token, ana, snooze_until=(life.now + timedelta(hours=2)).isoformat())
    assert snoozed["status"] == "on-hold", snoozed
    before = len(desk.sent())
    assert _fire_automation(life, desk, ana) == "woken"
    life.advance(timedelta(minutes=desk.settings.notification_window_minutes + 1))
    assert [m for m in life.sent_since(before) if "alex@example.com" in m.recipients]
    life.sitting()
    answered = life.http(
        "post",
        f"/tickets/{ana}/replies",
        headers=auth(token),
        body=json.dumps({"body": "It left the depot again today.", "status": "pending"}),
    )
    assert answered.status_code == 201, answered.body
    before = len(desk.sent())
    assert [_fire_automation(life, desk, ana) for _ in range(3)] == ["reminded", "resolved", "closed"]
    to_ana = [m for m in life.sent_since(before) if "ana.silva@store.example" in m.recipients]
    assert len(to_ana) >= 2, to_ana  # the reminder and the closing mail (and the survey)

    # Kim is asked for photos of the damage and never sends them: a business day later a time rule
    # sends a saved reply, a day after that another sends one and resolves the ticket
    kim = life.mail(
        build_mail(
            subject="Tablet screen cracked",
            body="Hello,\n\nthe screen of my new tablet arrived cracked.\n\nKim",
            sender="Kim Park <kim.park@mail.example>",
            message_id="<screen.77@mail.example>",
        ),
        sender="kim.park@mail.example",
    )["ref"]
    life.sitting()
    asked = life.http(
        "post",
        f"/tickets/{kim}/replies",
        headers=auth(token),
        body=json.dumps({"body": "Could you send us photos of the screen?", "status": "pending"}),
    )
    assert asked.status_code == 201, asked.body
    _patch(life, token, kim, tags=["awaiting-photos"])
    before = len(desk.sent())
    assert [_fire_automation(life, desk, kim, kind="rules") for _ in range(2)] == ["applied", "applied"]
    assert len([m for m in life.sent_since(before) if "kim.park@mail.example" in m.recipients]) == 2
    assert desk.store.get_ticket(kim).status.value == "resolved"  # type: ignore[union-attr]

    # SES tells of a soft bounce of the mail to Li, then a hard one, and sends something unreadable
    (li_ack,) = [m for m in desk.store.thread(other) if m.kind is MessageKind.ACKNOWLEDGEMENT]
    outcomes = life.invoke(
        "feedback",
        _sns_event(
            _bounce(str(li_ack.ses_id), "li.wei@shop.example", "Transient", "fb-soft"),
            _bounce(str(li_ack.ses_id), "li.wei@shop.example", "Permanent", "fb-hard"),
            # Unreadable, but it names Li: kept in the bucket, and erased with Li
            '{"eventType": "Bounce", "bounce": {"note": "li.wei@shop.example"}}',
        ),
    )["outcomes"]
    assert [(o["kind"], len(o["suppressed"])) for o in outcomes] == [
        ("bounce", 0),
        ("bounce", 1),
        ("unreadable", 0),
    ], outcomes
    # An agent's answer to Li sends nothing now, and says why
    life.sitting()
    refused = life.http(
        "post", f"/tickets/{other}/replies", headers=auth(token), body=json.dumps({"body": "Refunded."})
    )
    assert refused.status_code >= 400 and "suppression list" in refused.body.decode()

    # A new mail too short to tell its language: the requester's earlier tickets decide it
    short = life.mail(build_mail(subject="?", body="ok", message_id="<short.4711@customer.example>"))
    assert short["new_ticket"] is True and short["ref"] != ref
    assert desk.store.get_ticket(short["ref"]).language == "en"  # type: ignore[union-attr]

    # The admin reads the report and retires the saved reply
    life.sitting()
    assert life.http("get", "/metrics?since=7d", headers=auth(admin_token)).status_code == 200
    assert life.http("delete", f"/saved-replies/{saved}", headers=auth(admin_token)).status_code == 204

    # Li and Jane ask for their data, then to be forgotten: the admin exports and erases through the
    # API (Jane's tickets hold an attachment and a long body)
    for address in ("li.wei@shop.example", "jane.doe@customer.example"):
        exported = life.http(
            "post", "/privacy/exports", headers=auth(admin_token), body=json.dumps({"email": address})
        )
        assert exported.status_code == 201, exported.body
        erased = life.http(
            "post",
            "/privacy/erasures",
            headers=auth(admin_token),
            body=json.dumps({"email": address, "confirm": True}),
        )
        assert erased.status_code in (200, 201), erased.body
        assert body_of(erased)["erasure"]["removed"]["tickets"] >= 1, erased.body
    # The erased tickets leave the search index (a merge rewrites it without them)
    assert life.index_changes() > 0
    life.sitting()
    gone = life.http("get", "/tickets?q=warehouse&status=new,open,pending,resolved", headers=auth(token))
    assert body_of(gone)["tickets"] == [], gone.body


@pytest.fixture
def presigned(life: Life, monkeypatch: pytest.MonkeyPatch) -> list[ApiCall]:
    """The GETs of the attachment links the API hands out: no call when the link is made, but the
    browser's request is signed with the function's role, so it needs s3:GetObject all the same."""
    signed: list[ApiCall] = []
    original = S3BlobStore.presigned_url

    def recording(store: S3BlobStore, key: str, seconds: int, filename: str | None = None) -> str:
        params = {"Bucket": store.bucket, "Key": key}
        signed.append(ApiCall(life.recorder.current, "s3", "s3", "GetObject", params))
        return original(store, key, seconds, filename)

    monkeypatch.setattr(S3BlobStore, "presigned_url", recording)
    posting = S3BlobStore.presigned_post

    def recording_post(store: S3BlobStore, key: str, max_bytes: int, seconds: int) -> dict[str, Any]:
        # The browser's POST of an upload is signed with the function's role too: s3:PutObject.
        signed.append(
            ApiCall(life.recorder.current, "s3", "s3", "PutObject", {"Bucket": store.bucket, "Key": key})
        )
        return posting(store, key, max_bytes, seconds)

    monkeypatch.setattr(S3BlobStore, "presigned_post", recording_post)
    return signed


def _assigning_in_every_queue(desk: Desk, tmp_path: Path) -> str:
    """The shipped SLA policy with round robin in every queue of the desk (automatic assignment
    reads the agents and takes a turn of the queue's rotation on arrival)."""
    from postdesk.sla.policy import DEFAULT_POLICY_PATH
    from postdesk.workflows.ticket_work import desk_queues

    policy = tmp_path / "assigning-policy.toml"
    policy.write_text(
        DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
        + "".join(
            f'\n[queues.{queue}]\nassignment = "round_robin"\n' for queue in desk_queues(desk.settings)
        ),
        encoding="utf-8",
    )
    return str(policy)


def _manage_people(life: Life, admin_token: str) -> None:
    """An admin invites a person, lists everyone with their accounts' states, renews the
    invitation, makes and revokes an API token, changes the person's role, deactivates and
    reactivates them, and reads the access audit."""
    headers = auth(admin_token)

    def ok(method: str, path: str, document: Any = None) -> Any:
        body = {} if document is None else {"body": json.dumps(document)}
        answer = life.http(method, path, headers=headers, **body)
        assert answer.status_code < 300, (method, path, answer.body)
        return body_of(answer)

    ok("post", "/agents", {"email": "kim@example.com", "name": "Kim Park", "queues": ["billing"]})
    ok("get", "/agents?all=true")
    ok("post", "/agents/kim@example.com/invitation", {})
    made = ok("post", "/tokens", {"name": "CRM sync", "scope": "write", "agent": "kim@example.com"})
    ok("get", "/tokens")
    ok("delete", f"/tokens/{made['key_id']}")
    ok("put", "/agents/kim@example.com", {"role": "admin"})
    ok("put", "/agents/kim@example.com", {"active": False})
    ok("put", "/agents/kim@example.com", {"active": True})
    ok("get", "/audit")


def _sit_with_a_session(life: Life, desk: Desk) -> None:
    """A person with an account (made by the test) gets the password wrong once, signs in, works
    with the session cookie and signs out: the sessions table's items and the failure counter."""
    from postdesk.agents.model import Role
    from postdesk.agents.store import AgentStore
    from postdesk.auth.accounts import CognitoAccounts

    email, password = "lee@example.com", "Correct-Horse-42"
    AgentStore(desk.settings.tables.agents, desk.settings.region).add(
        email, "Lee Chan", Role.AGENT, desk.clock_now
    )
    accounts = CognitoAccounts(desk.settings.sign_in.user_pool_id, desk.settings.region)
    accounts.create(email, "Lee Chan")
    accounts.set_password(email, password)
    headers = {"Content-Type": "application/json", "Host": "desk.example.com"}

    wrong = life.http(
        "post", "/session", headers=headers, body=json.dumps({"email": email, "password": "nope"})
    )
    assert wrong.status_code == 401, wrong.body
    signed_in = life.http(
        "post", "/session", headers=headers, body=json.dumps({"email": email, "password": password})
    )
    assert signed_in.status_code == 200 and body_of(signed_in)["signed_in"] is True, signed_in.body
    cookie = {**headers, "Cookie": signed_in.headers["Set-Cookie"].split(";", 1)[0]}
    assert life.http("get", "/session", headers=cookie).status_code == 200
    assert life.http("get", "/tickets", headers=cookie).status_code == 200
    assert life.http("delete", "/session", headers=cookie).status_code == 204


def _write_an_article(life: Life, token: str, admin_token: str) -> None:
    """An agent writes an article at the console (the editor's preview, an image, two versions,
    their diff), publishes it, reads the list with its flags and figures, changes its settings and
    takes it off the help center; an admin deletes it."""
    life.sitting()
    headers, path = auth(token), "/articles/refund-times"

    def ok(method: str, url: str, document: Any = None, headers: dict[str, str] = headers) -> Any:
        body = {} if document is None else {"body": json.dumps(document)}
        answer = life.http(method, url, headers=headers, **body)
        assert answer.status_code < 300, (method, url, answer.body)
        return body_of(answer)

    ok("post", "/articles/preview", {"body": "# Refunds\n\nWithin **5 days**."})
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    image = ok("post", "/articles/images", {"data": pixel, "content_type": "image/png"})
    assert image["name"].endswith(".png")
    made = ok(
        "post",
        "/articles",
        {
            "slug": "refund-times",
            "category": "billing",
            "language": "en",
            "title": "Refund times",
            "body": "5 days.",
        },
    )["article"]
    ok(
        "put",
        f"{path}/en",
        {"title": "Refund times", "body": f"5 days.\n\n{image['markdown']}", "base_version": 1},
    )
    ok("get", f"{path}/en/diff?from=1&to=2")
    ok("get", f"{path}/en/versions/1")
    ok("post", f"{path}/en/publish", {"version": 2})
    assert "refund-times" in [summary["slug"] for summary in ok("get", "/articles")["articles"]]
    ok("get", f"{path}/en")
    ok("patch", path, {"version": made["version"], "category": "orders"})
    ok("delete", f"{path}/en/publish")
    assert life.http("delete", path, headers=auth(admin_token)).status_code == 204


def _review_the_articles(life: Life, desk: Desk) -> None:
    """The shipped articles, owned by Sam, one of them due for review: the daily knowledge review
    (automations) reads the articles, their figures and its guards, queues Sam's notification
    (mailed by sla) and schedules the next review."""
    from postdesk.workflows.knowledge import import_seed

    import_seed(desk.settings, desk.ports, root=None, owner="sam@example.com")
    store = desk.ports.knowledge
    article = store.get("account-recovery")
    # (due long ago: whichever day the review that fires is of, it finds the article due)
    store.update_article(
        "account-recovery", article.version, review_by=date(2026, 1, 1), actor="sam@example.com", now=life.now
    )
    before = len(desk.sent())
    fired = life.advance(timedelta(days=1))
    assert any(schedule.name.startswith("kb-review-") for schedule in fired), fired
    life.advance(timedelta(minutes=10))
    assert any("sam@example.com" in mail.recipients for mail in desk.sent()[before:])


def _read_the_help_center(life: Life, desk: Desk) -> None:
    """A reader of the help center (the articles imported above): the published snapshot, an
    article opened from an acknowledgement (its figures), a vote (its counter), an image."""
    from postdesk import runtime

    # The API's container may have read the snapshot before the import: it would look again in 30 s.
    runtime.api_context().ports.catalogue.invalidate()
    one_pixel_png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    name = desk.ports.knowledge.put_image(one_pixel_png, "image/png")
    assert life.http("get", "/help/en/articles/account-recovery?from=mail").status_code == 200
    voted = life.http("post", "/help/en/articles/account-recovery/votes", headers=FORM, body="helpful=yes")
    assert voted.status_code == 303
    # (a binary answer goes to a request that accepts it, as a browser's request for an image does)
    image = life.http("get", f"/help/images/{name}", headers={"Accept": "image/webp,image/png,*/*;q=0.8"})
    assert image.status_code == 200


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_each_function_is_allowed_what_it_uses_and_nothing_else(
    life: Life,
    desk: Desk,
    token: str,
    admin_token: str,
    presigned: list[ApiCall],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Every queue assigns by round robin, and an admin puts Sam in all of them (Sam is not away);
    # a failed webhook delivery comes back at once (the back-off
    # itself is checked in tests/unit)
    monkeypatch.setenv("POSTDESK_SLA_POLICY", _assigning_in_every_queue(desk, tmp_path))
    monkeypatch.setenv("POSTDESK_WEBHOOK_RETRY_SECONDS", "0")
    runtime.reset_runtime()
    life.sitting()
    queues = [queue["name"] for queue in body_of(life.http("get", "/queues", headers=auth(token)))["queues"]]
    put = life.http(
        "put", "/agents/sam@example.com", headers=auth(admin_token), body=json.dumps({"queues": queues})
    )
    assert put.status_code == 200, put.body
    back = life.http("put", "/me/away", headers=auth(token), body=json.dumps({"away": False}))
    assert back.status_code == 200, back.body

    def use_time_rules(saved_reply_id: str) -> None:
        rules = tmp_path / "time-rules.toml"
        added = TIME_RULES.replace("SAVED_REPLY_ID", saved_reply_id)
        rules.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8") + added, encoding="utf-8")
        monkeypatch.setenv("POSTDESK_TRIAGE_RULES", str(rules))

    with webhook_receiver(answers=[500]) as endpoint:
        _live(life, desk, token, admin_token, endpoint, use_time_rules)
    _manage_people(life, admin_token)
    _sit_with_a_session(life, desk)
    _write_an_article(life, token, admin_token)
    _review_the_articles(life, desk)
    _read_the_help_center(life, desk)

    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    stack = desk_stack(desk.settings, template)
    problems: list[str] = []
    needs: list[Need] = []
    for call, signed in [*((c, False) for c in life.recorder.calls), *((c, True) for c in presigned)]:
        if call.function not in FUNCTIONS:
            continue
        try:
            found = needs_of(call, desk.settings.region, stack.account)
        except UnmappedCall as unmapped:
            problems.append(f"{call.function}: {unmapped} has no IAM mapping in tests/iam.py")
            continue
        if signed:
            found = [Need(n.function, n.action, n.resource, f"a presigned link ({n.because})") for n in found]
        needs.extend(found)
    assert [c for c in presigned if c.params["Key"].startswith(desk.settings.attachments_prefix)]

    # Every function of the template is checked, and every call came from one of them (or SES)
    functions = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert functions == set(FUNCTIONS.values()), "map each function of the template in FUNCTIONS"
    labels = {call.function for call in life.recorder.calls} - {None, cost.SES_RECEIPT}
    assert labels <= set(FUNCTIONS), labels

    for function, logical_id in FUNCTIONS.items():
        if not [need for need in needs if need.function == function]:
            problems.append(f"{function}: the life made no call of it")
        (role, attribute) = template["Resources"][logical_id]["Properties"]["Role"]["Fn::GetAtt"]
        assert attribute == "Arn"
        allowances = [a.need(function) for a in runtime_allowances(template, logical_id, stack)]
        findings = check(function, role, role_grants(template, role, stack), [*needs, *allowances])
        problems.extend(findings.messages())

    assert not problems, "\n".join(problems)
