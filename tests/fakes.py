"""Hand-written fakes of the ports: they keep state in dicts and honour the same conditions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from chalicelib.domain.column_mapping import ColumnMapping
from chalicelib.domain.configs import Config
from chalicelib.domain.declaration import Declaration, DeclarationStatus
from chalicelib.domain.enablement import Enablement
from chalicelib.domain.lifecycle import ready_at
from chalicelib.domain.parts import Part
from chalicelib.domain.price_history import PriceKey, RecordedPrice
from chalicelib.domain.queries import DeclarationQuery
from chalicelib.services.ports import (
    ColumnMappingRepository,
    ConditionFailed,
    ConfigRepository,
    DeclarationRepository,
    DeliveryLog,
    EnterpriseRepository,
    Page,
    PartsRepository,
    PriceHistory,
    SeqNoAllocator,
    SubscriptionRepository,
    UniquenessClash,
)


class FakeDeclarationRepository(DeclarationRepository):
    def __init__(self) -> None:
        self.items: dict[str, Declaration] = {}
        self.sources: dict[tuple[str, str], str] = {}  # (owner, source_seq_no) → seq_no: the claims

    def get(self, seq_no: str) -> Declaration | None:
        return self.items.get(seq_no)

    def get_many(self, seq_nos: Sequence[str]) -> dict[str, Declaration]:
        return {s: self.items[s] for s in seq_nos if s in self.items}

    def add_many(self, declarations: Sequence[Declaration]) -> dict[str, str]:
        held: dict[str, str] = {}
        for decl in declarations:
            source = (decl.owner_ent, decl.content.source_seq_no)
            if decl.seq_no in self.items:
                held[decl.seq_no] = decl.seq_no
            elif source[1] and source in self.sources:
                held[decl.seq_no] = self.sources[source]
            else:
                self.items[decl.seq_no] = decl
                if source[1]:
                    self.sources[source] = decl.seq_no
        return held

    def _check(self, seq_no: str, version: int, editable: bool = True) -> Declaration:
        current = self.items.get(seq_no)
        if (
            current is None
            or current.version != version
            or (editable and (current.status != DeclarationStatus.TEMP_SAVED or current.smart_status == "in_progress"))
        ):
            raise ConditionFailed(seq_no)
        return current

    def replace(self, declaration: Declaration, expected_version: int) -> None:
        self._check(declaration.seq_no, expected_version)
        self.items[declaration.seq_no] = declaration

    def delete(self, declaration: Declaration) -> None:
        self._check(declaration.seq_no, declaration.version)
        del self.items[declaration.seq_no]
        self.sources.pop((declaration.owner_ent, declaration.content.source_seq_no), None)

    def set_mark(self, declaration: Declaration, marked: bool, card_no: str, now: datetime) -> None:
        current = self._check(declaration.seq_no, declaration.version)
        if current.smart_status != "pending":
            raise ConditionFailed(declaration.seq_no)
        self.items[declaration.seq_no] = current.with_changes(
            smart_mark=marked,
            marked_by=card_no if marked else None,
            marked_at=now if marked else None,
            card_no=card_no,
            updated_at=now,
            version=current.version + 1,
            recheck_at=None,
        )

    def pool(
        self, side: str, party: str, ie_flag: str, limit: int, ready_by: datetime | None = None
    ) -> list[Declaration]:
        hits = [
            d
            for d in self.items.values()
            if d.owner_ent == party
            and side in d.owner_sides
            and d.ie_flag == ie_flag
            and d.smart_mark
            and d.status == DeclarationStatus.TEMP_SAVED
            and d.smart_status == "pending"
            and (ready_by is None or ready_at(d) <= ready_by)
        ]
        return sorted(hits, key=ready_at)[:limit]

    def overdue(self, now: datetime, limit: int = 500) -> list[str]:
        return [
            d.seq_no
            for d in self.items.values()
            if d.smart_status == "in_progress" and d.claim_deadline is not None and d.claim_deadline < now
        ][:limit]

    def by_entry_id(self, entry_id: str) -> str | None:
        return next((d.seq_no for d in self.items.values() if d.entry_id == entry_id), None)

    def by_customs_seq_no(self, customs_seq_no: str) -> str | None:
        return next((d.seq_no for d in self.items.values() if d.customs_seq_no == customs_seq_no), None)

    def awaiting_receipt(self, declared_before: datetime, limit: int = 500) -> list[str]:
        return [
            d.seq_no
            for d in self.items.values()
            if d.declared_at and not d.receipt_channel and not d.receipt_overdue_at and d.declared_at < declared_before
        ][:limit]

    def query(self, ent_code: str, query: DeclarationQuery, window) -> Page:
        side = "agent" if query.enterprise_type == "agent" else "consignee"
        hits = [
            d
            for d in self.items.values()
            if d.owner_ent == ent_code
            and side in d.owner_sides
            and query.matches(d)
            and (window is None or window[0] <= d.updated_at <= window[1])
        ]
        hits.sort(key=lambda d: d.updated_at, reverse=True)
        return Page(hits[: query.page_size], len(hits), None)


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
        if (previous is None and stored is not None) or (
            previous is not None and (stored is None or stored.version != previous.version)
        ):
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


class FakeColumnMappingRepository(ColumnMappingRepository):
    def __init__(self) -> None:
        self.mappings: dict[tuple[str, str], ColumnMapping] = {}

    def list(self, ent_code: str) -> list[ColumnMapping]:
        return [m for (ent, _), m in self.mappings.items() if ent == ent_code]

    def get(self, ent_code: str, mapping_id: str) -> ColumnMapping | None:
        return self.mappings.get((ent_code, mapping_id))

    def save(self, mapping: ColumnMapping, previous: ColumnMapping | None) -> None:
        key = (mapping.ent_code, mapping.mapping_id)
        stored = self.mappings.get(key)
        if (previous is None) != (stored is None) or (stored and previous and stored.version != previous.version):
            raise ConditionFailed()
        if any(
            m.content.name == mapping.content.name and m.mapping_id != mapping.mapping_id
            for m in self.list(mapping.ent_code)
        ):
            raise UniquenessClash()
        self.mappings[key] = mapping

    def delete(self, mapping: ColumnMapping) -> None:
        stored = self.mappings.get((mapping.ent_code, mapping.mapping_id))
        if stored is None or stored.version != mapping.version:
            raise ConditionFailed()
        del self.mappings[(mapping.ent_code, mapping.mapping_id)]


class FakePartsRepository(PartsRepository):
    def __init__(self) -> None:
        self.parts: dict[tuple[str, str], Part] = {}

    def get(self, ent_code: str, part_no: str) -> Part | None:
        return self.parts.get((ent_code, part_no))

    def get_many(self, ent_code: str, part_nos) -> dict[str, Part]:
        return {n: self.parts[(ent_code, n)] for n in part_nos if (ent_code, n) in self.parts}

    def page(self, ent_code: str, status: str | None, after: str | None, limit: int) -> list[Part]:
        found = sorted((p for (ent, n), p in self.parts.items() if ent == ent_code), key=lambda p: p.part_no)
        found = [p for p in found if (status is None or p.status == status) and (after is None or p.part_no > after)]
        return found[:limit]

    def save(self, part: Part, previous: Part | None) -> None:
        stored = self.parts.get((part.ent_code, part.part_no))
        if (stored is None) != (previous is None) or (stored and previous and stored.version != previous.version):
            raise ConditionFailed()
        self.parts[(part.ent_code, part.part_no)] = part


class FakePriceHistory(PriceHistory):
    """Keyed as the table is: (enterprise, key, declared_at, seq_no, g_no); counts its Queries."""

    def __init__(self) -> None:
        self.prices: dict[tuple, RecordedPrice] = {}
        self.reads: list[tuple[str, PriceKey]] = []

    def record(self, prices: Sequence[RecordedPrice]) -> None:
        for p in prices:
            self.prices[(p.ent_code, p.key, p.declared_at, p.seq_no, p.g_no)] = p

    def recent(self, ent_code: str, key: PriceKey, since: datetime, limit: int) -> list[Decimal]:
        self.reads.append((ent_code, key))
        found = [p for p in self.prices.values() if p.ent_code == ent_code and p.key == key and p.declared_at >= since]
        found.sort(key=lambda p: (p.declared_at, p.seq_no, p.g_no), reverse=True)
        return [p.price for p in found[:limit]]


class FakeEnterpriseRepository(EnterpriseRepository):
    def __init__(self, enabled: Sequence[tuple[str, str]] = ()) -> None:
        self.records: dict[str, Enablement] = {}
        self.usccs: dict[str, str] = {}  # credit code → the customs code that claimed it
        for code, uscc in enabled:
            self.enable(Enablement(code, uscc, "seed", datetime(2024, 1, 1)))

    def get(self, ent_code: str) -> Enablement | None:
        return self.records.get(ent_code)

    def enable(self, enablement: Enablement) -> Enablement:
        if enablement.ent_code in self.records:
            return self.records[enablement.ent_code]
        if enablement.ent_uscc and self.usccs.get(enablement.ent_uscc, enablement.ent_code) != enablement.ent_code:
            raise UniquenessClash()
        if enablement.ent_uscc:
            self.usccs[enablement.ent_uscc] = enablement.ent_code
        self.records[enablement.ent_code] = enablement
        return enablement


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
from chalicelib.services.ports import (  # noqa: E402
    BatchRepository,
    Counter,
    CustomsGateway,
    CustomsUnavailable,
    DeclarationLog,
    ExecutionRepository,
    LogisticsGateway,
    ReceiptAlreadyApplied,
    UnitOfWork,
    WorkQueue,
)


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
        return sorted(
            (e for e in self.items.values() if e.ent_code == ent_code), key=lambda e: e.started_at, reverse=True
        )[:limit]

    def save(self, execution, expected_version):
        current = self.items.get(execution.execution_id)
        if current is None or current.version != expected_version:
            raise ConditionFailed()
        # counters and the customs flag are written separately; a save keeps them
        self.items[execution.execution_id] = _replace(
            execution,
            total_succeeded=current.total_succeeded,
            total_failed=current.total_failed,
            counted_batch_index=current.counted_batch_index,
            customs_available=current.customs_available,
        )

    def stop(self, execution, expected_version):
        self.save(execution, expected_version)
        for c in execution.config_ids:
            self.running_configs.pop((execution.ent_code, c), None)

    def add_totals(self, execution_id, batch_index, succeeded, failed):
        e = self.items[execution_id]
        if e.counted_batch_index >= batch_index:
            return
        self.items[execution_id] = _replace(
            e,
            total_succeeded=e.total_succeeded + succeeded,
            total_failed=e.total_failed + failed,
            counted_batch_index=batch_index,
        )

    def set_customs_available(self, execution_id, available):
        back = available and not self.items[execution_id].customs_available
        self.items[execution_id] = _replace(self.items[execution_id], customs_available=available)
        return back

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
        totals = {
            o: sum(1 for oo, _ in self.counted[batch_no] if oo == o)
            for o in ("succeeded", "failed", "waiting", "skipped")
        }
        self.items[batch_no] = _replace(b, **totals)
        self.count_calls += 1
        return self.items[batch_no]

    def finish(self, batch_no, at):
        if batch_no not in self.items or self.items[batch_no].finished_at is not None:
            return False
        self.items[batch_no] = _replace(self.items[batch_no], finished_at=at)
        return True

    def list_for_execution(self, execution_id, limit=100):
        mine = (b for b in self.items.values() if b.execution_id == execution_id)
        return sorted(mine, key=lambda b: b.index, reverse=True)[:limit]


class FakeDeclarationLog(DeclarationLog):
    def __init__(self) -> None:
        self.entries: dict[str, list[LogEntry]] = {}

    def append(self, entries):
        for seq_no, entry in entries:
            self.entries.setdefault(seq_no, []).append(entry)

    def list(self, seq_no):
        return list(self.entries.get(seq_no, []))

    def batch_results(self, batch_no):
        return [(s, e) for s, entries in self.entries.items() for e in entries if e.batch_no == batch_no and e.result]

    def gates(self, seq_no):
        return [(e.gate, e.outcome) for e in self.entries.get(seq_no, [])]


class FakeUnitOfWork(UnitOfWork):
    """Commits a change to the fake repository and log, all or nothing; keeps the events it committed
    (what the stream publisher would publish). `before_commit` may pause or interleave at the write."""

    def __init__(self, declarations: FakeDeclarationRepository, log: FakeDeclarationLog) -> None:
        self.declarations = declarations
        self.log = log
        self.events: list = []
        self.receipts: dict[str, dict] = {}  # receipt_id -> stored receipt, applied with its change
        self.before_commit = None
        self.requests = 0  # write requests made (commit_many carries many changes in one)
        self.outbox = None  # the exchange channel's sends (tests/exchange_fakes.FakeExchangeOutbox), when used

    def commit(self, change, receipt=None, send=None) -> None:
        if self.before_commit is not None:
            self.before_commit(change)
        self.requests += 1
        self._check(change, receipt)
        if send is not None:
            self.outbox.check(send.send, send.expected_version)
        self._write(change, receipt)
        if send is not None:
            self.outbox.write(send.send)

    def commit_many(self, changes) -> set[str]:
        """All or none per request, like a transaction: the losers are dropped and the rest sent again."""
        lost: set[str] = set()
        group = list(changes)
        while group:
            for change in group:
                if self.before_commit is not None:
                    self.before_commit(change)
            self.requests += 1
            losers = set()
            for change in group:
                try:
                    self._check(change, None)
                except ConditionFailed:
                    losers.add(change.seq_no)
            if not losers:
                for change in group:
                    self._write(change, None)
                return lost
            lost |= losers
            group = [c for c in group if c.seq_no not in losers]
        return lost

    def _check(self, change, receipt) -> None:
        if receipt is not None and self.receipts.get(receipt.receipt_id, {}).get("applied"):
            raise ReceiptAlreadyApplied(receipt.receipt_id)
        current = self.declarations.items.get(change.seq_no)
        if current is None or current.version != change.expected_version:
            raise ConditionFailed(change.seq_no)

    def _write(self, change, receipt) -> None:
        if receipt is not None:
            self.receipts[receipt.receipt_id] = {**receipt.body, "seq_no": receipt.seq_no, "applied": True}
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

    def declare(self, client_seq_no, dec_message_xml, *, ent_code=None):
        if self.down:
            raise CustomsUnavailable("down")
        self.sent.append(client_seq_no)
        if client_seq_no in self.refuse:
            return CustomsResponse(False, "1", "表头校验失败", client_seq_no)
        # customs numbers its accepted declarations (统一编号 SeqNo): the receipts of tests name them so
        response = CustomsResponse(True, "0", "申报成功", client_seq_no, f"I20249{len(self.accepted) + 1:012d}")
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


from chalicelib.services.ports import WindowCounter  # noqa: E402 - kept beside its fake


class FakeWindowCounter(WindowCounter):
    """The rate limits' counters in a dict, with the same refuse-past-the-limit condition."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.expiry: dict[str, int] = {}

    def take(self, key: str, limit: int, expires_at: int) -> bool:
        if self.counts.get(key, 0) >= limit:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        self.expiry.setdefault(key, expires_at)
        return True


