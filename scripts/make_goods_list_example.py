"""Write examples/goods_list.xlsx, a customer's goods list in its own layout, from examples/goods_list.json.

    .venv/bin/python scripts/make_goods_list_example.py

examples/column_mapping.json is the column mapping that reads it (docs/import-formats.md). Cells are
written as a customer's spreadsheet has them: quantities and amounts as numbers, codes as text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook

from scripts.make_example_workbook import FIXED_TIME, reproducible_bytes


def build(source: dict[str, Any]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = source["sheet"]
    sheet.append([source["title"]])
    sheet.append([])
    sheet.append(source["header"])
    for row in source["rows"]:
        sheet.append(row)
    workbook.create_sheet("Packing list").append(["(not read by the mapping)"])
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "smartdecl"
    return workbook


def main() -> None:
    source = json.loads((ROOT / "examples" / "goods_list.json").read_text(encoding="utf-8"))
    (ROOT / "examples" / "goods_list.xlsx").write_bytes(reproducible_bytes(build(source)))
    print("wrote examples/goods_list.xlsx")


if __name__ == "__main__":
    main()
