"""Use cases a person does on one declaration: declare it by hand now (the original way, without
the smart gates), confirm its advisory prompts, read its log."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import advisories as advisory_rules
from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.gates import declaring_unit_refusal
from chalicelib.domain.identity import Identity
from chalicelib.domain.smart_status import SmartStatus

from .batches import wake
from .declarations import get_declaration
from .engine import Engine
from .part_advisories import approved_parts
from .ports import CustomsGateway
from .price_advisories import recent_prices
from .submit_declaration import refused_step, send_to_customs


def declare_by_hand(identity: Identity, seq_no: str, engine: Engine, customs: CustomsGateway) -> dict[str, Any]:
    decl = get_declaration(identity, seq_no, engine.declarations)
    if decl.status != DeclarationStatus.TEMP_SAVED:
        raise errors.state_conflict(
            "报关单不是暂存状态，不能申报",
            "only a temp-saved declaration can be declared",
            {"status": str(decl.status)},
        )
    if decl.smart_status == SmartStatus.IN_PROGRESS:
        raise errors.state_conflict(
            "报关单正在智能申报中，请稍后查看结果",
            "the engine is declaring it right now",
            {"smart_status": decl.smart_status},
        )
    refusal = declaring_unit_refusal(decl)
    if refusal is not None:  # who declares: docs/security.md
        raise errors.DomainError(
            "declaring_unit_must_declare", refusal.reason_zh, refusal.reason_en, refusal.details, kind="conflict"
        )
    now, who = engine.clock(), identity.card_no
    # Claimed exactly like a batch would, so the engine cannot take it while we send it.
    claimed = engine.commit(lifecycle.claim_by_hand(decl, now, who))
    if claimed is None:
        raise errors.state_conflict("报关单已被其他操作修改，请刷新后重试", "the declaration changed meanwhile; retry")
    sent = send_to_customs(claimed, customs, engine.clock(), who, card=identity.card_no)
    if sent.response is not None and sent.response.queued:  # with the Single Window client: answered later
        moved = engine.commit(lifecycle.handed_over(claimed, engine.clock(), sent.entry, sent.response.send_no or 1))
        return moved.as_json() if moved else get_declaration(identity, seq_no, engine.declarations).as_json()
    if sent.response is not None and sent.response.accepted:
        done = engine.commit(lifecycle.declared_by_hand(claimed, engine.clock(), sent.entry, sent.response.seq_no))
        return done.as_json() if done else get_declaration(identity, seq_no, engine.declarations).as_json()
    engine.commit(refused_step(claimed, engine.clock(), sent))
    if sent.response is None:
        raise errors.DomainError(
            "customs_unavailable",
            "海关系统暂时无法连接，请稍后重试",
            "customs is unreachable; try again later",
            kind="unavailable",
        )
    raise errors.DomainError(
        "customs_refused",
        f"海关退回：{sent.response.message}",
        f"refused by customs: {sent.response.message}",
        {"response_code": sent.response.response_code},
        kind="unprocessable",
    )


def confirm_advisories(identity: Identity, seq_no: str, engine: Engine) -> dict[str, Any]:
    """A person confirms the prompts they saw; a declaration waiting for that goes back to the pool."""
    decl = get_declaration(identity, seq_no, engine.declarations)
    # the same set the advisory gate computes (domain/gates.py), so the fingerprint matches it
    prompts = advisory_rules.advisories(
        decl.content,
        recent_prices(engine.prices, decl.owner_ent, decl.content, engine.clock()),
        approved_parts(engine.parts, decl.owner_ent, decl.content),
    )
    if not prompts:
        raise errors.state_conflict("该报关单没有需要确认的温馨提示", "this declaration raises no advisory prompts")
    if decl.smart_status == SmartStatus.IN_PROGRESS:
        raise errors.state_conflict("报关单正在智能申报中", "the engine is declaring it right now")
    fingerprint = advisory_rules.fingerprint(prompts)
    entry = LogEntry(
        engine.clock(),
        "advisory",
        "confirmed",
        "温馨提示已人工确认",
        "advisory prompts confirmed by a person",
        identity.card_no,
        decl.batch_no,
        [{"code": p.code, "g_no": p.g_no, "message_zh": p.message_zh} for p in prompts],
    )
    moved = engine.commit(lifecycle.advisories_confirmed(decl, engine.clock(), entry, fingerprint))
    if moved is None:
        raise errors.state_conflict("报关单已被其他操作修改，请刷新后重试", "the declaration changed meanwhile; retry")
    wake(engine, identity.ent_code, [moved])  # it may go in a batch now
    return moved.as_json()


def declaration_log(identity: Identity, seq_no: str, engine: Engine) -> list[dict[str, Any]]:
    get_declaration(identity, seq_no, engine.declarations)  # tenant check
    return [e.as_json() for e in engine.log.list(seq_no)]
