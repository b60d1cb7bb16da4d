"""The local stack as a newcomer runs it (`postdesk local`, its own processes): real SMTP in, real
HTTP out, the browser for the console and the survey page, the clock moved a day, and nothing left
running once it is stopped."""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.sessions import sign_in_stack
from tests.e2e.stack import (
    CHECKOUT,
    alive,
    api,
    clean_environment,
    mail,
    outbox,
    output_file,
    ref_of,
    send,
    start,
    stop,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("local-stack")
    process, info = start(state_dir)
    try:
        yield info
    finally:
        stop(process, state_dir)


def test_local_json_says_where_everything_is(stack: dict[str, Any]) -> None:
    for key in (
        "smtp_host",
        "smtp_port",
        "api_url",
        "console_url",
        "help_center_url",
        "support_address",
        "admin_token",
        "outbox_dir",
        "endpoint_url",
    ):
        assert stack[key], key
    assert stack["smtp_host"] == "127.0.0.1" and urlsplit(stack["api_url"]).hostname == "127.0.0.1"
    assert urlsplit(stack["endpoint_url"]).hostname == "127.0.0.1"
    # The help center is there, with the shipped articles a new desk imports
    german = urllib.request.Request(stack["help_center_url"], headers={"Accept-Language": "de"})  # noqa: S310
    with urllib.request.urlopen(german, timeout=10) as answer:  # noqa: S310 (the local desk)
        assert answer.url.endswith("/help/de/") and "Set-Cookie" not in answer.headers
        assert "Passwort" in answer.read().decode("utf-8")


def test_the_first_admin_is_invited_and_the_stack_says_how_to_sign_in(stack: dict[str, Any]) -> None:
    import boto3

    email, password = stack["admin_email"], stack["admin_temporary_password"]
    assert email == "admin@example.com"
    # The pool's policy: 12 characters or more, upper case, lower case, a digit
    assert len(password) >= 12
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password)
    # What `make local` printed says the same
    printed = _printed(stack, f"temporary password {password}")
    assert f"Sign in as     {email}  temporary password {password}" in printed
    assert f"Admin token    {stack['admin_token']}" in printed
    # The invitation went out through the desk's mail, with the password in it
    (invitation,) = outbox(stack, "Your account on")
    assert email in str(invitation["To"])
    assert password in invitation.get_body(preferencelist=("plain",)).get_content()
    # The account is in the user pool, waiting for its first sign-in, and the password opens it
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack["endpoint_url"],
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    pool = stack["environment"]["POSTDESK_USER_POOL_ID"]
    user = cognito.admin_get_user(UserPoolId=pool, Username=email)
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    first = cognito.initiate_auth(
        ClientId=stack["environment"]["POSTDESK_USER_POOL_CLIENT_ID"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    # The admin's API token works as before
    assert api(stack, "GET", "/me")["role"] == "admin"


def _printed(stack: dict[str, Any], waiting_for: str, seconds: float = 30) -> str:
    """What the stack printed so far, once it holds ``waiting_for``."""
    deadline = time.monotonic() + seconds
    while True:
        printed = output_file(Path(stack["state_dir"])).read_text(errors="replace")
        if waiting_for in printed or time.monotonic() > deadline:
            return printed
        time.sleep(0.2)


def test_mail_over_smtp_becomes_a_ticket_and_the_customers_reply_joins_it(stack: dict[str, Any]) -> None:
    # A customer writes; the acknowledgement comes back within seconds
    send(
        stack, mail("Parcel 8812 missing", "Hello,\n\nmy parcel 8812 did not arrive. Can you check?\n\nJane")
    )
    (ack,) = outbox(stack, "Parcel 8812 missing")
    ref = ref_of(ack)
    assert ack["Auto-Submitted"] == "auto-replied"

    # She answers the acknowledgement from her mail client
    send(
        stack,
        mail(
            f"Re: {ack['Subject']}", "It was supposed to come on Monday.", In_Reply_To=str(ack["Message-ID"])
        ),
    )

    deadline = time.monotonic() + 30
    while True:
        thread = api(stack, "GET", f"/tickets/{ref}")["thread"]
        if len(thread) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert [m["kind"] for m in thread] == ["customer", "acknowledgement", "customer"]
    assert len(outbox(stack, "Parcel 8812 missing", seconds=1)) == 1  # no second acknowledgement


def test_a_new_mail_is_found_by_its_words(stack: dict[str, Any]) -> None:
    # How soon is measured by `make bench` (bench_search_freshness): here, that it is found at all.
    send(
        stack,
        mail("Kühlschrank brummt", "Guten Tag,\n\nmein Kühlschrank Modell QX-7731 brummt laut.\n\nGrüße"),
    )
    accepted = time.monotonic()
    (ack,) = outbox(stack, "Kühlschrank brummt")
    ref = ref_of(ack)
    found: list[dict[str, Any]] = []
    while not found and time.monotonic() - accepted < 30:
        found = api(stack, "GET", "/tickets?q=kuhlschrank+qx-7731")["tickets"]
        time.sleep(0.05)
    assert [ticket["ref"] for ticket in found] == [ref]
    (hit,) = api(stack, "GET", "/tickets?q=brummt")["tickets"]
    assert [part["text"] for part in hit["match"]["snippet"] if part["match"]] == ["brummt"]


def test_a_mail_can_ask_the_local_stack_for_the_verdicts_ses_would_give(stack: dict[str, Any]) -> None:
    # So that the quarantine can be tried by hand: SES's spam verdict, asked for by a header
    send(stack, mail("Cheap pills", "Buy now.", X_Postdesk_Local_Verdicts="spam=FAIL"))
    deadline = time.monotonic() + 30
    held: list[dict[str, Any]] = []
    while not held and time.monotonic() < deadline:
        held = [
            t
            for t in api(stack, "GET", "/tickets?view=quarantine")["tickets"]
            if t["subject"] == "Cheap pills"
        ]
        time.sleep(0.1)
    (ticket,) = held
    assert ticket["quarantine"] == "spam: SES spam verdict FAIL"
    assert outbox(stack, "Cheap pills", seconds=1) == []  # held mail is never acknowledged


def test_mail_for_another_domain_is_refused_at_the_door(stack: dict[str, Any]) -> None:
    with (
        smtplib.SMTP(stack["smtp_host"], stack["smtp_port"], timeout=30) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        smtp.sendmail("jane@customer.example", ["someone@elsewhere.example"], b"Subject: hi\r\n\r\nhi\r\n")


def test_an_agent_answers_in_the_console_resolves_and_the_survey_comes_a_day_later(
    stack: dict[str, Any], page: Page
) -> None:
    send(
        stack,
        mail(
            "Invoice twice",
            "Hello, I was charged twice for order 77. Please refund one.",
            sender="Li Wei <li@shop.example>",
        ),
    )
    ref = ref_of(outbox(stack, "Invoice twice")[0])

    # The agent signs in with the admin token, answers and resolves in the console
    sign_in_stack(page, stack)
    page.locator(f'#queue-rows tr[data-ref="{ref}"]').get_by_role("link", name=ref).click()
    expect(page.locator("#ticket-subject")).to_have_text("Invoice twice")
    page.get_by_label("Message", exact=True).fill("Hello Li,\n\nwe refunded the second charge today.")
    page.get_by_label("Status after sending").select_option("resolved")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#ticket-status")).to_have_value("resolved")
    assert len(outbox(stack, "Invoice twice", count=2)) == 2

    # The clock moves a day: the survey goes out
    # Its own ticket from Jane: the tests of this module may run on other workers' stacks.
    send(stack, mail("Parcel stuck in Lyon", "Hello,\n\nmy parcel has not moved for a week."))
    assert outbox(stack, "Parcel stuck in Lyon")
    environment = clean_environment(Path(stack["outbox_dir"]).parent)
    advanced = subprocess.run(
        [sys.executable, "-m", "postdesk_tools.cli", "local", "advance", "25h"],
        cwd=CHECKOUT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert advanced.returncode == 0, advanced.stdout + advanced.stderr
    assert f"survey-{ref}-1: sent" in advanced.stdout
    surveys = [m for m in outbox(stack, "Invoice twice", count=3) if m["Auto-Submitted"] == "auto-generated"]
    assert len(surveys) == 1
    text = surveys[0].get_body(preferencelist=("plain",))
    assert text is not None
    link = next(
        line.strip() for line in text.get_content().splitlines() if "/survey/" in line and ".5." in line
    )

    # The customer follows the "5" link and sends it
    page.goto(link)
    expect(page.get_by_label("5 – Excellent")).to_be_checked()
    page.get_by_role("button", name="Send my rating").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert api(stack, "GET", f"/tickets/{ref}")["ticket"]["survey"]["rating"] == 5

    # And the outbox page of the console lists all of it
    page.goto(stack["console_url"])
    page.get_by_role("link", name="Outbox").click()
    expect(page.locator("#outbox-mails")).to_contain_text("Invoice twice")


def test_the_commands_of_the_checkout_talk_to_the_running_stack(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    # Its own ticket from Jane: the tests of this module may run on other workers' stacks.
    send(stack, mail("Parcel stuck in Lyon", "Hello,\n\nmy parcel has not moved for a week."))
    assert outbox(stack, "Parcel stuck in Lyon")
    environment = clean_environment(Path(stack["outbox_dir"]).parent)

    def postdesk(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "postdesk_tools.cli", *arguments],
            cwd=CHECKOUT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    agents = postdesk("agents", "list")
    report = postdesk("report", "--since", "7d", "--json")

    assert agents.returncode == 0 and "admin@example.com" in agents.stdout, agents.stderr
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["volume"]["total"] >= 1

    exported = postdesk("privacy", "export", "Jane.Doe@customer.example", "--out", str(tmp_path / "jane.zip"))
    erased = postdesk("privacy", "erase", "nobody@nowhere.example", "--yes", "--operator", "e2e")

    assert exported.returncode == 0 and "export#" in exported.stdout, exported.stderr
    with zipfile.ZipFile(tmp_path / "jane.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["subject"] == {"email": "jane.doe@customer.example"}
    assert erased.returncode == 0 and "Nothing about nobody@nowhere.example" in erased.stdout, erased.stderr

    # The new desk imported the shipped articles, owned by its first admin; importing again keeps them.
    articles = postdesk("kb", "list")
    again = postdesk("kb", "import")

    assert articles.returncode == 0, articles.stderr
    (recovery,) = [
        line.split() for line in articles.stdout.splitlines() if line.startswith("account-recovery ")
    ]
    assert recovery[2] == "admin@example.com" and recovery[4:] == ["current", "v1"] * 5
    assert again.returncode == 0 and "0 article(s) imported, 6 already in the desk" in again.stdout, (
        again.stderr
    )


def test_stopping_the_stack_leaves_no_process_behind(tmp_path: Path) -> None:
    process, info = start(tmp_path / "state")
    pids = [int(info["pid"]), int(info["api_pid"]), int(info["moto_pid"])]
    assert all(alive(pid) for pid in pids)

    output = stop(process, tmp_path / "state")

    assert process.returncode == 0, output[-2000:]
    assert "Stopping" in output
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in pids if alive(pid)] == []
    assert not (tmp_path / "state" / "local.json").exists()
    with pytest.raises(OSError):
        smtplib.SMTP(info["smtp_host"], info["smtp_port"], timeout=2)
