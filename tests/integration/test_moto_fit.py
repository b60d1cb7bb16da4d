"""The patches of postdesk_tools/moto_fit.py: moto answers as before, but keeps no object it made,
backs up only what a transaction names, and reads one partition for a base-table query; and a Ref to
an event bus in CloudFormation is its name."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from postdesk_tools import moto_fit

REGION = "eu-west-1"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    moto_fit.apply()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for name, keys in (("log", ("ref", "sk")), ("counters", ("key", None))):
            schema = [{"AttributeName": keys[0], "KeyType": "HASH"}]
            attributes = [{"AttributeName": keys[0], "AttributeType": "S"}]
            if keys[1]:
                schema.append({"AttributeName": keys[1], "KeyType": "RANGE"})
                attributes.append({"AttributeName": keys[1], "AttributeType": "S"})
            client.create_table(
                TableName=name,
                KeySchema=schema,
                AttributeDefinitions=attributes,
                BillingMode="PAY_PER_REQUEST",
            )
        yield client


def _fill(client: Any, refs: int, per_ref: int) -> None:
    for ref in range(refs):
        for number in range(per_ref):
            client.put_item(
                TableName="log",
                Item={"ref": {"S": f"T{ref}"}, "sk": {"S": f"M#{number:04d}"}, "n": {"N": "1"}},
            )


def test_no_model_instance_is_tracked(dynamodb: Any) -> None:
    _fill(dynamodb, 20, 5)
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "counters", "Item": {"key": {"S": "a"}, "hits": {"N": "1"}}}}]
    )
    dynamodb.query(
        TableName="log",
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "ref"},
        ExpressionAttributeValues={":r": {"S": "T3"}},
    )

    tracked = {model.__name__: len(model.instances_tracked) for model in (Item, Table)}  # type: ignore[attr-defined]
    assert tracked == {"Item": 0, "Table": 0}
    assert not any(getattr(model, "instances_tracked", []) for model in _models(BaseModel))


def _models(base: type) -> list[type]:
    found, pending = [], [base]
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found


def test_a_transaction_copies_the_items_it_names_not_the_table(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a table of 2,000 items
    _fill(dynamodb, 100, 20)
    copied: list[str] = []
    real_deepcopy = copy.deepcopy

    def counting_deepcopy(value: Any, memo: Any = None) -> Any:
        copied.append(type(value).__name__)
        return real_deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting_deepcopy)

    # When a transaction writes two items of it (and one elsewhere)
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "log", "Item": {"ref": {"S": "T1"}, "sk": {"S": "E#1"}}}},
            {
                "Update": {
                    "TableName": "log",
                    "Key": {"ref": {"S": "T2"}, "sk": {"S": "M#0001"}},
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Put": {"TableName": "counters", "Item": {"key": {"S": "b"}, "hits": {"N": "1"}}}},
        ]
    )

    # Then no table was copied, and only a handful of items (moto's update copies its item once more)
    assert "Table" not in copied
    assert copied.count("Item") <= 4


def test_a_cancelled_transaction_undoes_every_write_of_it(dynamodb: Any) -> None:
    # Given an item, a counter and a guard that exist
    dynamodb.put_item(TableName="log", Item={"ref": {"S": "T1"}, "sk": {"S": "M#1"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName="counters", Item={"key": {"S": "hits"}, "hits": {"N": "5"}})
    dynamodb.put_item(TableName="counters", Item={"key": {"S": "guard"}, "state": {"S": "sent"}})

    # When a transaction updates in place, puts new items, adds to the counter, and then claims the guard
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "log",
                        "Key": {"ref": {"S": "T1"}, "sk": {"S": "M#1"}},
                        "UpdateExpression": "SET n = :two, extra = :x",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":x": {"S": "x"}},
                    }
                },
                {"Put": {"TableName": "log", "Item": {"ref": {"S": "T9"}, "sk": {"S": "M#1"}}}},
                {
                    "Update": {
                        "TableName": "counters",
                        "Key": {"key": {"S": "hits"}},
                        "UpdateExpression": "ADD hits :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Update": {
                        "TableName": "counters",
                        "Key": {"key": {"S": "fresh"}},
                        "UpdateExpression": "ADD hits :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": "counters",
                        "Item": {"key": {"S": "guard"}, "state": {"S": "sending"}},
                        "ConditionExpression": "attribute_not_exists(#k)",
                        "ExpressionAttributeNames": {"#k": "key"},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )

    # Then DynamoDB's answer names the failed claim, with what it found, and nothing was written
    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    reasons = error["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == [
        "None",
        "None",
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert reasons[4]["Item"]["state"] == {"S": "sent"}
    item = dynamodb.get_item(TableName="log", Key={"ref": {"S": "T1"}, "sk": {"S": "M#1"}})["Item"]
    assert item == {"ref": {"S": "T1"}, "sk": {"S": "M#1"}, "n": {"N": "1"}}
    assert "Item" not in dynamodb.get_item(TableName="log", Key={"ref": {"S": "T9"}, "sk": {"S": "M#1"}})
    assert dynamodb.get_item(TableName="counters", Key={"key": {"S": "hits"}})["Item"]["hits"] == {"N": "5"}
    assert "Item" not in dynamodb.get_item(TableName="counters", Key={"key": {"S": "fresh"}})
    assert dynamodb.get_item(TableName="counters", Key={"key": {"S": "guard"}})["Item"]["state"] == {
        "S": "sent"
    }


def test_a_base_table_query_reads_one_partition(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(dynamodb, 50, 4)
    scanned: list[int] = []
    partition_or_all = Table.all_items

    def counting(table: Any) -> list[Any]:
        items = partition_or_all(table)
        scanned.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", counting)

    found = dynamodb.query(
        TableName="log",
        KeyConditionExpression="#r = :r AND begins_with(sk, :m)",
        ExpressionAttributeNames={"#r": "ref"},
        ExpressionAttributeValues={":r": {"S": "T7"}, ":m": {"S": "M#"}},
        ScanIndexForward=False,
    )["Items"]

    assert [item["sk"]["S"] for item in found] == ["M#0003", "M#0002", "M#0001", "M#0000"]
    assert scanned == [4]
    assert (
        dynamodb.query(
            TableName="log",
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "ref"},
            ExpressionAttributeValues={":r": {"S": "nobody"}},
        )["Items"]
        == []
    )


def test_an_index_query_answers_as_moto_does_reading_only_its_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_fit.apply()
    picked: list[int] = []
    pick = moto_fit._index_partition

    def counting(items: Any, conditions: Any) -> list[Any]:
        found = pick(items, conditions)
        picked.append(len(found))
        return found

    monkeypatch.setattr(moto_fit, "_index_partition", counting)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="tickets",
            KeySchema=[{"AttributeName": "ref", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "ref", "AttributeType": "S"},
                {"AttributeName": "who", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-who",
                    "KeySchema": [
                        {"AttributeName": "who", "KeyType": "HASH"},
                        {"AttributeName": "at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        for n in range(60):
            item = {"ref": {"S": f"r{n:02d}"}, "at": {"S": f"2026-11-{60 - n:02d}"}}
            if n % 5:  # every fifth item has no index key: the index leaves it out
                item["who"] = {"S": f"w{n % 3}"}
            client.put_item(TableName="tickets", Item=item)

        def refs(**query: Any) -> list[str]:
            answer = client.query(
                TableName="tickets",
                IndexName="by-who",
                KeyConditionExpression="who = :w",
                ExpressionAttributeValues={":w": {"S": "w1"}},
                **query,
            )
            return [item["ref"]["S"] for item in answer["Items"]]

        expected = sorted(
            (f"r{n:02d}" for n in range(60) if n % 5 and n % 3 == 1), key=lambda ref: 60 - int(ref[1:])
        )
        assert refs() == expected
        assert refs(ScanIndexForward=False) == expected[::-1]
        assert refs(Limit=3) == expected[:3]
        # moto was handed the items of the index partition only, not the table's 60.
        assert picked == [len(expected)] * 3


def _raw_mail(recipients: list[str]) -> bytes:
    head = f"From: desk@example.com\r\nTo: {recipients[0]}\r\nCc: {', '.join(recipients[1:])}\r\n"
    return (head + "Subject: hello\r\n\r\nHello\r\n").encode()


@pytest.mark.parametrize(("count", "accepted"), [(25, True), (50, True), (51, False)])
def test_ses_counts_each_recipient_once_and_takes_fifty(count: int, accepted: bool) -> None:
    moto_fit.apply()
    recipients = [f"person{n}@partner.example" for n in range(count)]
    with mock_aws():
        ses = boto3.client("ses", region_name=REGION)
        ses.verify_domain_identity(Domain="example.com")

        def send() -> Any:
            return ses.send_raw_email(
                Source="desk@example.com",
                Destinations=recipients,
                RawMessage={"Data": _raw_mail(recipients)},
            )

        if not accepted:
            with pytest.raises(ClientError, match="Too many recipients"):
                send()
            return
        send()
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        assert sorted(sent.destinations) == sorted(recipients)


def _streamed_table(client: Any) -> str:
    client.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "ref", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "ref", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    arn: str = client.describe_table(TableName="streamed")["Table"]["LatestStreamArn"]
    return arn


def _records(arn: str, after: str | None = None, streams: Any = None) -> list[dict[str, Any]]:
    streams = streams or boto3.client("dynamodbstreams", region_name=REGION)
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    where: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
    if after is not None:
        where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], **where)["ShardIterator"]
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator)["Records"]
    return records


def test_streams_answer_at_the_address_botocore_sends_them_to(dynamodb: Any) -> None:
    arn = _streamed_table(dynamodb)
    dynamodb.put_item(TableName="streamed", Item={"ref": {"S": "A"}})
    dynamodb.delete_item(TableName="streamed", Key={"ref": {"S": "A"}})
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    hosts: list[str] = []
    streams.meta.events.register("before-send", lambda request, **_: hosts.append(str(request.url)))

    records = [(r["eventName"], r["dynamodb"]["Keys"]["ref"]["S"]) for r in _records(arn, streams=streams)]

    assert records == [("INSERT", "A"), ("REMOVE", "A")]
    # botocore sends them to the account's endpoint, which moto alone answers "Not yet implemented".
    assert hosts and all(".streams-ddb.eu-west-1.amazonaws.com" in host for host in hosts), hosts


def test_stream_records_older_than_a_day_are_dropped_and_positions_hold(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.dynamodb.models.table as table_module

    arn = _streamed_table(dynamodb)
    for ref in ("old-1", "old-2"):
        dynamodb.put_item(TableName="streamed", Item={"ref": {"S": ref}})
    (*_, last_old) = _records(arn)
    later = table_module.utcnow() + timedelta(seconds=moto_fit.STREAM_RECORD_SECONDS + 60)
    monkeypatch.setattr(table_module, "utcnow", lambda: later)
    dynamodb.put_item(TableName="streamed", Item={"ref": {"S": "new"}})

    kept = _records(arn)
    assert [r["dynamodb"]["Keys"]["ref"]["S"] for r in kept] == ["new"]
    # A reader that stood after the last old record reads on from there, as on DynamoDB.
    after = _records(arn, after=last_old["dynamodb"]["SequenceNumber"])
    assert [r["dynamodb"]["Keys"]["ref"]["S"] for r in after] == ["new"]
    assert int(kept[0]["dynamodb"]["SequenceNumber"]) == int(last_old["dynamodb"]["SequenceNumber"]) + 1


def test_another_moto_version_is_refused_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(moto_fit.UnsupportedMotoVersion, match=r"5\.2\.5"):
        moto_fit.apply()


def test_a_ref_to_an_event_bus_is_its_name_in_cloudformation() -> None:
    # Given moto with the patches, and a stack whose queue is named after its bus (a Ref of it)
    moto_fit.apply()
    template = {
        "Resources": {
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "desk-events"}},
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::Join": ["-", [{"Ref": "Bus"}, "deliveries"]]}},
            },
        },
        "Outputs": {
            "BusName": {"Value": {"Ref": "Bus"}},
            "BusArn": {"Value": {"Fn::GetAtt": ["Bus", "Arn"]}},
        },
    }
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName="bus", TemplateBody=json.dumps(template))
        (stack,) = cloudformation.describe_stacks(StackName="bus")["Stacks"]
        queues = boto3.client("sqs", region_name=REGION).list_queues()["QueueUrls"]

    # Then the Ref is the bus's name, as CloudFormation gives it, and its ARN is the bus's
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    assert outputs["BusName"] == "desk-events"
    assert outputs["BusArn"] == f"arn:aws:events:{REGION}:123456789012:event-bus/desk-events"
    assert [url.rsplit("/", 1)[-1] for url in queues] == ["desk-events-deliveries"]
