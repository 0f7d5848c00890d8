"""The HS code (商品编号, code_ts): digits 1-6 against HS 2022, digits 7-10 against China's codes where known.

- Digits 1-6 are the WCO's subheading. One that HS 2022 does not have is refused: at import, and
  at the gates for a declaration stored before this check. The refusal names the nearest valid
  codes: the subheadings of the same heading, else the headings of the same chapter, else the
  nearest headings at all (closest number first), so a typo or an HS 2017 code (8517.12 became
  8517.13/14) points at what to use.
- Digits 7-10 are China's. We have no licensed table of all of them (see docs/classification.md);
  the chapter tables list the national codes of the headings they cover. A code they list is
  checked; any other raises the advisory ``national_code_unchecked``, naming the national codes
  we know under the same subheading if any. It is a prompt, not a refusal: a code missing from a
  partial table may still be valid.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..advisories import Advisory
from ..declaration import DeclarationContent, GoodsItem
from ..errors import FieldError
from . import tables

NEAREST = 3
_SHORT = 48  # characters of a description shown beside a code


def subheading(code_ts: str) -> str:
    return code_ts[:6]


def is_known_subheading(code_ts: str) -> bool:
    return subheading(code_ts) in tables.hs_table().subheadings


def nearest(code_ts: str, limit: int = NEAREST) -> list[tuple[str, str]]:
    """The valid codes nearest to `code_ts`'s first six digits, with their descriptions."""
    table, six = tables.hs_table(), subheading(code_ts)
    pool: Iterable[str] = [c for c in table.subheadings if c[:4] == six[:4]]
    if not pool:
        pool = [h for h in table.headings if h[:2] == six[:2]] or table.headings
    target = int(six.ljust(6, "0"))
    ranked = sorted(pool, key=lambda code: (abs(int(code.ljust(6, "0")) - target), code))
    return [(code, table.description(code)) for code in ranked[:limit]]


def import_errors(content: DeclarationContent) -> list[FieldError]:
    """One field error per goods item whose first six digits are not an HS 2022 subheading."""
    return [_unknown(index, item) for index, item in enumerate(content.goods) if not is_known_subheading(item.code_ts)]


def unknown_subheadings(content: DeclarationContent) -> list[dict[str, object]]:
    """The same findings as the gates log them: {code, g_no, field, message_zh, message_en}."""
    found = []
    for index, item in enumerate(content.goods):
        if not is_known_subheading(item.code_ts):
            error = _unknown(index, item)
            found.append(
                {
                    "code": "hs_subheading_unknown",
                    "g_no": item.g_no,
                    "field": error.field,
                    "message_zh": error.message_zh,
                    "message_en": error.message_en,
                }
            )
    return found


def _unknown(index: int, item: GoodsItem) -> FieldError:
    near = nearest(item.code_ts)
    listed_zh = "、".join(f"{code}({_short(text)})" for code, text in near)
    listed_en = "; ".join(f"{code} ({_short(text)})" for code, text in near)
    six = subheading(item.code_ts)
    path = f"goods[{index}].code_ts"
    return FieldError(
        path,
        f"商品编号({path})“{item.code_ts}”的前6位{six}不是HS 2022的子目；最接近的有效编码：{listed_zh}",
        f"{path} '{item.code_ts}': {six} is not an HS 2022 subheading; nearest valid codes: {listed_en}",
    )


def national_advisory(item: GoodsItem) -> list[Advisory]:
    """`national_code_unchecked` when digits 7-10 are not among the national codes we know."""
    chapter = tables.chapter(item.code_ts[:2])
    if chapter is not None and item.code_ts in chapter.codes:
        return []
    six = subheading(item.code_ts)
    known = sorted(c for c in (chapter.codes if chapter else {}) if c.startswith(six))
    if known:
        zh = f"第7-10位不在已知的本国子目中(已知：{'、'.join(known)})"
        en = f"digits 7-10 are not among the national codes known under {six} ({', '.join(known)})"
    else:
        zh = "第7-10位未经核对(没有该子目的本国税则表)"
        en = f"digits 7-10 were not checked (no national table for {six})"
    return [
        Advisory(
            "national_code_unchecked",
            item.g_no,
            f"第{item.g_no}项商品编号{item.code_ts}{zh}，请确认",
            f"Item {item.g_no}: code {item.code_ts}, {en}",
            {"code_ts": item.code_ts, "known": ",".join(known)},
        )
    ]


def _short(text: str) -> str:
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"
