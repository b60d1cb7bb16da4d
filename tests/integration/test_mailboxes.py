"""Several addresses and brands on moto: a desk that receives for support@example.com, billing@ on the
same domain and help@ on another. A new ticket takes the queue of the address it came to (unless a
rule names one) and everything the desk sends about it goes from that address under its brand, with
a signed Reply-To of that address that brings the answer back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from postdesk import runtime
from postdesk.aws.clients import reset_clients
from postdesk.triage.rules import DEFAULT_RULES_PATH
from postdesk.workflows.ingest import AckOutcome
from postdesk_tools import moto_fit
from postdesk_tools.provision import provision
from tests.integration.conftest import REGION, SUPPORT, Desk, auth, body_of
from tests.integration.test_survey import _fire, _resolve
from tests.mails import build_mail

BILLING = "billing@example.com"
OTHER = "help@other.example"
MAILBOXES = f"{BILLING}=billing:Example Billing,{OTHER}=general:Other Brand"


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """The test desk (tests/integration/conftest.py) with two more addresses."""
    moto_fit.apply()
    with mock_aws():
        reset_clients()
        provisioned = provision(REGION, "test", SUPPORT, "Example Support", mailboxes=MAILBOXES)
        for name, value in provisioned.environment.items():
            monkeypatch.setenv(name, value)
        runtime.reset_runtime()
        yield Desk(provisioned.settings)
    reset_clients()
    runtime.use_clock(None)


def _mail_to(desk: Desk, address: str, **options: Any) -> str:
    """A customer writes to ``address``; the new ticket's reference."""
    result = desk.deliver(build_mail(to=address, **options), recipients=[address])
    assert result.new_ticket and result.ack is AckOutcome.SENT, result
    return result.ref


def _last_sent(desk: Desk) -> Message:
    return desk.sent()[-1].message


def _from(message: Message) -> tuple[str, str]:
    """The display name and the address of the From."""
    (sender,) = message["From"].addresses
    return str(sender.display_name), str(sender.addr_spec)


def _reply_to(message: Message) -> str:
    return str(message["Reply-To"].addresses[0].addr_spec)


def _reply(
    client: Client, token: str, ref: str, body: str = "Hello Jane,\n\nthe refund is on its way."
) -> Any:
    answer = client.http.post(
        f"/tickets/{ref}/replies", headers=auth(token), body=json.dumps({"body": body, "status": "pending"})
    )
    assert answer.status_code == 201, answer.body
    return body_of(answer)


