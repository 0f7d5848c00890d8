"""Advisory prompts (温馨提示): plausibility warnings a declaring client raises before declaring.

None of them is an error customs would refuse outright; each needs a person's confirmation,
or the system's when the config has auxiliary confirmation (辅助确认) on. The set, and why:

- ``net_over_gross`` (head): net weight above gross weight. Packing cannot weigh less than
  nothing, so one of the two is mistyped.
- ``kg_qty_over_net`` (head): the legal quantities in kilograms (first or second unit 035)
  add up to more than the net weight. A legal quantity in kg *is* the item's net weight, so
  together they cannot exceed the declaration's.
- ``legal_qty_missing`` (per item): a legal unit without its quantity, or a quantity without
  its unit. Customs needs both to apply duties and licences counted in legal units.
- ``total_mismatch`` (per item): decl_total differs from decl_price × qty by more than rounding
  explains (see ``total_tolerance``).
- ``price_outlier`` (per item): unit price above 3× or below 1/3 of the median of recent unit
  prices for the same HS code, currency and unit, given at least 3 of them (fewer make no
  meaningful median). Typical cause: a price per dozen typed as per piece, or a wrong currency.
  The recent prices are the enterprise's own (domain/price_history.py): the goods of its
  declarations customs accepted (smart status ``succeeded``), the newest 20 of the last 180 days
  per key. A price in USD says nothing about one in EUR, nor a price per 打 (dozen) about one
  per 个: the key holds the currency and the unit.
- classification (per item, domain/classification): ``national_code_unchecked`` (digits 7-10 of
  the HS code not in a national table), ``elements_missing`` / ``elements_extra`` (规格型号 against
  the code's declaration elements), ``element_value`` (an import's 出口享惠情况 other than 3).
- ``part_differs`` (per item, domain/parts.py): the goods item names an approved part of the
  enterprise's parts library (料号, exg_no) and fills its HS code, 商品名称, 规格型号 or a unit
  differently. The caller reads the parts (one batched read for the declaration's part numbers).

Order is stable: head advisories first (in the order above), then per goods item by g_no, in
the order above. Details hold strings only (decimals normalised: "1180.00" and "1180" give the
same details), so advisories serialise to JSON and ``fingerprint`` depends on values only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

from .declaration import DeclarationContent, GoodsItem
from .price_history import PriceKey, price_key

if TYPE_CHECKING:
    from .parts import Part

KG = "035"  # 千克
PRICE_PLACES_HALF = Decimal("0.00005")  # half a unit of the 4th place: the unit price's rounding
TOTAL_PLACES_HALF = Decimal("0.005")  # half a cent: the total's own rounding to 2 places
MIN_TOLERANCE = Decimal("0.01")
OUTLIER_FACTOR = Decimal(3)
MIN_RECENT_PRICES = 3
_FINGERPRINT_VERSION = "advisories-v1"  # change when the fingerprinted form changes
# Details a person's confirmation does not depend on: the history behind the median moves whenever
# another declaration of the code is declared (and as old prices age out), while the prompt they
# confirmed (this price, that far off) stays the same. price_outlier never fired before its prices
# were recorded, so no stored fingerprint holds these keys: leaving them out keeps the version.
_NOT_FINGERPRINTED = {"price_outlier": frozenset({"median", "samples"})}


@dataclass(frozen=True)
class Advisory:
    code: str
    g_no: int | None  # the goods item, None for the head
    message_zh: str
    message_en: str
    details: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "g_no": self.g_no,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": dict(self.details),
        }


def advisories(
    content: DeclarationContent,
    recent_prices: Mapping[PriceKey, Sequence[Decimal]] | None = None,
    parts: Mapping[str, Part] | None = None,
) -> list[Advisory]:
    """Every advisory `content` raises, in a stable order.

    `recent_prices`: (code_ts, currency, unit) → the enterprise's recent unit prices under that key
    (services/price_advisories.py reads them); absent keys are not compared.
    `parts`: the enterprise's parts among those the goods name, by part number (only approved
    ones count); None or {}: no part is compared.
    """
    from .classification import item_advisories  # here: classification and parts build on Advisory
    from .parts import part_differs

    found: list[Advisory] = []
    found += _net_over_gross(content)
    found += _kg_qty_over_net(content)
    for item in content.goods:
        found += _legal_qty_missing(item)
        found += _total_mismatch(item)
        found += _price_outlier(item, (recent_prices or {}).get(price_key(item), ()))
        found += item_advisories(content, item)
        found += part_differs(item, parts or {})
    return found


def fingerprint(found: Sequence[Advisory]) -> str:
    """A stable hash of the advisories' codes, g_nos and details (not their wording).

    Stored with a person's confirmation: the confirmation holds only while the declaration
    raises exactly the prompts they saw. Order-independent, so reordering checks keeps it.
    """
    rows = sorted(json.dumps([a.code, a.g_no, _fingerprinted(a)], sort_keys=True, ensure_ascii=False) for a in found)
    payload = json.dumps([_FINGERPRINT_VERSION, rows], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fingerprinted(a: Advisory) -> dict[str, str]:
    left_out = _NOT_FINGERPRINTED.get(a.code, frozenset())
    return {k: v for k, v in a.details.items() if k not in left_out}


def total_tolerance(qty: Decimal) -> Decimal:
    """How far decl_total may lie from decl_price × qty through rounding alone.

    The unit price is rounded to 4 places, so it is off by at most 0.00005 per unit: qty × 0.00005
    over the line. The total is rounded to 2 places: 0.005 more. Never below 0.01, one cent, the
    total's own precision. (max(0.01, qty × 0.00005) alone would flag correct lines of more than
    200 units where both roundings add up.) E.g. price 820.1235 × qty 3 = 2460.3705 vs total
    2460.37: 0.0005 off, well within 0.01.
    """
    return max(MIN_TOLERANCE, qty * PRICE_PLACES_HALF + TOTAL_PLACES_HALF)


# ---- head ---------------------------------------------------------------------------------


def _net_over_gross(c: DeclarationContent) -> list[Advisory]:
    if c.net_wt <= c.gross_wt:
        return []
    return [
        Advisory(
            "net_over_gross",
            None,
            f"净重({_num(c.net_wt)}千克)大于毛重({_num(c.gross_wt)}千克)，请确认",
            f"Net weight {_num(c.net_wt)} kg is above gross weight {_num(c.gross_wt)} kg",
            {"net_wt": _num(c.net_wt), "gross_wt": _num(c.gross_wt)},
        )
    ]


def _kg_qty_over_net(c: DeclarationContent) -> list[Advisory]:
    in_kg = [qty for item in c.goods for qty, unit in _legal_pairs(item) if unit == KG and qty is not None]
    if not in_kg:
        return []
    total = sum(in_kg, Decimal(0))
    if total <= c.net_wt:
        return []
    return [
        Advisory(
            "kg_qty_over_net",
            None,
            f"法定计量单位为千克的商品法定数量合计({_num(total)})大于净重({_num(c.net_wt)})，请确认",
            f"Legal quantities in kg add up to {_num(total)}, above the net weight {_num(c.net_wt)}",
            {"kg_total": _num(total), "net_wt": _num(c.net_wt)},
        )
    ]


# ---- goods items --------------------------------------------------------------------------


def _legal_qty_missing(g: GoodsItem) -> list[Advisory]:
    missing = [
        name
        for name, (qty, unit) in zip(("first", "second"), _legal_pairs(g), strict=False)
        if (qty is None) != (unit is None)
    ]
    if not missing:
        return []
    zh = "、".join({"first": "法定第一", "second": "法定第二"}[m] for m in missing)
    return [
        Advisory(
            "legal_qty_missing",
            g.g_no,
            f"第{g.g_no}项商品{zh}数量与计量单位须同时填写，请确认",
            f"Item {g.g_no}: the {' and '.join(missing)} legal quantity and its unit must both be given",
            {"missing": ",".join(missing)},
        )
    ]


def _total_mismatch(g: GoodsItem) -> list[Advisory]:
    # 19 + 19 digits may exceed the default 28-digit context: compute exactly
    with localcontext(prec=60):
        expected = g.decl_price * g.qty
        difference = abs(expected - g.decl_total)
        tolerance = total_tolerance(g.qty)
    if difference <= tolerance:
        return []
    return [
        Advisory(
            "total_mismatch",
            g.g_no,
            f"第{g.g_no}项商品总价({_num(g.decl_total)})与单价×数量({_num(expected)})不符，请确认",
            f"Item {g.g_no}: total {_num(g.decl_total)} differs from price × quantity {_num(expected)}",
            {
                "decl_total": _num(g.decl_total),
                "expected": _num(expected),
                "difference": _num(difference),
                "tolerance": _num(tolerance),
            },
        )
    ]


def _price_outlier(g: GoodsItem, recent: Sequence[Decimal]) -> list[Advisory]:
    if len(recent) < MIN_RECENT_PRICES:
        return []
    median = _median(recent)
    if median <= 0:
        return []
    if g.decl_price > median * OUTLIER_FACTOR:
        direction = "high"
    elif g.decl_price * OUTLIER_FACTOR < median:  # price < median / 3, without dividing
        direction = "low"
    else:
        return []
    zh_dir = "高于" if direction == "high" else "低于"
    en_dir = "above 3×" if direction == "high" else "below 1/3 of"
    return [
        Advisory(
            "price_outlier",
            g.g_no,
            f"第{g.g_no}项商品单价({_num(g.decl_price)})明显{zh_dir}该商品编号近期申报单价中位数"
            f"({_num(median)})，请确认",
            f"Item {g.g_no}: unit price {_num(g.decl_price)} is {en_dir} the median {_num(median)} "
            f"of recent prices for {g.code_ts} in {g.currency}",
            {
                "code_ts": g.code_ts,
                "currency": g.currency,
                "unit": g.unit,
                "decl_price": _num(g.decl_price),
                "median": _num(median),
                "direction": direction,
                "samples": str(len(recent)),
            },
        )
    ]


# ---- helpers ------------------------------------------------------------------------------


def _legal_pairs(g: GoodsItem) -> tuple[tuple[Decimal | None, str | None], ...]:
    return (g.first_qty, g.first_unit), (g.second_qty, g.second_unit)


def _median(values: Sequence[Decimal]) -> Decimal:
    if any(isinstance(v, float) for v in values):
        raise TypeError("recent prices must be Decimal, not float")
    ordered = sorted(Decimal(v) for v in values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _num(value: Decimal) -> str:
    """Plain decimal text without trailing zeros: equal values give equal text."""
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")
