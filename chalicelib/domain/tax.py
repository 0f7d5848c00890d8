"""Import tax of a declaration (税费计算): customs value, duty, consumption tax, import VAT.

Pure Python on ``Decimal``; the rates come from data files (``data/tax/rates.json``,
``data/tax/exchange_rates.json``) that are SAMPLES: replace them with full tables, no code
change. Exports are out of scope (export duty applies to few goods): ``compute_tax`` returns an
all-zero detail with a note. See docs/tax.md.

Rules, per goods item, all amounts in CNY:

1. Goods value = ``decl_total`` × the exchange rate of its currency, rounded to the fen. The
   rates are those of the period in force on ``on`` (the tax date, 申报之日), the newest if None.
2. Customs value (完税价格) = goods value + its share of freight and insurance, by ``trans_mode``:
   1 CIF as is; 2 C&F + insurance; 3 FOB and 7 EXW + freight + insurance (EXW: inland costs
   not modelled); 4 C&I + freight; 5 and 6 as is, with a note. The head's fees are computed once
   for the declaration (G = sum of goods values, F = freight), rounded to the fen, then shared
   out in proportion to the goods values (largest remainder, so the shares add up exactly):

   - freight: mark 1 = G × rate %; mark 2 = rate per ton of ``gross_wt`` (kg ÷ 1000);
     mark 3 = rate as a total. Absent → 0, with a note (customs would estimate it).
   - insurance: mark 1 = (G + F) × r ÷ (1 − r), r = rate % (i.e. CIF = (FOB + F) ÷ (1 − r));
     mark 2 like freight, per ton (customs accepts only 1 or 3 for insurance: noted);
     mark 3 = rate as a total. Absent → (G + F) × 3‰ (审价办法, 海关总署令第213号, 第三十六条:
     保险费=(货价+运费)×3‰).
   - marks 2 and 3 are in the fee's currency (absent: the first item's, noted).
3. Duty = customs value × duty rate.
4. Consumption tax, with S = quantity × specific amount (the quantity of the item in the
   specific unit: ``qty``/``unit``, else ``first_qty``/``first_unit``, else
   ``second_qty``/``second_unit``; none matches → the specific part is skipped, with a note):
   ad valorem (value + duty) ÷ (1 − rate) × rate; specific S; compound
   (value + duty + S) ÷ (1 − rate) × rate + S.
5. VAT = (customs value + duty + consumption tax) × VAT rate.
6. Every amount is rounded to the fen (ROUND_HALF_UP) per item, and the next one is computed
   from the rounded ones, so a person can redo it from the figures shown. Totals are sums of
   the rounded item amounts.
7. ¥50 rule (税额在人民币50元以下的一票货物免征): a tax kind whose declaration total is under
   50.00 is listed in ``waived`` and left out of ``payable``; items keep the amounts.

Not modelled, and said in ``notes``: a duty_mode (征免方式) other than 1 照章征税, trans modes
5/6, fees the trans mode already includes, missing quantities and stale exchange tables.

Worked example: wine 2204210000 (duty 14%, consumption 10%, VAT 13%), FOB USD 5,000.00,
freight total USD 200.00, no insurance, USD at 7.1000::

    goods value   5,000.00 × 7.1 = 35,500.00      freight 200 × 7.1 = 1,420.00
    insurance     (35,500.00 + 1,420.00) × 0.003 = 110.76
    customs value 35,500.00 + 1,420.00 + 110.76 = 37,030.76
    duty          37,030.76 × 0.14 = 5,184.3064             → 5,184.31
    consumption   (37,030.76 + 5,184.31) ÷ 0.9 × 0.1 = 4,690.5633…  → 4,690.56
    VAT           (37,030.76 + 5,184.31 + 4,690.56) × 0.13 = 6,097.7319 → 6,097.73
    payable       5,184.31 + 4,690.56 + 6,097.73 = 15,972.60
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from . import codes
from .declaration import DeclarationContent, Fee, GoodsItem, TaxStatus
from .errors import DomainError
from .timestamps import iso

TAX_DIR = Path(__file__).parent / "data" / "tax"

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
THRESHOLD = Decimal("50")  # the ¥50 rule
MISSING_INSURANCE_RATE = Decimal("0.003")  # 审价办法 art. 36: (货价+运费)×3‰
TAX_KINDS = ("duty", "consumption_tax", "vat")

_PREFIX_LENGTHS = (10, 8, 4)
_ADD_FREIGHT = frozenset({"3", "4", "7"})  # FOB, C&I, EXW
_ADD_INSURANCE = frozenset({"2", "3", "7"})  # C&F, FOB, EXW
_KNOWN_TRANS_MODES = frozenset({"1", "2", "3", "4", "7"})
_RATE_KEYS = frozenset(
    {"duty_rate", "vat_rate", "consumption_rate", "consumption_specific", "consumption_specific_unit"}
)


# ---- errors --------------------------------------------------------------------------------


class TaxTableError(ValueError):
    """A tax data file that cannot be used; the message names the file and the entry."""


class TaxRateMissing(DomainError):
    """No rates for an HS code: the tax cannot be computed (HTTP 422)."""

    def __init__(self, code_ts: str) -> None:
        super().__init__(
            "tax_rate_missing",
            f"商品编号{code_ts}未找到税率，无法计算税费",
            f"No tax rates for HS code {code_ts}: the tax cannot be computed",
            details={"code_ts": code_ts},
            kind="unprocessable",
        )
        self.code_ts = code_ts


class ExchangeRateMissing(DomainError):
    """No exchange rate for a currency on the tax date (HTTP 422)."""

    def __init__(self, currency: str, on: date | None) -> None:
        when_zh, when_en = (f"({on.isoformat()})", f" on {on.isoformat()}") if on else ("", "")
        super().__init__(
            "exchange_rate_missing",
            f"币制{currency}未找到计征汇率{when_zh}，无法计算税费",
            f"No exchange rate for currency {currency}{when_en}: the tax cannot be computed",
            details={"currency": currency, "on": on.isoformat() if on else None},
            kind="unprocessable",
        )
        self.currency = currency
        self.on = on


class TaxInputInvalid(DomainError):
    """Declaration figures the tax cannot be computed from (HTTP 422)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("tax_input_invalid", message_zh, message_en, kind="unprocessable")


