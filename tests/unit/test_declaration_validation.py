"""Validation of one declaration on every way in: forms, check characters, code tables, precision."""

from __future__ import annotations

import pytest

from chalicelib.domain.declaration import parse_content
from tests.factories import make_declaration_body, shared_example


def errors_by_field(body):
    content, errors = parse_content(body)
    assert content is None, "expected the record to be refused"
    return {e.field: e for e in errors}


def test_shared_example_declaration_is_valid():
    content, errors = parse_content(shared_example("declaration.json"))
    assert errors == []
    assert content.seq_no == "I20240001031824871"
    assert str(content.gross_wt) == "1250.5"


def test_every_error_names_field_and_reason_in_both_languages():
    body = make_declaration_body(pack_no=0)
    err = errors_by_field(body)["pack_no"]
    assert "件数" in err.message_zh and "正数" in err.message_zh
    assert "pack_no" in err.message_en and "positive" in err.message_en


def test_uscc_with_wrong_check_character_is_refused():
    body = make_declaration_body(agent={"code": "1108919038", "uscc": "91110000600037341X", "name": "x"})
    err = errors_by_field(body)["agent.uscc"]
    assert "校验码" in err.message_zh and "check character" in err.message_en


@pytest.mark.parametrize("code", ["110891903", "11089190381", "11089-9038"])
def test_enterprise_code_must_have_ten_characters(code):
    body = make_declaration_body(consignee={"code": code, "name": "x"})
    assert "consignee.code" in errors_by_field(body)


def test_party_needs_code_or_uscc():
    body = make_declaration_body(owner={"name": "只有名称"})
    assert "owner" in errors_by_field(body)


@pytest.mark.parametrize("field,value", [("declare_customs", "101"), ("ie_port", "01A1")])
def test_customs_codes_have_four_digits(field, value):
    assert field in errors_by_field(make_declaration_body(**{field: value}))


def test_hs_code_must_have_ten_digits():
    body = make_declaration_body()
    body["goods"][0]["code_ts"] = "84713000"
    assert "goods[0].code_ts" in errors_by_field(body)


@pytest.mark.parametrize(
    "field,value",
    [
        ("transport_mode", "Q"),
        ("trade_mode", "0111"),
        ("trans_mode", "8"),
        ("trade_country", "XYZ"),
        ("wrap_type", "77"),
    ],
)
def test_head_codes_must_be_in_their_code_table(field, value):
    err = errors_by_field(make_declaration_body(**{field: value}))[field]
    assert value in err.message_zh and "code" in err.message_en


def test_goods_unit_and_currency_must_be_in_code_tables():
    body = make_declaration_body()
    body["goods"][0].update(unit="999", currency="XXX")
    fields = errors_by_field(body)
    assert {"goods[0].unit", "goods[0].currency"} <= set(fields)


def test_older_numeric_currency_and_country_codes_are_stored_as_letter_codes():
    body = make_declaration_body(trade_country="502")
    body["goods"][0].update(currency="502", origin_country="142")
    content, errors = parse_content(body)
    assert errors == []
    assert (content.trade_country, content.goods[0].currency, content.goods[0].origin_country) == ("USA", "USD", "CHN")


def test_weights_keep_the_message_precision_of_five_places():
    assert parse_content(make_declaration_body(gross_wt="2.00000"))[1] == []
    assert "gross_wt" in errors_by_field(make_declaration_body(gross_wt="2.000001"))


@pytest.mark.parametrize("value", ["-1", "0", "abc", "NaN", 12.5])
def test_quantities_must_be_positive_decimal_strings(value):
    body = make_declaration_body()
    body["goods"][0]["qty"] = value
    assert "goods[0].qty" in errors_by_field(body)


def test_unit_price_has_at_most_four_places_and_total_two():
    body = make_declaration_body()
    body["goods"][0].update(decl_price="820.00001", decl_total="82000.001")
    assert {"goods[0].decl_price", "goods[0].decl_total"} <= set(errors_by_field(body))


def test_texts_respect_the_message_maximum_lengths():
    body = make_declaration_body(bill_no="B" * 51, note="备" * 501)
    body["goods"][0]["g_name"] = "名" * 256
    fields = errors_by_field(body)
    assert {"bill_no", "note", "goods[0].g_name"} <= set(fields)
    assert "50" in fields["bill_no"].message_zh


def test_unknown_fields_are_refused_not_ignored():
    body = make_declaration_body(colour="red")
    body["goods"][0]["weight"] = "1"
    assert {"colour", "goods[0].weight"} <= set(errors_by_field(body))


def test_goods_numbers_run_from_one_without_gaps():
    body = make_declaration_body()
    body["goods"][0]["g_no"] = 2
    assert "(record)" in errors_by_field(body) or any("g_no" in e for e in errors_by_field(body))


def test_seq_no_must_match_the_import_export_flag():
    errs = parse_content(make_declaration_body(seq_no="E20240001031824871"))[1]
    assert any("ie_flag" in e.message_en for e in errs)


def test_a_declaration_needs_at_least_one_goods_item():
    assert "goods" in errors_by_field(make_declaration_body(goods=[]))


def test_non_object_record_is_refused_with_a_reason():
    content, errors = parse_content(["not", "an", "object"])
    assert content is None and errors[0].field == "(record)"
