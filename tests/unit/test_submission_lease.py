"""Exactly once without an idempotency record: the submission's sending lease (lifecycle.start_sending,
services/submit_declaration.holds_lease), proven with deterministic interleavings on fakes."""

from __future__ import annotations

import pytest

from chalicelib.domain import lifecycle
from chalicelib.services.batches import start_batch
from chalicelib.services.engine import Invocation
from chalicelib.services.submit_declaration import SENDING_LEASE, holds_lease, submit_declaration
from chalicelib.services.validate_declaration import validate_declaration
from tests.engine_harness import Harness


def passed_gates(h: Harness, n: int = 1) -> tuple[list[str], list[dict]]:
    """n declarations claimed and validated: their submission messages, not yet delivered."""
    seq_nos = h.declarations_marked(n)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    while h.queue.validation:
        validate_declaration(h.queue.validation.pop(0), h.engine, h.logistics)
    messages, h.queue.submission = h.queue.submission, []
    return seq_nos, messages


def test_two_deliveries_at_once_both_past_the_read_send_the_declaration_once():
    h = Harness()
    [seq_no], [message] = passed_gates(h)
    # Given two invocations of the same message that both read the declaration in progress
    first, second = Invocation.start(h.engine, [message]), Invocation.start(h.engine, [message])
    # When the first takes its lease, and the second runs to its end before the first sends
    assert holds_lease(h.engine, first, message) is True
    assert submit_declaration(message, h.engine, h.customs, second) == "duplicate"
    # Then customs has heard nothing yet, and the first sends it once
    assert h.customs.sent == []
    assert submit_declaration(message, h.engine, h.customs, first) == "succeeded"
    first.finish()
    assert h.customs.sent == [seq_no] and h.customs.duplicates == 0
    assert h.decl(seq_no).sending_until is None


def test_a_holder_that_died_is_replaced_only_once_its_lease_has_ended():
    h = Harness()
    [seq_no], [message] = passed_gates(h)
    assert holds_lease(h.engine, Invocation.start(h.engine, [message]), message)  # then the Lambda died
    # A delivery while the lease runs leaves it to the holder
    assert submit_declaration(message, h.engine, h.customs) == "duplicate"
    # The dead holder's message comes back after the visibility timeout, past the lease
    h.clock.advance(seconds=SENDING_LEASE.total_seconds())
    assert submit_declaration(message, h.engine, h.customs) == "succeeded"
    assert h.customs.sent == [seq_no] and h.customs.duplicates == 0


def test_a_holder_that_died_after_customs_answered_is_not_sent_again_by_its_redelivery():
    h = Harness()
    [seq_no], [message] = passed_gates(h)

    def die_at_the_declared_write(change):
        if change.entries:  # the lease has no log entry; the declared write has
            raise RuntimeError("Lambda died after customs answered")

    h.uow.before_commit = die_at_the_declared_write
    with pytest.raises(RuntimeError):
        submit_declaration(message, h.engine, h.customs)
    h.uow.before_commit = None
    h.clock.advance(seconds=SENDING_LEASE.total_seconds())  # back after the visibility timeout

    assert submit_declaration(message, h.engine, h.customs) == "succeeded"
    assert h.customs.sent == [seq_no] and h.customs.duplicates == 0
    assert h.log.list(seq_no)[-1].details["found_at_customs"] is True


def test_an_invocation_takes_all_its_leases_in_one_write_and_commits_its_answers_together():
    h = Harness()
    seq_nos, messages = passed_gates(h, 5)
    run = Invocation.start(h.engine, messages)
    before, logged = h.uow.requests, {s: len(h.log.list(s)) for s in seq_nos}

    outcomes = [submit_declaration(m, h.engine, h.customs, run) for m in messages]
    run.finish()

    assert outcomes == ["succeeded"] * 5
    assert h.uow.requests - before == 1 + 1  # the leases, then every customs answer when it finishes
    assert all(len(h.log.list(s)) == logged[s] + 1 for s in seq_nos)  # only the submission's entry


def test_a_lease_another_invocation_holds_cannot_be_taken_and_leaving_progress_ends_it():
    h = Harness()
    [seq_no], [message] = passed_gates(h)
    decl = h.decl(seq_no)
    now = h.clock()
    leased = lifecycle.start_sending(decl, now, now + SENDING_LEASE).after

    assert lifecycle.may_send(leased, message["batch_no"], now) is False
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.start_sending(leased, now, now + SENDING_LEASE)
    assert lifecycle.timed_out(leased, now).after.sending_until is None
    assert lifecycle.start_sending(decl, now, now + SENDING_LEASE).after.updated_at == decl.updated_at


def test_customs_down_is_asked_once_per_invocation_and_the_whole_batch_waits():
    h = Harness()
    seq_nos, messages = passed_gates(h, 10)
    h.customs.down = True
    calls = []
    real_lookup = h.customs.lookup
    h.customs.lookup = lambda client_seq_no: calls.append(client_seq_no) or real_lookup(client_seq_no)
    run = Invocation.start(h.engine, messages)

    outcomes = [submit_declaration(m, h.engine, h.customs, run) for m in messages]
    run.finish()

    assert outcomes == ["wait"] * 10
    assert len(calls) == 1  # each call may cost the gateway's retries and time-outs: only the first is paid
    assert all(h.decl(s).waiting_reason == "customs_unavailable" for s in seq_nos)
    assert all(h.decl(s).sending_until is None for s in seq_nos)


