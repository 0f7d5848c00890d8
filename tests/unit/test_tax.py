"""Import tax: hand-worked examples (arithmetic in the comments), the ¥50 rule, the JSON contract.

Rates used (sample table chalicelib/domain/data/tax/rates.json) and USD at 7.1000 (the newest
period of exchange_rates.json):
laptop 8471300000 duty 0 VAT 13% · wine 22042100 duty 14% consumption 10% VAT 13% ·
cigarettes 2402200000 duty 25% consumption 56% + 0.003/支 VAT 13% ·
gasoline 2710121000 duty 1% consumption 1.52/升 VAT 13% · coffee 0901210000 duty 15% VAT 13% ·
wheat 1001 duty 1% VAT 9% · books 4901 duty 0 VAT 9%.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.errors import DomainError
from chalicelib.domain.tax import (
    TAX_DIR,
    ExchangeRateMissing,
    TaxDetail,
    TaxInputInvalid,
    TaxRateMissing,
    TaxTableError,
    compute_tax,
    fingerprint,
    load_tax_tables,
)
from tests.factories import make_declaration_body, shared_example

ROOT = Path(__file__).resolve().parents[2]
TABLES = load_tax_tables()
SEQ_NO = "I20240001031824871"


def goods(g_no: int = 1, **fields: Any) -> dict[str, Any]:
    """A goods item: the factory's laptop (USD, CIF) changed by `fields`."""
    item = make_declaration_body()["goods"][0] | {"g_no": g_no}
    return item | fields


def content(*items: dict[str, Any], **head: Any) -> DeclarationContent:
    body = make_declaration_body(**head)
    if items:
        body["goods"] = list(items)
    return DeclarationContent.model_validate(body)


def tax(*items: dict[str, Any], on: date | None = None, **head: Any) -> TaxDetail:
    return compute_tax(content(*items, **head), TABLES, on=on)


def shown(detail: TaxDetail) -> dict[str, Any]:
    return detail.as_json(SEQ_NO, "unconfirmed")


def item_amounts(detail: TaxDetail, g_no: int = 1) -> dict[str, str]:
    row = shown(detail)["items"][g_no - 1]
    return {k: row[k] for k in ("customs_value", "duty", "consumption_tax", "vat")}


# ---- (a) the contract example --------------------------------------------------------------


def test_cif_laptop_gives_exactly_the_contract_example():
    # Given the factory's declaration: CIF, one laptop item, USD 82,000.00, duty 0, VAT 13%
    # When the tax is computed
    detail = tax(goods(code_ts="8471300000"))  # the contract example's code (8.4713's national codes came later)
    # Then value 82,000.00 × 7.1 = 582,200.00; duty 582,200.00 × 0 = 0.00; no consumption tax;
    # VAT (582,200.00 + 0 + 0) × 0.13 = 75,686.00. Duty and consumption tax total 0 < 50:
    # waived. Payable = the VAT only. Nothing was assumed: no notes.
    assert shown(detail) == shared_example("tax-detail.json") | {"notes": []}
    assert detail.payable == Decimal("75686.00")


# ---- (b) (c) (d) consumption tax: ad valorem, compound, specific ---------------------------

WINE = {
    "code_ts": "2204210000",
    "g_name": "葡萄酒",
    "qty": "750",
    "unit": "095",
    "first_qty": "750",
    "first_unit": "095",
    "decl_price": "6.6667",
    "decl_total": "5000",
}


def test_wine_pays_duty_and_ad_valorem_consumption_tax():
    # Given wine, CIF USD 5,000.00 (8-digit table entry 22042100)
    detail = tax(goods(**WINE))
    # value        5,000.00 × 7.1 = 35,500.00
    # duty         35,500.00 × 0.14 = 4,970.00
    # consumption  (35,500.00 + 4,970.00) ÷ (1 − 0.10) × 0.10 = 40,470 ÷ 9 = 4,496.666… → 4,496.67
    # VAT          (35,500.00 + 4,970.00 + 4,496.67) × 0.13 = 44,966.67 × 0.13 = 5,845.6671 → 5,845.67
    assert item_amounts(detail) == {
        "customs_value": "35500.00",
        "duty": "4970.00",
        "consumption_tax": "4496.67",
        "vat": "5845.67",
    }
    row = shown(detail)["items"][0]
    assert (row["duty_rate"], row["consumption_rate"], row["consumption_specific"]) == ("0.14", "0.1", None)
    # payable 4,970.00 + 4,496.67 + 5,845.67 = 15,312.34; nothing waived
    assert shown(detail)["totals"]["payable"] == "15312.34"
    assert detail.waived == ()
    assert TABLES.rates_for("2204210000").code == "22042100"


