"""The Single Window's 货物申报导入模板: read beside our workbook, told apart by its sheets, every
refused cell named by sheet, row and column in both languages."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from chalicelib.domain.declaration import parse_content
from chalicelib.domain.declaration_fields import FIELDS
from chalicelib.domain.errors import DomainError
from chalicelib.formats import single_window_template as swt
from chalicelib.formats.dec_message_writer import build_dec_message
from chalicelib.formats.records import XLSX
from chalicelib.services.import_declarations import import_declarations, records_from_file
from scripts.make_single_window_template import (
    GOODS_HEADER,
    HEAD_GRID,
    OTHER_SHEETS,
    Unplaced,
    build,
    reproducible_bytes,
)
from smartdecl_cli.importing import workbook_parts
from tests.factories import ENT_B, FixedClock, less_fields, make_full_declaration_body, make_identity
from tests.fakes import FakeDeclarationRepository, FakeSeqNoAllocator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SOURCE = json.loads((EXAMPLES / "single_window_template.json").read_text(encoding="utf-8"))["declaration"]
MAIN = swt.MAIN_SHEET


def template(declaration: dict[str, Any] | None = None, change: Callable[[Workbook], None] | None = None) -> bytes:
    if declaration is None and change is None:
        return _example_template()
    workbook = build(copy.deepcopy(SOURCE) if declaration is None else declaration)
    if change is not None:
        change(workbook)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


@cache
def _example_template() -> bytes:
    return template(copy.deepcopy(SOURCE))  # the example as a broker fills it: built and saved once


def read_one(data: bytes):
    [record] = records_from_file(XLSX, data, 500)
    return record


def messages(record) -> list[str]:
    return [f"{e.message_zh} | {e.message_en}" for e in record.read_errors]


# ---- the fixture ---------------------------------------------------------------------------------


def test_the_example_template_is_generated_from_its_json():
    assert reproducible_bytes(build(SOURCE)) == (EXAMPLES / "single_window_template.xlsx").read_bytes(), (
        "run scripts/make_single_window_template.py"
    )


def test_the_example_template_reads_as_its_json_declaration():
    record = read_one((EXAMPLES / "single_window_template.xlsx").read_bytes())
    assert record.read_errors == [] and record.source == swt.SOURCE
    content, errs = parse_content(record.raw)
    assert errs == []
    assert content == parse_content(SOURCE)[0]
    # the 4.x lists the template's other sheets carry came through
    assert [c.container_id for c in content.containers] == ["MSCU4412853", "TGHU8831207"]
    assert content.goods[0].licences[0].licence_no == "2024011101234567"
    assert content.licence_documents[0].docu_code == "A" and content.requested_certificates[0].copies == 1
    # and the inspection organs (检验检疫受理机关, 领证机关, 口岸检验检疫机构: row 15, columns B, D, F)
    assert (content.org_code, content.vsa_org_code, content.insp_org_code) == ("2248", "2248", "2248")


def test_every_label_of_the_template_has_its_field_in_the_field_table():
    # a label the table lacks would be refused whenever a broker fills it
    lists = [("", label) for row in HEAD_GRID for label in row] + [("goods", label) for label in GOODS_HEADER]
    lists += [(name or "", label) for _, _, name, header in OTHER_SHEETS if name for label in header]
    keys = {swt.label_key(k) for k in (swt.LICENCE_ITEM_LABEL, swt.LICENCE_ORDER_LABEL)}
    unknown = [(name, label) for name, label in lists if swt.label_key(label) not in {*swt.labels(name), *keys}]
    assert unknown == []


# The 4.x fields the template has no cell for: an import's overseas consignee, two price statements,
# three flags, two inspection names and the other packs; the documents (EdocRealation) neither.
NO_TEMPLATE_CELL = {spec.path for spec in FIELDS if spec.sw_label is None}


def test_the_full_declaration_through_the_template_gives_the_dec_message_of_every_field_it_has():
    # Given every field filled, less those the template has no cell for
    carried = less_fields(make_full_declaration_body(), NO_TEMPLATE_CELL)
    assert carried["goods"][0]["licences"][0]["vins"] and carried["org_code"]  # the newest are carried
    # When a broker fills the Single Window's template with it and it is read
    record = read_one(template(carried))
    assert record.read_errors == []
    # Then the DecMessage written is the one of the declaration itself
    signed = datetime(2024, 3, 20, 9, 30)
    [read, given] = (parse_content(raw) for raw in (record.raw, carried))
    assert read[1] == [] and given[1] == []
    assert build_dec_message(read[0], sign_time=signed) == build_dec_message(given[0], sign_time=signed)


def test_the_4x_fields_without_a_template_cell_are_the_known_few():
    newer = {spec.path for spec in FIELDS if spec.since == "4.x" and spec.sw_label is None}
    assert newer == {
        "price_statements.formula_pricing", "price_statements.provisional_price", "check_flow", "tax_aamin_mark",
        "no_other_pack", "overseas_consignee.code", "overseas_consignee.name_en", "goods[].ciq_name",
        "goods[].mnufctr_reg_name", "other_packs[].pack_qty", "other_packs[].pack_type",
    }  # fmt: skip


def test_a_value_with_no_cell_in_the_template_stops_the_generator():
    with pytest.raises(Unplaced, match="two_step"):
        build(SOURCE | {"two_step": True})


# ---- told apart by its sheets --------------------------------------------------------------------


def test_the_template_and_our_workbook_are_each_read_by_their_reader_without_a_flag():
    ours = records_from_file(XLSX, (EXAMPLES / "declarations.xlsx").read_bytes(), 500)
    theirs = records_from_file("application/octet-stream", template(), 500)
    assert [r.source for r in ours] == ["报关单表头 row 3", "报关单表头 row 4", "报关单表头 row 5"]
    assert [r.source for r in theirs] == [swt.SOURCE]


def test_the_cli_sends_a_template_as_it_is(tmp_path):
    data = (EXAMPLES / "single_window_template.xlsx").read_bytes()
    assert workbook_parts(tmp_path / "t.xlsx", data, 500) == [(0, data)]


def test_an_imported_template_is_temp_saved_for_the_declaring_unit():
    # Given the broker of the example (the declaring unit, 申报单位)
    broker = make_identity(ENT_B)
    repo = FakeDeclarationRepository()
    result = import_declarations(broker, [read_one(template())], False, repo, FakeSeqNoAllocator(), FixedClock())
    assert result.rejected == []
    stored = repo.items[result.accepted[0]].content
    assert stored.agent.code == ENT_B["code"] and len(stored.goods) == 3


# ---- refused cells, named ------------------------------------------------------------------------


def test_a_bad_cell_is_refused_naming_sheet_row_and_column_in_both_languages():
    def spoil(workbook: Workbook) -> None:
        workbook[MAIN]["B12"] = "十八"  # 件数
        workbook[MAIN]["G24"] = "3900 kg"  # goods item 2's 成交数量

    record = read_one(template(change=spoil))
    assert messages(record) == [
        "工作表“基本信息&商品信息”第12行B列(B12) 件数(pack_no)：“十八”不是整数 | "
        "sheet 基本信息&商品信息, row 12, column B (B12): pack_no '十八' is not a whole number",
        "工作表“基本信息&商品信息”第24行G列(G24) 成交数量(goods[1].qty)：“3900 kg”不是数值 | "
        "sheet 基本信息&商品信息, row 24, column G (G24): goods[1].qty '3900 kg' is not a number",
    ]


def test_a_validation_error_names_the_cell_the_value_came_from():
    broker = make_identity(ENT_B)

    def spoil(workbook: Workbook) -> None:
        workbook[MAIN]["C25"] = "85413"  # goods item 3's 商品编号

    record = read_one(template(change=spoil))
    result = import_declarations(
        broker, [record], False, FakeDeclarationRepository(), FakeSeqNoAllocator(), FixedClock()
    )
    [error] = result.rejected[0]["errors"]
    assert error["field"] == "goods[2].code_ts"
    assert error["message_zh"].startswith("工作表“基本信息&商品信息”第25行C列(C25)：商品编号")
    assert error["message_en"].startswith("sheet 基本信息&商品信息, row 25, column C (C25): goods[2].code_ts")


def test_an_inspection_organ_s_former_six_digit_code_is_refused_naming_its_cell():
    # Given 领证机关 holding a former inspection bureau's code, When imported, Then its cell is named
    def fill(workbook: Workbook) -> None:
        workbook[MAIN]["D15"] = "310000"  # 领证机关

    broker = make_identity(ENT_B)
    record = read_one(template(change=fill))
    result = import_declarations(
        broker, [record], False, FakeDeclarationRepository(), FakeSeqNoAllocator(), FixedClock()
    )
    [error] = result.rejected[0]["errors"]
    assert error["field"] == "vsa_org_code"
    assert error["message_zh"].startswith("工作表“基本信息&商品信息”第15行D列(D15)：领证机关")


def test_an_unknown_goods_label_with_a_value_is_refused():
    def fill(workbook: Workbook) -> None:
        workbook[MAIN]["AP22"] = "自定义"
        workbook[MAIN]["AP23"] = "x"

    [message] = messages(read_one(template(change=fill)))
    assert "第23行AP列(AP23)" in message and "（栏目“自定义”）无法识别" in message


VIN = {
    "vin_no": "1",
    "bill_lad_date": "2024-06-02",
    "quality_qgp": "24个月",
    "motor_no": "M-TR2024-0611",
    "vin_code": "LSVAU2180N2123456",
    "chassis_no": "CH2123456",
    "invoice_num": "1",
    "prod_cnnm": "牵引车",
    "prod_ennm": "TRACTOR UNIT",
    "model_en": "TR-40",
    "price_per_unit": "56000",
    "invoice_no": "RT-INV-0611",
}


def with_vins(*vins: dict[str, Any]) -> dict[str, Any]:
    declaration = copy.deepcopy(SOURCE)
    declaration["goods"][0]["licences"][0]["vins"] = [dict(v) for v in vins]
    return declaration


def test_the_vehicles_a_licence_covers_are_read_from_the_vin_sheet():
    # Given two vehicles under the first goods item's licence, on the 许可证VIN信息 sheet
    declaration = with_vins(VIN, VIN | {"vin_no": "2", "vin_code": "LSVAU2180N2123457"})
    # When the template is read, Then they are that licence's, every value as written
    record = read_one(template(declaration))
    assert record.read_errors == []
    content, errs = parse_content(record.raw)
    assert errs == [] and content == parse_content(declaration)[0]
    assert [v.vin_code for v in content.goods[0].licences[0].vins] == ["LSVAU2180N2123456", "LSVAU2180N2123457"]
    assert record.cells["goods[0].licences[0].vins[1].vin_code"][0].startswith("工作表“许可证VIN信息”第4行G列")


def test_a_vin_row_naming_no_licence_and_a_bad_vin_cell_are_refused_naming_their_cells():
    def spoil(workbook: Workbook) -> None:
        workbook[swt.SHEET_VIN]["D3"] = "2024年6月2日"  # 提/运单日期
        workbook[swt.SHEET_VIN]["B4"] = "5"  # 许可证信息序号: the goods item has one licence

    two = with_vins(VIN, VIN | {"vin_code": "LSVAU2180N2123457"})
    [bad, nowhere] = messages(read_one(template(two, spoil)))
    assert bad.startswith("工作表“许可证VIN信息”第3行D列(D3) 提/运单日期(goods[0].licences[0].vins[0].bill_lad_date)")
    assert nowhere.startswith(
        "工作表“许可证VIN信息”第4行B列(B4)：“5”在“许可证信息”中没有该商品序号和许可证信息序号的许可证"
    )
    assert "matches no licence of 许可证信息" in nowhere


def test_an_empty_unknown_column_is_ignored():
    def add(workbook: Workbook) -> None:
        workbook[MAIN]["AP22"] = "企业内部编号"

    assert read_one(template(change=add)).read_errors == []


def test_a_licence_row_of_an_unknown_goods_item_is_refused_naming_its_cell():
    def spoil(workbook: Workbook) -> None:
        workbook[swt.SHEET_LICENCES]["A3"] = "7"

    [message] = messages(read_one(template(change=spoil)))
    assert message.startswith("工作表“许可证信息”第3行A列(A3)")
    assert "matches no goods item" in message


def test_an_export_names_its_overseas_consignee_in_the_consignor_cells():
    export = copy.deepcopy(SOURCE) | {"ie_flag": "E", "trade_mode": "0110"}
    export.pop("overseas_consignor")
    export["overseas_consignee"] = {"code": "AEOGB12345", "name_en": "THAMES DRIVES LTD"}
    content, errs = parse_content(read_one(template(export)).raw)
    assert errs == []
    assert content.overseas_consignee.code == "AEOGB12345" and content.overseas_consignor is None

    def add_address(workbook: Workbook) -> None:
        workbook[MAIN]["F4"] = "1 Dock Road, London"

    [message] = messages(read_one(template(export, add_address)))
    assert "(F4)" in message and "出口报关单的境外收货人只申报代码和外文名称" in message


def test_number_and_date_cells_are_read_as_the_field_wants():
    def typed(workbook: Workbook) -> None:
        from datetime import datetime

        workbook[MAIN]["H23"] = 1  # 成交计量单位 typed as a number: "001"
        workbook[MAIN]["B3"] = datetime(2024, 6, 20)  # 进/出口日期 as a date cell
        workbook[MAIN]["B12"] = 18.0

    record = read_one(template(change=typed))
    assert record.read_errors == []
    assert record.raw["goods"][0]["unit"] == "001" and record.raw["ie_date"] == "2024-06-20"
    assert record.raw["pack_no"] == 18


# ---- unreadable, and the work limits ---------------------------------------------------------------


def refused(data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        records_from_file(XLSX, data, 500)
    return caught.value


def test_a_main_sheet_without_its_goods_header_is_unreadable():
    def drop(workbook: Workbook) -> None:
        workbook[MAIN]["A22"] = None

    error = refused(template(change=drop))
    assert error.code == "unreadable_file" and "项号" in error.message_zh


def test_a_repeated_goods_label_is_unreadable_naming_the_cell():
    def repeat(workbook: Workbook) -> None:
        workbook[MAIN]["AP22"] = "商品名称"

    error = refused(template(change=repeat))
    assert "第22行AP列(AP22)" in error.message_zh and "appears twice" in error.message_en


def test_a_sheet_declaring_more_rows_than_a_declaration_needs_is_refused_before_reading():
    def grow(workbook: Workbook) -> None:
        workbook[swt.SHEET_CONTAINERS]["A9000"] = "x"

    error = refused(template(change=grow))
    assert "集装箱信息" in error.message_zh and "5000" in error.message_en


def test_an_over_long_cell_is_refused_naming_it():
    def long(workbook: Workbook) -> None:
        workbook[MAIN]["F23"] = "规格" * 2100

    [message] = messages(read_one(template(change=long)))
    assert message.startswith("工作表“基本信息&商品信息”第23行F列(F23)") and "longer than 4000" in message
