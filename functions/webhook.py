"""Webhook function (SQS): one signed delivery per message; failures retried with back-off, every
attempt recorded in the delivery log."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.domain.delivery_retries import backoff_schedule
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.notifications import deliver

from ._sqs import consume


def _deliver(message: dict) -> str:
    ctx = container()
    return deliver(
        message, ctx.subscriptions, ctx.deliveries, ctx.webhook_sender, ctx.send_delivery, backoff_schedule, ctx.clock
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(event, context, _deliver, "webhook")
