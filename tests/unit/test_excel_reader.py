"""Excel template reader: the documented template in, canonical declaration dicts out."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

import pytest

from chalicelib.domain.declaration import parse_content
from chalicelib.domain.errors import DomainError
from chalicelib.formats.excel_workbook import (
    SHEET_CONTAINERS,
    SHEET_DOCUMENTS,
    SHEET_GOODS,
    SHEET_HEAD,
    TEMPLATE,
    read_workbook,
)
from tests.unit._readers_helpers import (
    EXAMPLES,
    GOODS_ROW,
    HEAD_ROW,
    is_importer_side,
    sheet_rows,
    template_workbook,
    valid_content,
    workbook_bytes,
)


def refused(data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        read_workbook(data)
    assert caught.value.code == "unreadable_file"
    return caught.value


def read_single(head: dict | None = None, goods: dict | None = None):
    """The one record of a workbook with HEAD_ROW/GOODS_ROW updated by `head`/`goods`."""
    [record] = read_workbook(template_workbook([HEAD_ROW | (head or {})], [GOODS_ROW | (goods or {})]))
    return record


# ---- shipped example ----------------------------------------------------------------------


def test_shipped_example_workbook_validates_and_matches_the_json_example():
    # Given the shipped workbook, generated from examples/workbook.json
    records = read_workbook((EXAMPLES / "declarations.xlsx").read_bytes())
    body = json.loads((EXAMPLES / "workbook.json").read_text(encoding="utf-8"))
    # Then each head row is a valid declaration of the example importer, equal to its JSON twin
    assert [r.source for r in records] == ["报关单表头 row 3", "报关单表头 row 4", "报关单表头 row 5"]
    for record, twin in zip(records, body["declarations"], strict=True):
        content = valid_content(record)
        assert is_importer_side(content)
        assert content == parse_content(twin)[0]


def test_shipped_json_example_validates():
    # Given the JSON import body shipped for POST /declarations
    body = json.loads((EXAMPLES / "declarations.json").read_text(encoding="utf-8"))
    contents = [parse_content(item) for item in body["declarations"]]
    # Then all three validate: import and export, one self_pay, one with containers
    assert [problems for _, problems in contents] == [[], [], []]
    declarations = [content for content, _ in contents]
    assert {d.ie_flag for d in declarations} == {"I", "E"} and body["smart_mark"] is True
    assert any(d.self_pay for d in declarations) and any(d.containers for d in declarations)
    assert all(is_importer_side(d) for d in declarations)
    for d in declarations:
        for item in d.goods:
            assert item.decl_price * item.qty == item.decl_total


# ---- cells --------------------------------------------------------------------------------


def test_number_cells_in_code_columns_are_zero_padded_to_the_code_width():
    # Given codes typed as numbers (Excel drops their leading zeros)
    record = read_single(
        head={
            "trade_mode": 110,
            "declare_customs": 101,
            "ie_port": 101,
            "transport_mode": 5,
            "trans_mode": 1,
            "wrap_type": 6,
            "cut_mode": 101,
        },
        goods={"unit": 1, "code_ts": 901210000, "duty_mode": 1},
    )
    raw = record.raw
    # Then they come back at their width
    assert (raw["trade_mode"], raw["declare_customs"], raw["ie_port"]) == ("0110", "0101", "0101")
    assert (raw["transport_mode"], raw["trans_mode"], raw["wrap_type"], raw["cut_mode"]) == ("5", "1", "06", "101")
    assert (raw["goods"][0]["unit"], raw["goods"][0]["code_ts"]) == ("001", "0901210000")
    valid_content(record)


def test_text_cells_in_code_columns_stay_as_typed():
    # Given a trade mode typed as text without its leading zero
    record = read_single(head={"trade_mode": "110"})
    # Then it is not guessed at: validation names it
    assert record.raw["trade_mode"] == "110"
    assert [p.field for p in parse_content(record.raw)[1]] == ["trade_mode"]


@pytest.mark.parametrize(
    "cell, expected",
    [
        (1250.5, "1250.5"),
        (0.1, "0.1"),
        (3.0, "3"),
        (1180, "1180"),
        ("17600.0000", "17600"),
        ("1,250.50", "1250.5"),
        (1e-05, "0.00001"),
    ],
)
def test_decimal_cells_become_exact_strings(cell, expected):
    # Given a gross weight as float, int or text
    raw = read_single(head={"gross_wt": cell}).raw
    # Then no binary artefact nor exponent appears
    assert raw["gross_wt"] == expected


def test_float_price_times_quantity_keeps_its_decimal_digits():
    raw = read_single(goods={"decl_price": 0.7, "qty": 3, "decl_total": 2.1}).raw
    assert (raw["goods"][0]["decl_price"], raw["goods"][0]["decl_total"]) == ("0.7", "2.1")


@pytest.mark.parametrize(
    "cell", [date(2024, 3, 20), datetime(2024, 3, 20, 0, 0), "2024-03-20", "20240320", 20240320, "2024/3/20"]
)
def test_date_cells_and_date_texts_become_iso_dates(cell):
    assert read_single(head={"ie_date": cell}).raw["ie_date"] == "2024-03-20"


def test_an_impossible_date_is_a_read_error_naming_the_cell():
    # Given a date text that is no date
    record = read_single(head={"ie_date": "2024-02-30"})
    # Then the record carries a read error naming sheet, cell and field
    [problem] = record.read_errors
    column = [c.path for c in TEMPLATE[SHEET_HEAD]].index("ie_date") + 1
    assert problem.field == "ie_date"
    assert f"{SHEET_HEAD}{chr(64 + column)}3单元格" in problem.message_zh
    assert "ie_date '2024-02-30'" in problem.message_en


@pytest.mark.parametrize(
    "cell, expected",
    [
        (True, True),
        (False, False),
        ("TRUE", True),
        ("false", False),
        ("是", True),
        ("否", False),
        (1, True),
        (0, False),
        ("Y", True),
        ("n", False),
    ],
)
def test_boolean_cells_accept_the_usual_spellings(cell, expected):
    assert read_single(head={"self_pay": cell}).raw["self_pay"] is expected


def test_an_unknown_boolean_is_a_read_error():
    record = read_single(head={"two_step": "maybe"})
    assert [p.field for p in record.read_errors] == ["two_step"]


def test_numeric_currency_and_country_codes_become_letter_codes():
    raw = read_single(
        head={"trade_country": 502}, goods={"currency": 502, "origin_country": "110", "destination_country": 142}
    ).raw
    goods = raw["goods"][0]
    assert (raw["trade_country"], goods["currency"], goods["origin_country"], goods["destination_country"]) == (
        "USA",
        "USD",
        "HKG",
        "CHN",
    )


def test_uscc_typed_as_a_number_is_refused_because_digits_are_lost():
    record = read_single(head={"consignee.uscc": 911100006000373400})
    assert [p.field for p in record.read_errors] == ["consignee.uscc"]


def test_parties_and_fees_are_nested_and_empty_ones_omitted():
    # Given freight filled, insurance and owner empty
    raw = read_single(head={"freight.mark": 3, "freight.rate": 1500, "freight.currency": "USD"}).raw
    assert raw["freight"] == {"mark": "3", "rate": "1500", "currency": "USD"}
    assert "insurance" not in raw and "owner" not in raw
    assert raw["agent"]["uscc"] == "91110000600037341L"


# ---- rows and sheets ----------------------------------------------------------------------


def test_goods_containers_and_documents_attach_to_their_head_row_by_ref():
    # Given two declarations (ref as text and as number) with goods, containers and documents
    heads = [HEAD_ROW, HEAD_ROW | {"ref": 2, "ie_flag": "E", "trade_country": "HKG"}]
    goods = [
        GOODS_ROW,
        GOODS_ROW | {"ref": "2", "origin_country": "CHN", "destination_country": "HKG"},
        GOODS_ROW | {"ref": 2.0, "g_no": 2, "origin_country": "CHN", "destination_country": "HKG"},
    ]
    containers = sheet_rows(
        SHEET_CONTAINERS, [{"ref": "2", "container_id": "cslu1234567", "lcl_flag": 0, "container_wt": 3750.0}]
    )
    documents = sheet_rows(SHEET_DOCUMENTS, [{"ref": "1", "edoc_code": 1, "edoc_no": "INV-1"}])
    data = template_workbook(heads, goods, **{SHEET_CONTAINERS: containers, SHEET_DOCUMENTS: documents})
    # When read
    first, second = read_workbook(data)
    # Then each child row is under its declaration
    assert [g["g_no"] for g in first.raw["goods"]] == [1] and [g["g_no"] for g in second.raw["goods"]] == [1, 2]
    assert second.raw["containers"] == [{"container_id": "CSLU1234567", "lcl_flag": "0", "container_wt": "3750"}]
    assert first.raw["documents"] == [{"edoc_code": "00000001", "edoc_no": "INV-1"}]
    valid_content(first)
    valid_content(second)


def test_orphan_goods_row_becomes_its_own_rejected_record():
    # Given a goods row whose ref matches no head row
    data = template_workbook([HEAD_ROW], [GOODS_ROW, GOODS_ROW | {"ref": "9"}])
    # When read
    head, orphan = read_workbook(data)
    # Then the declaration is unaffected and the orphan carries a bilingual read error
    valid_content(head)
    assert orphan.source == "商品 row 4"
    [problem] = orphan.read_errors
    assert problem.field == "ref" and "“9”" in problem.message_zh and "'9'" in problem.message_en


def test_head_rows_without_ref_or_with_a_repeated_ref_get_read_errors():
    heads = [HEAD_ROW, HEAD_ROW, HEAD_ROW | {"ref": None}]
    first, second, third = read_workbook(template_workbook(heads, [GOODS_ROW]))
    assert [p.field for p in first.read_errors] == ["ref"] and [p.field for p in second.read_errors] == ["ref"]
    assert "重复" in first.read_errors[0].message_zh and "缺少" in third.read_errors[0].message_zh
    assert [p.field for p in third.read_errors] == ["ref"]


def test_empty_rows_are_skipped_and_row_numbers_stay_true():
    # Given blank rows (and a whitespace-only one) between declarations
    rows = sheet_rows(SHEET_HEAD, [HEAD_ROW, {}, {"note": "   "}, HEAD_ROW | {"ref": "2"}])
    goods = sheet_rows(SHEET_GOODS, [GOODS_ROW, GOODS_ROW | {"ref": "2"}])
    records = read_workbook(workbook_bytes({SHEET_HEAD: rows, SHEET_GOODS: goods}))
    # Then two records, named after their Excel rows
    assert [r.source for r in records] == ["报关单表头 row 3", "报关单表头 row 6"]


def test_columns_may_come_in_any_order_and_unnamed_columns_are_ignored():
    # Given the head sheet with only some columns, reversed, and a notes column without a path
    paths = list(reversed(list(HEAD_ROW)))
    rows = sheet_rows(SHEET_HEAD, [HEAD_ROW], paths)
    rows[0].append("备注(内部)")
    rows[1].append(None)
    rows[2].append("not read")
    data = workbook_bytes({SHEET_HEAD: rows, SHEET_GOODS: sheet_rows(SHEET_GOODS, [GOODS_ROW]), "说明": [["x"]]})
    # Then it reads like the full template
    [record] = read_workbook(data)
    valid_content(record)


def test_a_bad_cell_sinks_only_its_own_declaration():
    heads = [HEAD_ROW, HEAD_ROW | {"ref": "2", "pack_no": "ten"}]
    good, bad = read_workbook(template_workbook(heads, [GOODS_ROW, GOODS_ROW | {"ref": "2", "qty": "lots"}]))
    valid_content(good)
    assert [p.field for p in bad.read_errors] == ["pack_no", "goods[0].qty"]
    assert "商品" in bad.read_errors[1].message_zh


# ---- whole-file refusals ------------------------------------------------------------------


def test_unknown_column_path_is_refused_naming_the_column():
    rows = sheet_rows(SHEET_HEAD, [HEAD_ROW], [*HEAD_ROW, "agent.phone"])
    error = refused(workbook_bytes({SHEET_HEAD: rows, SHEET_GOODS: sheet_rows(SHEET_GOODS, [GOODS_ROW])}))
    assert "agent.phone" in error.message_zh and "agent.phone" in error.message_en


def test_repeated_column_path_is_refused():
    rows = sheet_rows(SHEET_HEAD, [HEAD_ROW], [*HEAD_ROW, "ie_flag"])
    assert "twice" in refused(workbook_bytes({SHEET_HEAD: rows, SHEET_GOODS: sheet_rows(SHEET_GOODS, [])})).message_en


def test_sheet_without_ref_column_is_refused():
    rows = sheet_rows(SHEET_GOODS, [GOODS_ROW], [p for p in GOODS_ROW if p != "ref"])
    data = workbook_bytes({SHEET_HEAD: sheet_rows(SHEET_HEAD, [HEAD_ROW]), SHEET_GOODS: rows})
    assert "ref" in refused(data).message_en


@pytest.mark.parametrize("missing", [SHEET_HEAD, SHEET_GOODS])
def test_missing_required_sheet_is_refused(missing):
    sheets = {SHEET_HEAD: sheet_rows(SHEET_HEAD, [HEAD_ROW]), SHEET_GOODS: sheet_rows(SHEET_GOODS, [GOODS_ROW])}
    del sheets[missing]
    assert missing in refused(workbook_bytes(sheets)).message_zh


def test_workbook_without_declarations_is_refused():
    assert "no declarations" in refused(template_workbook([], [])).message_en


def zip_with(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a workbook",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        zip_with("hello.txt", b"hi"),
        zip_with("[Content_Types].xml", b"<Types>broken"),
    ],
    ids=["empty", "text", "old-xls", "zip-not-xlsx", "broken-xml-in-zip"],
)
def test_bytes_that_are_not_an_xlsx_workbook_are_refused(data):
    assert refused(data).message_zh.startswith("文件无法读取")


def test_more_declarations_than_allowed_is_refused():
    heads = [HEAD_ROW | {"ref": str(n)} for n in range(3)]
    with pytest.raises(DomainError) as caught:
        read_workbook(template_workbook(heads, []), max_records=2)
    assert "more than 2" in caught.value.message_en
