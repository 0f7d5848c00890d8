"""make soak's subscribers and checks, on their own and fast (the short soak in test_soak.py runs them
end to end): the receivers' seeded misbehaviour, what the subscriber checks catch, the dead-letter
alarms."""

from __future__ import annotations

import json
import random
import time

import pytest
import requests

from bench._common import NOT_METERED, PRICES, Rotation
from bench.soak import alarmed_queues, cost_per_10k, enterprises, lambda_usage
from bench.soak_webhooks import Post, Published, Receiver, WebhookSchedule, check, latencies
from chalicelib.adapters.webhook_sender import HEADER_EVENT_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign
from infra import template as cfn


def _schedule(**kw) -> WebhookSchedule:
    return WebhookSchedule(7, kw.pop("error_rate", 1.0), kw.pop("hang_rate", 0.0), lambda kind, **d: None, **kw)


def test_a_receiver_fails_one_event_at_most_max_failures_times_then_takes_it():
    schedule = _schedule(max_failures=2)
    assert [schedule.answer("1108919038", "e1") for _ in range(4)] == ["500", "500", "ok", "ok"]


def test_the_receivers_misbehave_on_the_seed_s_schedule_and_log_each_fault():
    def draws(seed: int) -> tuple[list[str], list[tuple]]:
        notes: list[tuple] = []
        schedule = WebhookSchedule(seed, 0.3, 0.1, lambda kind, **d: notes.append((kind, d["event_id"])))
        return [schedule.answer("1108919038", f"e{i}") for i in range(40)], notes

    answers, notes = draws(29)
    assert (answers, notes) == draws(29)
    assert {"500", "hang", "ok"} <= set(answers)
    assert notes == [(f"webhook_{a}", f"e{i}") for i, a in enumerate(answers) if a != "ok"]


def test_the_receivers_behave_once_the_run_settles():
    assert _schedule(active=lambda: False).answer("1108919038", "e1") == "ok"


def _post(receiver: Receiver, event: dict, secret: str, timeout: float = 5) -> requests.Response:
    body, now = json.dumps(event).encode(), int(time.time())
    headers = {
        HEADER_EVENT_ID: event["event_id"],
        HEADER_TIMESTAMP: str(now),
        HEADER_SIGNATURE: sign(secret, now, event["event_id"], body),
    }
    return requests.post(receiver.url, data=body, headers=headers, timeout=timeout)


EVENT = {
    "event_id": "a" * 32,
    "event_type": "customs_receipt",
    "seq_no": "I20240000000000001",
    "data": {"channel": "P"},
}


def test_a_receiver_records_a_post_before_it_answers_500_and_checks_its_signature():
    receiver = Receiver("1108919038", _schedule(max_failures=1))
    receiver.secret = "s3cret"
    try:
        assert _post(receiver, EVENT, "s3cret").status_code == 500
        assert _post(receiver, EVENT, "wrong").status_code == 204
    finally:
        receiver.stop()
    first, second = receiver.posts
    assert (first.answer, first.signed, first.state, first.seq_no) == ("500", True, "receipt:P", EVENT["seq_no"])
    assert (second.answer, second.signed) == ("ok", False)


def test_a_hanging_receiver_got_the_message_and_the_sender_times_out():
    receiver = Receiver("1108919038", _schedule(error_rate=0.0, hang_rate=1.0, max_failures=1, hang_seconds=0.5))
    try:
        with pytest.raises(requests.Timeout):
            _post(receiver, EVENT, "", timeout=0.1)
        # the POST is recorded before the hang; on a busy machine the time-out may come first
        deadline = time.monotonic() + 5
        while not receiver.posts and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        receiver.stop()
    assert [p.answer for p in receiver.posts] == ["hang"]


def _published(*events: tuple[str, str]) -> Published:
    published = Published()
    for event_id, ent_code in events:
        published.times[event_id] += 1
        published.ent_of[event_id] = published.committed[event_id] = ent_code
    return published


class _Got:
    """A receiver's record without a server."""

    def __init__(self, *posts: Post) -> None:
        self.posts = list(posts)

    def got(self) -> set[str]:
        return {p.event_id for p in self.posts}


def _p(event_id: str, seq_no: str = "S1", state: str = "smart:succeeded", answer: str = "ok", at: float = 10.0):
    return Post("A", event_id, "smart_status_changed", seq_no, state, at, answer, True)


def _held(found: list[dict]) -> dict[str, bool]:
    return {i["invariant"].split(" ")[1]: i["held"] for i in found}


def test_the_subscriber_checks_hold_for_one_message_per_state_redelivered_after_a_failure():
    got = _Got(_p("e1", answer="500"), _p("e1"), _p("e2", state="receipt:P"))
    found = check({"A": got}, _published(("e1", "A"), ("e2", "A")), {"A": {"S1"}})  # type: ignore[dict-item]
    assert all(i["held"] for i in found)
    assert found[2]["found"]["redelivered"] == 1 and found[2]["found"]["redelivered_without_a_failure_before"] == 0


def test_the_subscriber_checks_catch_another_enterprise_s_declaration_a_missing_event_and_two_ids_for_one_state():
    got = _Got(_p("e1"), _p("e3"), _p("e4", seq_no="S9"))
    published = _published(("e1", "A"), ("e2", "A"), ("e3", "A"), ("e4", "A"))
    found = check({"A": got}, published, {"A": {"S1"}})  # type: ignore[dict-item]
    assert [i["held"] for i in found] == [True, False, False]
    assert found[1]["found"]["foreign"] == ["S9"]
    assert found[2]["found"]["missing"] == ["e2"]
    assert found[2]["found"]["several_ids_for_one_state"] == {"S1 smart:succeeded": ["e1", "e3"]}


