"""Messages in order: a subscriber never gets an older state of a declaration after a newer one. A
late one is dropped and the delivery log says so (on fakes: SMS through the mainland provider's
path, webhooks when given the push store)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.sms_provider import StandInSmsSender
from chalicelib.domain import messages
from chalicelib.domain.delivery_retries import backoff_schedule
from chalicelib.domain.events import Event
from chalicelib.domain.sms import RateLimits
from chalicelib.domain.subscriptions import Subscription
from chalicelib.services.notifications import SmsPolicy, deliver, deliver_sms
from tests.factories import FixedClock
from tests.fakes import FakeDeliveryLog, FakePushStore, FakeSubscriptions, RecordingQueue

ENT = "1108919038"
SEQ_NO = "I20240001031824871"
T0 = datetime(2024, 3, 21, 2, 0, tzinfo=UTC)
POLICY = SmsPolicy(
    sign_name="智能申报",
    templates={kind: f"SMS_{i}" for i, kind in enumerate(messages.SMS_KINDS)},
    rate_limits=RateLimits(100, 100, 100),  # flow control is not what these tests are about
)


def event_body(event_id: str, minutes: int, event_type: str = "customs_receipt", **data) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        "seq_no": SEQ_NO,
        "ie_flag": "I",
        "data": {"bill_no": "MSKU1234567", "goods_name": "笔记本电脑", "entry_id": "010120241000012345", **data},
    }


ACCEPTED = event_body("L", 10, channel="L", channel_label="海关入库成功", smart_status="succeeded")
RELEASED = event_body("P", 5, channel="P", channel_label="放行", smart_status="succeeded")  # applied first
DECLARED = event_body("ok", 1, "smart_status_changed", smart_status="succeeded")
INSPECTED = event_body("C", 12, channel="C", channel_label="查验通知", smart_status="succeeded")


class Phone:
    """One SMS subscriber and what its phone got."""

    def __init__(self, tmp_path) -> None:
        sub = Subscription.stored(
            "s1", ENT, {"protocol": "sms", "endpoint": "+8613800138000"}, None, datetime(2024, 1, 1, tzinfo=UTC), "card"
        )
        self.subs, self.log, self.store = FakeSubscriptions(sub), FakeDeliveryLog(), FakePushStore()
        self.sender, self.outbox = StandInSmsSender(tmp_path), tmp_path / "sms"

    def deliver(self, body: dict, attempt: int = 1) -> str:
        message = {"subscription_id": "s1", "ent_code": ENT, "event": body, "attempt": attempt}
        return deliver_sms(
            message, self.subs, self.log, self.store, self.sender, RecordingQueue(), POLICY, backoff_schedule,
            FixedClock(T0 + timedelta(hours=1)),
        )  # fmt: skip

    def received(self) -> list[str]:
        calls = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.outbox.glob("*.json"))]
        return [json.loads(c["TemplateParam"]).get("receipt") or c["TemplateCode"] for c in calls]


def test_a_receipt_applied_late_is_not_texted_after_the_newer_one(tmp_path):
    # Given the 放行 SMS sent, When the 入库成功 receipt (applied later, out of customs' order) comes
    phone = Phone(tmp_path)
    assert phone.deliver(RELEASED) == "delivered"
    assert phone.deliver(ACCEPTED) == "stale"
    # Then the phone got 放行 only, and the delivery log says why the other was not sent
    assert phone.received() == ["放行"]
    [(status, attempt)] = [(status, attempt) for _, event_id, status, attempt in phone.log.records if event_id == "L"]
    assert status == "stale" and attempt["error"] == messages.STALE_NOTE


def test_a_declared_sms_delayed_past_a_receipt_is_dropped(tmp_path):
    phone = Phone(tmp_path)
    assert phone.deliver(ACCEPTED) == "delivered"
    assert phone.deliver(DECLARED) == "stale"


def test_states_in_their_order_are_all_sent(tmp_path):
    phone = Phone(tmp_path)
    assert [phone.deliver(b) for b in (DECLARED, ACCEPTED, INSPECTED)] == ["delivered"] * 3


def test_a_retry_of_the_same_message_keeps_its_place(tmp_path):
    # Given an SMS whose first try failed at the provider after it took its place
    phone = Phone(tmp_path)
    phone.sender = StandInSmsSender(tmp_path, answers=["isp.SYSTEM_ERROR"])
    assert phone.deliver(RELEASED) == "retrying"
    # Then its retry is not taken for a stale message
    phone.sender = StandInSmsSender(tmp_path)
    assert phone.deliver(RELEASED, attempt=2) == "delivered"


def test_another_declaration_or_subscriber_has_an_order_of_its_own():
    store = FakePushStore()
    at, rank = messages.order_of(Event.from_json(RELEASED, ENT))
    assert store.claim_order("s1", SEQ_NO, at, rank, T0)
    older_at, older_rank = messages.order_of(Event.from_json(ACCEPTED, ENT))
    assert not store.claim_order("s1", SEQ_NO, older_at, older_rank, T0)
    assert store.claim_order("s2", SEQ_NO, older_at, older_rank, T0)
    assert store.claim_order("s1", "I20240001031824872", older_at, older_rank, T0)


@pytest.mark.parametrize(
    "body,rank",
    [(RELEASED, 4), (ACCEPTED, 2), (INSPECTED, None), (DECLARED, 1)],
)
def test_an_events_order_is_its_time_and_the_status_it_leads_to(body, rank):
    at, got = messages.order_of(Event.from_json(body, ENT))
    assert got == rank and at.endswith("+08:00")


class Hook:
    def __init__(self) -> None:
        self.got: list[str] = []

    def deliver(self, endpoint, secret, event):
        self.got.append(event.event_id)

        class Ok:
            ok, refused = True, False

            def as_json(self):
                return {"status_code": 204}

        return Ok()


def test_a_webhook_given_the_push_store_drops_a_stale_event_and_logs_it():
    sub = Subscription.stored(
        "w1", ENT, {"protocol": "webhook", "endpoint": "https://erp.example.cn/hook"}, "s3cret",
        datetime(2024, 1, 1, tzinfo=UTC), "card",
    )  # fmt: skip
    subs, log, store, hook = FakeSubscriptions(sub), FakeDeliveryLog(), FakePushStore(), Hook()

    def send(body):
        message = {"subscription_id": "w1", "ent_code": ENT, "event": body, "attempt": 1}
        return deliver(message, subs, log, hook, RecordingQueue(), backoff_schedule, FixedClock(T0), order=store)

    assert [send(RELEASED), send(ACCEPTED)] == ["delivered", "stale"]
    assert hook.got == ["P"] and [status for _, _, status, _ in log.records] == ["delivered", "stale"]
