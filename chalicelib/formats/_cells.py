"""What the Excel readers share: how a cell becomes a field's value, where a cell is, and the work
limits every workbook is held to before a row is read (formats/excel_workbook.py, our workbook;
formats/single_window_template.py, the Single Window's 货物申报导入模板; formats/goods_list.py, a
customer's goods list read through a column mapping)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from chalicelib.domain import errors
from chalicelib.domain.declaration_fields import FieldSpec
from chalicelib.domain.errors import DomainError, FieldError

from . import limits
from ._common import BadValue, coded, decimal_text, entry_type, iso_date, label, whole_number

MAX_UNZIPPED = 100 * 1024 * 1024  # a few MB upload never legitimately inflates beyond this
MAX_CELL_CHARS = 4000  # the longest field (规格型号, 备注) is a few hundred characters
_TRUE = {"TRUE", "T", "YES", "Y", "1", "是"}
_FALSE = {"FALSE", "F", "NO", "N", "0", "否"}
_IE_WORDS = {"进口": "I", "出口": "E"}


# ---- cell converters: a cell value (never empty) → the canonical representation ------------


def text(value: Any) -> str:
    if isinstance(value, float):
        return decimal_text(value)
    if hasattr(value, "isoformat"):
        return iso_date(value)
    return str(value).strip()


def code(width: int) -> Callable[[Any], str]:
    """A code: a number cell lost its leading zeros, so pad it back to the code's width."""

    def convert(value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(whole_number(value)).zfill(width)
        return text(value).upper()

    return convert


def uscc(value: Any) -> str:
    if isinstance(value, (int, float)):
        raise BadValue("须以文本格式填写（数字格式会丢失位数）", "must be entered as text: a number cell loses digits")
    return text(value).upper()


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = text(value).upper()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise BadValue("须为 是/否、TRUE/FALSE、1/0 或 Y/N", "must be 是/否, TRUE/FALSE, 1/0 or Y/N")


def ie_flag(value: Any) -> str:
    word = text(value)
    return _IE_WORDS.get(word, word.upper())


def in_table(table: str) -> Callable[[Any], str]:
    to_stored = coded(table)
    return lambda value: to_stored(code(0)(value))


def date_cell(value: Any) -> str:
    if isinstance(value, float):
        raise BadValue("须为日期格式或yyyyMMdd文本", "must be a date cell or yyyyMMdd text")
    return iso_date(value)


# kind (declaration_fields.KINDS) → how a cell becomes the field's value
CONVERTERS: dict[str, Callable[[FieldSpec], Callable[[Any], Any]]] = {
    "text": lambda spec: text,
    "upper": lambda spec: lambda value: text(value).upper(),
    "code": lambda spec: code(spec.width),
    "table": lambda spec: in_table(spec.code_table or ""),
    "uscc": lambda spec: uscc,
    "dec": lambda spec: decimal_text,
    "int": lambda spec: whole_number,
    "date": lambda spec: date_cell,
    "bool": lambda spec: boolean,
    "entry_type": lambda spec: lambda value: entry_type(text(value)),
    "ie_flag": lambda spec: ie_flag,
}


def converter(spec: FieldSpec) -> Callable[[Any], Any]:
    return CONVERTERS[spec.kind](spec)


def label_key(text: Any) -> str:
    """A header label as compared: no spaces or line breaks (templates wrap long labels), ASCII brackets."""
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- where a cell is, in the words of a refusal ---------------------------------------------


def cell_name(column: int, row: int) -> str:
    """ "F23" for column 6 (1-based), row 23."""
    return f"{get_column_letter(column)}{row}"


def where(sheet: str, column: int, row: int) -> tuple[str, str]:
    """A cell named by sheet, row and column, in Chinese and English."""
    letter = get_column_letter(column)
    return (
        f"工作表“{sheet}”第{row}行{letter}列({letter}{row})",
        f"sheet {sheet}, row {row}, column {letter} ({letter}{row})",
    )


def cell_error(path: str, sheet: str, column: int, row: int, value: Any, reason_zh: str, reason_en: str) -> FieldError:
    """A refused cell: where it is, the field it was read for, its value and why."""
    zh, en = where(sheet, column, row)
    shown = str(value)[:60]
    named = f" {label(path)}({path})" if path else ""
    return FieldError(
        path or "(cell)", f"{zh}{named}：“{shown}”{reason_zh}", f"{en}: {path or 'cell'} '{shown}' {reason_en}"
    )


def convert_cell(spec_convert: Callable[[Any], Any], value: Any) -> Any:
    """A cell's value through its field's converter; over-long text is refused before conversion."""
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise BadValue(f"超过{MAX_CELL_CHARS}个字符", f"is longer than {MAX_CELL_CHARS} characters")
    return spec_convert(value)


# ---- limits: refuse by size before reading --------------------------------------------------


@contextmanager
def open_workbook(data: bytes) -> Iterator[Any]:
    """The one way every Excel reader opens an upload: its size is checked before openpyxl reads a
    row (the import-wide work limits, cells and characters counted while streaming, belong here,
    once, for every reader), then the workbook is opened read-only; whatever openpyxl raises while
    the reader iterates is an unreadable file, a DomainError the reader raises passes through."""
    check_archive(data)
    # before openpyxl, which parses a whole sheet to size one without a <dimension>: rows, cells and
    # characters counted while streaming
    limits.check_workbook(data)
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise unreadable_workbook(exc) from None
    try:
        yield workbook
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - sheets are parsed lazily, while iterating
        raise unreadable_workbook(exc) from None
    finally:
        workbook.close()


def sheet_names(workbook: Any) -> dict[str, str]:
    """A workbook's sheets by their trimmed name (a stray space after a name is common)."""
    return {name.strip(): name for name in workbook.sheetnames}


def rows(sheet: Any, name: str, max_rows: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(Excel row number, values) of a sheet, refusing the row after `max_rows` whatever the sheet's
    dimension said (the per-row hook of the import-wide work limits belongs here too)."""
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        limits.tick()
        if number > max_rows:
            raise too_many_rows(name, max_rows)
        yield number, values


def check_archive(data: bytes) -> None:
    """An .xlsx is a zip: refuse what is not one, and one that inflates beyond MAX_UNZIPPED."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, TypeError):
        raise errors.unreadable_file(
            "不是Excel(xlsx)文件，请使用导入模板", "it is not an Excel (xlsx) workbook"
        ) from None
    if unzipped > MAX_UNZIPPED:
        raise errors.unreadable_file("工作簿解压后过大", "the workbook is too large once unpacked")


def check_dimension(sheet: Any, name: str, max_rows: int, max_cells: int) -> None:
    """Refuse by the size the sheet declares (its <dimension ref="A1:AM1000000">, read without reading
    a row): a 1,000,000-row upload is refused at once instead of after seconds of parsing (issue #9).
    A sheet without a dimension is still bounded by the reader's row count."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > max_rows:
        raise errors.unreadable_file(
            f"工作表“{name}”超过{max_rows}行（声明{rows}行）",
            f"sheet {name} has more than {max_rows} rows ({rows} declared)",
        )
    if rows * columns > max_cells:
        raise errors.unreadable_file(
            f"工作表“{name}”单元格过多（{rows}行×{columns}列）",
            f"sheet {name} has too many cells ({rows} rows × {columns} columns)",
        )


def too_many_rows(name: str, max_rows: int) -> DomainError:
    return errors.unreadable_file(f"工作表“{name}”超过{max_rows}行", f"sheet {name} has more than {max_rows} rows")


def unreadable_workbook(exc: Exception) -> DomainError:
    return errors.unreadable_file(
        f"Excel工作簿已损坏或格式不受支持（{type(exc).__name__}）",
        f"the Excel workbook is damaged or unsupported ({type(exc).__name__}: {exc})",
    )
