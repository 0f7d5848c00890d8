"""SnsEventPublisher and SnsSubscriber against moto: PublishBatch in tens, message attributes, and
filter policies that keep each enterprise's events to itself (SQS queues stand in for subscribers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from chalicelib.adapters.sns_publisher import PublishFailed, SnsEventPublisher, SnsSubscriber
from chalicelib.domain.events import Event
from chalicelib.domain.subscription_content import parse_subscription
from chalicelib.domain.subscriptions import Subscription, filter_policy
from infra import local_aws
from tests.factories import ENT_A, ENT_B

A, B = ENT_A["code"], ENT_B["code"]
AT = datetime(2024, 3, 21, 2, 15, tzinfo=UTC)


@pytest.fixture
def sns(moto_endpoint):
    local_aws.reset_moto(moto_endpoint)
    return boto3.client("sns")


@pytest.fixture
def sqs(sns):
    return boto3.client("sqs")


@pytest.fixture
def topic_arn(sns) -> str:
    return sns.create_topic(Name="smartdecl-events")["TopicArn"]


def subscription(
    ent_code: str, protocol: str = "email", endpoint: str = "ops@example.com", event_types: tuple[str, ...] = ()
) -> Subscription:
    content, errors = parse_subscription({"protocol": protocol, "endpoint": endpoint, "event_types": list(event_types)})
    assert errors == []
    return Subscription.new(ent_code, content, "8911020000108", AT)


def queue_with_policy(sns, sqs, topic_arn: str, name: str, policy: dict | None, raw: bool = True) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"RawMessageDelivery": "true" if raw else "false"}
    if policy is not None:
        attributes |= {"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"}
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return url


def drain(sqs, url: str) -> list[dict[str, Any]]:
    out = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages", []):
        out += batch
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    return out


def event(n: int, ents: list[str], event_type: str = "smart_status_changed", **data) -> Event:
    data = data or (
        {"smart_status": "failed", "reason_zh": "缺少舱单"}
        if event_type == "smart_status_changed"
        else {"channel": "L", "entry_id": "010120241000012345"}
    )
    return Event.make(
        event_type, seq_no=f"I2024{n:013d}", ie_flag="I", ent_codes=ents, occurred_at=AT, data=data, key=str(n)
    )


def mixed_events() -> list[Event]:
    """Seven of A's, three of B's, three shared (one of them a receipt): 16 messages, two batches."""
    return (
        [event(n, [A]) for n in range(7)]
        + [event(10 + n, [B]) for n in range(3)]
        + [event(20, [A, B]), event(21, [B, A]), event(22, [A, B], "customs_receipt")]
    )


# ---- publishing -----------------------------------------------------------------------------------


def test_an_enterprise_filter_policy_keeps_other_enterprises_events_out(sns, sqs, topic_arn):
    queue_a = queue_with_policy(sns, sqs, topic_arn, "ent-a", filter_policy(subscription(A)))
    events = mixed_events()

    SnsEventPublisher(sns, topic_arn).publish(events)

    got = drain(sqs, queue_a)
    assert sorted(json.loads(m["Body"])["event_id"] for m in got) == sorted(
        e.event_id for e in events if A in e.ent_codes
    )
    assert {m["MessageAttributes"]["ent_code"]["StringValue"] for m in got} == {A}


def test_each_event_goes_out_once_per_enterprise_in_batches_of_ten(sns, sqs, topic_arn):
    everything = queue_with_policy(sns, sqs, topic_arn, "all", None)
    calls = []

    class Counting:
        def publish_batch(self, **kw):
            calls.append(len(kw["PublishBatchRequestEntries"]))
            return sns.publish_batch(**kw)

    SnsEventPublisher(Counting(), topic_arn).publish(mixed_events())

    got = drain(sqs, everything)
    assert calls == [10, 6] and len(got) == 16
    shared = [m for m in got if json.loads(m["Body"])["seq_no"] == "I20240000000000020"]
    assert sorted(m["MessageAttributes"]["ent_code"]["StringValue"] for m in shared) == sorted([A, B])


def test_a_narrowed_filter_policy_gets_only_its_event_types_of_its_enterprise(sns, sqs, topic_arn):
    queue_b = queue_with_policy(
        sns, sqs, topic_arn, "ent-b-receipts", filter_policy(subscription(B, event_types=("customs_receipt",)))
    )

    SnsEventPublisher(sns, topic_arn).publish(mixed_events() + [event(30, [A], "customs_receipt")])

    [only] = drain(sqs, queue_b)
    assert json.loads(only["Body"])["seq_no"] == "I20240000000000022"


def test_a_message_carries_the_filter_attributes_and_the_webhook_body(sns, sqs, topic_arn):
    queue = queue_with_policy(sns, sqs, topic_arn, "all", None)
    receipt = event(40, [A], "customs_receipt")

    SnsEventPublisher(sns, topic_arn).publish([receipt])

    [message] = drain(sqs, queue)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {
        "ent_code": A,
        "ie_flag": "I",
        "event_type": "customs_receipt",
        "channel": "L",
        "state": "accepted",
    }
    assert json.loads(message["Body"]) == receipt.as_json()
    assert Event.from_json(json.loads(message["Body"]), attributes["ent_code"]) == receipt


def test_the_sns_envelope_has_an_ascii_subject_and_the_smart_status_attribute(sns, sqs, topic_arn):
    queue = queue_with_policy(sns, sqs, topic_arn, "enveloped", filter_policy(subscription(A)), raw=False)

    SnsEventPublisher(sns, topic_arn).publish([event(50, [A])])

    [message] = drain(sqs, queue)
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == "SmartDecl declaration I20240000000000050: failed"
    assert envelope["MessageAttributes"]["smart_status"]["Value"] == "failed"
    assert json.loads(envelope["Message"])["event_type"] == "smart_status_changed"


def test_the_email_and_sms_renderings_travel_in_the_message_structure(sns, topic_arn):
    sent = []

    class Recording:
        def publish_batch(self, **kw):
            sent.extend(kw["PublishBatchRequestEntries"])
            return sns.publish_batch(**kw)

    SnsEventPublisher(Recording(), topic_arn).publish([event(60, [A])])

    [entry] = sent
    structure = json.loads(entry["Message"])
    assert entry["MessageStructure"] == "json" and entry["Subject"].isascii()
    assert structure["sms"].startswith("【智能申报】报关单（") and "申报失败" in structure["sms"]
    assert structure["email"].startswith("【智能申报】") and "----" in structure["email"]


def test_refused_entries_are_retried_once(sns, sqs, topic_arn):
    queue = queue_with_policy(sns, sqs, topic_arn, "all", None)

    class RefusesOnceEntryOne:
        def __init__(self):
            self.refused = False

        def publish_batch(self, TopicArn, PublishBatchRequestEntries):  # noqa: N803 - boto3's names
            entries = PublishBatchRequestEntries
            if not self.refused:
                self.refused = True
                kept = [e for e in entries if e["Id"] != "1"]
                result = sns.publish_batch(TopicArn=TopicArn, PublishBatchRequestEntries=kept)
                return {**result, "Failed": [{"Id": "1", "Code": "InternalError", "SenderFault": False}]}
            return sns.publish_batch(TopicArn=TopicArn, PublishBatchRequestEntries=entries)

    events = [event(n, [A]) for n in range(3)]
    SnsEventPublisher(RefusesOnceEntryOne(), topic_arn).publish(events)

    assert sorted(json.loads(m["Body"])["event_id"] for m in drain(sqs, queue)) == sorted(e.event_id for e in events)


def test_entries_refused_twice_raise(topic_arn):
    class AlwaysRefuses:
        def publish_batch(self, TopicArn, PublishBatchRequestEntries):  # noqa: N803
            return {
                "Successful": [],
                "Failed": [
                    {"Id": e["Id"], "Code": "InternalError", "Message": "boom", "SenderFault": False}
                    for e in PublishBatchRequestEntries
                ],
            }

    with pytest.raises(PublishFailed, match="InternalError"):
        SnsEventPublisher(AlwaysRefuses(), topic_arn).publish([event(1, [A])])


def test_an_unknown_topic_is_a_publish_failure(sns):
    with pytest.raises(PublishFailed):
        SnsEventPublisher(sns, "arn:aws:sns:cn-north-1:123456789012:missing").publish([event(1, [A])])


# ---- subscribing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol,endpoint", [("email", "ops@example.com"), ("sms", "+86 138 0013 8000")])
def test_email_and_sms_subscriptions_carry_their_enterprise_filter_policy(sns, topic_arn, protocol, endpoint):
    sub = subscription(A, protocol, endpoint, ("customs_receipt",))

    arn = SnsSubscriber(sns, topic_arn).subscribe(sub)

    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"ent_code": [A], "event_type": ["customs_receipt"]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert attributes["Protocol"] == protocol and attributes["Endpoint"] == sub.endpoint


def test_unsubscribe_removes_the_subscription(sns, topic_arn):
    subscriber = SnsSubscriber(sns, topic_arn)
    arn = subscriber.subscribe(subscription(A))

    subscriber.unsubscribe(arn)

    assert sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"] == []


def test_a_webhook_is_not_an_sns_subscription(sns, topic_arn):
    hook = subscription(A, "webhook", "https://93.184.216.34/hook")

    with pytest.raises(ValueError):
        SnsSubscriber(sns, topic_arn).subscribe(hook)
