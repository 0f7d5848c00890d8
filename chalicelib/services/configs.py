"""Use cases: list, read, create, change and delete configs (writes: legal-person card only)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from chalicelib.domain import errors
from chalicelib.domain.configs import Config, ConfigContent, owned_by, uniqueness_keys
from chalicelib.domain.declaration import STRICT, field_errors
from chalicelib.domain.identity import Identity

from .ports import Clock, ConditionFailed, ConfigRepository, UniquenessClash


def list_configs(identity: Identity, repo: ConfigRepository) -> list[Config]:
    return sorted(repo.list(identity.ent_code), key=lambda c: c.created_at)


def get_config(identity: Identity, config_id: str, repo: ConfigRepository) -> Config:
    config = repo.get(identity.ent_code, config_id)
    if config is None:
        raise errors.not_found("预配置", "config", config_id)
    return config


def create_config(identity: Identity, body: Any, repo: ConfigRepository, clock: Clock) -> Config:
    _require_legal(identity, "新增")
    content = _parse(identity, body)
    now = clock()
    config = Config(
        config_id=uuid.uuid4().hex,
        ent_code=identity.ent_code,
        content=content,
        created_by=identity.card_no,
        created_at=now,
        updated_at=now,
    )
    _save(repo, config, None)
    return config


def update_config(identity: Identity, config_id: str, body: Any, repo: ConfigRepository, clock: Clock) -> Config:
    """PUT: the whole content is replaced."""
    _require_legal(identity, "修改")
    current = get_config(identity, config_id, repo)
    return _replace(current, _parse(identity, body), repo, clock)


def patch_config(identity: Identity, config_id: str, body: Any, repo: ConfigRepository, clock: Clock) -> Config:
    """PATCH: only the fields sent change (e.g. `{"enabled": false}`); `null` clears an optional party.

    The merged content is validated whole, so a patch can never leave a config that a PUT would refuse.
    """
    _require_legal(identity, "修改")
    current = get_config(identity, config_id, repo)
    if not isinstance(body, dict) or not body:
        raise errors.invalid_request(
            [
                errors.FieldError(
                    "(body)",
                    "请求体须为包含待修改字段的JSON对象",
                    "the body must be a JSON object with the fields to change",
                )
            ]
        )
    merged = {**current.content.as_json(), **body}
    try:
        content = _parse(identity, merged)
    except errors.DomainError as err:
        # Only the stored fields and the sent ones together break a rule between fields (user
        # without cards, enterprise without agent): the request is sound, it conflicts with the config
        if err.code == "invalid_request" and all(d["field"] == "(record)" for d in err.details or []):
            raise errors.state_conflict(
                "修改后的预配置不完整", "the config would be incomplete after this change", err.details
            ) from err
        raise
    return _replace(current, content, repo, clock)


def _replace(current: Config, content: ConfigContent, repo: ConfigRepository, clock: Clock) -> Config:
    updated = Config(
        config_id=current.config_id,
        ent_code=current.ent_code,
        content=content,
        created_by=current.created_by,
        created_at=current.created_at,
        updated_at=clock(),
        version=current.version + 1,
    )
    _save(repo, updated, current)
    return updated


def delete_config(identity: Identity, config_id: str, repo: ConfigRepository) -> None:
    _require_legal(identity, "删除")
    current = get_config(identity, config_id, repo)
    try:
        repo.delete(current, uniqueness_keys(current.content))
    except ConditionFailed as exc:
        raise _changed(config_id) from exc


def _save(repo: ConfigRepository, config: Config, previous: Config | None) -> None:
    try:
        repo.save(
            config, uniqueness_keys(config.content), previous, uniqueness_keys(previous.content) if previous else set()
        )
    except UniquenessClash as exc:
        other = _holder(repo, config)
        details: dict[str, str] = {"ie_flag": config.content.ie_flag}
        if other is not None:
            details |= {"config_id": other.config_id, "config_name": other.content.name}
        raise errors.config_clash(details, other.content.name if other else None) from exc
    except ConditionFailed as exc:
        raise _changed(config.config_id) from exc


def _holder(repo: ConfigRepository, config: Config) -> Config | None:
    """The enterprise's other config that holds one of this one's claims (the clash names it)."""
    wanted = uniqueness_keys(config.content)
    return next(
        (
            c
            for c in repo.list(config.ent_code)
            if c.config_id != config.config_id and uniqueness_keys(c.content) & wanted
        ),
        None,
    )


def _parse(identity: Identity, body: Any) -> ConfigContent:
    if not isinstance(body, dict):
        raise errors.invalid_request(
            [errors.FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object")]
        )
    try:
        content = ConfigContent.model_validate(body, context=STRICT)
    except ValidationError as exc:
        raise errors.invalid_request(field_errors(exc)) from exc
    if not owned_by(identity, content):
        raise errors.invalid_request(
            [
                errors.FieldError(
                    "agent",
                    "申报单位或境内收发货人须为本企业",
                    "the declaring unit or the consignee must be your enterprise",
                )
            ]
        )
    return content


def _require_legal(identity: Identity, action_zh: str) -> None:
    if not identity.is_legal:
        action_en = {"新增": "create", "修改": "change", "删除": "delete"}[action_zh]
        raise errors.legal_card_required(f"智能辅助申报预配置的{action_zh}", f"{action_en} configs")


def _changed(config_id: str) -> errors.DomainError:
    return errors.state_conflict(
        "预配置已被其他操作修改，请刷新后重试",
        "The config was changed meanwhile; reload and retry",
        {"config_id": config_id},
    )
