"""Marking (标记操作): which declarations may take or lose the smart mark, and why not."""

from __future__ import annotations

from dataclasses import dataclass

from .declaration import Declaration, DeclarationStatus
from .smart_status import SmartStatus

UNMARK_REFUSED_ZH = "请求参数均不符合取消条件(报关单状态不为暂存或智能申报状态不为待申报)!"
UNMARK_REFUSED_EN = (
    "None of the requested declarations can be unmarked (declaration status is not "
    "temp-saved or smart status is not pending)"
)


@dataclass(frozen=True)
class Refusal:
    seq_no: str
    reason: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "seq_no": self.seq_no,
            "reason": self.reason,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def not_found(seq_no: str) -> Refusal:
    return Refusal(seq_no, "not_found", "报关单不存在", "declaration not found")


def changed_meanwhile(seq_no: str) -> Refusal:
    return Refusal(
        seq_no, "changed", "报关单状态已被其他操作改变，请重新查询", "the declaration changed meanwhile; query again"
    )


def mark_refusal(decl: Declaration) -> Refusal | None:
    if decl.status != DeclarationStatus.TEMP_SAVED:
        return Refusal(
            decl.seq_no,
            "not_temp_saved",
            "报关单状态不为暂存，不能添加标记",
            "only temp-saved declarations can be marked",
        )
    if decl.smart_mark:
        return Refusal(decl.seq_no, "already_marked", "已有智能申报标记", "already marked")
    if decl.smart_status != SmartStatus.PENDING:
        return Refusal(decl.seq_no, "not_pending", "智能申报状态不为待申报", "smart status is not pending")
    return None


def unmark_refusal(decl: Declaration) -> Refusal | None:
    # Seed: cancel only when 报关单状态 is 暂存 and 智能申报状态 is 待申报.
    if decl.status != DeclarationStatus.TEMP_SAVED or decl.smart_status != SmartStatus.PENDING:
        return Refusal(
            decl.seq_no,
            "not_cancellable",
            "报关单状态不为暂存或智能申报状态不为待申报",
            "declaration status is not temp-saved or smart status is not pending",
        )
    if not decl.smart_mark:
        return Refusal(decl.seq_no, "not_marked", "无智能申报标记", "not marked")
    return None


def edit_refusal(decl: Declaration) -> Refusal | None:
    """A broker may change or delete a declaration only while it is temp-saved and not in flight."""
    if decl.status != DeclarationStatus.TEMP_SAVED:
        return Refusal(
            decl.seq_no,
            "not_temp_saved",
            "报关单状态不为暂存，不能修改或删除",
            "only temp-saved declarations can be changed or deleted",
        )
    if decl.smart_status == SmartStatus.IN_PROGRESS:
        return Refusal(
            decl.seq_no,
            "in_progress",
            "报关单正在智能申报中，不能修改或删除",
            "the declaration is being declared; it cannot be changed or deleted now",
        )
    return None
