"""Read a customer's goods list, in the customer's own Excel layout, through a column mapping
(domain/column_mapping.py): which sheet, the header row, which column holds which field, the head
values every declaration takes.

Rows below the header row with a value in a mapped column are read; rows with the same values in the
head columns make one declaration, in the order they first appear; a goods item's 项号 runs 1, 2, 3 …
unless a column holds it. A column's value wins over the mapping's default (for the head, or for
every goods item). Cells become values
through the same converters as the other workbooks; a refused cell is named by sheet, row and column.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils import column_index_from_string

from chalicelib.domain import errors
from chalicelib.domain.column_mapping import MappingContent, mappable
from chalicelib.domain.declaration_fields import FieldSpec
from chalicelib.domain.errors import FieldError

from . import _cells
from ._common import MAX_RECORDS, BadValue, bad_value_error, nest
from .records import ImportRecord

_MAX_ROWS = 30_000  # 500 declarations of up to 50 goods items, and room for blank rows
_MAX_CELLS = _MAX_ROWS * 128


def read_goods_list(data: bytes, mapping: MappingContent, *, max_records: int = MAX_RECORDS) -> list[ImportRecord]:
    with _cells.open_workbook(data) as workbook:
        return read_book(workbook, mapping, max_records=max_records)


def read_book(workbook: Any, mapping: MappingContent, *, max_records: int = MAX_RECORDS) -> list[ImportRecord]:
    names = _cells.sheet_names(workbook)
    name = mapping.sheet or next(iter(names), "")
    if name not in names:
        raise errors.unreadable_file(
            f"缺少列映射“{mapping.name}”指定的工作表“{name}”", f"the sheet {name} of mapping {mapping.name} is missing"
        )
    sheet = workbook[names[name]]
    _cells.check_dimension(sheet, name, _MAX_ROWS, _MAX_CELLS)
    groups: dict[tuple[str, ...], _Declaration] = {}
    columns: dict[int, FieldSpec] | None = None
    for number, values in _cells.rows(sheet, name, _MAX_ROWS):
        if number == mapping.header_row:
            columns = _columns(values, mapping, name, number)
        elif columns is not None and number > mapping.header_row:
            cells = {i: values[i] for i in columns if i < len(values) and not _cells.empty(values[i])}
            if not cells:
                continue
            key = tuple(_cells.text(cells.get(i, "")) for i, spec in columns.items() if spec.list == "")
            if key not in groups:
                if len(groups) == max_records:
                    raise errors.unreadable_file(
                        f"报关单超过{max_records}份", f"it holds more than {max_records} declarations"
                    )
                groups[key] = _Declaration(mapping, name, number)
            groups[key].add(number, cells, columns)
    if columns is None:
        raise errors.unreadable_file(
            f"工作表“{name}”没有第{mapping.header_row}行（表头行）",
            f"sheet {name} has no row {mapping.header_row} (the header row)",
        )
    if not groups:
        raise errors.unreadable_file(f"工作表“{name}”表头行以下没有商品", f"sheet {name} has no goods below its header")
    return [group.record() for group in groups.values()]


def _columns(values: tuple[Any, ...], mapping: MappingContent, sheet: str, number: int) -> dict[int, FieldSpec]:
    """Column index (0-based) → the field it holds; a header the row lacks makes the file unreadable."""
    headers = {_cells.label_key(v): i for i, v in reversed(list(enumerate(values))) if not _cells.empty(v)}
    found: dict[int, FieldSpec] = {}
    for column in mapping.columns:
        spec = mappable(column.field)
        if spec is None:  # checked when the mapping was saved; a field since removed is skipped
            continue
        if column.column:
            index = column_index_from_string(column.column) - 1
        elif _cells.label_key(column.header) in headers:
            index = headers[_cells.label_key(column.header)]
        else:
            raise errors.unreadable_file(
                f"工作表“{sheet}”第{number}行没有表头“{column.header}”（列映射“{mapping.name}”）",
                f"sheet {sheet} has no header '{column.header}' in row {number} (mapping {mapping.name})",
            )
        found[index] = spec
    return found


class _Declaration:
    """The rows of one declaration: head values from its first row and the defaults, one goods item a row."""

    def __init__(self, mapping: MappingContent, sheet: str, first_row: int) -> None:
        self.sheet, self.first_row = sheet, first_row
        self.head: dict[str, Any] = {}
        self.item_defaults: dict[str, Any] = {}
        self.goods: list[dict[str, Any]] = []
        self.cells: dict[str, tuple[str, str]] = {}
        self.problems: list[FieldError] = []
        for path, value in mapping.defaults.items():
            spec = mappable(path)
            if spec is None:
                continue
            try:
                converted = _cells.convert_cell(_cells.converter(spec), value)
            except BadValue as bad:
                where = (f"列映射“{mapping.name}”的默认值", f"mapping {mapping.name}'s default")
                self.problems.append(bad_value_error(path, *where, value, bad))
                continue
            if spec.list == "":
                self.head[path] = converted
            else:
                self.item_defaults[spec.leaf] = converted
        self.mapped_g_no = any(c.field == "goods[].g_no" for c in mapping.columns)

    def add(self, number: int, cells: dict[int, Any], columns: dict[int, FieldSpec]) -> None:
        index = len(self.goods)
        item: dict[str, Any] = dict(self.item_defaults) | ({} if self.mapped_g_no else {"g_no": index + 1})
        for column, value in cells.items():
            spec = columns[column]
            path = spec.path if spec.list == "" else f"goods[{index}].{spec.leaf}"
            if spec.list == "" and index > 0:
                continue  # the same in every row of the declaration: read from its first row
            try:
                converted = _cells.convert_cell(_cells.converter(spec), value)
            except BadValue as bad:
                self.problems.append(
                    _cells.cell_error(path, self.sheet, column + 1, number, value, bad.reason_zh, bad.reason_en)
                )
                continue
            if spec.list == "":
                self.head[spec.path] = converted
            else:
                item[spec.leaf] = converted
            self.cells[path] = _cells.where(self.sheet, column + 1, number)
        self.goods.append(item)

    def record(self) -> ImportRecord:
        raw = nest(self.head) | {"goods": self.goods}
        source = f"{self.sheet} row {self.first_row}"
        return ImportRecord(raw=raw, source=source, read_errors=self.problems, cells=self.cells)
