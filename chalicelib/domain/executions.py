"""Executions (执行) and their batches: start once, then batch after batch until stopped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from .configs import Config, ConfigContent
from .declaration import Declaration
from .timestamps import iso

EnterpriseType = Literal["agent", "consignee"]
DEFAULT_BATCH_SIZE = 100
CLAIM_TIMEOUT = timedelta(minutes=15)  # in progress longer than this: requeued by the scheduler


@dataclass(frozen=True)
class Batch:
    batch_no: str
    execution_id: str
    ent_code: str
    index: int  # 1-based number of the batch within its execution
    config_ids: tuple[str, ...]
    config_names: tuple[str, ...]
    started_at: datetime
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    waiting: int = 0  # went back to the pool to wait (manifest, arrival, tax, prompts, customs down)
    skipped: int = 0  # left the pool: declared by hand meanwhile
    finished_at: datetime | None = None

    @property
    def processed(self) -> int:
        return self.succeeded + self.failed + self.waiting + self.skipped

    @property
    def done(self) -> bool:
        return self.processed >= self.claimed

    @property
    def progress_percent(self) -> int:
        return 100 if self.claimed == 0 else min(100, self.processed * 100 // self.claimed)

    def as_json(self) -> dict[str, Any]:
        return {
            "batch_no": self.batch_no,
            "execution_id": self.execution_id,
            "index": self.index,
            "config_ids": list(self.config_ids),
            "config_names": list(self.config_names),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "claimed": self.claimed,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "waiting": self.waiting,
            "skipped": self.skipped,
            "progress_percent": self.progress_percent,
        }


@dataclass(frozen=True)
class Execution:
    execution_id: str
    ent_code: str
    enterprise_type: EnterpriseType
    config_ids: tuple[str, ...]
    batch_wait_seconds: int
    started_by: str
    started_at: datetime
    status: Literal["running", "stopped"] = "running"
    stopped_at: datetime | None = None
    batch_index: int = 0  # the current (or last) batch; 0 before the first
    current_batch_no: str | None = None
    next_batch_at: datetime | None = None
    total_succeeded: int = 0  # of batches up to counted_batch_index; a later batch's counts are added on read
    total_failed: int = 0
    counted_batch_index: int = 0  # the totals include every batch up to this one (written with them)
    customs_available: bool = True
    # idle: its last batch found nothing; it sleeps, no trigger sent, until the schedule sees the
    # pool of its flags non-empty (one Query a minute), so an idle execution costs next to nothing
    idle: bool = False
    ie_flags: tuple[str, ...] = ()  # the ticked configs' flags: where the schedule looks
    version: int = 1

    @property
    def running(self) -> bool:
        return self.status == "running"

    def with_changes(self, **changes: Any) -> Execution:
        return replace(self, **changes)

    def view(self, batch: Batch | None, now: datetime) -> dict[str, Any]:
        """What the execution screen shows, live."""
        in_batch = batch is not None and batch.finished_at is None
        succeeded = batch.succeeded if batch else 0
        failed = batch.failed if batch else 0
        # the totals and counted_batch_index change in one write: a batch is counted once, never twice
        uncounted = batch is not None and batch.index > self.counted_batch_index
        countdown = None
        if self.running and self.next_batch_at is not None and not in_batch:
            countdown = max(0, int((self.next_batch_at - now).total_seconds() + 0.999))
        return {
            "execution_id": self.execution_id,
            "status": self.status,
            "enterprise_type": self.enterprise_type,
            "config_ids": list(self.config_ids),
            "current_batch_no": self.current_batch_no,
            "batch_index": self.batch_index,
            "batch_succeeded": succeeded,
            "batch_failed": failed,
            "batches_total": self.batch_index,
            "total_succeeded": self.total_succeeded + (succeeded if uncounted else 0),
            "total_failed": self.total_failed + (failed if uncounted else 0),
            "progress_percent": batch.progress_percent if batch else 0,
            "next_batch_at": iso(self.next_batch_at) if self.running else None,
            "countdown_seconds": countdown,
            "customs_available": self.customs_available,
            # its last batch found nothing: it waits for marked declarations (a mark or a continue wakes it)
            "idle": self.running and self.idle and not in_batch,
            "batch_wait_seconds": self.batch_wait_seconds,
            "started_by": self.started_by,
            "started_at": iso(self.started_at),
            "stopped_at": iso(self.stopped_at),
        }


def batch_no(day: datetime, sequence: int) -> str:
    """`P` + yyyymmdd + 11-digit sequence, e.g. P2024032100000093019."""
    return f"P{day:%Y%m%d}{sequence:011d}"


def in_scope(decl: Declaration, config: ConfigContent, enterprise_type: EnterpriseType) -> bool:
    """Does this marked declaration fall under this config (生效方式)?"""
    c = decl.content
    if c.ie_flag != config.ie_flag:
        return False
    if config.effective_by == "user":
        return decl.marked_by is not None and decl.marked_by in config.operator_cards
    agent, consignee = config.agent, config.consignee
    if agent is not None and not _same(agent, c.agent):
        return False
    if consignee is not None and not _same(consignee, c.consignee):
        return False
    return True


def _same(configured, actual) -> bool:
    return bool(
        (configured.code and configured.code == actual.code) or (configured.uscc and configured.uscc == actual.uscc)
    )


def pick_config(decl: Declaration, configs: list[Config], enterprise_type: EnterpriseType) -> Config | None:
    """The first ticked config whose scope holds the declaration (configs in the order ticked)."""
    return next((cfg for cfg in configs if in_scope(decl, cfg.content, enterprise_type)), None)
