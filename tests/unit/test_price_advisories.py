"""The price advisory wired for real (on fakes): what customs accepted is recorded from the log's
stream by the outbox consumer (the publish function), once per goods item, before the records'
events go out; the gates and a person's confirmation compare later declarations with the
enterprise's own recent prices."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from chalicelib.adapters.packing import compress
from chalicelib.container import use_container
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.events import event_record
from chalicelib.domain.price_history import RECENT_PRICE_DAYS, RECENT_PRICES, PriceKey
from chalicelib.services.manual_declare import confirm_advisories
from chalicelib.services.price_advisories import declared_seq_nos, recent_prices, record_declared
from functions import publish_events
from infra.local_runner import LambdaContext
from tests.engine_harness import Harness
from tests.exchange_fakes import RecordingPublisher
from tests.factories import make_declaration_body
from tests.fakes import FakePriceHistory

LAPTOP = PriceKey("8471309000", "USD", "001")  # the factory's goods item


def goods(price: str, **fields) -> list[dict]:
    return [make_declaration_body()["goods"][0] | {"qty": "1", "first_qty": "1", "decl_price": price} | fields]


def priced(price: str) -> dict:
    return {"decl_price": price, "decl_total": price}


def stream_event(events_per_record: list[list]) -> dict:
    """The log stream's records as Lambda hands them over: each log item's events, compressed."""
    return {
        "Records": [
            {
                "eventName": "INSERT",
                "dynamodb": {
                    "SequenceNumber": str(100 + n),
                    "NewImage": {
                        "events": {
                            "B": base64.b64encode(compress(json.dumps([event_record(e) for e in events]))).decode()
                        }
                    },
                },
            }
            for n, events in enumerate(events_per_record)
        ]
    }


def harness(**more) -> Harness:
    return Harness(more={"publisher": RecordingPublisher(), **more})


def play_the_stream(h: Harness) -> dict:
    """What the publish function is handed: every change committed so far, one record each."""
    use_container(h.wiring)
    try:
        return publish_events.handler(stream_event([[e] for e in h.uow.events]), LambdaContext("PublishEventsFunction"))
    finally:
        use_container(None)


def declare(h: Harness, config: str, price: str, n: int = 1) -> list[str]:
    """Marked declarations at `price`, through the execution's first batch."""
    seq_nos = h.declarations_marked(n, goods=goods(price, decl_total=price))
    h.start(config)
    h.run()
    return seq_nos


def declare_later(h: Harness, price: str) -> str:
    """One more marked declaration at `price`, through the running execution's next batch."""
    [seq_no] = h.declarations_marked(goods=goods(price, decl_total=price))
    h.wait_and_run()
    return seq_no


@pytest.fixture
def h() -> Harness:
    return harness()


# ---- the flow -----------------------------------------------------------------------------


def test_a_price_ten_times_the_declared_ones_waits_for_a_person_who_clears_it(h):
    config = h.config(auxiliary_confirm=False)
    declared = declare(h, config, "10.00", n=3)
    assert {h.decl(s).smart_status for s in declared} == {"succeeded"}
    assert play_the_stream(h) == {"batchItemFailures": []}

    outlier = declare_later(h, "100.00")
    waiting = h.decl(outlier)
    assert (waiting.smart_status, waiting.waiting_reason) == ("pending", "advisory")
    [prompt] = (h.log.list(outlier)[-1].details or {})["prompts"]
    assert prompt["code"] == "price_outlier" and "中位数(10)" in prompt["message_zh"]

    confirm_advisories(h.identity, outlier, h.engine)  # the same prices read: the same fingerprint
    h.wait_and_run()
    assert h.decl(outlier).smart_status == "succeeded"


def test_under_auxiliary_confirmation_the_system_confirms_the_price_prompt(h):
    config = h.config(auxiliary_confirm=True)
    declare(h, config, "10.00", n=3)
    play_the_stream(h)
    outlier = declare_later(h, "100.00")
    assert h.decl(outlier).smart_status == "succeeded"
    [confirmed] = [e for e in h.log.list(outlier) if e.gate == "advisory"]
    assert confirmed.outcome == "confirmed" and confirmed.details[0]["code"] == "price_outlier"


def test_before_three_declared_prices_nothing_is_compared(h):
    config = h.config(auxiliary_confirm=False)
    declare(h, config, "10.00", n=2)
    play_the_stream(h)
    other = declare_later(h, "100.00")
    assert h.decl(other).smart_status == "succeeded"


# ---- recording ------------------------------------------------------------------------------


def test_a_record_delivered_twice_or_a_later_event_of_the_same_declaration_counts_once(h):
    config = h.config()
    [seq_no] = declare(h, config, "10.00")
    history = h.wiring.price_history
    play_the_stream(h)
    play_the_stream(h)  # every record again
    record_declared(seq_no, h.declarations, history)  # and once more by hand
    assert [p.seq_no for p in history.prices.values()] == [seq_no]


