"""Text, dates and decimals as customs takes them (domain/text_rules.py): each rule by itself."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain import text_rules

# ---- hidden characters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,named",
    [
        ("便携式\x00电脑", "U+0000"),  # NUL
        ("99912345670\x1b", "U+001B"),  # escape
        ("MSKU\x7f1234567", "U+007F"),
        ("笔记本\x85电脑", "U+0085"),  # C1 next line
        ("999\u202e12345670", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("999\u202a12345670", "U+202A LEFT-TO-RIGHT EMBEDDING"),
        ("999\u2067123\u2069", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("999\u200f123", "U+200F RIGHT-TO-LEFT MARK"),
        ("\u061c123", "U+061C ARABIC LETTER MARK"),
        ("999\u200b12345670", "U+200B ZERO WIDTH SPACE"),
        ("999\u200d123", "U+200D ZERO WIDTH JOINER"),
        ("999\u2060123", "U+2060 WORD JOINER"),
        ("999\ufeff123", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("trans\u00adport", "U+00AD SOFT HYPHEN"),
        ("a\u2028b", "U+2028 LINE SEPARATOR"),
        ("a\ufffeb", "U+FFFE"),
    ],
)
def test_control_bidi_and_zero_width_characters_are_named_and_refused(text, named):
    reason = text_rules.hidden_character(text)
    assert reason is not None
    zh, en = reason
    assert named in zh and named in en
    assert "控制字符或不可见字符" in zh and "customs does not accept" in en


def test_the_position_of_the_first_hidden_character_is_given():
    zh, en = text_rules.hidden_character("AB\u200bC\u202e")
    assert "第3个字符" in zh and "at character 3" in en


@pytest.mark.parametrize(
    "text",
    [
        "便携式自动数据处理设备",
        "笔记本电脑|14英寸|无品牌",
        "MSKU1234567",
        "N/M",
        "Ü ñ é",
        "Ａ１",
        "a b\u3000c",
        "😀",
        "",
    ],
)
def test_visible_text_passes(text):
    assert text_rules.hidden_character(text) is None


def test_tabs_and_line_breaks_pass_only_where_the_form_has_a_text_area():
    text = "N/M\r\n第二行\t备注"
    assert text_rules.hidden_character(text) is not None
    assert text_rules.hidden_character(text, lines=True) is None
    assert text_rules.hidden_character("N/M\n\x00", lines=True) is not None  # NUL never


def test_the_openapi_patterns_say_exactly_what_the_rule_refuses():
    visible, lines, non_blank = (
        re.compile(text_rules.VISIBLE_TEXT),
        re.compile(text_rules.VISIBLE_LINES),
        re.compile(text_rules.VISIBLE_NON_BLANK),
    )
    for point in [
        *range(0x250),
        *range(0x600, 0x700),
        *range(0x1800, 0x1900),
        *range(0x2000, 0x2100),
        *range(0xFE00, 0x10000),
    ]:
        char = chr(point)
        assert (visible.match(f"a{char}b") is None) == (text_rules.hidden_character(char) is not None), hex(point)
        assert (lines.match(f"a{char}b") is None) == (text_rules.hidden_character(char, lines=True) is not None)
    assert non_blank.match("  ") is None and non_blank.match("") is None and non_blank.match(" 名 ")
    assert non_blank.match("名\u200b") is None


# ---- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day", [date(1, 1, 1), date(9999, 12, 31), date(1900, 1, 1), date(1970, 1, 1), date(1999, 12, 31)]
)
def test_dates_outside_customs_plausible_range_are_refused(day):
    zh, en = text_rules.implausible_date(day)
    assert "2000-01-01" in zh and "2099-12-31" in en and day.isoformat() in en


@pytest.mark.parametrize("day", [date(2000, 1, 1), date(2024, 3, 20), date(2099, 12, 31)])
def test_dates_within_the_range_pass(day):
    assert text_rules.implausible_date(day) is None
    assert re.match(text_rules.DATE_PATTERN, day.isoformat())


# ---- decimals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1e5", "1E+5", "1.5e-3", "+5", "-5", ".5", "5.", "1,000", "0x10", "", " "])
def test_decimals_not_written_as_customs_writes_them_are_refused(text):
    assert not text_rules.plain_decimal(text)


@pytest.mark.parametrize("text", ["100000", "12.5", "0.00001", "82000.00", " 7 "])
def test_plain_decimals_pass(text):
    assert text_rules.plain_decimal(text)


@pytest.mark.parametrize(
    "value,text", [(Decimal("1E+5"), "100000"), (Decimal("82000.00"), "82000.00"), (Decimal("1E-5"), "0.00001")]
)
def test_a_decimal_is_written_without_an_exponent_its_places_kept(value, text):
    assert text_rules.decimal_text(value) == text
