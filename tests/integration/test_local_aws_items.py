"""The local AWS answers items exactly as DynamoDB does, with moto's serializer fast path
(infra/local_aws._attribute_values_as_they_are) in place: every attribute type, nested ones and
binary ones (which keep moto's own path), through every operation that returns items."""

from __future__ import annotations

import boto3

ITEM = {
    "name": {"S": "every-type"},
    "s": {"S": "报关单 I2026"},
    "empty_list": {"L": []},
    "n": {"N": "12.50"},
    "yes": {"BOOL": True},
    "nothing": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "b": {"B": b"\x00\x01binary"},
    "bs": {"BS": [b"\x00", b"\x01"]},
    "m": {"M": {"inner": {"S": "x"}, "deeper": {"M": {"n": {"N": "1"}}}, "blob": {"B": b"\xff"}}},
    "l": {"L": [{"S": "one"}, {"N": "2"}, {"M": {"k": {"BOOL": False}}}, {"L": [{"NULL": True}]}]},
}


def test_every_attribute_type_reads_back_exactly_from_every_operation(container):
    client = boto3.client("dynamodb", region_name=container.settings.region)
    table = container.settings.tables.counters
    client.put_item(TableName=table, Item=ITEM)
    key = {"name": ITEM["name"]}

    got = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    batch = client.batch_get_item(RequestItems={table: {"Keys": [key]}})["Responses"][table]
    queried = client.query(
        TableName=table,
        KeyConditionExpression="#n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": ITEM["name"]},
    )["Items"]
    updated = client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET s = :s",
        ExpressionAttributeValues={":s": ITEM["s"]},
        ReturnValues="ALL_NEW",
    )["Attributes"]

    assert got == ITEM and batch == [ITEM] and queried == [ITEM] and updated == ITEM
