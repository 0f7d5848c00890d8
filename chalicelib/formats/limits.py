"""Work limits of every import format: how much a request may make the readers do.

The body's size is capped at the edge; these cap what a small body can unfold into: rows and cells (a 204 KB
workbook without a <dimension> held 650,000 cells in 10 rows and kept a thread busy for three
minutes), elements, characters, and the time one request may spend reading (issue #24, item 4).
Each refusal names its limit in both languages (`details.limit`, `details.max`) and answers 413.

A workbook is measured before openpyxl reads a row: its sheets and shared strings stream through
expat, part by part, counting as they go, so a bomb is refused after the first row too many, in
milliseconds and kilobytes. DecMessage XML is counted while defusedxml builds its tree; JSON
bodies where their shape is checked (api/routing.check_json_shape).
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from defusedxml.ElementTree import DefusedXMLParser

from chalicelib.domain.errors import DomainError


@dataclass(frozen=True)
class Limit:
    name: str
    max: int
    zh: str  # what is counted, in Chinese
    en: str

    def exceeded(self) -> DomainError:
        return DomainError(
            "import_limit",
            f"内容超过上限：{self.zh}最多 {self.max:,}",
            f"The content exceeds a limit: at most {self.max:,} {self.en}",
            details={"limit": self.name, "max": self.max},
            kind="too_large",
        )


# 500 declarations × 50 goods items with room for blank rows (formats/excel_workbook.py refuses the same).
ROWS_PER_SHEET = Limit("rows_per_sheet", 60_000, "每个工作表的行", "rows in a sheet")
# Excel's own sheet is 16,384 columns wide; our template uses fewer than a hundred.
CELLS_PER_ROW = Limit("cells_per_row", 16_384, "每行单元格", "cells in a row")
# 500 declarations × 50 goods items is 25,000 goods rows of some 40 columns.
CELLS_PER_WORKBOOK = Limit("cells_per_workbook", 1_200_000, "工作簿单元格", "cells in a workbook")
# Customs' longest text field holds a few hundred characters; a cell or an element a little more.
CHARACTERS_PER_TEXT = Limit(
    "characters_per_text", 10_000, "单个单元格或元素的字符", "characters in one cell or element"
)
# A 5 MB upload of real messages holds under 200,000 elements; an element costs us ~100 bytes.
XML_ELEMENTS = Limit("xml_elements", 300_000, "XML元素", "XML elements")
# Customs' messages nest a few levels (a handful more inside DxpMsg envelopes). Every reader walks
# trees without recursion, so depth costs only what the element count bounds already; this cap only
# stops nesting beyond what the readers are tested with (5,000 wrapper levels).
XML_DEPTH = Limit("xml_depth", 10_000, "XML嵌套层数", "levels of XML nesting")
# A JSON import of 500 full declarations fits in the 1 MB body with far fewer values.
JSON_VALUES = Limit("json_values", 200_000, "JSON值", "JSON values")
# Well inside API Gateway's 29 s: the rest of the request (validation, storage) needs time too.
SECONDS = Limit("seconds", 15, "读取用时(秒)", "seconds of reading")

_deadline: ContextVar[float | None] = ContextVar("import_deadline", default=None)


@contextmanager
def work_budget(seconds: float = SECONDS.max) -> Iterator[None]:
    """Reading within this block may take `seconds`; `tick()` refuses the request after that."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def tick() -> None:
    """Refuse the request once its reading time is spent (call it in every reader's loop)."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise SECONDS.exceeded()


# ---- workbooks -------------------------------------------------------------------------------------

_CHUNK = 64 * 1024


def check_workbook(data: bytes) -> None:
    """Stream every worksheet and the shared strings of an xlsx, refusing the first limit crossed.
    Not a zip, or no such parts: left to the reader, which says the file is unreadable."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    with archive:
        cells = [0]
        for info in archive.infolist():
            name = info.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml") or name == "xl/sharedStrings.xml":
                with archive.open(info) as part:
                    _scan_part(part, cells)


