"""Licences (监管证件) a goods item needs, from its code's supervision conditions (监管条件).

The tariff gives each national code its conditions, e.g. 2601111000 (iron ore) "7A": 7 自动进口
许可证 and A inbound inspection. Where a chapter table knows the code (tables.Chapter.codes),
each condition that applies to the declaration's direction is read by its kind:

- ``document``: the declaration must carry that licence (DecLicenseDocus, DocuCode = the code).
  Missing, the declaration **waits** with ``waiting_reason`` ``licence``, and the reason names
  the licence and the goods item. Why a wait and not a failure: nothing is wrong with what was
  filled in, something is not there yet. Licences are issued by other offices (MOFCOM, the
  endangered species office …) days after the contract, and brokers import declarations before
  that. A person adds the licence number (replacing the declaration); the engine re-checks a
  waiting declaration when its content changes, and declares it in the next batch. A failure
  would need the extra "continue" step for something no batch can fix by itself, and waiting is
  what the seed does for the other things a person must supply (tax confirmation, prompts).
- ``prohibited`` (8 禁止出口, 9 禁止进口): refused; the goods may not cross, no licence helps.
- ``inspection`` (A, B): covered by the declaration's inspection data since customs and
  inspection merged in 2018; not a document checked here.
- ``conditional`` (6 used goods only, t in-quota rate, v/x/y processing or border trade): needed
  only in a case the declaration does not show; not checked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ..declaration import DeclarationContent, GoodsItem
from . import tables
from .declaration_elements import Refusal


@dataclass(frozen=True)
class MissingLicence:
    g_no: int
    code_ts: str
    licence: str  # the supervision condition code, e.g. "7"
    name_zh: str
    name_en: str

    def as_json(self) -> dict[str, Any]:
        return {
            "g_no": self.g_no,
            "code_ts": self.code_ts,
            "licence": self.licence,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
        }


def conditions_of(code_ts: str) -> list[tables.Condition] | None:
    """The supervision conditions of a national code, or None when no table knows the code."""
    chapter = tables.chapter(code_ts[:2])
    supervision = chapter.codes.get(code_ts) if chapter else None
    if supervision is None:
        return None
    known = tables.conditions()
    return [known[c] for c in supervision]


def held_codes(content: DeclarationContent) -> frozenset[str]:
    """The licence codes the declaration carries: its 监管证件 (DecLicenseDocus' DocuCode), the code list
    the supervision conditions are written in (a goods item's own DecGoodsLimits are product
    qualifications, another list)."""
    return frozenset(document.docu_code for document in content.licence_documents)


def missing(content: DeclarationContent, held: Collection[str] | None = None) -> list[MissingLicence]:
    """Each licence a goods item needs in the declaration's direction that the declaration lacks."""
    have = held_codes(content) if held is None else frozenset(held)
    found: list[MissingLicence] = []
    for item in content.goods:
        for condition in _applying(content, item, "document"):
            if condition.code not in have:
                found.append(MissingLicence(item.g_no, item.code_ts, condition.code, condition.zh, condition.en))
    return found


def refusals(content: DeclarationContent) -> list[Refusal]:
    """Goods that may not cross in the declaration's direction at all."""
    found: list[Refusal] = []
    for index, item in enumerate(content.goods):
        for condition in _applying(content, item, "prohibited"):
            found.append(
                Refusal(
                    "prohibited",
                    item.g_no,
                    f"goods[{index}].code_ts",
                    f"第{item.g_no}项商品{item.code_ts}为{condition.zh}(监管条件{condition.code})",
                    f"Item {item.g_no}: {item.code_ts} is {condition.en} (supervision condition {condition.code})",
                    {"code_ts": item.code_ts, "condition": condition.code},
                )
            )
    return found


def reason(missing_licences: list[MissingLicence]) -> tuple[str, str]:
    """The waiting reason in both languages, naming every licence and goods item."""
    zh = "；".join(f"第{m.g_no}项商品({m.code_ts})须提供监管证件“{m.licence} {m.name_zh}”" for m in missing_licences)
    en = "; ".join(f"item {m.g_no} ({m.code_ts}) needs licence {m.licence} ({m.name_en})" for m in missing_licences)
    return f"缺少监管证件：{zh}，补充后再申报", f"licence missing: {en}; waits until it is added"


def _applying(content: DeclarationContent, item: GoodsItem, kind: str) -> list[tables.Condition]:
    return [c for c in conditions_of(item.code_ts) or () if c.kind == kind and c.applies_to(content.ie_flag)]