class FakePushStore:
    """The push table in dicts, honouring the same conditions as adapters/push_store.py."""

    def __init__(self) -> None:
        self.claims: dict[str, dict[str, str]] = {}
        self.rates: dict[tuple[str, str], int] = {}
        self.digests: dict[tuple[str, str], dict[str, dict]] = {}
        self.due: dict[str, dict[tuple[str, str], dict]] = {}
        self.orders: dict[tuple[str, str], dict] = {}

    def claim_sms(self, key: str, event_id: str, now: datetime) -> bool:
        held = self.claims.get(key)
        if held is not None and not (held["owner"] == event_id and held["status"] == "claimed"):
            return False
        self.claims[key] = {"owner": event_id, "status": "claimed"}
        return True

    def sms_sent(self, key: str) -> None:
        self.claims[key]["status"] = "sent"

    def release_sms(self, key: str, event_id: str) -> None:
        if self.claims.get(key, {}).get("owner") == event_id:
            del self.claims[key]

    def claim_order(self, subscription_id, seq_no, at, rank, now) -> bool:
        mark = self.orders.setdefault((subscription_id, seq_no), {})
        if mark.get("at", "") > at or (rank is not None and mark.get("rank", -1) > rank):
            return False
        mark["at"] = at
        if rank is not None:
            mark["rank"] = rank
        return True

    def take_rate(self, phone, limits, now):
        for window, limit, end in limits.windows(now):
            n = self.rates.get((phone, window), 0)
            if n >= limit:
                return end
            self.rates[(phone, window)] = n + 1
        return None

    def add_to_digest(self, subscription_id, ent_code, window, due_hour, event, now) -> None:
        self.digests.setdefault((subscription_id, window), {})[f"{event['occurred_at']}#{event['event_id']}"] = event
        self.due.setdefault(due_hour, {}).setdefault((subscription_id, window), {"ent_code": ent_code})

    def due_digests(self, due_hour):
        return [
            (s, w, item["ent_code"])
            for (s, w), item in self.due.get(due_hour, {}).items()
            if item.get("status") != "sent"
        ]

    def digest_events(self, subscription_id, window):
        return [e for _, e in sorted(self.digests.get((subscription_id, window), {}).items())]

    def claim_digest(self, due_hour, subscription_id, window) -> bool:
        item = self.due.get(due_hour, {}).get((subscription_id, window))
        if item is None or "status" in item:
            return False
        item["status"] = "sent"
        return True

    def unclaim_digest(self, due_hour, subscription_id, window) -> None:
        self.due[due_hour][(subscription_id, window)].pop("status", None)