CIGARETTES = {
    "code_ts": "2402200000",
    "g_name": "卷烟",
    "qty": "10000",
    "unit": "012",
    "first_qty": "10",
    "first_unit": "143",
    "decl_price": "0.1",
    "decl_total": "1000",
}


def test_cigarettes_pay_compound_consumption_tax():
    # Given 10,000 cigarettes (支, unit 012), CIF USD 1,000.00
    detail = tax(goods(**CIGARETTES))
    # value        1,000.00 × 7.1 = 7,100.00
    # duty         7,100.00 × 0.25 = 1,775.00
    # specific     10,000 支 × 0.003 = 30.00
    # consumption  (7,100.00 + 1,775.00 + 30.00) ÷ (1 − 0.56) × 0.56 + 30.00
    #              = 8,905 × 0.56 ÷ 0.44 + 30 = 11,333.6363… + 30 = 11,363.6363… → 11,363.64
    # VAT          (7,100.00 + 1,775.00 + 11,363.64) × 0.13 = 20,238.64 × 0.13 = 2,631.0232 → 2,631.02
    assert item_amounts(detail) == {
        "customs_value": "7100.00",
        "duty": "1775.00",
        "consumption_tax": "11363.64",
        "vat": "2631.02",
    }
    row = shown(detail)["items"][0]
    assert (row["consumption_rate"], row["consumption_specific"]) == ("0.56", "0.003")


def test_specific_quantity_taken_from_the_first_legal_unit_when_the_deal_unit_differs():
    # Given the same 10,000 sticks declared as 50 cartons (条), with first_qty 10,000 支
    detail = tax(
        goods(
            **CIGARETTES | {"qty": "50", "unit": "015", "first_qty": "10000", "first_unit": "012", "decl_price": "20"}
        )
    )
    # Then the same figures as above: the specific quantity is the first legal quantity
    assert item_amounts(detail)["consumption_tax"] == "11363.64"
    assert detail.notes == ()


def test_compound_without_a_quantity_in_the_unit_keeps_the_ad_valorem_part_and_says_so():
    # Given no quantity in 支 at all (50 条, 10 千支)
    detail = tax(goods(**CIGARETTES | {"qty": "50", "unit": "015", "decl_price": "20"}))
    # consumption  (7,100.00 + 1,775.00) ÷ 0.44 × 0.56 = 8,875 × 14 ÷ 11 = 11,295.4545… → 11,295.45
    # VAT          (7,100.00 + 1,775.00 + 11,295.45) × 0.13 = 20,170.45 × 0.13 = 2,622.1585 → 2,622.16
    assert item_amounts(detail) == {
        "customs_value": "7100.00",
        "duty": "1775.00",
        "consumption_tax": "11295.45",
        "vat": "2622.16",
    }
    assert len(detail.notes) == 1 and "quantity unavailable" in detail.notes[0]


def test_gasoline_pays_specific_consumption_tax_only():
    # Given 10,000 litres (升, unit 095) of gasoline, CIF USD 6,000.00
    detail = tax(
        goods(
            code_ts="2710121000",
            g_name="车用汽油",
            qty="10000",
            unit="095",
            first_qty="7400",
            first_unit="035",
            decl_price="0.6",
            decl_total="6000",
        )
    )
    # value        6,000.00 × 7.1 = 42,600.00
    # duty         42,600.00 × 0.01 = 426.00
    # consumption  10,000 升 × 1.52 = 15,200.00 (no ad valorem part)
    # VAT          (42,600.00 + 426.00 + 15,200.00) × 0.13 = 58,226.00 × 0.13 = 7,569.38
    assert item_amounts(detail) == {
        "customs_value": "42600.00",
        "duty": "426.00",
        "consumption_tax": "15200.00",
        "vat": "7569.38",
    }
    row = shown(detail)["items"][0]
    assert (row["consumption_rate"], row["consumption_specific"]) == ("0", "1.52")


# ---- (e) FOB and the other trans modes → CIF -----------------------------------------------


