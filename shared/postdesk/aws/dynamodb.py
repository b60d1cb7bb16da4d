"""One DynamoDB connection per process, shared by every PynamoDB model of the desk and by its
transactions. PynamoDB gives each model class a connection of its own, and each makes its own
botocore client on first use (about 0.05 s apiece): a mail touches six tables."""

from __future__ import annotations

import os
import threading

from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import TableError
from pynamodb.models import Model

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


class DeskModel(Model):
    """The base of the desk's models: their table connections share the process's connection."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table: TableConnection = super()._get_connection()
        shared = shared_connection(cls.Meta.region)
        if table.connection is not shared:
            # PynamoDB registered the table's key schema on the connection it made; the shared
            # one needs it to build requests for this table.
            meta = table.get_meta_table()
            try:
                shared.get_meta_table(meta.table_name)
            except TableError:
                shared.add_meta_table(meta)
            table.connection = shared
        return table
