"""DynamoDB repositories of the engine: executions (with their running-config claims), batches,
the declaration log and named counters."""

from __future__ import annotations

import builtins
import json
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import overload

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.executions import Batch, Execution
from chalicelib.services.ports import (
    BatchRepository,
    ConditionFailed,
    Counter,
    DeclarationLog,
    ExecutionRepository,
    UniquenessClash,
)

from .conditions import cancelled_by_condition, condition_failed
from .declaration_repository import iso
from .dynamo_models import BatchModel, ConfigModel, CounterModel, ExecutionModel, LogModel, connection

RUN = "RUN#"  # a Configs item: this config is in a running execution


@overload
def _parse(value: str) -> datetime: ...
@overload
def _parse(value: str | None) -> datetime | None: ...
def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _execution_item(e: Execution) -> ExecutionModel:
    body = {
        "enterprise_type": e.enterprise_type,
        "config_ids": list(e.config_ids),
        "batch_wait_seconds": e.batch_wait_seconds,
        "started_by": e.started_by,
        "status": e.status,
        "stopped_at": iso(e.stopped_at) if e.stopped_at else None,
        "batch_index": e.batch_index,
        "current_batch_no": e.current_batch_no,
        "idle": e.idle,
        "ie_flags": list(e.ie_flags),
    }
    return ExecutionModel(
        execution_id=e.execution_id,
        ent_code=e.ent_code,
        started_at=iso(e.started_at),
        body=json.dumps(body),
        total_succeeded=e.total_succeeded,
        total_failed=e.total_failed,
        customs_available=e.customs_available,
        running="running" if e.running else None,
        next_batch_at=iso(e.next_batch_at) if e.running and e.next_batch_at else None,
        version=e.version,
    )


def _execution(item: ExecutionModel) -> Execution:
    b = json.loads(item.body)
    return Execution(
        execution_id=item.execution_id,
        ent_code=item.ent_code,
        enterprise_type=b["enterprise_type"],
        config_ids=tuple(b["config_ids"]),
        batch_wait_seconds=b["batch_wait_seconds"],
        started_by=b["started_by"],
        started_at=_parse(item.started_at),
        status=b["status"],
        stopped_at=_parse(b.get("stopped_at")),
        batch_index=b["batch_index"],
        current_batch_no=b.get("current_batch_no"),
        next_batch_at=_parse(item.next_batch_at),
        total_succeeded=int(item.total_succeeded or 0),
        total_failed=int(item.total_failed or 0),
        counted_batch_index=int(item.counted_batch_index or 0),
        customs_available=item.customs_available is not False,
        idle=bool(b.get("idle")),
        ie_flags=tuple(b.get("ie_flags") or ()),
        version=int(item.version),
    )


