"""Use cases: start the next batch of an execution (claim, fan out), and the schedule's safety net."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain import lifecycle
from chalicelib.domain.executions import CLAIM_TIMEOUT, Batch, Execution, batch_no, pick_config
from chalicelib.domain.queries import CHINA_TZ  # batch numbers carry the China date
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
    configs = [c for c in (engine.configs.get(execution.ent_code, cid) for cid in execution.config_ids)
               if c is not None and c.content.enabled]
    number = batch_no(now.astimezone(CHINA_TZ), engine.counter.next("batch_no"))
    started = execution.with_changes(batch_index=after_index + 1, current_batch_no=number, idle=False,
                                     next_batch_at=now + WATCHDOG, version=execution.version + 1)
    try:
        engine.executions.save(started, execution.version)  # only one starter wins
    except ConditionFailed:
        return None
    batch = Batch(batch_no=number, execution_id=execution_id, ent_code=execution.ent_code, index=started.batch_index,
                  config_ids=tuple(c.config_id for c in configs),
                  config_names=tuple(c.content.name for c in configs), started_at=now)
    claimed = _claim(engine, started, batch, configs)
    batch = Batch(**{**batch.__dict__, "claimed": len(claimed)})
    engine.batches.create(batch)
    if claimed:
        engine.queue.to_validation([{"seq_no": s, "batch_no": number, "execution_id": execution_id,
                                     "ent_code": execution.ent_code} for s in claimed])
    else:
        finish_batch(engine, number)  # nothing to declare: poll again after the wait
    return batch


def _claim(engine: Engine, execution: Execution, batch: Batch, configs) -> list[str]:
    """Take up to batch_size marked pending declarations in the configs' scope, one conditional write each."""
    claimed: list[str] = []
    now = engine.clock()
    side = execution.enterprise_type
    for flag in dict.fromkeys(c.content.ie_flag for c in configs):
        if len(claimed) >= engine.batch_size:
            break
        for decl in engine.declarations.pool(side, execution.ent_code, flag, limit=engine.batch_size * 4):
            config = pick_config(decl, configs, side)
            # #9: only the verified owner's records; index rows written before the rule may say otherwise
            if config is None or decl.seq_no in claimed or decl.owner_ent != execution.ent_code \
                    or side not in decl.owner_sides:
                continue
            moved = engine.commit(lifecycle.claim(
                decl, now, batch_no=batch.batch_no, execution_id=execution.execution_id, config_id=config.config_id,
                config_name=config.content.name, deadline=now + CLAIM_TIMEOUT))
            if moved is not None:  # another batch may have taken it first
                claimed.append(decl.seq_no)
            if len(claimed) >= engine.batch_size:
                break
    return claimed


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
        if execution.current_batch_no and not _finished(engine, execution):
            finish_batch(engine, execution.current_batch_no)  # watchdog: it never finished by itself
            execution = engine.executions.get(execution.execution_id)
        if execution and execution.idle and not _pool_has_work(engine, execution):
            continue  # asleep, and nothing marked, continued or ready in its scope: costs this one Query
        if execution and start_batch(engine, execution.execution_id, execution.batch_index):
            started += 1
    return {"requeued": requeued, "batches_started": started, "receipts_overdue": overdue}


def _pool_has_work(engine: Engine, execution: Execution) -> bool:
    return any(engine.declarations.pool(execution.enterprise_type, execution.ent_code, flag, limit=1)
               for flag in execution.ie_flags)


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