def test_an_event_published_twice_or_never_breaks_published_once():
    published = _published(("e1", "A"), ("e2", "A"))
    published.times["e1"] += 1
    published.committed["e3"] = "A"
    found = check({"A": _Got(_p("e1"), _p("e2", state="receipt:P"))}, published, {"A": {"S1"}})  # type: ignore[dict-item]
    assert not found[0]["held"]
    assert (found[0]["found"]["published_twice"], found[0]["found"]["never_published"]) == (["e1"], ["e3"])


def test_receipt_to_subscriber_is_from_the_receipt_s_writing_to_its_event_s_first_post():
    post = Post("A", "e1", "customs_receipt", "S1", "receipt:P", 12.5, "500", True)
    again = Post("A", "e1", "customs_receipt", "S1", "receipt:P", 30.0, "ok", True)
    assert latencies({"A": _Got(post, again)}, {("S1", "P"): 10.0}) == [2.5]  # type: ignore[dict-item]


def test_every_dead_letter_queue_of_the_template_has_an_alarm():
    template = cfn.load()
    queues = {q for q in cfn.resources(template, "AWS::SQS::Queue") if q.endswith(("DeadLetterQueue", "FailureQueue"))}
    assert queues and queues <= alarmed_queues(template)


def test_the_soak_s_enterprises_are_distinct_with_valid_credit_codes():
    from stdnum.cn import uscc

    ents = enterprises(20)
    assert len({e["code"] for e in ents}) == len({e["uscc"] for e in ents}) == 20
    assert all(len(e["code"]) == 10 and uscc.is_valid(e["uscc"]) for e in ents)


def test_the_settling_moves_the_clock_on_only_while_no_work_waits():
    from bench.soak import idle

    assert idle({"t": 3.0, "declared": 10, "rss_mb": 300.0, "webhook_posts": 40, "validation": 0, "webhook": 0})
    assert not idle({"t": 3.0, "declared": 10, "validation": 12, "webhook": 0})
    assert not idle({"t": 3.0, "declared": 10, "validation": 0, "notifications": 1})


def test_the_run_is_not_done_while_a_dead_invocations_batch_is_still_in_flight():
    # every declaration declared and every receipt applied, but a submission batch whose invocation
    # died is not back yet: checked then, its declarations' batch counts looked lost
    from types import SimpleNamespace

    from bench.soak import Soak

    run = SimpleNamespace(
        declared_at={"I1": 1.0},
        args=SimpleNamespace(declarations=1),
        _receipts_done=lambda: True,
        _webhooks_done=lambda: True,
        depths=[{"t": 9.0, "declared": 1, "submission": 3}],
    )
    assert not Soak._done(run)
    run.depths.append({"t": 10.0, "declared": 1, "submission": 0})
    assert Soak._done(run)


# ---- the cost per 10,000 declarations ------------------------------------------------------------


class _NoRequests:
    calls: dict = {}
    billed: dict = {}
    capacity = None


def test_every_price_names_its_source_and_date_and_china_has_a_price_or_an_estimate_for_each_used_unit():
    prices = json.loads(PRICES.read_text(encoding="utf-8"))["regions"]
    for region in ("cn-northwest-1", "us-east-1"):
        for unit, price in prices[region]["per_million"].items():
            assert price["_source"] and price["_date"], (region, unit)
            if unit not in NOT_METERED:
                assert price.get("price") is not None or price.get("_estimate_basis"), (region, unit)


def test_the_cost_marks_an_estimated_price_and_says_unmetered_units_are_not_free():
    cost = cost_per_10k(_NoRequests(), 10_000, {"dynamodb_rru": 1e6, "lambda_gb_seconds": 1e6})
    china = {line["unit"]: line for line in cost["cn-northwest-1"]["lines"]}
    assert china["dynamodb_rru"]["estimated"] and "dynamodb_rru" in cost["cn-northwest-1"]["estimated"]
    assert china["lambda_gb_seconds"]["cost"] == pytest.approx(113.477)
    assert china["cloudwatch_logs_ingested_gb"] == {
        "unit": "cloudwatch_logs_ingested_gb",
        "used": None,
        "cost": None,
        "note": "not metered",
    }
    assert cost["us-east-1"]["estimated"] == [] and cost["us-east-1"]["total"] == pytest.approx(0.125 + 16.6667)


def test_lambda_usage_bills_each_invocation_by_the_millisecond_at_its_function_s_memory():
    class Runner:
        durations = {"ValidationFunction": [0.0101, 0.002]}

    class Api:
        durations = [0.5]

    usage = lambda_usage(cfn.load(), Runner(), Api())
    assert usage["lambda_requests"] == 3 and usage["apigateway_requests"] == 1
    assert usage["lambda_gb_seconds"] == pytest.approx((0.011 + 0.002 + 0.5) * 1024 / 1024)


def test_fault_kinds_come_in_a_seeded_order_each_once_before_any_comes_again():
    def drawn(seed: int) -> list[str]:
        rotation = Rotation(("error500", "slow", "down", "timeout"), random.Random(seed))
        return [rotation.next() for _ in range(8)]

    assert drawn(7) == drawn(7)
    assert sorted(drawn(7)[:4]) == sorted(drawn(7)[4:]) == ["down", "error500", "slow", "timeout"]