class DynamoExecutionRepository(ExecutionRepository):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def create(self, execution: Execution) -> None:
        try:
            with TransactWrite(connection=connection(self._region)) as tx:
                tx.save(_execution_item(execution), condition=ExecutionModel.execution_id.does_not_exist())
                for config_id in execution.config_ids:
                    tx.save(
                        ConfigModel(
                            ent_code=execution.ent_code, sk=RUN + config_id, execution_id=execution.execution_id
                        ),
                        condition=ConfigModel.sk.does_not_exist(),
                    )
        except TransactWriteError as exc:
            if any(cancelled_by_condition(exc)):
                raise UniquenessClash() from exc
            raise

    def get(self, execution_id: str) -> Execution | None:
        try:
            return _execution(ExecutionModel.get(execution_id, consistent_read=True))
        except DoesNotExist:
            return None

    def list(self, ent_code: str, limit: int = 50) -> list[Execution]:
        return [
            _execution(i) for i in ExecutionModel.by_enterprise.query(ent_code, scan_index_forward=False, limit=limit)
        ]

    def save(self, execution: Execution, expected_version: int) -> None:
        # The counters are ADDed by add_totals; a whole-item save must not lose them.
        item = _execution_item(execution)
        actions: list[Action] = [ExecutionModel.body.set(item.body), ExecutionModel.version.set(execution.version)]
        actions.append(ExecutionModel.running.set(item.running) if item.running else ExecutionModel.running.remove())
        actions.append(
            ExecutionModel.next_batch_at.set(item.next_batch_at)
            if item.next_batch_at
            else ExecutionModel.next_batch_at.remove()
        )
        try:
            ExecutionModel(execution_id=execution.execution_id).update(
                actions=actions, condition=ExecutionModel.version == expected_version
            )
        except UpdateError as exc:
            if condition_failed(exc):
                raise ConditionFailed(execution.execution_id) from exc
            raise

    def stop(self, execution: Execution, expected_version: int) -> None:
        item = _execution_item(execution)
        try:
            with TransactWrite(connection=connection(self._region)) as tx:
                tx.update(
                    ExecutionModel(execution_id=execution.execution_id),
                    actions=[
                        ExecutionModel.body.set(item.body),
                        ExecutionModel.version.set(execution.version),
                        ExecutionModel.running.remove(),
                        ExecutionModel.next_batch_at.remove(),
                    ],
                    condition=ExecutionModel.version == expected_version,
                )
                for config_id in execution.config_ids:
                    tx.delete(
                        ConfigModel(ent_code=execution.ent_code, sk=RUN + config_id),
                        condition=ConfigModel.execution_id == execution.execution_id,
                    )
        except TransactWriteError as exc:
            raise ConditionFailed(execution.execution_id) from exc

    def add_totals(self, execution_id: str, batch_index: int, succeeded: int, failed: int) -> None:
        try:
            ExecutionModel(execution_id=execution_id).update(
                actions=[
                    ExecutionModel.total_succeeded.add(succeeded),
                    ExecutionModel.total_failed.add(failed),
                    ExecutionModel.counted_batch_index.set(batch_index),
                ],
                condition=ExecutionModel.counted_batch_index.does_not_exist()
                | (ExecutionModel.counted_batch_index < batch_index),
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                raise  # else: this batch was already counted

    def set_customs_available(self, execution_id: str, available: bool) -> bool:
        if not available:
            ExecutionModel(execution_id=execution_id).update(actions=[ExecutionModel.customs_available.set(False)])
            return False
        try:  # back only if it was down: the same one request tells us whether it flipped
            ExecutionModel(execution_id=execution_id).update(
                actions=[ExecutionModel.customs_available.set(True)],
                condition=ExecutionModel.customs_available == False,  # noqa: E712 - a DynamoDB condition, not a test
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def due(self, now: datetime) -> builtins.list[Execution]:
        return [
            _execution(i)
            for i in ExecutionModel.running_index.query("running", ExecutionModel.next_batch_at <= iso(now))
        ]


def _batch(item: BatchModel) -> Batch:
    return Batch(
        batch_no=item.batch_no,
        execution_id=item.execution_id,
        ent_code=item.ent_code,
        index=int(item.batch_index),
        config_ids=tuple(str(c) for c in item.config_ids or ()),
        config_names=tuple(str(c) for c in item.config_names or ()),
        started_at=item.started_at,
        claimed=int(item.claimed),
        succeeded=len(item.succeeded or ()),
        failed=len(item.failed or ()),
        waiting=len(item.waiting or ()),
        skipped=len(item.skipped or ()),
        finished_at=item.finished_at,
    )


class DynamoBatchRepository(BatchRepository):
    def create(self, batch: Batch) -> None:
        BatchModel(
            batch_no=batch.batch_no,
            execution_id=batch.execution_id,
            batch_index=batch.index,
            ent_code=batch.ent_code,
            config_ids=list(batch.config_ids),
            config_names=list(batch.config_names),
            started_at=batch.started_at,
            claimed=batch.claimed,
            finished_at=batch.finished_at,
        ).save(condition=BatchModel.batch_no.does_not_exist())

    def get(self, batch_no: str) -> Batch | None:
        try:
            return _batch(BatchModel.get(batch_no, consistent_read=True))
        except DoesNotExist:
            return None

    def list_for_execution(self, execution_id: str, limit: int = 100) -> list[Batch]:
        query = BatchModel.by_execution.query(execution_id, scan_index_forward=False, limit=limit, page_size=limit)
        return [_batch(i) for i in query]

    def count(self, batch_no: str, counted: Mapping[str, Collection[str]]) -> Batch | None:
        item = BatchModel(batch_no=batch_no)
        actions = [
            getattr(BatchModel, str(outcome)).add(set(seq_nos)) for outcome, seq_nos in counted.items() if seq_nos
        ]
        if not actions:
            return self.get(batch_no)
        try:
            item.update(actions=actions, condition=BatchModel.batch_no.exists())  # ALL_NEW comes back into `item`
        except UpdateError as exc:
            if condition_failed(exc):
                return None  # the batch record was never written (its starter died): nothing to count
            raise
        return _batch(item)

    def finish(self, batch_no: str, at: datetime) -> bool:
        try:
            # exists(): an UpdateItem on a missing key would create a half batch record
            BatchModel(batch_no=batch_no).update(
                actions=[BatchModel.finished_at.set(at)],
                condition=BatchModel.batch_no.exists() & BatchModel.finished_at.does_not_exist(),
            )
            return True
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise


def log_item(seq_no: str, entries: Sequence[LogEntry], n: int = 0, events: str | None = None) -> LogModel:
    """The log lines of one change as one item (the validation's gates write several: one write,
    not one per line); `events` (JSON) rides on it to the stream (adapters/unit_of_work.py). Both
    are stored compressed (dynamo_models.PackedTextAttribute).
    The body is one entry's JSON, or a list of them (`_entries` reads either).

    Only an item with a result carries `batch_no`, the key of the sparse by_batch index: the
    batch's console reads nothing else, and each item in the index is a second write (the gates'
    lines, receipts and the submission's XML were most of the log's index WRU). Every line keeps
    its batch in its body."""
    # items of the same millisecond keep the order they were written in
    sk = f"{iso(entries[0].at)}#{time.time_ns():020d}{n:03d}{uuid.uuid4().hex[:4]}"
    lines = [e.as_json() for e in entries]
    results = [e for e in entries if e.result is not None]
    return LogModel(
        seq_no=seq_no,
        sk=sk,
        body=json.dumps(lines[0] if len(lines) == 1 else lines, ensure_ascii=False),  # the XML, too
        batch_no=results[-1].batch_no if results else None,
        events=events,
    )


class DynamoDeclarationLog(DeclarationLog):
    def append(self, entries: Sequence[tuple[str, LogEntry]]) -> None:
        with LogModel.batch_write() as batch:
            for n, (seq_no, entry) in enumerate(entries):
                batch.save(log_item(seq_no, [entry], n))

    def list(self, seq_no: str) -> list[LogEntry]:
        return [e for item in LogModel.query(seq_no, consistent_read=True) for e in _entries(item)]

    def batch_results(self, batch_no: str) -> builtins.list[tuple[str, LogEntry]]:
        items = LogModel.by_batch.query(batch_no)
        return [(item.seq_no, e) for item in items for e in _entries(item) if e.result is not None]


def _entries(item: LogModel) -> builtins.list[LogEntry]:
    raw = json.loads(item.body)
    return [_entry(line) for line in (raw if isinstance(raw, builtins.list) else [raw])]


def _entry(raw: dict) -> LogEntry:
    return LogEntry(
        at=_parse(raw["at"]),
        gate=raw["gate"],
        outcome=raw["outcome"],
        reason_zh=raw["reason_zh"],
        reason_en=raw["reason_en"],
        who=raw["who"],
        batch_no=raw.get("batch_no"),
        details=raw.get("details"),
        result=raw.get("result"),
    )


class DynamoCounter(Counter):
    def next(self, name: str, count: int = 1) -> int:
        counter = CounterModel(name=name)
        counter.update(actions=[CounterModel.value.add(count)])
        return int(counter.value)
