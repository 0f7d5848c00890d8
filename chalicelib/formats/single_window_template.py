"""Read the Single Window's own Excel import file, the 货物申报导入模板, into one import record.

Brokers fill the file the Single Window hands out rather than our workbook; it holds one declaration.
Sheets (docs/import-formats.md):

- 基本信息&商品信息: a title in row 1; the head as label/value pairs in rows 2–19 (a label in A, C,
  E, G, I or K, its value in the cell to its right); the goods header in row 22 (项号 in column A,
  41 labels to AO), one goods item per row below it;
- 集装箱信息, 随附单证信息 (the 监管证件: 随附单证代码 and 单证编号), 许可证信息 (a goods item's
  licences, by its 商品序号), 许可证VIN信息 (the vehicles a licence covers, by 商品序号 and the
  licence's 许可证信息序号) and 所需单证: a title in row 1, labels in row 2, data from row 3.

What a label means comes from the field table (`FieldSpec.sw_label`, compared without spaces, line
breaks or the width of brackets), so a field added there with its label is read here too. Cells
become values through the same converters as our workbook's. A label the field table does not
know is refused when its cell holds a value and ignored when empty. Every refused cell is named by
sheet, row and column, in Chinese and English; the record's `cells` name the cell of every value
read, so a later validation error names it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.declaration_fields import FieldSpec, in_list
from chalicelib.domain.errors import FieldError

from . import _cells
from ._common import BadValue, nest, whole_number
from .records import ImportRecord

MAIN_SHEET = "基本信息&商品信息"
SHEET_CONTAINERS, SHEET_LICENCE_DOCUMENTS = "集装箱信息", "随附单证信息"
SHEET_LICENCES, SHEET_VIN, SHEET_CERTIFICATES = "许可证信息", "许可证VIN信息", "所需单证"
SOURCE = "单一窗口货物申报导入模板"

HEAD_FIRST_ROW = 2
GOODS_KEY_LABEL = "项号"  # column A of the goods header row
LIST_LABEL_ROW = 2  # the other sheets: a title in row 1, labels in row 2, data from row 3
LICENCE_ITEM_LABEL, LICENCE_ORDER_LABEL = "商品序号", "许可证信息序号"

# An export's 境外收发货人 is its overseas consignee, which the message carries by code and foreign name.
_EXPORT_PARTY = {
    "overseas_consignor.code": "overseas_consignee.code",
    "overseas_consignor.name_en": "overseas_consignee.name_en",
}

_MAX_ROWS = 5_000  # one declaration: 50 goods items, their licences, a ship's worth of containers
_MAX_CELLS = _MAX_ROWS * 64


label_key = _cells.label_key


@cache
def labels(list_name: str) -> dict[str, FieldSpec]:
    """The fields of one list ("" the head, "goods", "containers" …) by their template label."""
    return {label_key(spec.sw_label): spec for spec in in_list(list_name) if spec.sw_label}


# Each list the template carries: its sheet; the head and the goods share the main sheet.
LISTS = {
    "": MAIN_SHEET,
    "goods": MAIN_SHEET,
    "containers": SHEET_CONTAINERS,
    "licence_documents": SHEET_LICENCE_DOCUMENTS,
    "goods[].licences": SHEET_LICENCES,
    "goods[].licences[].vins": SHEET_VIN,
    "requested_certificates": SHEET_CERTIFICATES,
}
# In reading order: a VIN row needs its licence read.
_OTHER_SHEETS = {
    SHEET_CONTAINERS: "containers",
    SHEET_LICENCE_DOCUMENTS: "licence_documents",
    SHEET_LICENCES: "goods[].licences",
    SHEET_VIN: "goods[].licences[].vins",
    SHEET_CERTIFICATES: "requested_certificates",
}
# Columns that tie a row to its goods item and licence: not fields.
_ITEM, _ORDER = "g_no", "licence_order"
_TIES = {label_key(LICENCE_ITEM_LABEL): _ITEM, label_key(LICENCE_ORDER_LABEL): _ORDER}
_KEYS = {"goods": {label_key(GOODS_KEY_LABEL): _ITEM}, "goods[].licences": _TIES, "goods[].licences[].vins": _TIES}


def is_template(sheet_names: set[str]) -> bool:
    """The Single Window's template is told by its main sheet."""
    return MAIN_SHEET in sheet_names


