"""The local runner: plays EventBridge and Lambda's SQS event-source mappings, as template.yaml
declares them, against moto (which runs no Lambda and fires no schedule).

For every function with an SQS event it polls the queue (batch size from the template), builds
the SQS event Lambda would send, calls the same handler module, and deletes only the records
the handler did not report in batchItemFailures; the others come back after the visibility
timeout and, past maxReceiveCount, moto moves them to the dead-letter queue. Schedule events
fire every `schedule_seconds` (the template's rate, shortened locally if asked).
"""
from __future__ import annotations

import importlib
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra import template as cfn

log = logging.getLogger("smartdecl.runner")


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
                sqs_maps.append(SqsMapping(name, props["Handler"], physical[queue]["Ref"], physical[queue]["Arn"],
                                           int(event["Properties"].get("BatchSize", 10)), timeout,
                                           "ReportBatchItemFailures" in event["Properties"].get("FunctionResponseTypes", [])))
            elif event["Type"] == "Schedule":
                schedules.append(ScheduleMapping(name, props["Handler"], _rate_seconds(event["Properties"]["Schedule"]),
                                                 timeout))
    return sqs_maps, schedules


def _load(handler: str):
    module, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


class LocalRunner:
    def __init__(self, template: dict, physical: dict[str, dict], *, region: str, schedule_seconds: int | None = None,
                 poll_interval_seconds: float = 0.1) -> None:
        self.sqs_maps, self.schedules = mappings(template, physical)
        self.region = region
        self.schedule_seconds = schedule_seconds
        self.poll_interval = poll_interval_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.invocations: dict[str, int] = {}

    def start(self) -> "LocalRunner":
        for mapping in self.sqs_maps:
            self._spawn(self._poll, mapping)
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

    def drain(self, max_rounds: int = 200) -> int:
        """Deliver every visible message, mapping by mapping, until all queues are quiet (tests)."""
        sqs = boto3.client("sqs", region_name=self.region)
        delivered = 0
        for _ in range(max_rounds):
            moved = sum(self._deliver(sqs, m, wait=0) for m in self.sqs_maps)
            delivered += moved
            if not moved:
                return delivered
        raise RuntimeError("queues did not go quiet")

    def tick(self) -> None:
        """Fire every schedule once (tests)."""
        for s in self.schedules:
            _load(s.handler)(self._schedule_event(), LambdaContext(s.function, s.timeout, region=self.region))

    def _poll(self, m: SqsMapping) -> None:
        sqs = boto3.client("sqs", region_name=self.region)
        while not self._stop.is_set():
            try:
                # short polls: moto does not wake a long poll when a delayed message becomes visible,
                # which would add up to the wait to every batch gap
                if not self._deliver(sqs, m, wait=0):
                    self._stop.wait(self.poll_interval)
            except Exception:  # noqa: BLE001 - the local AWS is going away; keep polling until told to stop
                if self._stop.wait(0.5):
                    return

    def _deliver(self, sqs: Any, m: SqsMapping, wait: int) -> int:
        handler = _load(m.handler)
        received = sqs.receive_message(QueueUrl=m.queue_url, MaxNumberOfMessages=min(m.batch_size, 10),
                                       WaitTimeSeconds=wait, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if received:
            self._invoke(sqs, m, handler, received)
        return len(received)

    def _invoke(self, sqs: Any, m: SqsMapping, handler: Any, received: list[dict]) -> None:
        event = {"Records": [self._record(message, m) for message in received]}
        try:
            result = handler(event, LambdaContext(m.function, m.timeout, region=self.region)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])} if m.report_failures else set()
        except Exception:  # Lambda's behaviour: the whole batch returns to the queue
            log.exception("%s failed on a batch of %d", m.function, len(received))
            failed = {message["MessageId"] for message in received}
        self.invocations[m.function] = self.invocations.get(m.function, 0) + 1
        done = [{"Id": str(i), "ReceiptHandle": msg["ReceiptHandle"]}
                for i, msg in enumerate(received) if msg["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=m.queue_url, Entries=done)

    def _record(self, message: dict, m: SqsMapping) -> dict[str, Any]:
        return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"], "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}), "md5OfBody": message.get("MD5OfBody"),
                "eventSource": "aws:sqs", "eventSourceARN": m.queue_arn, "awsRegion": self.region}

    def _schedule_event(self) -> dict[str, Any]:
        return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": self.region,
                "resources": [], "detail": {}}

    def _tick(self, s: ScheduleMapping) -> None:
        handler = _load(s.handler)
        every = self.schedule_seconds or s.seconds
        while not self._stop.wait(every):
            try:
                handler(self._schedule_event(), LambdaContext(s.function, s.timeout, region=self.region))
            except Exception:  # noqa: BLE001
                log.exception("%s failed", s.function)
            self.invocations[s.function] = self.invocations.get(s.function, 0) + 1
