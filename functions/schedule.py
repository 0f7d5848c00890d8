"""Schedule function (EventBridge, every minute): the safety net of the engine."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.batches import run_schedule


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    result = run_schedule(container().engine)
    logger.info("schedule ran", extra=result)
    return result
