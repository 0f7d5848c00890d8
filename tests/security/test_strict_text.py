"""Strict text at import (issue #24, item 5): control, bidi and zero-width characters, implausible
dates and exponent decimals are refused when a declaration or a config arrives (JSON, DecMessage
XML, our workbook, an edit), each beside its field in both languages; what was stored before the
rules still reads back.

Before: a NUL in g_name or bill_no was refused only at declare time (422); RTL and zero-width
characters were taken in bill numbers and config names; ie_date 0001-01-01 and 9999-12-31 were
declared; qty "1e5" was stored as 1E+5."""

from __future__ import annotations

import pytest

from chalicelib.domain.declaration import DeclarationContent, parse_content
from tests.factories import make_config_body, make_declaration_body
from tests.unit._readers_helpers import GOODS_ROW, HEAD_ROW, HEAD_TAGS, dec_message, template_workbook, xml_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def goods(**overrides):
    return [{**make_declaration_body()["goods"][0], **overrides}]


def refusals(body) -> dict[str, tuple[str, str]]:
    content, errors = parse_content(body)
    assert content is None, "accepted"
    return {e.field: (e.message_zh, e.message_en) for e in errors}


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"goods": goods(g_name="便携式\x00自动数据处理设备")}, "goods[0].g_name"),
        ({"bill_no": "999\x0012345670"}, "bill_no"),
        ({"bill_no": "999\u202e07654321"}, "bill_no"),  # reads as another number
        ({"bill_no": "99912345670\u200b"}, "bill_no"),  # equal-looking, not equal
        ({"goods": goods(g_model="笔记本电脑\u2066|14英寸\u2069")}, "goods[0].g_model"),
        ({"agent": {**make_declaration_body()["agent"], "name": "中国大恒\u200d(集团)有限公司"}}, "agent.name"),
        ({"note": "备注\x1b[31m"}, "note"),  # an escape sequence, even in a text area
    ],
)
def test_hidden_characters_are_refused_at_import_beside_their_field(overrides, field):
    found = refusals(make_declaration_body(**overrides))
    assert field in found, found
    zh, en = found[field]
    assert "不可见字符" in zh and "customs does not accept" in en and "U+" in en


def test_line_breaks_pass_in_the_forms_text_areas_and_nowhere_else():
    content, errors = parse_content(make_declaration_body(mark_no="N/M\r\nCTN 1-10", note="第一行\n第二行"))
    assert errors == [] and content.mark_no == "N/M\r\nCTN 1-10"
    assert "bill_no" in refusals(make_declaration_body(bill_no="999123\n45670"))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1970-01-01"])
def test_an_implausible_ie_date_is_refused_at_import(day):
    zh, en = refusals(make_declaration_body(ie_date=day))["ie_date"]
    assert "2000-01-01" in zh and "2099-12-31" in en


@pytest.mark.parametrize("field", ["desp_date", "cmpl_dschrg_dt"])
def test_the_other_dates_of_the_head_have_the_same_range(field):
    assert field in refusals(make_declaration_body(**{field: "9999-12-31"}))


@pytest.mark.parametrize("qty", ["1e5", "1E+5", "+100", ".5"])
def test_a_decimal_not_written_as_customs_writes_it_is_refused(qty):
    zh, en = refusals(make_declaration_body(goods=goods(qty=qty)))["goods[0].qty"]
    assert "科学计数法" in zh and "no exponent" in en


def test_decimals_are_stored_and_answered_without_an_exponent():
    # a record stored before the rule (its qty 1E+5) reads back, and is written plain
    stored = make_declaration_body(goods=goods(qty="1E+5", first_qty="1E+5"), bill_no="99912345670\u200b")
    content = DeclarationContent.model_validate(stored)  # no import context: a stored record
    assert content.as_json()["goods"][0]["qty"] == "100000"
    assert content.as_json()["gross_wt"] == make_declaration_body()["gross_wt"]  # places kept


def test_a_record_stored_before_the_rules_still_reads_back():
    stored = make_declaration_body(ie_date="9999-12-31", bill_no="999\u202e12345670")
    assert DeclarationContent.model_validate(stored).bill_no == "999\u202e12345670"


# ---- every way in ----------------------------------------------------------------------------------


def test_json_import_refuses_a_nul_in_the_bill_number(enabled_api):
    response = enabled_api.post("/declarations", {"declarations": [make_declaration_body(bill_no="999\x0012345670")]})
    assert response.status_code == 200 and response.json["accepted"] == []
    assert [e["field"] for e in response.json["rejected"][0]["errors"]] == ["bill_no"]


def test_xml_import_refuses_a_right_to_left_override_and_an_implausible_date(enabled_api):
    body = dec_message({**HEAD_TAGS, "BillNo": "999\u202e12345670", "IEDate": "99991231"})
    response = enabled_api.call("POST", "/declarations/import", raw=xml_file(body), content_type="application/xml")
    assert response.status_code == 200 and response.json["accepted"] == []
    assert {e["field"] for e in response.json["rejected"][0]["errors"]} == {"bill_no", "ie_date"}


def test_workbook_import_refuses_a_zero_width_space_in_a_goods_name(enabled_api):
    book = template_workbook([HEAD_ROW], [{**GOODS_ROW, "g_name": "便携式\u200b自动数据处理设备"}])
    response = enabled_api.call("POST", "/declarations/import", raw=book, content_type=XLSX)
    assert response.status_code == 200 and response.json["accepted"] == []
    assert [e["field"] for e in response.json["rejected"][0]["errors"]] == ["goods[0].g_name"]


def test_an_edit_refuses_hidden_characters_too(enabled_api):
    seq_no = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"][0]
    body = {**enabled_api.get(f"/declarations/{seq_no}").json, "bill_no": "999\u200f12345670"}
    body = {k: v for k, v in body.items() if k in DeclarationContent.model_fields}
    response = enabled_api.put(f"/declarations/{seq_no}", body)
    assert response.status_code == 400 and response.json["details"][0]["field"] == "bill_no"


@pytest.mark.parametrize("name", ["进口\u202e置配", "进口\u200b预配置", "进口\x00"])
def test_a_config_name_with_hidden_characters_is_refused(enabled_api, name):
    response = enabled_api.post("/configs", make_config_body(name=name))
    assert response.status_code == 400
    assert response.json["details"][0]["field"] == "name"
    assert "不可见字符" in response.json["details"][0]["message_zh"]
