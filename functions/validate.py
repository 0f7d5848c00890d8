"""Validation function (SQS): the gates on each claimed declaration.

One invocation reads its declarations in one BatchGetItem and each config once, commits its steps
together when it finishes, sends the passed ones to submission in one SendMessageBatch and counts
outcomes once per batch. If that commit fails, the handler raises and the whole batch returns."""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.engine import Invocation
from chalicelib.services.validate_declaration import validate_declaration

from ._sqs import consume, finish, messages


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    run = Invocation.start(ctx.engine, messages(event))
    try:
        return consume(event, context, lambda m: validate_declaration(m, ctx.engine, ctx.logistics, run), "validation")
    finally:
        finish(run, "validation")
