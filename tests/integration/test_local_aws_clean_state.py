"""The clean local AWS each test gets (the `aws` fixture: local_aws.restore of moto's state taken
once after provision()) is the state a fresh reset and provision() give, however the test before
left it: every table empty (items and stream records), every queue empty (visible, in flight and
delayed messages), topics with only the template's subscriptions, nothing else in any service."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.core.base_backend import BackendDict

from infra import local_aws
from infra import template as cfn

# Generated anew by each provision(): when, and the identifiers made of it or of a random id.
_GENERATED = {"CreationDateTime", "CreatedTimestamp", "LastModifiedTimestamp", "LatestStreamLabel", "TableId"}


def _stable(description: Any) -> Any:
    if isinstance(description, dict):
        return {key: _stable(value) for key, value in description.items() if key not in _GENERATED}
    if isinstance(description, list):
        return [_stable(value) for value in description]
    return description


def _backends() -> list[tuple[str, str, str]]:
    """Every backend moto holds, whatever the service: a resource of any kind lives in one."""
    return sorted(
        (service.service_name, account, region)
        for service in BackendDict._instances
        for account, regions in service.items()
        for region in regions
    )


def _described(region: str) -> dict[str, Any]:
    """Everything a test could see of the local AWS, with what provision() generates anew left out:
    the services' backends (a service none holds, SSM's parameters or S3's buckets say, holds
    nothing), and every table, stream, queue, topic and subscription of those provision() fills."""
    held = _backends()  # before the calls below, which make the backends they ask
    dynamodb = boto3.client("dynamodb", region_name=region)
    streams = boto3.client("dynamodbstreams", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    sns = boto3.client("sns", region_name=region)
    tables = {}
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        tables[name] = {
            "table": _stable({**table, "LatestStreamArn": "LatestStreamArn" in table}),
            "ttl": dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
            "tags": dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"],
            "items": dynamodb.scan(TableName=name)["Items"],
        }
    records = {}
    for stream in streams.list_streams()["Streams"]:
        shards = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"]
        records[stream["TableName"]] = [
            streams.get_records(
                ShardIterator=streams.get_shard_iterator(
                    StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )["Records"]
            for shard in shards
        ]
    queues = {
        url: {
            "attributes": _stable(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]),
            "tags": sqs.list_queue_tags(QueueUrl=url).get("Tags", {}),
        }
        for url in sqs.list_queues().get("QueueUrls", [])
    }
    topics = {
        topic["TopicArn"]: sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]
        for topic in sns.list_topics()["Topics"]
    }
    subscriptions = sorted(
        json.dumps({key: value for key, value in s.items() if key != "SubscriptionArn"}, sort_keys=True)
        for s in sns.list_subscriptions()["Subscriptions"]
    )
    return {
        "backends": held,
        "tables": tables,
        "stream records": records,
        "queues": queues,
        "topics": topics,
        "subscriptions": subscriptions,
    }


def _key(table: dict) -> dict:
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    value = {"S": {"S": "left-over"}, "N": {"N": "1"}, "B": {"B": b"left-over"}}
    return {k["AttributeName"]: value[types[k["AttributeName"]]] for k in table["KeySchema"]}


def _dirty(region: str) -> None:
    """What a test may leave behind, of every kind."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    sns = boto3.client("sns", region_name=region)
    names = dynamodb.list_tables()["TableNames"]
    for name in names:  # an item in every table: a record in every stream
        table = dynamodb.describe_table(TableName=name)["Table"]
        dynamodb.put_item(TableName=name, Item={**_key(table), "note": {"S": "from the test before"}})
    dynamodb.tag_resource(
        ResourceArn=dynamodb.describe_table(TableName=names[0])["Table"]["TableArn"],
        Tags=[{"Key": "left", "Value": "over"}],
    )
    dynamodb.delete_table(TableName=names[-1])
    dynamodb.create_table(
        TableName="extra-table",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    url = sqs.list_queues()["QueueUrls"][0]
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)  # both now in flight
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=900)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})
    provisioned_last = sqs.list_queues()["QueueUrls"][-1]
    extra_queue = sqs.create_queue(QueueName="extra-queue")["QueueUrl"]
    extra_arn = sqs.get_queue_attributes(QueueUrl=extra_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for topic in sns.list_topics()["Topics"]:  # into the template's queues too, through its subscriptions
        sns.subscribe(TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=extra_arn)
        sns.publish(TopicArn=topic["TopicArn"], Message="published")
    sqs.delete_queue(QueueUrl=provisioned_last)
    sns.create_topic(Name="extra-topic")
    boto3.client("ssm", region_name=region).put_parameter(Name="/extra/parameter", Value="x", Type="String")
    boto3.client("events", region_name=region).put_rule(Name="extra-rule", ScheduleExpression="rate(1 minute)")
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName="extra-alarm",
        MetricName="Errors",
        Namespace="Extra",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket="extra-bucket", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket="extra-bucket", Key="left-over", Body=b"x")


@pytest.fixture
def region(aws) -> str:
    return local_aws.LOCAL_REGION


def test_the_clean_state_after_a_test_that_left_everything_dirty_is_a_fresh_provision(
    aws, provisioned, moto_endpoint, region
):
    _dirty(region)
    _assert_dirty_of_every_kind(region)
    local_aws.restore(provisioned[region][1])
    clean = _described(region)

    local_aws.reset_moto(moto_endpoint)
    fresh_physical = local_aws.provision()
    fresh = _described(region)

    assert clean == fresh
    assert _without_generated_arns(aws) == _without_generated_arns(fresh_physical)


def _assert_dirty_of_every_kind(region: str) -> None:
    """The dirt is there (read in moto itself, for speed), so that the test above cannot pass on a
    dirtying that did nothing."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables
    assert "extra-table" in tables and len(tables) == len(cfn.resources(cfn.load(), cfn.DYNAMODB_TABLE))  # one gone
    assert all(t.items for name, t in tables.items() if name != "extra-table")
    streamed = [t for t in tables.values() if t.stream_shard is not None]
    assert streamed and all(t.stream_shard.items for t in streamed)
    messages = [m for q in sqs_backends[DEFAULT_ACCOUNT_ID][region].queues.values() for m in q._messages]
    assert any(m.visible for m in messages) and any(m.delayed for m in messages)
    assert any(not m.visible and not m.delayed for m in messages)  # in flight
    queues = sqs_backends[DEFAULT_ACCOUNT_ID][region].queues
    assert "extra-queue" in queues and len(queues) == len(cfn.resources(cfn.load(), "AWS::SQS::Queue"))  # one gone
    subscriptions = sns_backends[DEFAULT_ACCOUNT_ID][region].subscriptions.values()
    assert any(s.endpoint.endswith(":extra-queue") for s in subscriptions)
    assert {"ssm", "events", "cloudwatch", "s3"} <= {service for service, _, _ in _backends()}


def _without_generated_arns(physical: dict[str, dict]) -> dict[str, dict]:
    """A subscription's ARN ends in a random id, a stream's in its creation time."""
    generated = set(cfn.resources(cfn.load(), "AWS::SNS::Subscription"))
    return {
        logical: {} if logical in generated else {key: value for key, value in ids.items() if key != "StreamArn"}
        for logical, ids in physical.items()
    }


def test_a_test_changing_its_physical_ids_leaves_the_next_test_s_intact(aws, provisioned, region):
    before = json.dumps(provisioned[region][0], sort_keys=True)

    next(iter(aws.values()))["Ref"] = "changed by a test"

    assert json.dumps(provisioned[region][0], sort_keys=True) == before
