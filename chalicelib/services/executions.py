"""Use cases: start an execution (执行), read it live, list, stop."""

from __future__ import annotations

import uuid
from typing import Any, cast

from chalicelib.domain import errors
from chalicelib.domain.errors import FieldError
from chalicelib.domain.executions import EnterpriseType, Execution
from chalicelib.domain.identity import Identity

from .engine import Engine
from .ports import ConditionFailed, UniquenessClash


def start_execution(identity: Identity, body: Any, engine: Engine) -> Execution:
    enterprise_type, config_ids = _parse(body)
    configs = []
    for config_id in config_ids:
        config = engine.configs.get(identity.ent_code, config_id)
        if config is None:
            raise errors.not_found("预配置", "config", config_id)
        if not config.content.enabled:
            raise errors.DomainError(
                "config_disabled",
                f"预配置“{config.content.name}”未启用",
                f"config '{config.content.name}' is disabled",
                {"config_id": config_id},
                kind="conflict",
            )
        configs.append(config)
    now = engine.clock()
    execution = Execution(
        execution_id=uuid.uuid4().hex,
        ent_code=identity.ent_code,
        enterprise_type=enterprise_type,
        config_ids=tuple(config_ids),
        batch_wait_seconds=min(c.content.batch_wait_seconds for c in configs),
        started_by=identity.card_no,
        started_at=now,
        next_batch_at=now,
        ie_flags=tuple(dict.fromkeys(c.content.ie_flag for c in configs)),
    )
    try:
        engine.executions.create(execution)
    except UniquenessClash as exc:
        raise errors.DomainError(
            "config_running",
            "所选预配置已在执行中，请先停止该执行",
            "a selected config is already running in another execution; stop it first",
            kind="conflict",
        ) from exc
    engine.queue.trigger_batch(execution.execution_id, 0, 0)  # the first batch now, not at the next tick
    return execution


def get_execution(identity: Identity, execution_id: str, engine: Engine) -> dict[str, Any]:
    execution = _own(identity, execution_id, engine)
    batch = engine.batches.get(execution.current_batch_no) if execution.current_batch_no else None
    return execution.view(batch, engine.clock())


def list_executions(identity: Identity, engine: Engine) -> list[dict[str, Any]]:
    now = engine.clock()
    return [
        e.view(engine.batches.get(e.current_batch_no) if e.current_batch_no else None, now)
        for e in engine.executions.list(identity.ent_code)
    ]


def stop_execution(identity: Identity, execution_id: str, engine: Engine) -> dict[str, Any]:
    """No new batch starts; declarations already in flight finish."""
    for _ in range(5):
        execution = _own(identity, execution_id, engine)
        if not execution.running:
            break
        try:
            engine.executions.stop(
                execution.with_changes(
                    status="stopped", stopped_at=engine.clock(), next_batch_at=None, version=execution.version + 1
                ),
                execution.version,
            )
            break
        except ConditionFailed:
            continue
    return get_execution(identity, execution_id, engine)


def _own(identity: Identity, execution_id: str, engine: Engine) -> Execution:
    execution = engine.executions.get(execution_id)
    if execution is None or execution.ent_code != identity.ent_code:
        raise errors.not_found("执行", "execution", execution_id)
    return execution


def _parse(body: Any) -> tuple[EnterpriseType, list[str]]:
    problems = []
    if not isinstance(body, dict):
        raise errors.invalid_request([FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object")])
    for key in set(body) - {"enterprise_type", "config_ids"}:
        problems.append(FieldError(key, f"不是可接受的字段：{key}", f"unknown field: {key}"))
    enterprise_type = body.get("enterprise_type")
    if enterprise_type not in ("agent", "consignee"):
        problems.append(
            FieldError(
                "enterprise_type",
                "生效企业类型须为 agent(申报单位) 或 consignee(境内收发货人)",
                "enterprise_type must be agent or consignee",
            )
        )
    ids = body.get("config_ids")
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= 20
        or not all(isinstance(i, str) and i for i in ids)
        or len(set(ids)) != len(ids)
    ):
        problems.append(
            FieldError("config_ids", "须勾选1至20个不重复的预配置", "config_ids must list 1 to 20 distinct configs")
        )
    if problems or not isinstance(ids, list):
        raise errors.invalid_request(problems)
    return cast("EnterpriseType", enterprise_type), ids  # checked above
