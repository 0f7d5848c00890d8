"""The HS code (商品编号, code_ts): digits 1-6 against HS 2022, digits 7-10 against China's codes where known.

- Digits 1-6 are the WCO's subheading. One that HS 2022 does not have is refused: at import, and
  at the gates for a declaration stored before this check. The refusal names the nearest valid
  codes: the subheadings of the same heading, else the headings of the same chapter, else the
  nearest headings at all (closest number first), so a typo or an HS 2017 code (8517.12 became
  8517.13/14) points at what to use.
- Digits 7-10 are China's. We have no licensed table of all of them (see docs/classification.md);
  the chapter tables list the national codes of the headings they cover. A code they list is
  checked; another under a subheading they cover raises the advisory ``national_code_unchecked``,
  naming the national codes we know there (a prompt, not a refusal: a partial table may miss a
  valid code). Under a subheading they do not cover, nothing is checked: the classification gate
  says so in the log (outcome ``info``) and does not hold the declaration.
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
    """`national_code_unchecked` when we know national codes under the item's subheading and digits
    7-10 are not among them: a plausibility prompt (a typo in the national digits is the usual cause).
    Where we know none, nothing was checked and nothing is prompted: see `unchecked_national_codes`."""
    chapter = tables.chapter(item.code_ts[:2])
    if chapter is not None and item.code_ts in chapter.codes:
        return []
    six = subheading(item.code_ts)
    known = sorted(c for c in (chapter.codes if chapter else {}) if c.startswith(six))
    if not known:
        return []
    zh = f"第7-10位不在已知的本国子目中(已知：{'、'.join(known)})"
    en = f"digits 7-10 are not among the national codes known under {six} ({', '.join(known)})"
    return [
        Advisory(
            "national_code_unchecked",
            item.g_no,
            f"第{item.g_no}项商品编号{item.code_ts}{zh}，请确认",
            f"Item {item.g_no}: code {item.code_ts}, {en}",
            {"code_ts": item.code_ts, "known": ",".join(known)},
        )
    ]


def unchecked_national_codes(content: DeclarationContent) -> list[dict[str, object]]:
    """The goods whose digits 7-10 we have no national table for: said in the log, never held.

    Why not a prompt that waits for a person: our national tables cover a few headings so far, so
    a prompt would hold nearly every declaration for our own gap, not for anything the declaration
    got wrong; customs checks the national digits itself and refuses a wrong one with its reason."""
    found: list[dict[str, object]] = []
    for item in content.goods:
        chapter = tables.chapter(item.code_ts[:2])
        six = subheading(item.code_ts)
        if chapter is not None and any(code.startswith(six) for code in chapter.codes):
            continue
        found.append(
            {
                "g_no": item.g_no,
                "code_ts": item.code_ts,
                "message_zh": f"第{item.g_no}项商品编号{item.code_ts}第7-10位未经核对(没有{six}的本国税则表)",
                "message_en": f"Item {item.g_no}: code {item.code_ts}, digits 7-10 not checked "
                f"(no national table for {six})",
            }
        )
    return found


def _short(text: str) -> str:
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"
