"""The one place that relies on PynamoDB's order of a transaction's operations
(postdesk/aws/dynamodb.py, NamedTransaction): DynamoDB says which operation failed by its position in
the request, and PynamoDB decides that position, not the order the code added them in. These tests
fail when a PynamoDB release sends them in another order."""

from __future__ import annotations

from postdesk.aws.dynamodb import NamedTransaction
from postdesk.tickets.dynamo import CounterItem, GuardItem
from tests.api_calls import recording_api_calls
from tests.integration.conftest import Desk

REGION = "eu-west-1"


def _guard(key: str) -> GuardItem:
    return GuardItem(key=key, state="sent", created_at="2026-11-24T09:31:00.000Z")


def test_the_names_follow_the_order_pynamodb_sends(desk: Desk) -> None:
    # Given a transaction whose operations are added in the reverse of PynamoDB's grouping
    _guard("present").save()
    transaction = NamedTransaction(REGION)
    transaction.update("update", CounterItem(key="c"), actions=[CounterItem.hits.add(1)])
    transaction.put("put", _guard("new"), condition=GuardItem.key.does_not_exist())
    transaction.delete("delete", _guard("present"))
    transaction.check("check", CounterItem, "d", None, condition=CounterItem.hits.does_not_exist())

    # When it is sent
    with recording_api_calls() as recorder, recorder.function("test"):
        assert transaction.commit()

    # Then DynamoDB received condition checks, deletes, puts, then updates: the order the names keep
    (call,) = recorder.of(function="test", operation="TransactWriteItems")
    sent = [next(iter(entry)) for entry in call.params["TransactItems"]]
    assert sent == ["ConditionCheck", "Delete", "Put", "Update"]
    assert transaction.sent_order() == ["check", "delete", "put", "update"]


def test_a_failed_condition_is_told_by_name_and_undoes_every_write(desk: Desk) -> None:
    # Given a guard that exists, and a transaction that updates a counter first and then claims it
    _guard("taken").save()
    transaction = NamedTransaction(REGION)
    transaction.update("counter", CounterItem(key="hits"), actions=[CounterItem.hits.add(1)])
    transaction.put("fresh", _guard("fresh"), condition=GuardItem.key.does_not_exist())
    transaction.put("claim", _guard("taken"), condition=GuardItem.key.does_not_exist(), return_existing=True)

    # When it is sent
    written = transaction.commit()

    # Then the claim is named as what failed, with the guard it found, and nothing was written
    assert not written and transaction.failed == {"claim"}
    assert transaction.found["claim"]["key"] == {"S": "taken"}
    assert CounterItem.count() == 0
    assert [item.key for item in GuardItem.scan()] == ["taken"]
