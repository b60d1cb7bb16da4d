"""One DynamoDB connection per process, shared by every PynamoDB model of the desk and by its
transactions. PynamoDB gives each model class a connection of its own, and each makes its own
botocore client on first use (about 0.05 s apiece): a mail touches six tables.

Also the desk's reads of one item (``read_item``) and its conditional writes: of one item
(``save_if``, ``update_if``, ``delete_if``) or several at once (``NamedTransaction``), each saying
whether its condition held."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    PutError,
    TableError,
    TransactWriteError,
    UpdateError,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

_lock = threading.Lock()
_connections: dict[tuple[str | None, str], Connection] = {}


def shared_connection(region: str | None) -> Connection:
    """The process's connection for ``region`` (and the endpoint the environment names: the local
    stack and the tests point AWS_ENDPOINT_URL at moto)."""
    key = (region, os.environ.get("AWS_ENDPOINT_URL", ""))
    with _lock:
        connection = _connections.get(key)
        if connection is None:
            connection = _connections[key] = Connection(region=region)
        return connection


def forget_connections() -> None:
    """Drop every connection and every model's handle on one (a new moto, another endpoint)."""
    with _lock:
        _connections.clear()
    pending: list[type[Model]] = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())


def read_item[Item: Model](model: type[Item], hash_key: Any, range_key: Any = None) -> Item | None:
    """The item as it stands now (a consistent read), or None when there is none."""
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except DoesNotExist:
        return None


# What DynamoDB answers a single write whose condition does not hold.
_CONDITION_FAILED = "ConditionalCheckFailedException"


def save_if(item: Model, condition: Condition) -> bool:
    """Put ``item`` if ``condition`` holds; False when it did not (the stored item was left as it
    was). Any other error is raised."""
    return _written_unless_condition_failed(lambda: item.save(condition=condition))


def update_if(item: Model, actions: list[Action], condition: Condition) -> bool:
    """Apply ``actions`` to ``item`` (which then holds the item as written) if ``condition``
    holds; False when it did not (nothing was written). Any other error is raised."""
    return _written_unless_condition_failed(lambda: item.update(actions, condition=condition))


def delete_if(item: Model, condition: Condition) -> bool:
    """Delete ``item`` if ``condition`` holds; False when it did not (nothing was deleted). Any
    other error is raised."""
    return _written_unless_condition_failed(lambda: item.delete(condition=condition))


def _written_unless_condition_failed(write: Callable[[], object]) -> bool:
    try:
        write()
    except (PutError, UpdateError, DeleteError) as error:
        if error.cause_response_code != _CONDITION_FAILED:
            raise
        return False
    return True


class DeskModel(Model):
    """The base of the desk's models: their table connections share the process's connection."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table: TableConnection = super()._get_connection()
        shared = shared_connection(cls.Meta.region)
        if table.connection is not shared:
            # PynamoDB registered the table's key schema on the connection it made; the shared
            # one needs it to build requests for this table.
            # Under the lock: two threads of one process (tickets arriving at once) would both
            # find the table missing and the second add would raise.
            meta = table.get_meta_table()
            with _lock:
                try:
                    shared.get_meta_table(meta.table_name)
                except TableError:
                    shared.add_meta_table(meta)
            table.connection = shared
        return table


# The order in which PynamoDB sends a transaction's operations: condition checks, deletes, puts,
# updates, each group in the order it was added. DynamoDB's cancellation reasons follow the order
# sent. This is the one place that relies on it (tests/unit/test_transactions_order.py pins it).
_GROUP_ORDER = ("check", "delete", "put", "update")


class NamedTransaction:
    """A DynamoDB transaction whose operations carry names, so that a cancellation says which of
    them failed its condition: ``failed`` holds those names after :meth:`commit`.

    >>> transaction = NamedTransaction(region)
    >>> transaction.put("ticket", item, condition=TicketItem.ref.does_not_exist())
    >>> transaction.commit()         # False when a condition failed: transaction.failed
    """

    def __init__(self, region: str | None, client_request_token: str | None = None) -> None:
        self._transaction = TransactWrite(
            connection=shared_connection(region), client_request_token=client_request_token
        )
        self._names: dict[str, list[str]] = {group: [] for group in _GROUP_ORDER}
        self.failed: frozenset[str] = frozenset()
        # What a failed operation found, for those added with ``return_existing`` (DynamoDB item JSON).
        self.found: dict[str, dict[str, Any]] = {}

    def check(
        self, name: str, model: type[Model], hash_key: Any, range_key: Any, condition: Condition
    ) -> None:
        self._names["check"].append(name)
        self._transaction.condition_check(model, hash_key, range_key, condition=condition)

    def delete(self, name: str, item: Model, condition: Condition | None = None) -> None:
        self._names["delete"].append(name)
        self._transaction.delete(item, condition=condition)

    def put(
        self, name: str, item: Model, condition: Condition | None = None, *, return_existing: bool = False
    ) -> None:
        """Put ``item``; with ``return_existing``, a failed condition hands back the item it found
        (``found[name]``), which saves reading it."""
        self._names["put"].append(name)
        self._transaction.save(
            item, condition=condition, return_values="ALL_OLD" if return_existing else None
        )

    def update(
        self, name: str, item: Model, actions: list[Action], condition: Condition | None = None
    ) -> None:
        self._names["update"].append(name)
        self._transaction.update(item, actions=actions, condition=condition)

    @property
    def empty(self) -> bool:
        return not any(self._names.values())

    def sent_order(self) -> list[str]:
        """The operations' names in the order DynamoDB receives them."""
        return [name for group in _GROUP_ORDER for name in self._names[group]]

    def commit(self) -> bool:
        """Write everything or nothing. False when a condition failed (``failed`` names which); any
        other error is raised."""
        if self.empty:
            return True
        try:
            # The operations were added as they came; leaving the block sends them in one request.
            with self._transaction:
                pass
        except TransactWriteError as error:
            order = self.sent_order()
            failed = {
                order[position]: reason
                for position, reason in enumerate(error.cancellation_reasons)
                if reason is not None and reason.code == "ConditionalCheckFailed" and position < len(order)
            }
            if not failed:
                raise
            self.failed = frozenset(failed)
            self.found = {name: reason.raw_item for name, reason in failed.items() if reason.raw_item}
            return False
        return True
