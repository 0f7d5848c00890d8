"""What the file readers share: value conversions, field labels, the record limit, nesting paths (XML: xml.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.domain import codes, errors
from chalicelib.domain.declaration import FIELD_LABELS
from chalicelib.domain.declaration_fields import FIELDS
from chalicelib.domain.errors import FieldError

from . import xml

MAX_RECORDS = 500  # Settings.max_import_records; callers pass theirs when it differs

# EntryType (报关单类型) in the customs message → declaration_type.
ENTRY_TYPES = {"0": "general", "L": "with_list", "W": "paperless", "D": "list_paperless", "M": "paperless_clearance"}

# Message elements whose characters are flags of several fields, in the order of the characters: the
# table's lines for each tag, in the table's order (1 yes, 0 no; PromiseItmes 9: not applicable).
CHARACTER_FLAGS: dict[str, tuple[str, ...]] = {
    tag: tuple(spec.path for spec in FIELDS if spec.tag == tag) for tag in ("PromiseItmes", "SpecDeclFlag")
}

_MAX_EXPONENT = 30  # refuses "1E+999999": formatting it would build a megabyte of zeros
_MAX_NUMBER_CHARS = 64
_DATE_FORMS = (
    (re.compile(r"\d{8}"), "%Y%m%d"),
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "%Y-%m-%d"),
    (re.compile(r"\d{4}/\d{1,2}/\d{1,2}"), "%Y/%m/%d"),
    (re.compile(r"\d{4}\.\d{1,2}\.\d{1,2}"), "%Y.%m.%d"),
)


class BadValue(Exception):
    """A value that cannot be put into its field's representation (a reason in two languages)."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh = reason_zh
        self.reason_en = reason_en


def decimal_text(value: Any) -> str:
    """A number as plain decimal text without trailing zeros: "2.00000" → "2", 17600.0 → "17600"."""
    if isinstance(value, bool) or value is None:
        raise BadValue("不是数值", "is not a number")
    # str() of a float is its shortest round-trip form, so 0.1 stays "0.1", never 0.1000000000000000055…
    text = str(value).strip().replace(",", "")
    if len(text) > _MAX_NUMBER_CHARS:
        raise BadValue("数值过长", "is too long for a number")
    if not text.isascii():  # Decimal() also reads other scripts' digits ("١٠" is 10): customs does not
        raise BadValue("须以ASCII数字(0-9)书写", "must be written in ASCII digits (0-9)")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadValue("不是数值", "is not a number") from None
    if not number.is_finite() or abs(number.adjusted()) > _MAX_EXPONENT:
        raise BadValue("不是有效数值", "is not a usable number")
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def whole_number(value: Any) -> int:
    """An integer from 10, 10.0, "10" or "10.000"; a fraction or text is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = Decimal(decimal_text(value))
    except BadValue:
        raise BadValue("不是整数", "is not a whole number") from None
    if number != number.to_integral_value():
        raise BadValue("不是整数", "is not a whole number")
    return int(number)


def iso_date(value: Any) -> str:
    """A date as "YYYY-MM-DD" from a date, yyyyMMdd, YYYY-MM-DD or YYYY/MM/DD (time part ignored)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadValue("不是日期", "is not a date")
    text = str(value).strip()
    for pattern, form in _DATE_FORMS:
        match = pattern.match(text)
        rest = text[match.end() :] if match else ""
        # a time may follow ("20240320 10:00:00", "2024-03-20T00:00:00"), nothing else may
        if match and (not rest or rest[0] in " T"):
            try:
                return datetime.strptime(match.group(), form).date().isoformat()
            except ValueError:
                break
    raise BadValue("不是有效日期(应为yyyyMMdd或YYYY-MM-DD)", "is not a valid date (yyyyMMdd or YYYY-MM-DD)")


def entry_type(value: str) -> str:
    """declaration_type from the message's EntryType code (0/L/W/D/M) or the JSON value itself."""
    text = value.strip()
    if text in ENTRY_TYPES.values():
        return text
    if text.upper() in ENTRY_TYPES:
        return ENTRY_TYPES[text.upper()]
    raise BadValue("不是可识别的报关单类型(0/L/W/D/M)", "is not a known entry type (0/L/W/D/M)")


def coded(table: str):
    """A converter to the stored code (numeric customs codes → letters); unknown values kept as given
    so that validation names them."""

    def convert(value: str) -> str:
        return codes.normalize(table, value) or value.strip()

    return convert


def is_zero(text: str | None) -> bool:
    return text is not None and Decimal(text).is_zero()


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{"agent.code": "1"} → {"agent": {"code": "1"}}."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        head, _, leaf = path.rpartition(".")
        (out.setdefault(head, {}) if head else out)[leaf] = value
    return out


def label(path: str) -> str:
    """The Chinese label of a field path such as "goods[2].qty" or "agent.uscc"."""
    bare = re.sub(r"^(\w+\[\d+\]\.)+", "", path)  # a list item's field, however deep
    return FIELD_LABELS.get(bare, bare)


def bad_value_error(path: str, where_zh: str, where_en: str, value: Any, bad: BadValue) -> FieldError:
    shown = str(value)[:60]
    return FieldError(
        path,
        f"{where_zh} {label(path)}({path})：“{shown}”{bad.reason_zh}",
        f"{where_en}: {path} '{shown}' {bad.reason_en}",
    )


# ---- text encodings ------------------------------------------------------------------------


def decode_xml(data: bytes) -> str:
    """The text of an uploaded XML file (formats/xml.py decides how); unreadable_file names the problem."""
    try:
        return xml.decode_xml(data)
    except xml.XmlUnreadable as exc:
        raise errors.unreadable_file(exc.reason_zh, exc.reason_en) from None
