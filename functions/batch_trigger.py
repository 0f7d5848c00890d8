"""Batch function (SQS, delayed messages): start an execution's next batch when its wait is over."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.batches import start_batch

from ._sqs import consume


def _start(message: dict) -> str:
    batch = start_batch(container().engine, message["execution_id"], int(message["after_index"]))
    return "started" if batch else "not_due"


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(event, context, _start, "batch")
