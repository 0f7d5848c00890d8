"""Use cases after start: a batch's console (智能申报台), and continue (继续智能辅助申报)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.identity import Identity
from chalicelib.domain.lifecycle import Outcome
from chalicelib.domain.marking import Refusal, not_found
from chalicelib.domain.smart_status import SmartStatus

from .batches import wake
from .declarations import visible_to
from .engine import Engine
from .marking import _seq_nos


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
