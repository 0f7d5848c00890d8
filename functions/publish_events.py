"""Publish function (DynamoDB stream of the declaration log): the transactional outbox.

A log item carries its change's events only if the change committed (one transaction with the
record's conditional write), so what is published here is exactly what happened. Partial batch
failures name the first record not published; the mapping's on-failure destination keeps what
could never be published, and an alarm watches it (template.yaml).
"""

from __future__ import annotations

import json

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.adapters.packing import text_of
from chalicelib.container import container
from chalicelib.domain.events import event_from_record
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.outbox import Committed, publish_committed


def _committed(record: dict) -> Committed:
    image = record["dynamodb"].get("NewImage") or {}
    raw = image.get("events")  # Binary, or a String if written before (adapters/packing.py)
    events = tuple(event_from_record(e) for e in json.loads(text_of(raw))) if raw else ()
    return Committed(record["dynamodb"]["SequenceNumber"], events)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    records = [_committed(r) for r in event.get("Records", []) if r.get("eventName") == "INSERT"]
    failed = publish_committed(records, container().publisher)
    metrics.add_metric(name="publish_records", unit=MetricUnit.Count, value=len(records))
    logger.info("published", extra={"records": len(records), "failed_from": failed[0] if failed else None})
    return {"batchItemFailures": [{"itemIdentifier": item_id} for item_id in failed]}
