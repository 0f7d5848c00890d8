"""Record-prices function (DynamoDB stream of the declaration log, beside the publish function):
each declaration customs accepted adds its goods' unit prices to its enterprise's price history,
which the advisory gate's price_outlier compares with (services/price_advisories.py).

The same filter as the publish function (log items that carry events: the events are stored
compressed, so no filter can look inside them); a record whose events say no declaration succeeded
costs no request. Each record is its own item of Powertools' batch processing: a failed one is
reported and retried from, and recording it again writes the same items. A record that never gets
through is given up after the mapping's retries: a price history a sample thinner, nothing else."""

from __future__ import annotations

import json

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.adapters.packing import text_of
from chalicelib.container import container
from chalicelib.domain.events import event_from_record
from chalicelib.observability import logger, metrics, tracer


def _events(record: DynamoDBRecord) -> list:
    raw = ((record.raw_event.get("dynamodb") or {}).get("NewImage") or {}).get("events")
    return [event_from_record(e) for e in json.loads(text_of(raw))] if raw else []


def _record_handler(record: DynamoDBRecord) -> None:
    # imported at the first record: the declaration's models (pydantic) are not the import's cost
    from chalicelib.services.price_advisories import declared_seq_nos, record_declared

    ctx = container()
    for seq_no in declared_seq_nos(_events(record)):
        recorded = record_declared(seq_no, ctx.declarations, ctx.price_history)
        logger.info("prices recorded", extra={"seq_no": seq_no, "prices": recorded})
        metrics.add_metric(name="prices_recorded", unit=MetricUnit.Count, value=recorded)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    inserted = [r for r in event.get("Records", []) if r.get("eventName") == "INSERT"]
    if not inserted:  # Powertools refuses an event without records
        return {"batchItemFailures": []}
    return dict(
        process_partial_response(
            event={"Records": inserted},
            record_handler=_record_handler,
            processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
            context=context,
        )
    )