def test_fob_with_freight_total_and_insurance_rate_is_grossed_up_to_cif():
    # Given the shipped example: FOB coffee USD 152,400.00, freight total USD 1,500.00,
    # insurance rate 0.27 %
    raw = json.loads((ROOT / "examples" / "declarations.json").read_text(encoding="utf-8"))["declarations"][2]
    detail = compute_tax(DeclarationContent.model_validate(raw), TABLES)
    # goods        152,400.00 × 7.1 = 1,082,040.00
    # freight      1,500.00 × 7.1 = 10,650.00
    # insurance    (1,082,040.00 + 10,650.00) × 0.0027 ÷ (1 − 0.0027) = 2,950.263 ÷ 0.9973
    #              = 2,958.2502… → 2,958.25      (CIF = (FOB + freight) ÷ (1 − rate))
    # value        1,082,040.00 + 10,650.00 + 2,958.25 = 1,095,648.25
    # duty         1,095,648.25 × 0.15 = 164,347.2375 → 164,347.24
    # VAT          (1,095,648.25 + 164,347.24) × 0.13 = 1,259,995.49 × 0.13 = 163,799.4137 → 163,799.41
    assert item_amounts(detail) == {
        "customs_value": "1095648.25",
        "duty": "164347.24",
        "consumption_tax": "0.00",
        "vat": "163799.41",
    }
    assert shown(detail)["totals"]["payable"] == "328146.65"  # 164,347.24 + 163,799.41
    assert detail.notes == ()


def test_fob_without_insurance_uses_three_per_mille_of_goods_plus_freight():
    # Given the module docstring's example: wine FOB USD 5,000.00, freight total USD 200.00, no insurance
    detail = tax(goods(**WINE), trans_mode="3", freight={"mark": "3", "rate": "200", "currency": "USD"})
    # goods        5,000.00 × 7.1 = 35,500.00;  freight 200.00 × 7.1 = 1,420.00
    # insurance    (35,500.00 + 1,420.00) × 0.003 = 110.76
    # value        35,500.00 + 1,420.00 + 110.76 = 37,030.76
    # duty         37,030.76 × 0.14 = 5,184.3064 → 5,184.31
    # consumption  (37,030.76 + 5,184.31) ÷ 0.9 × 0.1 = 4,690.5633… → 4,690.56
    # VAT          (37,030.76 + 5,184.31 + 4,690.56) × 0.13 = 46,905.63 × 0.13 = 6,097.7319 → 6,097.73
    assert item_amounts(detail) == {
        "customs_value": "37030.76",
        "duty": "5184.31",
        "consumption_tax": "4690.56",
        "vat": "6097.73",
    }
    assert shown(detail)["totals"]["payable"] == "15972.60"
    assert any("3‰" in n for n in detail.notes)


def test_freight_per_ton_applies_to_gross_weight_in_tons():
    # Given FOB laptop, gross_wt 1,250.5 kg, freight USD 200 per ton, insurance total USD 100
    detail = tax(
        trans_mode="3",
        freight={"mark": "2", "rate": "200", "currency": "USD"},
        insurance={"mark": "3", "rate": "100", "currency": "USD"},
    )
    # freight      200 × 1,250.5 ÷ 1,000 = 250.10 USD × 7.1 = 1,775.71
    # insurance    100.00 × 7.1 = 710.00
    # value        582,200.00 + 1,775.71 + 710.00 = 584,685.71
    # VAT          584,685.71 × 0.13 = 76,009.1423 → 76,009.14
    assert item_amounts(detail) == {
        "customs_value": "584685.71",
        "duty": "0.00",
        "consumption_tax": "0.00",
        "vat": "76009.14",
    }


def test_c_and_i_adds_a_freight_rate_of_the_goods_value():
    # Given C&I laptop, freight 2 % of the goods value
    detail = tax(trans_mode="4", freight={"mark": "1", "rate": "2"})
    # freight      582,200.00 × 2 ÷ 100 = 11,644.00;  value 593,844.00
    # VAT          593,844.00 × 0.13 = 77,199.72
    assert item_amounts(detail)["customs_value"] == "593844.00"
    assert item_amounts(detail)["vat"] == "77199.72"


def test_c_and_f_adds_insurance_from_its_rate():
    # Given C&F laptop, insurance rate 0.3 %
    detail = tax(trans_mode="2", insurance={"mark": "1", "rate": "0.3"})
    # insurance    582,200.00 × 0.003 ÷ 0.997 = 1,751.8555… → 1,751.86;  value 583,951.86
    # VAT          583,951.86 × 0.13 = 75,913.7418 → 75,913.74
    assert item_amounts(detail)["customs_value"] == "583951.86"
    assert item_amounts(detail)["vat"] == "75913.74"