# ---- tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxRates:
    """Rates of one table entry. Rates are fractions (0.13 = 13%)."""

    code: str  # the table key that matched: 10 digits, or an 8- or 4-digit prefix
    duty_rate: Decimal
    vat_rate: Decimal
    consumption_rate: Decimal = Decimal(0)
    consumption_specific: Decimal | None = None  # CNY per consumption_specific_unit
    consumption_specific_unit: str | None = None  # customs unit code, e.g. "095" litre


@dataclass(frozen=True)
class ExchangePeriod:
    """CNY per one unit of each currency, from effective_from until the next period."""

    effective_from: date
    rates: Mapping[str, Decimal]


@dataclass(frozen=True)
class TaxTables:
    rates: Mapping[str, TaxRates]
    periods: tuple[ExchangePeriod, ...]  # by effective_from, ascending

    def rates_for(self, code_ts: str) -> TaxRates:
        """The entry for the 10-digit code, else its 8-digit, else its 4-digit prefix."""
        for length in _PREFIX_LENGTHS:
            found = self.rates.get(code_ts[:length])
            if found is not None:
                return found
        raise TaxRateMissing(code_ts)

    def period(self, on: date | None = None) -> ExchangePeriod | None:
        """The exchange period in force on `on` (None: the newest); None when none had started."""
        started = [p for p in self.periods if on is None or p.effective_from <= on]
        return started[-1] if started else None


def load_tax_tables(directory: Path | None = None) -> TaxTables:
    """The tables in `directory` (default: the shipped ones, read once)."""
    return _default_tables() if directory is None else _read_tables(directory)


@cache
def _default_tables() -> TaxTables:
    return _read_tables(TAX_DIR)


