"""Advisory prompts (温馨提示): each raised when it should be, silent otherwise; stable fingerprints."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.advisories import Advisory, advisories, fingerprint, total_tolerance
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.price_history import PriceKey
from tests.factories import make_declaration_body

D = Decimal


def item(**changes: Any) -> dict[str, Any]:
    return make_declaration_body()["goods"][0] | changes


def content(*goods: dict[str, Any], **overrides: Any) -> DeclarationContent:
    if goods:
        overrides["goods"] = [g | {"g_no": n} for n, g in enumerate(goods, 1)]
    return DeclarationContent.model_validate(make_declaration_body(**overrides))


def codes(found: list[Advisory]) -> list[tuple[str, int | None]]:
    return [(a.code, a.g_no) for a in found]


def test_the_canonical_declaration_raises_no_advisory():
    assert advisories(content()) == []


# ---- net weight over gross ----------------------------------------------------------------


def test_net_weight_above_gross_weight_is_raised():
    found = advisories(content(gross_wt="1000", net_wt="1000.5"))
    assert codes(found) == [("net_over_gross", None)]
    assert found[0].details == {"net_wt": "1000.5", "gross_wt": "1000"}
    assert "净重" in found[0].message_zh and "Net weight" in found[0].message_en


def test_net_weight_equal_to_gross_weight_is_fine():
    assert advisories(content(gross_wt="1000.00", net_wt="1000")) == []


# ---- kg legal quantities over net weight --------------------------------------------------


def test_kg_legal_quantities_above_net_weight_are_raised():
    # Given two items whose legal quantities in kg add up to 1200 against a net weight of 1180
    found = advisories(content(item(first_qty="700", first_unit="035"), item(second_qty="500", second_unit="035")))
    assert codes(found) == [("kg_qty_over_net", None)]
    assert found[0].details == {"kg_total": "1200", "net_wt": "1180"}


def test_kg_legal_quantities_within_net_weight_are_fine():
    assert advisories(content(item(first_qty="1180", first_unit="035"))) == []


# ---- legal quantity and unit --------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, missing",
    [
        ({"first_qty": None}, "first"),  # unit 001 without its quantity
        ({"second_qty": "5"}, "second"),  # quantity without its unit
        ({"first_qty": None, "second_unit": "035"}, "first,second"),
    ],
)
def test_legal_quantity_without_unit_or_unit_without_quantity_is_raised(changes, missing):
    found = advisories(content(item(**changes)))
    assert codes(found) == [("legal_qty_missing", 1)]
    assert found[0].details == {"missing": missing}


def test_legal_quantities_with_their_units_or_none_at_all_are_fine():
    assert advisories(content(item(second_qty="5", second_unit="035"))) == []
    assert advisories(content(item(first_qty=None, first_unit=None))) == []


# ---- total vs price × quantity ------------------------------------------------------------


def test_total_far_from_price_times_quantity_is_raised():
    # Given 100 × 820 declared as 82100
    found = advisories(content(item(decl_total="82100")))
    assert codes(found) == [("total_mismatch", 1)]
    assert found[0].details == {"decl_total": "82100", "expected": "82000", "difference": "100", "tolerance": "0.01"}


def test_total_off_only_by_the_rounding_of_a_four_place_unit_price_is_fine():
    # Given price 820.1235 × 3 = 2460.3705, declared with the total rounded to 2460.37
    assert advisories(content(item(qty="3", first_qty="3", decl_price="820.1235", decl_total="2460.37"))) == []


def test_total_off_by_more_than_a_cent_on_a_small_quantity_is_raised():
    found = advisories(content(item(qty="3", first_qty="3", decl_price="820.1235", decl_total="2460.39")))
    assert codes(found) == [("total_mismatch", 1)]


def test_tolerance_grows_with_quantity_for_both_roundings():
    # Given a true price of 1.23456789 over 10000 units: price declared 1.2346, total 12345.68
    # (12346 - 12345.68 = 0.32 ≤ 10000 × 0.00005 + 0.005 = 0.505)
    assert total_tolerance(D("10000")) == D("0.505")
    assert total_tolerance(D("3")) == D("0.01")
    fine = item(qty="10000", first_qty="10000", decl_price="1.2346", decl_total="12345.68")
    assert advisories(content(fine)) == []
    off = item(qty="10000", first_qty="10000", decl_price="1.2346", decl_total="12345.40")
    assert codes(advisories(content(off))) == [("total_mismatch", 1)]


# ---- price outlier ------------------------------------------------------------------------

LAPTOP_USD = PriceKey("8471309000", "USD", "001")  # the factory's goods item: HS code, currency, unit
RECENT = {LAPTOP_USD: [D("800"), D("850"), D("790")]}  # median 800


@pytest.mark.parametrize("price, direction", [("2500", "high"), ("250", "low")])
def test_price_far_from_recent_median_is_raised(price, direction):
    # Given a price above 3 × 800 or below 800 / 3
    body = item(qty="1", first_qty="1", decl_price=price, decl_total=price)
    found = advisories(content(body), recent_prices=RECENT)
    assert codes(found) == [("price_outlier", 1)]
    assert found[0].details == {
        "code_ts": "8471309000",
        "currency": "USD",
        "unit": "001",
        "decl_price": price,
        "median": "800",
        "direction": direction,
        "samples": "3",
    }


@pytest.mark.parametrize("price", ["2400", "267", "820"])
def test_price_within_a_factor_three_of_the_median_is_fine(price):
    body = item(qty="1", first_qty="1", decl_price=price, decl_total=price)
    assert advisories(content(body), recent_prices=RECENT) == []


def test_median_of_an_even_number_of_prices_is_the_mean_of_the_middle_two():
    # Given recent prices 100, 200, 300, 1000: median 250, so 760 is above 3 × 250
    found = advisories(
        content(item(qty="1", first_qty="1", decl_price="760", decl_total="760")),
        recent_prices={LAPTOP_USD: [D("1000"), D("100"), D("300"), D("200")]},
    )
    assert found[0].details["median"] == "250"


def test_price_is_not_compared_with_fewer_than_three_recent_prices_or_another_code():
    cheap = content(item(qty="1", first_qty="1", decl_price="1", decl_total="1"))
    assert advisories(cheap, recent_prices={LAPTOP_USD: [D("800"), D("850")]}) == []
    other_code = PriceKey("8443321000", "USD", "001")
    assert advisories(cheap, recent_prices={other_code: [D("800"), D("850"), D("900")]}) == []
    assert advisories(cheap) == []


def test_prices_in_another_currency_or_unit_are_not_mixed_in():
    # Given three laptop prices in EUR and three per 台 (unit 002) around 800, none in USD per 001
    cheap = content(item(qty="1", first_qty="1", decl_price="1", decl_total="1"))
    in_eur = {PriceKey("8471309000", "EUR", "001"): [D("800"), D("850"), D("790")]}
    per_other_unit = {PriceKey("8471309000", "USD", "002"): [D("800"), D("850"), D("790")]}
    # Then a price of 1 USD is compared with neither
    assert advisories(cheap, recent_prices=in_eur) == []
    assert advisories(cheap, recent_prices=per_other_unit) == []
    # And with the same prices in USD per 001 it is
    assert codes(advisories(cheap, recent_prices={LAPTOP_USD: in_eur[PriceKey("8471309000", "EUR", "001")]})) == [
        ("price_outlier", 1)
    ]


def test_float_recent_prices_are_refused():
    with pytest.raises(TypeError):
        advisories(content(), recent_prices={LAPTOP_USD: [800.0, 850.0, 790.0]})  # type: ignore[list-item]


# ---- order, serialisation, fingerprint ----------------------------------------------------


def test_advisories_come_head_first_then_by_goods_item_in_a_fixed_order():
    # Given head and item problems on two items
    c = content(item(decl_total="1"), item(first_qty=None, decl_total="2"), gross_wt="1", net_wt="2")
    assert codes(advisories(c)) == [
        ("net_over_gross", None),
        ("total_mismatch", 1),
        ("legal_qty_missing", 2),
        ("total_mismatch", 2),
    ]


def test_advisories_serialise_to_json():
    found = advisories(content(gross_wt="1", net_wt="2"))
    body = [a.as_json() for a in found]
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body


def test_fingerprint_is_the_same_for_the_same_prompts():
    # Given the same problems written with other decimal text
    first = advisories(content(gross_wt="1000", net_wt="1000.5"))
    second = advisories(content(gross_wt="1000.000", net_wt="1000.50"))
    # Then the fingerprints agree, whatever the wording or order
    assert fingerprint(first) == fingerprint(second)
    reworded = [replace(a, message_zh="另一种说法", message_en="other words") for a in first]
    assert fingerprint(reworded) == fingerprint(first)
    both = advisories(content(item(decl_total="1"), gross_wt="1", net_wt="2"))
    assert fingerprint(list(reversed(both))) == fingerprint(both)


def test_fingerprint_of_a_price_outlier_holds_while_the_history_behind_its_median_moves():
    # Given a confirmed price of 2500 against a median of 800 from 3 prices
    body = content(item(qty="1", first_qty="1", decl_price="2500", decl_total="2500"))
    confirmed = fingerprint(advisories(body, recent_prices=RECENT))
    # When another laptop is declared at 820 (median 810, 4 samples): the same prompt, the same fingerprint
    moved = advisories(body, recent_prices={LAPTOP_USD: [*RECENT[LAPTOP_USD], D("820")]})
    assert moved[0].details["median"] == "810" and fingerprint(moved) == confirmed
    # But another price is another prompt
    other = content(item(qty="1", first_qty="1", decl_price="2600", decl_total="2600"))
    assert fingerprint(advisories(other, recent_prices=RECENT)) != confirmed


def test_fingerprint_changes_when_the_prompts_change():
    base = advisories(content(gross_wt="1000", net_wt="1000.5"))
    other_value = advisories(content(gross_wt="1000", net_wt="1000.6"))
    more = advisories(content(item(decl_total="1"), gross_wt="1000", net_wt="1000.5"))
    digests = {fingerprint(base), fingerprint(other_value), fingerprint(more), fingerprint([])}
    assert len(digests) == 4
    assert len(fingerprint(base)) == 64
