"""Which Excel layout an upload is, told by its sheets: the Single Window's 货物申报导入模板 (its main
sheet 基本信息&商品信息, formats/single_window_template.py) or our workbook (报关单表头,
formats/excel_workbook.py), or, given a column mapping, a customer's goods list (formats/goods_list.py).
The workbook is opened once, through the size checks every reader shares."""

from __future__ import annotations

from chalicelib.domain.column_mapping import MappingContent

from . import _cells, excel_workbook, goods_list, single_window_template
from ._common import MAX_RECORDS
from .records import ImportRecord


def read_any_workbook(
    data: bytes, *, max_records: int = MAX_RECORDS, mapping: MappingContent | None = None
) -> list[ImportRecord]:
    """With `mapping`, the workbook is a customer's goods list read through it, whatever its sheets."""
    with _cells.open_workbook(data) as workbook:
        if mapping is not None:
            return goods_list.read_book(workbook, mapping, max_records=max_records)
        if single_window_template.is_template(set(_cells.sheet_names(workbook))):
            return single_window_template.read_book(workbook)
        return excel_workbook.read_book(workbook, max_records=max_records)
