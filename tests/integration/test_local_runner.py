"""The local runner plays the template's event sources: batch size, partial failures, redrive."""

from __future__ import annotations

import json

import boto3

from infra import template as cfn
from infra.local_runner import mappings


def test_the_runner_takes_its_wiring_from_the_template(aws):
    sqs_maps, schedules = mappings(cfn.load(), aws)
    by_function = {m.function: m for m in sqs_maps}
    assert set(by_function) == {
        "BatchFunction",
        "ValidationFunction",
        "SubmissionFunction",
        "NotifyFunction",
        "WebhookFunction",
        "SmsFunction",
        "EventFeedFunction",
    }
    assert by_function["SubmissionFunction"].batch_size == 10 and by_function["ValidationFunction"].report_failures
    assert [(s.function, s.seconds) for s in schedules] == [("ScheduleFunction", 60), ("DigestFunction", 3600)]


def test_a_poison_message_ends_in_the_dead_letter_queue_after_max_receives(aws, container, runner):
    sqs = boto3.client("sqs")
    url = aws["ValidationQueue"]["Ref"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})  # redeliver at once
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    good = json.dumps({"seq_no": "I20240000000000001", "batch_no": "P2024032100000000001", "ent_code": "1108919038"})
    sqs.send_message(QueueUrl=url, MessageBody=good)  # unknown declaration: handled, deleted
    runner.drain()
    dlq = aws["ValidationDeadLetterQueue"]["Ref"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in dead] == ["{not json"]
    assert runner.invocations["ValidationFunction"] >= 5
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_batch_larger_than_one_receive_reaches_its_function_in_one_invocation_and_is_all_deleted(
    aws, container, runner
):
    # Given 25 events waiting on the event feed's queue (its BatchSize is 100, SQS gives 10 a receive)
    from datetime import UTC, datetime

    from chalicelib.domain.events import Event

    sqs = boto3.client("sqs")
    url = aws["EventFeedQueue"]["Ref"]
    for n in range(25):
        event = Event.make(
            "smart_status_changed",
            seq_no=f"I2024000103182{n:04d}",
            ie_flag="I",
            ent_codes=("1108919038",),
            occurred_at=datetime(2024, 3, 21, 2, 0, n, tzinfo=UTC),
            key=f"state:{n}",
            data={"smart_status": "succeeded"},
        )
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(event.for_enterprise("1108919038").as_json()),
            MessageAttributes={"ent_code": {"DataType": "String", "StringValue": "1108919038"}},
        )
    # When the runner drains it
    runner.drain()
    # Then one invocation took all 25, and none is left or comes back
    assert runner.invocations["EventFeedFunction"] == 1
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
