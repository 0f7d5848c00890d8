"""Fault injection on the engine (fakes, deterministic): a step function dies just before or
just after each write of claim → validate → lease → submit → receipt → publish, and every message (SQS
and stream) is delivered twice.
Nothing is declared twice, no event is lost or doubled, every declaration ends in a legal state
whose log agrees with its record, and the batch counts equal the declarations."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter

import pytest

from chalicelib.domain import lifecycle, messages
from chalicelib.services.batches import run_schedule, start_batch
from chalicelib.services.engine import Invocation
from chalicelib.services.outbox import Committed, publish_committed
from chalicelib.services.receipts import ingest_receipts
from chalicelib.services.submit_declaration import submit_declaration
from chalicelib.services.validate_declaration import validate_declaration
from tests.engine_harness import Harness

N = 6


class Died(Exception):
    """The Lambda was killed: nothing after this point of the invocation ran."""


def _step_of(change) -> str:
    if not change.entries and change.after.sending_until is not None:
        return "lease"  # the submission's sending lease: no log entry, taken for the whole SQS batch
    if change.after.smart_status == "in_progress" and change.before.smart_status != "in_progress":
        return "claim"
    if change.after.smart_status == "in_progress":
        return "validate"
    return "submit"


def _arm(h: Harness, step: str, when: str, victims: set[str]) -> None:
    """Kill the invocation at its first write of `step` for each victim, before or after it commits."""
    real = h.uow.commit

    def commit(change, receipt=None):
        hit = _step_of(change) == step and change.seq_no in victims
        if hit and when == "before":
            victims.discard(change.seq_no)
            raise Died(step)
        real(change, receipt=receipt)
        if hit:
            victims.discard(change.seq_no)
            raise Died(step)

    h.uow.commit = commit
    real_many = h.uow.commit_many

    def commit_many(changes):
        hits = {c.seq_no for c in changes if _step_of(c) == step and c.seq_no in victims}
        if hits and when == "before":
            victims.difference_update(hits)
            raise Died(step)
        lost = real_many(changes)
        if hits:
            victims.difference_update(hits)
            raise Died(step)
        return lost

    h.uow.commit_many = commit_many


def _deliver(h: Harness, use_case, message: dict, *args) -> None:
    """One invocation for one message, twice (SQS delivers at least once); a death anywhere in it,
    the staged steps' commit in finish() included, skips the rest and returns the message."""
    for _ in range(2):
        for _attempt in range(3):  # a died invocation's message comes back after its visibility timeout
            run = Invocation.start(h.engine, [message])
            try:
                use_case(message, h.engine, *args, run)
                run.finish()
            except Died:
                continue
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
@pytest.mark.parametrize("step", ["claim", "validate", "lease", "submit"])
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


# ---- receipts and publishing (issue #10, item 9) ---------------------------------------------

SECRET = "crash-receipt-secret"
RECEIPT_CHANNELS = ("L", "P")  # entered by customs, then released: two business receipts each


class Receipts:
    """An in-memory receipt store with the port's conditions (a receipt stored once)."""

    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def add(self, receipt_id, body, seq_no, received_at):
        if receipt_id in self.items:
            return self.items[receipt_id]
        self.items[receipt_id] = {**body, "applied": False}
        return None

    def mark_applied(self, receipt_id):
        self.items[receipt_id]["applied"] = True

    def unmatched(self, limit=100):
        return []


class Dying:
    """A proxy that kills the invocation just before or just after the first call of each named method."""

    def __init__(self, target, when: str, methods: set[str]) -> None:
        self._target, self._when, self._armed = target, when, set(methods)

    def __getattr__(self, name):
        value = getattr(self._target, name)
        if name not in self._armed:
            return value

        def dying(*args, **kwargs):
            self._armed.discard(name)
            if self._when == "before":
                raise Died(name)
            value(*args, **kwargs)
            raise Died(name)

        return dying


