"""Publish function (DynamoDB stream of the declaration log): the transactional outbox.

A log item carries its change's events only if the change committed (one transaction with the
record's conditional write), so what is published here is exactly what happened. Partial batch
failures name the first record not published; the mapping's on-failure destination keeps what
could never be published, and an alarm watches it (template.yaml).

Before publishing, the unit prices of the declarations customs accepted go into their enterprise's
price history (services/price_advisories.py). Here rather than in a second consumer of the stream:
one reader of the stream, not two (each reader polls it, locally too). When recording stops at a
record, only the records before it are published, and the retry starts at it: no event is
published twice, and recording again adds nothing. Reading a declaration loads its models
(pydantic): only once a batch holds a declared one.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.adapters.packing import text_of
from chalicelib.container import container
from chalicelib.domain.events import event_from_record
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.outbox import Committed, publish_committed
from chalicelib.services.price_advisories import declared_seq_nos, record_committed


def _committed(record: dict) -> Committed:
    image = record["dynamodb"].get("NewImage") or {}
    raw = image.get("events")  # Binary, or a String if written before (adapters/packing.py)
    events = tuple(event_from_record(e) for e in json.loads(text_of(raw))) if raw else ()
    return Committed(record["dynamodb"]["SequenceNumber"], events)


def _declared(records: list[Committed]) -> bool:
    return any(declared_seq_nos(r.events) for r in records)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    records = [_committed(r) for r in event.get("Records", []) if r.get("eventName") == "INSERT"]
    stopped = record_committed(records, ctx.declarations, ctx.price_history) if _declared(records) else None
    publishable = records[: [r.item_id for r in records].index(stopped)] if stopped else records
    failed = publish_committed(publishable, ctx.publisher) or ([stopped] if stopped else [])
    metrics.add_metric(name="publish_records", unit=MetricUnit.Count, value=len(records))
    logger.info(
        "published",
        extra={"records": len(records), "failed_from": failed[0] if failed else None, "prices_stopped_at": stopped},
    )
    return {"batchItemFailures": [{"itemIdentifier": item_id} for item_id in failed]}