class FakeSubscriptions(SubscriptionRepository):
    """An enterprise's subscriptions, by id."""

    def __init__(self, *subs) -> None:
        self.items = {s.subscription_id: s for s in subs}

    def add(self, subscription) -> None:
        self.items[subscription.subscription_id] = subscription

    def delete(self, subscription) -> None:
        self.items.pop(subscription.subscription_id, None)

    def get(self, ent_code, subscription_id):
        s = self.items.get(subscription_id)
        return s if s and s.ent_code == ent_code else None

    def list(self, ent_code):
        return [s for s in self.items.values() if s.ent_code == ent_code]


class FakeDeliveryLog(DeliveryLog):
    def __init__(self) -> None:
        self.records: list[tuple[str, str, str, dict | None]] = []

    def record(self, subscription_id, event, status, attempt, now) -> None:
        self.records.append((subscription_id, event["event_id"], status, attempt))

    def list(self, subscription_id, start=None, end=None, limit=100):
        keys = ("subscription_id", "event_id", "status", "attempt")
        return [dict(zip(keys, r, strict=True)) for r in self.records if r[0] == subscription_id][:limit]


class RecordingQueue:
    """A send_delivery/send_sms queue: what was sent, with its delay."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict, int]] = []

    def __call__(self, messages, delay_seconds: int = 0) -> None:
        self.sent.extend((m, delay_seconds) for m in messages)

    def take(self) -> list[dict]:
        out, self.sent = [m for m, _ in self.sent], []
        return out
