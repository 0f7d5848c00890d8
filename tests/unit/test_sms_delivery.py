"""Mainland SMS through our fan-out: the provider gets the template code and parameters it expects,
one SMS per declaration and state, quiet hours, the provider's flow control, retries recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.adapters.sms_provider import StandInSmsSender
from chalicelib.domain import messages
from chalicelib.domain.delivery_retries import backoff_schedule
from chalicelib.domain.sms import RateLimits
from chalicelib.domain.subscriptions import Subscription
from chalicelib.services.notifications import SmsPolicy, deliver_sms, fan_out
from tests.factories import FixedClock
from tests.fakes import FakeDeliveryLog, FakePushStore, FakeSubscriptions, RecordingQueue

ENT = "1108919038"
SEQ_NO = "I20240001031824871"
TEMPLATES = {kind: f"SMS_10000000{i}" for i, kind in enumerate(messages.SMS_KINDS)}
POLICY = SmsPolicy(sign_name="智能申报", templates=TEMPLATES, rate_limits=RateLimits(1, 5, 10))
CN = timezone(timedelta(hours=8))


def body(event_id="e1", smart_status="failed", **data):
    return {
        "event_id": event_id,
        "event_type": "smart_status_changed",
        "occurred_at": "2024-03-21T02:00:00.000Z",
        "seq_no": SEQ_NO,
        "ie_flag": "I",
        "data": {
            "smart_status": smart_status,
            "reason_zh": "缺少代理报关委托协议，且未配置自动生成",
            "reason_en": "agency agreement missing",
            "bill_no": "MSKU1234567",
            "goods_name": "便携式自动数据处理设备",
            "consignee_name": "大恒企业",
            "config_id": "cfg1",
            **data,
        },
    }


def sms_sub(sub_id="s1", number="+8613800138000", **choices):
    content = {"protocol": "sms", "endpoint": number, **choices}
    return Subscription.stored(sub_id, ENT, content, None, datetime(2024, 1, 1, tzinfo=UTC), "card")


class World:
    def __init__(self, tmp_path, *subs, answers=None, now=datetime(2024, 3, 21, 2, 0, tzinfo=UTC)):
        self.subs = FakeSubscriptions(*(subs or (sms_sub(),)))
        self.log, self.store, self.queue = FakeDeliveryLog(), FakePushStore(), RecordingQueue()
        self.sender = StandInSmsSender(tmp_path, answers)
        self.outbox = tmp_path / "sms"
        self.clock = FixedClock(now)

    def deliver(self, message):
        return deliver_sms(
            message, self.subs, self.log, self.store, self.sender, self.queue, POLICY, backoff_schedule, self.clock
        )

    def calls(self):
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.outbox.glob("*.json"))]


def message(b=None, sub_id="s1", **extra):
    return {"subscription_id": sub_id, "ent_code": ENT, "event": b or body(), "attempt": 1, **extra}


def test_the_provider_gets_the_template_code_and_parameters_it_expects(tmp_path):
    world = World(tmp_path)

    assert world.deliver(message()) == "delivered"

    [call] = world.calls()
    assert call["Action"] == "SendSms" and call["PhoneNumbers"] == "13800138000" and call["SignName"] == "智能申报"
    assert call["TemplateCode"] == TEMPLATES["failed"]
    assert json.loads(call["TemplateParam"]) == {
        "ref": "提单MSKU1234567",
        "goods": "便携式自动数据处理设备",
        "reason": "缺少代理报关委托协议，且未配置自动生成",
        "step": "开启自动生成代理报关委托协议后点击继续",
        "link": messages.short_code(SEQ_NO),
    }
    assert world.log.records[-1][2] == "delivered" and world.log.records[-1][3]["template_code"] == TEMPLATES["failed"]


def test_parameters_beyond_the_provider_limits_are_fitted_before_sending(tmp_path):
    world = World(tmp_path)

    world.deliver(message(body(goods_name="【特价】" + "超长商品名称" * 10)))

    params = json.loads(world.calls()[0]["TemplateParam"])
    assert len(params["goods"]) == 20 and "【" not in params["goods"]


def test_a_message_delivered_twice_sends_one_sms(tmp_path):
    world = World(tmp_path)

    first, again = world.deliver(message()), world.deliver(message())

    assert (first, again) == ("delivered", "duplicate") and len(world.calls()) == 1


def test_another_event_of_the_same_declaration_and_state_sends_no_second_sms(tmp_path):
    world = World(tmp_path)

    world.deliver(message(body("e1")))
    outcome = world.deliver(message(body("e2")))

    assert outcome == "duplicate" and len(world.calls()) == 1


def test_a_new_state_of_the_same_declaration_is_texted_again(tmp_path):
    world = World(tmp_path)
    world.clock.advance(minutes=0)

    world.deliver(message(body("e1")))
    world.clock.advance(minutes=2)  # past the per-minute limit
    world.deliver(message(body("e2", smart_status="succeeded", entry_id="010120241000012345")))

    assert [c["TemplateCode"] for c in world.calls()] == [TEMPLATES["failed"], TEMPLATES["declared"]]


def test_a_redelivery_after_a_crash_between_claim_and_send_still_sends(tmp_path):
    world = World(tmp_path)
    world.store.claim_sms(f"sms#s1#{SEQ_NO}#failed", "e1", world.clock())  # the first try died here

    assert world.deliver(message()) == "delivered" and len(world.calls()) == 1


def test_quiet_hours_hold_the_sms_and_send_it_after(tmp_path):
    quiet = {"start": "22:00", "end": "08:00"}
    world = World(tmp_path, sms_sub(quiet_hours=quiet), now=datetime(2024, 3, 21, 23, 30, tzinfo=CN))

    assert world.deliver(message()) == "held" and world.calls() == []
    [held] = world.queue.take()
    assert held["not_before"] == datetime(2024, 3, 22, 8, 0, tzinfo=CN).timestamp() and held["claimed"]

    world.clock.now = datetime(2024, 3, 22, 8, 0, 5, tzinfo=CN)
    assert world.deliver(held) == "delivered" and len(world.calls()) == 1


def test_the_number_s_per_minute_limit_holds_the_next_sms_until_the_next_minute(tmp_path):
    world = World(tmp_path)
    other = {**body("e2"), "seq_no": "I20240001031824872"}

    world.deliver(message())
    outcome = world.deliver(message(other))

    assert outcome == "throttled" and len(world.calls()) == 1
    [later] = world.queue.take()
    assert later["not_before"] == datetime(2024, 3, 21, 2, 1, tzinfo=UTC).timestamp()
    world.clock.advance(minutes=1)
    assert world.deliver(later) == "delivered"


def test_a_provider_throttle_answer_is_retried_later_never_dropped(tmp_path):
    world = World(tmp_path, answers=["isv.BUSINESS_LIMIT_CONTROL"] * 3)
    msg = message()

    for expected_wait in (60, 300, 3600):
        assert world.deliver(msg) == "throttled"
        [msg] = world.queue.take()
        assert msg["not_before"] == world.clock().timestamp() + expected_wait
        world.clock.advance(seconds=expected_wait)
        world.store.rates.clear()  # our own windows are not under test here

    assert world.deliver(msg) == "delivered" and len(world.calls()) == 1


def test_a_failed_send_is_retried_with_back_off_and_recorded(tmp_path):
    world = World(tmp_path, answers=["ServiceUnavailable"])

    assert world.deliver(message()) == "retrying"

    [retry] = world.queue.take()
    assert retry["attempt"] == 2 and retry["claimed"] and world.log.records[-1][2] == "pending"
    world.clock.advance(seconds=11)
    world.store.rates.clear()
    assert world.deliver(retry) == "delivered"


def test_a_refused_number_gives_up_at_once_and_frees_the_state_for_a_later_event(tmp_path):
    world = World(tmp_path, answers=["isv.MOBILE_NUMBER_ILLEGAL"])

    assert world.deliver(message()) == "failed"

    assert world.log.records[-1][2] == "failed" and world.store.claims == {}


def test_a_kind_without_a_template_code_fails_visibly(tmp_path):
    world = World(tmp_path)
    policy = SmsPolicy(sign_name="智能申报", templates={})

    outcome = deliver_sms(
        message(), world.subs, world.log, world.store, world.sender, world.queue, policy, backoff_schedule, world.clock
    )

    assert outcome == "failed" and "SmsTemplate" in world.log.records[-1][3]["error"]


def test_an_unsubscribed_number_is_dropped(tmp_path):
    world = World(tmp_path)

    assert world.deliver(message(sub_id="gone")) == "dropped" and world.calls() == []


# ---- fan-out: the subscriber's choices are applied where we fan out --------------------------------


@pytest.mark.parametrize(
    "choices,reaches",
    [
        ({}, True),
        ({"states": ["failed", "released"]}, True),
        ({"states": ["released"]}, False),
        ({"config_ids": ["cfg1"]}, True),
        ({"config_ids": ["other"]}, False),
        ({"event_types": ["customs_receipt"]}, False),
    ],
)
def test_sms_fan_out_applies_the_subscriber_choices(choices, reaches):
    subs, webhooks, texts = FakeSubscriptions(sms_sub(**choices)), RecordingQueue(), RecordingQueue()

    fan_out(body(), ENT, subs, webhooks, send_sms=texts)

    assert bool(texts.take()) is reaches and webhooks.take() == []


def test_where_sns_sends_sms_our_fan_out_sends_none():
    texts = RecordingQueue()

    fan_out(body(), ENT, FakeSubscriptions(sms_sub()), RecordingQueue(), send_sms=None)

    assert texts.take() == []


def test_two_events_of_one_state_racing_send_one_sms(tmp_path):
    """Deterministic interleaving: the first delivery pauses right after its claim (before sending);
    the second, another event of the same declaration and state, runs in that gap."""
    world = World(tmp_path)
    outcomes = []

    class PausingStore(FakePushStore):
        def claim_sms(self, key, event_id, now):
            won = super().claim_sms(key, event_id, now)
            if event_id == "e1":  # the gap between e1's claim and its send
                outcomes.append(
                    deliver_sms(
                        message(body("e2")),
                        world.subs,
                        world.log,
                        self,
                        world.sender,
                        world.queue,
                        POLICY,
                        backoff_schedule,
                        world.clock,
                    )
                )
            return won

    world.store = PausingStore()
    outcomes.insert(0, world.deliver(message(body("e1"))))

    assert outcomes == ["delivered", "duplicate"] and len(world.calls()) == 1
