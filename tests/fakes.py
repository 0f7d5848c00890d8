"""Hand-written fakes of the ports: they keep state in dicts and honour the same conditions."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.configs import Config
from chalicelib.domain.declaration import Declaration, DeclarationStatus
from chalicelib.domain.enablement import Enablement
from chalicelib.domain.queries import DeclarationQuery
from chalicelib.services.ports import (ConditionFailed, ConfigRepository, DeclarationRepository,
                                       EnterpriseRepository, Page, SeqNoAllocator, UniquenessClash)


class FakeDeclarationRepository(DeclarationRepository):
    def __init__(self) -> None:
        self.items: dict[str, Declaration] = {}

    def get(self, seq_no: str) -> Declaration | None:
        return self.items.get(seq_no)

    def get_many(self, seq_nos: Sequence[str]) -> dict[str, Declaration]:
        return {s: self.items[s] for s in seq_nos if s in self.items}

    def add_many(self, declarations: Sequence[Declaration]) -> list[str]:
        existing = [d.seq_no for d in declarations if d.seq_no in self.items]
        self.items.update({d.seq_no: d for d in declarations if d.seq_no not in existing})
        return existing

    def _check(self, seq_no: str, version: int, editable: bool = True) -> Declaration:
        current = self.items.get(seq_no)
        if current is None or current.version != version or (
                editable and (current.status != DeclarationStatus.TEMP_SAVED or current.smart_status == "in_progress")):
            raise ConditionFailed(seq_no)
        return current

    def replace(self, declaration: Declaration, expected_version: int) -> None:
        self._check(declaration.seq_no, expected_version)
        self.items[declaration.seq_no] = declaration

    def delete(self, declaration: Declaration) -> None:
        self._check(declaration.seq_no, declaration.version)
        del self.items[declaration.seq_no]

    def set_mark(self, declaration: Declaration, marked: bool, card_no: str, now: datetime) -> None:
        current = self._check(declaration.seq_no, declaration.version)
        if current.smart_status != "pending":
            raise ConditionFailed(declaration.seq_no)
        self.items[declaration.seq_no] = current.with_changes(
            smart_mark=marked, marked_by=card_no if marked else None, marked_at=now if marked else None,
            card_no=card_no, updated_at=now, version=current.version + 1)

    def pool(self, side: str, party: str, ie_flag: str, limit: int) -> list[Declaration]:
        hits = [d for d in self.items.values()
                if getattr(d.content, side).code == party and d.ie_flag == ie_flag and d.smart_mark
                and d.status == DeclarationStatus.TEMP_SAVED and d.smart_status == "pending"]
        return sorted(hits, key=lambda d: d.updated_at)[:limit]

    def overdue(self, now: datetime, limit: int = 500) -> list[str]:
        return [d.seq_no for d in self.items.values() if d.smart_status == "in_progress"
                and d.claim_deadline is not None and d.claim_deadline < now][:limit]

    def by_entry_id(self, entry_id: str) -> str | None:
        return next((d.seq_no for d in self.items.values() if d.entry_id == entry_id), None)

    def by_customs_seq_no(self, customs_seq_no: str) -> str | None:
        return next((d.seq_no for d in self.items.values() if d.customs_seq_no == customs_seq_no), None)

    def awaiting_receipt(self, declared_before: datetime, limit: int = 500) -> list[str]:
        return [d.seq_no for d in self.items.values() if d.declared_at and not d.receipt_channel
                and not d.receipt_overdue_at and d.declared_at < declared_before][:limit]

    def query(self, ent_code: str, query: DeclarationQuery, window) -> Page:
        side = "agent" if query.enterprise_type == "agent" else "consignee"
        hits = [d for d in self.items.values()
                if getattr(d.content, side).code == ent_code and query.matches(d)
                and (window is None or window[0] <= d.updated_at <= window[1])]
        hits.sort(key=lambda d: d.updated_at, reverse=True)
        return Page(hits[:query.page_size], len(hits), None)


class FakeConfigRepository(ConfigRepository):
    def __init__(self) -> None:
        self.configs: dict[tuple[str, str], Config] = {}
        self.claims: dict[tuple[str, str], str] = {}

    def list(self, ent_code: str) -> list[Config]:
        return [c for (ent, _), c in self.configs.items() if ent == ent_code]

    def get(self, ent_code: str, config_id: str) -> Config | None:
        return self.configs.get((ent_code, config_id))

    def save(self, config: Config, claims: set[str], previous: Config | None, previous_claims: set[str]) -> None:
        ent = config.ent_code
        stored = self.configs.get((ent, config.config_id))
        if (previous is None and stored is not None) or (previous is not None and (
                stored is None or stored.version != previous.version)):
            raise ConditionFailed()
        if any(self.claims.get((ent, k), config.config_id) != config.config_id for k in claims - previous_claims):
            raise UniquenessClash()
        for key in previous_claims - claims:
            self.claims.pop((ent, key), None)
        for key in claims:
            self.claims[(ent, key)] = config.config_id
        self.configs[(ent, config.config_id)] = config

    def delete(self, config: Config, claims: set[str]) -> None:
        stored = self.configs.get((config.ent_code, config.config_id))
        if stored is None or stored.version != config.version:
            raise ConditionFailed()
        del self.configs[(config.ent_code, config.config_id)]
        for key in claims:
            self.claims.pop((config.ent_code, key), None)


class FakeEnterpriseRepository(EnterpriseRepository):
    def __init__(self, enabled: Sequence[str] = ()) -> None:
        self.records: dict[str, Enablement] = {
            code: Enablement(code, None, "seed", datetime(2024, 1, 1)) for code in enabled}

    def get(self, ent_code: str) -> Enablement | None:
        return self.records.get(ent_code)

    def enable(self, enablement: Enablement) -> Enablement:
        return self.records.setdefault(enablement.ent_code, enablement)


class FakeSeqNoAllocator(SeqNoAllocator):
    def __init__(self) -> None:
        self.counters: dict[tuple[str, int], int] = {}

    def allocate(self, ie_flag: str, year: int, count: int) -> list[str]:
        start = self.counters.get((ie_flag, year), 0)
        self.counters[(ie_flag, year)] = start + count
        return [f"{ie_flag}{year}{n:013d}" for n in range(start + 1, start + count + 1)]


# ---- the engine's ports ----------------------------------------------------------------------

from dataclasses import replace as _replace  # noqa: E402

from chalicelib.domain.customs import CustomsResponse  # noqa: E402
from chalicelib.domain.declaration_log import LogEntry  # noqa: E402
from chalicelib.domain.executions import Batch, Execution  # noqa: E402
from chalicelib.domain.logistics import ArrivalReport, Manifest  # noqa: E402
from chalicelib.services.ports import (BatchRepository, Counter, CustomsGateway, CustomsUnavailable,  # noqa: E402
                                       DeclarationLog, ExecutionRepository, LogisticsGateway, UnitOfWork,
                                       WorkQueue)


class FakeExecutionRepository(ExecutionRepository):
    def __init__(self, configs: FakeConfigRepository | None = None) -> None:
        self.items: dict[str, Execution] = {}
        self.running_configs: dict[tuple[str, str], str] = {}

    def create(self, execution):
        if any((execution.ent_code, c) in self.running_configs for c in execution.config_ids):
            raise UniquenessClash()
        self.running_configs.update({(execution.ent_code, c): execution.execution_id for c in execution.config_ids})
        self.items[execution.execution_id] = execution

    def get(self, execution_id):
        return self.items.get(execution_id)

    def list(self, ent_code, limit=50):
        return sorted((e for e in self.items.values() if e.ent_code == ent_code), key=lambda e: e.started_at,
                      reverse=True)[:limit]

    def save(self, execution, expected_version):
        current = self.items.get(execution.execution_id)
        if current is None or current.version != expected_version:
            raise ConditionFailed()
        # counters and the customs flag are written separately; a save keeps them
        self.items[execution.execution_id] = _replace(execution, total_succeeded=current.total_succeeded,
                                                      total_failed=current.total_failed,
                                                      counted_batch_index=current.counted_batch_index,
                                                      customs_available=current.customs_available)

    def stop(self, execution, expected_version):
        self.save(execution, expected_version)
        for c in execution.config_ids:
            self.running_configs.pop((execution.ent_code, c), None)

    def add_totals(self, execution_id, batch_index, succeeded, failed):
        e = self.items[execution_id]
        if e.counted_batch_index >= batch_index:
            return
        self.items[execution_id] = _replace(e, total_succeeded=e.total_succeeded + succeeded,
                                            total_failed=e.total_failed + failed, counted_batch_index=batch_index)

    def set_customs_available(self, execution_id, available):
        self.items[execution_id] = _replace(self.items[execution_id], customs_available=available)

    def due(self, now):
        return [e for e in self.items.values() if e.running and e.next_batch_at and e.next_batch_at <= now]


class FakeBatchRepository(BatchRepository):
    def __init__(self) -> None:
        self.items: dict[str, Batch] = {}
        self.counted: dict[str, set[tuple[str, str]]] = {}
        self.count_calls = 0

    def create(self, batch):
        assert batch.batch_no not in self.items
        self.items[batch.batch_no] = batch

    def get(self, batch_no):
        return self.items.get(batch_no)

    def count(self, batch_no, counted):
        b = self.items.get(batch_no)
        if b is None:
            return None
        self.counted.setdefault(batch_no, set()).update((str(o), s) for o, seq_nos in counted.items() for s in seq_nos)
        totals = {o: sum(1 for oo, _ in self.counted[batch_no] if oo == o)
                  for o in ("succeeded", "failed", "waiting", "skipped")}
        self.items[batch_no] = _replace(b, **totals)
        self.count_calls += 1
        return self.items[batch_no]

    def finish(self, batch_no, at):
        if batch_no not in self.items or self.items[batch_no].finished_at is not None:
            return False
        self.items[batch_no] = _replace(self.items[batch_no], finished_at=at)
        return True

    def list_for_execution(self, execution_id):
        return sorted((b for b in self.items.values() if b.execution_id == execution_id), key=lambda b: b.index)


class FakeDeclarationLog(DeclarationLog):
    def __init__(self) -> None:
        self.entries: dict[str, list[LogEntry]] = {}

    def append(self, entries):
        for seq_no, entry in entries:
            self.entries.setdefault(seq_no, []).append(entry)

    def list(self, seq_no):
        return list(self.entries.get(seq_no, []))

    def for_batch(self, batch_no):
        return [(s, e) for s, entries in self.entries.items() for e in entries if e.batch_no == batch_no]

    def gates(self, seq_no):
        return [(e.gate, e.outcome) for e in self.entries.get(seq_no, [])]


class FakeUnitOfWork(UnitOfWork):
    """Commits a change to the fake repository and log, all or nothing; keeps the events it committed
    (what the stream publisher would publish). `before_commit` may pause or interleave at the write."""

    def __init__(self, declarations: FakeDeclarationRepository, log: FakeDeclarationLog) -> None:
        self.declarations = declarations
        self.log = log
        self.events: list = []
        self.before_commit = None

    def commit(self, change) -> None:
        if self.before_commit is not None:
            self.before_commit(change)
        current = self.declarations.items.get(change.seq_no)
        if current is None or current.version != change.expected_version:
            raise ConditionFailed(change.seq_no)
        self.declarations.items[change.seq_no] = change.after
        self.log.append([(change.seq_no, e) for e in change.entries])
        self.events.extend(change.events)


class FakeWorkQueue(WorkQueue):
    def __init__(self) -> None:
        self.triggers: list[tuple[str, int, int]] = []
        self.validation: list[dict] = []
        self.submission: list[dict] = []

    def trigger_batch(self, execution_id, after_index, delay_seconds):
        self.triggers.append((execution_id, after_index, delay_seconds))

    def to_validation(self, messages):
        self.validation.extend(messages)

    def to_submission(self, messages):
        self.submission.extend(messages)


class FakeCounter(Counter):
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def next(self, name, count=1):
        self.values[name] = self.values.get(name, 0) + count
        return self.values[name]


class FakeCustoms(CustomsGateway):
    """Customs that remembers every ClientSeqNo it accepted, and can be down."""

    def __init__(self) -> None:
        self.accepted: dict[str, CustomsResponse] = {}
        self.sent: list[str] = []
        self.down = False
        self.refuse: set[str] = set()

    def declare(self, client_seq_no, dec_message_xml):
        if self.down:
            raise CustomsUnavailable("down")
        self.sent.append(client_seq_no)
        if client_seq_no in self.refuse:
            return CustomsResponse(False, "1", "表头校验失败", client_seq_no)
        response = CustomsResponse(True, "0", "申报成功", client_seq_no, f"C{len(self.accepted):017d}")
        self.accepted.setdefault(client_seq_no, response)
        return self.accepted[client_seq_no]

    def lookup(self, client_seq_no):
        if self.down:
            raise CustomsUnavailable("down")
        return self.accepted.get(client_seq_no)

    @property
    def duplicates(self) -> int:
        return len(self.sent) - len(set(self.sent))


class FakeLogistics(LogisticsGateway):
    def __init__(self) -> None:
        self.manifests: dict[str, Manifest] = {}
        self.arrivals: dict[str, ArrivalReport] = {}
        self.down = False

    def manifest(self, bill_no):
        if self.down:
            raise CustomsUnavailable("down")
        return self.manifests.get(bill_no)

    def arrival(self, bill_no):
        if self.down:
            raise CustomsUnavailable("down")
        return self.arrivals.get(bill_no)
