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