def _dec_result(customs_seq_no: str, entry_id: str, channel: str) -> bytes:
    return (
        f"<DEC_RESULT><CUS_CIQ_NO>{customs_seq_no}</CUS_CIQ_NO><ENTRY_ID>{entry_id}</ENTRY_ID>"
        f"<NOTICE_DATE>2024-03-21T12:00:0{RECEIPT_CHANNELS.index(channel)}</NOTICE_DATE><CHANNEL>{channel}</CHANNEL>"
        f"<NOTE>回执</NOTE><CUSTOM_MASTER>0101</CUSTOM_MASTER></DEC_RESULT>"
    ).encode()


def _signed(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _stream(h: Harness) -> list[Committed]:
    """The log table's stream: one record per committed change (its last log item carries its events)."""
    records: list[Committed] = []
    real = h.uow.commit

    def commit(change, receipt=None):
        real(change, receipt=receipt)
        records.append(Committed(str(len(records)), tuple(change.events)))

    h.uow.commit = commit
    real_many = h.uow.commit_many

    def commit_many(changes):
        lost = real_many(changes)
        for change in changes:
            if change.seq_no not in lost:
                records.append(Committed(str(len(records)), tuple(change.events)))
        return lost

    h.uow.commit_many = commit_many
    return records


class Subscriber:
    """What SNS delivers to: every message as published (at least once), deduplicated by event id
    as our SMS and webhook consumers do."""

    def __init__(self) -> None:
        self.received: list = []

    def publish(self, events):
        self.received.extend(events)


class DyingPublisher:
    """SNS that takes the request and the invocation dies (after), or dies before sending (before)."""

    def __init__(self, target: Subscriber, when: str, deaths: int) -> None:
        self.target, self.when, self.deaths = target, when, deaths

    def publish(self, events):
        if self.deaths and self.when == "before":
            self.deaths -= 1
            raise Died("publish")
        self.target.publish(events)
        if self.deaths:
            self.deaths -= 1
            raise Died("publish")


def _publish_all(records: list[Committed], publisher, batch: int = 4) -> None:
    """The stream mapping: batches in order, each delivered twice; a dead invocation's batch comes
    back whole, a reported failure from that record on."""
    position = 0
    while position < len(records):
        chunk = records[position : position + batch]
        for _delivery in range(2):
            while True:
                try:
                    failed = publish_committed(chunk, publisher)
                except Died:
                    continue  # the whole batch is retried
                if failed:
                    chunk = chunk[[r.item_id for r in chunk].index(failed[0]) :]
                    continue
                break
        position += batch


def _declare_all(h: Harness, seq_nos: list[str]) -> None:
    execution_id = h.start(h.config())
    h.queue.triggers.clear()
    _drive(h, execution_id)
    assert all(h.decl(s).smart_status == "succeeded" for s in seq_nos)


# A matched receipt is stored, marked applied and applied in one write (UnitOfWork.commit with the
# receipt): that write is the receipt's only write point.
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_the_receipt_write_applies_each_receipt_once(when):
    # Given N declared declarations
    h = Harness()
    seq_nos = h.declarations_marked(N)
    _declare_all(h, seq_nos)
    stream = _stream(h)
    store = Receipts()
    # and receipt intake that dies at that write for every other receipt
    victims = {(s, c) for s in seq_nos[::2] for c in RECEIPT_CHANNELS}
    real_commit = h.uow.commit
    for seq_no in seq_nos:
        decl = h.decl(seq_no)
        for channel in RECEIPT_CHANNELS:
            body = _dec_result(decl.customs_seq_no, f"0101202410{seq_no[-8:]}", channel)
            for _delivery in range(2):  # customs sends again until it hears 200; and at least once anyway
                armed = (seq_no, channel) in victims
                victims.discard((seq_no, channel))
                receipts = store
                if armed:
                    h.uow.commit = Dying(
                        type("U", (), {"commit": staticmethod(real_commit)})(), when, {"commit"}
                    ).commit
                for _attempt in range(3):
                    try:
                        ingest_receipts(body, _signed(body), SECRET, h.engine, receipts)
                        break
                    except Died:
                        receipts = store
                        h.uow.commit = real_commit
                h.uow.commit = real_commit
    # Then each declaration moved to released once per receipt, log and record agreeing
    for seq_no in seq_nos:
        decl = h.decl(seq_no)
        assert (str(decl.status), decl.receipt_channel) == ("released", "P")
        applied = [e.details["channel"] for e in h.log.list(seq_no) if e.gate == "receipt"]
        assert applied == list(RECEIPT_CHANNELS), applied
    # and subscribers are told of each receipt once
    told = Counter((e.seq_no, e.data["channel"]) for r in stream for e in r.events)
    assert told == Counter({(s, c): 1 for s in seq_nos for c in RECEIPT_CHANNELS})
    applied = {**store.items, **h.uow.receipts}
    assert all(r["applied"] for r in applied.values()) and len(applied) == N * len(RECEIPT_CHANNELS)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_publishing_and_every_stream_record_twice_lose_and_double_nothing(when):
    # Given N declarations declared and given both receipts, with the stream recorded from the start
    h = Harness()
    stream = _stream(h)
    seq_nos = h.declarations_marked(N)
    _declare_all(h, seq_nos)
    store = Receipts()
    for seq_no in seq_nos:
        for channel in RECEIPT_CHANNELS:
            body = _dec_result(h.decl(seq_no).customs_seq_no, f"0101202410{seq_no[-8:]}", channel)
            ingest_receipts(body, _signed(body), SECRET, h.engine, store)
    committed = [e for r in stream for e in r.events]
    # When the publisher dies around SNS three times, and every stream batch is delivered twice
    subscriber = Subscriber()
    _publish_all(stream, DyingPublisher(subscriber, when, deaths=3))
    # Then no committed event is lost, and none is a second event for the same change
    distinct = {e.event_id: e for e in subscriber.received}
    assert set(distinct) == {e.event_id for e in committed}
    assert len(committed) == len({e.event_id for e in committed}) == N * 3  # declared + two receipts each
    changes = Counter((e.seq_no, messages.state_of(e)) for e in distinct.values())
    assert set(changes.values()) == {1}


def test_the_same_receipt_delivered_twice_at_once_is_applied_once():
    # Given a declared declaration, and customs sending its receipt again while the first is being applied
    # (the simulator's 5 s timeout under load: seen in `make demo` as the same e-mail sent three times)
    h = Harness()
    [seq_no] = h.declarations_marked(1)
    _declare_all(h, [seq_no])
    stream = _stream(h)
    store = Receipts()
    body = _dec_result(h.decl(seq_no).customs_seq_no, "010120241000000001", "L")
    second: list[dict] = []
    started: list[bool] = []

    def interleave(change):
        if not started:  # the first delivery is about to write: the second runs whole meanwhile
            started.append(True)
            second.append(ingest_receipts(body, _signed(body), SECRET, h.engine, store))

    h.uow.before_commit = interleave
    first = ingest_receipts(body, _signed(body), SECRET, h.engine, store)
    # Then it is applied, logged and pushed once
    assert [e.gate for e in h.log.list(seq_no)].count("receipt") == 1
    assert sum(len(r.events) for r in stream) == 1
    assert first["received"] == second[0]["received"] == 1
    assert [r["applied"] for r in h.uow.receipts.values()] == [True]


def test_a_validation_that_dies_after_its_commit_reaches_submission_on_redelivery_without_the_scheduler():
    # Given a validation invocation that commits the passed gates, then dies before sending on
    h = Harness()
    [seq_no] = h.declarations_marked(1)
    execution_id = h.start(h.config())
    h.queue.triggers.clear()
    _arm(h, "validate", "after", {seq_no})
    start_batch(h.engine, execution_id, 0)
    message = h.queue.validation.pop(0)
    run = Invocation.start(h.engine, [message])
    with pytest.raises(Died):
        validate_declaration(message, h.engine, h.logistics, run)
        run.finish()
    assert h.queue.submission == [] and h.decl(seq_no).smart_status == "in_progress"
    # When SQS hands the message back (no clock moved, no schedule run)
    run = Invocation.start(h.engine, [message])
    outcome = validate_declaration(message, h.engine, h.logistics, run)
    run.finish()
    # Then it goes on to submission at once, not after the claim's time-out
    assert outcome == "pass" and [m["seq_no"] for m in h.queue.submission] == [seq_no]
