"""Use case: run the gates on one claimed declaration, then declare, hold back or fail it."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import lifecycle
from chalicelib.domain.china_time import CHINA_TIME
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.gates import Facts, evaluate, needs_manifest
from chalicelib.domain.smart_status import SmartStatus

from .engine import Engine, Invocation, count_again, recheck_after
from .part_advisories import approved_parts
from .ports import CustomsUnavailable, LogisticsGateway
from .price_advisories import recent_prices


def validate_declaration(
    message: dict[str, Any], engine: Engine, logistics: LogisticsGateway, run: Invocation | None = None
) -> str:
    """Returns what happened: pass | wait | fail | skip | duplicate. With `run`, the invocation's
    shared reads and writes (services.engine.Invocation); alone, one message is one invocation."""
    if run is not None:
        return _validate(message, engine, logistics, run)
    run = Invocation.start(engine, [message])
    try:
        return _validate(message, engine, logistics, run)
    finally:
        run.finish()


def _validate(message: dict[str, Any], engine: Engine, logistics: LogisticsGateway, run: Invocation) -> str:
    decl = run.declaration(message["seq_no"])
    if (
        decl is None
        or run.moved(decl.seq_no)
        or decl.smart_status != SmartStatus.IN_PROGRESS
        or decl.batch_no != message["batch_no"]
    ):
        count_again(run, decl, message)
        return "duplicate"  # delivered twice, or already moved on: nothing to do
    now = engine.clock()
    batch_no = decl.batch_no
    config = run.config(message["ent_code"], decl.config_id or "")
    if config is None or not config.content.enabled:
        entry = LogEntry(
            now,
            "config",
            "wait",
            "预配置已删除或停用，退回待申报",
            "config deleted or disabled; back to pending",
            batch_no=batch_no,
        )
        return _wait(run, decl, entry, None, recheck_after(None))

    try:
        facts = Facts(
            manifest=logistics.manifest(decl.content.bill_no)
            if needs_manifest(config.content) and decl.content.bill_no
            else None,
            arrival=logistics.arrival(decl.content.bill_no)
            if config.content.require_arrival and decl.content.bill_no
            else None,
        )
    except CustomsUnavailable:
        entry = LogEntry(
            now,
            "logistics",
            "wait",
            "暂时无法查询舱单/运抵数据，下一批次重试",
            "manifest/arrival data unreachable; retried in a later batch",
            batch_no=batch_no,
        )
        return _wait(run, decl, entry, "customs_unavailable", recheck_after(config))

    year = now.astimezone(CHINA_TIME).year
    verdict = evaluate(
        decl,
        config.content,
        facts,
        today=now.astimezone(CHINA_TIME).date(),
        agreement_sequence=lambda: engine.counter.next(f"agreement#{year}"),
        recent_prices=lambda: recent_prices(engine.prices, decl.owner_ent, decl.content, now, run.prices),
        parts=approved_parts(engine.parts, decl.owner_ent, decl.content),
    )
    entries = [LogEntry.from_step(step, now, batch_no) for step in verdict.steps]
    last = verdict.last
    if verdict.outcome == "pass":
        run.stage(lifecycle.pass_gates(decl, now, entries, verdict.content))
        run.submit(message)
        return "pass"
    if verdict.outcome == "fail":
        change = lifecycle.fail(decl, now, entries, reason_zh=_reason_zh(last), reason_en=_reason_en(last))
    elif verdict.outcome == "wait":
        change = lifecycle.wait(
            decl,
            now,
            entries,
            verdict.waiting_reason,
            reason_zh=last.reason_zh,
            reason_en=last.reason_en,
            recheck_at=now + recheck_after(config),
        )
    else:  # skip: declared by hand meanwhile; it leaves the pool (not temp-saved) without counting as failed
        change = lifecycle.skip(decl, now, entries, reason_zh=last.reason_zh, reason_en=last.reason_en)
    run.stage(change)
    return verdict.outcome


def _wait(run: Invocation, decl, entry: LogEntry, waiting: str | None, rest) -> str:
    change = lifecycle.wait(
        decl,
        entry.at,
        [entry],
        waiting,
        reason_zh=entry.reason_zh,
        reason_en=entry.reason_en,
        recheck_at=entry.at + rest,
    )
    run.stage(change)
    return "wait"


def _reason_zh(step) -> str:
    """The failure reason with each difference or violation spelled out, for the query screen."""
    items = step.details if isinstance(step.details, list) else []
    parts = [
        f"{d['field']}：申报 {d['declared']}，舱单 {d['manifest']}" if "declared" in d else d.get("message_zh", "")
        for d in items
        if isinstance(d, dict)
    ]
    return step.reason_zh + ("（" + "；".join(parts) + "）" if parts else "")


def _reason_en(step) -> str:
    items = step.details if isinstance(step.details, list) else []
    parts = [
        f"{d['field']}: declared {d['declared']}, manifest {d['manifest']}"
        if "declared" in d
        else d.get("message_en", "")
        for d in items
        if isinstance(d, dict)
    ]
    return step.reason_en + (" (" + "; ".join(parts) + ")" if parts else "")
