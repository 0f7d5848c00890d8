"""Use cases of the push side: fan an event out to the enterprise's webhooks, mainland SMS and
e-mail digests; deliver one webhook or one SMS, retrying with back-off and recording every attempt;
send the e-mail digests that are due.

Immediate e-mail (and SMS where SNS sends SMS) is delivered by SNS itself (subscriptions with a
filter policy on ent_code and the subscriber's choices). Webhooks need our signature headers,
mainland SMS a provider's template, digests a window: those go through here, where the same
choices are applied (`Subscription.wants`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain import digests, messages
from chalicelib.domain.events import Event
from chalicelib.domain.sms import (
    RateLimits,
    SmsParameterRefused,
    SmsRequest,
    dedupe_key,
    fit_parameters,
    mainland_number,
    throttle_wait,
)

from .ports import Clock, DeliveryLog, SubscriptionRepository

MAX_SQS_DELAY = 900


def fan_out(
    body: dict[str, Any],
    ent_code: str,
    repo: SubscriptionRepository,
    send_delivery: Any,
    *,
    send_sms: Any = None,
    digest_store: Any = None,
    clock: Clock | None = None,
) -> int:
    """One event (as published, addressed to `ent_code`) → one delivery message per webhook that wants
    it, one SMS message per SMS subscription (when `send_sms`: a mainland provider), one digest entry
    per e-mail digest subscription. Returns how many subscriptions it reached."""
    event = Event.from_json(body, ent_code)
    wanting = [s for s in repo.list(ent_code) if s.wants(event)]
    webhooks = [s for s in wanting if s.protocol == "webhook"]
    texts = [s for s in wanting if s.protocol == "sms"] if send_sms is not None else []
    digest_subs = [s for s in wanting if s.protocol == "email" and s.digest] if digest_store else []
    if webhooks:
        send_delivery([_message(s, ent_code, body) for s in webhooks])
    if texts:
        send_sms([_message(s, ent_code, body) for s in texts])
    for s in digest_subs:
        assert s.digest is not None  # digest_subs holds digest subscriptions only
        window = digests.window_of(event.occurred_at, s.digest)
        digest_store.add_to_digest(s.subscription_id, ent_code, window.key, window.due_hour, body, (clock or _now)())
    return len(webhooks) + len(texts) + len(digest_subs)


def _message(subscription: Any, ent_code: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"subscription_id": subscription.subscription_id, "ent_code": ent_code, "event": body, "attempt": 1}


def _now() -> datetime:
    from .ports import utc_now

    return utc_now()


def deliver(
    message: dict[str, Any],
    repo: SubscriptionRepository,
    log: DeliveryLog,
    sender: Any,
    send_delivery: Any,
    backoff: Any,
    clock: Clock,
    order: Any = None,
) -> str:
    """Returns delivered | retrying | failed | dropped | waiting | stale. With `order` (the push
    store), a delivery older than one already made for the same declaration is dropped (stale)."""
    now = clock()
    not_before = message.get("not_before")
    if not_before and now.timestamp() < float(not_before):  # a back-off longer than SQS can delay: hop on
        send_delivery([message], delay_seconds=min(int(float(not_before) - now.timestamp()) + 1, MAX_SQS_DELAY))
        return "waiting"
    subscription = repo.get(message["ent_code"], message["subscription_id"])
    if subscription is None:
        return "dropped"  # unsubscribed meanwhile
    event = Event.from_json(message["event"], message["ent_code"])
    if order is not None and not _in_order(order, subscription.subscription_id, event, log, message["event"], now):
        return "stale"
    attempt = sender.deliver(subscription.endpoint, subscription.secret, event)
    number = int(message.get("attempt", 1))
    if attempt.ok:
        log.record(subscription.subscription_id, message["event"], "delivered", attempt.as_json(), clock())
        return "delivered"
    wait = None if attempt.refused else backoff(number)
    if wait is None:
        log.record(subscription.subscription_id, message["event"], "failed", attempt.as_json(), clock())
        return "failed"
    log.record(subscription.subscription_id, message["event"], "pending", attempt.as_json(), clock())
    send_delivery(
        [{**message, "attempt": number + 1, "not_before": now.timestamp() + wait}],
        delay_seconds=min(wait, MAX_SQS_DELAY),
    )
    return "retrying"


# ---- SMS through a mainland provider ------------------------------------------------------------------


@dataclass(frozen=True)
class SmsPolicy:
    """What the provider was approved for, and how often one number may be sent to."""

    sign_name: str
    templates: dict[str, str]  # message kind → template code
    rate_limits: RateLimits = field(default_factory=RateLimits)


def deliver_sms(
    message: dict[str, Any],
    repo: SubscriptionRepository,
    log: DeliveryLog,
    store: Any,
    sender: Any,
    send_sms: Any,
    policy: SmsPolicy,
    backoff: Any,
    clock: Clock,
) -> str:
    """One SMS: once per subscription, declaration and state; held through quiet hours and the
    provider's flow control (never dropped for them); failures retried with back-off, every attempt
    recorded; never an older state after a newer one (dropped as stale, and logged). Returns delivered |
    duplicate | held | throttled | retrying | failed | dropped | waiting | stale."""
    now = clock()
    not_before = message.get("not_before")
    if not_before and now.timestamp() < float(not_before):
        send_sms([message], delay_seconds=min(int(float(not_before) - now.timestamp()) + 1, MAX_SQS_DELAY))
        return "waiting"
    subscription = repo.get(message["ent_code"], message["subscription_id"])
    if subscription is None:
        return "dropped"  # unsubscribed meanwhile
    event = Event.from_json(message["event"], message["ent_code"])
    key = dedupe_key(subscription.subscription_id, event.seq_no, messages.state_of(event))
    if not message.get("claimed") and not store.claim_sms(key, event.event_id, now):
        return "duplicate"  # this declaration's state was already texted (or is being texted)
    held = {**message, "claimed": True}
    not_now = _not_now(subscription, event, held, log, store, send_sms, policy, now)
    if not_now is not None:
        return not_now
    phone = mainland_number(subscription.endpoint)
    kind, code, parameters, problem = _sms_template(event, policy)
    if not code:
        log.record(
            subscription.subscription_id, message["event"], "failed", {"at": now.isoformat(), "error": problem}, now
        )
        store.release_sms(key, event.event_id)
        return "failed"

    result = sender.send(SmsRequest(phone, policy.sign_name, code, parameters))
    attempt = {**result.as_json(), "template_code": code, "kind": kind}
    if result.ok:
        store.sms_sent(key)
        log.record(subscription.subscription_id, message["event"], "delivered", attempt, clock())
        return "delivered"
    if result.throttled:  # the provider's flow control: later, never dropped, not an attempt
        throttles = int(message.get("throttled", 0)) + 1
        _later(send_sms, {**held, "throttled": throttles}, now.timestamp() + throttle_wait(throttles), now)
        log.record(subscription.subscription_id, message["event"], "pending", attempt, clock())
        return "throttled"
    number = int(message.get("attempt", 1))
    wait = None if result.refused else backoff(number)
    if wait is None:
        log.record(subscription.subscription_id, message["event"], "failed", attempt, clock())
        store.release_sms(key, event.event_id)
        return "failed"
    log.record(subscription.subscription_id, message["event"], "pending", attempt, clock())
    _later(send_sms, {**held, "attempt": number + 1}, now.timestamp() + wait, now)
    return "retrying"


def _not_now(
    subscription: Any,
    event: Event,
    held: dict,
    log: DeliveryLog,
    store: Any,
    send_sms: Any,
    policy: SmsPolicy,
    now: datetime,
) -> str | None:
    """held (quiet hours) | throttled (the number's flow control): sent later; stale: never; None: now."""
    quiet = subscription.quiet_hours
    until = quiet.until(now) if quiet else None
    if until is not None:
        _later(send_sms, held, until.timestamp(), now)
        log.record(subscription.subscription_id, held["event"], "held", None, now)
        return "held"
    retry_at = store.take_rate(mainland_number(subscription.endpoint), policy.rate_limits, now)
    if retry_at is not None:
        _later(send_sms, held, retry_at.timestamp(), now)
        return "throttled"
    if not _in_order(store, subscription.subscription_id, event, log, held["event"], now):
        return "stale"  # its state claim stays: this state is not sent later either
    return None


def _in_order(store: Any, subscription_id: str, event: Event, log: DeliveryLog, body: dict, now: datetime) -> bool:
    """Claim this event's place in its declaration's order for the subscriber, just before it is
    sent (domain/messages.order_of); False, logged as stale, when a newer one went first. The same
    event again (a retry) keeps its place."""
    at, rank = messages.order_of(event)
    if store.claim_order(subscription_id, event.seq_no, at, rank, now):
        return True
    log.record(subscription_id, body, "stale", {"at": now.isoformat(), "error": messages.STALE_NOTE}, now)
    return False


def _sms_template(event: Event, policy: SmsPolicy) -> tuple[str, str | None, Any, str]:
    """(kind, template code, parameters, why not) of the event's SMS; no code when it cannot be sent."""
    kind = messages.kind_of(event)
    try:
        parameters = fit_parameters(kind, messages.sms_values(event))
    except SmsParameterRefused as exc:
        return kind, None, None, str(exc)
    return (
        kind,
        policy.templates.get(kind),
        parameters,
        f"no template code for message kind {kind!r} (SmsTemplate parameters)",
    )


def _later(send: Any, message: dict[str, Any], at: float, now: datetime) -> None:
    wait = max(1, int(at - now.timestamp()))
    send([{**message, "not_before": at}], delay_seconds=min(wait, MAX_SQS_DELAY))


# ---- e-mail digests ----------------------------------------------------------------------------------


def send_digests(
    repo: SubscriptionRepository, store: Any, send_digest: Any, clock: Clock, console_url: str | None = None
) -> int:
    """Send every digest due by now (and a few hours back, for a missed run): one mail per
    subscription and window, listing each change in time order. Returns how many were sent."""
    sent = 0
    for hour in digests.due_hours(clock()):
        for subscription_id, window, ent_code in store.due_digests(hour):
            if not store.claim_digest(hour, subscription_id, window):
                continue  # another run took it
            subscription = repo.get(ent_code, subscription_id)
            if subscription is None:
                continue  # unsubscribed meanwhile
            events = [Event.from_json(body, ent_code) for body in store.digest_events(subscription_id, window)]
            if not events:
                continue
            label_zh, label_en = digests.label_of(window)
            subject, text = messages.digest_text(events, label_zh, label_en, console_url)
            try:
                send_digest(subscription_id, subject, text)
            except Exception:
                store.unclaim_digest(hour, subscription_id, window)  # the next run tries again
                raise
            sent += 1
    return sent