def test_mail_to_billing_goes_to_its_queue_and_every_mail_about_it_comes_from_billing(
    desk: Desk, client: Client, token: str
) -> None:
    # When a customer writes to billing@
    ref = _mail_to(
        desk, BILLING, subject="Invoice 2024-118", body="Hello, my invoice shows the wrong address."
    )

    # Then the ticket is in the billing queue, says why, and remembers the address
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.queue == "billing" and ticket.mailbox == BILLING
    assert ticket.triage_explanation.startswith(f"came to {BILLING}: queue billing")
    created = next(e for e in desk.store.events(ref) if e.kind == "ticket_created")
    assert created.detail["mailbox"] == BILLING
    shown = body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))
    assert shown["mailbox"] == {"address": BILLING, "name": "Example Billing"}
    # And the acknowledgement comes from billing@ under its brand, answerable at a plus-address of it
    ack = _last_sent(desk)
    assert _from(ack) == ("Example Billing", BILLING)
    assert _reply_to(ack).startswith("billing+") and _reply_to(ack).endswith("@example.com")
    assert "Example Billing" in ack.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f".postdesk@{desk.settings.support_domain}>" in ack["Message-ID"]

    # When the customer answers the acknowledgement at its Reply-To
    answer = desk.deliver(
        build_mail(subject=f"Re: {ack['Subject']}", body="It is still wrong.", to=_reply_to(ack)),
        recipients=[_reply_to(ack)],
    )
    # Then it joins the ticket
    assert answer.ref == ref and not answer.new_ticket

    # When an agent replies, and the ticket is resolved and its survey goes out
    _reply(client, token, ref)
    reply = _last_sent(desk)
    _resolve(client, token, ref)
    assert _fire(desk, ref, 1) == "sent"
    survey = _last_sent(desk)

    # Then both come from billing@: the reply under "agent (brand)", the survey under the brand
    assert _from(reply) == ("Sam Lee (Example Billing)", BILLING)
    assert _reply_to(reply).startswith("billing+")
    assert _from(survey) == ("Example Billing", BILLING) and _reply_to(survey).startswith("billing+")
    assert "Example Billing" in reply.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_mail_to_another_domain_is_answered_from_that_domain_under_its_brand(
    desk: Desk, client: Client, token: str
) -> None:
    # When a customer writes to the other brand's address, copying billing@ (ours, not a customer)
    ref = _mail_to(desk, OTHER, cc=BILLING, subject="Where is my parcel?")

    # Then the ticket is the other brand's, in its queue, and our own address is not on its Cc
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and (ticket.mailbox, ticket.queue, ticket.cc) == (OTHER, "general", ())
    ack = _last_sent(desk)
    assert _from(ack) == ("Other Brand", OTHER)
    assert _reply_to(ack).startswith("help+") and _reply_to(ack).endswith("@other.example")

    # When the customer answers the acknowledgement
    answer = desk.deliver(
        build_mail(subject=f"Re: {ack['Subject']}", body="Any news?", to=_reply_to(ack)),
        recipients=[_reply_to(ack)],
    )
    # Then it joins the ticket, and the agent's reply goes from the other domain too
    assert answer.ref == ref
    _reply(client, token, ref)
    assert _from(_last_sent(desk)) == ("Sam Lee (Other Brand)", OTHER)


