"""Read the Excel import template (docs/excel-template.md) into import records.

Sheets: 报关单表头 (one row per declaration), 商品 (goods), optional 集装箱 and 随附单证; other
sheets are ignored. Row 1 holds Chinese labels for people and is not read; row 2 holds the
canonical JSON field paths (``agent.code``, ``freight.mark``…) and decides what each column
means, so columns may come in any order and a column with an empty row-2 cell is ignored;
data starts on row 3; rows with no value in a mapped column are skipped. ``ref`` links goods,
container and document rows to their head row.

Cells: text stays text; numbers in code columns become text, left-padded with zeros to the
code's width (trade_mode 110 → "0110", unit 35 → "035", code_ts 901210000 → "0901210000");
decimals via ``str(float)`` so 0.1 stays "0.1"; dates from date cells, yyyyMMdd or
YYYY-MM-DD; booleans from TRUE/FALSE, 是/否, 1/0, Y/N; numeric currency and country codes
become letter codes. A USCC typed as a number has lost digits already and is refused.

One record per head row, source "报关单表头 row N"; a goods/container/document row whose ref
matches no head row becomes a record of its own with a read error ("商品 row N").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from chalicelib.domain import errors
from chalicelib.domain.declaration import leaf_paths
from chalicelib.domain.declaration_fields import in_list
from chalicelib.domain.errors import FieldError

from . import _cells
from ._common import FIELD_LABELS, MAX_RECORDS, BadValue, bad_value_error, nest, whole_number
from .records import ImportRecord

SHEET_HEAD, SHEET_GOODS, SHEET_CONTAINERS, SHEET_DOCUMENTS = "报关单表头", "商品", "集装箱", "随附单证"
SHEET_LICENCES, SHEET_LICENCE_DOCUMENTS = "许可证", "监管证件"
SHEET_REQUESTED_CERTIFICATES, SHEET_OTHER_PACKS = "所需单证", "其他包装"
LABEL_ROW, PATH_ROW, FIRST_DATA_ROW = 1, 2, 3

_MAX_ROWS = 60_000  # per sheet: 500 declarations × 50 goods leaves room for blank rows
_MAX_CELLS = 60_000 * 64  # per sheet, rows × columns as the sheet's dimension declares them
_text, _CONVERTERS = _cells.text, _cells.CONVERTERS


@dataclass(frozen=True)
class Column:
    path: str  # the JSON field path written in row 2
    convert: Callable[[Any], Any]

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.path]


# One sheet per list of the declaration; the head's fields on the first. A goods item's licences name
# their goods item by g_no beside the ref.
SHEETS = {
    "": SHEET_HEAD,
    "goods": SHEET_GOODS,
    "goods[].licences": SHEET_LICENCES,
    "containers": SHEET_CONTAINERS,
    "documents": SHEET_DOCUMENTS,
    "licence_documents": SHEET_LICENCE_DOCUMENTS,
    "requested_certificates": SHEET_REQUESTED_CERTIFICATES,
    "other_packs": SHEET_OTHER_PACKS,
}
_ITEM_KEY = "g_no"  # the goods item a nested row belongs to


def _template() -> dict[str, tuple[Column, ...]]:
    """Each sheet's columns: ref, then the table's workbook fields of its list in the model's (the
    form's) order; row 2 holds a list field's path inside its item ("code_ts")."""
    order = {path: index for index, path in enumerate(leaf_paths())}
    template: dict[str, tuple[Column, ...]] = {}
    for name, sheet in SHEETS.items():
        specs = sorted((spec for spec in in_list(name) if spec.workbook), key=lambda spec: order[spec.path])
        keys = [Column("ref", _text), *([Column(_ITEM_KEY, whole_number)] if "[]" in name else [])]
        template[sheet] = (*keys, *(Column(spec.leaf, _CONVERTERS[spec.kind](spec)) for spec in specs))
    return template


TEMPLATE: dict[str, tuple[Column, ...]] = _template()
REQUIRED_SHEETS = (SHEET_HEAD, SHEET_GOODS)
_CHILD_LISTS = {sheet: name for name, sheet in SHEETS.items() if name}
_HEAD_LISTS = tuple(name for name in SHEETS if name and "[]" not in name)


@dataclass
class _Row:
    sheet: str
    number: int  # the Excel row number
    cells: dict[str, tuple[int, Any]]  # path → (column number, non-empty cell value)


def read_workbook(data: bytes, *, max_records: int = MAX_RECORDS) -> list[ImportRecord]:
    """One ImportRecord per head row (plus one per orphan child row); unreadable_file otherwise."""
    with _cells.open_workbook(data) as workbook:
        return read_book(workbook, max_records=max_records)


def is_ours(sheet_names: set[str]) -> bool:
    return SHEET_HEAD in sheet_names


def read_book(workbook: Any, *, max_records: int = MAX_RECORDS) -> list[ImportRecord]:
    """read_workbook on a workbook already opened (formats/workbooks.py tells the layouts apart)."""
    sheets = _load(workbook)
    heads = sheets[SHEET_HEAD]
    if not heads:
        raise errors.unreadable_file(f"工作表“{SHEET_HEAD}”中没有报关单数据", f"sheet {SHEET_HEAD} has no declarations")
    if len(heads) > max_records:
        raise errors.unreadable_file(
            f"报关单超过{max_records}份（共{len(heads)}份）",
            f"it holds {len(heads)} declarations, more than {max_records}",
        )
    records, by_ref = _head_records(heads)
    for sheet, field in _CHILD_LISTS.items():
        for row in sheets.get(sheet, []):
            records.extend(_attach(row, field, by_ref))
    return records


# ---- workbook → rows (_cells.open_workbook makes every openpyxl failure an unreadable file) --


def _load(workbook: Any) -> dict[str, list[_Row]]:
    names = _cells.sheet_names(workbook)
    for sheet in REQUIRED_SHEETS:
        if sheet not in names:
            raise errors.unreadable_file(f"缺少工作表“{sheet}”", f"the sheet {sheet} is missing")
    present = [sheet for sheet in TEMPLATE if sheet in names]
    for sheet in present:  # every sheet's size first: no row is read from an oversized workbook
        _cells.check_dimension(workbook[names[sheet]], sheet, _MAX_ROWS, _MAX_CELLS)
    return {sheet: _rows(workbook[names[sheet]], sheet) for sheet in present}


def _rows(sheet: Any, name: str) -> list[_Row]:
    columns = {column.path: column for column in TEMPLATE[name]}
    paths: dict[int, str] = {}
    rows: list[_Row] = []
    for number, values in _cells.rows(sheet, name, _MAX_ROWS):
        if number == PATH_ROW:
            paths = _paths(values, name, columns)
        elif number >= FIRST_DATA_ROW:
            cells = {
                path: (index + 1, values[index])
                for index, path in paths.items()
                if index < len(values) and not _cells.empty(values[index])
            }
            if cells:
                rows.append(_Row(name, number, cells))
    if not paths:
        raise errors.unreadable_file(
            f"工作表“{name}”第{PATH_ROW}行缺少字段路径", f"sheet {name} has no field paths in row {PATH_ROW}"
        )
    return rows


def _paths(values: tuple[Any, ...], sheet: str, columns: dict[str, Column]) -> dict[int, str]:
    """Column index → field path, from row 2; an unknown or repeated path makes the file unreadable."""
    paths: dict[int, str] = {}
    for index, value in enumerate(values):
        if _cells.empty(value):
            continue
        path, where = str(value).strip(), f"{get_column_letter(index + 1)}{PATH_ROW}"
        if path not in columns:
            raise errors.unreadable_file(
                f"工作表“{sheet}”{where}单元格的字段“{path}”无法识别",
                f"sheet {sheet}, cell {where}: unknown field path '{path}'",
            )
        if path in paths.values():
            raise errors.unreadable_file(
                f"工作表“{sheet}”中字段“{path}”重复（{where}）",
                f"sheet {sheet}: field path '{path}' appears twice ({where})",
            )
        paths[index] = path
    if paths and "ref" not in paths.values():
        raise errors.unreadable_file(f"工作表“{sheet}”缺少关联号(ref)列", f"sheet {sheet} has no ref column")
    return paths


# ---- rows → records ------------------------------------------------------------------------


def _convert(row: _Row, prefix: str, problems: list[FieldError]) -> dict[str, Any]:
    """Flat {path: value} of a row without its ref; bad cells go to `problems`."""
    columns = {column.path: column for column in TEMPLATE[row.sheet]}
    flat: dict[str, Any] = {}
    for path, (column, value) in row.cells.items():
        if path == "ref":
            continue
        try:
            flat[path] = columns[path].convert(value)
        except BadValue as bad:
            where = f"{get_column_letter(column)}{row.number}"
            problems.append(
                bad_value_error(prefix + path, f"{row.sheet}{where}单元格", f"{row.sheet} cell {where}", value, bad)
            )
    return flat


def _ref(row: _Row) -> str | None:
    """The row key as text: 1, 1.0 and "1" are the same ref."""
    cell = row.cells.get("ref")
    if cell is None:
        return None
    try:
        return _text(cell[1])
    except BadValue:
        return str(cell[1]).strip()


def _head_records(heads: list[_Row]) -> tuple[list[ImportRecord], dict[str, ImportRecord]]:
    records: list[ImportRecord] = []
    sharing: dict[str, list[ImportRecord]] = {}
    for row in heads:
        problems: list[FieldError] = []
        raw = nest(_convert(row, "", problems)) | {name: [] for name in _HEAD_LISTS}
        record = ImportRecord(raw=raw, source=f"{SHEET_HEAD} row {row.number}", read_errors=problems)
        ref = _ref(row)
        if ref is None:
            problems.append(
                FieldError(
                    "ref", f"{SHEET_HEAD}第{row.number}行缺少关联号(ref)", f"{SHEET_HEAD} row {row.number} has no ref"
                )
            )
        else:
            sharing.setdefault(ref, []).append(record)
        records.append(record)
    for ref, twins in sharing.items():
        # goods of a repeated ref could belong to either row: refuse all of them
        for twin in twins if len(twins) > 1 else ():
            twin.read_errors.append(
                FieldError(
                    "ref",
                    f"关联号(ref)“{ref}”在{SHEET_HEAD}中重复",
                    f"ref '{ref}' appears on several {SHEET_HEAD} rows",
                )
            )
    return records, {ref: twins[0] for ref, twins in sharing.items()}


def _attach(row: _Row, field: str, by_ref: dict[str, ImportRecord]) -> list[ImportRecord]:
    """Adds a child row to its head record; an orphan row comes back as a record of its own."""
    ref = _ref(row)
    owner = by_ref.get(ref) if ref is not None else None
    if owner is None:
        problems: list[FieldError] = []
        raw = nest(_convert(row, "", problems))
        shown = ref if ref is not None else ""
        problems.insert(
            0,
            FieldError(
                "ref",
                f"{row.sheet}第{row.number}行的关联号(ref)“{shown}”在{SHEET_HEAD}中不存在",
                f"{row.sheet} row {row.number}: ref '{shown}' matches no {SHEET_HEAD} row",
            ),
        )
        return [ImportRecord(raw={"ref": ref, **raw}, source=f"{row.sheet} row {row.number}", read_errors=problems)]
    if "[]" in field:
        _attach_to_item(row, field, owner)
        return []
    items = owner.raw[field]
    items.append(nest(_convert(row, f"{field}[{len(items)}].", owner.read_errors)))
    return []


def _attach_to_item(row: _Row, field: str, owner: ImportRecord) -> None:
    """A goods item's licence row: added to the goods item of its g_no in the same declaration."""
    parent, _, child = field.partition("[].")
    items = owner.raw[parent]
    key = row.cells.get(_ITEM_KEY)
    try:
        g_no = whole_number(key[1]) if key is not None else None
    except BadValue:
        g_no = None
    index = next((n for n, item in enumerate(items) if g_no is not None and item.get(_ITEM_KEY) == g_no), None)
    if index is None:
        shown = key[1] if key is not None else ""
        owner.read_errors.append(
            FieldError(
                _ITEM_KEY,
                f"{row.sheet}第{row.number}行的商品序号(g_no)“{shown}”在{SHEET_GOODS}中不存在",
                f"{row.sheet} row {row.number}: g_no '{shown}' matches no {SHEET_GOODS} row of its declaration",
            )
        )
        return
    entries = items[index].setdefault(child, [])
    converted = _convert(row, f"{parent}[{index}].{child}[{len(entries)}].", owner.read_errors)
    converted.pop(_ITEM_KEY, None)
    entries.append(nest(converted))