def _read_tables(directory: Path) -> TaxTables:
    return TaxTables(
        rates=_read_rates(directory / "rates.json"), periods=_read_periods(directory / "exchange_rates.json")
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        # parse_float=Decimal: a number written without quotes must not pass through float.
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise TaxTableError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise TaxTableError(f"{path}: must be a JSON object")
    return data


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise TaxTableError(f"{where}: must be a decimal string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise TaxTableError(f"{where}: not a number: {value!r}") from exc
    if not number.is_finite() or number < 0:
        raise TaxTableError(f"{where}: must be a finite number ≥ 0, got {value!r}")
    return number


def _read_rates(path: Path) -> dict[str, TaxRates]:
    rates = _read_json(path).get("rates")
    if not isinstance(rates, dict):
        raise TaxTableError(f"{path}: needs an object 'rates'")
    return {key: _rate_row(key, row, f"{path}: rates[{key!r}]") for key, row in rates.items()}


def _rate_row(key: str, row: Any, where: str) -> TaxRates:
    if not (key.isdigit() and len(key) in _PREFIX_LENGTHS):
        raise TaxTableError(f"{where}: the key must be 10 digits, or an 8- or 4-digit prefix")
    if not isinstance(row, dict):
        raise TaxTableError(f"{where}: must be an object")
    unknown = {k for k in row if not k.startswith("_")} - _RATE_KEYS
    if unknown:
        raise TaxTableError(f"{where}: unknown fields {sorted(unknown)}")
    for required in ("duty_rate", "vat_rate"):
        if required not in row:
            raise TaxTableError(f"{where}: {required} is required")
    consumption_rate = _decimal(row.get("consumption_rate", "0"), f"{where}.consumption_rate")
    if consumption_rate >= 1:
        # the ad valorem formula divides by (1 − rate)
        raise TaxTableError(f"{where}.consumption_rate: must be below 1 (a fraction)")
    specific_raw, unit = row.get("consumption_specific"), row.get("consumption_specific_unit")
    specific = None if specific_raw is None else _decimal(specific_raw, f"{where}.consumption_specific")
    if (specific is None) != (unit is None):
        raise TaxTableError(f"{where}: consumption_specific and consumption_specific_unit go together")
    if unit is not None and codes.normalize("unit", str(unit)) != unit:
        raise TaxTableError(f"{where}.consumption_specific_unit: {unit!r} is not a customs unit code")
    return TaxRates(
        code=key,
        duty_rate=_decimal(row["duty_rate"], f"{where}.duty_rate"),
        vat_rate=_decimal(row["vat_rate"], f"{where}.vat_rate"),
        consumption_rate=consumption_rate,
        consumption_specific=specific,
        consumption_specific_unit=unit,
    )


def _read_periods(path: Path) -> tuple[ExchangePeriod, ...]:
    periods = _read_json(path).get("periods")
    if not isinstance(periods, list) or not periods:
        raise TaxTableError(f"{path}: needs a non-empty list 'periods'")
    out: list[ExchangePeriod] = []
    for n, row in enumerate(periods):
        where = f"{path}: periods[{n}]"
        if not isinstance(row, dict):
            raise TaxTableError(f"{where}: must be an object")
        try:
            start = date.fromisoformat(row["effective_from"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TaxTableError(f"{where}.effective_from: needs a date YYYY-MM-DD") from exc
        rates = row.get("rates")
        if not isinstance(rates, dict):
            raise TaxTableError(f"{where}: needs an object 'rates'")
        parsed: dict[str, Decimal] = {}
        for currency, value in rates.items():
            if currency == "CNY" or codes.normalize("currency", currency) != currency:
                raise TaxTableError(f"{where}.rates: {currency!r} is not a foreign currency letter code")
            parsed[currency] = _decimal(value, f"{where}.rates.{currency}")
            if parsed[currency] == 0:
                raise TaxTableError(f"{where}.rates.{currency}: must be positive")
        out.append(ExchangePeriod(start, parsed))
    out.sort(key=lambda p: p.effective_from)
    if len({p.effective_from for p in out}) != len(out):
        raise TaxTableError(f"{path}: two periods share an effective_from date")
    return tuple(out)


# ---- the detail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemTax:
    g_no: int
    code_ts: str
    customs_value: Decimal
    duty_rate: Decimal
    duty: Decimal
    consumption_rate: Decimal
    consumption_specific: Decimal | None
    consumption_tax: Decimal
    vat_rate: Decimal
    vat: Decimal


@dataclass(frozen=True)
class TaxTotals:
    customs_value: Decimal
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    payable: Decimal


@dataclass(frozen=True)
class TaxDetail:
    """The computed tax of one declaration. `notes` say what was assumed, in both languages."""

    exchange_rates: Mapping[str, Decimal]  # the rates used, CNY per unit
    items: tuple[ItemTax, ...]
    totals: TaxTotals
    waived: tuple[str, ...]  # tax kinds under the ¥50 threshold
    notes: tuple[str, ...] = ()
    rates_effective_from: date | None = None  # the exchange period used (None: no conversion); not in the JSON

    @property
    def payable(self) -> Decimal:
        return self.totals.payable

    def as_json(
        self, seq_no: str, tax_status: str, confirmed_by: str | None = None, confirmed_at: datetime | str | None = None
    ) -> dict[str, Any]:
        """The contract of shared/examples/tax-detail.json, plus `notes` (a list of strings)."""
        return {
            "seq_no": seq_no,
            "tax_status": TaxStatus(tax_status).value,
            "exchange_rates": {c: _fx(r) for c, r in self.exchange_rates.items()},
            "items": [_item_json(i) for i in self.items],
            "totals": _totals_json(self.totals),
            "waived": list(self.waived),
            "confirmed_by": confirmed_by,
            "confirmed_at": _iso(confirmed_at),
            "notes": list(self.notes),
        }


def fingerprint(detail: TaxDetail | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the items and totals, as shown: what a confirmation confirmed.

    Takes the detail or its JSON (as_json); both give the same value. Notes, status and
    confirmation fields are left out: they do not change the amounts.
    """
    if isinstance(detail, TaxDetail):
        body = {"items": [_item_json(i) for i in detail.items], "totals": _totals_json(detail.totals)}
    else:
        body = {"items": detail["items"], "totals": detail["totals"]}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _money(value: Decimal) -> str:
    return str(value.quantize(FEN, ROUND_HALF_UP))


def _rate(value: Decimal) -> str:
    # "0.13", "0.1", "0": as few digits as the value needs (format 'f' avoids "1E+1").
    return format(value.normalize(), "f") if value else "0"


def _fx(value: Decimal) -> str:
    # At least 4 places ("7.1000"); more when the rate has them (JPY 0.047826), never cut.
    four = value.quantize(Decimal("0.0001"))
    return str(four) if four == value else format(value.normalize(), "f")


def _iso(value: datetime | str | None) -> str | None:
    return iso(value) if isinstance(value, datetime) else value  # a string is stored as it was given


def _item_json(item: ItemTax) -> dict[str, Any]:
    specific = item.consumption_specific
    return {
        "g_no": item.g_no,
        "code_ts": item.code_ts,
        "customs_value": _money(item.customs_value),
        "duty_rate": _rate(item.duty_rate),
        "duty": _money(item.duty),
        "consumption_rate": _rate(item.consumption_rate),
        "consumption_specific": None if specific is None else _rate(specific),
        "consumption_tax": _money(item.consumption_tax),
        "vat_rate": _rate(item.vat_rate),
        "vat": _money(item.vat),
    }


def _totals_json(totals: TaxTotals) -> dict[str, str]:
    return {
        "customs_value": _money(totals.customs_value),
        "duty": _money(totals.duty),
        "consumption_tax": _money(totals.consumption_tax),
        "vat": _money(totals.vat),
        "payable": _money(totals.payable),
    }


# ---- computation ---------------------------------------------------------------------------


def compute_tax(content: DeclarationContent, tables: TaxTables, *, on: date | None = None) -> TaxDetail:
    """The import tax of `content`; `on` is the tax date (申报之日) choosing the exchange period.

    Raises TaxRateMissing, ExchangeRateMissing or TaxInputInvalid (all DomainError, HTTP 422).
    """
    if content.ie_flag == "E":
        return _export_detail(content)
    rates = [tables.rates_for(g.code_ts) for g in content.goods]  # fail before any arithmetic
    period = tables.period(on)
    notes: list[str] = []
    used: dict[str, Decimal] = {}

    def to_cny(amount: Decimal, currency: str) -> Decimal:
        if currency == "CNY":
            return amount
        rate = period.rates.get(currency) if period is not None else None
        if rate is None:
            raise ExchangeRateMissing(currency, on)
        used[currency] = rate
        return amount * rate

    goods = [_fen(to_cny(g.decl_total, g.currency)) for g in content.goods]
    freight, insurance = _fees(content, sum(goods, ZERO), to_cny, notes)
    freight_shares, insurance_shares = _apportion(freight, goods), _apportion(insurance, goods)

    items = []
    for g, r, value, f, i in zip(content.goods, rates, goods, freight_shares, insurance_shares, strict=False):
        items.append(_item_tax(g, r, value + f + i, notes))
        if g.duty_mode != "1":
            label = codes.label_zh("duty_mode", g.duty_mode) or g.duty_mode
            notes.append(
                _note(
                    f"商品{g.g_no}：征免方式“{label}”未计入，按照章征税计算",
                    f"item {g.g_no}: duty mode {g.duty_mode} ({label}) is not applied; computed at the full rates",
                )
            )
    if used and on is not None and period is tables.periods[-1] and on - period.effective_from > timedelta(days=31):
        # a monthly table that was not kept up to date: say so rather than fail the declaration
        notes.append(
            _note(
                f"汇率表最新一期自{period.effective_from}起适用，计税日期{on}已晚一个月以上，汇率表可能过期",
                f"the newest exchange-rate period starts {period.effective_from} and the tax date "
                f"{on} is over a month later: the table may be out of date",
            )
        )
    return _detail(items, dict(sorted(used.items())), notes, period.effective_from if used and period else None)


def _item_tax(g: GoodsItem, r: TaxRates, value: Decimal, notes: list[str]) -> ItemTax:
    duty = _fen(value * r.duty_rate)
    specific = None
    if r.consumption_specific is not None:
        quantity = _quantity_in(g, r.consumption_specific_unit)
        if quantity is None:
            unit = codes.label_zh("unit", r.consumption_specific_unit or "") or r.consumption_specific_unit
            notes.append(
                _note(
                    f"商品{g.g_no}：无以“{unit}”计的数量，从量消费税未计",
                    f"item {g.g_no}: quantity unavailable in unit {r.consumption_specific_unit} "
                    f"({unit}); the specific consumption tax is left out",
                )
            )
        else:
            specific = quantity * r.consumption_specific  # kept exact: rounded once, in the total
    consumption = ZERO
    if r.consumption_rate:
        s = specific or Decimal(0)
        consumption = _fen((value + duty + s) / (1 - r.consumption_rate) * r.consumption_rate + s)
    elif specific is not None:
        consumption = _fen(specific)
    vat = _fen((value + duty + consumption) * r.vat_rate)
    return ItemTax(
        g.g_no,
        g.code_ts,
        value,
        r.duty_rate,
        duty,
        r.consumption_rate,
        r.consumption_specific,
        consumption,
        r.vat_rate,
        vat,
    )


def _quantity_in(g: GoodsItem, unit: str | None) -> Decimal | None:
    # Customs levies the specific tax on the legal quantity; any of the three that is in the unit will do.
    for qty, qty_unit in ((g.qty, g.unit), (g.first_qty, g.first_unit), (g.second_qty, g.second_unit)):
        if qty is not None and qty_unit == unit:
            return qty
    return None


def _fees(
    content: DeclarationContent, goods: Decimal, to_cny: Callable[[Decimal, str], Decimal], notes: list[str]
) -> tuple[Decimal, Decimal]:
    """Freight and insurance in CNY, fen, for the whole declaration, as the trans_mode asks."""
    mode = content.trans_mode
    _trans_mode_notes(content, notes)

    freight = ZERO
    if mode in _ADD_FREIGHT:
        if content.freight is None:
            notes.append(
                _note(
                    "未申报运费，按0计算(海关可按同期正常运输成本估定)",
                    "no freight declared: 0 is used (customs may estimate it)",
                )
            )
        elif content.freight.mark == "1":
            freight = _fen(goods * content.freight.rate / 100)
        else:
            freight = _fen(
                to_cny(
                    _fee_amount(content, content.freight),
                    _fee_currency(content, content.freight, "运费", "freight", notes),
                )
            )

    insurance = ZERO
    if mode in _ADD_INSURANCE:
        fee = content.insurance
        if fee is None:
            insurance = _fen((goods + freight) * MISSING_INSURANCE_RATE)
            notes.append(
                _note("未申报保费，按(货价+运费)×3‰计算", "no insurance declared: (goods + freight) × 0.3% is used")
            )
        elif fee.mark == "1":
            r = fee.rate / 100
            if r >= 1:
                raise TaxInputInvalid("保险费率须小于100%", "the insurance rate must be below 100%")
            insurance = _fen((goods + freight) * r / (1 - r))
        else:
            if fee.mark == "2":
                notes.append(
                    _note(
                        "保费标记2(单价)非海关可选项，按每吨毛重单价计算",
                        "insurance mark 2 (unit price) is not a customs option; "
                        "taken as a price per ton of gross weight",
                    )
                )
            insurance = _fen(to_cny(_fee_amount(content, fee), _fee_currency(content, fee, "保费", "insurance", notes)))
    return freight, insurance


def _trans_mode_notes(content: DeclarationContent, notes: list[str]) -> None:
    """What the trans_mode leaves out of the customs value, or includes already."""
    mode = content.trans_mode
    label = codes.label_zh("trans_mode", mode) or mode
    if mode not in _KNOWN_TRANS_MODES:
        notes.append(
            _note(
                f"成交方式“{label}”：以申报总价为完税价格，未加运保费",
                f"trans_mode {mode} ({label}) is not modelled: the declared value is taken as the customs value",
            )
        )
    if mode == "7":
        notes.append(
            _note(
                "成交方式EXW：按FOB计算，境外内陆费用未计",
                "EXW is treated like FOB: inland costs abroad are not modelled",
            )
        )
    for fee, name_zh, name_en, added in (
        (content.freight, "运费", "freight", _ADD_FREIGHT),
        (content.insurance, "保费", "insurance", _ADD_INSURANCE),
    ):
        if fee is not None and mode in _KNOWN_TRANS_MODES and mode not in added:
            notes.append(
                _note(
                    f"成交方式“{label}”已含{name_zh}，申报的{name_zh}未计入",
                    f"trans_mode {mode} ({label}) already includes {name_en}: the declared {name_en} is not added",
                )
            )


def _fee_amount(content: DeclarationContent, fee: Fee) -> Decimal:
    # mark 2: a price per ton of gross weight (gross_wt is in kg); mark 3: the total.
    return fee.rate * content.gross_wt / 1000 if fee.mark == "2" else fee.rate


def _fee_currency(content: DeclarationContent, fee: Fee, name_zh: str, name_en: str, notes: list[str]) -> str:
    if fee.currency:
        return fee.currency
    currency = content.goods[0].currency
    notes.append(
        _note(
            f"{name_zh}未填币制，按商品1的币制{currency}计算",
            f"{name_en} has no currency: item 1's currency {currency} is used",
        )
    )
    return currency


def _apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` shared in proportion to `weights`, to the fen, adding up exactly (largest remainder)."""
    whole = sum(weights, ZERO)
    if not total or not whole:
        return [ZERO] * len(weights)
    raw = [total * w / whole for w in weights]
    shares = [r.quantize(FEN, ROUND_DOWN) for r in raw]
    left = int((total - sum(shares, ZERO)) / FEN)
    # ties go to the lower g_no, so the split never depends on anything but the figures
    for n in sorted(range(len(raw)), key=lambda n: (shares[n] - raw[n], n))[:left]:
        shares[n] += FEN
    return shares


def _detail(
    items: list[ItemTax],
    exchange_rates: dict[str, Decimal],
    notes: list[str],
    rates_effective_from: date | None,
    *,
    threshold: bool = True,
) -> TaxDetail:
    sums = {kind: sum((getattr(i, kind) for i in items), ZERO) for kind in TAX_KINDS}
    waived = tuple(kind for kind in TAX_KINDS if sums[kind] < THRESHOLD) if threshold else ()
    payable = sum((sums[kind] for kind in TAX_KINDS if kind not in waived), ZERO)
    totals = TaxTotals(
        sum((i.customs_value for i in items), ZERO), sums["duty"], sums["consumption_tax"], sums["vat"], payable
    )
    return TaxDetail(exchange_rates, tuple(items), totals, waived, tuple(notes), rates_effective_from)


def _export_detail(content: DeclarationContent) -> TaxDetail:
    # Export duty concerns a short list of goods (some metals, fertilisers): out of scope. Nothing
    # was assessed, so nothing is "waived" either.
    zero = Decimal(0)
    items = [ItemTax(g.g_no, g.code_ts, ZERO, zero, ZERO, zero, None, ZERO, zero, ZERO) for g in content.goods]
    note = _note(
        "出口报关单：出口关税不在计算范围内，税额按0列示",
        "export declaration: export taxes are out of scope; all amounts are 0",
    )
    return _detail(items, {}, [note], None, threshold=False)


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, ROUND_HALF_UP)


def _note(zh: str, en: str) -> str:
    return f"{zh} / {en}"
