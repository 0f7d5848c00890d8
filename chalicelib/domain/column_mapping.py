"""A column mapping: how one customer's goods list (its own Excel layout) becomes declarations.

Brokers receive goods lists in each customer's layout. A mapping, saved once per enterprise, says
which sheet to read, in which row the column headers are (data below it), which column holds which
field (by its header text or its letter), and the values every declaration or goods item of the list
takes (`defaults`: the parties, the customs, the trade mode, the goods' 征免方式 and destination …
that a goods list does not carry).

Fields are the field table's (`declaration_fields.FIELDS`): head fields ("bill_no",
"consignee.uscc") and goods fields ("goods[].code_ts"). Rows with the same values in the head
columns make one declaration (a list of several bills gives one declaration per bill); a goods
item's 项号 is numbered 1, 2, 3 … when no column holds it. formats/goods_list.py reads a workbook
through a mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .declaration_fields import FieldSpec, by_path
from .errors import FieldError

MAX_NAME, MAX_SHEET, MAX_HEADER_ROW, MAX_COLUMNS, MAX_TEXT = 50, 31, 100, 120, 200
_LETTERS = re.compile(r"[A-Z]{1,3}")
LISTS = ("", "goods")  # the lists a goods list fills: the head and the goods


@dataclass(frozen=True)
class MappedColumn:
    """One field read from one column: by its letter ("C") or the header text above it."""

    field: str  # "bill_no", "goods[].code_ts"
    column: str | None = None  # a letter, A … XFD
    header: str | None = None  # the header cell's text

    def as_json(self) -> dict[str, str]:
        out = {"field": self.field}
        out |= {"column": self.column} if self.column else {"header": self.header or ""}
        return out


@dataclass(frozen=True)
class MappingContent:
    name: str
    columns: tuple[MappedColumn, ...]
    header_row: int = 1
    sheet: str | None = None  # None: the workbook's first sheet
    # field path → the value every declaration ("trade_mode") or goods item ("goods[].duty_mode") takes
    defaults: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": [c.as_json() for c in self.columns],
            "defaults": dict(self.defaults),
        }


@dataclass(frozen=True)
class ColumnMapping:
    mapping_id: str
    ent_code: str
    content: MappingContent
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "mapping_id": self.mapping_id,
            **self.content.as_json(),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
        }


def mappable(path: str) -> FieldSpec | None:
    """The field a mapping may name: a head or goods field of the table (not our own flags' lists)."""
    spec = by_path().get(path)
    return spec if spec is not None and spec.list in LISTS and spec.workbook else None


def parse_mapping(body: Any) -> tuple[MappingContent | None, list[FieldError]]:
    """A mapping as the API takes it, checked against the field table; every problem listed."""
    if not isinstance(body, dict):
        return None, [FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object")]
    problems: list[FieldError] = []
    for key in sorted(set(body) - {"name", "sheet", "header_row", "columns", "defaults"}):
        problems.append(FieldError(key, f"不是可接受的字段：{key}", f"unknown field: {key}"))
    name = _text(body.get("name"), "name", MAX_NAME, problems, required=True)
    sheet = _text(body.get("sheet"), "sheet", MAX_SHEET, problems)
    header_row = body.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool):  # 67.0 too: whole numbers only, as everywhere
        problems.append(FieldError("header_row", "表头行须为整数", "header_row must be a whole number"))
    elif not 1 <= header_row <= MAX_HEADER_ROW:
        problems.append(
            FieldError(
                "header_row", f"表头行须为1至{MAX_HEADER_ROW}的整数", f"header_row must be 1 to {MAX_HEADER_ROW}"
            )
        )
    columns = _columns(body.get("columns"), problems)
    defaults = _defaults(body.get("defaults", {}), problems)
    if problems:
        return None, problems
    return MappingContent(name or "", columns, header_row, sheet or None, defaults), []


def _text(value: Any, name: str, limit: int, problems: list[FieldError], required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        problems.append(FieldError(name, f"{name} 须为1至{limit}个字符", f"{name} must be 1 to {limit} characters"))
        return None
    return value.strip()


def _columns(value: Any, problems: list[FieldError]) -> tuple[MappedColumn, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_COLUMNS:
        problems.append(
            FieldError("columns", f"columns 须为1至{MAX_COLUMNS}列", f"columns must list 1 to {MAX_COLUMNS} columns")
        )
        return ()
    columns: list[MappedColumn] = []
    seen_fields: set[str] = set()
    seen_places: set[str] = set()
    for index, entry in enumerate(value):
        where = f"columns[{index}]"
        column = _column(entry, where, problems)
        if column is None:
            continue
        place = f"column:{column.column}" if column.column else f"header:{column.header}"
        if column.field in seen_fields:
            problems.append(
                FieldError(where, f"字段“{column.field}”映射了两次", f"field {column.field} is mapped twice")
            )
        elif place in seen_places:
            problems.append(FieldError(where, "同一列映射了两个字段", "one column is mapped to two fields"))
        seen_fields.add(column.field)
        seen_places.add(place)
        columns.append(column)
    if columns and not any(c.field.startswith("goods[].") for c in columns):
        problems.append(FieldError("columns", "至少须映射一个商品字段", "at least one goods field must be mapped"))
    return tuple(columns)


def _column(entry: Any, where: str, problems: list[FieldError]) -> MappedColumn | None:
    if not isinstance(entry, dict) or set(entry) - {"field", "column", "header"}:
        problems.append(
            FieldError(where, "须为 {field, column} 或 {field, header}", "must be {field, column} or {field, header}")
        )
        return None
    path, letter, header = entry.get("field"), entry.get("column"), entry.get("header")
    if not isinstance(path, str) or mappable(path) is None:
        problems.append(
            FieldError(
                f"{where}.field",
                f"“{str(path)[:60]}”不是可映射的报关单表头或商品字段",
                f"'{str(path)[:60]}' is not a head or goods field of a declaration",
            )
        )
        return None
    if (letter is None) == (header is None):
        problems.append(
            FieldError(where, "column（列字母）与 header（表头文字）须且只须填一个", "give either column or header")
        )
        return None
    if letter is not None:
        if not isinstance(letter, str) or not _LETTERS.fullmatch(letter.strip().upper()):
            problems.append(
                FieldError(f"{where}.column", "列字母须为 A 至 XFD", "column must be a letter from A to XFD")
            )
            return None
        return MappedColumn(path, column=letter.strip().upper())
    if not isinstance(header, str) or not header.strip() or len(header) > MAX_TEXT:
        problems.append(
            FieldError(
                f"{where}.header", f"表头文字须为1至{MAX_TEXT}个字符", f"header must be 1 to {MAX_TEXT} characters"
            )
        )
        return None
    return MappedColumn(path, header=header.strip())


def _defaults(value: Any, problems: list[FieldError]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(FieldError("defaults", "defaults 须为JSON对象", "defaults must be a JSON object"))
        return {}
    defaults: dict[str, str] = {}
    for path, text in value.items():
        spec = mappable(path)
        if spec is None:
            problems.append(
                FieldError(
                    f"defaults.{str(path)[:60]}",
                    "不是报关单表头或商品字段",
                    "is not a head or goods field of a declaration",
                )
            )
        elif not isinstance(text, (str, int, float, bool)) or len(str(text)) > MAX_TEXT:
            problems.append(
                FieldError(
                    f"defaults.{path}", f"须为至多{MAX_TEXT}个字符的值", f"must be a value of at most {MAX_TEXT}"
                )
            )
        else:
            defaults[path] = text if isinstance(text, str) else _plain(text)
    return defaults


def _plain(value: int | float | bool) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
