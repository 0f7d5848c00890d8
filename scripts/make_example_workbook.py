"""Write the Excel import template filled with examples/workbook.json.

    .venv/bin/python scripts/make_example_workbook.py            # → examples/declarations.xlsx
    .venv/bin/python scripts/make_example_workbook.py --blank t.xlsx   # the empty template

Columns come from chalicelib.formats.excel_workbook.TEMPLATE, so the template and the reader
cannot drift apart. Cells are written the way a broker types them: codes as text, dates as date
cells, quantities and amounts as numbers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from chalicelib.domain.declaration_fields import FIELDS
from chalicelib.formats.excel_workbook import FIRST_DATA_ROW, SHEET_HEAD, SHEETS, TEMPLATE

# How a column's cells are written, from the field table's kinds: numbers, dates and yes/no as cells
# of their own type, everything else as text.
_KINDS = {spec.leaf: spec.kind for spec in FIELDS} | {"g_no": "int"}
NUMBER_FIELDS = {leaf for leaf, kind in _KINDS.items() if kind in ("dec", "int")}
BOOL_FIELDS = {leaf for leaf, kind in _KINDS.items() if kind == "bool"}
DATE_FIELDS = {leaf for leaf, kind in _KINDS.items() if kind == "date"}
FIXED_TIME = datetime(2024, 1, 1)  # stable document properties: regenerating changes no metadata
FIXED_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

README = [
    "报关单导入模板 / Declaration import template (docs/excel-template.md)",
    "第1行：中文字段名，仅供阅读；第2行：字段路径，决定每列的含义，请勿修改；第3行起：数据。",
    "Row 1: labels for people; row 2: field paths (they decide what a column means); data from row 3.",
    "“关联号(ref)”把商品、集装箱、随附单证行关联到报关单表头行，可填 1、2、3……",
    "ref links goods, container and document rows to their head row (any text, e.g. 1, 2, 3).",
    "代码列请使用文本格式以保留前导零；统一社会信用代码必须为文本。",
    "Keep code columns as text so leading zeros stay; a USCC must be text.",
]


def cell_value(path: str, value: Any) -> Any:
    if value is None:
        return None
    if path in DATE_FIELDS:
        return date.fromisoformat(value)
    if path in NUMBER_FIELDS:
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if path in BOOL_FIELDS:
        return "是" if value else "否"
    return value


def flatten(item: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{leaf}": inner for leaf, inner in value.items()})
        elif not isinstance(value, list):
            flat[key] = value
    return flat


def rows_by_sheet(declarations: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {sheet: [] for sheet in TEMPLATE}
    for ref, declaration in enumerate(declarations, 1):
        rows[SHEET_HEAD].append({"ref": str(ref), **flatten(declaration)})
        for name, sheet in SHEETS.items():
            if not name:
                continue
            parent, _, child = name.partition("[].")
            for item in declaration.get(parent) or []:
                if not child:
                    rows[sheet].append({"ref": str(ref), **flatten(item)})
                    continue
                rows[sheet] += [
                    {"ref": str(ref), "g_no": item["g_no"], **flatten(entry)} for entry in item.get(child) or []
                ]
    return rows


def build(declarations: list[dict[str, Any]]) -> Workbook:
    workbook = Workbook()
    if workbook.active is not None:  # a new workbook has one empty sheet: ours are added below
        workbook.remove(workbook.active)
    rows = rows_by_sheet(declarations)
    for sheet_name, columns in TEMPLATE.items():
        sheet = workbook.create_sheet(sheet_name)
        sheet.append([column.label for column in columns])
        sheet.append([column.path for column in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet[2]:
            cell.font = Font(color="808080", italic=True)
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
        for row in rows[sheet_name]:
            sheet.append([cell_value(column.path, row.get(column.path)) for column in columns])
        for index, column in enumerate(columns, 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column.label) * 2 + 2)
            if column.path not in NUMBER_FIELDS | BOOL_FIELDS | DATE_FIELDS:
                # text format keeps the leading zeros of codes, for the rows here and those typed later
                sheet.column_dimensions[letter].number_format = "@"
                for (cell,) in sheet.iter_rows(min_row=FIRST_DATA_ROW, min_col=index, max_col=index):
                    cell.number_format = "@"
        sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    notes = workbook.create_sheet("说明")
    for line in README:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "smartdecl"
    return workbook


def reproducible_bytes(workbook: Workbook) -> bytes:
    """The .xlsx with fixed zip timestamps, so regenerating an unchanged example changes no byte."""
    saved, out = BytesIO(), BytesIO()
    workbook.save(saved)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_STAMP, content)
            target.writestr(
                zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6]),
                content,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default=str(ROOT / "examples" / "declarations.xlsx"))
    parser.add_argument("--source", default=str(ROOT / "examples" / "workbook.json"))
    parser.add_argument("--blank", action="store_true", help="write the template without data rows")
    args = parser.parse_args(argv)
    declarations = [] if args.blank else json.loads(Path(args.source).read_text(encoding="utf-8"))["declarations"]
    Path(args.output).write_bytes(reproducible_bytes(build(declarations)))
    print(f"wrote {args.output} ({len(declarations)} declarations)")


if __name__ == "__main__":
    main()