def test_exw_without_fees_is_taken_like_fob_and_says_what_it_assumed():
    detail = tax(trans_mode="7")
    # freight 0 (absent, noted); insurance (582,200.00 + 0) × 0.003 = 1,746.60; value 583,946.60
    # VAT          583,946.60 × 0.13 = 75,913.058 → 75,913.06
    assert item_amounts(detail)["customs_value"] == "583946.60"
    assert item_amounts(detail)["vat"] == "75913.06"
    text = " ".join(detail.notes)
    assert "EXW" in text and "no freight declared" in text and "no insurance declared" in text


def test_cif_ignores_declared_freight_with_a_note():
    detail = tax(freight={"mark": "3", "rate": "500", "currency": "USD"})
    assert item_amounts(detail)["customs_value"] == "582200.00"
    assert any("already includes freight" in n for n in detail.notes)


def test_fee_without_currency_is_taken_in_the_first_items_currency():
    # freight 100 (no currency → USD, item 1's) × 7.1 = 710.00; insurance (582,200 + 710) × 0.003 = 1,748.73
    detail = tax(trans_mode="3", freight={"mark": "3", "rate": "100"})
    assert item_amounts(detail)["customs_value"] == "584658.73"  # 582,200.00 + 710.00 + 1,748.73
    assert any("no currency" in n for n in detail.notes)


def test_insurance_mark_2_is_taken_per_ton_with_a_note():
    # insurance USD 10 per ton × 1.2505 t = 12.505 USD × 7.1 = 88.7855 → 88.79
    detail = tax(trans_mode="2", insurance={"mark": "2", "rate": "10", "currency": "USD"})
    assert item_amounts(detail)["customs_value"] == "582288.79"
    assert any("insurance mark 2" in n for n in detail.notes)


def test_insurance_rate_of_100_percent_is_refused():
    with pytest.raises(TaxInputInvalid) as caught:
        tax(trans_mode="2", insurance={"mark": "1", "rate": "100"})
    assert caught.value.kind == "unprocessable" and caught.value.message_zh


def test_market_price_trans_mode_takes_the_declared_value_with_a_note():
    detail = tax(trans_mode="5")
    assert item_amounts(detail)["customs_value"] == "582200.00"
    assert any("not modelled" in n for n in detail.notes)


# ---- (f) the ¥50 rule ----------------------------------------------------------------------


def test_vat_of_49_99_is_waived_and_nothing_is_payable():
    # Given a laptop of CNY 384.54: VAT 384.54 × 0.13 = 49.9902 → 49.99 < 50
    detail = tax(goods(qty="1", first_qty="1", decl_price="384.54", decl_total="384.54", currency="CNY"))
    body = shown(detail)
    assert body["totals"]["vat"] == "49.99" and body["items"][0]["vat"] == "49.99"  # still shown
    assert body["waived"] == ["duty", "consumption_tax", "vat"]
    assert body["totals"]["payable"] == "0.00"
    assert body["exchange_rates"] == {}  # CNY needs no rate


def test_vat_of_exactly_50_is_collected():
    # Given CNY 384.62: VAT 384.62 × 0.13 = 50.0006 → 50.00, not under 50
    detail = tax(goods(qty="1", first_qty="1", decl_price="384.62", decl_total="384.62", currency="CNY"))
    assert shown(detail)["waived"] == ["duty", "consumption_tax"]
    assert shown(detail)["totals"]["payable"] == "50.00"


def test_threshold_applies_to_the_declaration_total_not_to_each_item():
    # Two items of CNY 200.00: VAT 26.00 each (under 50), 52.00 in total (not under 50): collected
    detail = tax(
        goods(1, decl_total="200", decl_price="2", currency="CNY"),
        goods(2, decl_total="200", decl_price="2", currency="CNY"),
    )
    assert "vat" not in detail.waived
    assert detail.payable == Decimal("52.00")


# ---- (g) apportioning head fees ------------------------------------------------------------


