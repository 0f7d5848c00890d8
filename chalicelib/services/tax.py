"""Use cases: tax confirmation (税费确认) of self-declared self-paid declarations.

An unconfirmed one is never declared: it waits, and goes in a later batch once confirmed.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import Declaration, TaxStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.identity import Identity
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.domain.tax import compute_tax, fingerprint, load_tax_tables
from chalicelib.domain.timestamps import iso

from .batches import wake
from .declarations import get_declaration, query_declarations
from .engine import Engine
from .ports import Page


def list_unconfirmed(identity: Identity, params: dict[str, Any], engine: Engine) -> Page:
    """The tax confirmation screen: self-paid declarations whose tax is unconfirmed."""
    return query_declarations(identity, {**params, "tax_status": "unconfirmed"}, engine.declarations, engine.clock)


def tax_detail(identity: Identity, seq_no: str, engine: Engine) -> dict[str, Any]:
    decl = _self_paid(identity, seq_no, engine)
    return _detail_json(decl, _compute(decl))


def confirm_tax(identity: Identity, seq_no: str, engine: Engine) -> dict[str, Any]:
    decl = _self_paid(identity, seq_no, engine)
    if decl.tax_status == TaxStatus.CONFIRMED:
        raise errors.state_conflict("税费已确认", "the tax is already confirmed", decl.tax_confirmation)
    if decl.smart_status == SmartStatus.IN_PROGRESS:
        raise errors.state_conflict("报关单正在智能申报中", "the engine is declaring it right now")
    detail = _compute(decl)
    payable = detail.as_json(seq_no, "unconfirmed", None, None)["totals"]["payable"]
    now = engine.clock()
    confirmation = {"by": identity.card_no, "at": iso(now), "payable": payable, "fingerprint": fingerprint(detail)}
    entry = LogEntry(
        now,
        "tax",
        "confirmed",
        f"税费已确认，应缴 {payable} 元",
        f"tax confirmed: CNY {payable} payable",
        identity.card_no,
        decl.batch_no,
        confirmation,
    )
    moved = engine.commit(lifecycle.tax_confirmed(decl, now, entry, confirmation))
    if moved is None:
        raise errors.state_conflict("报关单已被其他操作修改，请刷新后重试", "the declaration changed meanwhile; retry")
    wake(engine, identity.ent_code, [moved])  # it may go in a batch now
    return _detail_json(moved, detail)


def _self_paid(identity: Identity, seq_no: str, engine: Engine) -> Declaration:
    decl = get_declaration(identity, seq_no, engine.declarations)
    if not decl.content.self_pay:
        raise errors.state_conflict(
            "该报关单不是自报自缴，无需税费确认",
            "not a self-declared self-paid declaration: no tax confirmation needed",
        )
    return decl


def _compute(decl: Declaration):
    # a missing rate or exchange rate is a DomainError (422) of its own, in both languages
    return compute_tax(decl.content, load_tax_tables())


def _detail_json(decl: Declaration, detail) -> dict[str, Any]:
    confirmation = decl.tax_confirmation or {}
    return detail.as_json(decl.seq_no, str(decl.tax_status), confirmation.get("by"), confirmation.get("at"))
