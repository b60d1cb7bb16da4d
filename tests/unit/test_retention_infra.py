"""Retention in infra/template.json: the three parameters, their defaults (the documented ones), the
bucket's lifecycle rules and the functions' settings that use them, and TTL on the ticket tables."""

from __future__ import annotations

from typing import Any

import pytest

from postdesk.settings import RetentionSettings, Settings
from postdesk_tools.provision import template

PARAMETERS = {
    "ClosedTicketRetentionDays": ("POSTDESK_CLOSED_TICKET_RETENTION_DAYS", "closed_ticket_days", 730),
    "RawMailRetentionDays": ("POSTDESK_RAW_MAIL_RETENTION_DAYS", "raw_mail_days", 400),
    "AttachmentRetentionDays": ("POSTDESK_ATTACHMENT_RETENTION_DAYS", "attachment_days", 400),
}


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = template()["Resources"]
    return resources


def _lifecycle_rules() -> dict[str, dict[str, Any]]:
    bucket = _resources()["MailBucket"]["Properties"]
    return {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}


def test_the_parameters_default_to_the_documented_days_which_the_settings_default_to_as_well() -> None:
    parameters = template()["Parameters"]
    defaults = RetentionSettings()

    for name, (_, field, days) in PARAMETERS.items():
        assert parameters[name]["Type"] == "Number"
        assert parameters[name]["Default"] == days
        assert parameters[name]["MinValue"] == 1
        assert getattr(defaults, field) == days


def test_the_lifecycle_rules_expire_raw_mail_long_bodies_and_attachments_after_the_parameters() -> None:
    rules = _lifecycle_rules()

    expected = {
        "raw-mail": ("inbound/", "RawMailRetentionDays"),
        "bodies": ("bodies/", "RawMailRetentionDays"),
        "attachments": ("attachments/", "AttachmentRetentionDays"),
    }
    for rule_id, (prefix, parameter) in expected.items():
        rule = rules[rule_id]
        assert rule["Status"] == "Enabled"
        assert rule["Prefix"] == prefix
        assert rule["ExpirationInDays"] == {"Ref": parameter}


def test_the_prefixes_the_rules_expire_are_those_the_desk_writes_to() -> None:
    settings = Settings.from_environment(_environment())

    prefixes = {rule["Prefix"] for rule in _lifecycle_rules().values()}
    assert {settings.raw_mail_prefix, settings.bodies_prefix, settings.attachments_prefix} <= prefixes


@pytest.mark.parametrize("table", ["TicketsTable", "TicketLogTable", "MessageIndexTable"])
def test_ttl_deletes_the_items_of_closed_tickets(table: str) -> None:
    ttl = _resources()[table]["Properties"]["TimeToLiveSpecification"]

    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_every_function_gets_the_days_and_the_settings_read_them() -> None:
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    environment = _environment()

    for name, (variable, field, days) in PARAMETERS.items():
        assert variables[variable] == {"Ref": name}
        assert getattr(Settings.from_environment(environment).retention, field) == days
        changed = Settings.from_environment({**environment, variable: "31"})
        assert getattr(changed.retention, field) == 31


def _environment() -> dict[str, str]:
    names = (
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
    return {
        **{f"POSTDESK_{name}_TABLE": name.lower() for name in names},
        "POSTDESK_MAIL_BUCKET": "mail",
        "POSTDESK_SUPPORT_ADDRESS": "support@example.com",
        "POSTDESK_SIGNING_SECRET_ID": "secret",
    }
