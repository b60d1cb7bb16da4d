"""The one place that relies on PynamoDB's order of a transaction's operations
(postdesk/aws/dynamodb.py, NamedTransaction): DynamoDB says which operation failed by its position in
the request, and PynamoDB decides that position, not the order the code added them in. These tests
fail when a PynamoDB release sends them in another order."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pynamodb.connection import Connection
from pynamodb.exceptions import TableError

from postdesk.aws.dynamodb import NamedTransaction, forget_connections, shared_connection
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


def test_threads_that_first_use_a_table_at_once_share_one_connection(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a process whose models are not yet bound to the shared connection, and a lookup of a
    # table's schema slow enough that threads overlap in it (as they do now and then in production)
    forget_connections()
    lookup = Connection.get_meta_table

    def slow_lookup(self: Connection, table_name: str) -> Any:
        try:
            return lookup(self, table_name)
        except TableError:
            time.sleep(0.01)  # between finding the table missing and adding it
            raise

    monkeypatch.setattr(Connection, "get_meta_table", slow_lookup)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def first_use() -> None:
        start.wait()
        try:
            CounterItem._get_connection()
        except BaseException as error:  # the assertion below reports it
            errors.append(error)

    # When eight threads bind the same table at the same moment (tickets arriving at once)
    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then none failed registering the table, and all use the one connection
    assert errors == []
    assert CounterItem._get_connection().connection is shared_connection(REGION)
