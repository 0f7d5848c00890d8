"""SqsWorkQueue: the engine's queues on SQS (SendMessageBatch, ten messages a call)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.services.ports import WorkQueue, chunks


class QueueSendFailed(Exception):
    """SQS refused some messages of a batch; they must not be silently lost."""


class SqsDeliveryQueue:
    """Webhook deliveries to make (and retries, delayed): one message per (subscription, event)."""

    def __init__(self, client: Any, url: str) -> None:
        self._sqs, self._url = client, url

    def __call__(self, messages: Sequence[dict], delay_seconds: int = 0) -> None:
        for batch in chunks(messages, 10):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": json.dumps(m, ensure_ascii=False),
                    "DelaySeconds": max(0, min(900, int(delay_seconds))),
                }
                for i, m in enumerate(batch)
            ]
            failed = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get("Failed") or []
            if failed:
                raise QueueSendFailed(f"{len(failed)} deliveries refused by SQS: {failed[0].get('Message')}")


class SqsWorkQueue(WorkQueue):
    def __init__(self, client: Any, *, trigger_url: str, validation_url: str, submission_url: str) -> None:
        self._sqs = client
        self._trigger, self._validation, self._submission = trigger_url, validation_url, submission_url

    def trigger_batch(self, execution_id: str, after_index: int, delay_seconds: int) -> None:
        self._sqs.send_message(
            QueueUrl=self._trigger,
            DelaySeconds=max(0, min(900, int(delay_seconds))),
            MessageBody=json.dumps({"execution_id": execution_id, "after_index": after_index}),
        )

    def to_validation(self, messages: Sequence[dict]) -> None:
        self._send_all(self._validation, messages)

    def to_submission(self, messages: Sequence[dict]) -> None:
        self._send_all(self._submission, messages)

    def _send_all(self, url: str, messages: Sequence[dict]) -> None:
        for batch in chunks(messages, 10):
            entries = [{"Id": str(i), "MessageBody": json.dumps(m, ensure_ascii=False)} for i, m in enumerate(batch)]
            result = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)
            failed = result.get("Failed") or []
            if failed:  # retry the refused ones once, then fail loudly (the caller's message is redelivered)
                retry = [e for e in entries if e["Id"] in {f["Id"] for f in failed}]
                again = self._sqs.send_message_batch(QueueUrl=url, Entries=retry).get("Failed") or []
                if again:
                    raise QueueSendFailed(f"{len(again)} messages refused by SQS: {again[0].get('Message')}")
