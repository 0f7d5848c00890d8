"""Webhook delivery: retried with back-off (even past SQS's 15-minute delay), recorded, given up."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.adapters.webhook_sender import DeliveryAttempt
from chalicelib.domain.delivery_retries import backoff_schedule
from chalicelib.domain.subscriptions import Subscription
from chalicelib.services.notifications import deliver, fan_out
from tests.factories import FixedClock

EVENT = {
    "event_id": "e1",
    "event_type": "smart_status_changed",
    "occurred_at": "2024-03-21T03:07:21.000Z",
    "seq_no": "I20240001031824871",
    "ie_flag": "I",
    "data": {"smart_status": "succeeded"},
}


class Subs:
    def __init__(self, *subs):
        self.items = {s.subscription_id: s for s in subs}

    def get(self, ent_code, subscription_id):
        s = self.items.get(subscription_id)
        return s if s and s.ent_code == ent_code else None

    def list(self, ent_code):
        return [s for s in self.items.values() if s.ent_code == ent_code]


class Log:
    def __init__(self):
        self.records = []

    def record(self, subscription_id, event, status, attempt, now):
        self.records.append((subscription_id, status))


class Sender:
    def __init__(self, codes):
        self.codes = list(codes)

    def deliver(self, url, secret, event):
        code = self.codes.pop(0)
        return DeliveryAttempt(event.event_id, url, datetime.now(UTC), code, 3, None if code else "timeout")


class Outbox:
    def __init__(self):
        self.sent = []

    def __call__(self, messages, delay_seconds=0):
        self.sent.extend((m, delay_seconds) for m in messages)


def webhook(sub_id="s1", ent="1108919038", event_types=()):
    content = {"protocol": "webhook", "endpoint": "https://erp.example.com/h", "event_types": list(event_types)}
    return Subscription.stored(sub_id, ent, content, "k" * 64, datetime(2024, 1, 1, tzinfo=UTC), "card")


def message(attempt=1, **extra):
    return {"subscription_id": "s1", "ent_code": "1108919038", "event": EVENT, "attempt": attempt, **extra}


def test_a_successful_delivery_is_recorded_delivered():
    log, out = Log(), Outbox()
    assert deliver(message(), Subs(webhook()), log, Sender([204]), out, backoff_schedule, FixedClock()) == "delivered"
    assert log.records == [("s1", "delivered")] and out.sent == []


def test_a_failed_delivery_is_retried_after_the_back_off():
    log, out, clock = Log(), Outbox(), FixedClock()
    assert deliver(message(), Subs(webhook()), log, Sender([500]), out, backoff_schedule, clock) == "retrying"
    [(retry, delay)] = out.sent
    assert (retry["attempt"], delay) == (2, 10) and log.records == [("s1", "pending")]


def test_a_back_off_longer_than_sqs_can_delay_hops_until_due():
    log, out, clock = Log(), Outbox(), FixedClock()
    deliver(message(attempt=4), Subs(webhook()), log, Sender([None]), out, backoff_schedule, clock)
    [(retry, delay)] = out.sent
    assert delay == 900 and retry["not_before"] == clock().timestamp() + 1800
    clock.advance(seconds=900)
    out.sent.clear()
    assert deliver(retry, Subs(webhook()), log, Sender([]), out, backoff_schedule, clock) == "waiting"
    assert out.sent[0][1] == 900
    clock.advance(seconds=901)
    assert deliver(retry, Subs(webhook()), log, Sender([200]), out, backoff_schedule, clock) == "delivered"


def test_delivery_gives_up_after_the_last_attempt():
    log = Log()
    assert (
        deliver(message(attempt=6), Subs(webhook()), log, Sender([503]), Outbox(), backoff_schedule, FixedClock())
        == "failed"
    )
    assert log.records == [("s1", "failed")]


def test_an_unsubscribed_webhook_is_dropped():
    assert deliver(message(), Subs(), Log(), Sender([]), Outbox(), backoff_schedule, FixedClock()) == "dropped"


def test_fan_out_reaches_only_the_enterprises_webhooks_that_want_the_event():
    out = Outbox()
    subs = Subs(webhook("s1"), webhook("s2", event_types=["customs_receipt"]), webhook("s3", ent="3101234567"))
    assert fan_out(EVENT, "1108919038", subs, out) == 1
    assert [m["subscription_id"] for m, _ in out.sent] == ["s1"]


def test_the_subscription_cache_reads_once_per_enterprise_until_it_expires():
    from chalicelib.adapters.subscription_repository import CachedSubscriptionReader

    class Counting(Subs):
        calls = 0

        def list(self, ent_code):
            Counting.calls += 1
            return super().list(ent_code)

    now = [0.0]
    reader = CachedSubscriptionReader(Counting(webhook()), ttl_seconds=30, clock=lambda: now[0])
    assert len(reader.list("1108919038")) == 1 and len(reader.list("1108919038")) == 1
    assert Counting.calls == 1
    now[0] = 31
    reader.list("1108919038")
    assert Counting.calls == 2


def test_a_subscription_made_just_before_pressing_start_gets_the_first_batchs_events():
    # the walkthroughs subscribe, import, mark and start within seconds: a 30 s view of the
    # subscriptions, read for an earlier event, dropped the first batch's webhooks and SMS
    from chalicelib.config import Settings

    assert Settings.from_env({"SMARTDECL_JWT_SECRET": "x" * 32}).subscription_cache_seconds <= 2
