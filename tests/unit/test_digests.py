"""E-mail digests: events collected per subscription and window (China time), one mail per window,
sent once, never lost when sending fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain import digests
from chalicelib.domain.subscriptions import Subscription
from chalicelib.services.notifications import fan_out, send_digests
from tests.factories import FixedClock
from tests.fakes import FakePushStore, FakeSubscriptions, RecordingQueue

ENT = "1108919038"
CN = timezone(timedelta(hours=8))


def body(event_id, occurred_at, smart_status="failed", seq_no="I20240001031824871"):
    return {
        "event_id": event_id,
        "event_type": "smart_status_changed",
        "occurred_at": occurred_at,
        "seq_no": seq_no,
        "ie_flag": "I",
        "data": {"smart_status": smart_status, "bill_no": "MSKU1234567"},
    }


def digest_sub(mode="hourly", sub_id="d1", **choices):
    content = {"protocol": "email", "endpoint": "ops@example.com", "digest": mode, **choices}
    return Subscription.stored(sub_id, ENT, content, None, datetime(2024, 1, 1, tzinfo=UTC), "card")


class Mailer:
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def __call__(self, subscription_id, subject, text):
        if self.fail:
            raise RuntimeError("SNS down")
        self.sent.append((subscription_id, subject, text))


@pytest.mark.parametrize(
    "occurred,mode,key,due",
    [
        (datetime(2024, 3, 21, 2, 15, tzinfo=UTC), "hourly", "2024032110", "2024032111"),
        (datetime(2024, 3, 21, 15, 59, tzinfo=UTC), "hourly", "2024032123", "2024032200"),
        (datetime(2024, 3, 21, 16, 30, tzinfo=UTC), "daily", "20240322", "2024032308"),
    ],
)
def test_an_event_falls_in_its_china_time_window(occurred, mode, key, due):
    window = digests.window_of(occurred, mode)

    assert (window.key, window.due_hour) == (key, due)


def test_one_mail_lists_every_change_of_the_hour_and_only_after_the_hour():
    subs, store, mailer = FakeSubscriptions(digest_sub()), FakePushStore(), Mailer()
    for i, at in enumerate(("2024-03-21T02:05:00.000Z", "2024-03-21T02:40:00.000Z")):
        fan_out(body(f"e{i}", at, seq_no=f"I2024000103182487{i}"), ENT, subs, RecordingQueue(), digest_store=store)
    clock = FixedClock(datetime(2024, 3, 21, 10, 59, tzinfo=CN))

    assert send_digests(subs, store, mailer, clock) == 0  # the window is still open

    clock.now = datetime(2024, 3, 21, 11, 0, 30, tzinfo=CN)
    assert send_digests(subs, store, mailer, clock) == 1
    [(sub_id, subject, text)] = mailer.sent
    assert sub_id == "d1" and subject == "SmartDecl digest 2024-03-21 10:00-11:00 China time: 2 changes"
    assert text.count("申报失败") == 2 and "10:05" in text and "10:40" in text


def test_a_second_run_sends_no_digest_twice():
    subs, store, mailer = FakeSubscriptions(digest_sub()), FakePushStore(), Mailer()
    fan_out(body("e1", "2024-03-21T02:05:00.000Z"), ENT, subs, RecordingQueue(), digest_store=store)
    clock = FixedClock(datetime(2024, 3, 21, 11, 5, tzinfo=CN))

    send_digests(subs, store, mailer, clock)
    send_digests(subs, store, mailer, clock)

    assert len(mailer.sent) == 1


def test_the_same_event_published_twice_is_listed_once():
    subs, store, mailer = FakeSubscriptions(digest_sub()), FakePushStore(), Mailer()
    for _ in range(2):
        fan_out(body("e1", "2024-03-21T02:05:00.000Z"), ENT, subs, RecordingQueue(), digest_store=store)

    send_digests(subs, store, mailer, FixedClock(datetime(2024, 3, 21, 11, 5, tzinfo=CN)))

    assert "2 changes" not in mailer.sent[0][1] and "1 changes" in mailer.sent[0][1]


def test_a_digest_whose_mail_failed_is_sent_by_the_next_run():
    subs, store = FakeSubscriptions(digest_sub()), FakePushStore()
    fan_out(body("e1", "2024-03-21T02:05:00.000Z"), ENT, subs, RecordingQueue(), digest_store=store)
    clock = FixedClock(datetime(2024, 3, 21, 11, 5, tzinfo=CN))

    with pytest.raises(RuntimeError):
        send_digests(subs, store, Mailer(fail=True), clock)
    mailer = Mailer()
    clock.advance(hours=1)  # a run missed by an hour still catches up
    send_digests(subs, store, mailer, clock)

    assert len(mailer.sent) == 1


def test_a_daily_digest_goes_out_at_eight_the_next_morning():
    subs, store, mailer = FakeSubscriptions(digest_sub("daily")), FakePushStore(), Mailer()
    fan_out(body("e1", "2024-03-21T02:05:00.000Z"), ENT, subs, RecordingQueue(), digest_store=store)

    send_digests(subs, store, mailer, FixedClock(datetime(2024, 3, 22, 7, 59, tzinfo=CN)))
    assert mailer.sent == []
    send_digests(subs, store, mailer, FixedClock(datetime(2024, 3, 22, 8, 1, tzinfo=CN)))
    assert mailer.sent[0][1].startswith("SmartDecl digest 2024-03-21 China time")


def test_a_digest_collects_only_what_the_subscriber_chose():
    subs, store = FakeSubscriptions(digest_sub(states=["released"])), FakePushStore()

    fan_out(body("e1", "2024-03-21T02:05:00.000Z"), ENT, subs, RecordingQueue(), digest_store=store)

    assert store.digests == {}


def test_an_immediate_email_subscription_collects_no_digest():
    subs, store = FakeSubscriptions(digest_sub(mode=None)), FakePushStore()

    fan_out(body("e1", "2024-03-21T02:05:00.000Z"), ENT, subs, RecordingQueue(), digest_store=store)

    assert store.digests == {}
