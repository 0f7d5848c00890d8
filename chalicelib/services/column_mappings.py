"""Use cases: an enterprise's column mappings (domain/column_mapping.py). Both cards read them; only
the legal-person card creates, changes or deletes one, as with configs. A mapping's name is held
once per enterprise (the CLI names it with --mapping NAME)."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.column_mapping import ColumnMapping, MappingContent, parse_mapping
from chalicelib.domain.identity import Identity

from .ports import Clock, ColumnMappingRepository, ConditionFailed, UniquenessClash

_ACTIONS = {"新增": "create", "修改": "change", "删除": "delete"}


def list_mappings(identity: Identity, repo: ColumnMappingRepository) -> list[ColumnMapping]:
    return sorted(repo.list(identity.ent_code), key=lambda m: (m.content.name, m.mapping_id))


def get_mapping(identity: Identity, mapping_id: str, repo: ColumnMappingRepository) -> ColumnMapping:
    """The enterprise's mapping; another enterprise's is not found, like a missing one."""
    mapping = repo.get(identity.ent_code, mapping_id)
    if mapping is None:
        raise errors.not_found("列映射", "column mapping", mapping_id)
    return mapping


def create_mapping(identity: Identity, body: Any, repo: ColumnMappingRepository, clock: Clock) -> ColumnMapping:
    _require_legal(identity, "新增")
    content = _parse(body)
    now = clock()
    mapping = ColumnMapping(uuid.uuid4().hex, identity.ent_code, content, identity.card_no, now, now)
    _save(repo, mapping, None)
    return mapping


def update_mapping(
    identity: Identity, mapping_id: str, body: Any, repo: ColumnMappingRepository, clock: Clock
) -> ColumnMapping:
    """PUT: the whole mapping is replaced."""
    _require_legal(identity, "修改")
    current = get_mapping(identity, mapping_id, repo)
    updated = ColumnMapping(
        current.mapping_id,
        current.ent_code,
        _parse(body),
        current.created_by,
        current.created_at,
        clock(),
        current.version + 1,
    )
    _save(repo, updated, current)
    return updated


def delete_mapping(identity: Identity, mapping_id: str, repo: ColumnMappingRepository) -> None:
    _require_legal(identity, "删除")
    current = get_mapping(identity, mapping_id, repo)
    try:
        repo.delete(current)
    except ConditionFailed as exc:
        raise _changed(mapping_id) from exc


def _parse(body: Any) -> MappingContent:
    content, problems = parse_mapping(body)
    if content is None:
        raise errors.invalid_request(problems)
    return content


def _save(repo: ColumnMappingRepository, mapping: ColumnMapping, previous: ColumnMapping | None) -> None:
    try:
        repo.save(mapping, previous)
    except UniquenessClash as exc:
        name = mapping.content.name
        raise errors.state_conflict(
            f"列映射名称“{name}”已被本企业的其他列映射使用", f"another column mapping is named {name}", {"name": name}
        ) from exc
    except ConditionFailed as exc:
        raise _changed(mapping.mapping_id) from exc


def _require_legal(identity: Identity, action_zh: str) -> None:
    if not identity.is_legal:
        raise errors.legal_card_required(f"列映射的{action_zh}", f"{_ACTIONS[action_zh]} column mappings")


def _changed(mapping_id: str) -> errors.DomainError:
    return errors.state_conflict(
        "列映射已被其他操作修改，请刷新后重试",
        "The column mapping was changed meanwhile; reload and retry",
        {"mapping_id": mapping_id},
    )
