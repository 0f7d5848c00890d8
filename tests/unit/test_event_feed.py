"""The pull feed's rules: positions by arrival, cursors we made, the settle time, the 14 days,
and one entry per event — on a hand-written fake of the EventFeed port."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.domain.event_feed import (
    RETENTION,
    SETTLE,
    FeedEntry,
    FeedQuery,
    decode_cursor,
    encode_cursor,
    entry_for,
)
from chalicelib.domain.events import Event
from chalicelib.services.event_feed import EventFeed, file_events, read_events
from tests.factories import ENT_A, ENT_B, FixedClock, make_identity

A, B = ENT_A["code"], ENT_B["code"]


class FakeEventFeed(EventFeed):
    """Keeps entries per enterprise; one per event_id, like the conditional write."""

    def __init__(self) -> None:
        self.entries: dict[str, list[FeedEntry]] = {}
        self.writes = 0

    def add_many(self, entries: list[FeedEntry]) -> list[bool]:
        self.writes += 1
        stored = []
        for entry in entries:
            mine = self.entries.setdefault(entry.ent_code, [])
            if any(e.event["event_id"] == entry.event["event_id"] for e in mine):
                stored.append(False)
                continue
            mine.append(entry)
            stored.append(True)
        return stored

    def after(self, ent_code, position, before, limit, now):
        found = sorted(
            (
                e
                for e in self.entries.get(ent_code, [])
                if (position is None or e.position > position)
                and e.position < before
                and e.expires_at > now.timestamp()
            ),
            key=lambda e: e.position,
        )
        return found[:limit], len(found) > limit


def file_event(body: dict, ent_code: str, feed: EventFeed, clock) -> str | Exception:
    return file_events([(body, ent_code)], feed, clock)[0]


def event(n: int, ent_code: str = A, occurred_minute: int = 0) -> dict:
    return Event.make(
        "customs_receipt",
        seq_no=f"I2024000103182{n:04d}",
        ie_flag="I",
        ent_codes=(ent_code,),
        occurred_at=datetime(2024, 3, 21, 2, occurred_minute, tzinfo=UTC),
        key=f"L:{n}",
        data={"channel": "L"},
    ).as_json()


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def feed():
    return FakeEventFeed()


def settled(clock):
    clock.advance(seconds=SETTLE.total_seconds() + 1)


def test_an_event_is_filed_once_even_when_delivered_twice(feed, clock):
    assert file_event(event(1), A, feed, clock) == "stored"
    clock.advance(seconds=5)
    assert file_event(event(1), A, feed, clock) == "duplicate"
    assert len(feed.entries[A]) == 1


def test_a_delivery_is_filed_in_one_write_and_each_message_gets_its_own_outcome(feed, clock):
    file_event(event(1), A, feed, clock)
    writes_before = feed.writes

    outcomes = file_events(
        [(event(1), A), (event(2), A), ({"event_type": "nonsense"}, A), (event(3, B), B), (event(4), "")], feed, clock
    )

    assert outcomes[:2] == ["duplicate", "stored"] and outcomes[3] == "stored"
    assert isinstance(outcomes[2], Exception) and isinstance(outcomes[4], Exception)
    assert feed.writes - writes_before == 1
    assert len(feed.entries[A]) == 2 and len(feed.entries[B]) == 1


def test_a_delivery_of_nothing_but_unreadable_messages_writes_nothing(feed, clock):
    outcomes = file_events([({"event_type": "nonsense"}, A)], feed, clock)

    assert isinstance(outcomes[0], Exception) and feed.writes == 0


def test_entries_are_ordered_by_arrival_not_by_when_they_happened(feed, clock):
    file_event(event(1, occurred_minute=30), A, feed, clock)
    clock.advance(seconds=1)
    file_event(event(2, occurred_minute=5), A, feed, clock)  # happened earlier, arrived later
    settled(clock)
    page = read_events(make_identity(), {}, feed, clock)
    assert [i["event"]["seq_no"][-4:] for i in page["items"]] == ["0001", "0002"]


def test_a_reader_never_sees_another_enterprises_events(feed, clock):
    file_event(event(1, B), B, feed, clock)
    settled(clock)
    assert read_events(make_identity(), {}, feed, clock)["items"] == []


def test_an_entry_is_hidden_until_settled_so_a_cursor_never_passes_a_write_in_flight(feed, clock):
    file_event(event(1), A, feed, clock)
    assert read_events(make_identity(), {}, feed, clock)["items"] == []
    settled(clock)
    assert len(read_events(make_identity(), {}, feed, clock)["items"]) == 1


def test_an_entry_expires_after_fourteen_days(feed, clock):
    stored_at = clock()
    file_event(event(1), A, feed, clock)
    [entry] = feed.entries[A]
    assert entry.expires_at == int((stored_at + RETENTION).timestamp())
    clock.advance(days=14, seconds=1)
    assert read_events(make_identity(), {}, feed, clock)["items"] == []


def test_paging_continues_after_the_cursor_and_returns_it_again_when_nothing_is_new(feed, clock):
    for n in range(3):
        file_event(event(n), A, feed, clock)
        clock.advance(seconds=1)
    settled(clock)
    first = read_events(make_identity(), {"page_size": "2"}, feed, clock)
    rest = read_events(make_identity(), {"after": first["next_cursor"]}, feed, clock)
    assert (len(first["items"]), first["has_more"], len(rest["items"]), rest["has_more"]) == (2, True, 1, False)
    empty = read_events(make_identity(), {"after": rest["next_cursor"]}, feed, clock)
    assert empty == {"items": [], "next_cursor": rest["next_cursor"], "has_more": False}


@pytest.mark.parametrize(
    "params",
    [
        {"after": "garbage"},
        {"after": encode_cursor("20240321T030721.000000Z#x")},
        {"page_size": "0"},
        {"page_size": "501"},
        {"page_size": "１０"},
        {"cursor": "x"},
    ],
)
def test_a_cursor_we_did_not_make_or_a_bad_page_size_is_refused(params):
    with pytest.raises(DomainError) as refused:
        FeedQuery.parse(params)
    assert refused.value.code == "invalid_request" and refused.value.details[0]["message_zh"]


def test_a_cursor_round_trips_to_its_position():
    position = "20240321T030721.123456Z#" + "a" * 32
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize(
    "body, ent_code", [({"event_type": "nonsense"}, A), (event(1), ""), ({**event(1), "event_id": "../../x"}, A)]
)
def test_a_message_that_is_no_event_is_refused_not_filed(body, ent_code, clock):
    with pytest.raises((ValueError, KeyError)):
        entry_for(body, ent_code, clock())
