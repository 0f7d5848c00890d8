"""A send to the Single Window client (domain/exchange.Send): leased, acknowledged, reported,
answered once; every move may be asked again and gives the same send."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.exchange import (
    LEASE,
    Answer,
    EventKind,
    Send,
    SendRefused,
    SendState,
    agent_state,
    client_state,
    next_send,
)

NOW = datetime(2024, 3, 21, 3, 0, tzinfo=UTC)
XML = b"<DecMessage/>"
SHA = hashlib.sha256(XML).hexdigest()


def queued(**overrides) -> Send:
    values = {
        "client_seq_no": "I20240000000000001",
        "send_no": 1,
        "ent_code": "1108919038",
        "ie_flag": "I",
        "message_version": "4.8",
        "sha256": SHA,
        "first_try": 1,
        "created_at": NOW,
        "xml": XML,
    }
    return Send(**{**values, **overrides})


def written(send: Send | None = None) -> Send:
    taken = (send or queued()).take(NOW, "lease-1")
    return taken.acknowledge(NOW, lease_token="lease-1", sha256=SHA, file_name="I_I20240000000000001_t-1.zip", try_no=1)


def test_a_taken_send_is_leased_and_not_handed_out_again_before_its_lease_ends():
    taken = queued().take(NOW, "lease-1")

    assert (taken.state, taken.lease_token, taken.lease_expires_at) == (SendState.TAKEN, "lease-1", NOW + LEASE)
    assert not taken.leasable(NOW + LEASE - timedelta(seconds=1))
    with pytest.raises(SendRefused):
        taken.take(NOW, "lease-2")


def test_a_lease_that_ran_out_unacknowledged_hands_the_send_out_again_with_a_new_token():
    again = queued().take(NOW, "lease-1").take(NOW + LEASE, "lease-2")

    assert (again.lease_token, again.handed_out, again.taken_at) == ("lease-2", 2, NOW)
    assert again.xml == XML and again.send_no == 1  # the same send, the same bytes


def test_an_acknowledgement_writes_the_send_and_a_repeat_gives_the_same_send():
    once = written()

    again = once.acknowledge(NOW, lease_token="lease-1", sha256=SHA, file_name="x", try_no=1)

    assert once.state == SendState.WRITTEN and once.file_name == "I_I20240000000000001_t-1.zip"
    assert again is once


def test_an_acknowledgement_with_other_bytes_is_refused():
    taken = queued().take(NOW, "lease-1")

    with pytest.raises(SendRefused) as refused:
        taken.acknowledge(NOW, lease_token="lease-1", sha256="0" * 64, file_name="x", try_no=1)
    assert refused.value.code == "sha256_mismatch"


def test_an_acknowledgement_under_a_lease_the_send_was_handed_out_again_since_is_refused():
    again = queued().take(NOW, "lease-1").take(NOW + LEASE, "lease-2")

    with pytest.raises(SendRefused) as refused:
        again.acknowledge(NOW, lease_token="lease-1", sha256=SHA, file_name="x", try_no=1)
    assert refused.value.code == "lease_lost"


def test_an_acknowledgement_after_the_lease_ran_out_is_taken_while_nobody_took_it_again():
    late = (
        queued()
        .take(NOW, "lease-1")
        .acknowledge(NOW + LEASE * 2, lease_token="lease-1", sha256=SHA, file_name="x", try_no=1)
    )

    assert late.state == SendState.WRITTEN


def test_each_event_of_a_try_applies_once():
    sent = written().event(NOW, EventKind.SENT, 1)

    assert sent.state == SendState.SENT and sent.sent_at == NOW
    assert sent.event(NOW, EventKind.SENT, 1) is sent


def test_a_try_of_another_send_is_refused():
    with pytest.raises(SendRefused) as refused:
        written().event(NOW, EventKind.SENT, 4)
    assert refused.value.code == "try_mismatch"


def test_giving_up_answers_the_send_as_failed():
    send = written()
    for try_no in (1, 2):
        send = send.event(NOW, EventKind.SEND_FAILED, try_no)
    gave_up = send.event(NOW, EventKind.GAVE_UP, 3, "网络不通")

    assert (gave_up.state, gave_up.answer, gave_up.message) == (SendState.ANSWERED, Answer.GAVE_UP, "网络不通")


def test_a_send_is_answered_once_and_a_second_answer_leaves_the_first():
    accepted = written().answered(NOW, Answer.ACCEPTED, customs_seq_no="I20249000000000001", answered_by="f1")

    again = accepted.answered(NOW, Answer.REFUSED, message="表头校验失败", answered_by="f2")

    assert again is accepted and accepted.customs_seq_no == "I20249000000000001"


def test_the_sends_of_one_client_seq_no_own_three_try_numbers_each():
    first = queued()
    assert next_send(None) == (1, 1)
    assert next_send(first) == (2, 4)
    assert not first.holds_try(4) and queued(send_no=2, first_try=4).holds_try(4)


@pytest.mark.parametrize(
    ("oldest", "reported", "state"),
    [
        (301, "up", "down"),
        (10, "down", "down"),
        (10, "unknown", "up"),
        (None, "up", "up"),
        (None, "unknown", "unknown"),
        (61, "up", "unknown"),  # a file a minute in OutBox: not yet down, no longer surely sending
        (299, None, "unknown"),
    ],
)
def test_the_client_is_down_when_a_file_sits_in_outbox_five_minutes_or_the_agent_says_so(oldest, reported, state):
    assert client_state(oldest, reported) == state


def test_an_agent_without_a_heartbeat_for_three_minutes_is_silent():
    assert agent_state(None, NOW) == "never_seen"
    assert agent_state(NOW - timedelta(minutes=2, seconds=59), NOW) == "online"
    assert agent_state(NOW - timedelta(minutes=3), NOW) == "silent"