def test_head_freight_and_insurance_are_shared_by_goods_value():
    # Given FOB, items USD 1,000.00 and USD 3,000.00, freight total USD 100, insurance total USD 10
    detail = tax(
        goods(1, decl_price="10", decl_total="1000"),
        goods(2, decl_price="30", decl_total="3000"),
        trans_mode="3",
        freight={"mark": "3", "rate": "100", "currency": "USD"},
        insurance={"mark": "3", "rate": "10", "currency": "USD"},
    )
    # goods        7,100.00 and 21,300.00 (1 : 3)
    # freight      710.00 → 177.50 and 532.50;  insurance 71.00 → 17.75 and 53.25
    # values       7,100 + 177.50 + 17.75 = 7,295.25;  21,300 + 532.50 + 53.25 = 21,885.75
    # VAT          7,295.25 × 0.13 = 948.3825 → 948.38;  21,885.75 × 0.13 = 2,845.1475 → 2,845.15
    assert [item_amounts(detail, n)["customs_value"] for n in (1, 2)] == ["7295.25", "21885.75"]
    assert [item_amounts(detail, n)["vat"] for n in (1, 2)] == ["948.38", "2845.15"]
    # totals: 29,181.00 = 28,400 + 710 + 71; VAT 948.38 + 2,845.15 = 3,793.53
    assert shown(detail)["totals"]["customs_value"] == "29181.00"
    assert shown(detail)["totals"]["vat"] == "3793.53"


def test_apportioned_shares_add_up_to_the_fen_and_the_odd_fen_goes_to_the_lowest_g_no():
    # Given C&I, three items of CNY 100.00, freight total CNY 100.00: 33.333… each
    detail = tax(
        *(goods(n, decl_price="1", decl_total="100", currency="CNY") for n in (1, 2, 3)),
        trans_mode="4",
        freight={"mark": "3", "rate": "100", "currency": "CNY"},
    )
    # 33.33 × 3 = 99.99: the missing fen goes to item 1 (equal remainders)
    assert [item_amounts(detail, n)["customs_value"] for n in (1, 2, 3)] == ["133.34", "133.33", "133.33"]
    assert shown(detail)["totals"]["customs_value"] == "400.00"


# ---- (h) 9 % VAT ---------------------------------------------------------------------------


def test_books_and_wheat_pay_nine_percent_vat():
    # Given books CNY 10,000.00 (4901, duty 0) and wheat CNY 100,000.00 (1001, duty 1 %)
    detail = tax(
        goods(
            1,
            code_ts="4901990000",
            g_name="书籍",
            unit="131",
            first_unit="131",
            decl_price="100",
            decl_total="10000",
            currency="CNY",
        ),
        goods(
            2,
            code_ts="1001990000",
            g_name="小麦",
            qty="400000",
            unit="035",
            first_qty="400000",
            first_unit="035",
            decl_price="0.25",
            decl_total="100000",
            currency="CNY",
        ),
    )
    # books        duty 0.00;  VAT 10,000.00 × 0.09 = 900.00
    # wheat        duty 100,000.00 × 0.01 = 1,000.00;  VAT (100,000.00 + 1,000.00) × 0.09 = 9,090.00
    assert item_amounts(detail, 1) == {
        "customs_value": "10000.00",
        "duty": "0.00",
        "consumption_tax": "0.00",
        "vat": "900.00",
    }
    assert item_amounts(detail, 2) == {
        "customs_value": "100000.00",
        "duty": "1000.00",
        "consumption_tax": "0.00",
        "vat": "9090.00",
    }
    assert [r["vat_rate"] for r in shown(detail)["items"]] == ["0.09", "0.09"]
    # payable 1,000.00 + 9,990.00 = 10,990.00 (consumption tax 0 waived)
    assert shown(detail)["totals"]["payable"] == "10990.00"


# ---- (i) rounding --------------------------------------------------------------------------


def test_each_item_rounds_half_up_to_the_fen_and_totals_add_the_rounded_amounts():
    # Given two items of CNY 100.50: VAT 100.50 × 0.13 = 13.065 → 13.07 each (half-up; banker's
    # rounding would give 13.06). Total 13.07 + 13.07 = 26.14, not 201.00 × 0.13 = 26.13.
    detail = tax(
        goods(1, decl_price="1.005", decl_total="100.50", currency="CNY"),
        goods(2, decl_price="1.005", decl_total="100.50", currency="CNY"),
    )
    assert [item_amounts(detail, n)["vat"] for n in (1, 2)] == ["13.07", "13.07"]
    assert shown(detail)["totals"]["vat"] == "26.14"


