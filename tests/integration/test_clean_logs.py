"""No log line of any function carries a mail's body, its subject, or who wrote it.

A ticket's whole life runs through the entry points of functions/app.py (new mail and its
acknowledgement, the customer's answer, an agent's reply and note, the resolution, the survey
schedule, the survey page with a comment, an SLA warning, a bounce through ``feedback``, broken
mail that is quarantined, and an ingest that fails), while everything the desk could write is
captured: the desk's Logger, stdout and stderr at the file-descriptor level (EMF metrics, prints,
what the Lambda runtime would print of an uncaught exception), every record that reaches the root
logger at DEBUG (libraries, Chalice), and Python warnings. None of it may hold the customer's
address in any case, the agent's address, the customer's display name, the subject, a sentence of
a body, a note, a reply or the survey comment. What operators need stays: refs, SES ids, masked
domains, counts."""

from __future__ import annotations

import io
import json
import logging
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from postdesk import runtime
from postdesk.aws.clients import client as aws_client
from postdesk.aws.ses import SesMailer
from postdesk.tickets.model import MessageKind
from postdesk_tools import schedules
from postdesk_tools.ses_events import new_ses_message_id
from tests.api_calls import recording_api_calls
from tests.integration.conftest import Desk, auth, body_of
from tests.integration.life import FORM, Life, survey_links
from tests.integration.test_mail_hygiene import _bounce, _sns_event
from tests.mails import build_mail

CUSTOMER = "Quentin.Marchetti-Oyelaran@Ferndale-Parcels.example"
# A second customer, whose acknowledgement SES refuses (the account is still in the sandbox).
SANDBOXED = "Ottilie.Brannagh@Sandbox-Unverified.example"
DISPLAY_NAME = "Quentin Marchetti-Oyelaran"
SUBJECT = "Parcel 88213 stuck beside the lighthouse kiosk"
FIRST_BODY = "The blue heron umbrella was folded inside the parcel I never received."
ANSWER_BODY = "My neighbour Perpetua saw the courier drive past twice on Sunday."
AGENT = "sam@example.com"
AGENT_REPLY = "We asked the depot in Kilkeel to return the parcel by Thursday."
NOTE = "Depot supervisor Orlaith promised a callback before noon."
COMMENT = "This is unacceptable, I am furious: the courier was rude and nobody answered for a week."
OTHER_SUBJECT = "Invoice 55107 charged twice for the walnut bookshelf"
OTHER_BODY = "My statement shows the walnut bookshelf twice; please refund one charge."
BROKEN_SUBJECT = "Scanned tenancy papers for flat 9 Gallowglass Row"
BROKEN_BODY = "Attached are the tenancy papers for flat 9 Gallowglass Row, signed by my landlady."

# Everything that names the customer or says what they wrote.
SECRETS = (
    CUSTOMER,
    SANDBOXED,
    AGENT,
    DISPLAY_NAME,
    SUBJECT,
    FIRST_BODY,
    ANSWER_BODY,
    AGENT_REPLY,
    NOTE,
    COMMENT,
    OTHER_SUBJECT,
    OTHER_BODY,
    BROKEN_SUBJECT,
    BROKEN_BODY,
    # Fragments a log might quote in part.
    "blue heron umbrella",
    "Perpetua",
    "Kilkeel",
    "Orlaith",
    "lighthouse kiosk",
    "walnut bookshelf",
    "Gallowglass",
    "Marchetti",
    "nobody answered for a week",
    "tenancy",
)
# Loggers of the test's stand-ins for AWS (moto answers every call in-process); not the desk's.
NOT_THE_DESK = ("moto", "responses", "werkzeug")


@dataclass
class Captured:
    """What reached the root logger, and what the capture fixture's reads handed out of stderr."""

    records: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _RootCapture(logging.Handler):
    def __init__(self, captured: Captured) -> None:
        super().__init__(level=logging.DEBUG)
        self.captured = captured
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] not in NOT_THE_DESK:
            self.captured.records.append(self.format(record))


