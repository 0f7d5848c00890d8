"""Validation function (SQS): the gates on each claimed declaration."""
from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.validate_declaration import validate_declaration

from ._sqs import consume


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    return consume(event, context, lambda m: validate_declaration(m, ctx.engine, ctx.logistics), "validation")
