"""What the channel's model found (docs/model.md, "What the model found"), replayed on the code with
deterministic interleavings; each holds its repair in the exchange service (submit_declaration's
lookup and its staged step's claim check, exchange_inbox's repeated answer)."""

from __future__ import annotations

import pytest

from chalicelib.domain.smart_status import SmartStatus
from chalicelib.services import exchange_inbox
from chalicelib.services.batches import start_batch
from chalicelib.services.engine import Invocation
from chalicelib.services.results import continue_declarations
from chalicelib.services.submit_declaration import SENDING_LEASE, submit_declaration
from tests.exchange_files import dec_result, failed, successed
from tests.unit.test_exchange_exactly_once import forward, validated, write


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
