"""The desk's addresses (mailboxes.py): read from POSTDESK_MAILBOXES with the support address first,
every mistake named by its entry; which mailbox a recipient is, and what counts as ours."""

from __future__ import annotations

import pytest

from postdesk.errors import ConfigurationError
from postdesk.mailboxes import Mailbox
from postdesk.settings import Settings

ENVIRONMENT = {
    "POSTDESK_SUPPORT_ADDRESS": "support@example.com",
    "POSTDESK_SUPPORT_NAME": "Example Support",
    **{
        f"POSTDESK_{name}_TABLE": name.lower()
        for name in (
            "TICKETS",
            "TICKET_LOG",
            "MESSAGE_INDEX",
            "COUNTERS",
            "GUARDS",
            "AGENTS",
            "SAVED_REPLIES",
            "STATS",
            "SUPPRESSIONS",
            "AUDIT",
        )
    },
    "POSTDESK_MAIL_BUCKET": "mail",
    "POSTDESK_SIGNING_SECRET_ID": "secret",
}


def _settings(mailboxes: str | None) -> Settings:
    environment = dict(ENVIRONMENT)
    if mailboxes is not None:
        environment["POSTDESK_MAILBOXES"] = mailboxes
    return Settings.from_environment(environment)


def test_without_mailboxes_the_support_address_is_the_only_one() -> None:
    # Given a desk configured as before there were several addresses
    settings = _settings(None)

    # Then its one mailbox is the support address under the desk's name, with no queue of its own
    assert settings.mailboxes.all == (Mailbox("support@example.com", "Example Support", None),)
    assert settings.own_domains == {"example.com"}
    assert settings.own_addresses == {
        "support@example.com",
        "mailer-daemon@example.com",
        "postmaster@example.com",
    }


def test_mailboxes_are_read_with_their_queue_and_brand_the_support_address_first() -> None:
    # Given two more addresses, one on another domain, one without a brand name, one without a queue
    settings = _settings(
        " Billing@Example.com = billing : Example Billing , help@other.example=general:Other: Brand,"
        "sales@example.com=sales,hello@third.example=:Third"
    )

    # Then the support address leads, and each entry keeps its queue and brand (the desk's by default)
    mailboxes = settings.mailboxes
    assert mailboxes.main == Mailbox("support@example.com", "Example Support")
    assert mailboxes.all[1:] == (
        Mailbox("billing@example.com", "Example Billing", "billing"),
        Mailbox("help@other.example", "Other: Brand", "general"),
        Mailbox("sales@example.com", "Example Support", "sales"),
        Mailbox("hello@third.example", "Third", None),
    )
    # And every domain and address is ours (with their postmasters), plus-addresses are recognised
    assert settings.own_domains == {"example.com", "other.example", "third.example"}
    assert {"help@other.example", "postmaster@other.example", "mailer-daemon@third.example"} <= (
        settings.own_addresses
    )
    assert (
        mailboxes.addressed(["jane@customer.example", "HELP+k7q2m9xd.sig@other.example"])
        == (mailboxes.all[2])
    )
    assert mailboxes.addressed(["help@example.com", "billing@other.example"]) is None
    # And a ticket's mailbox is found by its address; an unknown or missing one is the main one
    assert mailboxes.of_ticket("billing@example.com").brand == "Example Billing"
    assert mailboxes.of_ticket(None) is mailboxes.main
    assert mailboxes.of_ticket("gone@example.com") is mailboxes.main
    assert mailboxes.of_queue("sales").address == "sales@example.com"
    assert mailboxes.of_queue("technical") is mailboxes.main


def test_an_entry_for_the_support_address_gives_the_main_mailbox_its_queue_and_brand() -> None:
    settings = _settings("billing@example.com=billing:Billing,SUPPORT@example.com=support:Example Help")

    assert settings.mailboxes.main == Mailbox("support@example.com", "Example Help", "support")
    assert [m.address for m in settings.mailboxes.all] == ["support@example.com", "billing@example.com"]


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("billing@example.com", "'billing@example.com' is not address=queue:Brand name"),
        ("billing=billing:Billing", "'billing' is not an address the desk can receive for"),
        ("billing+x@example.com=billing:Billing", "no + in the local part"),
        ("billing@localhost=billing:Billing", "a dot in the domain"),
        ("billing@example.com=bil ling:Billing", "'bil ling' is not a queue name"),
        ("billing@example.com=billing:" + "B" * 101, "one line of at most 100 characters"),
        ("billing@example.com=billing:Bill\x07ing", "one line of at most 100 characters"),
        ("a@example.com=a:A,A@example.com=b:B", "'A@example.com=b:B': a@example.com is named twice"),
    ],
)
def test_a_mistake_is_named_by_its_entry(entry: str, said: str) -> None:
    with pytest.raises(ConfigurationError, match="POSTDESK_MAILBOXES") as raised:
        _settings(f"ok@example.com=ok:Ok,{entry}")

    assert said in str(raised.value)