def test_only_declarations_customs_accepted_are_recorded(h):
    config = h.config(require_manifest=True)  # no manifest: the declaration waits
    [seq_no] = declare(h, config, "10.00")
    assert h.decl(seq_no).smart_status == "pending"
    assert declared_seq_nos(h.uow.events) == []
    assert record_declared(seq_no, h.declarations, h.wiring.price_history) == 0
    assert play_the_stream(h) == {"batchItemFailures": []} and h.wiring.price_history.prices == {}
    assert h.wiring.publisher.events == h.uow.events  # and every event went out


class RefusingHistory(FakePriceHistory):
    refused: set[str] = set()

    def record(self, prices):
        if any(p.seq_no in self.refused for p in prices):
            raise RuntimeError("DynamoDB is throttling")
        super().record(prices)


def test_a_record_whose_prices_cannot_be_recorded_is_retried_from_and_only_the_events_before_it_go_out():
    h = harness(price_history=RefusingHistory())
    first, second = declare(h, h.config(), "10.00", n=2)
    h.wiring.price_history.refused = {second}
    [at] = [n for n, e in enumerate(h.uow.events) if (e.seq_no, e.data.get("smart_status")) == (second, "succeeded")]
    failed = play_the_stream(h)["batchItemFailures"]
    # Then that record is named (Lambda retries from it on); the other's prices are kept
    assert failed == [{"itemIdentifier": str(100 + at)}]
    assert h.wiring.publisher.events == h.uow.events[:at]  # nothing of it or after it is published twice
    assert {p.seq_no for p in h.wiring.price_history.prices.values()} == {first}


# ---- reading ---------------------------------------------------------------------------------


def test_the_gate_reads_one_query_per_distinct_key_of_the_owner_within_half_a_year(h):
    two_laptops_and_a_printer = DeclarationContent.model_validate(
        make_declaration_body(
            goods=goods("10", g_no=1) + goods("11", g_no=2) + goods("12", g_no=3, code_ts="8443321000")
        )
    )
    history = FakePriceHistory()
    found = recent_prices(history, "1101910001", two_laptops_and_a_printer, h.clock())
    assert set(found) == {LAPTOP, LAPTOP._replace(code_ts="8443321000")}
    assert history.reads == [("1101910001", LAPTOP._replace(code_ts="8443321000")), ("1101910001", LAPTOP)]
    assert recent_prices(None, "1101910001", two_laptops_and_a_printer, h.clock()) == {}
    assert (RECENT_PRICES, RECENT_PRICE_DAYS) == (20, 180)


def test_one_invocation_reads_the_prices_of_the_same_goods_once(h):
    content = DeclarationContent.model_validate(make_declaration_body(goods=goods("10")))
    history, read = FakePriceHistory(), {}  # what a validation invocation shares (Invocation.prices)
    for _ in range(3):
        recent_prices(history, "1101910001", content, h.clock(), read)
    assert history.reads == [("1101910001", LAPTOP)]
    recent_prices(history, "3301960002", content, h.clock(), read)  # another enterprise: its own read
    assert len(history.reads) == 2


def test_a_declaration_that_waits_before_the_advisory_gate_reads_no_prices(h):
    config = h.config(require_manifest=True)  # no manifest: the logistics gate ends it first
    declare(h, config, "10.00")
    h.wait_and_run()  # and its re-check
    assert h.wiring.price_history.reads == []


def test_an_enterprise_never_sees_another_s_prices(h):
    config = h.config(auxiliary_confirm=False)
    declare(h, config, "10.00", n=3)
    play_the_stream(h)
    content = h.decl(declare_later(h, "100.00")).content
    mine = recent_prices(h.wiring.price_history, h.identity.ent_code, content, h.clock())
    assert mine == {LAPTOP: [Decimal("10.00")] * 3}
    assert recent_prices(h.wiring.price_history, "3301960002", content, h.clock()) == {LAPTOP: []}
    # and prices older than half a year count no more
    later = h.clock() + timedelta(days=RECENT_PRICE_DAYS + 1)
    assert recent_prices(h.wiring.price_history, h.identity.ent_code, content, later) == {LAPTOP: []}


def test_a_declaration_declared_by_hand_adds_its_prices_as_one_the_service_declared_does(h):
    from chalicelib.services.manual_declare import declare_by_hand

    [seq_no] = h.declarations_marked(goods=goods("10.00", decl_total="10.00"))
    answer = declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    assert h.decl(seq_no).status == "declared" and h.decl(seq_no).smart_status == "pending", answer
    assert declared_seq_nos(h.uow.events) == [seq_no]
    assert play_the_stream(h) == {"batchItemFailures": []}
    assert [(p.seq_no, p.price) for p in h.wiring.price_history.prices.values()] == [(seq_no, Decimal("10.00"))]
