"""DynamoPartsRepository: the parts library (domain/parts.py) in its table, keyed by enterprise and
part number; an import reads the part numbers it names in one BatchGetItem per 100."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.domain.parts import Part, PartEvent
from chalicelib.services.ports import ConditionFailed, PartsRepository

from .conditions import condition_failed
from .dynamo_models import PartModel as M

_BATCH = 100  # BatchGetItem's limit
FIRST_PART_NO = "0"  # the lowest first character of a part number (services/part_advisories.PART_NO)


def _to_item(part: Part, now: datetime) -> M:
    body = {"values": dict(part.values), "history": [e.as_json() for e in part.history]}
    return M(
        ent_code=part.ent_code,
        part_no=part.part_no,
        status=part.status,
        body=json.dumps(body, ensure_ascii=False),
        version=part.version,
        updated_at=now,
    )


def _from_item(item: M) -> Part:
    body = json.loads(item.body)
    history = tuple(
        PartEvent(e["action"], e["by"], datetime.fromisoformat(e["at"]), e.get("note"), e.get("source"))
        for e in body["history"]
    )
    return Part(item.ent_code, item.part_no, body["values"], item.status, history, int(item.version))


class DynamoPartsRepository(PartsRepository):
    def get(self, ent_code: str, part_no: str) -> Part | None:
        try:
            return _from_item(M.get(ent_code, part_no, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, ent_code: str, part_nos: Collection[str]) -> dict[str, Part]:
        keys = sorted(set(part_nos))
        found: dict[str, Part] = {}
        for start in range(0, len(keys), _BATCH):
            for item in M.batch_get([(ent_code, n) for n in keys[start : start + _BATCH]]):
                found[item.part_no] = _from_item(item)
        return found

    def page(self, ent_code: str, status: str | None, after: str | None, limit: int) -> list[Part]:
        # from "0" on, whatever the cursor: the price history's "#price#…" items (adapters/price_history.py)
        # sort before every part number, which starts with a letter or digit
        condition = M.part_no > after if after and after >= FIRST_PART_NO else M.part_no >= FIRST_PART_NO
        items = M.query(
            ent_code,
            condition,
            filter_condition=(M.status == status) if status else None,
            limit=limit,
            page_size=limit,
        )
        return [_from_item(i) for i in items]

    def save(self, part: Part, previous: Part | None) -> None:
        guard = M.part_no.does_not_exist() if previous is None else (M.version == previous.version)
        try:
            _to_item(part, part.history[-1].at).save(condition=guard)  # a part always has its proposal
        except PutError as exc:
            if condition_failed(exc):
                raise ConditionFailed() from exc
            raise
