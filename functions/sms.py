"""SMS function (SQS): one mainland SMS per message through the provider (SmsProvider=aliyun): once
per declaration and state, held through quiet hours and flow control, failures retried with
back-off, every attempt recorded in the delivery log."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.domain.delivery_retries import backoff_schedule
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.notifications import deliver_sms

from ._sqs import consume


def _deliver(message: dict) -> str:
    ctx = container()
    return deliver_sms(
        message,
        ctx.subscriptions,
        ctx.deliveries,
        ctx.push_store,
        ctx.sms_sender,
        ctx.send_sms,
        ctx.sms_policy,
        backoff_schedule,
        ctx.clock,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    container().sms_sender  # noqa: B018 - read and check the provider's keys at cold start, not mid-batch
    return consume(event, context, _deliver, "sms")