def _scan_part(part: Any, cells: list[int]) -> None:
    counter = _PartCounter(cells)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    parser.CharacterDataHandler = counter.text
    try:
        while chunk := part.read(_CHUNK):
            parser.Parse(chunk, False)
            tick()
        parser.Parse(b"", True)
    except expat.ExpatError:
        return  # malformed: openpyxl refuses it as unreadable, with its own words


def _no_dtd(*_: Any) -> None:
    raise expat.ExpatError("a DTD or an entity declaration")  # refused as unreadable, like defusedxml does


def _last_row(ref: str) -> int:
    """The last row of a <dimension ref="A1:AM1000000"> (0 when it names none)."""
    digits = re.search(r"\d+$", ref)
    if digits is None:
        return 0
    return int(digits.group()) if len(digits.group()) < 10 else 10**10  # no int() of a hostile length


class _PartCounter:
    def __init__(self, cells: list[int]) -> None:
        self.cells, self.rows, self.in_row, self.chars = cells, 0, 0, 0

    def start(self, name: str, attributes: Any) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "dimension" and _last_row(attributes.get("ref", "")) > ROWS_PER_SHEET.max:
            raise ROWS_PER_SHEET.exceeded()  # believed when it declares too many, never to let one in
        if local == "row":
            self.in_row = 0
            self.rows += 1
            if self.rows > ROWS_PER_SHEET.max:
                raise ROWS_PER_SHEET.exceeded()
        elif local == "c":
            self.in_row += 1
            self.cells[0] += 1
            if self.in_row > CELLS_PER_ROW.max:
                raise CELLS_PER_ROW.exceeded()
            if self.cells[0] > CELLS_PER_WORKBOOK.max:
                raise CELLS_PER_WORKBOOK.exceeded()
        self.chars = 0

    def end(self, _name: str) -> None:
        self.chars = 0

    def text(self, data: str) -> None:
        self.chars += len(data)  # expat may hand one text over in pieces
        if self.chars > CHARACTERS_PER_TEXT.max:
            raise CHARACTERS_PER_TEXT.exceeded()


# ---- XML ----------------------------------------------------------------------------------------------


def parse_xml(text: bytes) -> Element:
    """defusedxml's tree of `text` (no DTD, no entities), refused as soon as a limit is crossed."""
    parser = DefusedXMLParser(
        target=_CountingTreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    for start in range(0, len(text), _CHUNK):
        parser.feed(text[start : start + _CHUNK])
        tick()
    return parser.close()


class _CountingTreeBuilder(TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self.elements = self.depth = self.chars = 0

    def start(self, tag: Any, attrs: Any) -> Element:
        self.elements += 1
        self.depth += 1
        self.chars = 0
        if self.elements > XML_ELEMENTS.max:
            raise XML_ELEMENTS.exceeded()
        if self.depth > XML_DEPTH.max:
            raise XML_DEPTH.exceeded()
        for value in attrs.values():
            if len(value) > CHARACTERS_PER_TEXT.max:
                raise CHARACTERS_PER_TEXT.exceeded()
        return super().start(tag, attrs)

    def end(self, tag: Any) -> Element:
        self.depth -= 1
        self.chars = 0
        return super().end(tag)

    def data(self, data: str) -> None:
        self.chars += len(data)
        if self.chars > CHARACTERS_PER_TEXT.max:
            raise CHARACTERS_PER_TEXT.exceeded()
        super().data(data)


# ---- JSON -----------------------------------------------------------------------------------------------


def check_json_value_count(count: int) -> None:
    if count > JSON_VALUES.max:
        raise JSON_VALUES.exceeded()


def check_json_text(text: str) -> None:
    if len(text) > CHARACTERS_PER_TEXT.max:
        raise CHARACTERS_PER_TEXT.exceeded()
