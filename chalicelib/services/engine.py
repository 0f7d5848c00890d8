"""What the engine's use cases share: their ports in one bundle, and how a step is committed
(one Change of the declaration's lifecycle, written by the unit of work in one request, and its
outcome counted on its batch)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib.domain.declaration import Declaration
from chalicelib.domain.lifecycle import Change, Outcome

from .ports import (BatchRepository, Clock, ConditionFailed, ConfigRepository, Counter, DeclarationLog,
                    DeclarationRepository, EventPublisher, ExecutionRepository, UnitOfWork, WorkQueue, utc_now)

MAX_SQS_DELAY = 900  # seconds; longer waits are bridged by re-sending, or by the schedule


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

    def commit(self, change: Change) -> Declaration | None:
        """Write one transition; None when another worker moved the declaration first."""
        try:
            self.uow.commit(change)
        except ConditionFailed:
            return None
        if change.events and self.publisher is not None:
            self.publisher.publish(list(change.events))
        return change.after

    def outcome(self, batch_no: str | None, outcome: Outcome | None) -> None:
        """Count one declaration's outcome on its batch; the last one finishes the batch."""
        if not batch_no or outcome is None:
            return
        batch = self.batches.count(batch_no, outcome)
        if batch is not None and batch.done:
            finish_batch(self, batch.batch_no)


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
        try:
            engine.executions.save(execution.with_changes(next_batch_at=now + timedelta(seconds=wait),
                                                          version=execution.version + 1), execution.version)
        except ConditionFailed:
            continue
        engine.queue.trigger_batch(execution.execution_id, batch.index, min(wait, MAX_SQS_DELAY))
        return
