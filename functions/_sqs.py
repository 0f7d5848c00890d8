"""What the SQS consumers share: one BatchProcessor per function, partial batch failures reported."""

from __future__ import annotations

import json
from collections import Counter
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
        _processed(metric_prefix, outcome)

    return _partial_response(event, context, record_handler)


def consume_together(
    event: dict, context: Any, handle_all: Callable[[list[SQSRecord]], list[str | Exception]], metric_prefix: str
) -> dict:
    """Handle the whole batch at once (one write for all its records), then report each record's own
    outcome: a record whose outcome is an error goes back to the queue alone; when `handle_all`
    itself fails, every record does."""
    records = [SQSRecord(r) for r in event.get("Records", [])]
    try:
        outcomes = handle_all(records)
    except Exception as exc:  # noqa: BLE001 - the store failed: nothing was acknowledged
        outcomes = [exc] * len(records)
    by_id = {r.message_id: o for r, o in zip(records, outcomes, strict=True)}

    def record_handler(record: SQSRecord) -> None:
        outcome = by_id[record.message_id]
        if isinstance(outcome, Exception):
            raise outcome
        _processed(metric_prefix, outcome, message_id=record.message_id)

    return _partial_response(event, context, record_handler)


def finish(run: Any, metric_prefix: str) -> None:
    """Commit the steps the invocation staged (services.engine.Invocation.finish); a step another
    writer got in first is not sent on: it is logged and counted as lost. A failed commit raises,
    and Lambda returns the whole batch to the queue."""
    for seq_no in sorted(run.finish()):
        _processed(metric_prefix, "lost", seq_no=seq_no)
    _count_outcomes()


# This invocation's outcomes, added to the metrics as one value per outcome when its records are done:
# a value per record made a 100-record batch a 100-value EMF line (Powertools flushes at 100 values).
_outcomes: Counter[str] = Counter()


def _processed(metric_prefix: str, outcome: str, **keys: str) -> None:
    logger.info("processed", extra={"outcome": outcome, **keys})
    _outcomes[f"{metric_prefix}_{outcome}"] += 1


def _count_outcomes() -> None:
    for name, n in sorted(_outcomes.items()):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=n)
    _outcomes.clear()


def _partial_response(event: dict, context: Any, record_handler: Callable[[SQSRecord], None]) -> dict:
    _outcomes.clear()  # nothing of an earlier invocation that died on the way
    try:
        return dict(
            process_partial_response(
                event=event,
                record_handler=record_handler,  # a TypedDict: plain dict for Lambda
                processor=BatchProcessor(event_type=EventType.SQS),
                context=context,
            )
        )
    finally:
        _count_outcomes()


def messages(event: dict) -> list[dict]:
    """The JSON bodies of an SQS event's records (unreadable ones are left to the record handler)."""
    found = []
    for record in event.get("Records", []):
        try:
            found.append(json.loads(record["body"]))
        except (KeyError, TypeError, ValueError):
            continue
    return found
