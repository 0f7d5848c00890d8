"""Notification function (SQS, subscribed to the events topic): fan each event out to the
enterprise's webhooks, mainland SMS (SmsProvider other than sns) and e-mail digests. Immediate
e-mail (and SMS where SNS sends SMS) is delivered by SNS itself."""

from __future__ import annotations

import json

from chalicelib.container import container
from chalicelib.observability import logger, metrics, tracer
from chalicelib.services.notifications import fan_out

from ._sqs import consume


def _fan_out(record_body: dict) -> str:
    ctx = container()
    n = fan_out(
        record_body["event"],
        record_body["ent_code"],
        ctx.subscription_reader,
        ctx.send_delivery,
        send_sms=ctx.send_sms if ctx.settings.sms_provider != "sns" else None,
        digest_store=ctx.push_store,
        clock=ctx.clock,
    )
    return f"webhooks_{min(n, 1)}"


def _unwrap(event: dict) -> dict:
    # raw SNS delivery: the body is the event, the enterprise comes as a message attribute
    for record in event.get("Records", []):
        attribute = (record.get("messageAttributes") or {}).get("ent_code") or {}
        ent_code = attribute.get("stringValue") or attribute.get("StringValue")
        record["body"] = json.dumps({"event": json.loads(record["body"]), "ent_code": ent_code})
    return event


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(_unwrap(event), context, _fan_out, "notify")
