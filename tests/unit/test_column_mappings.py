"""Column mappings: a customer's goods list in its own layout, read through a mapping saved once per
enterprise (checked against the field table; legal-person card writes, both cards read)."""

from __future__ import annotations

import copy
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook

from chalicelib.domain.column_mapping import parse_mapping
from chalicelib.domain.declaration import parse_content
from chalicelib.domain.errors import DomainError
from chalicelib.formats.records import XLSX
from chalicelib.services import column_mappings as service
from chalicelib.services.import_declarations import import_declarations, records_from_file
from tests.factories import ENT_A, ENT_B, FixedClock, make_identity
from tests.fakes import FakeColumnMappingRepository, FakeDeclarationRepository, FakeSeqNoAllocator

HEADER = ["Bill", "Part No.", "HS CODE", "Description", "Spec", "Qty", "Unit", "Unit Price", "Amount", "Currency"]
ROWS = [
    ["MEDUHM338812", "RT-GB450", "8431390000", "输送机用托辊组件", "4|3|带式输送机用|不适用|莱茵塔尔牌|RT-GB450|无|无",
     3900, "035", 12.8, 49920, "EUR"],
    ["MEDUHM338812", "TT162N16", "8541300000", "晶闸管", "4|3|晶闸管|否|英飞凌牌(INFINEON)|TT162N16KOF|无|无|无",
     40, "007", 86.5, 3460, "EUR"],
    ["MEDUHM340077", "RT-LH2000", "8428109000", "货物升降机", "4|3|仓库货物升降用|莱茵塔尔牌|LH-2000|无|无",
     2, "001", 48500, 97000, "EUR"],
]  # fmt: skip
MAPPING: dict[str, Any] = {
    "name": "莱茵塔尔发票",
    "sheet": "Invoice",
    "header_row": 3,
    "columns": [
        {"field": "bill_no", "header": "Bill"},
        {"field": "goods[].exg_no", "header": "Part  No."},  # spaces are not compared; the text is
        {"field": "goods[].code_ts", "header": "HS CODE"},
        {"field": "goods[].g_name", "header": "Description"},
        {"field": "goods[].g_model", "column": "E"},
        {"field": "goods[].qty", "header": "Qty"},
        {"field": "goods[].unit", "header": "Unit"},
        {"field": "goods[].decl_price", "header": "Unit Price"},
        {"field": "goods[].decl_total", "column": "i"},
        {"field": "goods[].currency", "header": "Currency"},
    ],
    "defaults": {
        "ie_flag": "I",
        "declare_customs": "2248",
        "ie_port": "2248",
        "ie_date": "2024-06-20",
        "consignee.uscc": ENT_A["uscc"],
        "consignee.name": ENT_A["name"],
        "agent.uscc": ENT_B["uscc"],
        "agent.name": ENT_B["name"],
        "transport_mode": "2",
        "traf_name": "MSC AURORA",
        "trade_mode": "0110",
        "cut_mode": "101",
        "trans_mode": "1",
        "trade_country": "DEU",
        "depart_country": "DEU",
        "pack_no": 18,
        "wrap_type": "22",
        "gross_wt": "4260.5",
        "net_wt": "3985",
        "goods[].origin_country": "DEU",
        "goods[].destination_country": "CHN",
        "goods[].duty_mode": "1",
    },
}


