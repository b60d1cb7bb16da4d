"""The one module that changes moto's behaviour, so that it can serve a desk for a week on one machine
(the local stack) and the tests in parallel, and deploy the template. Each change but the last keeps
what moto answers exactly as it was (only time and memory change); the last answers as AWS does
where moto did not. Written against moto 5.2.5 alone: on any other version :func:`apply`
refuses loudly, because each patch replaces a piece of that version's code.

1. **No instance tracking.** ``BaseModel.__new__`` appends every model instance (every DynamoDB item,
   every copy of one, every S3 object, every schedule) to its class's ``instances_tracked`` list, for
   moto's dashboard, and only a reset empties it: a long-running server keeps every object it ever made.
   Here nothing is tracked (the dashboard, ``/moto-api/data.json``, lists nothing).
2. **Transactions back up what they name.** ``transact_write_items`` deep-copied every table a
   transaction touched, for its rollback: quadratic in the table's size. Here it copies the items the
   transaction names (at most 100) and puts exactly those back when it is cancelled. It also runs one
   at a time, as DynamoDB runs each atomically (moto's backend takes no lock of its own).
3. **A query reads one partition.** ``Table.query`` without an index filtered every item of the
   table by its hash key; here it is handed the one partition. A query of a global secondary index is
   handed the items whose index hash attributes hold the queried values, picked by a plain comparison
   (moto sorted every item of the table by key before filtering them: 60 ms a query on 30,000 guards
in one process, 9 ms with this).
4. **SES counts each recipient once.** ``send_raw_email`` appends the To/Cc/Bcc addresses of the raw
   mail to the ``Destinations`` it was given and refuses more than 50 of that list, so a mail to 25
   people, named in both, was refused. SES takes 50 recipients; here the given destinations that the
   headers name already are left out before moto appends the headers' addresses, so each recipient is
   counted (and recorded) once and the limit of 50 is SES's.
5. **DynamoDB Streams at the address botocore uses.** botocore sends DynamoDB Streams calls for an
   ARN with an account to ``<account>.streams-ddb.<region>.amazonaws.com``, which moto's in-process
   mock does not know (it answers "Not yet implemented"); that address is added to the service's
   (moto's server routes by the target header and never needed it).
6. **Stream records for 24 hours.** A table's stream kept every record it ever made; DynamoDB keeps
   them 24 hours. Here older records are dropped as new ones come (the sequence numbers of the rest
   stay what they were), so a week of mail does not pile up in memory.
7. **A bus's Ref is its name.** moto's ``EventBus`` model has no ``physical_resource_id``, so its
   CloudFormation gave a ``Ref`` to an ``AWS::Events::EventBus`` as the model object itself: a
   function's environment then held it, and Lambda's ListFunctions failed to serialise it. Here the
   ``Ref`` is the bus's name, as CloudFormation gives it.

Offered upstream, each would be a small change in moto itself; until then this module pins them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

TARGET_VERSION = "5.2.5"

_applied = threading.Lock()
_state: dict[str, bool] = {"applied": False}
# Transactions one at a time, across every table and account of the process.
_transactions = threading.Lock()
# The partition a base-table query of this thread reads instead of the whole table.
_query = threading.local()


class UnsupportedMotoVersion(RuntimeError):
    """moto is not the version these patches were written against."""


def apply() -> None:
    """Patch moto (once per process). Raises UnsupportedMotoVersion on another version of moto."""
    import moto

    if moto.__version__ != TARGET_VERSION:
        raise UnsupportedMotoVersion(
            f"postdesk_tools/moto_fit.py patches moto {TARGET_VERSION}, but moto {moto.__version__} is "
            "installed. Check each patch against the new version's source (core/common_models.py "
            "BaseModel.__new__, dynamodb/models/__init__.py transact_write_items, dynamodb/models/"
            "table.py Table.query and StreamShard, ses/models.py SESBackend.send_raw_email, "
            "dynamodbstreams/urls.py, events/models.py EventBus) and update "
            "TARGET_VERSION, or pin moto back in requirements-dev.txt."
        )
    with _applied:
        if _state["applied"]:
            return
        _stop_instance_tracking()
        _back_up_named_items_only()
        _query_one_partition()
        _count_each_recipient_once()
        _route_stream_endpoints()
        _keep_stream_records_a_day()
        _ref_event_buses_by_name()
        _state["applied"] = True


# -- 1. instance tracking ---------------------------------------------------------------------------


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def _stop_instance_tracking() -> None:
    from moto.core.common_models import BaseModel

    BaseModel.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign]
    pending: list[type] = [BaseModel]
    while pending:
        model = pending.pop()
        tracked = getattr(model, "instances_tracked", None)
        if isinstance(tracked, list):
            tracked.clear()
        pending.extend(model.__subclasses__())


# -- 2. transactions ------------------------------------------------------------------------------------


def _back_up_named_items_only() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign,assignment]


def _key_of(backend: Any, operation: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    table_name: str = body["TableName"]
    if operation != "Put":
        key: dict[str, Any] = body["Key"]
        return table_name, key
    table = backend.get_table(table_name)
    attributes = body["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return table_name, key


class _ItemBackups:
    """The items a transaction named, as they were before it: an item object, or None for absent."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._saved: dict[tuple[str, str], tuple[Any, Any, Any, Any]] = {}

    def save(self, table_name: str, key: dict[str, Any]) -> None:
        identity = (table_name, str(sorted(key.items())))
        if identity in self._saved or table_name not in self._backend.tables:
            return
        table = self._backend.get_table(table_name)
        hash_value, range_value = self._backend.get_keys_value(table, key)
        current = table.get_item(hash_value, range_value)
        self._saved[identity] = (table, hash_value, range_value, copy.deepcopy(current))

    def restore(self) -> None:
        for table, hash_value, range_value, item in self._saved.values():
            if item is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = item
            else:
                table.items[hash_value] = item


