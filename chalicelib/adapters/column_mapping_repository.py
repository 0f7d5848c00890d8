"""DynamoColumnMappingRepository: an enterprise's column mappings and their name claims, in the configs
table (dynamo_models.ColumnMappingModel says why), each write one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.column_mapping import ColumnMapping, parse_mapping
from chalicelib.services.ports import ColumnMappingRepository

from .conditions import write_with_claims
from .dynamo_models import ColumnMappingModel as M
from .dynamo_models import connection

MAPPING, NAME = "MAPPING#", "MAPPINGNAME#"


def _to_item(mapping: ColumnMapping) -> M:
    return M(
        ent_code=mapping.ent_code,
        sk=MAPPING + mapping.mapping_id,
        mapping_id=mapping.mapping_id,
        body=json.dumps(mapping.content.as_json(), ensure_ascii=False),
        created_by=mapping.created_by,
        created_at=mapping.created_at,
        updated_at=mapping.updated_at,
        version=mapping.version,
    )


def _from_item(item: M) -> ColumnMapping:
    content, problems = parse_mapping({k: v for k, v in json.loads(item.body).items() if v is not None})
    if content is None:  # written by this service only, after the same check
        raise ValueError(f"stored column mapping {item.mapping_id} is invalid: {problems}")
    return ColumnMapping(
        mapping_id=item.mapping_id,
        ent_code=item.ent_code,
        content=content,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


class DynamoColumnMappingRepository(ColumnMappingRepository):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def list(self, ent_code: str) -> list[ColumnMapping]:
        return [_from_item(i) for i in M.query(ent_code, M.sk.startswith(MAPPING), consistent_read=True)]

    def get(self, ent_code: str, mapping_id: str) -> ColumnMapping | None:
        try:
            return _from_item(M.get(ent_code, MAPPING + mapping_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save(self, mapping: ColumnMapping, previous: ColumnMapping | None) -> None:
        guard = M.sk.does_not_exist() if previous is None else (M.version == previous.version)
        ops: list[tuple[str, M, object]] = [("save", _to_item(mapping), guard)]
        old_name = previous.content.name if previous else None
        if old_name != mapping.content.name:
            ops.append(("save", self._claim(mapping, mapping.content.name), M.sk.does_not_exist()))
            if old_name is not None:
                ops.append(("delete", self._claim(mapping, old_name), M.mapping_id == mapping.mapping_id))
        self._transact(ops)

    def delete(self, mapping: ColumnMapping) -> None:
        self._transact(
            [
                ("delete", _to_item(mapping), M.version == mapping.version),
                ("delete", self._claim(mapping, mapping.content.name), M.mapping_id == mapping.mapping_id),
            ]
        )

    @staticmethod
    def _claim(mapping: ColumnMapping, name: str) -> M:
        return M(ent_code=mapping.ent_code, sk=NAME + name, mapping_id=mapping.mapping_id)

    def _transact(self, ops: Sequence[tuple[str, M, object]]) -> None:
        write_with_claims(ops, connection(self._region), NAME)
