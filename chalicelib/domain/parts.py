"""The parts library (归类): per enterprise, each customer part number (料号, a goods item's `exg_no`)
mapped to its HS code, 商品名称, 规格型号 (its declaration elements) and units.

A part is *proposed* (by hand, or from the past declarations of the same part number: the latest
values declared, with how many declarations carried them) and the legal-person card approves or
refuses it (proposed → approved | refused); every step is kept in its history. Only approved parts
fill goods: a goods item naming a known part and leaving a field empty gets the part's value; one
that fills it differently keeps its own and gets an advisory (温馨提示) naming both.

A part's HS code and 规格型号 go through domain/classification: an HS code whose first six digits
are no HS 2022 subheading, or a 规格型号 without a valid 品牌类型, is refused; declaration elements the
code's table asks for and the 规格型号 lacks are listed as the part's advisories.

Pure: the service (services/parts.py) reads and writes parts through its repository.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from . import errors
from .advisories import Advisory
from .classification import declaration_elements, hs_codes
from .declaration import GoodsItem
from .errors import FieldError

PROPOSED, APPROVED, REFUSED = "proposed", "approved", "refused"
# The goods fields a part fills, in the form's order.
FILLED = ("code_ts", "g_name", "g_model", "unit", "first_unit", "second_unit")
REQUIRED = ("code_ts", "g_name")


@dataclass(frozen=True)
class PartEvent:
    """One step of a part's life: who did what when (and from which declaration, for a proposal)."""

    action: str  # proposed | approved | refused
    by: str  # the card
    at: datetime
    note: str | None = None
    source: str | None = None  # the declaration a proposal took its values from

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "by": self.by,
            "at": self.at.isoformat(),
            "note": self.note,
            "source": self.source,
        }


@dataclass(frozen=True)
class Part:
    ent_code: str
    part_no: str
    values: Mapping[str, str]  # FILLED field → value (absent: the part does not say)
    status: str = PROPOSED
    history: tuple[PartEvent, ...] = field(default_factory=tuple)
    version: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "part_no": self.part_no,
            **{name: self.values.get(name) for name in FILLED},
            "status": self.status,
            "history": [event.as_json() for event in self.history],
            "advisories": [a.as_json() for a in element_advisories(self.values)],
            "version": self.version,
        }


def check(values: Mapping[str, str]) -> list[FieldError]:
    """Why a part's values cannot be a part: required fields, the HS code, the 品牌类型."""
    problems = [
        FieldError(name, f"{name} 不能为空", f"{name} is required") for name in REQUIRED if not values.get(name)
    ]
    code_ts = values.get("code_ts") or ""
    if code_ts and (len(code_ts) != 10 or not code_ts.isdigit()):
        problems.append(FieldError("code_ts", "商品编号须为10位数字", "code_ts must be 10 digits"))
    elif code_ts and not hs_codes.is_known_subheading(code_ts):
        near = "、".join(code for code, _ in hs_codes.nearest(code_ts))
        problems.append(
            FieldError(
                "code_ts",
                f"商品编号“{code_ts}”的前6位不是HS 2022的子目；最接近的有效编码：{near}",
                f"code_ts '{code_ts}' is not an HS 2022 subheading; nearest valid codes: {near}",
            )
        )
    g_model = values.get("g_model")
    if g_model and declaration_elements.parts(g_model)[0] not in declaration_elements.BRAND_TYPES:
        problems.append(
            FieldError(
                "g_model",
                "规格型号的第一项申报要素“品牌类型”应为0-4",
                "the first element of g_model, brand type (品牌类型), must be one of 0-4",
            )
        )
    return problems


def element_advisories(values: Mapping[str, str]) -> list[Advisory]:
    """The declaration elements of the part's HS code its 规格型号 lacks (where the tables know them)."""
    code_ts, g_model = values.get("code_ts") or "", values.get("g_model")
    names = declaration_elements.elements_of(code_ts) if code_ts else None
    if not names or g_model is None:
        return []
    given = declaration_elements.parts(g_model)
    missing = [
        name
        for position, name in enumerate(names)
        if name not in declaration_elements.OPTIONAL and (position >= len(given) or not given[position])
    ]
    if not missing:
        return []
    return [
        Advisory(
            "elements_missing",
            None,
            f"规格型号缺少申报要素：{'、'.join(missing)}(商品编号{code_ts}共{len(names)}项要素)",
            f"g_model lacks the declaration elements {', '.join(missing)} ({len(names)} elements for {code_ts})",
            {"code_ts": code_ts, "missing": ",".join(missing)},
        )
    ]


