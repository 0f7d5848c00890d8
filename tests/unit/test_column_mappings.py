"""Column mappings: a customer's goods list in its own layout, read through a mapping saved once per
enterprise (checked against the field table; legal-person card writes, both cards read)."""

from __future__ import annotations

import copy
import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.column_mapping import parse_mapping
from chalicelib.domain.declaration import parse_content
from chalicelib.domain.errors import DomainError
from chalicelib.formats.records import XLSX
from chalicelib.services import column_mappings as service
from chalicelib.services.import_declarations import import_declarations, records_from_file
from scripts.make_example_workbook import reproducible_bytes
from scripts.make_goods_list_example import build
from tests.factories import ENT_A, ENT_B, FixedClock, make_identity
from tests.fakes import FakeColumnMappingRepository, FakeDeclarationRepository, FakeSeqNoAllocator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LIST = json.loads((EXAMPLES / "goods_list.json").read_text(encoding="utf-8"))
HEADER, ROWS = LIST["header"], LIST["rows"]
# the mapping of examples/goods_list.xlsx: header text ("Part  No.": spaces are not compared, the text
# is) and letters ("E", "i"); defaults for the head and for every goods item
MAPPING: dict[str, Any] = json.loads((EXAMPLES / "column_mapping.json").read_text(encoding="utf-8"))


def goods_list(rows: list[list[Any]] | None = None, header: list[str] | None = None) -> bytes:
    workbook = build(LIST | {"rows": ROWS if rows is None else rows, "header": header or HEADER})
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def mapping(**changes: Any):
    content, problems = parse_mapping(copy.deepcopy(MAPPING) | changes)
    assert problems == []
    assert content is not None
    return content


def test_the_example_goods_list_is_generated_from_its_json():
    assert reproducible_bytes(build(LIST)) == (EXAMPLES / "goods_list.xlsx").read_bytes(), (
        "run scripts/make_goods_list_example.py"
    )


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
    assert first[0].bill_no == "COSU6301458820" and second[0].bill_no == "COSU6301458821"
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
