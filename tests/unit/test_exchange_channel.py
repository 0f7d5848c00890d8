"""The channel's state: heartbeats, the client judged down or up, a silent agent told once by the
schedule, the handover watchdog, and 报文客户端状态 for people."""

from __future__ import annotations

import pytest

from chalicelib.domain import errors, messages
from chalicelib.services import exchange, exchange_channel
from tests.exchange_fakes import exchange_harness
from tests.exchange_files import agent, stem

AGENT = agent()


def beat(outbox_age: float | None = None, client: str = "unknown", count: int | None = None) -> dict:
    folder = {"count": count if count is not None else (1 if outbox_age else 0), "oldest_age_seconds": outbox_age}
    return {
        "agent_version": "1.0.0",
        "hostname": "BROKER-PC",
        "started_at": "2024-03-21T10:00:00+08:00",
        "clock": "2024-03-21T11:07:21+08:00",
        "folders": {"outbox": folder, "sentbox": {"count": 3, "oldest_age_seconds": 60}},
        "client": client,
        "journal": {"unacknowledged": 0},
    }


def waiting(n: int = 1):
    h, x, outbox = exchange_harness()
    h.start(h.config())
    seq_nos = h.declarations_marked(n)
    h.wait_and_run()
    return h, x, outbox, seq_nos


def told(x) -> list[tuple[str, str]]:
    return [(e.data["part"], e.data["state"]) for e in x.publisher.events if e.event_type == "customs_channel"]


def test_a_heartbeat_answers_the_server_time_and_the_poll_interval_and_records_the_contact():
    h, x, outbox, _ = waiting()

    answer = exchange_channel.heartbeat(x, AGENT, beat())

    assert answer["poll_seconds"] == 5 and answer["server_time"].startswith("2024-03-21T03:07:21")
    status = exchange_channel.channel_status(x, AGENT)
    assert (status["agent"]["state"], status["agent"]["hostname"], status["client"]["state"]) == (
        "online",
        "BROKER-PC",
        "unknown",
    )
    assert status["outbox"] == {"queued": 1, "taken": 0, "written": 0, "sent": 0}


def test_files_in_outbox_over_five_minutes_tell_subscribers_once_that_the_client_is_down_then_once_it_is_back():
    h, x, outbox, [seq_no] = waiting()

    exchange_channel.heartbeat(x, AGENT, beat(outbox_age=301))
    h.clock.advance(seconds=30)
    exchange_channel.heartbeat(x, AGENT, beat(outbox_age=331))
    assert told(x) == [("client", "down")]
    h.clock.advance(seconds=30)
    exchange_channel.heartbeat(x, AGENT, beat(outbox_age=None, client="up"))

    assert told(x) == [("client", "down"), ("client", "up")]
    down, back = x.publisher.events
    assert down.seq_no == seq_no and down.data["waiting"] == 1 and down.data["bill_no"]
    assert back.event_id != down.event_id


def test_a_client_down_while_nothing_waits_tells_nobody():
    h, x, outbox = exchange_harness()

    exchange_channel.heartbeat(x, AGENT, beat(outbox_age=900))

    assert told(x) == [] and exchange_channel.channel_status(x, AGENT)["client"]["state"] == "down"


def test_an_agent_silent_for_three_minutes_while_sends_wait_is_told_once_and_once_back():
    h, x, outbox, _ = waiting()
    exchange_channel.heartbeat(x, AGENT, beat())

    h.clock.advance(minutes=2, seconds=59)
    assert exchange_channel.watch_channels(x)["agents_silent"] == 0
    h.clock.advance(seconds=1)
    assert exchange_channel.watch_channels(x)["agents_silent"] == 1
    h.clock.advance(minutes=1)
    assert exchange_channel.watch_channels(x)["agents_silent"] == 0
    assert exchange_channel.channel_status(x, AGENT)["agent"]["state"] == "silent"
    exchange_channel.heartbeat(x, AGENT, beat())

    assert told(x) == [("agent", "down"), ("agent", "up")]


def test_an_enterprise_whose_agent_was_never_seen_is_told_once_its_sends_waited_three_minutes():
    h, x, outbox, _ = waiting()

    h.clock.advance(minutes=3)
    exchange_channel.watch_channels(x)
    exchange_channel.watch_channels(x)

    assert told(x) == [("agent", "down")]
    assert exchange_channel.channel_status(x, AGENT)["agent"]["state"] == "never_seen"


def test_a_send_taken_and_never_answered_is_flagged_logged_and_told_once_and_never_sent_again():
    h, x, outbox, [seq_no] = waiting()
    [message] = exchange.take(x, AGENT, None)["messages"]
    ack = {"lease_token": message["lease_token"], "file_name": f"{stem(seq_no)}.zip", "sha256": message["sha256"]}
    exchange.acknowledge(x, AGENT, seq_no, 1, {**ack, "try": 1})
    exchange_channel.heartbeat(x, AGENT, beat())

    h.clock.advance(minutes=61)
    exchange_channel.heartbeat(x, AGENT, beat())
    first = exchange_channel.watch_channels(x)
    again = exchange_channel.watch_channels(x)

    assert (first["handovers_overdue"], again["handovers_overdue"]) == (1, 0)
    assert outbox.items[(seq_no, 1)].overdue_at is not None and outbox.puts == 1
    assert [e.outcome for e in h.log.list(seq_no)].count("overdue") == 1
    [event] = [e for e in h.uow.events if e.event_type == "customs_channel"]
    assert messages.state_of(event) == "handover_overdue"
    assert exchange.take(x, AGENT, None)["messages"] == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"client": "maybe"},
        {"folders": {"outbox": {"count": -1, "oldest_age_seconds": 0}}},
        {"folders": {"outbox": {"count": 1, "oldest_age_seconds": "old"}}},
        {"hostname": "x" * 300},
    ],
)
def test_a_malformed_heartbeat_is_refused_naming_the_field(body):
    h, x, outbox = exchange_harness()

    with pytest.raises(errors.DomainError) as refused:
        exchange_channel.heartbeat(x, AGENT, body)
    assert refused.value.code == "invalid_request"


@pytest.mark.parametrize(
    ("part", "state"), [("agent", "down"), ("agent", "up"), ("client", "down"), ("client", "up"), ("send", "overdue")]
)
def test_every_channel_message_says_it_in_both_languages_within_the_sms_limits(part, state):
    from datetime import UTC, datetime

    from chalicelib.domain import sms
    from chalicelib.domain.events import customs_channel

    data = {"bill_no": "MSKU1234567", "goods_name": "笔记本电脑", "waiting": 3, "overdue_hours": 2}
    event = customs_channel(
        ent_code="1108919038",
        part=part,
        state=state,
        since="2024-03-21T03:00:00.000Z",
        seq_no="I20240000000000001",
        ie_flag="I",
        occurred_at=datetime(2024, 3, 21, 3, 7, tzinfo=UTC),
        data=data,
    )

    zh, en = event.email_text("https://smartdecl.example.cn").split("\n----\n")
    title_zh, title_en = messages.CHANNEL_TITLES[(part, state)]
    assert title_zh in zh and title_en in en and not messages._CJK.search(en)
    assert not messages._CJK.search(event.sns_subject())
    parameters = sms.fit_parameters(messages.kind_of(event), messages.sms_values(event))
    assert parameters["state"] == title_zh
