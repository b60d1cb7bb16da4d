"""The DynamoDB Streams of the tables search watches, read as Lambda's event source mapping reads
them on AWS, for the local stack and the tests: every record once, in order per shard, handed to the
``search_index`` function in the event shape Lambda gives it. The position moves once the function
returned and is kept in a file by the local stack: a batch is handed on at least once, and the
function is idempotent."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from postdesk.aws.clients import client

# What one call hands the function at most (the event source mapping's BatchSize).
BATCH_SIZE = 1000


@dataclass(slots=True)
class ChangeFeed:
    region: str
    tables: Sequence[str]
    # Shard id to the last sequence number handed on.
    positions: dict[str, str] = field(default_factory=dict)
    _streams: list[str] | None = None

    def stream_arns(self) -> list[str]:
        """The tables' streams (an event source mapping is given them; here they are looked up once)."""
        if self._streams is None:
            dynamodb = client("dynamodb", self.region)
            found = [
                dynamodb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
                for table in self.tables
            ]
            self._streams = [arn for arn in found if arn]
        return self._streams

    def restore(self, checkpoint: str | None) -> None:
        self.positions = dict(json.loads(checkpoint)) if checkpoint else {}

    def checkpoint(self) -> str:
        return json.dumps(self.positions, sort_keys=True)

    def read(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The records after the positions (up to BATCH_SIZE per shard) and where each shard
        stands after them. The positions move only when ``advance`` is called with those."""
        records: list[dict[str, Any]] = []
        moved: dict[str, str] = {}
        streams = client("dynamodbstreams", self.region)
        for arn in self.stream_arns():
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                key = f"{arn}|{shard['ShardId']}"
                after = self.positions.get(key)
                iterator_arguments: dict[str, Any] = {"StreamArn": arn, "ShardId": shard["ShardId"]}
                if after is None:
                    iterator_arguments["ShardIteratorType"] = "TRIM_HORIZON"
                else:
                    iterator_arguments.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
                iterator = streams.get_shard_iterator(**iterator_arguments)["ShardIterator"]
                batch = streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)["Records"]
                if batch:
                    records.extend(batch)
                    moved[key] = batch[-1]["dynamodb"]["SequenceNumber"]
        return records, moved

    def advance(self, moved: dict[str, str]) -> None:
        self.positions.update(moved)

    def skip_to_end(self) -> None:
        """Move the positions past every record the streams hold now, handing none on."""
        while True:
            records, moved = self.read()
            if not records:
                return
            self.advance(moved)


def deliver_changes(feed: ChangeFeed, handle: Callable[[dict[str, Any]], Any]) -> int:
    """Read what changed since the feed's position and hand it to ``handle`` as Lambda would; the
    position moves only when ``handle`` returned. The number of records handed on."""
    records, moved = feed.read()
    if not records:
        return 0
    handle({"Records": records})
    feed.advance(moved)
    return len(records)
