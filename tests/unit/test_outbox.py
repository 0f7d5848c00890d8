"""Publishing committed events from the log's stream: ten messages a request, in order, and a
failure retried from the first record not published."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chalicelib.domain.events import Event, event_from_record, event_record
from chalicelib.services.outbox import Committed, publish_committed
from infra.local_runner import matches
from infra.template import load, resources

AT = datetime(2024, 3, 21, 3, 0, tzinfo=UTC)


def _event(n: int, ents=("1101910001",)) -> Event:
    return Event.make(
        "smart_status_changed",
        seq_no=f"I2024{n:014d}",
        ie_flag="I",
        ent_codes=ents,
        occurred_at=AT,
        data={"smart_status": "succeeded"},
        key=f"succeeded:{n}",
    )


class RecordingPublisher:
    def __init__(self, refuse_call: int | None = None) -> None:
        self.calls: list[list[Event]] = []
        self.refuse_call = refuse_call

    def publish(self, events):
        if self.refuse_call is not None and len(self.calls) == self.refuse_call:
            self.calls.append([])
            raise RuntimeError("SNS refused")
        self.calls.append(list(events))


def test_committed_events_go_out_ten_messages_per_request_in_commit_order():
    # Given 25 committed changes, each with one event for two enterprises (two messages each)
    records = [Committed(str(100 + n), (_event(n, ("1101910001", "1105910159")),)) for n in range(25)]
    publisher = RecordingPublisher()
    # When they are published
    failed = publish_committed(records, publisher)
    # Then each request carries at most ten messages, and every event goes out once, in order
    assert failed == []
    assert all(sum(len(e.ent_codes) for e in call) <= 10 for call in publisher.calls) and len(publisher.calls) == 5
    assert [e.seq_no for call in publisher.calls for e in call] == [e.events[0].seq_no for e in records]


def test_a_refused_request_is_retried_from_its_first_record_and_nothing_after_it_goes_out():
    records = [Committed(str(100 + n), (_event(n),)) for n in range(30)]
    publisher = RecordingPublisher(refuse_call=1)
    failed = publish_committed(records, publisher)
    assert failed == ["110"]  # the second group of ten starts at record 10
    assert len(publisher.calls) == 2  # the third group was not sent before the second


def test_records_without_events_are_passed_over():
    assert publish_committed([Committed("1", ()), Committed("2", ())], RecordingPublisher()) == []


def test_an_event_survives_its_trip_through_the_log_item():
    event = _event(7, ("1101910001", "1105910159"))
    assert event_from_record(event_record(event)) == event


def _publish_filters() -> list[dict]:
    mapping = resources(load(), "AWS::Serverless::Function")["PublishEventsFunction"]["Properties"]["Events"]
    stream = next(e for e in mapping.values() if e["Type"] == "DynamoDB")
    return [json.loads(f["Pattern"]) for f in stream["Properties"]["FilterCriteria"]["Filters"]]


def _passes(record: dict) -> bool:
    return any(matches(p, record) for p in _publish_filters())


def test_the_stream_filter_passes_only_inserted_log_items_that_carry_events_binary_or_written_before():
    assert _passes({"eventName": "INSERT", "dynamodb": {"NewImage": {"events": {"B": "eJyLjgUAARUAuQ=="}}}})
    assert _passes({"eventName": "INSERT", "dynamodb": {"NewImage": {"events": {"S": "[]"}}}})  # before Binary
    assert not _passes({"eventName": "INSERT", "dynamodb": {"NewImage": {"body": {"B": "eJyrrgUAAXUA+Q=="}}}})
    assert not _passes({"eventName": "MODIFY", "dynamodb": {"NewImage": {"events": {"B": "eJyLjgUAARUAuQ=="}}}})
