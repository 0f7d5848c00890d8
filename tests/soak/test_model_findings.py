"""What the channel's model found (docs/model.md, "What the model found"), replayed on the code with
deterministic interleavings; each holds its repair in the exchange service (submit_declaration's
lookup and its staged step's claim check, exchange_inbox's repeated answer, lifecycle.waits_for for
the next send's steps before its handover is committed)."""

from __future__ import annotations

import pytest

from chalicelib.domain.smart_status import SmartStatus
from chalicelib.services import exchange, exchange_inbox
from chalicelib.services.batches import CLAIM_TIMEOUT, run_schedule, start_batch
from chalicelib.services.engine import Invocation
from chalicelib.services.results import continue_declarations
from chalicelib.services.submit_declaration import SENDING_LEASE, submit_declaration
from chalicelib.services.validate_declaration import validate_declaration
from tests.exchange_files import dec_result, failed, stem, successed
from tests.unit.test_exchange_exactly_once import AGENT, forward, validated, write


class _Racing:
    """The exchange gateway, with the agent, the client and the answer acting just before the
    submission's lookup (between its lease and its declare)."""

    def __init__(self, inner, before_lookup) -> None:
        self._inner, self._before = inner, before_lookup

    def lookup(self, client_seq_no):
        if self._before:
            step, self._before = self._before, None
            step()
        return self._inner.lookup(client_seq_no)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_a_redelivered_submission_leased_before_the_refusal_puts_no_second_send():
    h, x, outbox, seq_no, message = validated()
    # Given an invocation put send 1 and died before committing its handover (its message comes back)
    dead = Invocation.start(h.engine, [message])
    assert submit_declaration(message, h.engine, h.customs, dead) == "handed_over"
    h.clock.advance(seconds=SENDING_LEASE.total_seconds() + 1)

    # When the redelivered message's invocation has taken the lease, and meanwhile the agent writes
    # send 1, the client sends it and customs refuses it (the declaration fails, as answered)
    def client_answers():
        write(x, seq_no)
        forward(x, failed(seq_no))

    run = Invocation.start(h.engine, [message])
    submit_declaration(message, h.engine, _Racing(h.customs, client_answers), run)
    run.finish()

    # Then no second send of the ClientSeqNo exists without a person's continue
    assert h.decl(seq_no).smart_status == SmartStatus.FAILED
    assert (seq_no, 2) not in outbox.items


def test_receipts_parked_before_the_answer_are_applied_when_the_answers_first_invocation_died(monkeypatch):
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    write(x, seq_no)
    assert forward(x, dec_result(None, "L"))["outcome"] == "unmatched"  # parked under customs' SeqNo

    # Given the invocation applying the answer dies after its commit, before it unparks
    unpark = exchange_inbox._unpark

    def dies(*args, **kwargs):
        raise RuntimeError("the invocation dies")

    monkeypatch.setattr(exchange_inbox, "_unpark", dies)
    with pytest.raises(RuntimeError):
        forward(x, successed(seq_no))
    monkeypatch.setattr(exchange_inbox, "_unpark", unpark)

    # When the agent, which got no 2xx, forwards the answer again
    forward(x, successed(seq_no))

    # Then the parked receipt is applied
    assert h.decl(seq_no).receipt_channel == "L"


def test_a_handover_staged_before_the_answer_does_not_hold_the_declarations_next_claim():
    h, x, outbox, seq_no, message = validated()
    # Given a submission that put send 1 and holds its handed-over step until its invocation ends
    run = Invocation.start(h.engine, [message])
    assert submit_declaration(message, h.engine, h.customs, run) == "handed_over"
    # and meanwhile send 1 is written and refused, a person continues, and the next batch claims it
    write(x, seq_no)
    forward(x, failed(seq_no))
    assert h.decl(seq_no).smart_status == SmartStatus.FAILED
    continue_declarations(h.identity, {"seq_nos": [seq_no]}, h.engine)
    h.clock.advance(seconds=600)
    for execution_id, after, _ in h.queue.triggers:
        start_batch(h.engine, execution_id, after)
    claimed = h.decl(seq_no)
    assert claimed.smart_status == SmartStatus.IN_PROGRESS and claimed.batch_no != message["batch_no"]

    # When the first submission's invocation ends
    run.finish()

    # Then the new claim is not made to wait for send 1, answered already
    assert h.decl(seq_no).handover is None
    assert h.decl(seq_no).batch_no == claimed.batch_no


def _claimed_again(h, seq_no, continued=True):
    """A person continues the failed declaration (unless it is in the pool already); the next batch
    claims and validates it. Its submit message, not delivered yet."""
    if continued:
        continue_declarations(h.identity, {"seq_nos": [seq_no]}, h.engine)
    h.clock.advance(seconds=600)
    for execution_id, after, _ in h.queue.triggers:
        start_batch(h.engine, execution_id, after)
    while h.queue.validation:
        validate_declaration(h.queue.validation.pop(0), h.engine, h.logistics)
    [message] = h.queue.submission
    h.queue.submission = []
    return message


