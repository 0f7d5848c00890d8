"""Use cases of the push side: fan an event out to the enterprise's webhooks, and deliver one
webhook message, retrying with back-off and recording every attempt.

E-mail and SMS are delivered by SNS itself (subscriptions with a filter policy on ent_code);
webhooks need our signature headers, which SNS cannot add, so they go through here.
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain.events import Event

from .ports import Clock, DeliveryLog, SubscriptionRepository

MAX_SQS_DELAY = 900


def fan_out(body: dict[str, Any], ent_code: str, repo: SubscriptionRepository, send_delivery: Any) -> int:
    """One event (as published, addressed to `ent_code`) → one delivery message per webhook that wants it."""
    event = Event.from_json(body, ent_code)
    targets = [s for s in repo.list(ent_code) if s.protocol == "webhook" and s.wants(event)]
    if targets:
        send_delivery([{"subscription_id": s.subscription_id, "ent_code": ent_code, "event": body, "attempt": 1}
                       for s in targets])
    return len(targets)


def deliver(message: dict[str, Any], repo: SubscriptionRepository, log: DeliveryLog, sender: Any,
            send_delivery: Any, backoff: Any, clock: Clock) -> str:
    """Returns delivered | retrying | failed | dropped | waiting."""
    now = clock()
    not_before = message.get("not_before")
    if not_before and now.timestamp() < float(not_before):  # a back-off longer than SQS can delay: hop on
        send_delivery([message], delay_seconds=min(int(float(not_before) - now.timestamp()) + 1, MAX_SQS_DELAY))
        return "waiting"
    subscription = repo.get(message["ent_code"], message["subscription_id"])
    if subscription is None:
        return "dropped"  # unsubscribed meanwhile
    event = Event.from_json(message["event"], message["ent_code"])
    attempt = sender.deliver(subscription.content.endpoint, subscription.secret, event)
    number = int(message.get("attempt", 1))
    if attempt.ok:
        log.record(subscription.subscription_id, message["event"], "delivered", attempt.as_json(), clock())
        return "delivered"
    wait = None if attempt.refused else backoff(number)
    if wait is None:
        log.record(subscription.subscription_id, message["event"], "failed", attempt.as_json(), clock())
        return "failed"
    log.record(subscription.subscription_id, message["event"], "pending", attempt.as_json(), clock())
    send_delivery([{**message, "attempt": number + 1, "not_before": now.timestamp() + wait}],
                  delay_seconds=min(wait, MAX_SQS_DELAY))
    return "retrying"
