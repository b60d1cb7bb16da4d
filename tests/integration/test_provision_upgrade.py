"""A local desk made by an older version keeps its data and gains what the stack has gained since
(provision.py ``brought_up_to_date``, used by the local stack at its start): the tables it lacks, the
event bus and the webhooks' queues, the automations function's ARN, the knowledge table."""

from __future__ import annotations

import pytest
from moto import mock_aws

from postdesk.aws.clients import client, reset_clients
from postdesk.settings import Settings
from postdesk_tools import moto_fit
from postdesk_tools.provision import brought_up_to_date, is_outdated, provision
from tests.integration.conftest import REGION

LATER = (
    "POSTDESK_EVENT_BUS",
    "POSTDESK_WEBHOOKS_TABLE",
    "POSTDESK_WEBHOOK_QUEUE_URL",
    "POSTDESK_WEBHOOK_QUEUE_ARN",
    "POSTDESK_WEBHOOK_ATTEMPTS",
    "POSTDESK_WEBHOOK_RETRY_SECONDS",
    "POSTDESK_WEBHOOKS_ALLOW_LOCAL",
    "POSTDESK_AUTOMATIONS_FUNCTION_ARN",
    "POSTDESK_KNOWLEDGE_TABLE",
)


def test_an_older_desk_gains_the_new_parts_and_keeps_its_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    moto_fit.apply()
    with mock_aws():
        reset_clients()
        # Given a desk as an older version made it: no webhooks table, no bus, no automations, no
        # knowledge base
        current = provision(REGION, "old", "support@example.com", "Example Support").environment
        dynamodb = client("dynamodb", REGION)
        dynamodb.delete_table(TableName=current["POSTDESK_WEBHOOKS_TABLE"])
        dynamodb.delete_table(TableName=current["POSTDESK_KNOWLEDGE_TABLE"])
        client("events", REGION).delete_event_bus(Name=current["POSTDESK_EVENT_BUS"])
        old = {name: value for name, value in current.items() if name not in LATER}
        dynamodb.put_item(
            TableName=old["POSTDESK_TICKETS_TABLE"], Item={"ref": {"S": "K7Q2-M9XD"}, "sk": {"S": "TICKET"}}
        )
        assert is_outdated(old) and not is_outdated(current)

        # When it is brought up to date
        updated = brought_up_to_date(REGION, "old", old)

        # Then it has every part a new desk has, its settings read, and its data is still there
        assert not is_outdated(updated)
        assert set(updated) == set(current)
        assert updated["POSTDESK_AUTOMATIONS_FUNCTION_ARN"] == current["POSTDESK_AUTOMATIONS_FUNCTION_ARN"]
        assert current["POSTDESK_WEBHOOKS_TABLE"] in dynamodb.list_tables()["TableNames"]
        assert updated["POSTDESK_KNOWLEDGE_TABLE"] == current["POSTDESK_KNOWLEDGE_TABLE"]
        assert current["POSTDESK_KNOWLEDGE_TABLE"] in dynamodb.list_tables()["TableNames"]
        assert client("events", REGION).describe_event_bus(Name=updated["POSTDESK_EVENT_BUS"])["Name"]
        settings = Settings.from_environment(updated)
        assert settings.events.bus_name and settings.scheduling.automations_function_arn
        assert settings.tables.knowledge == current["POSTDESK_KNOWLEDGE_TABLE"]
        assert dynamodb.scan(TableName=old["POSTDESK_TICKETS_TABLE"])["Count"] == 1