def test_a_message_the_invocation_did_not_see_at_its_start_still_gets_its_lease():
    h = Harness()
    seq_nos, messages = passed_gates(h, 2)
    run = Invocation.start(h.engine, messages[:1])

    outcomes = [submit_declaration(m, h.engine, h.customs, run) for m in messages]

    assert outcomes == ["succeeded", "succeeded"]
    assert sorted(h.customs.sent) == sorted(seq_nos) and h.customs.duplicates == 0


def test_a_validation_batch_commits_its_steps_in_one_request_and_sends_on_only_what_committed():
    h = Harness()
    seq_nos = h.declarations_marked(3)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    messages, h.queue.validation = h.queue.validation, []
    run = Invocation.start(h.engine, messages)
    # Given the three validated in one invocation, and one of them moved by another writer meanwhile
    outcomes = [validate_declaration(m, h.engine, h.logistics, run) for m in messages]
    taken = h.decl(seq_nos[1])
    h.declarations.items[seq_nos[1]] = taken.with_changes(version=taken.version + 1)
    before = h.uow.requests
    # When the invocation finishes
    lost = run.finish()
    # Then its steps went in one request, the moved one was dropped, and only the others go to submission
    assert outcomes == ["pass"] * 3
    assert lost == {seq_nos[1]}
    assert h.uow.requests - before == 2  # the request the moved one spoiled, then the others again
    assert sorted(m["seq_no"] for m in h.queue.submission) == sorted([seq_nos[0], seq_nos[2]])
    assert [e.gate for e in h.log.list(seq_nos[1])].count("submit") == 0


def test_a_message_delivered_twice_in_one_batch_is_staged_once():
    h = Harness()
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    [message] = h.queue.validation
    h.queue.validation = []
    run = Invocation.start(h.engine, [message, message])

    outcomes = [validate_declaration(m, h.engine, h.logistics, run) for m in (message, message)]
    run.finish()

    assert outcomes == ["pass", "duplicate"]
    assert [m["seq_no"] for m in h.queue.submission] == [seq_no]


def test_a_receipt_that_overtakes_customs_answer_loses_neither_the_answer_nor_the_receipt():
    h = Harness()
    [seq_no], [message] = passed_gates(h)
    overtaken = []

    def receipt_first(change):
        # customs' 入库成功 is applied between customs' answer and our write of it
        if change.entries and change.entries[-1].gate == "submit" and not overtaken:
            current = h.decl(seq_no)
            h.declarations.items[seq_no] = current.with_changes(status="accepted", version=current.version + 1)
            overtaken.append(seq_no)

    h.uow.before_commit = receipt_first
    assert submit_declaration(message, h.engine, h.customs) == "succeeded"
    decl = h.decl(seq_no)
    assert overtaken == [seq_no]
    assert (decl.smart_status, str(decl.status)) == ("succeeded", "accepted")
    assert h.customs.sent == [seq_no] and h.customs.duplicates == 0


def test_a_receipt_that_overtakes_one_staged_answer_of_a_batch_has_only_that_answer_made_again():
    h = Harness()
    seq_nos, messages = passed_gates(h, 3)
    overtaken = seq_nos[1]
    run = Invocation.start(h.engine, messages)

    def receipt_first(change):
        # customs' 入库成功 for the second declaration is applied before the batch's answers are written
        if change.seq_no == overtaken and change.entries and change.entries[-1].gate == "submit":
            current = h.decl(overtaken)
            if str(current.status) != "accepted":
                h.declarations.items[overtaken] = current.with_changes(status="accepted", version=current.version + 1)

    outcomes = [submit_declaration(m, h.engine, h.customs, run) for m in messages]
    h.uow.before_commit = receipt_first
    lost = run.finish()

    assert outcomes == ["succeeded"] * 3 and lost == set()
    assert [h.decl(s).smart_status for s in seq_nos] == ["succeeded"] * 3
    assert str(h.decl(overtaken).status) == "accepted"  # the receipt kept, the answer on top of it
    assert h.customs.sent == seq_nos and h.customs.duplicates == 0
    assert all(sum(e.gate == "submit" for e in h.log.list(s)) == 1 for s in seq_nos)  # logged once each


def test_with_slow_customs_the_answers_held_are_committed_once_they_have_waited_long_enough():
    # a function that times out loses what it holds to the lookup of a redelivery, minutes later:
    # answers are not held past ANSWERS_HELD_AT_MOST
    h = Harness()
    seq_nos, messages = passed_gates(h, 3)
    run = Invocation.start(h.engine, messages)
    declare = h.customs.declare

    def slow(client_seq_no, xml, **_):
        h.clock.advance(seconds=20)
        return declare(client_seq_no, xml)

    h.customs.declare = slow
    before = h.uow.requests
    outcomes = [submit_declaration(m, h.engine, h.customs, run) for m in messages[:2]]

    # 40 s after the invocation began, at the second answer, both answers held were written
    assert outcomes == ["succeeded"] * 2 and h.uow.requests - before == 1 + 1
    assert [h.decl(s).smart_status for s in seq_nos] == ["succeeded", "succeeded", "in_progress"]

    submit_declaration(messages[2], h.engine, h.customs, run)
    assert run.finish() == set()
    assert h.decl(seq_nos[2]).smart_status == "succeeded" and h.customs.duplicates == 0
