"""Digest function (EventBridge, hourly): sends each e-mail digest whose window closed (China time)."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.notifications import send_digests


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    sent = send_digests(ctx.subscriptions, ctx.push_store, ctx.digest_sender, ctx.clock, ctx.settings.console_url)
    logger.info("digests sent", extra={"sent": sent})
    return {"sent": sent}