def test_the_converted_goods_value_is_rounded_before_the_taxes_are_computed():
    # USD 100.05 × 7.1 = 710.355 → 710.36; VAT 710.36 × 0.13 = 92.3468 → 92.35
    detail = tax(goods(decl_price="1.0005", decl_total="100.05"))
    assert item_amounts(detail) == {
        "customs_value": "710.36",
        "duty": "0.00",
        "consumption_tax": "0.00",
        "vat": "92.35",
    }


# ---- (j) missing rates ---------------------------------------------------------------------


def test_missing_hs_code_raises_with_both_languages():
    with pytest.raises(TaxRateMissing) as caught:
        tax(goods(code_ts="0101210010"))
    err = caught.value
    assert isinstance(err, DomainError) and err.kind == "unprocessable"  # the API answers 422
    assert err.code_ts == "0101210010" and err.code == "tax_rate_missing"
    assert "0101210010" in err.message_zh and "0101210010" in err.message_en


def test_missing_exchange_rate_raises():
    with pytest.raises(ExchangeRateMissing) as caught:
        tax(goods(currency="KZT"))
    assert caught.value.currency == "KZT" and caught.value.kind == "unprocessable"


def test_a_tax_date_before_the_first_exchange_period_raises():
    with pytest.raises(ExchangeRateMissing):
        tax(on=date(2023, 12, 31))


# ---- (k) exports ---------------------------------------------------------------------------


def test_export_gives_an_all_zero_detail_with_a_note():
    # Even for a code the table lacks: nothing is looked up for an export.
    detail = tax(goods(code_ts="0101210010"), seq_no=None, ie_flag="E")
    body = shown(detail)
    assert body["totals"] == {
        "customs_value": "0.00",
        "duty": "0.00",
        "consumption_tax": "0.00",
        "vat": "0.00",
        "payable": "0.00",
    }
    assert body["items"][0]["code_ts"] == "0101210010" and body["items"][0]["vat"] == "0.00"
    assert body["waived"] == [] and body["exchange_rates"] == {}
    assert len(body["notes"]) == 1 and "export" in body["notes"][0]


# ---- (l) the JSON contract -----------------------------------------------------------------


def test_json_has_exactly_the_contract_keys_plus_notes():
    example = shared_example("tax-detail.json")
    body = tax(goods(**WINE)).as_json(SEQ_NO, "confirmed", "8911020000108", datetime(2024, 3, 21, 3, 7, 21, tzinfo=UTC))
    assert set(body) == set(example) | {"notes"}
    assert set(body["items"][0]) == set(example["items"][0])
    assert set(body["totals"]) == set(example["totals"])
    assert (body["tax_status"], body["confirmed_by"], body["confirmed_at"]) == (
        "confirmed",
        "8911020000108",
        "2024-03-21T03:07:21.000Z",
    )
    money = re.compile(r"\d+\.\d{2}")
    assert all(money.fullmatch(v) for v in body["totals"].values())
    assert json.loads(json.dumps(body)) == body  # plain JSON: no Decimal left


def test_unknown_tax_status_is_refused():
    with pytest.raises(ValueError):
        tax().as_json(SEQ_NO, "paid")


def test_exchange_rates_show_four_places_at_least():
    assert shown(tax())["exchange_rates"] == {"USD": "7.1000"}
    assert shown(tax(goods(currency="JPY")))["exchange_rates"] == {"JPY": "0.0475"}


# ---- fingerprint ---------------------------------------------------------------------------


def test_fingerprint_is_the_same_for_the_detail_and_its_json_whatever_the_status():
    detail = tax(goods(**WINE))
    assert fingerprint(detail) == fingerprint(detail.as_json(SEQ_NO, "confirmed", "x", "2024-03-21"))
    assert fingerprint(detail) == fingerprint(tax(goods(**WINE)))
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(detail))


def test_fingerprint_changes_when_an_amount_changes():
    assert fingerprint(tax(goods(**WINE))) != fingerprint(tax(goods(**WINE | {"decl_total": "5000.01"})))


# ---- tables --------------------------------------------------------------------------------


