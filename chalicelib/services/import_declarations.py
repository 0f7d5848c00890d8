"""Use case: import declarations (JSON, Excel or DecMessage XML, already read into records).

Each record is accepted whole or refused whole; the answer lists both. Imported declarations
are temp-saved (暂存), marked or not, and owned by the importer (domain/tenancy.py).

seq_no (issue #9): the stored seq_no is always ours, from the allocator, as the Single Window
assigns 统一编号 on 暂存, so nobody can take a number ahead of another enterprise or learn
that it exists. A seq_no the caller sends (JSON, Excel column, DecMessage SeqNo) is the sending
software's reference: kept as `source_seq_no`, unique *per enterprise* through a claim written
in the same transaction as the record. Importing it twice answers "already imported as <ours>";
another enterprise's numbers never clash with or show through ours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import classification, errors
from chalicelib.domain.column_mapping import MappingContent
from chalicelib.domain.declaration import Declaration, DeclarationContent, initial_tax_status, parse_content
from chalicelib.domain.errors import FieldError
from chalicelib.domain.identity import Identity
from chalicelib.domain.tenancy import bind_to_importer
from chalicelib.formats.records import XLSX, XML_TYPES, ImportRecord

# ImportRecord and the media types are the readers' (formats/records.py); named here too for the callers
__all__ = [
    "XLSX",
    "XML_TYPES",
    "ImportRecord",
    "ImportResult",
    "import_declarations",
    "records_from_file",
    "records_from_json",
]

from .batches import wake
from .engine import Engine
from .parts import fill_records
from .ports import Clock, DeclarationRepository, PartsRepository, SeqNoAllocator


@dataclass
class ImportResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # prompts of the accepted declarations' goods that differ from their part in the parts library
    advisories: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accepted": self.accepted, "rejected": self.rejected}
        return out | ({"advisories": self.advisories} if self.advisories else {})


def import_declarations(
    identity: Identity,
    records: list[ImportRecord],
    smart_mark: bool,
    repo: DeclarationRepository,
    allocator: SeqNoAllocator,
    clock: Clock,
    engine: Engine | None = None,
    parts: PartsRepository | None = None,
) -> ImportResult:
    """With `engine`, declarations imported with the mark wake a sleeping execution of their scope; with
    `parts`, goods naming an approved part of the enterprise's parts library are filled from it first."""
    result = ImportResult()
    part_advisories = fill_records(identity, records, parts) if parts is not None else {}
    valid = _validated(identity, records, result)
    now = clock()
    fresh = _allocate(allocator, [c for _, _, c, _ in valid], now.year)
    declarations: list[tuple[int, ImportRecord, Declaration]] = []
    for index, record, content, side in valid:
        seq_no = fresh[content.ie_flag].pop(0)
        content = content.model_copy(update={"seq_no": seq_no})
        declarations.append(
            (
                index,
                record,
                Declaration(
                    content=content,
                    seq_no=seq_no,
                    owner_ent=identity.ent_code,
                    owner_side=side,
                    created_by=identity.card_no,
                    created_at=now,
                    updated_at=now,
                    smart_mark=smart_mark,
                    marked_by=identity.card_no if smart_mark else None,
                    marked_at=now if smart_mark else None,
                    tax_status=initial_tax_status(content),
                    card_no=identity.card_no,
                ),
            )
        )

    held = repo.add_many([d for _, _, d in declarations])
    for index, record, decl in declarations:
        if decl.seq_no in held:
            result.rejected.append(_rejection(index, record, [_held(decl.content.source_seq_no, held[decl.seq_no])]))
        else:
            result.accepted.append(decl.seq_no)
            result.advisories += [
                {"index": index, "seq_no": decl.seq_no, **a.as_json()} for a in part_advisories.get(index, [])
            ]
    result.rejected.sort(key=lambda r: r["index"])
    if engine is not None and smart_mark and result.accepted:
        wake(engine, identity.ent_code, [d for _, _, d in declarations if d.seq_no not in held])
    return result


def _validated(
    identity: Identity, records: list[ImportRecord], result: ImportResult
) -> list[tuple[int, ImportRecord, DeclarationContent, str]]:
    """Each record read, given its source_seq_no and bound to the importer; the refused ones go to
    `result.rejected`."""
    valid: list[tuple[int, ImportRecord, DeclarationContent, str]] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        content, errs = (None, record.read_errors) if record.read_errors else parse_content(record.raw)
        side = None
        if content is not None:
            errs = classification.import_errors(content)  # an HS code that does not exist
            content = content if not errs else None
        if content is not None:
            content, errs = _as_source(content)
        if content is not None:
            content, side, errs = bind_to_importer(identity, content)
        if content is not None and content.source_seq_no:
            if content.source_seq_no in seen:
                errs = [FieldError("seq_no", "统一编号在本次导入中重复", "seq_no appears twice in this import")]
            seen.add(content.source_seq_no)
        if errs or content is None or side is None:
            errs = errs if errs is record.read_errors else _located(record, errs)
            result.rejected.append(_rejection(index, record, errs))
        else:
            valid.append((index, record, content, side))
    return valid