def test_a_follow_up_to_the_main_address_keeps_the_billing_ticket_and_its_address(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a ticket that came to billing@
    ref = _mail_to(desk, BILLING, message_id="<first@customer.example>")
    ack = _last_sent(desk)

    # When the customer writes again to the main address, answering the acknowledgement
    follow_up = desk.deliver(
        build_mail(
            subject=f"Re: {ack['Subject']}",
            body="One more thing.",
            to=SUPPORT,
            in_reply_to=str(ack["Message-ID"]),
            references=f"<first@customer.example> {ack['Message-ID']}",
        ),
        recipients=[SUPPORT],
    )

    # Then it lands on the same ticket, which still belongs to billing@
    assert follow_up.ref == ref and not follow_up.new_ticket
    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and (ticket.mailbox, ticket.queue) == (BILLING, "billing")
    _reply(client, token, ref)
    assert _from(_last_sent(desk)) == ("Sam Lee (Example Billing)", BILLING)


def test_mail_to_the_main_address_goes_out_as_before(desk: Desk) -> None:
    ref = _mail_to(desk, SUPPORT, subject="Order 4711", body="Hello, my order 4711 has not arrived.")

    ticket = desk.store.get_ticket(ref)
    assert ticket is not None and ticket.mailbox == SUPPORT and ticket.queue == "orders"
    assert "came to" not in ticket.triage_explanation
    assert _from(_last_sent(desk)) == ("Example Support", SUPPORT)


def test_a_forged_plus_address_of_the_other_mailbox_starts_a_ticket_of_its_own(desk: Desk) -> None:
    # Given a ticket of the other brand, and its Reply-To with the signature changed
    ref = _mail_to(desk, OTHER)
    reply_to = _reply_to(_last_sent(desk))
    local, _, domain = reply_to.partition("@")
    forged = f"{local.rpartition('.')[0]}.aaaaaaaaaa@{domain}"
    assert forged != reply_to

    # When mail arrives at the forged address
    result = desk.deliver(build_mail(subject="hello", to=forged), recipients=[forged])

    # Then it does not join the ticket; it is a new ticket of that mailbox, and the forgery is said
    assert result.ref != ref and result.new_ticket
    screened = next(e for e in desk.store.events(result.ref) if e.kind == "mail_screened")
    assert screened.detail["rejected_match"] == "reply address with a bad signature"
    forged_ticket = desk.store.get_ticket(result.ref)
    assert forged_ticket is not None and forged_ticket.mailbox == OTHER


def test_the_receipts_recipients_decide_the_mailbox_before_the_headers(desk: Desk) -> None:
    # A mail whose To names the main address, Bcc'd to billing@ (only the envelope knows)
    result = desk.deliver(build_mail(to=SUPPORT), recipients=[BILLING])

    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and ticket.mailbox == BILLING and ticket.queue == "billing"


def test_a_rule_that_names_a_queue_stands_over_the_address(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an operator's rules that send outages to the incidents queue
    rules = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        'name = "outage"\ncategory = "technical"\n',
        'name = "outage"\ncategory = "technical"\nqueue = "incidents"\n',
    )
    assert 'queue = "incidents"\npriority' in rules
    path = tmp_path / "rules.toml"
    path.write_text(rules, encoding="utf-8")
    desk.settings = replace(desk.settings, triage_rules_path=str(path))

    # When a customer reports an outage to billing@
    result = desk.deliver(
        build_mail(to=BILLING, subject="Outage", body="The service is down for everyone since 9:00."),
        recipients=[BILLING],
    )

    # Then the rule's queue stands, the explanation says the address was overruled, and the mail
    # still goes from billing@
    ticket = desk.store.get_ticket(result.ref)
    assert ticket is not None and (ticket.queue, ticket.mailbox) == ("incidents", BILLING)
    assert ticket.triage_explanation.endswith(f"came to {BILLING} (queue billing): the rule's queue stands")
    assert _from(_last_sent(desk)) == ("Example Billing", BILLING)


def test_the_console_lists_the_mailboxes_and_a_new_ticket_goes_from_the_one_chosen(
    desk: Desk, client: Client, token: str
) -> None:
    # The addresses, the main one first
    listed = client.http.get("/mailboxes", headers=auth(token))
    assert listed.status_code == 200
    assert body_of(listed)["mailboxes"] == [
        {"address": SUPPORT, "name": "Example Support", "queue": None, "main": True},
        {"address": BILLING, "name": "Example Billing", "queue": "billing", "main": False},
        {"address": OTHER, "name": "Other Brand", "queue": "general", "main": False},
    ]
    assert client.http.get("/mailboxes?x=1", headers=auth(token)).status_code == 400

    def start(**fields: Any) -> Any:
        document = {
            "requester": {"email": "lena@customer.example", "name": "Lena Vogel"},
            "subject": "Your refund",
            "body": "Hello Lena,\n\nyour refund went out today.",
            **fields,
        }
        return client.http.post("/tickets", headers=auth(token), body=json.dumps(document))

    # A ticket the agent starts from the other brand's address
    chosen = start(mailbox="Help@Other.example")
    assert chosen.status_code == 201, chosen.body
    assert _from(_last_sent(desk)) == ("Sam Lee (Other Brand)", OTHER)
    assert _reply_to(_last_sent(desk)).endswith("@other.example")
    ref = body_of(chosen)["ticket"]["ref"]
    assert body_of(client.http.get(f"/tickets/{ref}", headers=auth(token)))["mailbox"]["address"] == OTHER

    # One in the billing queue goes from billing@ unless the agent chooses; the default queue's from
    # the main address
    assert start(queue="billing").status_code == 201
    assert _from(_last_sent(desk)) == ("Sam Lee (Example Billing)", BILLING)
    assert start().status_code == 201
    assert _from(_last_sent(desk)) == ("Sam Lee (Example Support)", SUPPORT)

    # An address that is not the desk's, or not a string, is refused in words
    for wrong, said in (("sales@example.com", "not one of the desk's addresses"), (None, "must be a string")):
        refused = start(mailbox=wrong)
        assert refused.status_code == 400 and said in body_of(refused)["message"], refused.body
