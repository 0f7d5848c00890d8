"""Schedule function (EventBridge, every minute): the safety net of the engine."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.batches import run_schedule
from chalicelib.services.exchange_channel import watch_channels


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    result = run_schedule(ctx.engine)
    result |= watch_channels(ctx.exchange)  # silent agents, sends to the Single Window client left unanswered
    logger.info("schedule ran", extra=result)
    return result
