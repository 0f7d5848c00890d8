"""Submission function (SQS): declare to customs, exactly once in effect.

Exactly once without an idempotency record (issue #10 item 4): the invocation first takes a
sending lease on each of its declarations in one conditional write (services/submit_declaration.py:
holds_lease). Of two deliveries of one message running at once only one holds the lease and asks
customs; a redelivery after the first ended finds the declaration moved on (the state machine); a
crash between customs' answer and our write is covered by the customs lookup by ClientSeqNo.
tests/unit/test_submission_lease.py proves each case.
"""

from __future__ import annotations

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.engine import Invocation
from chalicelib.services.submit_declaration import submit_declaration

from ._sqs import consume, finish, messages


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    ctx = container()
    run = Invocation.start(ctx.engine, messages(event))
    try:
        return consume(event, context, lambda m: submit_declaration(m, ctx.engine, ctx.customs, run), "submission")
    finally:
        finish(run, "submission")
