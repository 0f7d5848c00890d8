"""What the SQS consumers share (functions/_sqs.py): each record's outcome is logged, and counted in
the metrics once per outcome and invocation."""

from __future__ import annotations

import json

from chalicelib.observability import metrics
from functions._sqs import consume
from infra.local_runner import LambdaContext


def _event(n: int) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": json.dumps({"seq_no": f"S{i}"}),
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws-cn:sqs:cn-north-1:000000000000:q",
            }
            for i in range(n)
        ]
    }


def test_a_large_batch_is_counted_once_per_outcome_not_once_per_record():
    # a value per record made 150 records a 100-value EMF line flushed mid-batch, and 50 more
    metrics.clear_metrics()
    try:
        answer = consume(
            _event(150),
            LambdaContext("ValidationFunction"),
            lambda m: "passed" if int(m["seq_no"][1:]) % 3 else "waiting",
            "validation",
        )
        assert answer == {"batchItemFailures": []}
        counted = {name: list(m["Value"]) for name, m in metrics.provider.metric_set.items()}
        assert counted == {"validation_passed": [100.0], "validation_waiting": [50.0]}
    finally:
        metrics.clear_metrics()


def test_a_failed_record_goes_back_and_the_others_are_still_counted():
    metrics.clear_metrics()

    def handle(message: dict) -> str:
        if message["seq_no"] == "S1":
            raise RuntimeError("DynamoDB is throttling")
        return "passed"

    try:
        answer = consume(_event(3), LambdaContext("ValidationFunction"), handle, "validation")
        assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        assert {n: list(m["Value"]) for n, m in metrics.provider.metric_set.items()} == {"validation_passed": [2.0]}
    finally:
        metrics.clear_metrics()
