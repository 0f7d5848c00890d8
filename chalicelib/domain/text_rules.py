"""Text, dates and decimals as customs takes them: what an import refuses before anything is stored.

Pure rules (no pydantic, no AWS); domain/declaration.py and domain/configs.py apply them to what
arrives (imports, edits, configs), not to what was stored before they existed, so an old record
still reads back. Each refusal has its reason in Chinese and English (`reason_zh`, `reason_en`).

Hidden characters. A declaration's text travels in a GB18030 XML message that customs' officers
and risk rules read. Control characters (NUL, escape …) are not XML at all; bidirectional
overrides and isolates make a bill number or a goods name read differently from what it holds;
zero-width characters make two equal-looking bill numbers differ (a manifest comparison that
fails, a duplicate that is not seen). None is ever typed into the Single Window's boxes, so each is
refused wherever text is taken. The list is explicit ranges, not a Unicode category, so the same
characters are refused on every Python version and the OpenAPI pattern says exactly the same.
Tabs and line breaks are control characters too, but the form's two text areas (标记唛码, 备注)
take line breaks, and so do the spreadsheet cells people paste from: there they pass.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

# (first, last) code points refused in any text
_HIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x1F),  # C0 controls: NUL, ESC … (tab and line breaks too, except where lines are allowed)
    (0x7F, 0x9F),  # DEL and the C1 controls
    (0xAD, 0xAD),  # soft hyphen: invisible unless a line breaks there
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x180E, 0x180E),  # Mongolian vowel separator (zero-width)
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    (0x2028, 0x202E),  # line and paragraph separators; bidi embeddings and overrides (RLO U+202E …)
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates (U+2066-U+2069), deprecated formats
    (0xFEFF, 0xFEFF),  # zero-width no-break space (a byte-order mark inside text)
    (0xFFF9, 0xFFFB),  # interlinear annotation marks
    (0xFFFE, 0xFFFF),  # not characters at all
)
_LINE_CHARACTERS = frozenset("\t\n\r")  # taken where the form has a text area


def _class(ranges: tuple[tuple[int, int], ...], keep: frozenset[str] = frozenset()) -> str:
    """A regex character class body of `ranges` less `keep`, written with \\u escapes only (the same
    text is a Python and an ECMAScript pattern: the OpenAPI document carries it)."""
    parts: list[str] = []
    for first, last in ranges:
        points = [p for p in range(first, last + 1) if chr(p) not in keep]
        while points:  # consecutive runs of what is left
            start = end = points.pop(0)
            while points and points[0] == end + 1:
                end = points.pop(0)
            parts.append(f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}")
    return "".join(parts)


HIDDEN = _class(_HIDDEN_RANGES)
HIDDEN_EXCEPT_LINES = _class(_HIDDEN_RANGES, _LINE_CHARACTERS)
# The OpenAPI patterns of text fields: no hidden character; and, for fields that must hold
# something, a visible one (surrounding spaces are stripped, so blank is empty)
VISIBLE_TEXT = f"^[^{HIDDEN}]*$"
VISIBLE_LINES = f"^[^{HIDDEN_EXCEPT_LINES}]*$"
VISIBLE_NON_BLANK = f"^[^{HIDDEN}]*[^{HIDDEN}\\s][^{HIDDEN}]*$"

_HIDDEN_RE = re.compile(f"[{HIDDEN}]")
_HIDDEN_EXCEPT_LINES_RE = re.compile(f"[{HIDDEN_EXCEPT_LINES}]")


def hidden_character(text: str, *, lines: bool = False) -> tuple[str, str] | None:
    """Why customs would refuse `text`, in Chinese and English, naming its first hidden character
    ("U+202E RIGHT-TO-LEFT OVERRIDE"); None when every character is visible. `lines`: tabs and line
    breaks are taken (the form's text areas)."""
    found = (_HIDDEN_EXCEPT_LINES_RE if lines else _HIDDEN_RE).search(text)
    if found is None:
        return None
    char = found.group()
    name = f"U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()
    return (
        f"含有海关不接受的控制字符或不可见字符（第{found.start() + 1}个字符 {name}）",
        f"contains a control or invisible character customs does not accept ({name} at character {found.start() + 1})",
    )


# ---- dates ------------------------------------------------------------------------------------------

# A declaration's dates (进出口日期, 启运日期, 卸毕日期) name days of real goods movements:
# - not before 2000-01-01: customs' electronic declaration (H2000, and the DecMessage format after
#   it) dates from then, and nothing declared now moved before it; earlier dates are defaults
#   leaking from tools (0001-01-01, Excel's 1900-01-00, Unix's 1970-01-01);
# - not after 2099-12-31: far dates are "no end" sentinels (9999-12-31). A bound relative to today
#   would be tighter but would make a file's validity depend on the day it is read, and a stored
#   declaration could turn invalid while it waits; customs checks the real window when it is declared.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_PATTERN = "^20[0-9]{2}-"  # the OpenAPI document's way to say the same (with format: date)


def implausible_date(value: date) -> tuple[str, str] | None:
    """Why a declaration's date is refused, in Chinese and English; None when it is plausible."""
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return (
        f"日期须在{EARLIEST_DATE.isoformat()}至{LATEST_DATE.isoformat()}之间（填写为{value.isoformat()}）",
        f"must be a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()} (it is {value.isoformat()})",
    )


# ---- decimals ------------------------------------------------------------------------------------------

# As customs writes a number: ASCII digits, a point only between digits; no sign, no exponent ("1e5"),
# no bare point (".5", "5."). Quantities, weights and prices are never negative.
_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
DECIMAL_REASON = (
    '须按海关写法书写数值：ASCII数字与小数点，不带正负号，不用科学计数法，如 "100000"、"12.5"',
    'must be written as customs writes numbers: ASCII digits and a point, no sign, no exponent ("100000", "12.5")',
)


def plain_decimal(text: str) -> bool:
    """True when `text` (surrounding spaces aside) is a number as customs writes it."""
    return _PLAIN_DECIMAL.fullmatch(text.strip()) is not None


def decimal_text(value: Decimal) -> str:
    """A decimal as customs writes it: never with an exponent (Decimal("1E+5") is "100000"), its
    places kept ("82000.00" stays)."""
    return format(value, "f")
