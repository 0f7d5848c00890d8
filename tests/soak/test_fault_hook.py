"""The local runner's fault hook (off unless a soak sets it): a batch delivered twice, an invocation
dying mid-way whose batch comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from infra import local_runner
from infra import template as cfn
from infra.local_aws import LOCAL_REGION
from infra.local_runner import InjectedCrash, LocalRunner


@pytest.fixture
def calls(monkeypatch):
    seen: list[list[str]] = []
    behaviour = {"crash_first": False}

    def handler(event, context):
        seen.append([r["body"] for r in event["Records"]])
        if behaviour["crash_first"] and len(seen) == 1:
            raise InjectedCrash("dies after a write")
        return {"batchItemFailures": []}

    monkeypatch.setattr(local_runner, "_load", lambda name: handler)
    return seen, behaviour


def _send(aws, body: str) -> str:
    url = aws["ValidationQueue"]["Ref"]
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    return url


def _left(url: str) -> int:
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_the_fault_hook_is_off_unless_a_soak_sets_it(aws):
    assert LocalRunner(cfn.load(), aws, region=LOCAL_REGION).fault is None


def test_a_batch_the_hook_says_twice_reaches_its_handler_twice_and_is_deleted_once(aws, calls):
    seen, _ = calls
    url = _send(aws, "m1")
    runner = LocalRunner(cfn.load(), aws, region=LOCAL_REGION, fault=lambda function: "twice")
    runner.drain()
    assert seen == [["m1"], ["m1"]]
    assert _left(url) == 0


def test_an_invocation_that_dies_leaves_its_batch_to_come_back_and_be_handled(aws, calls):
    seen, behaviour = calls
    behaviour["crash_first"] = True
    url = _send(aws, "m1")
    runner = LocalRunner(cfn.load(), aws, region=LOCAL_REGION, fault=lambda f: None, crash_visibility_seconds=0)
    runner.drain()  # the first invocation dies; the batch is visible again at once and handled
    assert seen == [["m1"], ["m1"]]
    assert runner.invocations["ValidationFunction"] == 2
    assert _left(url) == 0


def test_a_drain_with_a_deadline_returns_while_messages_keep_coming(aws, monkeypatch):
    url = _send(aws, "m1")
    seen: list[str] = []

    def handler(event, context):  # every message brings the next one: the queue is never quiet
        seen.append(event["Records"][0]["body"])
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=f"m{len(seen) + 1}")
        return {"batchItemFailures": []}

    monkeypatch.setattr(local_runner, "_load", lambda name: handler)
    runner = LocalRunner(cfn.load(), aws, region=LOCAL_REGION)
    assert runner.drain(until=0) >= 1  # the deadline passed already: one round, then back
    assert seen[:1] == ["m1"] and _left(url) == 1
    with pytest.raises(RuntimeError, match="did not go quiet"):
        runner.drain(max_rounds=3)  # without one, a drain that never gets quiet is an error


def test_a_drain_round_takes_several_full_batches_of_a_backlog_when_asked(aws, calls):
    seen, _ = calls
    url = aws["ValidationQueue"]["Ref"]
    size = next(m for m in LocalRunner(cfn.load(), aws, region=LOCAL_REGION).sqs_maps if m.queue_url == url).batch_size
    for start in range(0, 2 * size + 1, 10):
        boto3.client("sqs").send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, min(start + 10, 2 * size + 1))],
        )
    runner = LocalRunner(cfn.load(), aws, region=LOCAL_REGION)
    assert runner.drain(until=0) == size  # one batch a round: the backlog waits for the next round
    assert runner.drain(until=0, batches=3) == size + 1  # the rest in one round, the last batch not full
    assert _left(url) == 0


class StackClock:
    """The soak's clock: it moves only when told to (the settling's warp)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_each_mapping_carries_its_queue_s_visibility_timeout_from_the_template(aws):
    sqs_maps, _ = local_runner.mappings(cfn.load(), aws)
    timeouts = {m.function: m.visibility_timeout for m in sqs_maps}
    assert timeouts["SubmissionFunction"] == 720  # past the sending lease: a dead holder's message finds it over
    assert timeouts["ValidationFunction"] == 360


def _dead_batch_on_the_stack_s_clock(aws, calls) -> tuple[str, StackClock, LocalRunner]:
    """A validation message whose first invocation dies, with a runner on the stack's clock."""
    seen, behaviour = calls
    behaviour["crash_first"] = True
    url = _send(aws, "m1")
    clock = StackClock()
    runner = LocalRunner(cfn.load(), aws, region=LOCAL_REGION, fault=lambda f: None, clock=clock)
    runner.drain()
    return url, clock, runner


def test_with_the_stack_s_clock_a_dead_batch_comes_back_only_after_its_queue_s_visibility_timeout(aws, calls):
    """As on Lambda: back after 2 s of real time, a dead submission's batch came inside its sending lease,
    was let go as a duplicate and its declarations waited for the scheduler's claim timeout."""
    seen, _ = calls
    url, clock, runner = _dead_batch_on_the_stack_s_clock(aws, calls)
    assert seen == [["m1"]] and runner.dead_messages() == 1 and _left(url) == 1  # hidden, not lost

    clock.now += timedelta(seconds=359)
    runner.drain()
    assert seen == [["m1"]]  # the validation queue's 360 s have not passed on the stack's clock

    clock.now += timedelta(seconds=1)
    runner.drain()
    assert seen == [["m1"], ["m1"]] and runner.dead_messages() == 0 and _left(url) == 0


def test_a_schedule_tick_brings_back_a_dead_batch_that_is_due_before_the_schedule_runs(aws, calls, monkeypatch):
    """The scheduler's claim timeout must never see a claim whose batch was already due back."""
    url, clock, runner = _dead_batch_on_the_stack_s_clock(aws, calls)
    clock.now += timedelta(seconds=360)
    visible_at_tick: list[int] = []

    def schedule(event, context):
        attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        visible_at_tick.append(int(attrs["Attributes"]["ApproximateNumberOfMessages"]))

    monkeypatch.setattr(local_runner, "_load", lambda name: schedule)
    runner.tick()
    assert visible_at_tick and set(visible_at_tick) == {1}
