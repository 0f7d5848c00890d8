"""Event-feed function (SQS, subscribed to the events topic with raw delivery): file every event
for its enterprise, so GET /events can serve it for 14 days. A message delivered twice is filed once."""

from __future__ import annotations

import json

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.event_feed import file_event


def _ent_code(record: SQSRecord) -> str:
    # Lambda spells message attributes "stringValue"; the local runner passes SQS's "StringValue"
    attribute = (record.raw_event.get("messageAttributes") or {}).get("ent_code") or {}
    return attribute.get("stringValue") or attribute.get("StringValue") or ""


def record_handler(record: SQSRecord) -> None:
    ctx = container()
    outcome = file_event(json.loads(record.body), _ent_code(record), ctx.event_feed, ctx.clock)
    logger.info("event filed", extra={"outcome": outcome, "ent_code": _ent_code(record)})
    metrics.add_metric(name=f"event_feed_{outcome}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return dict(
        process_partial_response(
            event=event,
            record_handler=record_handler,  # a TypedDict: plain dict for Lambda
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )
