"""`smartdecl import`: files → API-sized requests, each with an Idempotency-Key derived from its
bytes, so a re-run after a crash gets the first answers back and creates nothing twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_RECORDS = 500  # the API's limit per JSON request (README: POST /declarations)


class BadInput(Exception):
    """A file the CLI cannot read or send (a usage error, exit 2)."""


@dataclass(frozen=True)
class Chunk:
    """One request: where it came from, what to send, and the records it carries (JSON only)."""

    file: str
    first_index: int  # index in the file of the chunk's first record
    path: str
    content_type: str
    body: bytes
    query: dict[str, str]
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def idempotency_key(self) -> str:
        # the same request again (a re-run) → the same key → the API's first answer, nothing created twice;
        # the file's name and the chunk's place are in it, so two alike chunks are still two requests
        place = f"{Path(self.file).name}\0{self.first_index}\0{self.path}\0{json.dumps(self.query, sort_keys=True)}"
        digest = hashlib.sha256(place.encode() + b"\0" + self.body).hexdigest()
        return f"smartdecl-cli-{digest[:40]}"


def chunks(files: list[Path], *, smart_mark: bool, size: int = MAX_RECORDS, mapping: str | None = None) -> list[Chunk]:
    """`mapping`: a column mapping's id; every file is then a customer's goods list (.xlsx), sent whole."""
    if not 1 <= size <= MAX_RECORDS:
        raise BadInput(f"--chunk-size must be 1 to {MAX_RECORDS}")
    return [chunk for path in files for chunk in _chunks_of(path, smart_mark, size, mapping)]


def _chunks_of(path: Path, smart_mark: bool, size: int, mapping: str | None = None) -> Iterator[Chunk]:
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    suffix = path.suffix.lower()
    mark = {"smart_mark": "true" if smart_mark else "false"}
    if mapping is not None:
        if suffix != ".xlsx":
            raise BadInput(f"{path}: --mapping reads .xlsx goods lists only")
        yield Chunk(str(path), 0, "/declarations/import", XLSX, path.read_bytes(), mark | {"mapping": mapping})
        return
    if suffix == ".json":
        records = _json_records(path)
        for start in range(0, len(records), size):
            part = records[start : start + size]
            # canonical bytes: the same records always make the same body, so the same key
            body = json.dumps(
                {"declarations": part, "smart_mark": smart_mark},
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
            ).encode("utf-8")
            yield Chunk(str(path), start, "/declarations", "application/json", body, {}, part)
    elif suffix == ".xlsx":
        for start, body in workbook_parts(path, path.read_bytes(), size):
            yield Chunk(str(path), start, "/declarations/import", XLSX, body, mark)
    elif suffix == ".xml":
        data = path.read_bytes()
        for start, body in _xml_parts(path, data, size):
            yield Chunk(str(path), start, "/declarations/import", "application/xml", body, mark)
    else:
        raise BadInput(f"{path}: only .json, .xlsx and .xml (DecMessage) can be imported")


def _xml_parts(path: Path, data: bytes, size: int) -> list[tuple[int, bytes]]:
    """The file as it is when it holds at most `size` DecMessages (the usual case, byte-exact, any
    encoding); else ImportMessage documents of `size` DecMessages each, re-encoded as UTF-8."""
    import xml.etree.ElementTree as ET  # the user's own file, on the user's machine

    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadInput(f"{path}: not XML ({exc})") from exc
    messages = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "DecMessage"]
    if len(messages) <= size:
        return [(0, data)]
    parts = []
    for start in range(0, len(messages), size):
        wrapper = ET.Element("ImportMessage")
        wrapper.extend(messages[start : start + size])
        parts.append((start, ET.tostring(wrapper, encoding="utf-8", xml_declaration=True)))
    return parts


HEAD_SHEET, FIRST_DATA_ROW = "报关单表头", 3  # docs/excel-template.md: labels, field paths, then data
CHILD_SHEETS = ("商品", "集装箱", "随附单证")


def workbook_parts(path: Path, data: bytes, size: int) -> list[tuple[int, bytes]]:
    """The file as it is when it holds at most `size` declarations (head rows); else workbooks of
    `size` declarations each, every goods/container/document row going with its head row's ref, rows
    1–2 (labels, field paths) repeated. Child rows whose ref matches no head row ride in the first
    part, where the API reports them as it would for the whole file."""
    from io import BytesIO

    from openpyxl import Workbook, load_workbook

    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise BadInput(f"{path}: not an Excel workbook ({type(exc).__name__})") from exc
    try:
        sheets = {
            name.strip(): [tuple(row) for row in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames
            if name.strip() in (HEAD_SHEET, *CHILD_SHEETS)
        }
    finally:
        book.close()
    heads = [row for row in sheets.get(HEAD_SHEET, [])[FIRST_DATA_ROW - 1 :] if any(_filled(v) for v in row)]
    if len(heads) <= size:
        return [(0, data)]  # byte-exact: the usual case
    groups = [heads[start : start + size] for start in range(0, len(heads), size)]
    ref_column = {name: _ref_column(rows) for name, rows in sheets.items()}
    part_of = {_ref(row, ref_column[HEAD_SHEET]): n for n, group in enumerate(groups) for row in group}
    parts = []
    for n, group in enumerate(groups):
        out = Workbook(write_only=True)
        for name, rows in sheets.items():
            sheet = out.create_sheet(name)
            for row in rows[: FIRST_DATA_ROW - 1]:
                sheet.append(row)
            if name == HEAD_SHEET:
                chosen = group
            else:
                chosen = [
                    row
                    for row in rows[FIRST_DATA_ROW - 1 :]
                    if any(_filled(v) for v in row) and part_of.get(_ref(row, ref_column[name]), 0) == n
                ]
            for row in chosen:
                sheet.append(row)
        parts.append((n * size, _stable_bytes(out)))
    return parts


def _stable_bytes(book: Any) -> bytes:
    """The workbook's bytes without the save time (zip entries, docProps), so the same part of the same
    file is the same body on a re-run: the API answers a repeated Idempotency-Key only for the same body."""
    import re
    import zipfile
    from io import BytesIO

    saved, out = BytesIO(), BytesIO()
    book.save(saved)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", content)
            target.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0)),
                content,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _ref_column(rows: list[tuple[Any, ...]]) -> int | None:
    paths = rows[FIRST_DATA_ROW - 2] if len(rows) >= FIRST_DATA_ROW - 1 else ()
    return next((i for i, v in enumerate(paths) if v is not None and str(v).strip() == "ref"), None)


def _ref(row: tuple[Any, ...], column: int | None) -> str | None:
    """1, 1.0 and "1" are the same ref (as the API reads them)."""
    if column is None or column >= len(row) or not _filled(row[column]):
        return None
    value = row[column]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _json_records(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{path}: not JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("declarations"), list):
        data = data["declarations"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BadInput(f'{path}: expected a declaration, a list of them or {{"declarations": [...]}}')
    return data


@dataclass
class Summary:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    advisories: list[dict[str, Any]] = field(default_factory=list)  # goods differing from the parts library

    def add(self, chunk: Chunk, answer: dict[str, Any]) -> None:
        for seq_no in answer.get("accepted") or []:
            self.accepted.append({"file": chunk.file, "seq_no": seq_no})
        for advisory in answer.get("advisories") or []:
            self.advisories.append({"file": chunk.file, **advisory, "index": chunk.first_index + advisory["index"]})
        for refusal in answer.get("rejected") or []:
            index = int(refusal.get("index", 0))
            row = {
                "file": chunk.file,
                "index": chunk.first_index + index,
                **{k: v for k, v in refusal.items() if k != "index"},
            }
            if chunk.records and 0 <= index < len(chunk.records):
                row["record"] = chunk.records[index]  # to fix and import again
            self.rejected.append(row)

    def as_json(self) -> dict[str, Any]:
        out = {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "totals": {"accepted": len(self.accepted), "rejected": len(self.rejected)},
        }
        return out | ({"advisories": self.advisories} if self.advisories else {})
