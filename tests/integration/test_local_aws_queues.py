"""The local AWS's queues keep SQS's retention rule with moto's receive made cheaper
(infra/local_aws._receives_do_not_count_the_queue): a message older than the queue's retention
period is never handed out, a younger one is."""

from __future__ import annotations

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends


def test_a_message_past_the_retention_period_is_not_received_and_a_fresh_one_is(container):
    sqs = boto3.client("sqs", region_name=container.settings.region)
    url = sqs.create_queue(QueueName="retention-check", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    sqs.send_message(QueueUrl=url, MessageBody="old")
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][container.settings.region].queues["retention-check"]
    old = next(m for m in queue._messages if m.body == "old")
    old.sent_timestamp -= 61_000  # sent 61 s ago: past its 60 s

    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    assert [m["Body"] for m in got] == ["fresh"]


def test_moto_s_service_list_is_made_once_and_is_the_one_it_would_make(container):
    # infra/local_aws._services_listed_once: the list moto's server reads on every request
    import os

    import moto
    from moto import backends

    listed = backends.list_of_moto_modules()
    path = os.path.dirname(moto.__file__)
    entries = sorted(os.listdir(path))
    expected = tuple(d for d in entries if os.path.isdir(os.path.join(path, d)) and not d.startswith("__"))

    assert listed == expected and "dynamodb" in listed and "sqs" in listed
    assert backends.list_of_moto_modules() is listed


def test_the_queue_arns_provision_gives_are_the_ones_sqs_gives(aws):
    sqs = boto3.client("sqs")
    queues = [q for q in aws.values() if "QueueName" in q]
    assert len(queues) > 10
    for q in queues:
        assert (
            q["Arn"]
            == sqs.get_queue_attributes(QueueUrl=q["Ref"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        )
