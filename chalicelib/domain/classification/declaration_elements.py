"""The declaration elements (申报要素) of 规格型号 (g_model): its ``|``-separated parts, checked.

Customs' specification (《进出口商品规范申报目录》) gives each code the ordered elements its
规格型号 must hold; the broker writes their values in that order, separated by ``|``. Every
code's list starts with 品牌类型 and 出口享惠情况 (data/classification/tables.UNIVERSAL), so those
two are checked for every goods item; the rest where a chapter table knows the code.

Refused (the gates fail the declaration; customs refuses these, so waiting would not help):
- 品牌类型 missing, or not 0-4;
- on an export, 出口享惠情况 missing, or not 0-2 (3 means "not an export").

Advisories (温馨提示; the seed's 辅助确认 / 人工确认 flows apply unchanged):
- ``element_value``: on an import, 出口享惠情况 other than 3 (不适用于进口报关单);
- ``elements_missing``: a required element of the code is absent or blank (GTIN, CAS and 其他 are
  optional), named;
- ``elements_extra``: more parts than the code has elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..advisories import Advisory
from ..declaration import DeclarationContent, GoodsItem
from . import tables

BRAND_TYPES = {
    "0": "无品牌",
    "1": "境内自主品牌",
    "2": "境内收购品牌",
    "3": "境外品牌(贴牌生产)",
    "4": "境外品牌(其它)",
}
EXPORT_PREFERENCE = {
    "0": "出口货物在最终目的国(地区)不享受优惠关税",
    "1": "出口货物在最终目的国(地区)享受优惠关税",
    "2": "不能确定在最终目的国(地区)享受优惠关税",
    "3": "不适用于进口报关单",
}
NOT_AN_EXPORT = "3"
OPTIONAL = frozenset({"GTIN", "CAS", "其他"})
SEPARATOR = "|"


@dataclass(frozen=True)
class Refusal:
    """A reason customs refuses the declaration, for the gates' log and the failure reason."""

    code: str
    g_no: int
    field: str
    message_zh: str
    message_en: str
    details: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "g_no": self.g_no,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": dict(self.details),
        }


def parts(g_model: str) -> list[str]:
    """The values of 规格型号 in order, each stripped."""
    return [part.strip() for part in g_model.split(SEPARATOR)]


def refusals(content: DeclarationContent) -> list[Refusal]:
    found: list[Refusal] = []
    for index, item in enumerate(content.goods):
        values = parts(item.g_model)
        brand = values[0]
        field = f"goods[{index}].g_model"
        if brand not in BRAND_TYPES:
            what = "缺少" if not brand else f"为“{brand}”，"
            found.append(
                Refusal(
                    "brand_type",
                    item.g_no,
                    field,
                    f"第{item.g_no}项商品规格型号的申报要素“品牌类型”{what}应为0-4(0无品牌…4境外品牌(其它))",
                    f"Item {item.g_no}: the first element of g_model, brand type (品牌类型), "
                    f"{'is missing' if not brand else repr(brand) + ' is not'} one of 0-4",
                    {"element": "品牌类型", "value": brand},
                )
            )
        preference = values[1] if len(values) > 1 else ""
        if content.ie_flag == "E" and (preference not in EXPORT_PREFERENCE or preference == NOT_AN_EXPORT):
            what = "缺少" if not preference else f"为“{preference}”，"
            found.append(
                Refusal(
                    "export_preference",
                    item.g_no,
                    field,
                    f"第{item.g_no}项商品规格型号的申报要素“出口享惠情况”{what}出口报关单应为0-2",
                    f"Item {item.g_no}: the second element of g_model, export preference (出口享惠情况), "
                    f"{'is missing' if not preference else repr(preference) + ' is not'} one of 0-2 on an export",
                    {"element": "出口享惠情况", "value": preference},
                )
            )
    return found


def item_advisories(content: DeclarationContent, item: GoodsItem) -> list[Advisory]:
    values = parts(item.g_model)
    found: list[Advisory] = []
    preference = values[1] if len(values) > 1 else ""
    if content.ie_flag == "I" and preference != NOT_AN_EXPORT and values[0] in BRAND_TYPES:
        found.append(
            Advisory(
                "element_value",
                item.g_no,
                f"第{item.g_no}项商品为进口，申报要素“出口享惠情况”应为3(不适用于进口报关单)，"
                f"现为“{preference}”，请确认",
                f"Item {item.g_no}: an import's export preference (出口享惠情况) is 3 (not applicable), "
                f"not '{preference}'",
                {"element": "出口享惠情况", "value": preference, "expected": NOT_AN_EXPORT},
            )
        )
    chapter = tables.chapter(item.code_ts[:2])
    entry = chapter.elements_for(item.code_ts) if chapter else None
    if entry is None:
        return found
    prefix, names = entry
    missing = [  # past the universal two, which are checked above for every code
        name
        for position, name in enumerate(names)
        if position >= len(tables.UNIVERSAL)
        and name not in OPTIONAL
        and (position >= len(values) or not values[position])
    ]
    if missing:
        found.append(
            Advisory(
                "elements_missing",
                item.g_no,
                f"第{item.g_no}项商品规格型号缺少申报要素：{'、'.join(missing)}"
                f"(商品编号{item.code_ts}共{len(names)}项要素)，请确认",
                f"Item {item.g_no}: g_model lacks the declaration elements {', '.join(missing)} "
                f"({len(names)} elements for {item.code_ts})",
                {"code_ts": item.code_ts, "prefix": prefix, "missing": ",".join(missing)},
            )
        )
    if len(values) > len(names):
        found.append(
            Advisory(
                "elements_extra",
                item.g_no,
                f"第{item.g_no}项商品规格型号有{len(values)}项，多于商品编号{item.code_ts}的{len(names)}项申报要素，请确认",
                f"Item {item.g_no}: g_model has {len(values)} parts, more than the {len(names)} "
                f"declaration elements of {item.code_ts}",
                {"code_ts": item.code_ts, "prefix": prefix, "parts": str(len(values)), "elements": str(len(names))},
            )
        )
    return found


def elements_of(code_ts: str) -> tuple[str, ...] | None:
    """The ordered elements of `code_ts` where a chapter table knows them."""
    chapter = tables.chapter(code_ts[:2])
    entry = chapter.elements_for(code_ts) if chapter else None
    return entry[1] if entry else None