def propose(ent_code: str, part_no: str, values: Mapping[str, Any], by: str, at: datetime) -> Part:
    """A part proposed by hand; invalid_request naming every problem."""
    clean = {name: str(values[name]).strip() for name in FILLED if values.get(name) not in (None, "")}
    problems = check(clean)
    if not part_no.strip() or len(part_no) > 32:
        problems.insert(0, FieldError("part_no", "料号须为1至32个字符", "part_no must be 1 to 32 characters"))
    if problems:
        raise errors.invalid_request(problems)
    return Part(ent_code, part_no.strip(), clean, PROPOSED, (PartEvent(PROPOSED, by, at),))


def propose_from_history(
    ent_code: str, part_no: str, declared: Iterable[tuple[str, Mapping[str, Any]]], by: str, at: datetime
) -> Part:
    """A part proposed from past declarations of the same part number: `declared` holds (seq_no, goods
    item) pairs, the latest first. The latest item's values are proposed; the note says how many of the
    declarations carried the same HS code."""
    items = [(seq_no, item) for seq_no, item in declared if item.get("exg_no") == part_no]
    if not items:
        raise errors.not_found("料号的历史申报", "past declarations of part", part_no)
    seq_no, latest = items[0]
    codes = Counter(str(item.get("code_ts")) for _, item in items)
    agree = codes[str(latest.get("code_ts"))]
    part = propose(ent_code, part_no, latest, by, at)
    note = (
        f"取自{len(items)}份历史申报中最近的一份，其中{agree}份为同一商品编号"
        f" / from the latest of {len(items)} past declarations; {agree} carried the same HS code"
    )
    return replace(part, history=(PartEvent(PROPOSED, by, at, note, seq_no),))


def decide(part: Part, approve: bool, by: str, at: datetime, note: str | None = None) -> Part:
    """proposed → approved | refused (the legal-person card: the service checks the role)."""
    if part.status != PROPOSED:
        raise errors.state_conflict(
            f"料号{part.part_no}不是待审核状态（当前：{part.status}）",
            f"part {part.part_no} is not proposed (it is {part.status})",
            {"part_no": part.part_no, "status": part.status},
        )
    status = APPROVED if approve else REFUSED
    return replace(
        part, status=status, history=(*part.history, PartEvent(status, by, at, note)), version=part.version + 1
    )


def fill(goods: list[Any], parts: Mapping[str, Part]) -> list[Advisory]:
    """Fills, in place, each raw goods item (an import record's dict) that names an approved part by its
    exg_no: an empty field gets the part's value. A field filled differently is kept, with an advisory."""
    advisories: list[Advisory] = []
    for index, item in enumerate(goods):
        if not isinstance(item, dict):
            continue
        part = parts.get(str(item.get("exg_no") or "").strip())
        if part is None or part.status != APPROVED:
            continue
        g_no: int = item["g_no"] if isinstance(item.get("g_no"), int) else index + 1
        for name, value in part.values.items():
            if item.get(name) in (None, ""):
                item[name] = value
        advisories += _differences(g_no, item.get, part)
    return advisories


def part_differs(item: GoodsItem, parts: Mapping[str, Part]) -> list[Advisory]:
    """温馨提示 of a declared goods item naming an approved part (by exg_no) whose HS code, 商品名称,
    规格型号 or units it fills differently: the same prompts the import answered with, raised again at
    the gates and at a person's confirmation (domain/advisories.py)."""
    part = parts.get((item.exg_no or "").strip())
    if part is None or part.status != APPROVED:
        return []
    return _differences(item.g_no, lambda name: getattr(item, name, None), part)


def part_numbers(goods: Iterable[Any]) -> set[str]:
    """The part numbers (exg_no) the goods name, as the library keys them."""
    return {no.strip() for item in goods if isinstance(no := getattr(item, "exg_no", None), str) and no.strip()}


def _differences(g_no: int, own_value: Callable[[str], Any], part: Part) -> list[Advisory]:
    found = []
    for name, value in part.values.items():
        own = own_value(name)
        if own in (None, "") or str(own).strip() == value:
            continue
        found.append(
            Advisory(
                "part_differs",
                g_no,
                f"第{g_no}项商品料号{part.part_no}的{name}为“{own}”，归类库为“{value}”，请确认",
                f"Item {g_no}: part {part.part_no}'s {name} is '{own}', the parts library says '{value}'",
                {"part_no": part.part_no, "field": name, "declared": str(own).strip(), "library": value},
            )
        )
    return found
