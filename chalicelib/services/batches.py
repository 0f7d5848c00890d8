"""Use cases: start the next batch of an execution (claim, fan out), wake a sleeping one, and the
schedule's safety net.

Quiet waiting (issue #10, items 6 and 7): a batch claims only declarations that are *ready*
(lifecycle.ready_at <= now, a key condition on the pool index), so one that waits is not read
again before its re-check time unless what it waits for changed. An execution whose batch found
nothing sleeps (no trigger); a mark, a continue or a confirmation in its scope wakes it with one
trigger (`wake`), and the one-minute schedule peeks at one pool key per sleeping execution as
the safety net (lost triggers, waits that became due).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from chalicelib.domain import lifecycle
from chalicelib.domain.china_time import CHINA_TIME  # batch numbers carry the China date
from chalicelib.domain.declaration import Declaration, DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.executions import CLAIM_TIMEOUT, Batch, Execution, batch_no, pick_config
from chalicelib.domain.gates import declaring_unit_refusal
from chalicelib.domain.lifecycle import Change, Outcome
from chalicelib.domain.smart_status import SmartStatus

from .engine import MAX_SQS_DELAY, Engine, finish_batch
from .ports import ConditionFailed

EARLY_TOLERANCE = timedelta(seconds=1)  # SQS delays are whole seconds
WATCHDOG = CLAIM_TIMEOUT + timedelta(minutes=5)  # a batch not finished by then is closed by the schedule


def start_batch(engine: Engine, execution_id: str, after_index: int) -> Batch | None:
    """Start batch `after_index + 1` if it is due and nobody started it yet (triggers may repeat)."""
    now = engine.clock()
    execution = engine.executions.get(execution_id)
    if execution is None or not execution.running or execution.batch_index != after_index:
        return None
    if execution.next_batch_at and execution.next_batch_at - now > EARLY_TOLERANCE:
        if execution.current_batch_no is None or _finished(engine, execution):
            # a wait longer than SQS can delay: bridge it
            remaining = int((execution.next_batch_at - now).total_seconds())
            engine.queue.trigger_batch(execution_id, after_index, min(remaining, MAX_SQS_DELAY))
        return None
    configs = [
        c
        for c in (engine.configs.get(execution.ent_code, cid) for cid in execution.config_ids)
        if c is not None and c.content.enabled
    ]
    number = batch_no(now.astimezone(CHINA_TIME), engine.counter.next("batch_no"))
    started = execution.with_changes(
        batch_index=after_index + 1,
        current_batch_no=number,
        idle=False,
        next_batch_at=now + WATCHDOG,
        version=execution.version + 1,
    )
    try:
        engine.executions.save(started, execution.version)  # only one starter wins
    except ConditionFailed:
        return None
    batch = Batch(
        batch_no=number,
        execution_id=execution_id,
        ent_code=execution.ent_code,
        index=started.batch_index,
        config_ids=tuple(c.config_id for c in configs),
        config_names=tuple(c.content.name for c in configs),
        started_at=now,
    )
    taken = _claim(engine, started, batch, configs)
    batch = Batch(**{**batch.__dict__, "claimed": len(taken)})
    engine.batches.create(batch)
    refused = [c.seq_no for c in taken if c.outcome == Outcome.FAILED]
    claimed = [c.seq_no for c in taken if c.outcome != Outcome.FAILED]
    if refused:  # failed as they were taken: counted now (the last count finishes the batch)
        engine.count(number, {Outcome.FAILED: refused})
    if claimed:
        engine.queue.to_validation(
            [
                {"seq_no": s, "batch_no": number, "execution_id": execution_id, "ent_code": execution.ent_code}
                for s in claimed
            ]
        )
    elif not refused:
        finish_batch(engine, number)  # nothing to declare: poll again after the wait
    return batch


def _claim(engine: Engine, execution: Execution, batch: Batch, configs) -> list[Change]:
    """Take up to batch_size marked pending declarations in the configs' scope: each claim a
    conditional write of its own, carried many to a request (UnitOfWork.commit_many). One whose
    declaring unit is another enterprise is taken and failed in the same write (who declares:
    gates.declaring_unit_refusal), never sent on to the gates."""
    taken: list[Change] = []
    now = engine.clock()
    side = execution.enterprise_type
    for flag in dict.fromkeys(c.content.ie_flag for c in configs):
        if len(taken) >= engine.batch_size:
            break
        candidates = []
        seen = {c.seq_no for c in taken}
        for decl in engine.declarations.pool(side, execution.ent_code, flag, limit=engine.batch_size * 4, ready_by=now):
            config = pick_config(decl, configs, side)
            # #9: only the verified owner's records; index rows written before the rule may say otherwise
            if (
                config is None
                or decl.seq_no in seen
                or decl.owner_ent != execution.ent_code
                or side not in decl.owner_sides
            ):
                continue
            names = {
                "batch_no": batch.batch_no,
                "execution_id": execution.execution_id,
                "config_id": config.config_id,
                "config_name": config.content.name,
            }
            refusal = declaring_unit_refusal(decl)
            candidates.append(
                lifecycle.claim(decl, now, **names, deadline=now + CLAIM_TIMEOUT)
                if refusal is None
                else lifecycle.refuse_at_claim(decl, now, LogEntry.from_step(refusal, now, batch.batch_no), **names)
            )
        while candidates and len(taken) < engine.batch_size:  # another batch may have taken some first
            take, candidates = (
                candidates[: engine.batch_size - len(taken)],
                candidates[engine.batch_size - len(taken) :],
            )
            lost = engine.uow.commit_many(take)
            won = [c for c in take if c.seq_no not in lost]
            taken += won
            engine.publish(won)
    return taken


def _finished(engine: Engine, execution: Execution) -> bool:
    if execution.current_batch_no is None:
        return True
    batch = engine.batches.get(execution.current_batch_no)
    return batch is None or batch.finished_at is not None


def run_schedule(engine: Engine) -> dict[str, int]:
    """Every minute: requeue declarations stuck in progress, close overdue batches, start due batches."""
    now = engine.clock()
    requeued = 0
    for seq_no in engine.declarations.overdue(now):
        decl = engine.declarations.get(seq_no)
        if decl is None or decl.smart_status != SmartStatus.IN_PROGRESS:
            continue
        change = lifecycle.timed_out(decl, now)
        if engine.commit(change) is not None:
            requeued += 1
            engine.outcome(decl.batch_no, change.outcome, decl.seq_no)
    overdue = _watch_receipts(engine, now)
    started = 0
    execution: Execution | None  # read again after its batch is closed; gone if deleted meanwhile
    for execution in engine.executions.due(now):
        if execution.idle:  # set only once its last batch finished: no need to read that batch
            if not _pool_has_work(engine, execution, now):
                continue  # asleep, and nothing marked, continued or ready in its scope: costs this one Query
        elif execution.current_batch_no and not _finished(engine, execution):
            finish_batch(engine, execution.current_batch_no)  # watchdog: it never finished by itself
            execution = engine.executions.get(execution.execution_id)
        if execution and start_batch(engine, execution.execution_id, execution.batch_index):
            started += 1
    return {"requeued": requeued, "batches_started": started, "receipts_overdue": overdue}


def _pool_has_work(engine: Engine, execution: Execution, now: datetime) -> bool:
    """One Query a minute whatever the number of flags: the flags take turns, minute by minute
    (a mark or a confirmation wakes the execution at once through `wake`; this is the net)."""
    if not execution.ie_flags:
        return False
    flag = execution.ie_flags[(now.hour * 60 + now.minute) % len(execution.ie_flags)]
    return bool(engine.declarations.pool(execution.enterprise_type, execution.ent_code, flag, limit=1, ready_by=now))


def wake(engine: Engine, ent_code: str, declarations: Iterable[Declaration]) -> int:
    """Declarations of `ent_code` became ready (marked, continued, confirmed): each sleeping running
    execution whose scope may hold one of them gets one trigger now. One Query of the enterprise's
    executions; a trigger that finds the execution awake or the batch not due does nothing."""
    wanted = {(side, d.ie_flag) for d in declarations if _in_pool(d) for side in d.owner_sides}
    if not wanted:
        return 0
    woken = 0
    for execution in engine.executions.list(ent_code):
        if (
            execution.running
            and execution.idle
            and any((execution.enterprise_type, flag) in wanted for flag in execution.ie_flags)
        ):
            engine.queue.trigger_batch(execution.execution_id, execution.batch_index, 0)
            woken += 1
    return woken


def _in_pool(decl: Declaration) -> bool:
    return decl.smart_mark and decl.status == DeclarationStatus.TEMP_SAVED and decl.smart_status == SmartStatus.PENDING


def customs_back(engine: Engine, execution_id: str) -> int:
    """Customs answers again: the execution's declarations waiting for customs are ready now (logged,
    not pushed). Reads the pool of its flags once, including those not yet due."""
    execution = engine.executions.get(execution_id)
    if execution is None:
        return 0
    now = engine.clock()
    readied = 0
    for flag in execution.ie_flags:
        for decl in engine.declarations.pool(
            execution.enterprise_type, execution.ent_code, flag, limit=engine.batch_size * 4
        ):
            if decl.waiting_reason != "customs_unavailable" or decl.recheck_at is None or decl.recheck_at <= now:
                continue
            change = lifecycle.recheck_now(
                decl,
                now,
                "customs_unavailable",
                why_zh="海关系统已恢复，立即重新检查",
                why_en="customs answers again; re-checked now",
            )
            if engine.commit(change) is not None:
                readied += 1
    return readied


def _watch_receipts(engine: Engine, now) -> int:
    """Declared, and customs sent no receipt in time: flag it once, in the log and to subscribers."""
    flagged = 0
    for seq_no in engine.declarations.awaiting_receipt(now - engine.receipt_watchdog):
        decl = engine.declarations.get(seq_no)
        if decl is None or decl.receipt_channel or decl.receipt_overdue_at or decl.declared_at is None:
            continue
        if engine.commit(lifecycle.receipt_late(decl, now)) is not None:
            flagged += 1
    return flagged
