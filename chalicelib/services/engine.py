"""What the engine's use cases share: their ports in one bundle, and how a step is committed
(one Change of the declaration's lifecycle, written by the unit of work in one request, and its
outcome counted on its batch)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain import lifecycle
from chalicelib.domain.configs import ConfigContent
from chalicelib.domain.declaration import Declaration
from chalicelib.domain.lifecycle import Change, Outcome
from chalicelib.domain.price_history import PriceKey

from .ports import (
    BatchRepository,
    Clock,
    ConditionFailed,
    ConfigRepository,
    Counter,
    DeclarationLog,
    DeclarationRepository,
    EventPublisher,
    ExecutionRepository,
    PartsRepository,
    PriceHistory,
    StoredReceipt,
    UnitOfWork,
    WorkQueue,
    utc_now,
)

MAX_SQS_DELAY = 900  # seconds; longer waits are bridged by re-sending, or by the schedule
DEFAULT_RECHECK = timedelta(seconds=ConfigContent.model_fields["recheck_seconds"].default)


def recheck_after(config: Any) -> timedelta:
    """How long a waiting declaration rests before a batch re-checks it (its config's interval;
    the default when the config is gone)."""
    return timedelta(seconds=config.content.recheck_seconds) if config is not None else DEFAULT_RECHECK


@dataclass
class Engine:
    declarations: DeclarationRepository
    configs: ConfigRepository
    executions: ExecutionRepository
    batches: BatchRepository
    log: DeclarationLog
    queue: WorkQueue
    counter: Counter
    uow: UnitOfWork
    clock: Clock = utc_now
    batch_size: int = 100
    # None when events leave through the log table's stream (functions/publish_events.py); else a
    # change's events are published right after it committed
    publisher: EventPublisher | None = None
    receipt_watchdog: timedelta = timedelta(hours=24)  # declared and no receipt after this: flagged
    # the parts library the advisory gate compares goods with (None: no part is compared)
    parts: PartsRepository | None = None
    # the enterprises' recent prices the advisory gate compares goods with (None: no price is compared)
    prices: PriceHistory | None = None

    def commit(self, change: Change) -> Declaration | None:
        """Write one transition; None when another worker moved the declaration first."""
        try:
            self.uow.commit(change)
        except ConditionFailed:
            return None
        self.publish([change])
        return change.after

    def commit_fresh(
        self,
        decl: Declaration,
        change_for: Callable[[Declaration], Change],
        *,
        still_ours: Callable[[Declaration], bool] = lambda d: True,
        receipt: StoredReceipt | None = None,
        attempts: int = 5,
    ) -> Change | None:
        """Write `change_for(decl)`; when another writer moved the record first, apply the same step
        to the record as it now is (read again), while it is `still_ours`. None when it vanished, is
        no longer ours, or kept moving. A receipt goes in the change's own write (UnitOfWork.commit);
        ReceiptAlreadyApplied passes through."""
        for attempt in range(attempts):
            if attempt:
                fresh = self.declarations.get(decl.seq_no)
                if fresh is None or not still_ours(fresh):
                    return None
                decl = fresh
            change = change_for(decl)
            try:
                self.uow.commit(change, receipt=receipt)
            except ConditionFailed:
                continue
            self.publish([change])
            return change
        return None

    def publish(self, changes: Iterable[Change]) -> None:
        """Publish committed changes' events here, unless they leave through the log's stream."""
        events = [e for c in changes for e in c.events]
        if events and self.publisher is not None:
            self.publisher.publish(events)

    def outcome(self, batch_no: str | None, outcome: Outcome | None, seq_no: str) -> None:
        """Count one declaration's outcome on its batch at once (the schedule's time-outs)."""
        if batch_no and outcome is not None:
            self.count(batch_no, {outcome: [seq_no]})

    def count(self, batch_no: str, counted: Mapping[str, Collection[str]]) -> None:
        """Count outcomes on a batch in one write; the last one finishes the batch."""
        batch = self.batches.count(batch_no, counted)
        if batch is not None and batch.done:
            finish_batch(self, batch.batch_no)


@dataclass
class Invocation:
    """What one invocation of a step function shares across its SQS batch: the declarations read
    in one BatchGetItem, each config read once, its steps committed together, the submissions
    sent in one SendMessageBatch, the outcomes counted once per batch.

    Validation stages its steps (`stage`) instead of writing each at once: `finish()` commits every
    staged change in as few TransactWriteItems as fit (UnitOfWork.commit_many, each change still
    conditional on its version), then sends the submissions and counts the outcomes of the changes
    that committed. A change lost to another writer meanwhile is neither sent on nor counted. If
    the commit itself fails, finish() raises, the handler fails and Lambda returns the whole batch
    to the queue: every message is handled again from the declarations as stored, so nothing staged
    is lost. The submission stages customs' answers too, with how to make each again should a
    receipt move the record first (services/submit_declaration.py)."""

    engine: Engine
    declarations: dict[str, Declaration]
    configs: dict[tuple[str, str], Any] = field(default_factory=dict)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    counted: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)  # the batch's readable messages
    leases: dict[str, bool] = field(default_factory=dict)  # submission: seq_no → holds its sending lease
    customs_unreachable: bool = False  # submission: customs failed once here; the rest of the batch waits
    staged: list[Change] = field(default_factory=list)  # committed together by finish()
    lost: set[str] = field(default_factory=set)  # seq_nos whose staged step another writer moved first
    started_at: datetime | None = None  # when the invocation began (engine clock)
    # validation: the enterprises' recent prices read so far, by (ent_code, key) (services/price_advisories.py)
    prices: dict[tuple[str, PriceKey], list[Decimal]] = field(default_factory=dict)
    # submission: for a staged answer, how to put it on the record as it then is, should another
    # writer (a receipt) move the record before finish() commits (seq_no → (step, still ours?))
    again: dict[str, tuple[Callable[[Declaration], Change], Callable[[Declaration], bool]]] = field(
        default_factory=dict
    )

    @classmethod
    def start(cls, engine: Engine, messages: Iterable[dict[str, Any]]) -> Invocation:
        readable = [m for m in messages if isinstance(m, dict) and m.get("seq_no")]
        seq_nos = list(dict.fromkeys(m["seq_no"] for m in readable))
        found = engine.declarations.get_many(seq_nos) if seq_nos else {}
        return cls(engine, found, messages=readable, started_at=engine.clock())

    def running_for(self) -> timedelta:
        return self.engine.clock() - (self.started_at or self.engine.clock())

    def declaration(self, seq_no: str) -> Declaration | None:
        if seq_no not in self.declarations:  # not in the prefetch (a message it did not see)
            found = self.engine.declarations.get(seq_no)
            if found is None:
                return None
            self.declarations[seq_no] = found
        return self.declarations[seq_no]

    def config(self, ent_code: str, config_id: str):
        key = (ent_code, config_id)
        if key not in self.configs:
            self.configs[key] = self.engine.configs.get(ent_code, config_id)
        return self.configs[key]

    def stage(
        self,
        change: Change,
        again: tuple[Callable[[Declaration], Change], Callable[[Declaration], bool]] | None = None,
    ) -> None:
        """Keep the record as it will be (a second message for it in the same batch sees it moved).
        With `again`, a change lost at finish() is not dropped: it is made again on the record as it
        now is (Engine.commit_fresh), while that is still ours."""
        self.staged.append(change)
        self.declarations[change.seq_no] = change.after
        if again is not None:
            self.again[change.seq_no] = again

    def written(self, change: Change) -> None:
        """A change committed at once, outside the staged ones (the sending lease): the record as it now is."""
        self.declarations[change.seq_no] = change.after

    def moved(self, seq_no: str) -> bool:
        """A step of this declaration is staged here: a second message for it has nothing to do
        (one request may not write an item twice)."""
        return any(c.seq_no == seq_no for c in self.staged)

    def submit(self, message: dict[str, Any]) -> None:
        self.submissions.append(message)

    def count(self, batch_no: str | None, outcome: Outcome | None, seq_no: str) -> None:
        if batch_no and outcome is not None:
            self.counted.setdefault(batch_no, {}).setdefault(str(outcome), set()).add(seq_no)

    def finish(self) -> set[str]:
        """Commit the staged steps, then send and count; the seq_nos whose step was lost (in this
        invocation: a submission may commit part of its answers early, submit_declaration.py)."""
        staged, self.staged = self.staged, []
        again, self.again = self.again, {}
        lost = self.engine.uow.commit_many(staged) if staged else set()
        committed = [c for c in staged if c.seq_no not in lost]
        self.engine.publish(committed)
        for seq_no in sorted(lost & again.keys()):  # customs has answered: the answer must be written
            change_for, still_ours = again[seq_no]
            fresh = self.engine.declarations.get(seq_no)
            if fresh is None or not still_ours(fresh):
                continue
            made = self.engine.commit_fresh(fresh, change_for, still_ours=still_ours)
            if made is not None:
                committed.append(made)
                lost.discard(seq_no)
        for change in committed:
            self.count(change.after.batch_no, change.outcome, change.seq_no)
        messages = [m for m in self.submissions if m.get("seq_no") not in lost]
        self.submissions = []
        if messages:
            self.engine.queue.to_submission(messages)
        counted, self.counted = self.counted, {}
        for batch_no, outcomes in counted.items():
            self.engine.count(batch_no, outcomes)
        self.lost |= lost
        return set(self.lost)


def count_again(run: Invocation, decl: Declaration | None, message: dict[str, Any]) -> None:
    """A redelivered message whose step committed: count its outcome again, in case the first
    invocation died before counting (counting is idempotent)."""
    if decl is not None and decl.batch_no == message.get("batch_no"):
        run.count(decl.batch_no, lifecycle.settled(decl), decl.seq_no)


def finish_batch(engine: Engine, batch_no: str) -> None:
    """Add a batch's counts to the execution (once), close it, and schedule the next one after the wait."""
    now = engine.clock()
    batch = engine.batches.get(batch_no)
    if batch is None or batch.finished_at is not None:
        return
    # counted before it is closed: a crash in between leaves nothing uncounted, and counting is idempotent
    engine.executions.add_totals(batch.execution_id, batch.index, batch.succeeded, batch.failed)
    if not engine.batches.finish(batch_no, now):
        return
    for _ in range(5):  # the execution may be changed meanwhile (stop, a trigger): re-read and retry
        execution = engine.executions.get(batch.execution_id)
        if execution is None or not execution.running or execution.batch_index != batch.index:
            return
        wait = execution.batch_wait_seconds
        idle = batch.claimed == 0 and bool(execution.ie_flags)  # nothing to declare: sleep, send no trigger
        try:
            engine.executions.save(
                execution.with_changes(
                    next_batch_at=now + timedelta(seconds=wait), idle=idle, version=execution.version + 1
                ),
                execution.version,
            )
        except ConditionFailed:
            continue
        if not idle:
            engine.queue.trigger_batch(execution.execution_id, batch.index, min(wait, MAX_SQS_DELAY))
        return
