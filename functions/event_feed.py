"""Event-feed function (SQS, subscribed to the events topic with raw delivery): file every event
for its enterprise, so GET /events can serve it for 14 days. A message delivered twice is filed once;
an SQS batch is filed in one write."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.event_feed import file_events

from ._sqs import consume_together


def _ent_code(record: SQSRecord) -> str:
    # Lambda spells message attributes "stringValue"; the local runner passes SQS's "StringValue"
    attribute = (record.raw_event.get("messageAttributes") or {}).get("ent_code") or {}
    return attribute.get("stringValue") or attribute.get("StringValue") or ""


def _body(record: SQSRecord) -> dict:
    try:
        body = json.loads(record.body)
    except (TypeError, ValueError):
        return {}  # no event: file_events refuses it, and that record fails alone
    return body if isinstance(body, dict) else {}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    return consume_together(
        event,
        context,
        lambda records: file_events([(_body(r), _ent_code(r)) for r in records], ctx.event_feed, ctx.clock),
        "event_feed",
    )