class _KeepingErrors:
    """capfd for the Life driver, which reads only stdout: stderr is kept here too."""

    def __init__(self, capfd: pytest.CaptureFixture[str], captured: Captured) -> None:
        self.capfd = capfd
        self.captured = captured

    def readouterr(self) -> Any:
        result = self.capfd.readouterr()
        self.captured.errors.append(result.err)
        return result


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Every record that reaches the root logger, at DEBUG, while the test runs."""
    found = Captured()
    root = logging.getLogger()
    handler = _RootCapture(found)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield found
    root.removeHandler(handler)
    root.setLevel(level)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


def _broken_mime() -> bytes:
    """A mail whose MIME is broken in the ways parse.py reports, several of them quoting what the
    sender wrote: Message-IDs naming the sender, an 8-bit subject without an encoding, an unknown
    charset and transfer encoding, a Content-Type holding a name and a filename, bad base64, no
    closing boundary."""
    return (
        f"From: {DISPLAY_NAME} <{CUSTOMER}>\r\n"
        "To: support@example.com\r\n"
        f"Subject: {BROKEN_SUBJECT} \xe9t\xe9\r\n"
        f"Message-ID: <{CUSTOMER.replace('.example', ' example')}>\r\n"
        f"In-Reply-To: {CUSTOMER.replace('@', '@@')}\r\n"
        "Date: Tue, 24 Nov 2026 09:30:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="cut-here"\r\n'
        "\r\n"
        "--cut-here\r\n"
        "Content-Type: text/plain; charset=x-unheard-of-8\r\n"
        "Content-Transfer-Encoding: quoted-unreadable\r\n"
        "\r\n"
        f"{BROKEN_BODY}\r\n"
        "--cut-here\r\n"
        f'Content-Type: {DISPLAY_NAME} tenancy; name="{DISPLAY_NAME} tenancy.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQK!!!not*base64***\r\n"
    ).encode("latin-1")


def _sandbox_refusal(_mailer: SesMailer, _source: str, destinations: list[str], _raw: bytes) -> str:
    """What SES answers while the account is in its sandbox and the recipients are not verified."""
    raise ClientError(
        {
            "Error": {
                "Code": "MessageRejected",
                "Message": "Email address is not verified. The following identities failed the check "
                f"in region EU-WEST-1: {', '.join(destinations)}",
            }
        },
        "SendRawEmail",
    )


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_no_log_line_of_any_function_holds_an_address_a_name_a_subject_or_a_body(
    desk: Desk,
    client: Client,
    token: str,
    log_output: io.StringIO,
    capfd: pytest.CaptureFixture[str],
    captured: Captured,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with recording_api_calls() as recorder, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        life = Life(desk, client, recorder, _KeepingErrors(capfd, captured), log_output)  # type: ignore[arg-type]
        runtime.use_clock(life.clock)
        monkeypatch.setattr(
            schedules,
            "TARGETS",
            {name: lambda event, _c, name=name: life.scheduled(name, event) for name in ("survey", "sla")},
        )
        failures = _a_tickets_life(life, desk, client, token)

    rest = capfd.readouterr()
    out = "".join(life.stdout) + rest.out
    captured.errors.append(rest.err)
    texts = {
        "the desk's log": log_output.getvalue(),
        "stdout (EMF metrics, prints)": out,
        "stderr": "".join(captured.errors),
        "the root logger": "\n".join(captured.records),
        "warnings": "\n".join(f"{w.category.__name__}: {w.message}" for w in warned),
        "uncaught exceptions, as the Lambda runtime prints them": "\n".join(failures),
    }
    # The capture saw the life: the desk's lines, its metrics, the failed invocation
    assert "ticket created" in texts["the desk's log"] and "SES feedback" in texts["the desk's log"]
    assert "***@ferndale-parcels.example" in texts["the desk's log"]
    assert "retention applied" in texts["the desk's log"]
    assert '{"_aws"' in out and "SurveyAnswers" in out and "FollowUpsFlagged" in out
    assert len(failures) == 2 and "***@sandbox-unverified.example" in failures[0]
    leaks = {where: _leaks(text) for where, text in texts.items() if _leaks(text)}
    assert leaks == {}, "\n\n".join(
        f"{where}:\n" + "\n".join(line for line in texts[where].splitlines() if _leaks(line))[:4000]
        for where in leaks
    )


def _a_tickets_life(life: Life, desk: Desk, client: Client, token: str) -> list[str]:
    """The life, through functions/app.py; what the failed invocation raised, formatted in full."""
    sender = f"{DISPLAY_NAME} <{CUSTOMER}>"
    # A new request: the ticket and its acknowledgement
    before = len(desk.sent())
    created = life.mail(
        build_mail(
            subject=SUBJECT,
            body=f"Hello,\n\n{FIRST_BODY}\n\n{DISPLAY_NAME}",
            html=f"<p>Hello,</p><p>{FIRST_BODY}</p><img src='https://tracker.example/{DISPLAY_NAME}.png'>",
            sender=sender,
        ),
        sender=CUSTOMER,
    )
    assert created["new_ticket"] and created["ack"] == "sent", created
    ref = created["ref"]
    (ack,) = life.sent_since(before)

    # The customer answers the acknowledgement
    life.advance(timedelta(minutes=10))
    answered = life.mail(
        build_mail(
            subject=f"Re: {ack.message['Subject']}",
            body=f"{ANSWER_BODY}\n\nQuentin",
            sender=sender,
            in_reply_to=str(ack.message["Message-ID"]),
            to=str(ack.message["Reply-To"]),
        ),
        sender=CUSTOMER,
        to=str(ack.message["Reply-To"].addresses[0].addr_spec),
    )
    assert answered["ref"] == ref

    # An agent reads it, replies, leaves a note and resolves it
    life.advance(timedelta(minutes=30))
    life.sitting()
    shown = body_of(life.http("get", f"/tickets/{ref}?full=true", headers=auth(token)))
    first = next(m for m in shown["thread"] if m["kind"] == "customer")
    html = life.http("get", f"/tickets/{ref}/messages/{first['id']}/html", headers=auth(token))
    assert html.status_code == 200, html.body
    listing = life.http("get", f"/tickets?{urlencode({'requester': CUSTOMER.lower()})}", headers=auth(token))
    assert ref in [t["ref"] for t in body_of(listing)["tickets"]]
    replied = life.http(
        "post",
        f"/tickets/{ref}/replies",
        headers={**auth(token), "Idempotency-Key": "clean-logs-reply"},
        body=json.dumps(
            {"body": f"Hello {{{{ customer.first_name }}}},\n\n{AGENT_REPLY}", "status": "pending"}
        ),
    )
    assert replied.status_code == 201, replied.body
    noted = life.http(
        "post",
        f"/tickets/{ref}/notes",
        headers={**auth(token), "Idempotency-Key": "clean-logs-note"},
        body=json.dumps({"body": NOTE}),
    )
    assert noted.status_code == 201, noted.body
    # A request that fails: the edit is refused, with the subject it was given
    refused = life.http(
        "patch",
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": 1, "subject": f"{SUBJECT}\n{FIRST_BODY}"}),
    )
    assert refused.status_code in (400, 409), refused.body
    version = body_of(life.http("get", f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    resolved = life.http(
        "patch",
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": version, "status": "resolved"}),
    )
    assert resolved.status_code == 200, resolved.body

    # A day later the survey schedule fires; the customer rates 3 with an angry comment
    before = len(desk.sent())
    fired = life.advance(timedelta(hours=24, minutes=1))
    assert [(f.target, f.result["outcome"]) for f in fired] == [("survey", "sent")]
    (survey,) = [m for m in life.sent_since(before) if m.message["Auto-Submitted"] == "auto-generated"]
    life.sitting()
    link = survey_links(survey)[3]
    assert life.http("get", link).status_code == 200
    posted = life.http("post", link, headers=FORM, body=urlencode({"rating": "3", "comment": COMMENT}))
    assert posted.status_code == 200
    # The agent closes it: its retention starts
    version = body_of(life.http("get", f"/tickets/{ref}", headers=auth(token)))["ticket"]["version"]
    closed = life.http(
        "patch",
        f"/tickets/{ref}",
        headers=auth(token),
        body=json.dumps({"version": version, "status": "closed"}),
    )
    assert closed.status_code == 200, closed.body

    # SES bounces the agent's reply: the feedback function
    (reply,) = [m for m in desk.store.thread(ref) if m.kind is MessageKind.AGENT_REPLY]
    assert reply.ses_id
    bounced = life._run(
        "feedback", lambda: client.lambda_.invoke("feedback", _sns_event(_bounce(reply.ses_id, CUSTOMER)))
    )
    assert bounced.payload["outcomes"][0]["ref"] == ref

    # Another request nobody answers: its SLA warning fires
    other = life.mail(
        build_mail(subject=OTHER_SUBJECT, body=f"Hello,\n\n{OTHER_BODY}\n\n{DISPLAY_NAME}", sender=sender),
        sender=CUSTOMER,
    )["ref"]
    life.now = life.sla_due(other) - timedelta(minutes=1)
    fired = life.advance(timedelta(minutes=2))
    assert [(f.target, f.result["outcome"]) for f in fired] == [("sla", "warned")]

    # Broken mail: once accepted with its defects, once quarantined (SES found a virus)
    broken = life.mail(_broken_mime(), sender=CUSTOMER)
    assert broken["new_ticket"]
    with life.recorder.function(None):
        event = desk.event(
            _broken_mime(), envelope_sender=CUSTOMER, verdicts={"virus": "FAIL"}, received_at=life.now
        )
    runtime.reset_runtime()
    quarantined = life._run("ingest", lambda: client.lambda_.invoke("ingest", event).payload["results"])
    assert quarantined[0]["verdict"] == "virus"

    # Ingests that fail: SES refuses the acknowledgement (the sandbox), and an event names a mail
    # that is not in the bucket
    failures = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SesMailer, "send_raw", _sandbox_refusal)
        try:
            life.mail(
                build_mail(subject=SUBJECT, body=FIRST_BODY, sender=f"Someone Else <{SANDBOXED}>"),
                sender=SANDBOXED,
            )
        except ClientError as error:
            failures.append("".join(traceback.format_exception(error)))
    # An agent's reply that SES refuses the same way: the API answers 500 and logs why
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SesMailer, "send_raw", _sandbox_refusal)
        life.sitting()
        refused = life.http(
            "post",
            f"/tickets/{other}/replies",
            headers={**auth(token), "Idempotency-Key": "clean-logs-refused"},
            body=json.dumps({"body": AGENT_REPLY}),
        )
        assert refused.status_code in (422, 500), refused.body
    ses_id = new_ses_message_id()
    missing = desk.event(_broken_mime(), envelope_sender=CUSTOMER, ses_id=ses_id, received_at=life.now)
    aws_client("s3", desk.settings.region).delete_object(
        Bucket=desk.settings.mail_bucket, Key=f"{desk.settings.raw_mail_prefix}{ses_id}"
    )
    runtime.reset_runtime()
    try:
        life._run("ingest", lambda: client.lambda_.invoke("ingest", missing))
    except Exception as error:
        failures.append("".join(traceback.format_exception(error)))
    return failures


def test_every_line_is_one_json_object_with_eight_ingest_threads() -> None:
    import subprocess
    import sys
    from pathlib import Path

    from tests.integration import threaded_ingest

    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.threaded_ingest"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.split("=== ingest\n", 1)[1].splitlines()
    parsed = []
    for line in lines:
        document = json.loads(line)  # fails on two records run together, or half of one
        assert isinstance(document, dict)
        parsed.append(document)
    mails = threaded_ingest.THREADS * threaded_ingest.MAILS_PER_THREAD
    assert sum(1 for d in parsed if d.get("message") == "ticket created") == mails
    # And no metric was lost to another thread's flush: every ticket and acknowledgement is counted.
    emf = [d for d in parsed if "_aws" in d]
    assert sum(sum(d.get("TicketsCreated", [])) for d in emf) == mails
    assert sum(sum(d.get("AcksSent", [])) for d in emf) == mails