def _located(record: ImportRecord, errs: list[FieldError]) -> list[FieldError]:
    """Each error of a field whose cell the reader named, with the cell before its message."""
    located = []
    for err in errs:
        where = record.cells.get(err.field)
        if where is not None:
            err = FieldError(err.field, f"{where[0]}：{err.message_zh}", f"{where[1]}: {err.message_en}")
        located.append(err)
    return located


def _held(source: str | None, ours: str) -> FieldError:
    if source is None:  # only if the allocator handed out a number twice: never the caller's doing
        return FieldError(
            "seq_no", f"统一编号(seq_no)已存在：{ours}，请重新导入", f"seq_no already exists: {ours}; import again"
        )
    return FieldError(
        "seq_no", f"统一编号 {source} 已导入，系统统一编号为 {ours}", f"seq_no {source} was already imported as {ours}"
    )


def _as_source(content: DeclarationContent) -> tuple[DeclarationContent | None, list[FieldError]]:
    """A seq_no the caller sent is its own reference (source_seq_no); ours is allocated."""
    source = content.source_seq_no or content.seq_no
    if content.seq_no and content.source_seq_no and content.seq_no != content.source_seq_no:
        return None, [
            FieldError(
                "source_seq_no", "seq_no 与 source_seq_no 不一致", "seq_no and source_seq_no differ; send one of them"
            )
        ]
    return content.model_copy(update={"seq_no": None, "source_seq_no": source}), []


def _allocate(allocator: SeqNoAllocator, contents: list[DeclarationContent], year: int) -> dict[str, list[str]]:
    wanted: dict[str, int] = defaultdict(int)
    for content in contents:
        wanted[content.ie_flag] += 1
    return {flag: allocator.allocate(flag, year, n) for flag, n in wanted.items()}


def _rejection(index: int, record: ImportRecord, errs: list[FieldError]) -> dict[str, Any]:
    raw = record.raw if isinstance(record.raw, dict) else {}
    out: dict[str, Any] = {"index": index, "errors": [e.as_dict() for e in errs]}
    if raw.get("seq_no"):
        out["seq_no"] = raw["seq_no"]
    if record.source:
        out["source"] = record.source
    return out


def records_from_json(body: Any, max_records: int) -> tuple[list[ImportRecord], bool]:
    """The JSON import body {"declarations": [...], "smart_mark": bool} as records and the mark."""
    problems = []
    if not isinstance(body, dict):
        problems.append(FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object"))
    else:
        for key in set(body) - {"declarations", "smart_mark"}:
            problems.append(FieldError(key, f"不是可接受的字段：{key}", f"unknown field: {key}"))
        items = body.get("declarations")
        if not isinstance(items, list) or not 1 <= len(items) <= max_records:
            problems.append(
                FieldError(
                    "declarations",
                    f"declarations 须为1至{max_records}条报关单的列表",
                    f"declarations must be a list of 1 to {max_records} declarations",
                )
            )
        if not isinstance(body.get("smart_mark", False), bool):
            problems.append(
                FieldError("smart_mark", "smart_mark 须为 true 或 false", "smart_mark must be true or false")
            )
    if problems:
        raise errors.invalid_request(problems)
    return [ImportRecord(raw=item) for item in body["declarations"]], body.get("smart_mark", False)


def records_from_file(
    content_type: str, data: bytes, max_records: int, mapping: MappingContent | None = None
) -> list[ImportRecord]:
    """An uploaded Excel workbook (ours or the Single Window's template, told apart by its sheets; a
    customer's goods list when a column mapping is given) or DecMessage XML as records (told apart by
    Content-Type)."""
    # imported here: an XML import never loads openpyxl, a JSON import neither reader
    from chalicelib.formats import limits
    from chalicelib.formats.dec_message import read_dec_messages
    from chalicelib.formats.workbooks import read_any_workbook

    media = content_type.split(";")[0].strip().lower()
    if media == "application/octet-stream":  # a workbook is a zip; anything else is read as XML
        media = XLSX if data.startswith(b"PK\x03\x04") else XML_TYPES[0]
    with limits.work_budget():  # the reading time of one request
        if mapping is not None and media != XLSX:
            raise errors.unsupported_media_type(content_type, [XLSX])
        if media == XLSX:
            return read_any_workbook(data, max_records=max_records, mapping=mapping)
        if media in XML_TYPES:
            return read_dec_messages(data, max_records=max_records)
    raise errors.unsupported_media_type(content_type, [XLSX, *XML_TYPES])
