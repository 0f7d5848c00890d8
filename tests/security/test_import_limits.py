"""Work limits on every import format (issue #24, item 4): cells, characters, elements and time,
each refusal naming its limit in both languages (413 import_limit). A bomb of each kind.

Before: a 204 KB workbook without <dimension> holding 10 rows of 65,000 tiny cells passed the
unzip and row caps and kept an API thread busy about 180 s at 650 MB."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.formats import limits
from chalicelib.formats.dec_message import read_dec_messages
from chalicelib.formats.excel_workbook import read_workbook
from tests.factories import ROOT, make_declaration_body
from tests.unit._readers_helpers import GOODS_ROW, HEAD_ROW, ITEM_TAGS, dec_message, template_workbook, xml_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """`workbook` with the zip part `name` replaced by `content` (deflated, as Excel writes it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info))
    return out.getvalue()


def sheet_xml(rows: list[bytes]) -> bytes:
    """A worksheet without <dimension>: only <sheetData> and its rows."""
    return f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + b"".join(rows) + b"</sheetData></worksheet>"


def cells_bomb() -> bytes:
    """The probe's workbook: 10 rows of 65,000 one-character cells, no <dimension>."""
    row = b"<row>" + b'<c t="inlineStr"><is><t>1</t></is></c>' * 65_000 + b"</row>"
    return with_part(template_workbook([HEAD_ROW], [GOODS_ROW]), SHEET, sheet_xml([row] * 10))


def refused(call, limit: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    error = caught.value
    assert (error.code, error.kind, error.details["limit"]) == ("import_limit", "too_large", limit)
    assert "上限" in error.message_zh and "limit" in error.message_en
    return error


# ---- workbooks ---------------------------------------------------------------------------------------


def test_the_probes_cells_bomb_is_refused_before_a_row_is_read_fast_and_small(monkeypatch):
    # Given the probe's 10 rows of 65,000 cells (a small upload, about 100 MB of XML unpacked)
    bomb = cells_bomb()
    assert len(bomb) < 1_000_000
    monkeypatch.setattr("chalicelib.formats.excel_workbook._rows", lambda *a: pytest.fail("a row was read"))
    # When it is read, Then the first row's 16,385th cell refuses it, in little time and memory
    tracemalloc.start()
    started = time.monotonic()
    error = refused(lambda: read_workbook(bomb), "cells_per_row")
    seconds, (_, peak) = time.monotonic() - started, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert error.details["max"] == 16_384
    assert seconds < 10 and peak < 20_000_000  # was ~180 s and 650 MB


def test_the_single_window_templates_reader_refuses_the_cells_bomb_too():
    # every reader opens a workbook one way (formats/_cells.open_workbook): the limits hold for each
    from chalicelib.formats.single_window_template import read_template
    from chalicelib.formats.workbooks import read_any_workbook

    template = (ROOT / "examples" / "single_window_template.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(template)) as book:
        sheet = next(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
    row = b"<row>" + b'<c t="inlineStr"><is><t>1</t></is></c>' * 65_000 + b"</row>"
    bomb = with_part(template, sheet, sheet_xml([row] * 10))
    started = time.monotonic()
    refused(lambda: read_template(bomb), "cells_per_row")
    refused(lambda: read_any_workbook(bomb), "cells_per_row")
    assert time.monotonic() - started < 5  # about 0.5 s for both


def test_a_workbook_is_refused_at_its_cell_limit_across_rows_and_sheets(monkeypatch):
    monkeypatch.setattr(limits, "CELLS_PER_WORKBOOK", limits.Limit("cells_per_workbook", 500, "单元格", "cells"))
    rows = [b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"] * 6  # 600 cells, none more than 100 to a row
    bomb = with_part(template_workbook([HEAD_ROW], [GOODS_ROW]), SHEET, sheet_xml(rows))
    refused(lambda: read_workbook(bomb), "cells_per_workbook")


def test_a_shared_string_of_too_many_characters_is_refused():
    long_text = "便" * (limits.CHARACTERS_PER_TEXT.max + 1)
    workbook = template_workbook([{**HEAD_ROW, "note": long_text}], [GOODS_ROW])
    refused(lambda: read_workbook(workbook), "characters_per_text")


def test_reading_stops_when_the_requests_time_is_spent():
    workbook = (ROOT / "examples" / "declarations.xlsx").read_bytes()
    with limits.work_budget(-1):  # already spent
        refused(lambda: read_workbook(workbook), "seconds")


def test_the_example_workbook_reads_within_every_limit():
    assert read_workbook((ROOT / "examples" / "declarations.xlsx").read_bytes())


# ---- DecMessage XML ---------------------------------------------------------------------------------


def test_an_xml_elements_bomb_is_refused_while_it_is_parsed():
    # empty elements just past the limit (1.2 MB; a 5 MB upload would hold 1,250,000 of them)
    bomb = xml_file("<DecMessage>" + "<a/>" * (limits.XML_ELEMENTS.max + 1) + "</DecMessage>")
    refused(lambda: read_dec_messages(bomb), "xml_elements")


def test_an_xml_text_of_too_many_characters_is_refused():
    long_name = "便" * (limits.CHARACTERS_PER_TEXT.max + 1)
    refused(
        lambda: read_dec_messages(xml_file(dec_message(items=[{**ITEM_TAGS, "GName": long_name}]))),
        "characters_per_text",
    )


def test_an_xml_nested_too_deep_is_refused():
    deep = xml_file("<a>" * 10_001 + "</a>" * 10_001)
    refused(lambda: read_dec_messages(deep), "xml_depth")


def test_xml_reading_stops_when_the_requests_time_is_spent():
    with limits.work_budget(-1):
        refused(lambda: read_dec_messages(xml_file(dec_message())), "seconds")


# ---- through the API, JSON included --------------------------------------------------------------------


def test_the_api_refuses_the_cells_bomb_with_413_naming_the_limit(enabled_api):
    response = enabled_api.call("POST", "/declarations/import", raw=cells_bomb(), content_type=XLSX)
    assert response.status_code == 413 and response.json["code"] == "import_limit"
    assert response.json["details"] == {"limit": "cells_per_row", "max": 16_384}
    assert "每行单元格" in response.json["message_zh"] and "cells in a row" in response.json["message_en"]


def test_a_json_values_bomb_is_refused_with_413(enabled_api):
    # a 1 MB body of 400,000 zeros
    raw = b'{"declarations": [' + b",".join([b"0"] * 400_000) + b"]}"
    response = enabled_api.call("POST", "/declarations", raw=raw)
    assert response.status_code == 413 and response.json["details"]["limit"] == "json_values"


def test_a_json_string_of_too_many_characters_is_refused_with_413(enabled_api):
    body = {"declarations": [make_declaration_body(note="x" * (limits.CHARACTERS_PER_TEXT.max + 1))]}
    response = enabled_api.post("/declarations", body)
    assert response.status_code == 413 and response.json["details"]["limit"] == "characters_per_text"