def read_template(data: bytes) -> list[ImportRecord]:
    with _cells.open_workbook(data) as workbook:
        return read_book(workbook)


def read_book(workbook: Any) -> list[ImportRecord]:
    """The one declaration of an opened template; unreadable_file when it is not one."""
    names = _cells.sheet_names(workbook)
    if MAIN_SHEET not in names:
        raise errors.unreadable_file(f"缺少工作表“{MAIN_SHEET}”", f"the sheet {MAIN_SHEET} is missing")
    present = [sheet for sheet in (MAIN_SHEET, *_OTHER_SHEETS) if sheet in names]
    for sheet in present:  # every sheet's size first: no row is read from an oversized workbook
        _cells.check_dimension(workbook[names[sheet]], sheet, _MAX_ROWS, _MAX_CELLS)
    reader = _Reader()
    reader.main(workbook[names[MAIN_SHEET]])
    for sheet, list_name in _OTHER_SHEETS.items():
        if sheet in names:
            reader.list_sheet(workbook[names[sheet]], sheet, list_name)
    return [reader.record()]


@dataclass
class _Cell:
    sheet: str
    row: int
    column: int  # 1-based
    value: Any

    def where(self) -> tuple[str, str]:
        return _cells.where(self.sheet, self.column, self.row)


class _Reader:
    """Collects the head, the lists, the cells they came from and every refused cell."""

    def __init__(self) -> None:
        self.head: dict[str, Any] = {}
        self.lists: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS if name and "[]" not in name}
        self.cells: dict[str, tuple[str, str]] = {}
        self.problems: list[FieldError] = []
        self.head_cells: dict[str, _Cell] = {}
        # (goods item index, 许可证信息序号) → the licence's index in the goods item
        self.licence_orders: dict[tuple[int, int], int] = {}

    # ---- the main sheet: head pairs, then the goods table ----------------------------------

    def main(self, sheet: Any) -> None:
        header: dict[int, str] | None = None
        for number, values in _cells.rows(sheet, MAIN_SHEET, _MAX_ROWS):
            if number < HEAD_FIRST_ROW:
                continue
            if header is None:
                if values and not _cells.empty(values[0]) and label_key(values[0]) == GOODS_KEY_LABEL:
                    header = self._header(values, MAIN_SHEET, number, "goods")
                else:
                    self._head_pairs(values, number)
                continue
            item = self._row(values, MAIN_SHEET, number, header, "goods", f"goods[{len(self.lists['goods'])}].")
            if item:
                self.lists["goods"].append(item)
        if header is None:
            raise errors.unreadable_file(
                f"工作表“{MAIN_SHEET}”中没有商品表头(A列“{GOODS_KEY_LABEL}”)",
                f"sheet {MAIN_SHEET} has no goods header (column A '{GOODS_KEY_LABEL}')",
            )

    def _head_pairs(self, values: tuple[Any, ...], number: int) -> None:
        known = labels("")
        for index in range(0, len(values), 2):
            label = values[index]
            value = values[index + 1] if index + 1 < len(values) else None
            if _cells.empty(value):
                continue
            cell = _Cell(MAIN_SHEET, number, index + 2, value)
            if _cells.empty(label):
                self._refuse("", cell, "左侧没有栏目名", "has no label to its left")
                continue
            spec = known.get(label_key(label))
            if spec is None:
                self._unknown(cell, str(label))
            elif spec.path in self.head:
                self._refuse(spec.path, cell, "栏目重复填写", "is a second cell of the same label")
            else:
                self.head_cells[spec.path] = cell
                self._convert(spec, cell, spec.path, self.head)

    # ---- the other sheets ---------------------------------------------------------------------

    def list_sheet(self, sheet: Any, name: str, list_name: str) -> None:
        header: dict[int, str] = {}
        for number, values in _cells.rows(sheet, name, _MAX_ROWS):
            if number == LIST_LABEL_ROW:
                header = self._header(values, name, number, list_name)
            elif number > LIST_LABEL_ROW:
                if list_name == "goods[].licences":
                    self._licence(values, name, number, header)
                    continue
                if list_name == "goods[].licences[].vins":
                    self._vin(values, name, number, header)
                    continue
                items = self.lists[list_name]
                item = self._row(values, name, number, header, list_name, f"{list_name}[{len(items)}].")
                if item:
                    items.append(item)

    def _licence(self, values: tuple[Any, ...], sheet: str, number: int, header: dict[int, str]) -> None:
        """A goods item's licence row: added to the goods item of its 商品序号."""
        found = self._goods_item(values, sheet, number, header)
        if found is None:
            return
        index, _ = found
        entries = self.lists["goods"][index].setdefault("licences", [])
        order = self._tie(values, sheet, number, header, _ORDER)
        entry = self._row(
            values, sheet, number, header, "goods[].licences", f"goods[{index}].licences[{len(entries)}]."
        )
        entry.pop(_ITEM, None)
        entry.pop(_ORDER, None)
        if entry:
            self.licence_orders.setdefault((index, order or len(entries) + 1), len(entries))
            entries.append(entry)

    def _vin(self, values: tuple[Any, ...], sheet: str, number: int, header: dict[int, str]) -> None:
        """A vehicle a licence covers: added to the licence of its 商品序号 and 许可证信息序号 (the goods
        item's only licence when the order is left empty)."""
        found = self._goods_item(values, sheet, number, header)
        if found is None:
            return
        index, key = found
        licences = self.lists["goods"][index].get("licences", [])
        order = self._tie(values, sheet, number, header, _ORDER)
        at = self.licence_orders.get((index, order)) if order else (0 if len(licences) == 1 else None)
        if at is None:
            cell = next((_Cell(sheet, number, i + 1, values[i]) for i, p in header.items() if p == _ORDER), key)
            self._refuse(
                "",
                cell,
                f"在“{SHEET_LICENCES}”中没有该商品序号和许可证信息序号的许可证",
                f"matches no licence of {SHEET_LICENCES} (商品序号 and 许可证信息序号)",
            )
            return
        vins = licences[at].setdefault("vins", [])
        entry = self._row(
            values,
            sheet,
            number,
            header,
            "goods[].licences[].vins",
            f"goods[{index}].licences[{at}].vins[{len(vins)}].",
        )
        entry.pop(_ITEM, None)
        entry.pop(_ORDER, None)
        if entry:
            vins.append(entry)

    def _goods_item(
        self, values: tuple[Any, ...], sheet: str, number: int, header: dict[int, str]
    ) -> tuple[int, _Cell] | None:
        """The goods item a row of another sheet names by its 商品序号, and that cell; None for a blank
        row, or for a row naming no goods item, whose cell is refused."""
        key = next((_Cell(sheet, number, i + 1, values[i]) for i, p in header.items() if p == _ITEM), None)
        if key is not None and _cells.empty(key.value):
            key = None
        if key is None and not any(not _cells.empty(values[i]) for i in header if i < len(values)):
            return None
        try:
            g_no = whole_number(key.value) if key is not None else None
        except BadValue:
            g_no = None
        goods = self.lists["goods"]
        index = next((n for n, item in enumerate(goods) if g_no is not None and item.get("g_no") == g_no), None)
        cell = key or _Cell(sheet, number, 1, "")
        if index is None:
            self._refuse(
                "g_no", cell, f"在“{MAIN_SHEET}”的商品中不存在", f"matches no goods item (项号) of {MAIN_SHEET}"
            )
            return None
        return index, cell

    def _tie(self, values: tuple[Any, ...], sheet: str, number: int, header: dict[int, str], tie: str) -> int | None:
        """A whole number in the row's `tie` column (许可证信息序号); None when empty or not a number."""
        for i, leaf in header.items():
            if leaf == tie and i < len(values) and not _cells.empty(values[i]):
                try:
                    return whole_number(values[i])
                except BadValue:
                    return None
        return None

    # ---- rows and cells -------------------------------------------------------------------------

    def _header(self, values: tuple[Any, ...], sheet: str, number: int, list_name: str) -> dict[int, str]:
        """Column index → field leaf ("code_ts"), a key ("g_no"), or "?label" for a label not read."""
        known, keys = labels(list_name), _KEYS.get(list_name, {})
        header: dict[int, str] = {}
        for index, value in enumerate(values):
            if _cells.empty(value):
                continue
            key = label_key(value)
            leaf = keys[key] if key in keys else (known[key].leaf if key in known else f"?{value}")
            if leaf and leaf in header.values():
                where_zh, where_en = _cells.where(sheet, index + 1, number)
                raise errors.unreadable_file(
                    f"{where_zh}：栏目“{value}”重复", f"{where_en}: label '{value}' appears twice"
                )
            header[index] = leaf
        return header

    def _row(
        self, values: tuple[Any, ...], sheet: str, number: int, header: dict[int, str], list_name: str, prefix: str
    ) -> dict[str, Any]:
        """The nested item of one data row ({} for a blank row); bad cells go to the problems."""
        known = {spec.leaf: spec for spec in labels(list_name).values()}
        flat: dict[str, Any] = {}
        for index, leaf in header.items():
            if index >= len(values) or _cells.empty(values[index]) or not leaf:
                continue
            cell = _Cell(sheet, number, index + 1, values[index])
            if leaf.startswith("?"):
                self._unknown(cell, leaf[1:])
            elif leaf in (_ITEM, _ORDER) and leaf not in known:  # 商品序号, 许可证信息序号: ties
                flat[leaf] = cell.value
            else:
                self._convert(known[leaf], cell, prefix + leaf, flat, key=leaf)
        return nest(flat)

    def _convert(self, spec: FieldSpec, cell: _Cell, path: str, into: dict[str, Any], key: str | None = None) -> None:
        convert: Callable[[Any], Any] = _cells.converter(spec)
        try:
            into[key or path] = _cells.convert_cell(convert, cell.value)
        except BadValue as bad:
            self._refuse(path, cell, bad.reason_zh, bad.reason_en)
            return
        self.cells[path] = cell.where()

    def _unknown(self, cell: _Cell, label: str) -> None:
        self._refuse("", cell, f"（栏目“{label}”）无法识别", f"(label '{label}') is not a label of the template")

    def _refuse(self, path: str, cell: _Cell, reason_zh: str, reason_en: str) -> None:
        self.problems.append(
            _cells.cell_error(path, cell.sheet, cell.column, cell.row, cell.value, reason_zh, reason_en)
        )

    # ---- the record ---------------------------------------------------------------------------

    def record(self) -> ImportRecord:
        if self.head.get("ie_flag") == "E":
            self._as_export()
        raw = nest(self.head) | self.lists
        return ImportRecord(raw=raw, source=SOURCE, read_errors=self.problems, cells=self.cells)

    def _as_export(self) -> None:
        """On an export, the template's 境外收发货人 is the overseas consignee: code and foreign name."""
        for path in [p for p in self.head if p.startswith("overseas_consignor.")]:
            target = _EXPORT_PARTY.get(path)
            if target is None:
                cell = self.head_cells[path]
                self._refuse(
                    path,
                    cell,
                    "，出口报关单的境外收货人只申报代码和外文名称",
                    "is not declared on an export: its overseas consignee has a code and a foreign name only",
                )
                del self.head[path]
                continue
            self.head[target] = self.head.pop(path)
            if path in self.cells:
                self.cells[target] = self.cells.pop(path)
