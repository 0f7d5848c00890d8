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

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from chalicelib.domain import errors
from chalicelib.domain.declaration import leaf_paths
from chalicelib.domain.declaration_fields import FieldSpec, in_list
from chalicelib.domain.errors import DomainError, FieldError

from . import limits
from ._common import (
    FIELD_LABELS,
    MAX_RECORDS,
    BadValue,
    bad_value_error,
    coded,
    decimal_text,
    entry_type,
    iso_date,
    nest,
    whole_number,
)
from .records import ImportRecord

SHEET_HEAD, SHEET_GOODS, SHEET_CONTAINERS, SHEET_DOCUMENTS = "报关单表头", "商品", "集装箱", "随附单证"
SHEET_LICENCES, SHEET_LICENCE_DOCUMENTS = "许可证", "监管证件"
SHEET_REQUESTED_CERTIFICATES, SHEET_OTHER_PACKS = "所需单证", "其他包装"
LABEL_ROW, PATH_ROW, FIRST_DATA_ROW = 1, 2, 3

_MAX_UNZIPPED = 100 * 1024 * 1024  # a few MB upload never legitimately inflates beyond this
_MAX_ROWS = 60_000  # per sheet: 500 declarations × 50 goods leaves room for blank rows
_MAX_CELLS = 60_000 * 64  # per sheet, rows × columns as the sheet's dimension declares them
_TRUE = {"TRUE", "T", "YES", "Y", "1", "是"}
_FALSE = {"FALSE", "F", "NO", "N", "0", "否"}
_IE_WORDS = {"进口": "I", "出口": "E"}


# ---- cell converters: a cell value (never empty) → the canonical representation ------------


def _text(value: Any) -> str:
    if isinstance(value, float):
        return decimal_text(value)
    if hasattr(value, "isoformat"):
        return iso_date(value)
    return str(value).strip()


def _code(width: int) -> Callable[[Any], str]:
    """A code: a number cell lost its leading zeros, so pad it back to the code's width."""

    def convert(value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(whole_number(value)).zfill(width)
        return _text(value).upper()

    return convert


def _uscc(value: Any) -> str:
    if isinstance(value, (int, float)):
        raise BadValue("须以文本格式填写（数字格式会丢失位数）", "must be entered as text: a number cell loses digits")
    return _text(value).upper()


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).upper()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise BadValue("须为 是/否、TRUE/FALSE、1/0 或 Y/N", "must be 是/否, TRUE/FALSE, 1/0 or Y/N")


def _ie_flag(value: Any) -> str:
    text = _text(value)
    return _IE_WORDS.get(text, text.upper())


def _in_table(table: str) -> Callable[[Any], str]:
    to_stored = coded(table)
    return lambda value: to_stored(_code(0)(value))


def _date(value: Any) -> str:
    if isinstance(value, float):
        raise BadValue("须为日期格式或yyyyMMdd文本", "must be a date cell or yyyyMMdd text")
    return iso_date(value)


# kind (declaration_fields.KINDS) → how a cell becomes the field's value
_CONVERTERS: dict[str, Callable[[FieldSpec], Callable[[Any], Any]]] = {
    "text": lambda spec: _text,
    "upper": lambda spec: lambda value: _text(value).upper(),
    "code": lambda spec: _code(spec.width),
    "table": lambda spec: _in_table(spec.code_table or ""),
    "uscc": lambda spec: _uscc,
    "dec": lambda spec: decimal_text,
    "int": lambda spec: whole_number,
    "date": lambda spec: _date,
    "bool": lambda spec: _boolean,
    "entry_type": lambda spec: lambda value: entry_type(_text(value)),
    "ie_flag": lambda spec: _ie_flag,
}


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
    sheets = _load(data)
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


# ---- workbook → rows (every openpyxl or zip failure is an unreadable file) -----------------


def _load(data: bytes) -> dict[str, list[_Row]]:
    _check_archive(data)
    # before openpyxl, which parses a whole sheet to size one without a <dimension>: rows, cells and
    # characters counted while streaming
    limits.check_workbook(data)
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise _unreadable_workbook(exc) from None
    try:
        names = {name.strip(): name for name in workbook.sheetnames}
        for sheet in REQUIRED_SHEETS:
            if sheet not in names:
                raise errors.unreadable_file(f"缺少工作表“{sheet}”", f"the sheet {sheet} is missing")
        present = [sheet for sheet in TEMPLATE if sheet in names]
        for sheet in present:  # every sheet's size first: no row is read from an oversized workbook
            _check_dimension(workbook[names[sheet]], sheet)
        return {sheet: _rows(workbook[names[sheet]], sheet) for sheet in present}
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - sheets are parsed lazily, while iterating
        raise _unreadable_workbook(exc) from None
    finally:
        workbook.close()


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, TypeError):
        raise errors.unreadable_file(
            "不是Excel(xlsx)文件，请使用导入模板", "it is not an Excel (xlsx) workbook"
        ) from None
    if unzipped > _MAX_UNZIPPED:
        raise errors.unreadable_file("工作簿解压后过大", "the workbook is too large once unpacked")


def _check_dimension(sheet: Any, name: str) -> None:
    """Refuse by the size the sheet declares (its <dimension ref="A1:AM1000000">, read without reading
    a row): a 1,000,000-row upload is refused at once instead of after seconds of parsing (issue #9).
    A sheet without a dimension is still bounded by the row count in _rows."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > _MAX_ROWS:
        raise errors.unreadable_file(
            f"工作表“{name}”超过{_MAX_ROWS}行（声明{rows}行）",
            f"sheet {name} has more than {_MAX_ROWS} rows ({rows} declared)",
        )
    if rows * columns > _MAX_CELLS:
        raise errors.unreadable_file(
            f"工作表“{name}”单元格过多（{rows}行×{columns}列）",
            f"sheet {name} has too many cells ({rows} rows × {columns} columns)",
        )


def _unreadable_workbook(exc: Exception) -> DomainError:
    return errors.unreadable_file(
        f"Excel工作簿已损坏或格式不受支持（{type(exc).__name__}）",
        f"the Excel workbook is damaged or unsupported ({type(exc).__name__}: {exc})",
    )


def _rows(sheet: Any, name: str) -> list[_Row]:
    columns = {column.path: column for column in TEMPLATE[name]}
    paths: dict[int, str] = {}
    rows: list[_Row] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        limits.tick()
        if number > _MAX_ROWS:
            raise errors.unreadable_file(
                f"工作表“{name}”超过{_MAX_ROWS}行", f"sheet {name} has more than {_MAX_ROWS} rows"
            )
        if number == PATH_ROW:
            paths = _paths(values, name, columns)
        elif number >= FIRST_DATA_ROW:
            cells = {
                path: (index + 1, values[index])
                for index, path in paths.items()
                if index < len(values) and not _empty(values[index])
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
        if _empty(value):
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


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
