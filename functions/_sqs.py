"""What the SQS consumers share: one BatchProcessor per function, partial batch failures reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.observability import logger, metrics


def consume(event: dict, context: Any, handle: Callable[[dict], str], metric_prefix: str) -> dict:
    """Run `handle` on each record's JSON body; failed records go back to the queue (then its DLQ)."""

    def record_handler(record: SQSRecord) -> None:
        message = json.loads(record.body)
        logger.append_keys(
            seq_no=message.get("seq_no"), batch_no=message.get("batch_no"), execution_id=message.get("execution_id")
        )
        outcome = handle(message)
        logger.info("processed", extra={"outcome": outcome})
        metrics.add_metric(name=f"{metric_prefix}_{outcome}", unit=MetricUnit.Count, value=1)

    return dict(
        process_partial_response(
            event=event,
            record_handler=record_handler,  # a TypedDict: plain dict for Lambda
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )


def messages(event: dict) -> list[dict]:
    """The JSON bodies of an SQS event's records (unreadable ones are left to the record handler)."""
    found = []
    for record in event.get("Records", []):
        try:
            found.append(json.loads(record["body"]))
        except (KeyError, TypeError, ValueError):
            continue
    return found