def goods_list(rows: list[list[Any]] | None = None, header: list[str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Invoice"
    sheet.append(["COMMERCIAL INVOICE No. RT-2024-0611"])
    sheet.append([])
    sheet.append(header or HEADER)
    for row in ROWS if rows is None else rows:
        sheet.append(row)
    workbook.create_sheet("Packing list").append(["not read"])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def mapping(**changes: Any):
    content, problems = parse_mapping(copy.deepcopy(MAPPING) | changes)
    assert problems == []
    assert content is not None
    return content


# ---- the mapping, checked against the field table --------------------------------------------------


@pytest.mark.parametrize(
    "change,field",
    [
        ({"columns": [{"field": "goods[].hs", "column": "C"}]}, "columns[0].field"),
        ({"columns": [{"field": "goods[].code_ts", "column": "C", "header": "HS"}]}, "columns[0]"),
        ({"columns": [{"field": "goods[].code_ts", "column": "C1"}]}, "columns[0].column"),
        ({"columns": [{"field": "goods[].code_ts", "column": "C"}, {"field": "goods[].g_name", "column": "c"}]},
         "columns[1]"),
        ({"columns": [{"field": "goods[].code_ts", "column": "C"}, {"field": "goods[].code_ts", "column": "D"}]},
         "columns[1]"),
        ({"columns": [{"field": "bill_no", "column": "A"}]}, "columns"),
        ({"columns": [{"field": "containers[].container_id", "column": "A"}]}, "columns[0].field"),
        ({"defaults": {"goods[].licences[].licence_no": "x"}}, "defaults.goods[].licences[].licence_no"),
        ({"header_row": 0}, "header_row"),
        ({"name": " "}, "name"),
        ({"colums": []}, "colums"),
    ],
)  # fmt: skip
def test_a_mapping_the_field_table_does_not_allow_is_refused_naming_what(change, field):
    content, problems = parse_mapping(copy.deepcopy(MAPPING) | change)
    assert content is None
    assert field in [p.field for p in problems], problems
    assert all(p.message_zh and p.message_en for p in problems)


# ---- a goods list read through it ------------------------------------------------------------------


def test_a_goods_list_becomes_one_declaration_per_bill_with_the_mappings_defaults():
    records = records_from_file(XLSX, goods_list(), 500, mapping())
    assert [r.source for r in records] == ["Invoice row 4", "Invoice row 6"]
    first, second = (parse_content(r.raw) for r in records)
    assert first[1] == [] and second[1] == []
    assert first[0].bill_no == "MEDUHM338812" and second[0].bill_no == "MEDUHM340077"
    assert [(g.g_no, g.exg_no, g.code_ts) for g in first[0].goods] == [
        (1, "RT-GB450", "8431390000"),
        (2, "TT162N16", "8541300000"),
    ]
    item = second[0].goods[0]
    assert (item.destination_country, item.duty_mode, str(item.decl_total)) == ("CHN", "1", "97000")


def test_a_column_value_wins_over_the_default():
    rows = [ROWS[0][:-1] + ["USD"]]
    [record] = records_from_file(
        XLSX, goods_list(rows), 500, mapping(defaults=MAPPING["defaults"] | {"goods[].currency": "EUR"})
    )
    assert record.raw["goods"][0]["currency"] == "USD"


def test_a_bad_cell_of_a_goods_list_is_named_by_sheet_row_and_column():
    rows = copy.deepcopy(ROWS)
    rows[1][5] = "forty"
    first, _ = records_from_file(XLSX, goods_list(rows), 500, mapping())
    [error] = first.read_errors
    assert error.field == "goods[1].qty"
    assert error.message_zh.startswith("工作表“Invoice”第5行F列(F5)")
    assert error.message_en.startswith("sheet Invoice, row 5, column F (F5)")


def test_a_header_the_list_lacks_makes_it_unreadable_naming_the_mapping():
    with pytest.raises(DomainError) as caught:
        records_from_file(XLSX, goods_list(header=[h.replace("HS CODE", "HS") for h in HEADER]), 500, mapping())
    assert caught.value.code == "unreadable_file"
    assert "没有表头“HS CODE”（列映射“莱茵塔尔发票”）" in caught.value.message_zh


def test_a_mapping_names_a_sheet_the_workbook_lacks():
    with pytest.raises(DomainError) as caught:
        records_from_file(XLSX, goods_list(), 500, mapping(sheet="发票"))
    assert "发票" in caught.value.message_zh


def test_a_mapping_reads_an_xlsx_only():
    with pytest.raises(DomainError) as caught:
        records_from_file("application/xml", b"<DecMessage/>", 500, mapping())
    assert caught.value.code == "unsupported_media_type"


def test_a_goods_list_through_a_mapping_is_imported_for_the_broker():
    repo = FakeDeclarationRepository()
    records = records_from_file(XLSX, goods_list(), 500, mapping())
    result = import_declarations(make_identity(ENT_B), records, False, repo, FakeSeqNoAllocator(), FixedClock())
    assert result.rejected == [] and len(result.accepted) == 2


# ---- saved once per enterprise ---------------------------------------------------------------------

LEGAL_A, OPERATOR_A = make_identity(ENT_A), make_identity(ENT_A, role="operator", card_no="2110050002046")


def test_the_legal_card_saves_changes_and_deletes_a_mapping_both_cards_read_it():
    repo, clock = FakeColumnMappingRepository(), FixedClock()
    saved = service.create_mapping(LEGAL_A, MAPPING, repo, clock)
    assert service.get_mapping(OPERATOR_A, saved.mapping_id, repo).content.name == "莱茵塔尔发票"
    changed = service.update_mapping(LEGAL_A, saved.mapping_id, MAPPING | {"header_row": 1}, repo, clock)
    assert changed.version == 2 and [m.content.header_row for m in service.list_mappings(OPERATOR_A, repo)] == [1]
    service.delete_mapping(LEGAL_A, saved.mapping_id, repo)
    assert service.list_mappings(LEGAL_A, repo) == []


@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_an_operator_card_may_not_write_a_mapping(action):
    repo = FakeColumnMappingRepository()
    saved = service.create_mapping(LEGAL_A, MAPPING, repo, FixedClock())
    calls = {
        "create": lambda: service.create_mapping(OPERATOR_A, MAPPING, repo, FixedClock()),
        "update": lambda: service.update_mapping(OPERATOR_A, saved.mapping_id, MAPPING, repo, FixedClock()),
        "delete": lambda: service.delete_mapping(OPERATOR_A, saved.mapping_id, repo),
    }
    with pytest.raises(DomainError) as caught:
        calls[action]()
    assert caught.value.code == "legal_card_required" and "列映射" in caught.value.message_zh


def test_a_name_is_held_once_per_enterprise_and_another_enterprise_sees_nothing():
    repo = FakeColumnMappingRepository()
    saved = service.create_mapping(LEGAL_A, MAPPING, repo, FixedClock())
    with pytest.raises(DomainError) as caught:
        service.create_mapping(LEGAL_A, MAPPING, repo, FixedClock())
    assert caught.value.code == "state_conflict" and "莱茵塔尔发票" in caught.value.message_zh
    other = make_identity(ENT_B)
    service.create_mapping(other, MAPPING, repo, FixedClock())  # the same name in another enterprise
    with pytest.raises(DomainError) as missing:
        service.get_mapping(other, saved.mapping_id, repo)
    assert missing.value.code == "not_found"


def test_an_invalid_mapping_is_refused_with_every_field_error():
    with pytest.raises(DomainError) as caught:
        service.create_mapping(
            LEGAL_A,
            {"name": "x", "columns": [{"field": "nope", "column": "A"}]},
            FakeColumnMappingRepository(),
            FixedClock(),
        )
    assert caught.value.code == "invalid_request"
    assert [d["field"] for d in caught.value.details] == ["columns[0].field"]