def _transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's transact_write_items, with a rollback of the named items instead of whole tables,
    one transaction at a time. Every answer (errors, their order, ALL_OLD items) is moto's own."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with _transactions:
        backups = _ItemBackups(backend)
        target_items: set[tuple[str, str]] = set()
        errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        for entry in transact_items:
            original_item: dict[str, Any] | None = None
            # Transactions do not perform multiple operations on one item (moto checks this first).
            if len(list(entry.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                operation, body = next(iter(entry.items()))
                if operation not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name, key = _key_of(backend, operation, body)
                identity = (str(table_name), str(dict(sorted(key.items()))))
                if identity in target_items:
                    raise MultipleTransactionsException()
                target_items.add(identity)
                condition = body.get("ConditionExpression")
                names = body.get("ExpressionAttributeNames")
                values = body.get("ExpressionAttributeValues")
                current = backend.get_item(table_name, key)
                if condition is not None and not get_filter_expression(condition, names, values).expr(
                    current
                ):
                    if body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
                if operation != "ConditionCheck":
                    backups.save(table_name, key)
                if operation == "Put":
                    backend.put_item(
                        table_name,
                        body["Item"],
                        condition_expression=condition,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif operation == "Delete":
                    backend.delete_item(
                        table_name,
                        key,
                        condition_expression=condition,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif operation == "Update":
                    backend.update_item(
                        table_name,
                        key,
                        update_expression=body["UpdateExpression"],
                        condition_expression=condition,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                backups.restore()
                raise
            except ConditionalCheckFailed as failed:
                errors.append(("ConditionalCheckFailed", str(failed.message), original_item))
            except Exception as error:
                errors.append((type(error).__name__, str(error), original_item))
        if any(code is not None for code, _, _ in errors):
            backups.restore()
            raise TransactionCanceledException(errors)


# -- 3. base-table queries -------------------------------------------------------------------------------


def _query_one_partition() -> None:
    from moto.dynamodb.models.table import Table

    all_items: Callable[[Any], list[Any]] = Table.all_items
    query: Callable[..., Any] = Table.query

    def partition_or_all(table: Any) -> list[Any]:
        chosen = getattr(_query, "partition", None)
        if chosen is not None and chosen[0] is table:
            return list(chosen[1])
        return all_items(table)

    def query_one_partition(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto passes index_name as the 8th argument (after the hash key's seven), or by name.
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None:
            conditions = kwargs.get("hash_key_conditions") or []
            if not conditions:
                return query(table, hash_key, *args, **kwargs)
            with _reading(table, _index_partition(_unsorted_items(table), conditions)):
                return query(table, hash_key, *args, **kwargs)
        if hash_key is None:
            return query(table, hash_key, *args, **kwargs)
        with _reading(table, _partition(table, hash_key)):
            return query(table, hash_key, *args, **kwargs)

    Table.all_items = partition_or_all  # type: ignore[method-assign,assignment]
    Table.query = query_one_partition  # type: ignore[method-assign,assignment]


def _unsorted_items(table: Any) -> Iterator[Any]:
    """Every item of the table as it is stored (``Table.all_items`` sorts them all by key first,
    which is most of a query's cost on a large table; moto sorts what the query picks anyway)."""
    for found in list(table.items.values()):
        if isinstance(found, dict):
            yield from list(found.values())
        else:
            yield found


def _index_partition(items: Iterable[Any], conditions: list[tuple[str, Any]]) -> list[Any]:
    """The items whose index hash attributes hold the queried values (moto checks them again, with
    the rest of the query): compared as type and raw value, a fraction of moto's per-item cost."""
    wanted = [(name, value.type, value.value) for name, value in conditions]
    found = []
    for item in items:
        attrs = getattr(item, "attrs", None)
        if attrs is None:
            continue
        for name, kind, raw in wanted:
            held = attrs.get(name)
            if held is None or held.type != kind or held.value != raw:
                break
        else:
            found.append(item)
    return found


def _partition(table: Any, hash_key: Any) -> list[Any]:
    found = table.items.get(hash_key)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


@contextmanager
def _reading(table: Any, items: list[Any]) -> Iterator[None]:
    _query.partition = (table, items)
    try:
        yield
    finally:
        _query.partition = None


# -- 4. SES recipients -------------------------------------------------------------------------------------


def _count_each_recipient_once() -> None:
    import email
    from email.utils import getaddresses

    from moto.ses.models import SESBackend

    send_raw_email: Callable[..., Any] = SESBackend.send_raw_email

    def send_to_each_once(backend: Any, source: Any, destinations: list[str], raw_data: str) -> Any:
        message = email.message_from_string(raw_data)
        named = [message[header] for header in ("TO", "CC", "BCC") if header in message]
        in_headers = {address.lower() for _, address in getaddresses(named) if address}
        others = [
            destination
            for destination in destinations
            if getaddresses([destination])[0][1].lower() not in in_headers
        ]
        return send_raw_email(backend, source, others, raw_data)

    SESBackend.send_raw_email = send_to_each_once  # type: ignore[method-assign,assignment]


# -- 5. DynamoDB Streams endpoints ---------------------------------------------------------------

STREAMS_ACCOUNT_ENDPOINT = r"https?://(.+)\.streams-ddb\.(.+)\.amazonaws\.com"


def _route_stream_endpoints() -> None:
    import re

    from moto import backend_index
    from moto.dynamodbstreams import urls

    if STREAMS_ACCOUNT_ENDPOINT not in urls.url_bases:
        urls.url_bases.append(STREAMS_ACCOUNT_ENDPOINT)
        backend_index.backend_url_patterns.append(("dynamodbstreams", re.compile(STREAMS_ACCOUNT_ENDPOINT)))


# -- 6. stream records expire -----------------------------------------------------------------------

STREAM_RECORD_SECONDS = 24 * 3600


def _keep_stream_records_a_day() -> None:
    from moto.dynamodb.models.table import StreamShard

    add: Callable[..., None] = StreamShard.add

    def add_and_forget_old(shard: Any, old: Any, new: Any) -> None:
        add(shard, old, new)
        if not shard.items:
            return
        # A day before the record just made (moto's clock, as the record's own time says).
        now = shard.items[-1].record["dynamodb"]["ApproximateCreationDateTime"]
        stale = 0
        for record in shard.items:
            created = record.record["dynamodb"]["ApproximateCreationDateTime"]
            if (now - created).total_seconds() <= STREAM_RECORD_SECONDS:
                break
            stale += 1
        if stale:
            # StreamShard.get counts positions from starting_sequence_number: move it with the cut.
            del shard.items[:stale]
            shard.starting_sequence_number += stale

    StreamShard.add = add_and_forget_old  # type: ignore[method-assign,assignment]


# -- 7. an event bus's Ref ----------------------------------------------------------------------------


def _bus_name(bus: Any) -> str:
    return str(bus.name)


def _ref_event_buses_by_name() -> None:
    from moto.events.models import EventBus

    EventBus.physical_resource_id = property(_bus_name)  # type: ignore[attr-defined]
