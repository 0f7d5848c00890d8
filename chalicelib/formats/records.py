"""What every reader gives back: one ImportRecord per declaration found in a request or a file.

The media types the file readers take live here too, so an import route, the OpenAPI document and
the broker-side agent name them without the service layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.errors import FieldError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XML_TYPES = ("application/xml", "text/xml")


@dataclass
class ImportRecord:
    """One declaration as read from a request or a file, before validation."""

    raw: Any
    source: str | None = None  # e.g. "DecMessage 2" or "报关单表头 row 3"
    read_errors: list[FieldError] = field(default_factory=list)
    # field path ("goods[0].code_ts") → where its value was read, in Chinese and English, for a reader
    # that can say it (the Single Window template): a validation error then names the cell too
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)
