"""Use cases after start: the pool the ticked configs take (智能申报池), an execution's batches, a
batch's console (智能申报台), and continue (继续智能辅助申报)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.errors import FieldError
from chalicelib.domain.executions import EnterpriseType, pick_config
from chalicelib.domain.identity import Identity
from chalicelib.domain.lifecycle import Outcome
from chalicelib.domain.marking import Refusal, not_found
from chalicelib.domain.smart_status import SmartStatus

from .batches import wake
from .declarations import visible_to
from .engine import Engine
from .marking import _seq_nos

POOL_LIMIT = 200  # per import/export flag: the execution screen lists the pool 10 to a page
HISTORY_LIMIT = 100  # an execution's newest batches


def pool(identity: Identity, params: dict[str, str], engine: Engine) -> dict[str, Any]:
    """The marked, pending, temp-saved declarations the ticked configs take (the seed's list on the
    execution screen, before and while it runs), in the order batches take them: the pool index
    per import/export flag, each declaration kept only if a ticked config's scope holds it, as a
    batch decides (executions.pick_config). Waiting ones are listed too, with what they wait for."""
    side, config_ids = _pool_params(params)
    configs = []
    for config_id in config_ids:
        config = engine.configs.get(identity.ent_code, config_id)
        if config is None:
            raise errors.not_found("预配置", "config", config_id)
        if config.content.enabled:  # a batch takes nothing for a disabled config
            configs.append(config)
    items, truncated = [], False
    for flag in dict.fromkeys(c.content.ie_flag for c in configs):
        found = engine.declarations.pool(side, identity.ent_code, flag, limit=POOL_LIMIT + 1)
        truncated |= len(found) > POOL_LIMIT
        items += [
            d
            for d in found[:POOL_LIMIT]
            if d.owner_ent == identity.ent_code and side in d.owner_sides and pick_config(d, configs, side)
        ]
    return {"items": [d.as_json() for d in items], "total": len(items), "truncated": truncated}


def _pool_params(params: dict[str, str]) -> tuple[EnterpriseType, list[str]]:
    side = params.get("enterprise_type") or "agent"
    ids = [i for i in (params.get("config_ids") or "").split(",") if i]
    problems = [
        FieldError(f"(query).{k}", f"不是可接受的参数：{k}", f"unknown parameter: {k}")
        for k in sorted(set(params) - {"enterprise_type", "config_ids"})
    ]
    if side not in ("agent", "consignee"):
        problems.append(
            FieldError(
                "enterprise_type",
                "生效企业类型须为 agent(申报单位) 或 consignee(境内收发货人)",
                "enterprise_type must be agent or consignee",
            )
        )
    if not 1 <= len(ids) <= 20 or len(set(ids)) != len(ids):
        problems.append(
            FieldError(
                "config_ids",
                "须勾选1至20个不重复的预配置（以逗号分隔）",
                "config_ids must list 1 to 20 distinct configs, comma-separated",
            )
        )
    if problems:
        raise errors.invalid_request(problems)
    return ("consignee" if side == "consignee" else "agent"), ids


def execution_batches(identity: Identity, execution_id: str, engine: Engine) -> list[dict[str, Any]]:
    """The execution's batches, newest first (the batch history; each opens its console)."""
    execution = engine.executions.get(execution_id)
    if execution is None or execution.ent_code != identity.ent_code:
        raise errors.not_found("执行", "execution", execution_id)
    return [b.as_json() for b in engine.batches.list_for_execution(execution_id, limit=HISTORY_LIMIT)]


def batch_console(identity: Identity, batch_no: str, engine: Engine) -> dict[str, Any]:
    batch = engine.batches.get(batch_no)
    if batch is None or batch.ent_code != identity.ent_code:
        raise errors.not_found("批次", "batch", batch_no)
    last: dict[str, tuple[str, LogEntry]] = {}
    for seq_no, entry in engine.log.batch_results(batch_no):
        if entry.result is not None:  # the port gives only lines with a result; this narrows the type
            last[seq_no] = (entry.result, entry)
    found = engine.declarations.get_many(list(last))
    rows = []
    for seq_no, (result, entry) in last.items():
        decl = found.get(seq_no)
        row = {
            "seq_no": seq_no,
            "result": result,
            "reason_zh": None if result == Outcome.SUCCEEDED else entry.reason_zh,
            "reason_en": None if result == Outcome.SUCCEEDED else entry.reason_en,
            "at": entry.as_json()["at"],
        }
        if decl is not None:
            c = decl.content
            row.update(
                entry_id=decl.entry_id,
                bill_no=c.bill_no,
                declare_customs=c.declare_customs,
                ie_flag=c.ie_flag,
                trade_mode=c.trade_mode,
                smart_status=decl.smart_status,
                waiting_reason=decl.waiting_reason,
                handover=decl.handover,  # with the Single Window client: where its message is
                handover_label=decl.handover_label,
                tax_status=str(decl.tax_status),
                updated_at=decl.as_json()["updated_at"],
            )
        rows.append(row)
    rows.sort(key=lambda r: r["seq_no"])
    counted = {str(k): sum(1 for r in rows if r["result"] == k) for k in Outcome}
    return {**batch.as_json(), "declarations": rows, "results": counted}


def continue_declarations(identity: Identity, body: Any, engine: Engine) -> dict[str, Any]:
    """Failed declarations go back to the pool for the next batch; anything else is refused with why."""
    seq_nos = _seq_nos(body)
    found = engine.declarations.get_many(seq_nos)
    done, refused, now, moved_all = 0, [], engine.clock(), []
    for seq_no in seq_nos:
        decl = found.get(seq_no)
        if decl is None or not visible_to(identity, decl):
            refused.append(not_found(seq_no))
        elif decl.smart_status != SmartStatus.FAILED:
            refused.append(
                Refusal(
                    seq_no,
                    "not_failed",
                    "只有申报失败的报关单可以继续智能辅助申报",
                    "only failed declarations can be continued",
                )
            )
        elif decl.status != DeclarationStatus.TEMP_SAVED:
            refused.append(Refusal(seq_no, "not_temp_saved", "报关单不是暂存状态", "the declaration is not temp-saved"))
        else:
            moved = engine.commit(lifecycle.continue_(decl, now, identity.card_no))
            if moved is None:
                refused.append(
                    Refusal(
                        seq_no,
                        "changed",
                        "报关单状态已被其他操作改变，请重新查询",
                        "the declaration changed meanwhile; query again",
                    )
                )
            else:
                done += 1
                moved_all.append(moved)
    wake(engine, identity.ent_code, moved_all)  # back in the pool: a sleeping execution takes them now
    return {
        "continued": done,
        "refused": [r.as_dict() for r in refused],
        "message_zh": f"本次成功继续智能辅助申报 {done} 条",
        "message_en": f"{done} declaration(s) back in the pool",
    }