def _write_send(x, seq_no, send_no):
    [taken] = exchange.take(x, AGENT, None)["messages"]
    assert taken["send_no"] == send_no
    try_no = taken["first_try"]
    body = {"lease_token": taken["lease_token"], "file_name": f"{stem(seq_no, try_no)}.zip", "sha256": taken["sha256"]}
    exchange.acknowledge(x, AGENT, seq_no, send_no, {**body, "try": try_no})
    return try_no


def _send_two_staged():
    """Send 1 refused, a person continued, and the next batch's submission put send 2 and holds its
    handed-over step until its invocation (returned, not finished) ends."""
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    write(x, seq_no)
    forward(x, failed(seq_no))
    again = _claimed_again(h, seq_no)
    run = Invocation.start(h.engine, [again])
    assert submit_declaration(again, h.engine, h.customs, run) == "handed_over"
    return h, x, seq_no, run


def test_the_second_sends_answer_before_its_handover_is_committed_is_applied_and_the_handover_is_a_no_op():
    # Given send 1 was refused, a person continued, and the next batch's submission put send 2 and
    # holds its handed-over step until its invocation ends (the declaration's send_no is still 1)
    h, x, seq_no, run = _send_two_staged()
    assert h.decl(seq_no).send_no == 1

    # When the agent writes send 2 and the client's answer to it comes before the invocation ends
    try_no = _write_send(x, seq_no, 2)
    answer = forward(x, successed(seq_no, try_no=try_no))
    run.finish()

    # Then the answer is the declaration's (declared), and the staged handed_over(2) waits for nothing
    assert answer["outcome"] == "applied"
    decl = h.decl(seq_no)
    assert (decl.smart_status, decl.status, decl.handover, decl.send_no) == (SmartStatus.SUCCEEDED, "declared", None, 2)
    batch = h.engine.batches.get(decl.batch_no)
    assert (batch.succeeded, batch.failed) == (1, 0)


def test_a_refusal_found_by_the_lookup_is_taken_by_the_declaration_so_a_continue_sends_again():
    h, x, outbox, seq_no, message = validated()
    # Given an invocation put send 1 and died before committing its handover; the claim's deadline
    # passed and the schedule put the declaration back in the pool
    submit_declaration(message, h.engine, h.customs, Invocation.start(h.engine, [message]))
    h.clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 1)
    run_schedule(h.engine)
    assert h.decl(seq_no).smart_status == SmartStatus.PENDING
    # and meanwhile send 1 was written and refused: its answer is kept (the declaration waited for nothing)
    write(x, seq_no)
    assert forward(x, failed(seq_no))["outcome"] == "kept"

    # When the next batch's submission finds send 1 refused, and a person continues
    h.queue.submission = []
    nxt = _claimed_again(h, seq_no, continued=False)
    assert submit_declaration(nxt, h.engine, h.customs) == "failed"
    assert h.decl(seq_no).send_no == 1  # the refusal found is the declaration's answer
    again = _claimed_again(h, seq_no)
    submit_declaration(again, h.engine, h.customs)

    # Then the declaration is handed over as send 2 (not failed again by the same refusal, for ever)
    decl = h.decl(seq_no)
    assert (decl.smart_status, decl.handover, decl.send_no) == (SmartStatus.IN_PROGRESS, "queued", 2)
    assert (seq_no, 2) in outbox.items


def test_the_second_send_written_before_its_handover_is_committed_shows_written_and_takes_its_answer():
    h, x, seq_no, run = _send_two_staged()
    # Given the agent wrote send 2 before the submission's invocation ended
    try_no = _write_send(x, seq_no, 2)
    run.finish()

    # Then the declaration shows send 2 written (the staged handed_over does not move it back)
    decl = h.decl(seq_no)
    assert (decl.smart_status, decl.handover, decl.send_no) == (SmartStatus.IN_PROGRESS, "written", 2)
    # and send 2's answer, when it comes, is its own
    assert forward(x, failed(seq_no, try_no=try_no))["outcome"] == "applied"
    assert h.decl(seq_no).smart_status == SmartStatus.FAILED


def test_a_refusal_found_when_declaring_by_hand_is_taken_by_the_declaration_so_declaring_again_sends_again():
    from chalicelib.domain import errors, lifecycle
    from chalicelib.services.manual_declare import declare_by_hand

    h, x, outbox, seq_no, message = validated()
    # Given send 1 was put by an invocation that died, the claim timed out, and send 1 was refused
    # while the declaration waited for nothing (its answer kept)
    submit_declaration(message, h.engine, h.customs, Invocation.start(h.engine, [message]))
    h.clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 1)
    h.engine.commit(lifecycle.timed_out(h.decl(seq_no), h.clock()))
    write(x, seq_no)
    assert forward(x, failed(seq_no))["outcome"] == "kept"

    # When a person declares it by hand: the refusal is found and said
    with pytest.raises(errors.DomainError) as refused:
        declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    assert refused.value.code == "customs_refused"
    assert (h.decl(seq_no).smart_status, h.decl(seq_no).send_no) == (SmartStatus.PENDING, 1)

    # Then declaring it by hand again hands it over as send 2 (not the same refusal, for ever)
    again = declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    assert (again["handover"], again["send_no"]) == ("queued", 2)