def test_shipped_tables_cover_every_hs_code_in_the_examples_and_factories():
    # bytes: one XML example is GB2312; the codes are ASCII digits in every encoding used
    text = b"".join(p.read_bytes() for p in (ROOT / "examples").glob("*.xml"))
    text += (ROOT / "examples" / "declarations.json").read_bytes()
    found = {m.decode() for m in re.findall(rb"(?:<CodeTS>|\"code_ts\": \")(\d{10})", text)}
    found.add(make_declaration_body()["goods"][0]["code_ts"])
    assert {"8471309000", "8443321000", "0901210000", "6109100021", "6203420090"} <= found
    for code_ts in found:
        TABLES.rates_for(code_ts)  # raises when missing


def test_shipped_files_say_they_are_samples():
    for name in ("rates.json", "exchange_rates.json"):
        assert "SAMPLE" in json.loads((TAX_DIR / name).read_text(encoding="utf-8"))["_comment"]


def test_default_tables_are_read_once():
    assert load_tax_tables() is load_tax_tables()


def write_tables(directory: Path, rates: dict[str, Any], periods: list[dict[str, Any]] | None = None) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "rates.json").write_text(json.dumps({"_comment": "test", "rates": rates}), encoding="utf-8")
    periods = periods or [{"effective_from": "2024-01-01", "rates": {"USD": "7"}}]
    (directory / "exchange_rates.json").write_text(
        json.dumps({"_comment": "test", "periods": periods}), encoding="utf-8"
    )
    return directory


def test_lookup_tries_ten_then_eight_then_four_digits(tmp_path: Path):
    tables = load_tax_tables(
        write_tables(
            tmp_path,
            {
                "8471300000": {"duty_rate": "0.01", "vat_rate": "0.13"},
                "84713000": {"duty_rate": "0.02", "vat_rate": "0.13"},
                "8471": {"duty_rate": "0.04", "vat_rate": "0.13"},
            },
        )
    )
    assert tables.rates_for("8471300000").duty_rate == Decimal("0.01")
    assert tables.rates_for("8471300090").duty_rate == Decimal("0.02")
    assert tables.rates_for("8471410000").duty_rate == Decimal("0.04")
    with pytest.raises(TaxRateMissing):
        tables.rates_for("8472000000")


@pytest.mark.parametrize(
    "rates",
    [
        {"847130": {"duty_rate": "0", "vat_rate": "0.13"}},  # 6 digits: not a key length
        {"8471": {"duty_rate": "0"}},  # vat_rate missing
        {"8471": {"duty_rate": "0", "vat_rate": "0.13", "dutyrate": "0"}},  # typo
        {"8471": {"duty_rate": "-0.1", "vat_rate": "0.13"}},
        {"8471": {"duty_rate": "0", "vat_rate": "0.13", "consumption_rate": "1"}},
        {"8471": {"duty_rate": "0", "vat_rate": "0.13", "consumption_specific": "1"}},  # no unit
        {
            "8471": {
                "duty_rate": "0",
                "vat_rate": "0.13",
                "consumption_specific": "1",
                "consumption_specific_unit": "999",
            }
        },
    ],
)
def test_a_malformed_rate_entry_is_refused_at_load(tmp_path: Path, rates: dict[str, Any]):
    with pytest.raises(TaxTableError, match="rates.json"):
        load_tax_tables(write_tables(tmp_path, rates))


def test_a_malformed_exchange_table_is_refused_at_load(tmp_path: Path):
    with pytest.raises(TaxTableError, match="exchange_rates.json"):
        load_tax_tables(write_tables(tmp_path, {}, [{"effective_from": "2024-01-01", "rates": {"XXX": "1"}}]))


def test_the_exchange_period_is_the_one_in_force_on_the_tax_date():
    # February's table has USD 7.1050: 82,000.00 × 7.105 = 582,610.00
    detail = tax(on=date(2024, 2, 15))
    assert shown(detail)["exchange_rates"] == {"USD": "7.1050"}
    assert item_amounts(detail)["customs_value"] == "582610.00"
    assert detail.rates_effective_from == date(2024, 2, 1) and detail.notes == ()


def test_a_tax_date_long_after_the_newest_period_is_noted():
    detail = tax(on=date(2024, 6, 1))
    assert shown(detail)["exchange_rates"] == {"USD": "7.1000"}
    assert any("out of date" in n for n in detail.notes)


def test_a_duty_mode_other_than_full_is_noted_not_applied():
    detail = tax(goods(duty_mode="3"))
    assert item_amounts(detail)["vat"] == "75686.00"
    assert any("duty mode 3" in n for n in detail.notes)
