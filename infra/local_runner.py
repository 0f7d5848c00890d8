"""The local runner: plays EventBridge and Lambda's SQS event-source mappings, as template.yaml
declares them, against moto (which runs no Lambda and fires no schedule).

For every function with an SQS event it polls the queue (batch size from the template), builds
the SQS event Lambda would send, calls the same handler module, and deletes only the records
the handler did not report in batchItemFailures; the others come back after the visibility
timeout and, past maxReceiveCount, moto moves them to the dead-letter queue. Schedule events
fire every `schedule_seconds` (the template's rate, shortened locally if asked).

DynamoDB stream mappings are played the same way from moto's DynamoDB Streams: records are read
in order from the last checkpoint, the mapping's FilterCriteria applied, the handler called with
up to BatchSize records; a reported failure (or an exception) retries from that record, and past
MaximumRetryAttempts the batch goes to the on-failure destination queue and the checkpoint moves on.
`deliver_twice` hands every SQS and stream batch to its handler twice (fault-injection tests).
`fault`, off unless a soak sets it, is asked before each SQS invocation what goes wrong with it:
nothing (None), "twice" (the batch delivered twice), or "crash": the invocation dies where the soak
makes its handler raise InjectedCrash (a chosen write point), and its batch comes back after
`crash_visibility_seconds`, as a timed-out Lambda's batch does after the visibility timeout. Given
`clock` (a soak's stack clock, which it moves on while idle), the batch comes back when that clock
has passed the queue's own VisibilityTimeout from the template instead, as on AWS: the product's
timings (the sending lease ends before a dead holder's message returns) hold only at that timing.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from infra import template as cfn

log = logging.getLogger("smartdecl.runner")
HIDDEN_SECONDS = 6 * 3600  # longer than any soak; SQS caps a received message's total at 12 hours


@dataclass
class LambdaContext:
    """Enough of Lambda's context object for Powertools (logger, idempotency, batch)."""

    function_name: str
    timeout_seconds: int = 30
    memory_limit_in_mb: int = 1024
    region: str = "cn-north-1"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        partition = "aws-cn" if self.region.startswith("cn-") else "aws"
        return f"arn:{partition}:lambda:{self.region}:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


@dataclass(frozen=True)
class SqsMapping:
    function: str
    handler: str
    queue_url: str
    queue_arn: str
    batch_size: int
    timeout: int
    report_failures: bool
    visibility_timeout: int = 30  # the queue's, from the template (SQS's default when it says none)


@dataclass
class DeadBatch:
    """A dead invocation's batch, hidden until the stack's clock reaches `back_at`."""

    queue_url: str
    receipt_handles: list[str]
    back_at: datetime


@dataclass(frozen=True)
class StreamMapping:
    function: str
    handler: str
    stream_arn: str
    batch_size: int
    timeout: int
    report_failures: bool
    patterns: tuple[dict, ...]
    max_retries: int
    on_failure_url: str | None


@dataclass(frozen=True)
class ScheduleMapping:
    function: str
    handler: str
    seconds: int
    timeout: int


