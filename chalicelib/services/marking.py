"""Use cases: add the smart mark to declarations, or cancel it (标记操作)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.declaration import Declaration
from chalicelib.domain.identity import Identity
from chalicelib.domain.marking import (
    UNMARK_REFUSED_EN,
    UNMARK_REFUSED_ZH,
    Refusal,
    changed_meanwhile,
    mark_refusal,
    not_found,
    unmark_refusal,
)

from .batches import wake
from .declarations import visible_to
from .engine import Engine
from .ports import Clock, ConditionFailed, DeclarationRepository

MAX_SEQ_NOS = 500


def mark(
    identity: Identity, body: Any, repo: DeclarationRepository, clock: Clock, engine: Engine | None = None
) -> dict[str, Any]:
    """With `engine`, a sleeping execution whose scope holds a marked declaration is woken."""
    marked: list[Declaration] = []
    done, refused = _apply(identity, body, repo, clock, marked=True, moved=marked)
    if engine is not None and marked:
        wake(engine, identity.ent_code, marked)
    return {
        "marked": done,
        "refused": [r.as_dict() for r in refused],
        "message_zh": f"添加智能申报成功 {done} 条" if done else "没有可添加标记的报关单",
        "message_en": f"{done} declaration(s) marked" if done else "No declaration could be marked",
    }


def unmark(identity: Identity, body: Any, repo: DeclarationRepository, clock: Clock) -> dict[str, Any]:
    done, refused = _apply(identity, body, repo, clock, marked=False)
    if done:
        zh, en = f"本次成功取消标记 {done} 条", f"{done} declaration(s) unmarked"
    else:
        zh, en = UNMARK_REFUSED_ZH, UNMARK_REFUSED_EN
    return {"unmarked": done, "refused": [r.as_dict() for r in refused], "message_zh": zh, "message_en": en}


def _apply(
    identity: Identity,
    body: Any,
    repo: DeclarationRepository,
    clock: Clock,
    marked: bool,
    moved: list[Declaration] | None = None,
) -> tuple[int, list[Refusal]]:
    seq_nos = _seq_nos(body)
    found = repo.get_many(seq_nos)
    refusal_of = mark_refusal if marked else unmark_refusal
    done, refused, now = 0, [], clock()
    for seq_no in seq_nos:
        decl = found.get(seq_no)
        if decl is None or not visible_to(identity, decl):
            refused.append(not_found(seq_no))
            continue
        refusal = refusal_of(decl)
        if refusal:
            refused.append(refusal)
            continue
        try:
            repo.set_mark(decl, marked, identity.card_no, now)
            done += 1
            if moved is not None:
                moved.append(decl.with_changes(smart_mark=marked))
        except ConditionFailed:
            refused.append(changed_meanwhile(seq_no))
    return done, refused


def _seq_nos(body: Any) -> list[str]:
    seq_nos = body.get("seq_nos") if isinstance(body, dict) else None
    extra = set(body) - {"seq_nos"} if isinstance(body, dict) else set()
    if (
        not isinstance(seq_nos, list)
        or not seq_nos
        or len(seq_nos) > MAX_SEQ_NOS
        or not all(isinstance(s, str) and s for s in seq_nos)
        or extra
    ):
        raise errors.invalid_request(
            [
                errors.FieldError(
                    "seq_nos",
                    f"seq_nos 须为1至{MAX_SEQ_NOS}个统一编号的列表，且不能有其他字段",
                    f"seq_nos must be a list of 1 to {MAX_SEQ_NOS} seq_no strings, with no other fields",
                )
            ]
        )
    return list(dict.fromkeys(seq_nos))  # keep order, drop repeats
