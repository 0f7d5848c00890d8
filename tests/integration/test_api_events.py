"""GET /events, the pull feed: events published to the topic reach the events table through the
event-feed queue and function (played by the local runner from template.yaml), in order, once,
for their own enterprise only, for 14 days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamo_models import EventFeedModel
from chalicelib.domain.events import Event
from functions import event_feed
from infra.local_runner import LambdaContext
from tests.factories import ENT_A, ENT_B, make_config_body, make_declaration_body, token

A, B = ENT_A["code"], ENT_B["code"]


def make_event(n: int, *ent_codes: str, event_type: str = "smart_status_changed") -> Event:
    return Event.make(
        event_type,
        seq_no=f"I2024000103182{n:04d}",
        ie_flag="I",
        ent_codes=ent_codes or (A,),
        occurred_at=datetime(2024, 3, 21, 2, 0, n, tzinfo=UTC),
        key=f"state:{n}",
        data={"smart_status": "succeeded", "batch_no": "P2024032100000093019"},
    )


def publish(container, runner, *events: Event) -> None:
    container.publisher.publish(list(events))
    runner.drain()
    container.clock.advance(seconds=3)  # past the settle time: entries are readable


def feed(api, tok=None, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.get("/events" + (f"?{query}" if query else ""), token=tok)
    assert response.status_code == 200, response.json
    return response.json


def ids(page) -> list[str]:
    return [item["event"]["event_id"] for item in page["items"]]


def test_published_events_are_served_in_arrival_order_with_the_webhook_body(enabled_api, container, runner):
    # Given three events published one after the other (the third happened first)
    first, second, late = make_event(1, A), make_event(2, A), make_event(0, A)
    for event in (first, second, late):
        container.publisher.publish([event])
        runner.drain()
        container.clock.advance(seconds=1)
    container.clock.advance(seconds=3)
    # When the enterprise reads its feed from the start
    page = feed(enabled_api)
    # Then they come in the order they were stored, each exactly the webhook body
    assert ids(page) == [first.event_id, second.event_id, late.event_id]
    assert page["items"][0]["event"] == json.loads(json.dumps(first.as_json()))
    assert page["has_more"] is False and page["next_cursor"] == page["items"][-1]["cursor"]


def test_a_cursor_continues_after_what_was_read_and_repeats_nothing(enabled_api, container, runner):
    events = [make_event(n, A) for n in range(5)]
    publish(container, runner, *events)
    first = feed(enabled_api, page_size=2)
    second = feed(enabled_api, page_size=2, after=first["next_cursor"])
    third = feed(enabled_api, page_size=2, after=second["next_cursor"])
    assert (first["has_more"], second["has_more"], third["has_more"]) == (True, True, False)
    read = ids(first) + ids(second) + ids(third)
    assert sorted(read) == sorted(e.event_id for e in events)  # each once, none twice
    # nothing new: the same cursor comes back, so a poller simply asks again
    empty = feed(enabled_api, after=third["next_cursor"])
    assert empty["items"] == [] and empty["next_cursor"] == third["next_cursor"]
    # a new event shows up after the cursor
    late = make_event(9, A)
    publish(container, runner, late)
    assert ids(feed(enabled_api, after=third["next_cursor"])) == [late.event_id]


def test_an_enterprise_sees_only_its_own_events_even_with_another_enterprises_cursor(enabled_api, container, runner):
    # Given one event for A only, one for B only and one for both (declaring unit and consignee)
    only_a, only_b, both = make_event(1, A), make_event(2, B), make_event(3, A, B)
    publish(container, runner, only_a, only_b, both)
    # When each reads the feed, and B replays A's first cursor
    page_a, page_b = feed(enabled_api), feed(enabled_api, tok=token(ENT_B))
    b_with_a_cursor = feed(enabled_api, tok=token(ENT_B), after=page_a["items"][0]["cursor"])
    # Then each sees its own; A's cursor shows B nothing of A's
    assert sorted(ids(page_a)) == sorted([only_a.event_id, both.event_id])
    assert sorted(ids(page_b)) == sorted([only_b.event_id, both.event_id])
    assert set(ids(b_with_a_cursor)) <= {only_b.event_id, both.event_id}


def test_an_event_delivered_twice_is_filed_once(enabled_api, container, runner):
    event = make_event(1, A)
    publish(container, runner, event)
    publish(container, runner, event)  # a re-publish after a crash, same event_id
    assert ids(feed(enabled_api)) == [event.event_id]


def test_the_same_sqs_record_handled_twice_stores_one_entry_and_fails_no_record(enabled_api, container):
    record = sqs_record(make_event(4, A).as_json(), A)
    for _ in range(2):
        assert event_feed.handler({"Records": [record]}, LambdaContext("event-feed")) == {"batchItemFailures": []}
    container.clock.advance(seconds=3)
    assert len(feed(enabled_api)["items"]) == 1


def test_a_message_that_is_no_event_fails_alone_and_the_others_are_filed(enabled_api, container):
    good = sqs_record(make_event(5, A).as_json(), A, "m-good")
    no_enterprise = sqs_record(make_event(6, A).as_json(), "", "m-no-ent")
    garbage = sqs_record({"event_type": "nonsense"}, A, "m-garbage")
    result = event_feed.handler({"Records": [garbage, good, no_enterprise]}, LambdaContext("event-feed"))
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {"m-garbage", "m-no-ent"}
    container.clock.advance(seconds=3)
    assert len(feed(enabled_api)["items"]) == 1


def test_entries_expire_after_14_days_by_ttl_attribute_and_are_hidden_once_expired(enabled_api, container, runner):
    event = make_event(1, A)
    stored_at = container.clock()
    publish(container, runner, event)
    [entry] = [i for i in EventFeedModel.query(A) if i.sk.startswith("F#")]
    assert entry.expires_at == int((stored_at + timedelta(days=14)).timestamp())
    container.clock.advance(days=14)  # TTL deletes late (up to two days): the reader must not wait for it
    assert feed(enabled_api)["items"] == []


def test_an_entry_becomes_visible_only_once_settled(enabled_api, container, runner):
    container.publisher.publish([make_event(1, A)])
    runner.drain()
    assert feed(enabled_api)["items"] == []  # stored this instant: a parallel writer may still land before it
    container.clock.advance(seconds=3)
    assert len(feed(enabled_api)["items"]) == 1


@pytest.mark.parametrize(
    "query",
    ["after=bm90LWEtY3Vyc29y", "after=%25%25", "page_size=0", "page_size=501", "page_size=ten", "since=yesterday"],
)
def test_a_bad_cursor_or_page_size_is_refused_with_the_bilingual_error(enabled_api, query):
    response = enabled_api.get(f"/events?{query}")
    assert response.status_code == 400
    assert response.json["code"] == "invalid_request" and response.json["details"][0]["message_en"]


def test_the_feed_needs_a_token(enabled_api):
    assert enabled_api.get("/events", token="").status_code == 401


def test_the_engine_s_smart_status_changes_reach_the_feed(enabled_api, container, runner):
    # Given a marked declaration and a config, when the engine declares it
    [seq_no] = enabled_api.post(
        "/declarations", {"declarations": [make_declaration_body(self_pay=False)], "smart_mark": True}
    ).json["accepted"]
    config_id = enabled_api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json[
        "config_id"
    ]
    enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]})
    runner.drain()
    container.clock.advance(seconds=3)
    # Then the feed carries its smart-status changes: customs is unreachable here (port 9), so the
    # one real change is the wait for customs (a claim alone is logged, not announced: issue #10)
    statuses = [
        i["event"]["data"].get("smart_status")
        for i in feed(enabled_api)["items"]
        if i["event"]["seq_no"] == seq_no and i["event"]["event_type"] == "smart_status_changed"
    ]
    assert statuses == ["pending"]


def sqs_record(body: dict, ent_code: str, message_id: str = "m-1") -> dict:
    attributes = {"ent_code": {"stringValue": ent_code, "dataType": "String"}} if ent_code else {}
    return {
        "messageId": message_id,
        "receiptHandle": "r",
        "body": json.dumps(body),
        "attributes": {},
        "messageAttributes": attributes,
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws-cn:sqs:cn-north-1:123456789012:smartdecl-event-feed",
        "awsRegion": "cn-north-1",
    }


def test_a_batch_with_an_event_filed_before_and_one_event_twice_files_each_event_once(enabled_api, container):
    # Given an event already filed
    old = make_event(7, A)
    assert event_feed.handler({"Records": [sqs_record(old.as_json(), A, "m-old")]}, LambdaContext("event-feed")) == {
        "batchItemFailures": []
    }
    # When a batch brings it again, a new event twice and another enterprise's event
    new, other = make_event(8, A), make_event(9, B)
    records = [
        sqs_record(old.as_json(), A, "m-1"),
        sqs_record(new.as_json(), A, "m-2"),
        sqs_record(new.as_json(), A, "m-3"),
        sqs_record(other.as_json(), B, "m-4"),
    ]
    result = event_feed.handler({"Records": records}, LambdaContext("event-feed"))
    # Then no record fails and each event is filed once, for its own enterprise
    assert result == {"batchItemFailures": []}
    container.clock.advance(seconds=3)
    assert sorted(ids(feed(enabled_api))) == sorted([old.event_id, new.event_id])
    assert ids(feed(enabled_api, tok=token(ENT_B))) == [other.event_id]


def test_more_events_than_one_transaction_holds_are_all_filed_once(enabled_api, container):
    from chalicelib.adapters.event_feed_repository import MAX_PAIRS, DynamoEventFeed
    from chalicelib.domain.event_feed import entry_for

    events = [make_event(n, A).as_json() for n in range(MAX_PAIRS + 10)]
    store = DynamoEventFeed(region="cn-north-1")
    assert store.add_many([entry_for(events[3], A, container.clock())]) == [True]

    stored = store.add_many([entry_for(e, A, container.clock()) for e in events])

    assert stored == [n != 3 for n in range(len(events))]
    entries = [i for i in EventFeedModel.query(A) if i.sk.startswith("F#")]
    assert len(entries) == len(events)