def _rate_seconds(expression: str) -> int:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|second|seconds)\)", expression.strip())
    if not match:
        raise ValueError(f"only rate(...) schedules are played locally, not {expression!r}")
    n, unit = int(match.group(1)), match.group(2)
    return n * {"second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}[unit]


def mappings(template: dict, physical: dict[str, dict]) -> tuple[list[SqsMapping], list[ScheduleMapping]]:
    """The event sources of every AWS::Serverless::Function, resolved to local queues."""
    default_timeout = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    sqs_maps, schedules = [], []
    for name, resource in cfn.resources(template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        timeout = int(props.get("Timeout", default_timeout))
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                queue_props = template["Resources"][queue].get("Properties", {})
                sqs_maps.append(
                    SqsMapping(
                        name,
                        props["Handler"],
                        physical[queue]["Ref"],
                        physical[queue]["Arn"],
                        int(event["Properties"].get("BatchSize", 10)),
                        timeout,
                        "ReportBatchItemFailures" in event["Properties"].get("FunctionResponseTypes", []),
                        int(queue_props.get("VisibilityTimeout", 30)),
                    )
                )
            elif event["Type"] == "Schedule":
                schedules.append(
                    ScheduleMapping(name, props["Handler"], _rate_seconds(event["Properties"]["Schedule"]), timeout)
                )
    return sqs_maps, schedules


def stream_mappings(template: dict, physical: dict[str, dict]) -> list[StreamMapping]:
    """The DynamoDB stream event sources of every AWS::Serverless::Function, resolved locally."""
    default_timeout = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    found = []
    for name, resource in cfn.resources(template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "DynamoDB":
                continue
            p = event["Properties"]
            table = p["Stream"]["Fn::GetAtt"][0]
            filters = (p.get("FilterCriteria") or {}).get("Filters") or []
            destination = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            found.append(
                StreamMapping(
                    name,
                    props["Handler"],
                    physical[table]["StreamArn"],
                    int(p.get("BatchSize", 100)),
                    int(props.get("Timeout", default_timeout)),
                    "ReportBatchItemFailures" in p.get("FunctionResponseTypes", []),
                    tuple(json.loads(f["Pattern"]) for f in filters),
                    int(p.get("MaximumRetryAttempts", 2)),
                    physical[destination["Fn::GetAtt"][0]]["Ref"] if destination else None,
                )
            )
    return found


def matches(pattern: Any, value: Any) -> bool:
    """The part of Lambda's event filtering the template uses: nested keys, value lists, exists."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_matches_key(value, k, p) for k, p in pattern.items())
    return any(value == p for p in pattern)


def _matches_key(value: dict, key: str, pattern: Any) -> bool:
    if isinstance(pattern, list) and pattern and isinstance(pattern[0], dict) and "exists" in pattern[0]:
        return (key in value) is bool(pattern[0]["exists"])
    return key in value and matches(pattern, value[key])


def _as_lambda_json(value: Any) -> str:
    """What Lambda's JSON event holds where botocore decoded a value: a Binary attribute in Base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not in a stream record")


class InjectedCrash(BaseException):
    """A Lambda invocation dying mid-way (a soak's fault): no handler code may catch it."""


def _load(handler: str):
    module, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


class LocalRunner:
    def __init__(
        self,
        template: dict,
        physical: dict[str, dict],
        *,
        region: str,
        schedule_seconds: int | None = None,
        poll_interval_seconds: float = 0.1,
        deliver_twice: bool = False,
        fault: Callable[[str], str | None] | None = None,
        crash_visibility_seconds: int = 2,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.sqs_maps, self.schedules = mappings(template, physical)
        self.stream_maps = stream_mappings(template, physical)
        self.deliver_twice = deliver_twice
        self.fault, self.crash_visibility_seconds = fault, crash_visibility_seconds
        self.clock = clock
        self.dead: list[DeadBatch] = []  # with `clock`: dead invocations' batches not yet back
        self._dead_lock = threading.Lock()
        self._positions: dict[str, str | None] = {}  # stream mapping → next sequence number to read
        self._attempts: dict[str, int] = {}
        self._stream_lock = threading.Lock()
        self.region = region
        self.schedule_seconds = schedule_seconds
        self.poll_interval = poll_interval_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.invocations: dict[str, int] = {}

    def start(self) -> LocalRunner:
        for mapping in self.sqs_maps:
            self._spawn(self._poll, mapping)
        for stream_mapping in self.stream_maps:
            self._spawn(self._poll_stream, stream_mapping)
        for schedule in self.schedules:
            self._spawn(self._tick, schedule)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _spawn(self, target, mapping) -> None:
        thread = threading.Thread(target=target, args=(mapping,), name=f"runner-{mapping.function}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def drain(self, max_rounds: int = 200, until: float | None = None, batches: int = 1) -> int:
        """Deliver every visible message, mapping by mapping, until all queues are quiet (tests).
        `until` (time.monotonic()): return after the round in which it passed, quiet or not: a soak's
        step, where delayed messages (batch triggers, webhook retries) ripen during every slow round
        and the queues would never be quiet at once. `batches`: up to that many batches of one SQS
        mapping in a round while they come full, as Lambda adds pollers to a mapping with a backlog
        (one a round made every backlog wait for a round of every other mapping's empty polls)."""
        sqs = boto3.client("sqs", region_name=self.region)
        streams = boto3.client("dynamodbstreams", region_name=self.region)
        delivered = 0
        for _ in range(max_rounds):
            self._bring_back(sqs)
            moved = sum(self._deliver_backlog(sqs, m, batches) for m in self.sqs_maps)
            moved += sum(self._deliver_stream(streams, sqs, m) for m in self.stream_maps)
            delivered += moved
            if not moved or (until is not None and time.monotonic() >= until):
                return delivered
        raise RuntimeError("queues did not go quiet")

    def _deliver_backlog(self, sqs: Any, m: SqsMapping, batches: int) -> int:
        moved = 0
        for _ in range(batches):
            got = self._deliver(sqs, m, wait=0)
            moved += got
            if got < m.batch_size:
                break
        return moved

    def tick(self) -> None:
        """Fire every schedule once (tests)."""
        self._bring_back(boto3.client("sqs", region_name=self.region))
        for s in self.schedules:
            _load(s.handler)(self._schedule_event(), LambdaContext(s.function, s.timeout, region=self.region))

    def _poll(self, m: SqsMapping) -> None:
        sqs = boto3.client("sqs", region_name=self.region)
        while not self._stop.is_set():
            try:
                # short polls: moto does not wake a long poll when a delayed message becomes visible,
                # which would add up to the wait to every batch gap
                self._bring_back(sqs)
                if not self._deliver(sqs, m, wait=0):
                    self._stop.wait(self.poll_interval)
            except Exception:  # noqa: BLE001 - the local AWS is going away; keep polling until told to stop
                if self._stop.wait(0.5):
                    return

    def _deliver(self, sqs: Any, m: SqsMapping, wait: int) -> int:
        handler = _load(m.handler)
        received: list[dict] = []
        # up to BatchSize messages, as Lambda gathers them in its batching window (a receive gives at
        # most 10); without waiting for more than the queue holds now
        while len(received) < m.batch_size:
            want = min(m.batch_size - len(received), 10)
            got = sqs.receive_message(
                QueueUrl=m.queue_url,
                MaxNumberOfMessages=want,
                WaitTimeSeconds=0 if received else wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            received += got
            if len(got) < want:
                break
        if received:
            self._invoke(sqs, m, handler, received)
        return len(received)

    def _invoke(self, sqs: Any, m: SqsMapping, handler: Any, received: list[dict]) -> None:
        event = {"Records": [self._record(message, m) for message in received]}
        failed: set[str] = set()
        what = self.fault(m.function) if self.fault else None
        for _ in range(2 if self.deliver_twice or what == "twice" else 1):
            try:
                result = (
                    handler(json.loads(json.dumps(event)), LambdaContext(m.function, m.timeout, region=self.region))
                    or {}
                )
                failed = (
                    {f["itemIdentifier"] for f in result.get("batchItemFailures", [])} if m.report_failures else set()
                )
            except InjectedCrash:  # the invocation died: nothing deleted, the batch is back after a while
                self.invocations[m.function] = self.invocations.get(m.function, 0) + 1
                handles = [msg["ReceiptHandle"] for msg in received]
                if self.clock is None:
                    self._set_visibility(sqs, m.queue_url, handles, self.crash_visibility_seconds)
                    return
                # hidden until the stack's clock passes the queue's timeout
                self._set_visibility(sqs, m.queue_url, handles, HIDDEN_SECONDS)
                back_at = self.clock() + timedelta(seconds=m.visibility_timeout)
                with self._dead_lock:
                    self.dead.append(DeadBatch(m.queue_url, handles, back_at))
                return
            except Exception:  # Lambda's behaviour: the whole batch returns to the queue
                log.exception("%s failed on a batch of %d", m.function, len(received))
                failed = {message["MessageId"] for message in received}
        self.invocations[m.function] = self.invocations.get(m.function, 0) + 1
        done = [
            {"Id": str(i), "ReceiptHandle": msg["ReceiptHandle"]}
            for i, msg in enumerate(received)
            if msg["MessageId"] not in failed
        ]
        for start in range(0, len(done), 10):  # DeleteMessageBatch takes ten entries at most
            sqs.delete_message_batch(QueueUrl=m.queue_url, Entries=done[start : start + 10])

    @staticmethod
    def _set_visibility(sqs: Any, queue_url: str, handles: list[str], seconds: int) -> None:
        for start in range(0, len(handles), 10):  # ChangeMessageVisibilityBatch takes ten at most
            sqs.change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                    for i, handle in enumerate(handles[start : start + 10])
                ],
            )

    def dead_messages(self) -> int:
        """Messages of dead invocations still hidden (with `clock`): waiting for time, not for work."""
        with self._dead_lock:
            return sum(len(d.receipt_handles) for d in self.dead)

    def _bring_back(self, sqs: Any) -> None:
        """Dead batches whose visibility timeout has passed on the stack's clock: visible again."""
        if self.clock is None or not self.dead:
            return
        now = self.clock()
        with self._dead_lock:
            back = [d for d in self.dead if d.back_at <= now]
            self.dead = [d for d in self.dead if d.back_at > now]
        for d in back:
            self._set_visibility(sqs, d.queue_url, d.receipt_handles, 0)

    def _record(self, message: dict, m: SqsMapping) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": m.queue_arn,
            "awsRegion": self.region,
        }

    def _poll_stream(self, m: StreamMapping) -> None:
        streams = boto3.client("dynamodbstreams", region_name=self.region)
        sqs = boto3.client("sqs", region_name=self.region)
        while not self._stop.is_set():
            try:
                if not self._deliver_stream(streams, sqs, m):
                    self._stop.wait(self.poll_interval)
            except Exception:  # noqa: BLE001 - the local AWS is going away; keep polling until told to stop
                if self._stop.wait(0.5):
                    return

    def _deliver_stream(self, streams: Any, sqs: Any, m: StreamMapping) -> int:
        """One batch from the mapping's checkpoint: the number of records read (0: nothing new)."""
        with self._stream_lock:  # drain() and the poller share one checkpoint
            shard = streams.describe_stream(StreamArn=m.stream_arn)["StreamDescription"]["Shards"][0]
            position = self._positions.get(m.function)
            kwargs = (
                {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": position}
                if position
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = streams.get_shard_iterator(StreamArn=m.stream_arn, ShardId=shard["ShardId"], **kwargs)[
                "ShardIterator"
            ]
            read = streams.get_records(ShardIterator=iterator, Limit=m.batch_size)["Records"]
            if not read:
                return 0
            after = str(int(read[-1]["dynamodb"]["SequenceNumber"]) + 1)
            records = [
                self._stream_record(r, m)
                for r in read
                if not m.patterns or any(matches(p, self._filterable(r)) for p in m.patterns)
            ]
            retry_from = self._invoke_stream(m, records) if records else None
            if retry_from is None:
                self._positions[m.function], self._attempts[m.function] = after, 0
                return len(read)
            self._attempts[m.function] = self._attempts.get(m.function, 0) + 1
            if self._attempts[m.function] > m.max_retries:  # give up on the batch: on-failure destination
                if m.on_failure_url:
                    sqs.send_message(
                        QueueUrl=m.on_failure_url,
                        MessageBody=json.dumps(
                            {"function": m.function, "from": retry_from, "to": read[-1]["dynamodb"]["SequenceNumber"]}
                        ),
                    )
                self._positions[m.function], self._attempts[m.function] = after, 0
            else:
                self._positions[m.function] = retry_from
            return len(read)

    def _invoke_stream(self, m: StreamMapping, records: list[dict]) -> str | None:
        """Call the handler (twice if asked); the sequence number to retry from, or None."""
        handler = _load(m.handler)
        retry_from = None
        for _ in range(2 if self.deliver_twice else 1):
            try:
                result = (
                    handler(
                        {"Records": json.loads(json.dumps(records, default=_as_lambda_json))},
                        LambdaContext(m.function, m.timeout, region=self.region),
                    )
                    or {}
                )
                failures = (
                    [f["itemIdentifier"] for f in result.get("batchItemFailures", [])] if m.report_failures else []
                )
                retry_from = min(failures, key=int) if failures else None
            except Exception:  # Lambda's behaviour: the whole batch is retried
                log.exception("%s failed on a stream batch of %d", m.function, len(records))
                retry_from = records[0]["dynamodb"]["SequenceNumber"]
        self.invocations[m.function] = self.invocations.get(m.function, 0) + 1
        return retry_from

    @staticmethod
    def _filterable(record: dict) -> dict:
        return {"eventName": record.get("eventName"), "dynamodb": record.get("dynamodb", {})}

    def _stream_record(self, record: dict, m: StreamMapping) -> dict:
        return {
            **record,
            "awsRegion": self.region,
            "eventSourceARN": m.stream_arn,
            "dynamodb": {
                **record["dynamodb"],
                "ApproximateCreationDateTime": str(record["dynamodb"].get("ApproximateCreationDateTime")),
            },
        }

    def _schedule_event(self) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": self.region,
            "resources": [],
            "detail": {},
        }

    def _tick(self, s: ScheduleMapping) -> None:
        handler = _load(s.handler)
        every = self.schedule_seconds or s.seconds
        while not self._stop.wait(every):
            try:
                handler(self._schedule_event(), LambdaContext(s.function, s.timeout, region=self.region))
            except Exception:
                log.exception("%s failed", s.function)
            self.invocations[s.function] = self.invocations.get(s.function, 0) + 1
