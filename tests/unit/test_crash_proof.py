"""Fault injection on the engine (fakes, deterministic): a step function dies just before or
just after each write of claim → validate → submit, and every message is delivered twice.
Nothing is declared twice, no event is lost or doubled, every declaration ends in a legal state
whose log agrees with its record, and the batch counts equal the declarations."""
from __future__ import annotations

from collections import Counter

import pytest

from chalicelib.domain import lifecycle
from chalicelib.services.batches import run_schedule, start_batch
from chalicelib.services.engine import Invocation
from chalicelib.services.submit_declaration import submit_declaration
from chalicelib.services.validate_declaration import validate_declaration
from tests.engine_harness import Harness

N = 6


class Died(Exception):
    """The Lambda was killed: nothing after this point of the invocation ran."""


def _step_of(change) -> str:
    if change.after.smart_status == "in_progress" and change.before.smart_status != "in_progress":
        return "claim"
    if change.after.smart_status == "in_progress":
        return "validate"
    return "submit"


def _arm(h: Harness, step: str, when: str, victims: set[str]) -> None:
    """Kill the invocation at its first write of `step` for each victim, before or after it commits."""
    real = h.uow.commit

    def commit(change):
        hit = _step_of(change) == step and change.seq_no in victims
        if hit and when == "before":
            victims.discard(change.seq_no)
            raise Died(step)
        real(change)
        if hit:
            victims.discard(change.seq_no)
            raise Died(step)

    h.uow.commit = commit


def _deliver(h: Harness, use_case, message: dict, *args) -> None:
    """One invocation for one message, twice (SQS delivers at least once); a death skips finish()."""
    for _ in range(2):
        for _attempt in range(3):  # a died invocation's message comes back after its visibility timeout
            run = Invocation.start(h.engine, [message])
            try:
                use_case(message, h.engine, *args, run)
            except Died:
                continue
            run.finish()
            break


def _schedule(h: Harness) -> None:
    """The one-minute safety net, long enough later: requeues dead claims, closes and starts batches."""
    h.clock.advance(minutes=21)
    try:
        run_schedule(h.engine)
    except Died:
        pass


def _drive(h: Harness, execution_id: str) -> None:
    try:
        start_batch(h.engine, execution_id, 0)
    except Died:
        pass  # the trigger comes back, but the execution has moved on: the schedule picks it up
    _run_queues(h)


def _run_queues(h: Harness) -> None:
    while h.queue.validation or h.queue.submission or any(t[2] == 0 for t in h.queue.triggers):
        if h.queue.validation:
            _deliver(h, validate_declaration, h.queue.validation.pop(0), h.logistics)
        elif h.queue.submission:
            _deliver(h, submit_declaration, h.queue.submission.pop(0), h.customs)
        else:
            trigger = next(t for t in h.queue.triggers if t[2] == 0)
            h.queue.triggers.remove(trigger)
            try:
                start_batch(h.engine, trigger[0], trigger[1])
            except Died:
                pass


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", ["claim", "validate", "submit"])
def test_a_crash_before_or_after_any_write_loses_and_doubles_nothing(step, when):
    # Given N marked declarations, and a step function that dies at that write for half of them
    h = Harness()
    seq_nos = h.declarations_marked(N)
    execution_id = h.start(h.config())
    h.queue.triggers.clear()
    _arm(h, step, when, set(seq_nos[::2]))
    # When the whole pipeline runs, every message delivered twice
    _drive(h, execution_id)
    for _ in range(4):  # anything requeued by a death goes in a later batch
        if all(h.decl(s).smart_status == "succeeded" for s in seq_nos):
            break
        _schedule(h)
        _run_queues(h)
    # Then each is declared once, in a legal state whose log agrees with it
    assert h.customs.duplicates == 0 and sorted(set(h.customs.sent)) == sorted(seq_nos)
    for s in seq_nos:
        decl = h.decl(s)
        assert (decl.smart_status, str(decl.status)) == ("succeeded", "declared")
        results = [e.result for e in h.log.list(s) if e.result]
        assert results[-1] == lifecycle.settled(decl) == "succeeded"
        assert [e.gate for e in h.log.list(s)].count("submit") >= 1
    # and subscribers hear of each declaration exactly once
    declared = Counter(e.seq_no for e in h.uow.events if e.data.get("smart_status") == "succeeded")
    assert declared == Counter(seq_nos)
    assert len({e.event_id for e in h.uow.events}) == len(h.uow.events)
    # and every batch counts each declaration it ended exactly once
    batches = h.engine.batches.items.values()
    assert sum(b.succeeded for b in batches) == N
    assert all(b.processed == b.claimed for b in batches)
